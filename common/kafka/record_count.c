/* Counting records by reading them (record_count.h). */
#include "record_count.h"

#include "clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One partition being read, for every range on it. */
struct reading {
    rd_kafka_topic_t *rkt;
    const char *topic;
    int32_t partition;
    int64_t from, to;
    int started, done;
};

static int counts(const rd_kafka_message_t *m, const struct record_range *r) {
    if (!r->header) return 1;
    rd_kafka_headers_t *h = NULL;
    const void *v;
    size_t len;
    if (rd_kafka_message_headers(m, &h) || rd_kafka_header_get_last(h, r->header, &v, &len) || !v)
        return 1; /* no such header: nobody's in particular, so everyone's */
    return len == strlen(r->value) && memcmp(v, r->value, len) == 0;
}

/* One message or end of partition: every range of its partition moves on. */
static void take(struct reading *rd, struct record_range *r, size_t n, const rd_kafka_message_t *m,
                 int eof) {
    int64_t at = eof ? m->offset : m->offset + 1; /* read up to, past this record */
    for (size_t i = 0; i < n; i++) {
        if (strcmp(r[i].topic, rd->topic) != 0 || r[i].partition != rd->partition) continue;
        if (!eof && m->offset >= r[i].from && m->offset < r[i].to && counts(m, &r[i])) r[i].count++;
        if (at > r[i].reached) r[i].reached = at < r[i].to ? at : r[i].to;
    }
    if (eof || at >= rd->to) rd->done = 1;
}

/* The partitions to read, each once, from the lowest start to the highest end. */
static size_t plan(struct reading *rd, struct record_range *r, size_t n) {
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        r[i].count = 0;
        r[i].reached = r[i].from;
        if (r[i].from >= r[i].to) continue;
        size_t j = 0;
        while (j < k &&
               !(strcmp(rd[j].topic, r[i].topic) == 0 && rd[j].partition == r[i].partition))
            j++;
        if (j == k)
            rd[k++] = (struct reading){NULL, r[i].topic, r[i].partition, r[i].from, r[i].to, 0, 0};
        if (r[i].from < rd[j].from) rd[j].from = r[i].from;
        if (r[i].to > rd[j].to) rd[j].to = r[i].to;
    }
    return k;
}

static struct reading *reading_of(struct reading *rd, size_t k, const rd_kafka_message_t *m) {
    const char *topic = rd_kafka_topic_name(m->rkt);
    for (size_t j = 0; j < k; j++)
        if (rd[j].partition == m->partition && strcmp(rd[j].topic, topic) == 0) return &rd[j];
    return NULL;
}

/* Polls q until every reading is done. @returns 0, or -1 with errstr set. */
static int read_all(rd_kafka_queue_t *q, struct reading *rd, size_t k, struct record_range *r,
                    size_t n, int timeout_ms, char *errstr, size_t sz) {
    const long long deadline = clock_now_ms() + timeout_ms;
    size_t left = k;
    while (left > 0) {
        long long wait = deadline - clock_now_ms();
        if (wait <= 0) {
            snprintf(errstr, sz, "records not read within %d ms", timeout_ms);
            return -1;
        }
        rd_kafka_message_t *m = rd_kafka_consume_queue(q, (int)(wait < 100 ? wait : 100));
        if (!m) continue;
        struct reading *one = reading_of(rd, k, m);
        int eof = m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF;
        if (m->err && !eof) {
            snprintf(errstr, sz, "%s [%d] @%lld: %s", rd_kafka_topic_name(m->rkt),
                     (int)m->partition, (long long)m->offset, rd_kafka_message_errstr(m));
            rd_kafka_message_destroy(m);
            return -1;
        }
        if (one && !one->done) {
            take(one, r, n, m, eof);
            left -= one->done;
        }
        rd_kafka_message_destroy(m);
    }
    return 0;
}

int record_count(rd_kafka_t *rk, struct record_range *r, size_t n, int timeout_ms, char *errstr,
                 size_t sz) {
    struct reading *rd = calloc(n ? n : 1, sizeof(*rd));
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    int rc = -1;
    size_t k = 0;
    snprintf(errstr, sz, "out of memory");
    if (!rd || !q) goto done;
    k = plan(rd, r, n);
    for (size_t j = 0; j < k; j++) {
        if (!(rd[j].rkt = rd_kafka_topic_new(rk, rd[j].topic, NULL)) ||
            rd_kafka_consume_start_queue(rd[j].rkt, rd[j].partition, rd[j].from, q) == -1) {
            snprintf(errstr, sz, "%s [%d]: %s", rd[j].topic, (int)rd[j].partition,
                     rd_kafka_err2str(rd_kafka_last_error()));
            goto done;
        }
        rd[j].started = 1;
    }
    rc = read_all(q, rd, k, r, n, timeout_ms, errstr, sz);
done:
    for (size_t j = 0; rd && j < k; j++) {
        if (rd[j].started) rd_kafka_consume_stop(rd[j].rkt, rd[j].partition);
        if (rd[j].rkt) rd_kafka_topic_destroy(rd[j].rkt);
    }
    if (q) rd_kafka_queue_destroy(q);
    free(rd);
    return rc;
}
