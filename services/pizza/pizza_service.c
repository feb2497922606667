#include "pizza_service.h"

#include "event.h"
#include "kafka.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PIZZA_COMMIT_INTERVAL_MS 1000

static void *pizza_poll_deliveries(void *arg) {
    struct pizza_service *ps = arg;
    while (!atomic_load(&ps->poller_stop))
        producer_poll(ps->producer, 100);

    return NULL;
}

static void pizza_register_metrics(struct pizza_service *ps) {
    ps->orders_accepted = metrics_register(METRIC_COUNTER, "pizza_orders_accepted_total",
                                           "Orders durably written to Kafka", NULL);
    ps->orders_failed =
        metrics_register(METRIC_COUNTER, "pizza_orders_rejected_total",
                         "Orders answered 503 because Kafka did not take them", NULL);
    ps->pizzas_done = metrics_register(METRIC_COUNTER, "pizza_pizzas_completed_total",
                                       "Finished pizzas stored with their order", NULL);
    ps->pizzas_dup = metrics_register(METRIC_COUNTER, "pizza_pizzas_duplicate_total",
                                      "Finished pizzas seen again and ignored", NULL);
    ps->pizzas_stray =
        metrics_register(METRIC_COUNTER, "pizza_pizzas_stray_total",
                         "Finished pizzas of orders this instance does not hold", NULL);
    ps->pending_gauge = metrics_register(METRIC_GAUGE, "pizza_orders", "Orders held, by status",
                                         "status=\"pending\"");
    ps->complete_gauge = metrics_register(METRIC_GAUGE, "pizza_orders", "Orders held, by status",
                                          "status=\"complete\"");
}

static int pizza_settings(struct pizza_service *ps) {
    struct service *s = &ps->svc;
    long max_orders, max_event_bytes;
    ps->order_topic = cfg_get_str(s->cfg, "orders", "order_topic", "pizza");
    ps->done_topic = cfg_get_str(s->cfg, "orders", "completed_topic", "pizza-with-veggies");
    if (service_setting(s, "orders", "max_count", 100, 1, 10000, &ps->max_count) ||
        service_setting(s, "orders", "max_orders", 100000, 1, 100000000, &max_orders) ||
        service_setting(s, "orders", "send_wait_ms", 1000, 0, 60000, &ps->send_wait_ms) ||
        service_setting(s, "orders", "max_event_bytes", 65536, 64, 1 << 20, &max_event_bytes))
        return -1;
    intake_init(&ps->intake, ps->done_topic, (size_t)max_event_bytes);

    if (!(ps->orders = orders_new((size_t)max_orders))) {
        log_error("out of memory");
        return -1;
    }
    return 0;
}

static int pizza_open(struct pizza_service *ps) {
    struct service *s = &ps->svc;
    char err[512];
    const char *group = cfg_get_str(s->cfg, "orders", "group_id", "pizza-service");
    if (pizza_settings(ps) == -1) return -1;
    const char *topics[] = {ps->done_topic, NULL};
    pizza_register_metrics(ps);
    if (!(ps->producer =
              producer_new(s->cfg, s->name, order_api_on_delivery, ps, err, sizeof(err))) ||
        !(ps->order_rkt = producer_topic(ps->producer, ps->order_topic, err, sizeof(err))) ||
        !(ps->consumer = consumer_new(s->cfg, s->name, group, topics, NULL, err, sizeof(err)))) {
        log_error("kafka: %s", err);
        return -1;
    }
    if (pthread_create(&ps->poller, NULL, pizza_poll_deliveries, ps) != 0) {
        log_error("cannot start the delivery thread");
        return -1;
    }
    ps->poller_started = 1;
    s->ready = consumer_ready;
    s->ready_arg = ps->consumer;
    return order_api_start(ps);
}

int pizza_init(struct pizza_service *ps, int argc, char **argv) {
    memset(ps, 0, sizeof(*ps));
    int rc = service_init(&ps->svc, "pizza-service", "config/pizza.ini", 5000, argc, argv);

    if (rc != 0) return rc;
    return pizza_open(ps) == 0 ? 0 : -1;
}

static void pizza_count_stored(struct pizza_service *ps, enum orders_rc rc, const struct event *ev,
                               const struct log_where *w) {
    switch (rc) {
    case ORDERS_OK:
        metric_add(ps->pizzas_done, 1);
        break;
    case ORDERS_DUPLICATE:
        metric_add(ps->pizzas_dup, 1);
        break;
    case ORDERS_UNKNOWN:
        metric_add(ps->pizzas_stray, 1);
        log_at(LOG_DEBUG, w, "pizza of unknown order %s", ev->order_id);
        break;
    default:
        log_at(LOG_ERROR, w, "out of memory storing a pizza");
    }
}

/* Stores one finished pizza with its order: the bytes as they came (decoding
 * proved them valid JSON), re-encoded only for a seed event whose id we derived. */
static void pizza_complete(struct pizza_service *ps, const rd_kafka_message_t *m) {
    struct event ev;
    struct log_where w = {ps->done_topic, m->partition, m->offset, m->key, (int)m->key_len};
    char *encoded = NULL;
    const char *json = m->payload;
    size_t len = m->len;
    if (intake_decode(&ps->intake, m, &ev) == -1) return;
    if (ev.derived_id && !(json = encoded = event_encode(&ev, &len))) {
        log_at(LOG_ERROR, &w, "out of memory storing a pizza");
    } else {
        pizza_count_stored(ps, orders_add_pizza(ps->orders, ev.order_id, ev.id, json, len), &ev,
                           &w);
    }
    free(encoded);
    event_clear(&ev);
}

static void pizza_update_gauges(struct pizza_service *ps) {
    struct orders_stats st;
    orders_stats(ps->orders, &st);
    metric_set(ps->pending_gauge, (int64_t)st.pending);
    metric_set(ps->complete_gauge, (int64_t)st.complete);
}

void pizza_run(struct pizza_service *ps) {
    long long last_commit = kafka_now_ms();
    while (service_running()) {
        rd_kafka_message_t *m = consumer_poll(ps->consumer, 100);
        if (m) {
            pizza_complete(ps, m);
            consumer_store(ps->consumer, m);
            rd_kafka_message_destroy(m);
        }
        if (kafka_now_ms() - last_commit >= PIZZA_COMMIT_INTERVAL_MS) {
            consumer_commit_stored(ps->consumer);
            pizza_update_gauges(ps);
            last_commit = kafka_now_ms();
        }
    }
}

/* Order matters: no new POSTs, then every POST answered (its deliveries
 * flushed or purged), then HTTP can stop, then the rest. */
int pizza_shutdown(struct pizza_service *ps, int init_rc) {
    int rc = init_rc == 1 ? 0 : init_rc == -1 ? 2 : service_exit_code();
    if (ps->svc.http) http_quiesce(ps->svc.http);
    struct timespec tick = {0, 10 * 1000000};
    for (int i = 0; i < 1000 && atomic_load(&ps->posting) > 0; i++)
        nanosleep(&tick, NULL);
    atomic_store(&ps->poller_stop, 1);
    if (ps->poller_started) pthread_join(ps->poller, NULL);
    if (ps->consumer) consumer_commit_stored(ps->consumer);
    consumer_free(ps->consumer);
    producer_free(ps->producer, 10000);
    service_shutdown(&ps->svc);
    orders_free(ps->orders);
    if (init_rc == 0) log_info("stopped");
    return rc;
}
