#ifndef PIZZA_ORDER_RECORD_H
#define PIZZA_ORDER_RECORD_H
#include <stddef.h>

#include "event.h"
#include "parse.h"
#include "trace.h"

/* A record of pizza-orders-changelog, decoded and checked. Pure: no Kafka.
 *
 * Headers: pizza.record = "order" | "pizza", pizza.order = the order id.
 * An order record is keyed by its order id, its value
 * {"order_id":id,"count":1..PIZZA_ORDERS_MAX_COUNT,"created_ms":>=0,
 *  "traceparent":"..."?}; a finished pizza's record is keyed by the pizza id,
 * its value the pizza event (its "id" is the key, its "order_id" the order).
 * A null value (tombstone) forgets the order (order records) or nothing.
 * Anything else is not ours: the caller skips it. */
#define ORDER_RECORD_KIND_HEADER "pizza.record"
#define ORDER_RECORD_ORDER_HEADER "pizza.order"

enum order_record_kind {
    ORDER_RECORD_ORDER,      /* an order: order_id, count, created_ms, traceparent */
    ORDER_RECORD_ORDER_GONE, /* an order's tombstone: order_id */
    ORDER_RECORD_PIZZA,      /* a finished pizza: order_id, pizza (id, json, len) */
    ORDER_RECORD_PIZZA_GONE, /* a pizza's tombstone: nothing to do */
};

/* The record as read: any pointer may be NULL (absent). */
struct order_record_in {
    const void *kind, *order, *key, *value;
    size_t kind_len, order_len, key_len, value_len;
};

struct order_record {
    enum order_record_kind kind;
    char order_id[PIZZA_ORDER_ID_MAX + 1];
    long count;
    long long created_ms;
    char traceparent[TRACEPARENT_LEN + 1]; /* "" when none or not a valid one */
    struct event pizza; /* ORDER_RECORD_PIZZA: borrows in->value; reused across decodes */
};

static inline void order_record_init(struct order_record *r) {
    *r = (struct order_record){0};
}
/** Decodes and checks one record; values over max_bytes are refused.
 * @returns 0, or -1 with the reason in err (skip the record). */
int order_record_decode(struct order_record *r, const struct order_record_in *in, size_t max_bytes,
                        char *err, size_t sz);
void order_record_free(struct order_record *r); /* NULL-safe */

#endif
