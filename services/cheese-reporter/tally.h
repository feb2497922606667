#ifndef PIZZA_TALLY_H
#define PIZZA_TALLY_H
#include <jansson.h>
#include <stddef.h>

/* Counts per cheese name. Names come from events, so the number of distinct
 * names is capped; the rest are counted under PIZZA_TALLY_OTHER. Thread-safe. */
struct tally; /* opaque */

#define PIZZA_TALLY_MAX_NAMES 64
#define PIZZA_TALLY_NAME_MAX 64
#define PIZZA_TALLY_OTHER "(other)"

/** @returns NULL on allocation failure. Free with tally_free(). */
struct tally *tally_new(void);
void tally_free(struct tally *t); /* NULL-safe */
/** Adds n (>= 0) to the count of name; a sum past LLONG_MAX stays at LLONG_MAX. */
void tally_add(struct tally *t, const char *name, long long n);
long long tally_get(struct tally *t, const char *name);
/** Adds every count of from to t (from != t); names t has no room for go to
 * PIZZA_TALLY_OTHER, as with tally_add. */
void tally_merge(struct tally *t, struct tally *from);
/** {"<name>": count, ...} in first-seen order. @returns a new reference, or NULL. */
json_t *tally_json(struct tally *t);

#endif
