#ifndef PIZZA_SYNC_H
#define PIZZA_SYNC_H
#include <librdkafka/rdkafka.h>

#include "batch.h"
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
/** batch_owner.seal: writes the snapshot of every partition the batch
 * counted (committed counts + the batch's), ending where the batch's
 * offsets do. @returns 0, or -1 (the batch is redone; halted: dropped). */
int sync_seal(struct batch *b, void *reporter);
/** batch_owner.ended: a committed batch's snapshots become the ledger's
 * committed state; any other outcome just forgets them. */
void sync_ended(void *reporter, enum producer_outcome o);

#endif
