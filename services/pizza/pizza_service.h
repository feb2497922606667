#ifndef PIZZA_PIZZA_SERVICE_H
#define PIZZA_PIZZA_SERVICE_H
#include "metrics.h"
#include "order_desk.h"
#include "orders.h"
#include "pizza_main.h"
#include "ratelimit.h"
#include "service.h"
#include "web_page.h"

/* pizza-service: takes orders over HTTP and collects finished pizzas.
 *
 * One thread (the main loop) owns Kafka. Each cycle it takes every POST
 * waiting in the queue and every finished pizza the completion consumer has,
 * and writes them in one batch (a transaction when exactly-once): per order
 * its record on the changelog and its pizzas on the order topic; per finished
 * pizza a record on the changelog; plus the completion offsets. Only then are
 * the POSTs answered, 201 or (if the batch failed) 503.
 *
 * The order store is built from the changelog alone (restored at start, then
 * tailed), so every instance answers GET for every order. Records of one order
 * all go to the changelog partition of its id, in the order they happened.
 *
 * Who runs what:
 *   main thread   pizza_service.c (init, shutdown), pizza_main.c (the loop,
 *                 batches), order_send.c (orders into a batch, POST answers),
 *                 order_log.c (changelog records out and in): struct pizza_main
 *   HTTP threads  order_http.c (POST and GET /order): the settings, the order
 *                 store, the rate limit, and the desk only
 *   both          order_desk.c and held_gets.c (behind their locks), orders.c
 *                 and ratelimit.c (thread-safe) */
/* Client addresses whose POST rate is tracked at once (~40 bytes each); more
 * take the place of idle or least recently seen ones (ratelimit.h). */
#define PIZZA_POST_LIMIT_CLIENTS 8192

/* [orders] */
struct pizza_settings {
    const char *order_topic, *done_topic, *changelog_topic, *group; /* owned by svc.cfg */
    long max_count, send_wait_ms, commit_timeout_ms, max_batch, commit_interval_ms, retention_s,
        max_event_bytes, max_wait_s, max_orders, max_pending_pizzas, max_complete_pizzas,
        post_rate_per_s, post_burst;
};

struct pizza_service {
    struct service svc;
    /* any thread: read-only once pizza_init returns, or thread-safe */
    struct pizza_settings set;
    struct orders *orders;
    struct ratelimit *post_limit; /* NULL: POSTs not rate limited */
    struct metric *posts_limited, *posts_busy;
    struct web_page web;
    /* HTTP threads and the main thread, behind its locks */
    struct order_desk desk;
    /* the main thread's alone */
    struct pizza_main main;
};

/* [orders]: what pizza-service reads besides every daemon's sections */
extern const struct cfg_section pizza_orders_section;

/** Main thread, before any other. @returns 0 to run (then pizza_main_run),
 * 1 when done already (-h), -1 on error (reported). */
int pizza_init(struct pizza_service *ps, int argc, char **argv);
/** @returns the exit code. */
int pizza_shutdown(struct pizza_service *ps, int init_rc);

/* order_http.c: HTTP threads */
/** Starts HTTP with POST and GET /order and the page. @returns 0, or -1 (logged). */
int order_http_start(struct pizza_service *ps);

#endif
