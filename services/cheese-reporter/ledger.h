#ifndef PIZZA_LEDGER_H
#define PIZZA_LEDGER_H
#include <jansson.h>
#include <stdint.h>

#include "tally.h"

/* cheese-reporter's committed state: for every input partition seen, the
 * next offset to count and the counts of everything before it, as committed
 * to the changelog (by this instance or another). GET /report is its sum, so
 * it never shows uncommitted counts. Thread-safe: the main thread writes,
 * HTTP threads read. */
struct ledger; /* opaque */

#define PIZZA_LEDGER_MAX_PARTITIONS 4096

/** @returns NULL on allocation failure. Free with ledger_free(). */
struct ledger *ledger_new(void);
void ledger_free(struct ledger *l); /* NULL-safe */

/** The apply rule: partition's state becomes (next_offset, counts) only when
 * next_offset is greater than its current one, so applying a snapshot twice,
 * late or out of order changes nothing. Takes counts in every case.
 * @returns 1 when applied, 0 when stale (ignored), -1 when out of memory or
 * over PIZZA_LEDGER_MAX_PARTITIONS. */
int ledger_apply(struct ledger *l, int32_t partition, int64_t next_offset, struct tally *counts);
/** @returns partition's next offset to count, or -1 when it has no state. */
int64_t ledger_next_offset(struct ledger *l, int32_t partition);
/** @returns a new tally: partition's counts plus delta (NULL: none), or NULL
 * on allocation failure. Free with tally_free(). */
struct tally *ledger_counts_with(struct ledger *l, int32_t partition, struct tally *delta);
/** @returns the number of partitions with state. */
int ledger_partitions(struct ledger *l);
/** The sum over partitions: {"<cheese>": count, ...}.
 * @returns a new reference, or NULL on allocation failure. */
json_t *ledger_report(struct ledger *l);

#endif
