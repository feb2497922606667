#include "clock.h"
#include "event.h"
#include "kafka.h"
#include "log.h"
#include "parse.h"
#include "pizza_service.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

static int order_new_id(char out[ORDER_ID_LEN + 1]) {
    unsigned char b[16];
    if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b)) return -1;
    b[6] = (b[6] & 0x0f) | 0x40; /* UUID version 4 */
    b[8] = (b[8] & 0x3f) | 0x80; /* RFC 4122 variant */
    snprintf(out, ORDER_ID_LEN + 1,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
             b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
             b[15]);
    return 0;
}

struct pending_order *order_queue_take(struct pizza_service *ps, long max) {
    pthread_mutex_lock(&ps->queue_lock);
    struct pending_order *list = ps->queue_head, **cut = &ps->queue_head;
    for (long n = 0; *cut && n < max; n++)
        cut = &(*cut)->next;
    ps->queue_head = *cut; /* the rest waits for the next batch */
    *cut = NULL;
    if (!ps->queue_head) ps->queue_tail = &ps->queue_head;
    pthread_mutex_unlock(&ps->queue_lock);
    return list;
}

static void order_enqueue(struct pizza_service *ps, struct pending_order *po) {
    pthread_mutex_lock(&ps->queue_lock);
    *ps->queue_tail = po;
    ps->queue_tail = &po->next;
    pthread_mutex_unlock(&ps->queue_lock);
    consumer_wake(ps->consumer); /* the main loop may be waiting for completions */
}

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
    char pizza_id[ORDER_ID_LEN + 24], err[256] = "out of memory", trace_id[TRACE_ID_LEN + 1];
    const struct log_where w = order_where(po, trace_id);
    if (order_log_order(ps, po, err, sizeof(err)) == -1) {
        log_at(LOG_WARN, &w, "order %s: not queued: %s", po->id, err);
        return -1;
    }
    for (long i = 1; i <= po->count; i++) {
        snprintf(pizza_id, sizeof(pizza_id), "%s-%ld", po->id, i);
        int rc = event_write_new(&ps->encoded, po->id, pizza_id);
        rd_kafka_headers_t *h = rd_kafka_headers_new(1); /* the producer takes it */
        rd_kafka_header_add(h, TRACE_HEADER, -1, po->traceparent, -1);
        struct producer_msg m = {ps->order_rkt,    RD_KAFKA_PARTITION_UA, po->id, ORDER_ID_LEN,
                                 ps->encoded.data, ps->encoded.len,       h};
        if (rc == 0)
            rc = producer_send(ps->producer, &m, (int)ps->send_wait_ms, err, sizeof(err));
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
    char location[16 + ORDER_ID_LEN];
    http_add_header(po->req, TRACE_HEADER, po->traceparent);
    if (outcome != PRODUCER_COMMITTED) {
        /* none of it is visible; if a late commit makes it so, the changelog
         * brings the order back */
        orders_remove(ps->orders, po->id);
        metric_add(ps->orders_failed, 1);
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
    metric_add(ps->orders_accepted, 1);
    snprintf(location, sizeof(location), "/order/%s", po->id);
    http_add_header(po->req, "Location", location);
    http_reply_json(po->req, 201,
                    json_pack("{s:s, s:I}", "order_id", po->id, "count", (json_int_t)po->count));
}

void order_answer_all(struct pizza_service *ps, struct pending_order *list,
                      enum producer_outcome outcome) {
    while (list) {
        struct pending_order *next = list->next;
        order_answer(ps, list, outcome);
        free(list);
        list = next;
    }
}

static enum http_result order_reject(struct http_req *r, const char *why) {
    http_add_header(r, "Retry-After", "1");
    http_reply_error(r, 503, "%s", why);
    return HTTP_DONE;
}

/* [orders] post_rate_per_s and post_burst, per client address.
 * @returns 0 when the POST may go on, else its 429 is sent. */
static int order_rate_limited(struct pizza_service *ps, struct http_req *r) {
    unsigned char addr[16];
    char after[24];
    if (!ps->post_limit) return 0;
    size_t len = http_client_addr(r, addr, sizeof(addr));
    long wait = ratelimit_take(ps->post_limit, addr, len, clock_now_ms());
    if (wait == 0) return 0;
    metric_add(ps->posts_limited, 1);
    snprintf(after, sizeof(after), "%ld", wait);
    http_add_header(r, "Retry-After", after);
    http_reply_error(r, 429, "too many orders from this address; retry in %ld s", wait);
    return 1;
}

/* The order gets a span of its own: in the caller's trace when the request
 * carries a valid traceparent, else in a new one (as the spec says). */
static int order_trace(struct http_req *r, char out[TRACEPARENT_LEN + 1]) {
    const char *given = http_header(r, TRACE_HEADER);
    struct trace_ctx parent, ours;
    int rc = given && trace_parse(given, strlen(given), &parent) == 0 ? trace_child(&parent, &ours)
                                                                      : trace_start(&ours);
    if (rc == 0) trace_format(&ours, out);
    return rc;
}

/* The order is stored as pending right away, so a full store refuses it
 * before anything is written; a batch that fails removes it again. */
static enum http_result order_accept(struct pizza_service *ps, struct http_req *r, long count) {
    struct pending_order *po = calloc(1, sizeof(*po));
    if (!po) return order_reject(r, "out of memory");
    if (order_new_id(po->id) == -1 || order_trace(r, po->traceparent) == -1) {
        free(po);
        return order_reject(r, "no randomness for an order id");
    }
    const struct order_origin origin = {po->traceparent, 1};
    switch (orders_create(ps->orders, po->id, count, clock_wall_ms(), &origin)) {
    case ORDERS_OK:
        break;
    case ORDERS_FULL:
        free(po);
        return order_reject(r, "too many orders in progress");
    case ORDERS_BUSY:
        free(po);
        metric_add(ps->posts_busy, 1);
        return order_reject(r, "too many pizzas in progress; retry later");
    case ORDERS_NOMEM:
    case ORDERS_DUPLICATE: /* a fresh random id: never */
    case ORDERS_UNKNOWN:
    case ORDERS_INVALID:
        free(po);
        return order_reject(r, "cannot store the order");
    }
    po->req = r;
    po->count = count;
    order_enqueue(ps, po);
    return HTTP_ASYNC;
}

static enum http_result order_post(struct http_req *r, const char *param, void *arg) {
    struct pizza_service *ps = arg;
    long count;
    if (parse_count(param, ps->max_count, &count) == -1) {
        http_reply_error(r, 400, "count must be a whole number from 1 to %ld", ps->max_count);
        return HTTP_DONE;
    }
    if (order_rate_limited(ps, r)) return HTTP_DONE;
    atomic_fetch_add(&ps->posting, 1); /* shutdown takes the queue once this is back to 0 */
    enum http_result res = !service_running()           ? order_reject(r, "shutting down")
                           : !atomic_load(&ps->serving) ? order_reject(r, "restoring state")
                           : !kafka_brokers_up()        ? order_reject(r, "Kafka is unreachable")
                                                        : order_accept(ps, r, count);
    atomic_fetch_sub(&ps->posting, 1);
    return res;
}

static enum http_result order_get(struct http_req *r, const char *param, void *arg) {
    struct pizza_service *ps = arg;
    const char *wait = http_query(r, "wait");
    long seconds = 0;
    if (!parse_is_order_id(param)) {
        http_reply_error(r, 400, "malformed order id: expected 1 to %d of [A-Za-z0-9_-]",
                         PIZZA_ORDER_ID_MAX);
        return HTTP_DONE;
    }
    if (wait && parse_uint(wait, ps->max_wait_s, &seconds) == -1) {
        http_reply_error(r, 400, "wait must be a whole number of seconds from 0 to %ld",
                         ps->max_wait_s);
        return HTTP_DONE;
    }
    /* an order not restored yet is not unknown */
    if (!atomic_load(&ps->serving)) return order_reject(r, "restoring state");
    return order_wait(ps, r, param, seconds);
}

int order_api_start(struct pizza_service *ps) {
    const struct http_route routes[] = {
        {"POST", "/order/*", order_post, ps},
        {"GET", "/order/*", order_get, ps},
    };
    return service_start_http(&ps->svc, routes, sizeof(routes) / sizeof(routes[0]));
}
