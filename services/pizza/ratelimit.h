#ifndef PIZZA_RATELIMIT_H
#define PIZZA_RATELIMIT_H
#include <stddef.h>

/* Token buckets keyed by client address: each key may take burst tokens at
 * once and rate_per_s more per second. The table has a fixed number of slots
 * (its memory never grows): a key probes a few slots; a new key takes a free
 * one, else one whose bucket has refilled (an idle client: forgetting it
 * changes nothing), else the least recently used there, whose client then
 * starts again with a full bucket. Thread-safe. */
struct ratelimit; /* opaque */

#define RATELIMIT_KEY_MAX 16 /* an IPv6 address */

/** slots is rounded up to a power of two. @returns NULL when out of memory.
 * Free with ratelimit_free(). */
struct ratelimit *ratelimit_new(double rate_per_s, double burst, size_t slots);
void ratelimit_free(struct ratelimit *rl); /* NULL-safe */

/** Takes a token from key's bucket (key_len <= RATELIMIT_KEY_MAX; longer keys
 * are cut) at now_ms (a monotonic clock).
 * @returns 0 when taken, else the whole seconds (>= 1) until one is there. */
long ratelimit_take(struct ratelimit *rl, const void *key, size_t key_len, long long now_ms);

/** @returns the slots in use (for tests and metrics). */
size_t ratelimit_used(struct ratelimit *rl);

#endif
