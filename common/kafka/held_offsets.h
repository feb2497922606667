#ifndef PIZZA_HELD_OFFSETS_H
#define PIZZA_HELD_OFFSETS_H
#include <librdkafka/rdkafka.h>

/* At-least-once: input offsets whose batches' output is all delivered, so
 * they may be committed, but need not be at once: they gate nothing that
 * downstream sees, and what a crash leaves uncommitted is only done again.
 * So they are committed asynchronously at an interval instead of one
 * synchronous round trip per batch, and synchronously where the member stops
 * owning them. One consumer's, used by its polling thread only. */
struct held_offsets {
    rd_kafka_topic_partition_list_t *list; /* per partition: the next offset to read */
    int unsent;        /* changed, or its last commit failed, since it was sent */
    long long sent_ms; /* monotonic, when it was last sent */
    long interval_ms;  /* least time between two sends */
};

/** Sets up an empty hold that sends at most every interval_ms. */
void held_offsets_init(struct held_offsets *h, long interval_ms);
/** Frees the list; nothing is committed. NULL-safe. */
void held_offsets_free(struct held_offsets *h);
/** offsets (each the next to read) are delivered: they replace what is held
 * for their partitions. */
void held_offsets_add(struct held_offsets *h, const rd_kafka_topic_partition_list_t *offsets);
/** Sends what is held to rk's group, without waiting, when something changed
 * and the interval is up. The result comes to rk's offset_commit_cb, which
 * calls held_offsets_failed when it failed. */
void held_offsets_send_due(struct held_offsets *h, rd_kafka_t *rk);
/** An asynchronous commit failed: what is held is sent again at the next interval. */
void held_offsets_failed(struct held_offsets *h);
/** Synchronously commits what is held and not sent yet. @returns 0, or -1
 * (rk's offset_commit_cb is told either way). */
int held_offsets_commit(struct held_offsets *h, rd_kafka_t *rk);
/** The member gave parts up (revoked after held_offsets_commit, or lost):
 * their offsets are no longer its to commit. */
void held_offsets_release(struct held_offsets *h, const rd_kafka_topic_partition_list_t *parts);

#endif
