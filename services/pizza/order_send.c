/* Main thread: a taken POST's order into the open batch, and the POST's
 * answer once that batch ended. */
#include "event.h"
#include "log.h"
#include "pizza_service.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Log coordinates of an order: its id and trace. */
static struct log_where order_where(const struct pending_order *po,
                                    char trace_id[TRACE_ID_LEN + 1]) {
    struct trace_ctx c;
    trace_id[0] = '\0';
    if (trace_parse(po->traceparent, strlen(po->traceparent), &c) == 0)
        memcpy(trace_id, c.trace_id, TRACE_ID_LEN + 1);
    return (struct log_where){.partition = -1,
                              .offset = -1,
                              .key = po->id,
                              .key_len = ORDER_ID_LEN,
                              .trace_id = trace_id};
}

int order_send(struct pizza_service *ps, struct pending_order *po) {
    struct pizza_main *pm = &ps->main;
    char pizza_id[ORDER_ID_LEN + 24], err[256] = "out of memory", trace_id[TRACE_ID_LEN + 1];
    const struct log_where w = order_where(po, trace_id);
    PIZZA_MAIN_THREAD_ONLY(ps);
    if (order_log_order(ps, po, err, sizeof(err)) == -1) {
        log_at(LOG_WARN, &w, "order %s: not queued: %s", po->id, err);
        return -1;
    }
    for (long i = 1; i <= po->count; i++) {
        snprintf(pizza_id, sizeof(pizza_id), "%s-%ld", po->id, i);
        int rc = event_write_new(&pm->encoded, po->id, pizza_id);
        rd_kafka_headers_t *h = rd_kafka_headers_new(1); /* the producer takes it */
        rd_kafka_header_add(h, TRACE_HEADER, -1, po->traceparent, -1);
        struct producer_msg m = {pm->order_rkt,    RD_KAFKA_PARTITION_UA, po->id, ORDER_ID_LEN,
                                 pm->encoded.data, pm->encoded.len,       h};
        if (rc == 0)
            rc = producer_send(pm->producer, &m, (int)ps->set.send_wait_ms, err, sizeof(err));
        else
            rd_kafka_headers_destroy(h);
        if (rc != 0) {
            log_at(LOG_WARN, &w, "order %s: pizza %ld not queued: %s", po->id, i, err);
            return -1;
        }
    }
    log_at(LOG_DEBUG, &w, "order %s: %ld pizzas queued", po->id, po->count);
    return 0;
}

static void order_answer(struct pizza_service *ps, struct pending_order *po,
                         enum producer_outcome outcome) {
    struct pizza_main *pm = &ps->main;
    char location[16 + ORDER_ID_LEN];
    http_add_header(po->req, TRACE_HEADER, po->traceparent);
    if (outcome != PRODUCER_COMMITTED) {
        /* none of it is visible; if a late commit makes it so, the changelog
         * brings the order back */
        orders_remove(ps->orders, po->id);
        metric_add(pm->orders_failed, 1);
        http_add_header(po->req, "Retry-After", "1");
        if (outcome == PRODUCER_UNKNOWN)
            http_reply_error(po->req, 503,
                             "order %s not confirmed in time; it may still be accepted: "
                             "GET /order/%s will tell",
                             po->id, po->id);
        else
            http_reply_error(po->req, 503, "order not accepted: Kafka did not take it; retry");
        return;
    }
    metric_add(pm->orders_accepted, 1);
    snprintf(location, sizeof(location), "/order/%s", po->id);
    http_add_header(po->req, "Location", location);
    http_reply_json(po->req, 201,
                    json_pack("{s:s, s:I}", "order_id", po->id, "count", (json_int_t)po->count));
}

void order_answer_all(struct pizza_service *ps, struct pending_order *list,
                      enum producer_outcome outcome) {
    PIZZA_MAIN_THREAD_ONLY(ps);
    while (list) {
        struct pending_order *next = list->next;
        order_answer(ps, list, outcome);
        free(list);
        list = next;
    }
}
