/* The main thread: owns Kafka, runs the batches (pizza_service.h). */
#include "pizza_main.h"

#include "clock.h"
#include "event.h"
#include "kafka.h"
#include "kafka_trace.h"
#include "log.h"
#include "pizza_service.h"
#include "watchdog.h"

#include <stdlib.h>

#define PIZZA_HOUSEKEEPING_MS 1000
/* An idle main loop wakes this often to read other instances' changelog
 * records; POSTs (order_desk_post) and completions wake it at once. */
#define PIZZA_IDLE_WAIT_MS 20

void pizza_main_check_thread(const struct pizza_main *pm, const char *func) {
    if (pthread_equal(pthread_self(), pm->thread)) return;
    log_error("%s runs on the main thread only: called from another", func);
    abort();
}

/* batch_owner.ended: the batch carried orders, finished pizzas and
 * completion offsets; its POSTs learn how it ended (201 when committed, 503
 * when not, and when unknown they are told so). Every batch of this service
 * ends here, a revoke's too. */
static void pizza_batch_ended(void *arg, enum producer_outcome o) {
    struct pizza_service *ps = arg;
    PIZZA_MAIN_THREAD_ONLY(ps);
    order_answer_all(ps, ps->main.batch_orders, o);
    ps->main.batch_orders = NULL;
}

int pizza_main_open(struct pizza_service *ps) {
    struct pizza_main *pm = &ps->main;
    const struct pizza_settings *set = &ps->set;
    struct service *s = &ps->svc;
    char err[512];
    if (!(pm->producer = service_producer_new(s, err, sizeof(err))) ||
        !(pm->order_rkt = producer_topic(pm->producer, set->order_topic, err, sizeof(err))) ||
        !(pm->changelog_rkt =
              producer_topic(pm->producer, set->changelog_topic, err, sizeof(err))) ||
        intake_init(&pm->intake, set->done_topic, (size_t)set->max_event_bytes, pm->producer,
                    s->name, err, sizeof(err)) == -1 ||
        !(pm->changelog = changelog_new(s->cfg, s->name, set->changelog_topic, err, sizeof(err)))) {
        log_error("kafka: %s", err);
        return -1;
    }
    /* a POST waits for its batch: it gets a 503 rather than hang in an outage */
    producer_set_commit_timeout(pm->producer, set->commit_timeout_ms);
    /* a batch whose commit timed out is redone too: its completion records
     * are keyed by pizza id, so a second copy changes nothing */
    const struct batch_owner owner = {NULL, pizza_batch_ended, ps, 1};
    /* no age limit: a POST waits for its batch, which the interval bounds */
    const struct cadence cadence = {set->max_batch, 0, set->commit_interval_ms};
    batch_init(&pm->batch, pm->producer, &owner, &cadence, NULL);
    return 0;
}

/* Adds a finished pizza's changelog record to the batch: the bytes as they
 * came, re-encoded only for a seed event whose id we derived. */
static enum batch_step pizza_complete(struct pizza_service *ps, const rd_kafka_message_t *m) {
    struct pizza_main *pm = &ps->main;
    const struct event *ev;
    char err[256] = "out of memory", traceparent[TRACEPARENT_LEN + 1], trace_id[TRACE_ID_LEN + 1];
    const char *json = m->payload;
    size_t len = m->len;
    switch (intake_decode(&pm->intake, m, &ev)) {
    case INTAKE_OK:
        break;
    case INTAKE_POISON: /* dead-lettered in this batch */
        batch_track(&pm->batch, m);
        return BATCH_HANDLED;
    case INTAKE_REDO:
        return BATCH_REDO;
    case INTAKE_STOPPING:
        return BATCH_STOP;
    }
    int rc = 0;
    if (ev->derived_id) {
        rc = event_write(ev, NULL, NULL, &pm->encoded);
        json = pm->encoded.data;
        len = pm->encoded.len;
    }
    int traced = kafka_header_copy(m, TRACE_HEADER, traceparent, sizeof(traceparent)) == 0;
    if (rc == 0)
        rc = order_log_pizza(ps, ev->order_id, ev->id, json, len, traced ? traceparent : NULL, err,
                             sizeof(err));
    if (rc == -1) {
        const struct log_where w = trace_where(m, trace_id);
        log_at(LOG_WARN, &w, "finished pizzas not recorded; redoing them: %s", err);
        return BATCH_REDO;
    }
    batch_track(&pm->batch, m);
    return BATCH_HANDLED;
}

/* The queued POSTs join the open batch, as many as it has room for.
 * @returns how many joined. */
static long pizza_take_orders(struct pizza_service *ps) {
    struct pizza_main *pm = &ps->main;
    long room = ps->set.max_batch - pm->batch.count - pm->batch.others, n = 0;
    struct pending_order *orders = room > 0 ? order_desk_take(&ps->desk, room) : NULL;
    if (orders && producer_begin(pm->producer) == -1) { /* e.g. the last commit is unsettled */
        order_answer_all(ps, orders, PRODUCER_ABORTED);
        return 0;
    }
    for (struct pending_order *po = orders, *next; po; po = next, n++) {
        next = po->next;
        /* one order that cannot be written fails the batch: nothing half-made */
        if (!pm->batch.failed && order_send(ps, po) == -1) batch_fail(&pm->batch);
        po->next = pm->batch_orders;
        pm->batch_orders = po;
    }
    batch_add_others(&pm->batch, n);
    return n;
}

/* One step of the open batch: the queued POSTs join it, then the
 * completions that are there, the first waited for up to wait_ms (a POST
 * ends the wait); then it is committed if due (batch_due). A stopping
 * service commits at every step. @returns how long the next step may wait. */
static long pizza_cycle(struct pizza_service *ps, long wait) {
    PIZZA_MAIN_THREAD_ONLY(ps);
    struct pizza_main *pm = &ps->main;
    enum batch_step step = BATCH_HANDLED;
    int dry = pizza_take_orders(ps) == 0;
    if (!dry) wait = 0;
    while (step == BATCH_HANDLED && !pm->batch.failed &&
           pm->batch.count + pm->batch.others < ps->set.max_batch && service_running()) {
        rd_kafka_message_t *m = consumer_poll(pm->consumer, (int)wait);
        if (!m) break;
        wait = 0;
        dry = 0;
        step = pizza_complete(ps, m);
        if (step == BATCH_REDO) batch_redo(&pm->batch, &m, 1); /* it is read again */
        rd_kafka_message_destroy(m);
    }
    /* dry: nothing came this step */
    if (step == BATCH_HANDLED && !pm->batch.failed && service_running() &&
        !batch_due(&pm->batch, dry, PIZZA_IDLE_WAIT_MS, &wait))
        return wait;
    batch_finish(&pm->batch, 1);
    return PIZZA_IDLE_WAIT_MS;
}

static void pizza_housekeeping(struct pizza_service *ps) {
    struct pizza_main *pm = &ps->main;
    struct orders_stats st;
    metric_add(pm->expired,
               (int64_t)orders_expire(ps->orders, clock_wall_ms() - ps->set.retention_s * 1000));
    orders_stats(ps->orders, &st);
    metric_set(pm->pending_gauge, (int64_t)st.pending);
    metric_set(pm->complete_gauge, (int64_t)st.complete);
    metric_set(pm->pending_pizzas_gauge, (int64_t)st.pending_pizzas);
    metric_set(pm->complete_pizzas_gauge, (int64_t)st.complete_pizzas);
}

/* Before taking orders: fence an earlier run of this instance (its open
 * transaction is aborted), restore every order, then join the group. */
static int pizza_prepare(struct pizza_service *ps) {
    struct pizza_main *pm = &ps->main;
    struct service *s = &ps->svc;
    char err[512];
    const char *topics[] = {ps->set.done_topic, NULL};
    struct consumer_hooks hooks = {NULL, NULL, batch_on_revoke, &pm->batch};
    if (producer_init(pm->producer) == -1) return -1;
    if (changelog_restore(pm->changelog, order_log_apply, ps) == -1) {
        if (service_running()) service_fail("cannot restore the orders");
        return -1;
    }
    pm->changelog_partitions = changelog_partition_count(pm->changelog);
    pizza_housekeeping(ps);
    if (!(pm->consumer =
              consumer_new(s->cfg, s->name, ps->set.group, topics, &hooks, err, sizeof(err)))) {
        log_error("kafka: %s", err);
        service_fail("cannot consume completions");
        return -1;
    }
    batch_attach(&pm->batch, pm->consumer);
    order_desk_open(&ps->desk, pm->consumer);
    service_publish_consumer(s, pm->consumer); /* after the desk: a POST that sees it gets in */
    log_info("taking orders (%s)", s->exactly_once ? "exactly-once" : "at-least-once");
    return 0;
}

void pizza_main_run(struct pizza_service *ps) {
    struct pizza_main *pm = &ps->main;
    if (pizza_prepare(ps) == -1) return;
    long long last = clock_now_ms();
    long wait = PIZZA_IDLE_WAIT_MS;
    while (service_running()) {
        wait = pizza_cycle(ps, wait);
        /* every client's queue is served every cycle, idle or not: a producer
         * configured with statistics gets a document every interval, and only
         * a batch's commit would serve it otherwise (an idle service grew
         * ~20 kB/s and its first order then waited for the backlog) */
        producer_poll(pm->producer, 0);
        changelog_poll(pm->changelog, order_log_apply, ps, 0);
        held_gets_expire(&ps->desk.gets, ps->orders, clock_now_ms());
        if (clock_now_ms() - last >= PIZZA_HOUSEKEEPING_MS) {
            pizza_housekeeping(ps);
            last = clock_now_ms();
        }
    }
}

void pizza_main_drain(struct pizza_service *ps) {
    struct pizza_main *pm = &ps->main;
    PIZZA_MAIN_THREAD_ONLY(ps);
    if (!pm->consumer) { /* never restored: nothing was taken, but be sure */
        order_answer_all(ps, order_desk_take(&ps->desk, 1L << 30), PRODUCER_ABORTED);
        return;
    }
    /* the running check fails, so every step commits: the open batch, then
     * the queued POSTs */
    do
        pizza_cycle(ps, 0);
    while (!order_desk_empty(&ps->desk));
}

void pizza_main_close(struct pizza_service *ps) {
    struct pizza_main *pm = &ps->main;
    PIZZA_MAIN_THREAD_ONLY(ps);
    if (pm->consumer) {
        watchdog_step("leaving the consumer group");
        service_publish_consumer(&ps->svc, NULL);
        consumer_free(pm->consumer); /* its revoke hook ends the open batch */
        pm->consumer = NULL;
        batch_attach(&pm->batch, NULL);
    }
    watchdog_step("closing the changelog reader");
    changelog_free(pm->changelog);
    watchdog_step("flushing the producer");
    producer_free(pm->producer, 2000); /* batches are committed or aborted by now */
    batch_free(&pm->batch);
    intake_free(&pm->intake);
    buf_free(&pm->encoded);
}
