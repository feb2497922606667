#ifndef PIZZA_CONSUMER_H
#define PIZZA_CONSUMER_H
#include <librdkafka/rdkafka.h>
#include <stddef.h>

#include "cfg.h"

/* Group consumer with manual commits. Its owner is told before partitions are
 * taken away, so it can commit what it finished while it still owns them. */
struct consumer; /* opaque */

struct consumer_hooks {
    /* Called inside consumer_poll() before parts are assigned; may set each
     * partition's start offset (default: the group's committed offset). */
    void (*on_assign)(rd_kafka_topic_partition_list_t *parts, void *arg);
    void *assign_arg;
    /* Called inside consumer_poll() before parts are revoked or lost. */
    void (*on_revoke)(const rd_kafka_topic_partition_list_t *parts, int lost, void *arg);
    void *revoke_arg;
};

/** Subscribes group_id to topics (NULL-terminated). hooks may be NULL.
 * @returns NULL on error (errstr set). Free with consumer_free(). */
struct consumer *consumer_new(const struct cfg *c, const char *client_id, const char *group_id,
                              const char *const *topics, const struct consumer_hooks *hooks,
                              char *errstr, size_t sz);
/** Leaves the group (revoke hook runs) and frees. NULL-safe. */
void consumer_free(struct consumer *c);

/** @returns the next message (free with rd_kafka_message_destroy), or NULL on
 * timeout. Consumer errors are logged here and never returned. */
rd_kafka_message_t *consumer_poll(struct consumer *c, int timeout_ms);
/** Waits up to timeout_ms for a message, then takes whatever else is already
 * fetched, up to max in all: one queue lock per batch instead of per message.
 * A rebalance served meanwhile (hooks run) never leaves a message of a
 * partition taken away in msgs: such messages are dropped, uncommitted, for
 * the partition's next owner to read.
 * @returns how many were stored in msgs (each freed with
 * rd_kafka_message_destroy); errors are logged, never returned. */
size_t consumer_poll_batch(struct consumer *c, int timeout_ms, rd_kafka_message_t **msgs,
                           size_t max);
/** At-least-once: offsets (each the next to read) whose batch's output is all
 * delivered. They are committed asynchronously, at most every interval_ms
 * (consumer_set_commit_interval), by a later consumer_poll or
 * consumer_poll_batch, or at once by consumer_commit_held; a failed commit is
 * sent again at the next interval. What a crash leaves uncommitted is read
 * again (delivered twice), never skipped. Polling thread only. */
void consumer_commit_later(struct consumer *c, const rd_kafka_topic_partition_list_t *offsets);
/** Synchronously commits what consumer_commit_later holds and has not sent
 * yet: before partitions are given up, and when the service stops.
 * @returns 0, or -1 (a failure is logged as every commit's is). */
int consumer_commit_held(struct consumer *c);
/** The least time between two asynchronous commits of held offsets. */
void consumer_set_commit_interval(struct consumer *c, long interval_ms);
/** Moves the read position back to offsets, dropping prefetched messages.
 * @returns 0, or -1 (logged). */
int consumer_seek(struct consumer *c, const rd_kafka_topic_partition_list_t *offsets);
/** The group's identity for producer transactions (free with
 * rd_kafka_consumer_group_metadata_destroy). */
rd_kafka_consumer_group_metadata_t *consumer_group_metadata(struct consumer *c);
/** Fills parts' offsets with the group's committed offsets (RD_KAFKA_OFFSET_INVALID
 * where none). With read_committed (our default) an offset that an open
 * transaction is committing cannot be read until that transaction ends:
 * librdkafka 2.0.2 retries it (UNSTABLE_OFFSET_COMMIT) until timeout_ms,
 * then returns __TIMED_OUT. @returns RD_KAFKA_RESP_ERR_NO_ERROR, or the
 * request's error, else the first partition's; not logged: the caller knows
 * whether it retries. */
rd_kafka_resp_err_t consumer_committed(struct consumer *c, rd_kafka_topic_partition_list_t *parts,
                                       int timeout_ms);
/** The events handed out since the last call are committed: observes their
 * latency (pizza_event_processing_seconds{topic}). producer_commit() calls it. */
void consumer_batch_committed(struct consumer *c);
/** The events handed out since the last commit will not be committed by this
 * batch (aborted, rewound or revoked): forgets their timestamps. */
void consumer_batch_forget(struct consumer *c);
/** Offsets committed outside this consumer (in a producer transaction):
 * stored locally, so the lag librdkafka reports follows them. Auto commit is
 * off, so nothing is committed by this. */
void consumer_note_committed(struct consumer *c, const rd_kafka_topic_partition_list_t *offsets);
/** Makes a consumer_poll() waiting in another thread return now. Thread-safe. */
void consumer_wake(struct consumer *c);
/** @returns 1 while the revoke hook runs: the group waits for this member,
 * so what the hook does (a commit) must be short. Polling thread only. */
int consumer_revoking(const struct consumer *c);
/** Number of partitions currently assigned; safe from any thread. */
int consumer_assigned(const struct consumer *c);
/** A service readiness check (see service.h): a broker is reachable and this
 * consumer (arg) has partitions. Any thread. @returns 1, or 0 with the reason in why. */
int consumer_ready(void *consumer, char *why, size_t sz);

#endif
