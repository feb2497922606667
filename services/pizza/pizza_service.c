#include "pizza_service.h"

#include "clock.h"
#include "event.h"
#include "kafka.h"
#include "log.h"
#include "watchdog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PIZZA_HOUSEKEEPING_MS 1000
/* An idle main loop wakes this often to read other instances' changelog
 * records; POSTs and completions wake it at once. */
#define PIZZA_IDLE_WAIT_MS 20

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
                         "Finished pizzas of orders no longer held (expired or evicted)", NULL);
    ps->expired = metrics_register(METRIC_COUNTER, "pizza_orders_expired_total",
                                   "Complete orders dropped after [orders] retention_s", NULL);
    ps->pending_gauge = metrics_register(METRIC_GAUGE, "pizza_orders", "Orders held, by status",
                                         "status=\"pending\"");
    ps->complete_gauge = metrics_register(METRIC_GAUGE, "pizza_orders", "Orders held, by status",
                                          "status=\"complete\"");
    ps->pending_pizzas_gauge =
        metrics_register(METRIC_GAUGE, "pizza_pending_pizzas",
                         "Pizzas of the pending orders held (every instance's), against "
                         "[orders] max_pending_pizzas",
                         NULL);
    ps->complete_pizzas_gauge = metrics_register(
        METRIC_GAUGE, "pizza_complete_pizzas",
        "Pizzas of the complete orders held, against [orders] max_complete_pizzas", NULL);
    ps->posts_limited = metrics_register(METRIC_COUNTER, "pizza_orders_refused_total",
                                         "POSTs refused before anything was written, by reason",
                                         "reason=\"rate_limit\"");
    ps->posts_busy = metrics_register(METRIC_COUNTER, "pizza_orders_refused_total",
                                      "POSTs refused before anything was written, by reason",
                                      "reason=\"pending_pizzas\"");
    ps->completion_seconds = metrics_histogram(
        "pizza_order_completion_seconds",
        "From an order's creation to its last pizza, timed by the instance that took it", NULL,
        METRICS_LATENCY_BOUNDS, METRICS_LATENCY_BOUNDS_N);
}

static const struct cfg_setting pizza_orders_rows[] = {
    CFG_STR("order_topic", struct pizza_service, order_topic, "pizza"),
    CFG_STR("completed_topic", struct pizza_service, done_topic, "pizza-with-veggies"),
    CFG_STR("group_id", struct pizza_service, group, "pizza-service"),
    CFG_STR("changelog_topic", struct pizza_service, changelog_topic, "pizza-orders-changelog"),
    CFG_INT("max_count", struct pizza_service, max_count, 100, 1, PIZZA_ORDERS_MAX_COUNT),
    CFG_INT("max_orders", struct pizza_service, max_orders, 100000, 1, 100000000),
    CFG_INT("retention_s", struct pizza_service, retention_s, 3600, 1, 365L * 24 * 3600),
    CFG_INT("send_wait_ms", struct pizza_service, send_wait_ms, 1000, 0, 60000),
    CFG_INT("commit_timeout_ms", struct pizza_service, commit_timeout_ms, 5000, 100, 600000),
    CFG_INT("max_batch_messages", struct pizza_service, max_batch, 10000, 1, 1000000),
    CFG_INT("max_event_bytes", struct pizza_service, max_event_bytes, 65536, 64, 1 << 20),
    CFG_INT("max_wait_s", struct pizza_service, max_wait_s, 30, 0, 3600),
    CFG_INT("max_pending_pizzas", struct pizza_service, max_pending_pizzas, 1000000, 1, 1000000000),
    CFG_INT("max_complete_pizzas", struct pizza_service, max_complete_pizzas, 1000000,
            PIZZA_ORDERS_MAX_COUNT, 1000000000),
    CFG_INT("post_rate_per_s", struct pizza_service, post_rate_per_s, 0, 0, 1000000),
    CFG_INT("post_burst", struct pizza_service, post_burst, 0, 0, 1000000),
};
const struct cfg_section pizza_orders_section = CFG_SECTION("orders", pizza_orders_rows);

static int pizza_ready(void *arg, char *why, size_t sz) {
    struct pizza_service *ps = arg;
    if (!atomic_load(&ps->serving)) {
        snprintf(why, sz, "restoring orders from %s", ps->changelog_topic);
        return 0;
    }
    return consumer_ready(ps->consumer, why, sz);
}

static int pizza_open(struct pizza_service *ps) {
    struct service *s = &ps->svc;
    char err[512];
    pthread_mutex_init(&ps->queue_lock, NULL);
    pthread_mutex_init(&ps->wait_lock, NULL);
    ps->queue_tail = &ps->queue_head;
    /* either 0: no limit */
    if (ps->post_rate_per_s > 0 && ps->post_burst > 0 &&
        !(ps->post_limit = ratelimit_new((double)ps->post_rate_per_s, (double)ps->post_burst,
                                         PIZZA_POST_LIMIT_CLIENTS))) {
        log_error("out of memory");
        return -1;
    }
    const struct orders_limits limits = {(size_t)ps->max_orders, (size_t)ps->max_pending_pizzas,
                                         (size_t)ps->max_complete_pizzas};
    if (!(ps->orders = orders_new(&limits))) {
        log_error("out of memory");
        return -1;
    }
    pizza_register_metrics(ps);
    if (!(ps->producer = producer_new(s->cfg, s->name, s->exactly_once, err, sizeof(err))) ||
        !(ps->order_rkt = producer_topic(ps->producer, ps->order_topic, err, sizeof(err))) ||
        !(ps->changelog_rkt =
              producer_topic(ps->producer, ps->changelog_topic, err, sizeof(err))) ||
        intake_init(&ps->intake, ps->done_topic, (size_t)ps->max_event_bytes, ps->producer, s->name,
                    err, sizeof(err)) == -1 ||
        !(ps->changelog = changelog_new(s->cfg, s->name, ps->changelog_topic, err, sizeof(err)))) {
        log_error("kafka: %s", err);
        return -1;
    }
    /* a POST waits for its batch: it gets a 503 rather than hang in an outage */
    producer_set_commit_timeout(ps->producer, ps->commit_timeout_ms);
    s->ready = pizza_ready;
    s->ready_arg = ps;
    return order_api_start(ps);
}

int pizza_init(struct pizza_service *ps, int argc, char **argv) {
    memset(ps, 0, sizeof(*ps));
    const struct service_def def = {"pizza-service", "config/pizza.ini", 5000,
                                    &pizza_orders_section, ps};
    int rc = service_init(&ps->svc, &def, argc, argv);
    if (rc != 0) return rc;
    return pizza_open(ps) == 0 ? 0 : -1;
}

/* Ends the open batch: commits orders, finished pizzas and completion offsets
 * together, then answers the batch's POSTs. On failure nothing of it is
 * visible (exactly-once): the POSTs get 503 and the completions are redone.
 * When the commit timed out its outcome is unknown: the POSTs are told so,
 * and the completions are redone all the same (their records are keyed by
 * pizza id, so a second copy changes nothing). */
static void pizza_finish(struct pizza_service *ps, int may_commit) {
    enum producer_outcome o = PRODUCER_ABORTED;
    if (may_commit && !ps->batch_failed)
        o = producer_commit(ps->producer, ps->batch.next, ps->consumer);
    else
        producer_abort(ps->producer);
    if (o == PRODUCER_FAILED) service_fail("cannot commit: fenced by another instance or fatal");
    if (o != PRODUCER_COMMITTED && may_commit && ps->batch.start &&
        consumer_seek(ps->consumer, ps->batch.start) == -1)
        service_fail("cannot rewind the completions");
    order_answer_all(ps, ps->batch_orders, o);
    ps->batch_orders = NULL;
    ps->batch_failed = 0;
    batch_free(&ps->batch);
}

static void pizza_on_revoke(const rd_kafka_topic_partition_list_t *parts, int lost, void *arg) {
    (void)parts;
    /* commit while we still own the partitions; lost ones belong to someone else already */
    pizza_finish(arg, !lost);
}

/* Adds a finished pizza's changelog record to the batch: the bytes as they
 * came, re-encoded only for a seed event whose id we derived.
 * @returns 0 when handled (including dead-lettered), -1 to stop before it. */
static int pizza_complete(struct pizza_service *ps, const rd_kafka_message_t *m) {
    const struct event *ev;
    char err[256] = "out of memory", traceparent[TRACEPARENT_LEN + 1], trace_id[TRACE_ID_LEN + 1];
    const char *json = m->payload;
    size_t len = m->len;
    enum intake_rc decoded = intake_decode(&ps->intake, m, &ev);
    if (decoded == INTAKE_STOPPING) return -1;
    if (decoded == INTAKE_REDO) { /* redone after the abort, and not hammered */
        ps->batch_failed = 1;
        producer_poll(ps->producer, PRODUCER_REDO_PAUSE_MS);
    }
    if (decoded != INTAKE_OK) return 0;
    int rc = 0;
    if (ev->derived_id) {
        rc = event_write(ev, NULL, NULL, &ps->encoded);
        json = ps->encoded.data;
        len = ps->encoded.len;
    }
    int traced = kafka_header_copy(m, TRACE_HEADER, traceparent, sizeof(traceparent)) == 0;
    if (rc == 0)
        rc = order_log_pizza(ps, ev->order_id, ev->id, json, len, traced ? traceparent : NULL, err,
                             sizeof(err));
    if (rc == -1) {
        const struct log_where w = trace_where(m, trace_id);
        log_at(LOG_WARN, &w, "finished pizzas not recorded; redoing them: %s", err);
        ps->batch_failed = 1; /* redone after the abort */
    }
    return 0;
}

/* One batch: the queued POSTs, then the completions that are there. */
static void pizza_cycle(struct pizza_service *ps) {
    struct pending_order *orders = order_queue_take(ps, ps->max_batch);
    if (orders && producer_begin(ps->producer) == -1) { /* e.g. the last commit is unsettled */
        order_answer_all(ps, orders, PRODUCER_ABORTED);
        return;
    }
    for (struct pending_order *po = orders, *next; po; po = next) {
        next = po->next;
        /* one order that cannot be written fails the batch: nothing half-made */
        if (!ps->batch_failed && order_send(ps, po) == -1) ps->batch_failed = 1;
        po->next = ps->batch_orders;
        ps->batch_orders = po;
    }
    int wait = orders ? 0 : PIZZA_IDLE_WAIT_MS;
    while (!ps->batch_failed && ps->batch.count < ps->max_batch && service_running()) {
        rd_kafka_message_t *m = consumer_poll(ps->consumer, wait);
        if (!m) break;
        wait = 0;
        int stop = pizza_complete(ps, m) == -1;
        if (!stop) batch_track(&ps->batch, m);
        rd_kafka_message_destroy(m);
        if (stop) break;
    }
    pizza_finish(ps, 1);
}

static void pizza_housekeeping(struct pizza_service *ps) {
    struct orders_stats st;
    metric_add(ps->expired,
               (int64_t)orders_expire(ps->orders, clock_wall_ms() - ps->retention_s * 1000));
    orders_stats(ps->orders, &st);
    metric_set(ps->pending_gauge, (int64_t)st.pending);
    metric_set(ps->complete_gauge, (int64_t)st.complete);
    metric_set(ps->pending_pizzas_gauge, (int64_t)st.pending_pizzas);
    metric_set(ps->complete_pizzas_gauge, (int64_t)st.complete_pizzas);
}

/* Before taking orders: fence an earlier run of this instance (its open
 * transaction is aborted), restore every order, then join the group. */
static int pizza_prepare(struct pizza_service *ps) {
    struct service *s = &ps->svc;
    char err[512];
    const char *topics[] = {ps->done_topic, NULL};
    struct consumer_hooks hooks = {NULL, NULL, pizza_on_revoke, ps};
    if (producer_init(ps->producer) == -1) return -1;
    if (changelog_restore(ps->changelog, order_log_apply, ps) == -1) {
        if (service_running()) service_fail("cannot restore the orders");
        return -1;
    }
    ps->changelog_partitions = changelog_partition_count(ps->changelog);
    pizza_housekeeping(ps);
    if (!(ps->consumer =
              consumer_new(s->cfg, s->name, ps->group, topics, &hooks, err, sizeof(err)))) {
        log_error("kafka: %s", err);
        service_fail("cannot consume completions");
        return -1;
    }
    atomic_store(&ps->serving, 1);
    log_info("taking orders (%s)", s->exactly_once ? "exactly-once" : "at-least-once");
    return 0;
}

void pizza_run(struct pizza_service *ps) {
    if (pizza_prepare(ps) == -1) return;
    long long last = clock_now_ms();
    while (service_running()) {
        pizza_cycle(ps);
        /* every client's queue is served every cycle, idle or not: the
         * producer's gets a statistics document a second, and only a batch's
         * commit would serve it otherwise (an idle service grew ~20 kB/s and
         * its first order then waited for the backlog) */
        producer_poll(ps->producer, 0);
        changelog_poll(ps->changelog, order_log_apply, ps, 0);
        order_wait_expire(ps, clock_now_ms());
        if (clock_now_ms() - last >= PIZZA_HOUSEKEEPING_MS) {
            pizza_housekeeping(ps);
            last = clock_now_ms();
        }
    }
}

/* Order matters: no new POSTs, every queued POST committed and answered, HTTP
 * closed (its handlers read what follows), then the group left (the revoke
 * hook commits), then Kafka closed. */
int pizza_shutdown(struct pizza_service *ps, int init_rc) {
    int rc = init_rc == 1 ? 0 : init_rc == -1 ? 2 : service_exit_code();
    if (ps->svc.http) http_quiesce(ps->svc.http);
    watchdog_step("answering waiting requests");
    if (init_rc == 0) order_wait_close(ps); /* before HTTP stops: it needs every reply */
    struct timespec tick = {0, 10 * 1000000};
    for (int i = 0; i < 1000 && atomic_load(&ps->posting) > 0; i++)
        nanosleep(&tick, NULL);
    watchdog_step("committing the queued orders");
    if (ps->consumer) {
        while (ps->queue_head)
            pizza_cycle(ps); /* the running check fails: queued orders only */
        service_stop_http(&ps->svc);
        watchdog_step("leaving the consumer group");
        consumer_free(ps->consumer);
    } else {
        order_answer_all(ps, order_queue_take(ps, 1L << 30), PRODUCER_ABORTED);
        service_stop_http(&ps->svc);
    }
    watchdog_step("closing the changelog reader");
    changelog_free(ps->changelog);
    watchdog_step("flushing the producer");
    producer_free(ps->producer, 2000); /* batches are committed or aborted by now */
    service_shutdown(&ps->svc);
    orders_free(ps->orders);
    ratelimit_free(ps->post_limit);
    batch_free(&ps->batch);
    intake_free(&ps->intake);
    buf_free(&ps->encoded);
    if (init_rc == 0) {
        pthread_mutex_destroy(&ps->queue_lock);
        pthread_mutex_destroy(&ps->wait_lock);
        log_info("stopped");
    }
    return rc;
}
