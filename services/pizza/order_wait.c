#include "clock.h"
#include "kafka.h"
#include "log.h"
#include "pizza_service.h"

#include <stdlib.h>
#include <string.h>

/* A held GET costs a suspended connection, not a thread: it is answered from
 * the main loop when its order's last pizza arrives or its deadline passes.
 * Waits are few (at most one per connection), so a list does. */

static void order_wait_answer(struct pizza_service *ps, struct http_req *r, const char *id) {
    size_t len;
    char *body = orders_render(ps->orders, id, &len, NULL);
    if (body)
        http_reply(r, 200, "application/json", body, len);
    else /* expired or evicted meanwhile */
        http_reply_error(r, 404, "no such order: %s", id);
    free(body);
}

/* Answers and frees every wait of list. */
static void order_wait_answer_all(struct pizza_service *ps, struct order_wait *list) {
    for (struct order_wait *w = list, *next; w; w = next) {
        next = w->next;
        order_wait_answer(ps, w->req, w->id);
        free(w);
    }
}

enum http_result order_wait(struct pizza_service *ps, struct http_req *r, const char *id,
                            long seconds) {
    size_t len;
    int complete = 0;
    struct order_wait *w = NULL;
    if (seconds <= 0) { /* a plain GET */
        order_wait_answer(ps, r, id);
        return HTTP_DONE;
    }
    /* The wait counts before the order is looked at: order_wait_wake() reads
     * the count without the lock after storing the last pizza, so it either
     * finds it (and then the lock, held until the wait is listed) or ran
     * before this render, which then sees the order complete. Counting after
     * the render let a completion in between go unseen: the GET waited out
     * its deadline for a complete order. */
    pthread_mutex_lock(&ps->wait_lock);
    atomic_fetch_add(&ps->waits_pending, 1);
    char *body = orders_render(ps->orders, id, &len, &complete);
    int hold = body && !complete && !ps->waits_closed && (w = calloc(1, sizeof(*w))) != NULL;
    if (hold) {
        w->req = r;
        w->deadline_ms = clock_now_ms() + seconds * 1000;
        strcpy(w->id, id); /* a valid order id fits */
        w->next = ps->waits;
        ps->waits = w;
    } else {
        atomic_fetch_sub(&ps->waits_pending, 1);
    }
    pthread_mutex_unlock(&ps->wait_lock);
    if (hold) {
        free(body);
        return HTTP_ASYNC;
    }
    if (body)
        http_reply(r, 200, "application/json", body, len); /* complete, or cannot wait */
    else
        http_reply_error(r, 404, "no such order: %s", id);
    free(body);
    return HTTP_DONE;
}

/* Moves the waits that match out of the list. */
static struct order_wait *order_wait_take(struct pizza_service *ps, const char *id,
                                          long long now_ms) {
    struct order_wait *taken = NULL;
    pthread_mutex_lock(&ps->wait_lock);
    for (struct order_wait **p = &ps->waits; *p;) {
        struct order_wait *w = *p;
        int match = id ? strcmp(w->id, id) == 0 : w->deadline_ms <= now_ms;
        if (match) {
            *p = w->next;
            w->next = taken;
            taken = w;
            atomic_fetch_sub(&ps->waits_pending, 1);
        } else {
            p = &w->next;
        }
    }
    pthread_mutex_unlock(&ps->wait_lock);
    return taken;
}

void order_wait_wake(struct pizza_service *ps, const char *id) {
    if (atomic_load(&ps->waits_pending) > 0) order_wait_answer_all(ps, order_wait_take(ps, id, 0));
}

void order_wait_expire(struct pizza_service *ps, long long now_ms) {
    if (atomic_load(&ps->waits_pending) > 0)
        order_wait_answer_all(ps, order_wait_take(ps, NULL, now_ms));
}

void order_wait_close(struct pizza_service *ps) {
    pthread_mutex_lock(&ps->wait_lock);
    ps->waits_closed = 1;
    struct order_wait *all = ps->waits;
    ps->waits = NULL;
    atomic_store(&ps->waits_pending, 0);
    pthread_mutex_unlock(&ps->wait_lock);
    order_wait_answer_all(ps, all);
}
