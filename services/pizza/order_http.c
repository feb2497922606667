/* HTTP threads: POST and GET /order. They read the settings, the order
 * store and the rate limit (thread-safe), and hand work to the main loop
 * through the desk (order_desk.h); nothing of struct pizza_main. */
#include "clock.h"
#include "kafka.h"
#include "parse.h"
#include "pizza_service.h"

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
    const char *why = NULL;
    switch (order_desk_post(&ps->desk, po)) {
    case ORDER_DESK_QUEUED:
        return HTTP_ASYNC; /* the main loop answers */
    case ORDER_DESK_NOT_OPEN:
        why = "restoring state";
        break;
    case ORDER_DESK_CLOSED:
        why = "shutting down";
        break;
    }
    orders_remove(ps->orders, po->id); /* stored, but never written */
    free(po);
    return order_reject(r, why);
}

/* The main loop publishes its consumer once every order is restored. */
static int order_http_serving(struct pizza_service *ps) {
    return service_consumer(&ps->svc) != NULL;
}

static enum http_result order_post(struct http_req *r, const char *param, void *arg) {
    struct pizza_service *ps = arg;
    long count;
    if (parse_count(param, ps->set.max_count, &count) == -1) {
        http_reply_error(r, 400, "count must be a whole number from 1 to %ld", ps->set.max_count);
        return HTTP_DONE;
    }
    if (order_rate_limited(ps, r)) return HTTP_DONE;
    /* cheap refusals first; the desk decides again under its lock */
    if (!service_running()) return order_reject(r, "shutting down");
    if (!order_http_serving(ps)) return order_reject(r, "restoring state");
    if (!kafka_brokers_up()) return order_reject(r, "Kafka is unreachable");
    return order_accept(ps, r, count);
}

static enum http_result order_get(struct http_req *r, const char *param, void *arg) {
    struct pizza_service *ps = arg;
    const char *wait = http_query(r, "wait"), *after = http_query(r, "after");
    long seconds = 0, pizzas = HELD_GETS_UNTIL_COMPLETE;
    if (!parse_is_order_id(param)) {
        http_reply_error(r, 400, "malformed order id: expected 1 to %d of [A-Za-z0-9_-]",
                         PIZZA_ORDER_ID_MAX);
        return HTTP_DONE;
    }
    if (wait && parse_uint(wait, ps->set.max_wait_s, &seconds) == -1) {
        http_reply_error(r, 400, "wait must be a whole number of seconds from 0 to %ld",
                         ps->set.max_wait_s);
        return HTTP_DONE;
    }
    if (after && parse_uint(after, ps->set.max_count, &pizzas) == -1) {
        http_reply_error(r, 400, "after must be a whole number of pizzas from 0 to %ld",
                         ps->set.max_count);
        return HTTP_DONE;
    }
    /* an order not restored yet is not unknown */
    if (!order_http_serving(ps)) return order_reject(r, "restoring state");
    return held_gets_hold(&ps->desk.gets, ps->orders, r, param, seconds, pizzas);
}

int order_http_start(struct pizza_service *ps) {
    struct http_route routes[2 + WEB_PAGE_FILES] = {
        {"POST", "/order/*", order_post, ps},
        {"GET", "/order/*", order_get, ps},
    };
    web_page_routes(&ps->web, routes + 2);
    return service_start_http(&ps->svc, routes, sizeof(routes) / sizeof(routes[0]));
}
