#ifndef PIZZA_SYNC_H
#define PIZZA_SYNC_H
#include <librdkafka/rdkafka.h>

#include "reporter.h"

/* How cheese-reporter keeps its ledger, its changelog and its group's
 * offsets in step. All of it runs on the main thread. */

/** changelog_apply_fn: applies one snapshot to r's ledger (the apply rule
 * makes our own echoes and stale records no-ops). */
void sync_apply(const rd_kafka_message_t *m, void *arg);
/** consumer_hooks.on_assign: waits until the ledger holds, for every
 * assigned partition, the snapshot the group's committed offset was written
 * with, then starts each partition where its snapshot ends. */
void sync_on_assign(rd_kafka_topic_partition_list_t *parts, void *arg);
/** consumer_hooks.on_revoke: commits the open batch (lost: drops it). */
void sync_on_revoke(const rd_kafka_topic_partition_list_t *parts, int lost, void *arg);
/** Ends the open batch: writes its snapshots and commits them with the input
 * offsets in one transaction, then applies them to the ledger; when that
 * fails, rewinds the input to the batch start. may_commit 0: drop it. */
void sync_finish_batch(struct reporter *r, int may_commit);
/** Kafka refused the batch for reasons of its own (not its events'): aborts
 * it, rewinds the input to its start and pauses before the next attempt. */
void sync_redo_batch(struct reporter *r);

#endif
