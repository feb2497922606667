#include "event.h"
#include "log.h"
#include "parse.h"
#include "pizza_service.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define ORDER_ID_LEN 36 /* UUID text */

/* A POST awaiting its delivery reports. The HTTP request stays suspended
 * until the last report; whoever drops `remaining` to zero answers it. */
struct pending_order {
    struct pizza_service *ps;
    struct http_req *req;
    atomic_long remaining; /* unreported messages, +1 while the handler still sends */
    atomic_int failed;
    long count;
    char id[ORDER_ID_LEN + 1];
};

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

static void pending_finish(struct pending_order *po) {
    struct pizza_service *ps = po->ps;
    char location[16 + ORDER_ID_LEN];
    if (atomic_load(&po->failed)) {
        /* pizzas that did get through find no order and are dropped as strays */
        orders_remove(ps->orders, po->id);
        metric_add(ps->orders_failed, 1);
        http_add_header(po->req, "Retry-After", "1");
        http_reply_error(po->req, 503, "order not accepted: Kafka did not take it; retry");
    } else {
        metric_add(ps->orders_accepted, 1);
        snprintf(location, sizeof(location), "/order/%s", po->id);
        http_add_header(po->req, "Location", location);
        http_reply_json(
            po->req, 201,
            json_pack("{s:s, s:I}", "order_id", po->id, "count", (json_int_t)po->count));
    }
    free(po);
}

static void pending_release(struct pending_order *po, long n) {
    if (atomic_fetch_sub(&po->remaining, n) == n) pending_finish(po);
}

void order_api_on_delivery(void *msg_opaque, rd_kafka_resp_err_t err, void *arg) {
    struct pending_order *po = msg_opaque;
    (void)arg;
    if (!po) return;
    if (err) atomic_store(&po->failed, 1);
    pending_release(po, 1);
}

/* @returns how many pizzas were queued; each of those will report back. */
static long order_send_pizzas(struct pending_order *po) {
    struct pizza_service *ps = po->ps;
    char pizza_id[ORDER_ID_LEN + 24], err[256];
    for (long i = 1; i <= po->count; i++) {
        struct event ev;
        size_t len = 0;
        snprintf(pizza_id, sizeof(pizza_id), "%s-%ld", po->id, i);
        char *value = event_new(&ev, po->id, pizza_id) == 0 ? event_encode(&ev, &len) : NULL;
        event_clear(&ev);
        snprintf(err, sizeof(err), "out of memory");
        int rc = value ? producer_send(ps->producer, ps->order_rkt, po->id, ORDER_ID_LEN, value,
                                       len, po, (int)ps->send_wait_ms, err, sizeof(err))
                       : -1;
        free(value);
        if (rc != 0) {
            log_warn("order %s: pizza %ld not queued: %s", po->id, i, err);

            return i - 1;
        }
    }
    return po->count;
}

static enum http_result order_reject(struct http_req *r, const char *why) {
    http_add_header(r, "Retry-After", "1");
    http_reply_error(r, 503, "%s", why);
    return HTTP_DONE;
}

static enum http_result order_accept(struct pizza_service *ps, struct http_req *r, long count) {
    struct pending_order *po = calloc(1, sizeof(*po));
    if (!po) return order_reject(r, "out of memory");
    if (order_new_id(po->id) == -1) {
        free(po);
        return order_reject(r, "no randomness for an order id");
    }
    switch (orders_create(ps->orders, po->id, count)) {
    case ORDERS_OK:
        break;
    case ORDERS_FULL:
        free(po);
        return order_reject(r, "too many orders in progress");
    default:
        free(po);
        return order_reject(r, "cannot store the order");
    }
    po->ps = ps;
    po->req = r;
    po->count = count;
    atomic_store(&po->remaining, count + 1);
    long queued = order_send_pizzas(po);
    if (queued < count) {
        atomic_store(&po->failed, 1);
        pending_release(po, count - queued); /* never queued: no report will come */
    }
    pending_release(po, 1); /* may answer right here if every report is in */
    return HTTP_ASYNC;
}

static enum http_result order_post(struct http_req *r, const char *param, void *arg) {
    struct pizza_service *ps = arg;
    long count;
    if (parse_count(param, ps->max_count, &count) == -1) {
        http_reply_error(r, 400, "count must be a whole number from 1 to %ld", ps->max_count);
        return HTTP_DONE;
    }
    atomic_fetch_add(&ps->posting, 1); /* shutdown waits for this before closing Kafka */
    enum http_result res =
        service_running() ? order_accept(ps, r, count) : order_reject(r, "shutting down");
    atomic_fetch_sub(&ps->posting, 1);
    return res;
}

static enum http_result order_get(struct http_req *r, const char *param, void *arg) {
    struct pizza_service *ps = arg;
    size_t len;
    if (!parse_is_order_id(param)) {
        http_reply_error(r, 400, "malformed order id: expected 1 to %d of [A-Za-z0-9_-]",
                         PIZZA_ORDER_ID_MAX);
        return HTTP_DONE;
    }
    char *body = orders_render(ps->orders, param, &len);
    if (!body) {
        http_reply_error(r, 404, "no such order: %s", param);
        return HTTP_DONE;
    }
    http_reply(r, 200, "application/json", body, len);
    free(body);
    return HTTP_DONE;
}

int order_api_start(struct pizza_service *ps) {
    const struct http_route routes[] = {
        {"POST", "/order/*", order_post, ps},
        {"GET", "/order/*", order_get, ps},
    };
    return service_start_http(&ps->svc, routes, sizeof(routes) / sizeof(routes[0]));
}
