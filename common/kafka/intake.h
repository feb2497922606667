#ifndef PIZZA_INTAKE_H
#define PIZZA_INTAKE_H
#include <librdkafka/rdkafka.h>
#include <stddef.h>

#include "event.h"
#include "metrics.h"
#include "producer.h"

/* Events read off one input topic: decoded the same way by every daemon, and
 * poison (undecodable events) moved to the topic's dead-letter topic
 * "<topic>.dlq" in the reader's current batch, so it is dead-lettered exactly
 * when the reader's offsets move past it. The copy keeps key, value and
 * headers and adds dlq.reason, dlq.topic, dlq.partition, dlq.offset and
 * dlq.consumer headers. */
struct intake {
    size_t max_event_bytes;
    const char *consumer; /* service name, for the dlq.consumer header */
    struct producer *producer;
    rd_kafka_topic_t *dlq;                 /* owned by producer */
    struct metric *poison, *dead_lettered; /* counted when the batch commits */
    struct event event;                    /* the last one decoded; its memory is reused */
};

/** Registers the topic's counters and opens its dead-letter topic on producer.
 * @returns 0, or -1 (errstr set). */
int intake_init(struct intake *in, const char *topic, size_t max_event_bytes,
                struct producer *producer, const char *consumer, char *errstr, size_t sz);

enum intake_rc {
    INTAKE_OK = 0,   /* decoded (or, from intake_reject, dead-lettered) */
    INTAKE_POISON,   /* it was poison and is dead-lettered in this batch: skip it */
    INTAKE_STOPPING, /* not dead-lettered: the service is stopping (or Kafka failed
                        fatally). Do not go past it. */
    INTAKE_REDO,     /* not dead-lettered: the dead-letter topic or the transaction
                        refused it. Abort the batch and read it again, after a pause. */
};
/** Decodes m; *ev is valid until the next decode (it borrows m's bytes). */
enum intake_rc intake_decode(struct intake *in, const rd_kafka_message_t *m,
                             const struct event **ev);
/** Dead-letters m for why (e.g. its result cannot be produced).
 * @returns INTAKE_OK, INTAKE_STOPPING or INTAKE_REDO. */
enum intake_rc intake_reject(struct intake *in, const rd_kafka_message_t *m, const char *why);
void intake_free(struct intake *in); /* NULL-safe */

#endif
