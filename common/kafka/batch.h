#ifndef PIZZA_BATCH_H
#define PIZZA_BATCH_H
#include <librdkafka/rdkafka.h>
#include <stddef.h>

/* The input side of a batch: what was consumed since the last commit. Offsets
 * in next are the next to read, as Kafka commits them; start is where to
 * rewind to when the batch has to be done again. */
struct batch {
    rd_kafka_topic_partition_list_t *next;  /* per partition: last handled offset + 1 */
    rd_kafka_topic_partition_list_t *start; /* per partition: first offset of the batch */
    long count;
    long long started_ms; /* monotonic, when the first message was tracked */
};

/** Adds m (handled: produced, dead-lettered or skipped) to the batch. */
void batch_track(struct batch *b, const rd_kafka_message_t *m);
/** Where to read again so that the batch and the messages not handled yet
 * (unhandled[0..n), in the order read) are all read again: the batch's start,
 * and for a partition not in the batch, its first unhandled message.
 * @returns a new list (caller destroys), or NULL when out of memory. */
rd_kafka_topic_partition_list_t *batch_redo_offsets(const struct batch *b,
                                                    rd_kafka_message_t *const *unhandled, size_t n);
/** Empties the batch (and frees its lists). */
void batch_reset(struct batch *b);

#endif
