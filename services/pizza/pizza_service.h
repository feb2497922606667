#ifndef PIZZA_PIZZA_SERVICE_H
#define PIZZA_PIZZA_SERVICE_H
#include <pthread.h>
#include <stdatomic.h>

#include "consumer.h"
#include "intake.h"
#include "metrics.h"
#include "orders.h"
#include "producer.h"
#include "service.h"

/* pizza-service: takes orders over HTTP, writes their pizzas to the order
 * topic, and collects finished pizzas from the completion topic. */
struct pizza_service {
    struct service svc;
    const char *order_topic, *done_topic;
    rd_kafka_topic_t *order_rkt; /* owned by producer */
    long max_count, send_wait_ms;
    struct intake intake; /* completions */
    struct orders *orders;
    struct producer *producer; /* the HTTP threads produce; the main thread polls */
    struct consumer *consumer; /* completions, polled by the main thread */
    atomic_int posting;        /* POST handlers inside Kafka calls */
    pthread_t poller;          /* serves the producer's delivery reports */
    int poller_started;
    atomic_int poller_stop; /* set by shutdown, which may come without a signal */
    struct metric *orders_accepted, *orders_failed, *pizzas_done, *pizzas_dup, *pizzas_stray,
        *pending_gauge, *complete_gauge;
};

/** @returns 0 to run, 1 when done already (-h), -1 on error (reported). */
int pizza_init(struct pizza_service *ps, int argc, char **argv);
void pizza_run(struct pizza_service *ps);
/** @returns the exit code. */
int pizza_shutdown(struct pizza_service *ps, int init_rc);

/* order_api.c */
int order_api_start(struct pizza_service *ps);
/** Delivery callback for the order producer: completes POSTs. */
void order_api_on_delivery(void *msg_opaque, rd_kafka_resp_err_t err, void *arg);

#endif
