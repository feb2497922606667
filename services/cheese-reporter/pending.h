#ifndef PIZZA_PENDING_H
#define PIZZA_PENDING_H
#include <librdkafka/rdkafka.h>
#include <stdint.h>

#include "tally.h"

/* cheese-reporter's open batch: what it counted since the last commit, per
 * input partition, and where each partition's batch started (to rewind to
 * when the commit fails). Owned by the main thread. */
struct pending_part {
    int32_t partition;
    int64_t start;        /* first offset read in this batch */
    int64_t next;         /* the snapshot's next_offset: last offset handled + 1 */
    int64_t base;         /* the committed next_offset when the batch began (-1: none) */
    struct tally *delta;  /* counted in this batch */
    struct tally *merged; /* committed counts + delta, once the snapshot is written */
};

struct pending {
    struct pending_part *parts;
    int n, cap;
    long count; /* messages handled */
    long long started_ms;
};

/** @returns the batch's entry for partition, adding it (start = offset,
 * base as given) if new; NULL on allocation failure. */
struct pending_part *pending_part(struct pending *b, int32_t partition, int64_t offset,
                                  int64_t base);
/** Records that the message at offset was handled. */
void pending_track(struct pending *b, struct pending_part *part, int64_t offset);
/** @returns each partition's next (or, with start, first) offset on topic:
 * a new list, or NULL on allocation failure. */
rd_kafka_topic_partition_list_t *pending_offsets(const struct pending *b, const char *topic,
                                                 int start);
/** Empties the batch, freeing its tallies. */
void pending_reset(struct pending *b);
/** Frees everything. NULL-safe. */
void pending_free(struct pending *b);

#endif
