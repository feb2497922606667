#ifndef PIZZA_PENDING_H
#define PIZZA_PENDING_H
#include <stdint.h>

#include "tally.h"

/* What cheese-reporter counted in its open batch, per input partition (the
 * batch's offsets are in its struct batch). Owned by the main thread. */
struct pending_part {
    int32_t partition;
    int64_t base;         /* the committed next_offset when the batch began (-1: none) */
    int64_t next;         /* the snapshot's next_offset, once it is written */
    struct tally *delta;  /* counted in this batch */
    struct tally *merged; /* committed counts + delta, once the snapshot is written */
};

struct pending {
    struct pending_part *parts;
    int n, cap;
};

/** @returns the batch's entry for partition, adding it (with base as given)
 * if new; NULL on allocation failure. */
struct pending_part *pending_part(struct pending *b, int32_t partition, int64_t base);
/** @returns the next_offset of the partition's snapshot when the batch read
 * up to batch_next: never below base, so a snapshot never moves a partition's
 * state back. */
int64_t pending_snapshot_next(const struct pending_part *part, int64_t batch_next);
/** Empties the batch, freeing its tallies. */
void pending_reset(struct pending *b);
/** Frees everything. NULL-safe. */
void pending_free(struct pending *b);

#endif
