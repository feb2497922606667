#include "cadence.h"

int cadence_due(const struct cadence *c, const struct cadence_batch *b, long idle_ms,
                long *wait_ms) {
    *wait_ms = idle_ms;
    if (b->count <= 0) return 0;
    if (b->count >= c->max_messages || (c->max_ms > 0 && b->age_ms >= c->max_ms)) return 1;
    *wait_ms = 0;
    if (!b->input_dry) return 0; /* take what is there first: it joins this commit */
    if (b->since_ms >= c->interval_ms) return 1;
    long long left = c->interval_ms - b->since_ms;
    if (c->max_ms > 0 && c->max_ms - b->age_ms < left) left = c->max_ms - b->age_ms;
    if (left > idle_ms) left = idle_ms; /* a loop looks up (a stop?) at least this often */
    *wait_ms = left > 0 ? (long)left : 1;
    return 0;
}
