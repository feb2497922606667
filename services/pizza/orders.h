#ifndef PIZZA_ORDERS_H
#define PIZZA_ORDERS_H
#include <stddef.h>

#include "trace.h"

/* In-memory order store of pizza-service: order id -> count and the distinct
 * finished pizzas (raw JSON, deduplicated by pizza id). Complete orders leave
 * after a retention time (orders_expire), or, oldest first, to make room for a
 * new order when max_orders are held, or for a newly complete one when their
 * pizzas would pass max_complete_pizzas. Pending orders never leave on their own.
 *
 * Admission (orders this instance takes, origin->local): refused while the
 * pending orders' pizzas plus its count would pass max_pending_pizzas
 * (ORDERS_BUSY), or while max_orders are held and none is complete
 * (ORDERS_FULL). Orders from the changelog are always stored: they exist, and
 * whoever took them admitted them under the same bound (the store holds every
 * instance's orders, so the bound is the pipeline's, not one instance's).
 * Thread-safe. */
struct orders; /* opaque */

enum orders_rc {
    ORDERS_OK = 0,
    ORDERS_DUPLICATE, /* pizza already stored (a redelivery) */
    ORDERS_UNKNOWN,   /* no such order */
    ORDERS_FULL,      /* max_orders pending: nothing can be evicted */
    ORDERS_BUSY,      /* the pending orders' pizzas would pass max_pending_pizzas */
    ORDERS_NOMEM,
    ORDERS_INVALID, /* not an order id (parse_is_order_id), or count not 1..PIZZA_ORDERS_MAX_COUNT
                     */
};

/* The largest count an order can have: the top of [orders] max_count's range.
 * A count comes from the changelog too, so it must be bounded here: each order
 * allocates count slots. */
#define PIZZA_ORDERS_MAX_COUNT 10000

/* What the store holds at most. */
struct orders_limits {
    size_t max_orders;          /* pending and complete */
    size_t max_pending_pizzas;  /* pending orders' counts, for this instance's POSTs */
    size_t max_complete_pizzas; /* complete orders' pizzas; at least PIZZA_ORDERS_MAX_COUNT */
};
/** @returns NULL on allocation failure. Free with orders_free(). */
struct orders *orders_new(const struct orders_limits *limits);
void orders_free(struct orders *o); /* NULL-safe */

/* Where an order came from, kept with it. */
struct order_origin {
    const char *traceparent; /* W3C context it was created under; NULL or "" when none */
    int local; /* this instance takes its POST: admission applies; it times the completion */
};

/** created_ms: wall-clock creation time (orders must be created roughly in
 * time order for orders_expire to find the old ones first); a time later than
 * the wall clock now is taken as now. origin may be NULL. */
enum orders_rc orders_create(struct orders *o, const char *id, long count, long long created_ms,
                             const struct order_origin *origin);
void orders_remove(struct orders *o, const char *id);
/* An order that its last pizza just completed. */
struct orders_completion {
    int completed; /* the rest is set only when 1 */
    long long created_ms;
    int local;
    char traceparent[TRACEPARENT_LEN + 1];
};

/** Stores a finished pizza; json is copied and must be one valid JSON value.
 * now_ms is the wall-clock time, kept as the completion time of the last one
 * (no later than the wall clock now).
 * done (may be NULL) tells whether this pizza completed its order. */
enum orders_rc orders_add_pizza(struct orders *o, const char *order_id, const char *pizza_id,
                                const char *json, size_t len, long long now_ms,
                                struct orders_completion *done);
/** Drops complete orders that completed before cutoff_ms. @returns how many. */
size_t orders_expire(struct orders *o, long long cutoff_ms);
/* How far an order is. */
struct orders_progress {
    long pizzas; /* stored so far */
    int complete;
};
/** {"id","count","status":"pending"|"complete","traceparent"?,"pizzas":[...]};
 * *progress (may be NULL) tells how far it is.
 * @returns malloc'd text (caller frees), or NULL for an unknown order or no memory. */
char *orders_render(struct orders *o, const char *id, size_t *len,
                    struct orders_progress *progress);
/** @returns 0 with *progress set, or -1 for an unknown order. */
int orders_progress(struct orders *o, const char *id, struct orders_progress *progress);

struct orders_stats {
    size_t pending, complete; /* orders */
    size_t pending_pizzas;    /* the counts of the pending orders */
    size_t complete_pizzas;   /* the pizzas of the complete orders */
};
void orders_stats(struct orders *o, struct orders_stats *out);

#endif
