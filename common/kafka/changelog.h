#ifndef PIZZA_CHANGELOG_H
#define PIZZA_CHANGELOG_H
#include <librdkafka/rdkafka.h>
#include <stddef.h>

#include "cfg.h"

/* Reader of a service's changelog topic (compacted: the last record per key
 * is the state of that key). It reads every partition, read_committed, from
 * the beginning: first to its end (restore), then on as records arrive
 * (tail), so every instance sees what every other instance wrote. It joins
 * no consumer group and commits nothing. One thread owns it. */
struct changelog; /* opaque */

/** Called once per record, in partition order. */
typedef void (*changelog_apply_fn)(const rd_kafka_message_t *m, void *arg);

/** @returns NULL on error (errstr set). Free with changelog_free(). */
struct changelog *changelog_new(const struct cfg *c, const char *client_id, const char *topic,
                                char *errstr, size_t sz);
void changelog_free(struct changelog *cl); /* NULL-safe */

/** Reads until every partition's end as it was when the call began
 * (waiting for brokers as long as the service runs).
 * @returns 0, or -1 when the service stopped first. */
int changelog_restore(struct changelog *cl, changelog_apply_fn apply, void *arg);
/** Applies what arrived, waiting up to timeout_ms for the first record.
 * @returns the number of records applied. */
int changelog_poll(struct changelog *cl, changelog_apply_fn apply, void *arg, int timeout_ms);
/** @returns the topic's partition count, known once changelog_restore()
 * succeeded (writers that choose partitions themselves need it). */
int changelog_partition_count(const struct changelog *cl);
/** @returns 1 once changelog_restore() finished; safe from any thread. */
int changelog_restored(const struct changelog *cl);

#endif
