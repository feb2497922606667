#ifndef PIZZA_INTAKE_H
#define PIZZA_INTAKE_H
#include <librdkafka/rdkafka.h>
#include <stddef.h>

#include "event.h"
#include "metrics.h"

/* Events read off one input topic: decoded the same way by every daemon, and
 * poison (undecodable events) logged with its coordinates and counted. */
struct intake {
    size_t max_event_bytes;
    struct metric *consumed, *poison;
};

/** Registers the topic's consumed/poison counters. */
void intake_init(struct intake *in, const char *topic, size_t max_event_bytes);
/** Decodes m into ev (free with event_clear()).
 * @returns 0, or -1 for poison, already logged and counted: skip it. */
int intake_decode(struct intake *in, const rd_kafka_message_t *m, struct event *ev);
/** Handles m as poison found after decoding (e.g. its result cannot be
 * produced): logged with its coordinates and counted. */
void intake_reject(struct intake *in, const rd_kafka_message_t *m, const char *why);

#endif
