#include "order_record.h"

#include "orders.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

/* @returns 1 when bytes [p, p+len) are exactly the text s. */
static int order_record_is(const void *p, size_t len, const char *s) {
    return p && len == strlen(s) && memcmp(p, s, len) == 0;
}

/* Copies the pizza.order header into r->order_id. @returns 0, or -1 (err set). */
static int order_record_order_id(struct order_record *r, const struct order_record_in *in,
                                 char *err, size_t sz) {
    if (!in->order || in->order_len == 0 || in->order_len > PIZZA_ORDER_ID_MAX ||
        memchr(in->order, '\0', in->order_len)) {
        snprintf(err, sz, "header %s missing or not an order id", ORDER_RECORD_ORDER_HEADER);
        return -1;
    }
    memcpy(r->order_id, in->order, in->order_len);
    r->order_id[in->order_len] = '\0';
    if (!parse_is_order_id(r->order_id)) {
        snprintf(err, sz, "header %s is not an order id", ORDER_RECORD_ORDER_HEADER);
        return -1;
    }
    return 0;
}

/* The order record's value. @returns 0, or -1 (err set). */
static int order_record_order(struct order_record *r, const struct order_record_in *in, char *err,
                              size_t sz) {
    json_error_t jerr;
    json_int_t count, created;
    const char *order_id;
    json_t *traceparent = NULL;
    struct trace_ctx unused;
    int rc = -1;
    json_t *doc = json_loadb(in->value, in->value_len, JSON_REJECT_DUPLICATES, &jerr);
    if (!doc) {
        snprintf(err, sz, "not JSON: %s", jerr.text);
    } else if (json_unpack_ex(doc, &jerr, 0, "{s:s, s:I, s:I, s?o}", "order_id", &order_id, "count",
                              &count, "created_ms", &created, "traceparent", &traceparent) != 0) {
        snprintf(err, sz, "not an order record: %s", jerr.text);
    } else if (strcmp(order_id, r->order_id) != 0) {
        snprintf(err, sz, "\"order_id\" is not the header's");
    } else if (count < 1 || count > PIZZA_ORDERS_MAX_COUNT) {
        snprintf(err, sz, "\"count\" %lld out of 1..%d", (long long)count, PIZZA_ORDERS_MAX_COUNT);
    } else if (created < 0) {
        snprintf(err, sz, "negative \"created_ms\"");
    } else if (traceparent && !json_is_string(traceparent)) {
        snprintf(err, sz, "\"traceparent\" is not a string");
    } else {
        r->count = (long)count;
        r->created_ms = (long long)created;
        /* records of older versions have none; a bad one is not shown */
        const char *tp = traceparent ? json_string_value(traceparent) : "";
        if (strlen(tp) == TRACEPARENT_LEN && trace_parse(tp, TRACEPARENT_LEN, &unused) == 0)
            memcpy(r->traceparent, tp, TRACEPARENT_LEN + 1);
        rc = 0;
    }
    json_decref(doc);
    return rc;
}

/* The finished pizza's value. @returns 0, or -1 (err set). */
static int order_record_pizza(struct order_record *r, const struct order_record_in *in,
                              size_t max_bytes, char *err, size_t sz) {
    static const struct event_origin none = {"", 0, 0};
    if (event_decode(&r->pizza, in->value, in->value_len, max_bytes, &none, err, sz) == -1)
        return -1;
    if (r->pizza.derived_id || !order_record_is(in->key, in->key_len, r->pizza.id)) {
        snprintf(err, sz, "the key is not the pizza's id");
        return -1;
    }
    if (strcmp(r->pizza.order_id, r->order_id) != 0) {
        snprintf(err, sz, "the pizza's order_id is not the header's");
        return -1;
    }
    return 0;
}

int order_record_decode(struct order_record *r, const struct order_record_in *in, size_t max_bytes,
                        char *err, size_t sz) {
    int order = order_record_is(in->kind, in->kind_len, "order");
    r->count = 0;
    r->created_ms = 0;
    r->traceparent[0] = '\0';
    if (!order && !order_record_is(in->kind, in->kind_len, "pizza")) {
        snprintf(err, sz, "header %s missing or unknown", ORDER_RECORD_KIND_HEADER);
        return -1;
    }
    if (order_record_order_id(r, in, err, sz) == -1) return -1;
    if (order && !order_record_is(in->key, in->key_len, r->order_id)) {
        snprintf(err, sz, "the key is not the order id");
        return -1;
    }
    if (!in->value) {
        r->kind = order ? ORDER_RECORD_ORDER_GONE : ORDER_RECORD_PIZZA_GONE;
        return 0;
    }
    if (in->value_len > max_bytes) {
        snprintf(err, sz, "too large: %zu bytes, limit %zu", in->value_len, max_bytes);
        return -1;
    }
    r->kind = order ? ORDER_RECORD_ORDER : ORDER_RECORD_PIZZA;
    return order ? order_record_order(r, in, err, sz)
                 : order_record_pizza(r, in, max_bytes, err, sz);
}

void order_record_free(struct order_record *r) {
    if (r) event_free(&r->pizza);
}
