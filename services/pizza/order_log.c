/* Main thread: the changelog's records, written into the open batch and
 * applied to the order store as they are read back (restore and tail). */
#include "clock.h"
#include "kafka.h"
#include "kafka_trace.h"
#include "log.h"
#include "order_record.h"
#include "parse.h"
#include "pizza_service.h"

#include <stdio.h>
#include <string.h>

/* Changelog records (order_record.h). Key: order id (order record) or pizza
 * id (pizza record), so compaction keeps one record of each. The header
 * pizza.record says which; pizza.order names the order of a pizza record. */
#define ORDER_LOG_KIND ORDER_RECORD_KIND_HEADER
#define ORDER_LOG_ORDER ORDER_RECORD_ORDER_HEADER
/* A record as large as any max_event_bytes lets in, plus the id a seed event
 * gets: not today's setting, which may be lower than when it was written. */
#define ORDER_LOG_MAX_BYTES ((size_t)(1 << 20) + 1024)

static int order_log_send(struct pizza_service *ps, const char *order_id, const char *key,
                          const void *value, size_t len, const char *kind, const char *traceparent,
                          char *err, size_t sz) {
    struct pizza_main *pm = &ps->main;
    PIZZA_MAIN_THREAD_ONLY(ps);
    rd_kafka_headers_t *h = rd_kafka_headers_new(3);
    rd_kafka_header_add(h, ORDER_LOG_KIND, -1, kind, -1);
    rd_kafka_header_add(h, ORDER_LOG_ORDER, -1, order_id, -1);
    if (traceparent && traceparent[0]) rd_kafka_header_add(h, TRACE_HEADER, -1, traceparent, -1);
    /* every record of an order in one partition, so they are read in order */
    int32_t partition = rd_kafka_msg_partitioner_murmur2(
        pm->changelog_rkt, order_id, strlen(order_id), pm->changelog_partitions, NULL, NULL);
    struct producer_msg m = {pm->changelog_rkt, partition, key, strlen(key), value, len, h};
    return producer_send(pm->producer, &m, (int)ps->set.send_wait_ms, err, sz) == 0 ? 0 : -1;
}

int order_log_order(struct pizza_service *ps, const struct pending_order *po, char *err,
                    size_t sz) {
    char value[256];
    int n =
        snprintf(value, sizeof(value),
                 "{\"order_id\":\"%s\",\"count\":%ld,\"created_ms\":%lld,\"traceparent\":\"%s\"}",
                 po->id, po->count, clock_wall_ms(), po->traceparent);
    return order_log_send(ps, po->id, po->id, value, (size_t)n, "order", po->traceparent, err, sz);
}

int order_log_pizza(struct pizza_service *ps, const char *order_id, const char *pizza_id,
                    const char *json, size_t len, const char *traceparent, char *err, size_t sz) {
    return order_log_send(ps, order_id, pizza_id, json, len, "pizza", traceparent, err, sz);
}

/* An order completed: the instance that took it times it (restored orders
 * are not timed: they completed long ago). */
static void order_log_completed(struct pizza_service *ps, const char *order_id,
                                const struct orders_completion *done, struct log_where w) {
    struct trace_ctx c;
    if (trace_parse(done->traceparent, strlen(done->traceparent), &c) == 0) w.trace_id = c.trace_id;
    if (done->local && ps->main.consumer) /* set once the restore is over */
        histogram_observe(ps->main.completion_seconds,
                          (double)(clock_wall_ms() - done->created_ms) / 1000.0);
    log_at(LOG_DEBUG, &w, "order %s complete", order_id);
}

static void order_log_count(struct pizza_service *ps, enum orders_rc rc, const char *order_id,
                            const struct orders_completion *done, const struct log_where *w) {
    switch (rc) {
    case ORDERS_OK:
        metric_add(ps->main.pizzas_done, 1);
        if (done->completed) order_log_completed(ps, order_id, done, *w);
        held_gets_wake(&ps->desk.gets, ps->orders, order_id, done->completed);
        break;
    case ORDERS_DUPLICATE:
        metric_add(ps->main.pizzas_dup, 1);
        break;
    case ORDERS_UNKNOWN: /* expired, or evicted when the store was full */
        metric_add(ps->main.pizzas_stray, 1);
        log_at(LOG_DEBUG, w, "pizza of unknown order %s", order_id);
        break;
    case ORDERS_NOMEM:
        log_at(LOG_ERROR, w, "out of memory storing a pizza");
        break;
    case ORDERS_FULL: /* only orders_create refuses for these */
    case ORDERS_BUSY:
    case ORDERS_INVALID:
        log_at(LOG_ERROR, w, "pizza of order %s not stored", order_id);
        break;
    }
}

/* The headers, key and value of m as order_record_decode() takes them. */
static struct order_record_in order_log_in(const rd_kafka_message_t *m) {
    struct order_record_in in = {NULL, NULL, m->key, m->payload, 0, 0, m->key_len, m->len};
    rd_kafka_headers_t *h = NULL;
    if (rd_kafka_message_headers(m, &h) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        if (rd_kafka_header_get_last(h, ORDER_LOG_KIND, &in.kind, &in.kind_len)) in.kind = NULL;
        if (rd_kafka_header_get_last(h, ORDER_LOG_ORDER, &in.order, &in.order_len)) in.order = NULL;
    }
    return in;
}

static void order_log_apply_order(struct pizza_service *ps, const struct order_record *r,
                                  const struct log_where *w) {
    const struct order_origin origin = {r->traceparent[0] ? r->traceparent : NULL, 0};
    enum orders_rc rc = orders_create(ps->orders, r->order_id, r->count, r->created_ms, &origin);
    if (rc != ORDERS_OK && rc != ORDERS_DUPLICATE) /* a duplicate: this instance made it */
        log_at(LOG_WARN, w, "changelog: order %s not stored (%d)", r->order_id, (int)rc);
}

void order_log_apply(const rd_kafka_message_t *m, void *arg) {
    struct pizza_service *ps = arg;
    char trace_id[TRACE_ID_LEN + 1], err[PIZZA_EVENT_ERR_MAX];
    struct log_where w = trace_where(m, trace_id);
    rd_kafka_timestamp_type_t tstype;
    struct orders_completion done;
    struct order_record r;
    const struct order_record_in in = order_log_in(m);
    PIZZA_MAIN_THREAD_ONLY(ps);
    order_record_init(&r);
    if (order_record_decode(&r, &in, ORDER_LOG_MAX_BYTES, err, sizeof(err)) == -1) {
        log_at(LOG_WARN, &w, "changelog: bad record skipped: %s", err);
    } else if (r.kind == ORDER_RECORD_ORDER) {
        order_log_apply_order(ps, &r, &w);
    } else if (r.kind == ORDER_RECORD_ORDER_GONE) {
        orders_remove(ps->orders, r.order_id);
    } else if (r.kind == ORDER_RECORD_PIZZA) {
        order_log_count(ps,
                        orders_add_pizza(ps->orders, r.order_id, r.pizza.id, m->payload, m->len,
                                         rd_kafka_message_timestamp(m, &tstype), &done),
                        r.order_id, &done, &w);
    }
    order_record_free(&r);
}
