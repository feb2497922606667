#ifndef PIZZA_GROUP_LAG_H
#define PIZZA_GROUP_LAG_H
#include <librdkafka/rdkafka.h>
#include <stddef.h>
#include <stdint.h>

/* Where consumer groups stand on their input topics, as Kafka itself holds
 * it: committed offsets (ListConsumerGroupOffsets), members and state
 * (DescribeConsumerGroups) and end offsets (ListOffsets through
 * rd_kafka_offsets_for_times: librdkafka 2.0.2 has no ListOffsets admin call).
 * Any client handle asks; every call blocks the caller for up to timeout_ms. */

struct group_lag_partition {
    int32_t partition;
    int64_t start;     /* first offset still held */
    int64_t end;       /* end offset: read_committed, the last stable offset */
    int64_t committed; /* the group's, or -1 when it has none */
};

/* One group on one topic. The caller sets group and topic; the rest is out. */
struct group_lag_hop {
    const char *group, *topic;
    struct group_lag_partition *parts; /* by partition; owned, see group_lag_hop_clear */
    size_t n_parts;
    int described;   /* 1 when the group's coordinator described it */
    int members;     /* when described */
    char state[24];  /* when described: Kafka's name, e.g. "Stable" */
    char error[160]; /* why not described, or why a part is missing; "" if none */
};

/** Fills every hop's partitions and offsets within timeout_ms: metadata, end
 * and start offsets, then every group's committed offsets. A group that cannot
 * be described (the dev broker has no DescribeGroups) is left undescribed with
 * its error, not failed. @returns 0, or -1 with errstr set when the offsets
 * cannot be had (hops cleared). */
int group_lag_sample(rd_kafka_t *rk, struct group_lag_hop *hops, size_t n, int timeout_ms,
                     char *errstr, size_t sz);
/** Frees a hop's partitions. */
void group_lag_hop_clear(struct group_lag_hop *h);

/** Fills starts and ends of topic's partitions (parts, n of them, partition
 * set) within timeout_ms. @returns 0, or -1 with errstr set. */
int group_lag_offsets(rd_kafka_t *rk, const char *topic, struct group_lag_partition *parts,
                      size_t n, int timeout_ms, char *errstr, size_t sz);
/** @returns topic's partition count, 0 when it does not exist, -1 on error
 * (errstr set). */
int group_lag_partition_count(rd_kafka_t *rk, const char *topic, int timeout_ms, char *errstr,
                              size_t sz);

#endif
