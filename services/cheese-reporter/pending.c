#include "pending.h"

#include <stdlib.h>
#include <string.h>

struct pending_part *pending_part(struct pending *b, int32_t partition, int64_t offset,
                                  int64_t base) {
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
    struct pending_part *p = &b->parts[b->n++];
    /* never below base: a snapshot must not move a partition's state back */
    *p = (struct pending_part){partition, offset, base > offset ? base : offset, base, delta, NULL};
    return p;
}

void pending_track(struct pending *b, struct pending_part *part, int64_t offset) {
    if (offset + 1 > part->next) part->next = offset + 1;
    b->count++;
}

rd_kafka_topic_partition_list_t *pending_offsets(const struct pending *b, const char *topic,
                                                 int start) {
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(b->n);
    for (int i = 0; list && i < b->n; i++)
        rd_kafka_topic_partition_list_add(list, topic, b->parts[i].partition)->offset =
            start ? b->parts[i].start : b->parts[i].next;
    return list;
}

void pending_reset(struct pending *b) {
    for (int i = 0; i < b->n; i++) {
        tally_free(b->parts[i].delta);
        tally_free(b->parts[i].merged);
    }
    b->n = 0;
    b->count = 0;
}

void pending_free(struct pending *b) {
    if (!b) return;
    pending_reset(b);
    free(b->parts);
    b->parts = NULL;
    b->cap = 0;
}
