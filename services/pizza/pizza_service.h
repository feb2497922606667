#ifndef PIZZA_PIZZA_SERVICE_H
#define PIZZA_PIZZA_SERVICE_H
#include <pthread.h>
#include <stdatomic.h>

#include "batch.h"
#include "changelog.h"
#include "consumer.h"
#include "intake.h"
#include "kafka_trace.h"
#include "metrics.h"
#include "orders.h"
#include "parse.h"
#include "producer.h"
#include "ratelimit.h"
#include "service.h"

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
 * all go to the changelog partition of its id, in the order they happened. */
#define ORDER_ID_LEN 36 /* UUID text */
/* Client addresses whose POST rate is tracked at once (~40 bytes each); more
 * take the place of idle or least recently seen ones (ratelimit.h). */
#define PIZZA_POST_LIMIT_CLIENTS 8192

/* A POST waiting for the batch that carries its order to commit. */
struct pending_order {
    struct http_req *req;
    struct pending_order *next;
    long count;
    char id[ORDER_ID_LEN + 1];
    char traceparent[TRACEPARENT_LEN + 1]; /* the order's own span */
};

/* A GET /order/{id}?wait=N held until the order completes or the deadline. */
struct order_wait {
    struct http_req *req;
    long long deadline_ms; /* clock_now_ms() clock */
    struct order_wait *next;
    char id[PIZZA_ORDER_ID_MAX + 1];
};

struct pizza_service {
    struct service svc;
    const char *order_topic, *done_topic, *changelog_topic, *group; /* owned by svc.cfg */
    rd_kafka_topic_t *order_rkt, *changelog_rkt;                    /* owned by producer */
    int changelog_partitions;
    long max_count, send_wait_ms, commit_timeout_ms, max_batch, retention_s, max_event_bytes,
        max_wait_s, max_orders, max_pending_pizzas, max_complete_pizzas, post_rate_per_s,
        post_burst;       /* [orders] */
    struct intake intake; /* completions */
    struct buf encoded;   /* an event being written by the main thread; reused */
    struct orders *orders;
    struct ratelimit *post_limit; /* NULL: POSTs not rate limited */
    struct producer *producer;
    struct consumer *consumer; /* completions; group shared by all instances */
    struct changelog *changelog;
    pthread_mutex_t queue_lock; /* POSTs waiting for the next batch */
    struct pending_order *queue_head, **queue_tail;
    atomic_int posting; /* POST handlers between their running check and enqueueing */
    atomic_int serving; /* state restored and consumer up: POSTs are taken */
    struct pending_order *batch_orders; /* in the open batch, answered when it ends */
    struct batch batch;                 /* completions consumed in the open batch */
    int batch_failed;                   /* something could not be added: abort it */
    pthread_mutex_t wait_lock;          /* long-polling GETs */
    struct order_wait *waits;
    int waits_closed;         /* shutting down: answer at once */
    atomic_int waits_pending; /* listed or being listed: the main loop skips the lock at 0 */
    struct metric *orders_accepted, *orders_failed, *pizzas_done, *pizzas_dup, *pizzas_stray,
        *pending_gauge, *complete_gauge, *expired, *pending_pizzas_gauge, *complete_pizzas_gauge,
        *posts_limited, *posts_busy;
    struct histogram *completion_seconds;
};

/* [orders]: what pizza-service reads besides every daemon's sections */
extern const struct cfg_section pizza_orders_section;

/** @returns 0 to run, 1 when done already (-h), -1 on error (reported). */
int pizza_init(struct pizza_service *ps, int argc, char **argv);
void pizza_run(struct pizza_service *ps);
/** @returns the exit code. */
int pizza_shutdown(struct pizza_service *ps, int init_rc);

/* order_api.c: HTTP side */
int order_api_start(struct pizza_service *ps);
/** Moves the queued POSTs out (thread-safe). @returns the list, NULL if none. */
struct pending_order *order_queue_take(struct pizza_service *ps, long max);
/** Adds one order's records to the open batch. @returns 0, or -1 (batch must fail). */
int order_send(struct pizza_service *ps, struct pending_order *po);
/** Answers every POST of list by how its batch ended (201 when committed,
 * else 503) and frees it. */
void order_answer_all(struct pizza_service *ps, struct pending_order *list,
                      enum producer_outcome outcome);

/* order_wait.c: GET /order/{id}?wait=SECONDS, answered without holding a thread */
/** Answers at once when the order is unknown (404) or complete, else holds r
 * until order_wait_wake() or the deadline. */
enum http_result order_wait(struct pizza_service *ps, struct http_req *r, const char *id,
                            long seconds);
/** Answers the GETs waiting for id, which just completed. */
void order_wait_wake(struct pizza_service *ps, const char *id);
/** Answers the GETs whose deadline passed with the order as it is. */
void order_wait_expire(struct pizza_service *ps, long long now_ms);
/** Answers every waiting GET and every later one at once (shutting down). */
void order_wait_close(struct pizza_service *ps);

/* order_log.c: the changelog's records */
/** Adds the record of order po. @returns 0, or -1 with err set. */
int order_log_order(struct pizza_service *ps, const struct pending_order *po, char *err, size_t sz);
/** Adds a finished pizza record (json as received; traceparent, NULL if none,
 * as it came with the pizza). @returns 0, or -1 with err set. */
int order_log_pizza(struct pizza_service *ps, const char *order_id, const char *pizza_id,
                    const char *json, size_t len, const char *traceparent, char *err, size_t sz);
/** changelog_apply_fn: applies one changelog record to ps->orders. */
void order_log_apply(const rd_kafka_message_t *m, void *ps);

#endif
