#ifndef PIZZA_RECORD_COUNT_H
#define PIZZA_RECORD_COUNT_H
#include <librdkafka/rdkafka.h>
#include <stddef.h>
#include <stdint.h>

/* Counts the records in offset ranges of partitions by reading them, as a
 * consumer outside any group would (rd_kafka_consume_start_queue): with
 * isolation.level read_committed, commit markers and aborted records take
 * offsets but are never counted. For what offsets alone cannot tell: how many
 * records wait past a committed offset, how many dead letters a topic holds. */
struct record_range {
    const char *topic;
    int32_t partition;
    int64_t from, to;           /* [from, to) */
    const char *header, *value; /* non-NULL: count only records whose header is value, or
                                 * that have no such header */
    int64_t count;              /* out */
    int64_t reached;            /* out: read up to here (to, or the partition's end) */
};

/** Reads every range within timeout_ms (ranges of one partition are read
 * once). rk must be a consumer with enable.partition.eof (KAFKA_OBSERVER).
 * @returns 0 with every count and reached set, or -1 with errstr set. */
int record_count(rd_kafka_t *rk, struct record_range *r, size_t n, int timeout_ms, char *errstr,
                 size_t sz);

#endif
