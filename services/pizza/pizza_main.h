#ifndef PIZZA_PIZZA_MAIN_H
#define PIZZA_PIZZA_MAIN_H
#include <pthread.h>

#include "batch.h"
#include "buf.h"
#include "changelog.h"
#include "consumer.h"
#include "intake.h"
#include "metrics.h"
#include "order_desk.h"
#include "producer.h"

/* The main thread of pizza-service and what it alone touches: the Kafka
 * clients, the open batch and the metrics it keeps. Every function declared
 * here runs on it (pizza_main.c, order_send.c, order_log.c), as do
 * pizza_init and pizza_shutdown; HTTP threads reach it only through the
 * order desk (order_desk.h). */
struct pizza_service;

struct pizza_main {
    pthread_t thread; /* the one all the rest belongs to */
    struct producer *producer;
    rd_kafka_topic_t *order_rkt, *changelog_rkt; /* owned by producer */
    int changelog_partitions;
    struct consumer *consumer; /* completions; group shared by all instances; NULL until restored */
    struct changelog *changelog;
    struct intake intake;               /* completions */
    struct buf encoded;                 /* an event being written; reused */
    struct pending_order *batch_orders; /* in the open batch, answered when it ends */
    struct batch batch;                 /* completions consumed in the open batch */
    struct metric *orders_accepted, *orders_failed, *pizzas_done, *pizzas_dup, *pizzas_stray,
        *pending_gauge, *complete_gauge, *expired, *pending_pizzas_gauge, *complete_pizzas_gauge;
    struct histogram *completion_seconds;
};

/* Stops the daemon when called off the main thread. Always checked (assert()
 * is compiled out under NDEBUG, which RelWithDebInfo sets): a call from an
 * HTTP thread is a data race on Kafka state that nothing else would catch. */
#define PIZZA_MAIN_THREAD_ONLY(ps) pizza_main_check_thread(&(ps)->main, __func__)
void pizza_main_check_thread(const struct pizza_main *pm, const char *func);

/* pizza_main.c: the loop */
/** Creates the Kafka clients (the consumer waits for pizza_main_run).
 * @returns 0, or -1 (logged). */
int pizza_main_open(struct pizza_service *ps);
/** Restores the orders, joins the group, opens the desk, then runs batches
 * until the service stops. */
void pizza_main_run(struct pizza_service *ps);
/** Shutting down, the desk closed: commits the open batch, then every queued
 * POST, and answers them.
 * Without a consumer (never restored) they are refused instead. */
void pizza_main_drain(struct pizza_service *ps);
/** Leaves the group (the revoke hook commits), then closes the changelog
 * reader and the producer. */
void pizza_main_close(struct pizza_service *ps);

/* order_send.c: a taken POST's records in the open batch, and its answer */
/** Adds one order's records to the open batch. @returns 0, or -1 (batch must fail). */
int order_send(struct pizza_service *ps, struct pending_order *po);
/** Answers every POST of list by how its batch ended (201 when committed,
 * else 503) and frees it. */
void order_answer_all(struct pizza_service *ps, struct pending_order *list,
                      enum producer_outcome outcome);

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
