#include "intake.h"

#include "log.h"

#include <stdio.h>

void intake_init(struct intake *in, const char *topic, size_t max_event_bytes) {
    char labels[200];
    snprintf(labels, sizeof(labels), "topic=\"%s\"", topic);
    in->max_event_bytes = max_event_bytes;
    in->consumed = metrics_register(METRIC_COUNTER, "pizza_events_consumed_total",
                                    "Events read from an input topic", labels);
    in->poison =
        metrics_register(METRIC_COUNTER, "pizza_events_poison_total", "Bad events skipped", labels);
}

int intake_decode(struct intake *in, const rd_kafka_message_t *m, struct event *ev) {
    struct event_origin origin = {rd_kafka_topic_name(m->rkt), m->partition, m->offset};
    char why[PIZZA_EVENT_ERR_MAX];
    metric_add(in->consumed, 1);
    if (event_decode(ev, m->payload, m->len, in->max_event_bytes, &origin, why, sizeof(why)) == 0)
        return 0;
    intake_reject(in, m, why);
    return -1;
}

void intake_reject(struct intake *in, const rd_kafka_message_t *m, const char *why) {
    struct log_where w = {rd_kafka_topic_name(m->rkt), m->partition, m->offset, m->key,
                          (int)m->key_len};
    log_at(LOG_WARN, &w, "skipping bad event: %s", why);
    metric_add(in->poison, 1);
}
