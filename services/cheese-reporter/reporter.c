#include "reporter.h"

#include "clock.h"
#include "event.h"
#include "kafka.h"
#include "log.h"
#include "snapshot.h"
#include "sync.h"
#include "watchdog.h"

#include <stdio.h>
#include <string.h>

static enum http_result reporter_get_report(struct http_req *req, const char *param, void *arg) {
    struct reporter *r = arg;
    (void)param;
    /* public counts: pizza-service's page (another port) may read them */
    http_add_header(req, "Access-Control-Allow-Origin", "*");
    /* a half-restored ledger would show counts that go up without new pizzas */
    if (!changelog_restored(r->changelog)) {
        http_add_header(req, "Retry-After", "1");
        http_reply_error(req, 503, "restoring the counts");
        return HTTP_DONE;
    }
    json_t *doc = ledger_report(r->ledger);
    if (!doc) {
        http_reply_error(req, 503, "out of memory");
        return HTTP_DONE;
    }
    http_reply_json(req, 200, doc);
    return HTTP_DONE;
}

/* service.ready: brokers up, the changelog restored, partitions assigned. */
static int reporter_ready(void *arg, char *why, size_t sz) {
    struct reporter *r = arg;
    int wait_err = atomic_load(&r->offsets_wait_err);
    if (atomic_load(&r->halted)) {
        snprintf(why, sz, "stopped counting");
        return 0;
    }
    if (wait_err) {
        snprintf(why, sz, "waiting %lld s for the group's committed offsets: %s",
                 (clock_now_ms() - atomic_load(&r->offsets_wait_since_ms)) / 1000,
                 rd_kafka_err2str((rd_kafka_resp_err_t)wait_err));
        return 0;
    }
    if (!changelog_restored(r->changelog)) {
        snprintf(why, sz, "restoring from %s", r->changelog_topic);
        return 0;
    }
    return service_consumer_ready(&r->svc, why, sz);
}

static const struct cfg_setting reporter_rows[] = {
    CFG_STR("input_topic", struct reporter, topic, "pizza-with-cheese"),
    CFG_STR("group_id", struct reporter, group, "cheese-reporter"),
    CFG_STR("changelog_topic", struct reporter, changelog_topic, "cheese-report-changelog"),
    CFG_INT("max_batch_messages", struct reporter, max_batch, 10000, 1, 1000000),
    CFG_INT("max_batch_ms", struct reporter, max_batch_ms, 100, 1, 60000),
    CFG_INT_VARIES("commit_interval_ms", struct reporter, commit_interval_ms, 0, 60000,
                   PIZZA_COMMIT_INTERVAL_DEFAULTS),
    CFG_INT("max_event_bytes", struct reporter, max_event_bytes, 65536, 64, 1 << 20),
};
const struct cfg_section reporter_section = CFG_SECTION("reporter", reporter_rows);

static void reporter_register_metrics(struct reporter *r) {
    r->snapshots_written = metrics_register(METRIC_COUNTER, "pizza_reporter_snapshots_total",
                                            "Partition snapshots, by source", "source=\"written\"");
    r->snapshots_applied =
        metrics_register(METRIC_COUNTER, "pizza_reporter_snapshots_total",
                         "Partition snapshots, by source", "source=\"changelog\"");
    r->redone = metrics_register(METRIC_COUNTER, "pizza_reporter_redone_events_total",
                                 "Events counted again after a failed commit", NULL);
}

/* Everything but the group consumer, which joins only once the state is restored. */
static int reporter_open(struct reporter *r) {
    struct service *s = &r->svc;
    char err[512];
    const struct http_route routes[] = {{"GET", "/report", reporter_get_report, r}};
    /* a snapshot holds the topic's name in a field of that size */
    if (strlen(r->topic) > PIZZA_SNAPSHOT_TOPIC_MAX) {
        log_error("[reporter] input_topic is longer than %d characters", PIZZA_SNAPSHOT_TOPIC_MAX);
        return -1;
    }
    reporter_register_metrics(r);
    if (!(r->ledger = ledger_new())) {
        log_error("out of memory");
        return -1;
    }
    if (!(r->producer = service_producer_new(s, err, sizeof(err))) ||
        !(r->changelog_out = producer_topic(r->producer, r->changelog_topic, err, sizeof(err))) ||
        intake_init(&r->intake, r->topic, (size_t)r->max_event_bytes, r->producer, s->name, err,
                    sizeof(err)) == -1 ||
        !(r->changelog = changelog_new(s->cfg, s->name, r->changelog_topic, err, sizeof(err)))) {
        log_error("kafka: %s", err);
        return -1;
    }
    const struct batch_owner owner = {sync_seal, sync_ended, r, 0};
    const struct cadence cadence = {r->max_batch, r->max_batch_ms, r->commit_interval_ms};
    batch_init(&r->batch, r->producer, &owner, &cadence, r->redone);
    s->ready = reporter_ready;
    s->ready_arg = r;
    log_info("counting %s (group %s, changelog %s, %s)", r->topic, r->group, r->changelog_topic,
             s->exactly_once ? "exactly-once" : "at-least-once");
    return service_start_http(s, routes, 1);
}

int reporter_init(struct reporter *r, int argc, char **argv) {
    memset(r, 0, sizeof(*r));
    r->commit_interval_ms = PIZZA_COMMIT_INTERVAL_DEFAULT; /* the guarantee's */
    const struct service_def def = {"cheese-reporter", "config/cheese-reporter.ini", 5001,
                                    &reporter_section, r};
    int rc = service_init(&r->svc, &def, argc, argv);
    if (rc != 0) return rc;
    return reporter_open(r) == 0 ? 0 : -1;
}

/* Fences our previous incarnation first (its open transaction is aborted, so
 * the restore waits for nothing of it), restores the ledger, then joins the
 * group. @returns 0, or -1 when stopped or failed (logged). */
static int reporter_start(struct reporter *r) {
    struct service *s = &r->svc;
    char err[512];
    const char *topics[] = {r->topic, NULL};
    struct consumer_hooks hooks = {sync_on_assign, r, batch_on_revoke, &r->batch};
    if (producer_init(r->producer) == -1) return -1;
    if (changelog_restore(r->changelog, sync_apply, r) == -1) {
        if (service_running()) service_fail("cannot restore the counts");
        return -1;
    }
    log_int(LOG_INFO, "partitions", ledger_partitions(r->ledger), "counts restored");
    struct consumer *c = consumer_new(s->cfg, s->name, r->group, topics, &hooks, err, sizeof(err));
    if (!c) {
        log_error("kafka: %s", err);
        service_fail("cannot join the consumer group");
        return -1;
    }
    batch_attach(&r->batch, c);
    r->consumer = c;
    service_publish_consumer(s, c);
    return 0;
}

/* Counts one event into the batch. */
static enum batch_step reporter_handle(struct reporter *r, const rd_kafka_message_t *m) {
    const struct event *ev;
    if (atomic_load(&r->halted)) return BATCH_STOP;
    enum intake_rc rc = intake_decode(&r->intake, m, &ev); /* poison: dead-lettered in this batch */
    switch (rc) {
    case INTAKE_OK:
    case INTAKE_POISON:
        break;
    case INTAKE_REDO:
        return BATCH_REDO;
    case INTAKE_STOPPING:
        return BATCH_STOP;
    }
    struct pending_part *part =
        pending_part(&r->pending, m->partition, ledger_next_offset(r->ledger, m->partition));
    if (!part) {
        service_fail("out of memory counting an event");
        return BATCH_STOP;
    }
    if (rc == INTAKE_OK && m->offset >= part->base) /* below base: in the committed counts */
        tally_add(part->delta, ev->value[EVENT_CHEESE], 1);
    batch_track(&r->batch, m);
    return BATCH_HANDLED;
}

/* An idle reporter's wait for input (it ends when input arrives) */
#define REPORTER_IDLE_WAIT_MS 100

/* Consumes until stopped. A batch ends as its cadence says (batch_due): when
 * the input runs dry and the commit interval is up (low latency when idle),
 * or at max_batch_messages / max_batch_ms (throughput under load); between
 * batches the changelog is tailed, so the report includes the partitions
 * other instances count. */
void reporter_run(struct reporter *r) {
    if (reporter_start(r) == -1) return;
    struct batch *b = &r->batch;
    long wait = REPORTER_IDLE_WAIT_MS;
    while (service_running()) {
        rd_kafka_message_t *m = consumer_poll(r->consumer, (int)wait);
        enum batch_step step = m ? reporter_handle(r, m) : BATCH_HANDLED;
        if (step == BATCH_REDO) batch_redo(b, &m, 1); /* it is read again */
        if (m) rd_kafka_message_destroy(m);
        if (step == BATCH_STOP) break;
        producer_poll(r->producer, 0);
        if (batch_due(b, !m, REPORTER_IDLE_WAIT_MS, &wait)) {
            batch_finish(b, 1);
            wait = REPORTER_IDLE_WAIT_MS;
        }
        if (!b->count) changelog_poll(r->changelog, sync_apply, r, 0);
    }
    batch_finish(b, 1);
}

int reporter_shutdown(struct reporter *r, int init_rc) {
    int rc = init_rc == 1 ? 0 : init_rc == -1 ? 2 : service_exit_code();
    service_stop_http(&r->svc); /* /report and /ready read the changelog */
    watchdog_step("leaving the consumer group");
    consumer_free(r->consumer); /* leaves the group; the revoke hook commits */
    watchdog_step("flushing the producer");
    producer_free(r->producer, 2000); /* batches are committed or aborted by now */
    watchdog_step("closing the changelog reader");
    changelog_free(r->changelog);
    batch_free(&r->batch);
    pending_free(&r->pending);
    intake_free(&r->intake);
    service_shutdown(&r->svc);
    ledger_free(r->ledger);
    if (init_rc == 0) log_info("stopped");
    return rc;
}
