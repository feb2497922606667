#ifndef PIZZA_SNAPSHOT_H
#define PIZZA_SNAPSHOT_H
#include <stddef.h>
#include <stdint.h>

#include "tally.h"

/* The committed state of one input partition as cheese-reporter writes it to
 * its changelog: key "<topic>/<partition>", value
 * {"topic":..., "partition":p, "next_offset":N, "counts":{"<cheese>": n, ...}}.
 * Every record is a full snapshot, so the last one per key (all a compacted
 * topic keeps) is the whole state of that partition. Pure: no Kafka. */

#define PIZZA_SNAPSHOT_TOPIC_MAX 249 /* Kafka's limit on topic names */

struct snapshot {
    char topic[PIZZA_SNAPSHOT_TOPIC_MAX + 1];
    int32_t partition;
    int64_t next_offset;  /* the next input offset to count: all before it are in counts */
    struct tally *counts; /* owned */
};

/** Writes the changelog key of a partition into buf.
 * @returns its length, or -1 when it does not fit. */
int snapshot_key(char *buf, size_t sz, const char *topic, int32_t partition);
/** @returns malloc'd compact JSON (caller frees) with its length in *len, or
 * NULL on allocation failure. */
char *snapshot_encode(const char *topic, int32_t partition, int64_t next_offset,
                      struct tally *counts, size_t *len);
/** Decodes and validates a record value (names beyond the tally's caps are
 * counted as PIZZA_TALLY_OTHER). @returns 0 with s filled (free with
 * snapshot_clear()), or -1 with the reason in err. */
int snapshot_decode(struct snapshot *s, const void *buf, size_t len, char *err, size_t sz);
void snapshot_clear(struct snapshot *s); /* NULL-safe, idempotent */

#endif
