#include "batch.h"

#include "clock.h"
#include "kafka.h"

void batch_track(struct batch *b, const rd_kafka_message_t *m) {
    const char *topic = rd_kafka_topic_name(m->rkt);
    if (!b->next) {
        b->next = rd_kafka_topic_partition_list_new(8);
        b->start = rd_kafka_topic_partition_list_new(8);
        b->started_ms = clock_now_ms();
    }
    rd_kafka_topic_partition_t *p =
        rd_kafka_topic_partition_list_find(b->next, topic, m->partition);
    if (!p) {
        rd_kafka_topic_partition_list_add(b->start, topic, m->partition)->offset = m->offset;
        p = rd_kafka_topic_partition_list_add(b->next, topic, m->partition);
    }
    p->offset = m->offset + 1;
    b->count++;
}

rd_kafka_topic_partition_list_t *
batch_redo_offsets(const struct batch *b, rd_kafka_message_t *const *unhandled, size_t n) {
    rd_kafka_topic_partition_list_t *from = b->start ? rd_kafka_topic_partition_list_copy(b->start)
                                                     : rd_kafka_topic_partition_list_new((int)n);
    for (size_t i = 0; from && i < n; i++) {
        const char *topic = rd_kafka_topic_name(unhandled[i]->rkt);
        if (!rd_kafka_topic_partition_list_find(from, topic, unhandled[i]->partition))
            rd_kafka_topic_partition_list_add(from, topic, unhandled[i]->partition)->offset =
                unhandled[i]->offset;
    }
    return from;
}

void batch_reset(struct batch *b) {
    if (b->next) rd_kafka_topic_partition_list_destroy(b->next);
    if (b->start) rd_kafka_topic_partition_list_destroy(b->start);
    b->next = b->start = NULL;
    b->count = 0;
}
