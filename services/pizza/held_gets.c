#include "held_gets.h"

#include "clock.h"

#include <stdlib.h>
#include <string.h>

void held_gets_init(struct held_gets *g) {
    memset(g, 0, sizeof(*g));
    pthread_mutex_init(&g->lock, NULL);
}

void held_gets_destroy(struct held_gets *g) {
    pthread_mutex_destroy(&g->lock);
}

/* Answers r with the order as rendered (body NULL: unknown, expired or
 * evicted), and frees body. */
static void held_get_reply(struct http_req *r, const char *id, char *body, size_t len) {
    if (body)
        http_reply(r, 200, "application/json", body, len);
    else
        http_reply_error(r, 404, "no such order: %s", id);
    free(body);
}

static void held_get_answer(struct orders *o, struct http_req *r, const char *id) {
    size_t len;
    char *body = orders_render(o, id, &len, NULL);
    held_get_reply(r, id, body, len);
}

/* Answers and frees every GET of list. */
static void held_get_answer_all(struct orders *o, struct held_get *list) {
    for (struct held_get *h = list, *next; h; h = next) {
        next = h->next;
        held_get_answer(o, h->req, h->id);
        free(h);
    }
}

enum http_result held_gets_hold(struct held_gets *g, struct orders *o, struct http_req *r,
                                const char *id, long seconds, long after) {
    size_t len;
    struct orders_progress now = {0, 0};
    struct held_get *h = NULL;
    if (seconds <= 0) { /* a plain GET */
        held_get_answer(o, r, id);
        return HTTP_DONE;
    }
    /* The GET counts before the order is looked at: held_gets_wake() reads
     * the count without the lock after storing the last pizza, so it either
     * finds it (and then the lock, held until the GET is listed) or ran
     * before this render, which then sees the order complete. Counting after
     * the render let a completion in between go unseen: the GET waited out
     * its deadline for a complete order. The same holds for any pizza. */
    int with_after = after != HELD_GETS_UNTIL_COMPLETE;
    pthread_mutex_lock(&g->lock);
    atomic_fetch_add(&g->pending, 1);
    atomic_fetch_add(&g->afters, with_after);
    char *body = orders_render(o, id, &len, &now);
    int hold = body && !now.complete && now.pizzas <= after && !g->closed &&
               (h = calloc(1, sizeof(*h))) != NULL;
    if (hold) {
        h->req = r;
        h->deadline_ms = clock_now_ms() + seconds * 1000;
        h->after = after;
        strcpy(h->id, id); /* a valid order id fits */
        h->next = g->list;
        g->list = h;
    } else {
        atomic_fetch_sub(&g->pending, 1);
        atomic_fetch_sub(&g->afters, with_after);
    }
    pthread_mutex_unlock(&g->lock);
    if (hold) {
        free(body);
        return HTTP_ASYNC;
    }
    held_get_reply(r, id, body, len); /* complete, unknown, or it cannot wait */
    return HTTP_DONE;
}

/* Moves the GETs that match out of the list: those of id that progress
 * satisfies (NULL: the order is gone), else those whose deadline is before
 * now_ms. */
static struct held_get *held_gets_take(struct held_gets *g, const char *id,
                                       const struct orders_progress *progress, long long now_ms) {
    struct held_get *taken = NULL;
    pthread_mutex_lock(&g->lock);
    for (struct held_get **p = &g->list; *p;) {
        struct held_get *h = *p;
        int match = id ? strcmp(h->id, id) == 0 &&
                             (!progress || progress->complete || progress->pizzas > h->after)
                       : h->deadline_ms <= now_ms;
        if (match) {
            *p = h->next;
            h->next = taken;
            taken = h;
            atomic_fetch_sub(&g->pending, 1);
            atomic_fetch_sub(&g->afters, h->after != HELD_GETS_UNTIL_COMPLETE);
        } else {
            p = &h->next;
        }
    }
    pthread_mutex_unlock(&g->lock);
    return taken;
}

void held_gets_wake(struct held_gets *g, struct orders *o, const char *id, int completed) {
    struct orders_progress now;
    /* both read after the pizza was stored: see held_gets_hold */
    if (atomic_load(&g->pending) == 0 || (!completed && atomic_load(&g->afters) == 0)) return;
    int known = orders_progress(o, id, &now) == 0;
    held_get_answer_all(o, held_gets_take(g, id, known ? &now : NULL, 0));
}

void held_gets_expire(struct held_gets *g, struct orders *o, long long now_ms) {
    if (atomic_load(&g->pending) > 0) held_get_answer_all(o, held_gets_take(g, NULL, NULL, now_ms));
}

void held_gets_close(struct held_gets *g, struct orders *o) {
    pthread_mutex_lock(&g->lock);
    g->closed = 1;
    struct held_get *all = g->list;
    g->list = NULL;
    atomic_store(&g->pending, 0);
    atomic_store(&g->afters, 0);
    pthread_mutex_unlock(&g->lock);
    held_get_answer_all(o, all);
}
