#include "order_desk.h"

#include <string.h>

void order_desk_init(struct order_desk *d) {
    memset(d, 0, sizeof(*d));
    pthread_mutex_init(&d->lock, NULL);
    d->tail = &d->head;
    held_gets_init(&d->gets);
}

void order_desk_destroy(struct order_desk *d) {
    held_gets_destroy(&d->gets);
    pthread_mutex_destroy(&d->lock);
}

void order_desk_open(struct order_desk *d, struct consumer *main_wait) {
    pthread_mutex_lock(&d->lock);
    d->main_wait = main_wait;
    pthread_mutex_unlock(&d->lock);
}

/* Caller holds the lock, so order_desk_close() leaves no wake in flight.
 * The main loop sleeps inside its completion consumer's poll, so that a
 * finished pizza ends the wait as a POST does: this ends that poll. */
static void order_desk_wake_main(struct order_desk *d) {
    consumer_wake(d->main_wait);
}

enum order_desk_post order_desk_post(struct order_desk *d, struct pending_order *po) {
    enum order_desk_post rc = ORDER_DESK_QUEUED;
    pthread_mutex_lock(&d->lock);
    if (d->closed) {
        rc = ORDER_DESK_CLOSED;
    } else if (!d->main_wait) {
        rc = ORDER_DESK_NOT_OPEN;
    } else {
        po->next = NULL;
        *d->tail = po;
        d->tail = &po->next;
        order_desk_wake_main(d);
    }
    pthread_mutex_unlock(&d->lock);
    return rc;
}

struct pending_order *order_desk_take(struct order_desk *d, long max) {
    pthread_mutex_lock(&d->lock);
    struct pending_order *list = d->head, **cut = &d->head;
    for (long n = 0; *cut && n < max; n++)
        cut = &(*cut)->next;
    d->head = *cut; /* the rest waits for the next batch */
    *cut = NULL;
    if (!d->head) d->tail = &d->head;
    pthread_mutex_unlock(&d->lock);
    return list;
}

int order_desk_empty(struct order_desk *d) {
    pthread_mutex_lock(&d->lock);
    int empty = d->head == NULL;
    pthread_mutex_unlock(&d->lock);
    return empty;
}

void order_desk_close(struct order_desk *d) {
    pthread_mutex_lock(&d->lock);
    d->closed = 1;
    d->main_wait = NULL;
    pthread_mutex_unlock(&d->lock);
}
