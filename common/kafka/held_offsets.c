#include "held_offsets.h"

#include "clock.h"
#include "log.h"

#include <string.h>

void held_offsets_init(struct held_offsets *h, long interval_ms) {
    memset(h, 0, sizeof(*h));
    h->list = rd_kafka_topic_partition_list_new(0);
    h->interval_ms = interval_ms;
}

void held_offsets_free(struct held_offsets *h) {
    if (h && h->list) rd_kafka_topic_partition_list_destroy(h->list);
}

void held_offsets_add(struct held_offsets *h, const rd_kafka_topic_partition_list_t *offsets) {
    for (int i = 0; i < offsets->cnt; i++) {
        const rd_kafka_topic_partition_t *p = &offsets->elems[i];
        rd_kafka_topic_partition_t *held =
            rd_kafka_topic_partition_list_find(h->list, p->topic, p->partition);
        if (!held) held = rd_kafka_topic_partition_list_add(h->list, p->topic, p->partition);
        held->offset = p->offset;
    }
    if (offsets->cnt > 0) h->unsent = 1;
}

void held_offsets_send_due(struct held_offsets *h, rd_kafka_t *rk) {
    long long now = clock_now_ms();
    if (!h->unsent || h->list->cnt == 0 || now - h->sent_ms < h->interval_ms) return;
    h->sent_ms = now;
    rd_kafka_resp_err_t err = rd_kafka_commit(rk, h->list, 1 /* async */);
    if (err) {
        log_warn("commit of %d partitions not sent: %s", h->list->cnt, rd_kafka_err2str(err));
        return;
    }
    h->unsent = 0;
}

void held_offsets_failed(struct held_offsets *h) {
    h->unsent = 1;
}

int held_offsets_commit(struct held_offsets *h, rd_kafka_t *rk) {
    if (!h->unsent || h->list->cnt == 0) return 0;
    h->sent_ms = clock_now_ms();
    rd_kafka_resp_err_t err = rd_kafka_commit(rk, h->list, 0);
    if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET) return -1; /* offset_commit_cb logs it */
    h->unsent = 0;
    return 0;
}

void held_offsets_release(struct held_offsets *h, const rd_kafka_topic_partition_list_t *parts) {
    for (int i = 0; i < parts->cnt; i++)
        rd_kafka_topic_partition_list_del(h->list, parts->elems[i].topic,
                                          parts->elems[i].partition);
}
