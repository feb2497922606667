#include "intake.h"

#include "kafka.h"
#include "kafka_trace.h"
#include "log.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

int intake_init(struct intake *in, const char *topic, size_t max_event_bytes,
                struct producer *producer, const char *consumer, char *errstr, size_t sz) {
    char labels[300], dlq[256];
    snprintf(labels, sizeof(labels), "topic=\"%s\"", topic);
    event_init(&in->event);
    in->max_event_bytes = max_event_bytes;
    in->consumer = consumer;
    in->producer = producer;
    in->poison =
        metrics_register(METRIC_COUNTER, "pizza_events_poison_total", "Bad events read", labels);
    in->dead_lettered =
        metrics_register(METRIC_COUNTER, "pizza_events_dead_lettered_total",
                         "Bad events copied to the input topic's dead-letter topic", labels);
    if (snprintf(dlq, sizeof(dlq), "%s.dlq", topic) >= (int)sizeof(dlq)) {
        snprintf(errstr, sz, "topic name too long for a dead-letter topic: %s", topic);
        return -1;
    }
    return (in->dlq = producer_topic(producer, dlq, errstr, sz)) ? 0 : -1;
}

enum intake_rc intake_decode(struct intake *in, const rd_kafka_message_t *m,
                             const struct event **ev) {
    struct event_origin origin = {rd_kafka_topic_name(m->rkt), m->partition, m->offset};
    char why[PIZZA_EVENT_ERR_MAX];
    *ev = &in->event;
    if (event_decode(&in->event, m->payload, m->len, in->max_event_bytes, &origin, why,
                     sizeof(why)) == 0)
        return INTAKE_OK;
    enum intake_rc rc = intake_reject(in, m, why);
    return rc == INTAKE_OK ? INTAKE_POISON : rc;
}

/* How much of the bad record its dead-letter copy keeps: all of it, then,
 * when that is too large to produce, less, down to where it was and why. */
enum intake_copy { INTAKE_COPY_WHOLE, INTAKE_COPY_NO_VALUE, INTAKE_COPY_BARE };

static rd_kafka_headers_t *intake_dlq_headers(struct intake *in, const rd_kafka_message_t *m,
                                              const char *why, enum intake_copy copy) {
    rd_kafka_headers_t *orig = NULL, *h;
    char num[32];
    const char *topic = rd_kafka_topic_name(m->rkt);
    h = copy != INTAKE_COPY_BARE && rd_kafka_message_headers(m, &orig) == RD_KAFKA_RESP_ERR_NO_ERROR
            ? rd_kafka_headers_copy(orig)
            : rd_kafka_headers_new(7);
    rd_kafka_header_add(h, "dlq.reason", -1, why, -1);
    rd_kafka_header_add(h, "dlq.topic", -1, topic, -1);
    snprintf(num, sizeof(num), "%" PRId32, m->partition);
    rd_kafka_header_add(h, "dlq.partition", -1, num, -1);
    snprintf(num, sizeof(num), "%" PRId64, m->offset);
    rd_kafka_header_add(h, "dlq.offset", -1, num, -1);
    rd_kafka_header_add(h, "dlq.consumer", -1, in->consumer, -1);
    if (copy != INTAKE_COPY_WHOLE)
        rd_kafka_header_add(h, "dlq.value", -1, "omitted: too large", -1);
    if (copy == INTAKE_COPY_BARE)
        rd_kafka_header_add(h, "dlq.key", -1, "omitted with the headers: too large", -1);
    return h;
}

/* Sends the copy, waiting for queue room as long as the service runs.
 * @returns PRODUCER_FULL only when the service stopped first. */
static enum producer_send_rc intake_send(struct intake *in, const rd_kafka_message_t *m,
                                         const char *why, enum intake_copy copy, char *err,
                                         size_t sz) {
    enum producer_send_rc rc = PRODUCER_FULL;
    while (rc == PRODUCER_FULL && kafka_running()) {
        struct producer_msg out = {in->dlq, RD_KAFKA_PARTITION_UA, NULL, 0, NULL, 0, NULL};
        if (copy != INTAKE_COPY_BARE) {
            out.key = m->key;
            out.key_len = m->key_len;
        }
        if (copy == INTAKE_COPY_WHOLE) {
            out.value = m->payload;
            out.value_len = m->len;
        }
        out.headers = intake_dlq_headers(in, m, why, copy);
        rc = producer_send(in->producer, &out, 500, err, sz);
    }
    return rc;
}

enum intake_rc intake_reject(struct intake *in, const rd_kafka_message_t *m, const char *why) {
    char trace_id[TRACE_ID_LEN + 1];
    struct log_where w = trace_where(m, trace_id);
    char err[256] = "stopping";
    enum producer_send_rc rc = PRODUCER_BAD_MESSAGE;
    for (enum intake_copy copy = INTAKE_COPY_WHOLE;
         rc == PRODUCER_BAD_MESSAGE && copy <= INTAKE_COPY_BARE; copy++)
        rc = intake_send(in, m, why, copy, err, sizeof(err));
    if (rc == PRODUCER_SENT) {
        /* a redone batch dead-letters it again: it counts once, when it sticks */
        producer_count_on_commit(in->producer, in->poison, 1);
        producer_count_on_commit(in->producer, in->dead_lettered, 1);
        log_at(LOG_WARN, &w, "bad event dead-lettered: %s", why);
        return INTAKE_OK;
    }
    if (rc == PRODUCER_FULL || !kafka_running()) {
        log_at(LOG_WARN, &w, "bad event (%s) not dead-lettered: stopping", why);
        return INTAKE_STOPPING;
    }
    /* never skipped: the dead-letter topic, the producer or the transaction is
     * at fault, not the event, and the next attempt may succeed */
    log_at(LOG_ERROR, &w, "bad event (%s) not dead-lettered, its batch is redone: %s", why, err);
    return INTAKE_REDO;
}

void intake_free(struct intake *in) {
    if (in) event_free(&in->event);
}
