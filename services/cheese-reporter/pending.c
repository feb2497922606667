#include "pending.h"

#include <stdlib.h>

struct pending_part *pending_part(struct pending *b, int32_t partition, int64_t base) {
    for (int i = 0; i < b->n; i++)
        if (b->parts[i].partition == partition) return &b->parts[i];
    if (b->n == b->cap) {
        int cap = b->cap ? 2 * b->cap : 8;
        struct pending_part *grown = realloc(b->parts, (size_t)cap * sizeof(*grown));
        if (!grown) return NULL;
        b->parts = grown;
        b->cap = cap;
    }
    struct tally *delta = tally_new();
    if (!delta) return NULL;
    b->parts[b->n++] = (struct pending_part){partition, base, -1, delta, NULL};
    return &b->parts[b->n - 1];
}

int64_t pending_snapshot_next(const struct pending_part *part, int64_t batch_next) {
    return part->base > batch_next ? part->base : batch_next;
}

void pending_reset(struct pending *b) {
    for (int i = 0; i < b->n; i++) {
        tally_free(b->parts[i].delta);
        tally_free(b->parts[i].merged);
    }
    b->n = 0;
}

void pending_free(struct pending *b) {
    if (!b) return;
    pending_reset(b);
    free(b->parts);
    b->parts = NULL;
    b->cap = 0;
}
