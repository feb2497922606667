#include "stage.h"

#include "batch.h"
#include "consumer.h"
#include "intake.h"
#include "kafka.h"
#include "kafka_trace.h"
#include "log.h"
#include "metrics.h"
#include "producer.h"
#include "service.h"
#include "watchdog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct stage {
    struct service svc;
    const struct stage_def *def;
    const char *in_topic, *out_topic, *group; /* owned by svc.cfg, or def's */
    rd_kafka_topic_t *out;                    /* owned by producer */
    long max_batch, max_batch_ms, commit_interval_ms, max_event_bytes;
    struct consumer *consumer; /* main thread's; /ready reads the one published in svc */
    struct producer *producer;
    struct batch batch; /* consumed since the last commit */
    struct intake intake;
    struct buf topped;     /* the event being produced; reused */
    struct metric *redone; /* produced: counted per topic by the producer */
};

static const struct cfg_setting stage_rows[] = {
    CFG_STR_VARIES("input_topic", struct stage, in_topic,
                   "sauce `pizza`, cheese `pizza-with-sauce`, meat `pizza-with-cheese`, veggie "
                   "`pizza-with-meats`"),
    CFG_STR_VARIES("output_topic", struct stage, out_topic,
                   "sauce `pizza-with-sauce`, cheese `pizza-with-cheese`, meat `pizza-with-meats`, "
                   "veggie `pizza-with-veggies`"),
    CFG_STR_VARIES("group_id", struct stage, group, "the service name"),
    CFG_INT("max_batch_messages", struct stage, max_batch, 10000, 1, 1000000),
    CFG_INT("max_batch_ms", struct stage, max_batch_ms, 100, 1, 60000),
    CFG_INT_VARIES("commit_interval_ms", struct stage, commit_interval_ms, 0, 60000,
                   PIZZA_COMMIT_INTERVAL_DEFAULTS),
    CFG_INT("max_event_bytes", struct stage, max_event_bytes, 65536, 64, 1 << 20),
};
const struct cfg_section stage_section = CFG_SECTION("stage", stage_rows);

/* Writes the topped event to st->topped. An input without a key (a seed producer
 * may omit it) is keyed by order id, so an order stays on one partition.
 * @returns INTAKE_OK with *key set, or what the decode said. */
static enum intake_rc stage_transform(struct stage *st, const rd_kafka_message_t *m,
                                      const void **key, size_t *key_len) {
    const struct event *ev;
    char topping[PIZZA_MENU_TEXT_MAX];
    enum intake_rc rc = intake_decode(&st->intake, m, &ev);
    if (rc != INTAKE_OK) return rc;
    menu_choose(st->def->menu, ev->id, topping);
    if (event_write(ev, st->def->field, topping, &st->topped) == -1) {
        service_fail("out of memory transforming an event");
        return INTAKE_STOPPING;
    }
    *key = m->key ? m->key : ev->order_id;
    *key_len = m->key ? m->key_len : strlen(ev->order_id);
    return INTAKE_OK;
}

/* Produces the event's result; dead-letters the event only when that result
 * itself cannot be produced (too large). */
static enum batch_step stage_handle(struct stage *st, const rd_kafka_message_t *m) {
    const void *key = NULL;
    size_t key_len = 0;
    char err[256] = "stopping";
    enum intake_rc rc = stage_transform(st, m, &key, &key_len);
    enum producer_send_rc sent = PRODUCER_FULL;
    while (rc == INTAKE_OK && sent == PRODUCER_FULL && service_running()) {
        /* headers travel on, the trace under a span of this stage; the producer
         * takes them, or frees them when it refuses the event */
        struct producer_msg msg = {
            st->out,        RD_KAFKA_PARTITION_UA,   key, key_len, st->topped.data,
            st->topped.len, trace_forward_headers(m)};
        sent = producer_send(st->producer, &msg, 500, err, sizeof(err));
    }
    if (rc == INTAKE_OK && sent == PRODUCER_BAD_MESSAGE) rc = intake_reject(&st->intake, m, err);
    if (rc == INTAKE_OK && sent == PRODUCER_BROKEN) {
        char trace_id[TRACE_ID_LEN + 1];
        struct log_where w = trace_where(m, trace_id);
        log_at(LOG_ERROR, &w, "%s; the batch is redone", err);
        rc = INTAKE_REDO;
    }
    if (rc == INTAKE_OK && sent == PRODUCER_FULL) rc = INTAKE_STOPPING;
    if (rc == INTAKE_REDO && !service_running()) rc = INTAKE_STOPPING;
    switch (rc) {
    case INTAKE_OK:
    case INTAKE_POISON:
        batch_track(&st->batch, m);
        return BATCH_HANDLED;
    case INTAKE_REDO:
        return BATCH_REDO;
    case INTAKE_STOPPING:
        break;
    }
    log_debug("stopping before an event: %s", err);
    return BATCH_STOP;
}

static void stage_register_metrics(struct stage *st) {
    st->redone = metrics_register(METRIC_COUNTER, "pizza_stage_redone_events_total",
                                  "Events reprocessed after a failed delivery", NULL);
}

static int stage_ready(void *arg, char *why, size_t sz) {
    struct stage *st = arg;
    return service_consumer_ready(&st->svc, why, sz);
}

static int stage_open(struct stage *st) {
    struct service *s = &st->svc;
    char err[512];
    const char *topics[] = {st->in_topic, NULL};
    struct consumer_hooks hooks = {NULL, NULL, batch_on_revoke, &st->batch};
    stage_register_metrics(st);
    if (!(st->producer = service_producer_new(s, err, sizeof(err))) ||
        !(st->out = producer_topic(st->producer, st->out_topic, err, sizeof(err))) ||
        intake_init(&st->intake, st->in_topic, (size_t)st->max_event_bytes, st->producer, s->name,
                    err, sizeof(err)) == -1) {
        log_error("kafka: %s", err);
        return -1;
    }
    const struct cadence cadence = {st->max_batch, st->max_batch_ms, st->commit_interval_ms};
    batch_init(&st->batch, st->producer, NULL, &cadence, st->redone);
    s->ready = stage_ready;
    s->ready_arg = st;
    if (service_start_http(s, NULL, 0) == -1) return -1;
    /* before the group hands out offsets: an unfinished transaction of this
     * instance's previous run holds them until it is aborted here */
    if (producer_init(st->producer) == -1) return 0;
    if (!(st->consumer =
              consumer_new(s->cfg, s->name, st->group, topics, &hooks, err, sizeof(err)))) {
        log_error("kafka: %s", err);
        return -1;
    }
    batch_attach(&st->batch, st->consumer);
    service_publish_consumer(s, st->consumer);
    log_info("topping %s: %s -> %s (group %s, %s)", st->def->field, st->in_topic, st->out_topic,
             st->group, s->exactly_once ? "exactly-once" : "at-least-once");
    return 0;
}

/* Messages taken from the consumer at a time */
#define STAGE_POLL_MAX 512
/* An idle stage's wait for input (it ends when input arrives) */
#define STAGE_IDLE_WAIT_MS 100

/* Consumes until stopped. A batch ends as its cadence says (batch_due): when
 * the input runs dry and the commit interval is up (low latency when idle),
 * or at max_batch_messages / max_batch_ms (throughput under load). */
static void stage_run(struct stage *st) {
    rd_kafka_message_t *msgs[STAGE_POLL_MAX];
    long wait = STAGE_IDLE_WAIT_MS;
    while (st->consumer && service_running()) {
        long room = st->max_batch - st->batch.count;
        size_t n = consumer_poll_batch(st->consumer, (int)wait, msgs,
                                       room < STAGE_POLL_MAX ? (size_t)room : STAGE_POLL_MAX);
        size_t done = 0;
        enum batch_step step = BATCH_HANDLED;
        while (done < n && (step = stage_handle(st, msgs[done])) == BATCH_HANDLED)
            rd_kafka_message_destroy(msgs[done++]);
        if (step == BATCH_REDO) batch_redo(&st->batch, msgs + done, n - done);
        for (size_t i = done; i < n; i++)
            rd_kafka_message_destroy(msgs[i]); /* read again: by the redo, or the next owner */
        if (step == BATCH_STOP) break;
        producer_poll(st->producer, 0);
        if (batch_due(&st->batch, n == 0, STAGE_IDLE_WAIT_MS, &wait)) {
            batch_finish(&st->batch, 1);
            wait = STAGE_IDLE_WAIT_MS;
        }
    }
    watchdog_step("committing the last batch");
    if (st->consumer) batch_finish(&st->batch, 1);
}

int stage_main(const struct stage_def *def, int argc, char **argv) {
    struct stage st;
    memset(&st, 0, sizeof(st));
    st.def = def;
    st.in_topic = def->in_topic; /* the defaults that differ per stage */
    st.out_topic = def->out_topic;
    st.group = def->service;
    st.commit_interval_ms = PIZZA_COMMIT_INTERVAL_DEFAULT; /* the guarantee's */
    const struct service_def sdef = {def->service, def->default_config, def->http_port,
                                     &stage_section, &st};
    int rc = service_init(&st.svc, &sdef, argc, argv);
    if (rc != 0) {
        service_shutdown(&st.svc);
        return rc == 1 ? 0 : 2;
    }
    int started = stage_open(&st) == 0;
    if (started) stage_run(&st);
    service_stop_http(&st.svc); /* /ready reads the consumer */
    watchdog_step("leaving the consumer group");
    consumer_free(st.consumer); /* leaves the group; the revoke hook commits */
    watchdog_step("flushing the producer");
    producer_free(st.producer, 2000); /* batches are committed or aborted by now */
    batch_free(&st.batch);
    intake_free(&st.intake);
    buf_free(&st.topped);
    service_shutdown(&st.svc);
    if (!started) return 2; /* could not start: config or environment */
    log_info("stopped");
    return service_exit_code();
}
