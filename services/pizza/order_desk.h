#ifndef PIZZA_ORDER_DESK_H
#define PIZZA_ORDER_DESK_H
#include <pthread.h>

#include "consumer.h"
#include "held_gets.h"
#include "http.h"
#include "trace.h"

/* Where HTTP threads and the main thread meet, and the only state they
 * share besides the thread-safe order store: the POSTs waiting for the main
 * loop's next batch, the GETs held for their order (held_gets.h), and the
 * wake of the main loop. HTTP threads hand work in (order_desk_post,
 * held_gets_hold); the main thread takes it out. Thread-safe. */
#define ORDER_ID_LEN 36 /* UUID text */

/* A POST waiting for the batch that carries its order to commit. */
struct pending_order {
    struct http_req *req;
    struct pending_order *next;
    long count;
    char id[ORDER_ID_LEN + 1];
    char traceparent[TRACEPARENT_LEN + 1]; /* the order's own span */
};

enum order_desk_post {
    ORDER_DESK_QUEUED,   /* the main loop answers it */
    ORDER_DESK_NOT_OPEN, /* still restoring: refuse it */
    ORDER_DESK_CLOSED,   /* shutting down: refuse it */
};

struct order_desk {
    pthread_mutex_t lock; /* guards the four below */
    struct pending_order *head, **tail;
    struct consumer *main_wait; /* the poll the main loop waits in; NULL until open */
    int closed;
    struct held_gets gets; /* its own lock */
};

void order_desk_init(struct order_desk *d);
/** Answers nothing: the queue must be empty and the GETs closed. */
void order_desk_destroy(struct order_desk *d);

/** Main thread: POSTs are taken from now on, and each ends the wait of
 * main_wait's poll, the one the main loop sleeps in. */
void order_desk_open(struct order_desk *d, struct consumer *main_wait);
/** HTTP threads: queues po for the next batch and wakes the main loop, or
 * refuses it (po stays the caller's). Checked and queued under one lock, so
 * once order_desk_close() returns no POST is on its way into the queue. */
enum order_desk_post order_desk_post(struct order_desk *d, struct pending_order *po);
/** Main thread: moves up to max queued POSTs out. @returns the list, NULL if none. */
struct pending_order *order_desk_take(struct order_desk *d, long max);
/** @returns 1 when no POST is queued. */
int order_desk_empty(struct order_desk *d);
/** Main thread, shutting down: later POSTs are refused and nothing touches
 * main_wait any more; what is queued stays for order_desk_take(). */
void order_desk_close(struct order_desk *d);

#endif
