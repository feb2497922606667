#include "changelog.h"

#include "kafka.h"
#include "log.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct changelog {
    rd_kafka_t *rk;
    char *topic;
    int partitions; /* known once the restore began */
    atomic_int restored;
};

struct changelog *changelog_new(const struct cfg *c, const char *client_id, const char *topic,
                                char *errstr, size_t sz) {
    struct changelog *cl = calloc(1, sizeof(*cl));
    rd_kafka_conf_t *conf = cl ? kafka_conf_new(c, KAFKA_CONSUMER, client_id, errstr, sz) : NULL;
    if (!conf || !(cl->topic = strdup(topic))) {
        /* a conf refused keeps kafka_conf_new's reason (e.g. a bad property) */
        if (!cl || conf) snprintf(errstr, sz, "out of memory");
        if (conf) rd_kafka_conf_destroy(conf);
        free(cl);
        return NULL;
    }
    char group[300];
    /* assign() wants a group.id, though this reader never joins or commits */
    snprintf(group, sizeof(group), "%s.%s.reader", client_id, topic);
    /* the end of each partition marks the end of the restore */
    if (rd_kafka_conf_set(conf, "enable.partition.eof", "true", errstr, sz) != RD_KAFKA_CONF_OK ||
        rd_kafka_conf_set(conf, "group.id", group, errstr, sz) != RD_KAFKA_CONF_OK ||
        !(cl->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sz))) {
        rd_kafka_conf_destroy(conf);
        changelog_free(cl);
        return NULL;
    }
    rd_kafka_poll_set_consumer(cl->rk);
    return cl;
}

void changelog_free(struct changelog *cl) {
    if (!cl) return;
    if (cl->rk) {
        rd_kafka_consumer_close(cl->rk);
        rd_kafka_destroy(cl->rk);
    }
    free(cl->topic);
    free(cl);
}

/* @returns the partition count, or -1 when unknown yet (logged). */
static int changelog_partitions(struct changelog *cl) {
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(cl->rk, cl->topic, NULL);
    rd_kafka_resp_err_t err =
        rkt ? rd_kafka_metadata(cl->rk, 0, rkt, &md, 1000) : rd_kafka_last_error();
    int n = -1;
    if (!err && md->topic_cnt == 1 && !md->topics[0].err) n = md->topics[0].partition_cnt;
    if (n < 1)
        log_warn("changelog %s: no partitions yet: %s", cl->topic,
                 err ? rd_kafka_err2str(err)
                     : rd_kafka_err2str(md->topic_cnt == 1 ? md->topics[0].err
                                                           : RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC));
    if (md) rd_kafka_metadata_destroy(md);
    if (rkt) rd_kafka_topic_destroy(rkt);
    return n;
}

static int changelog_assign_all(struct changelog *cl, int n) {
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(n);
    for (int p = 0; p < n; p++)
        rd_kafka_topic_partition_list_add(parts, cl->topic, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_resp_err_t err = rd_kafka_assign(cl->rk, parts);
    rd_kafka_topic_partition_list_destroy(parts);
    if (err) log_error("changelog %s: assign: %s", cl->topic, rd_kafka_err2str(err));
    return err ? -1 : 0;
}

/* Applies one message or handles an event. @returns the partition that just
 * reached its end, or -1. */
static int changelog_handle(struct changelog *cl, rd_kafka_message_t *m, changelog_apply_fn apply,
                            void *arg) {
    int eof = -1;
    if (!m->err) {
        apply(m, arg);
    } else if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        eof = m->partition;
    } else {
        log_at(
            LOG_WARN,
            &(struct log_where){.topic = cl->topic, .partition = m->partition, .offset = m->offset},
            "changelog: %s", rd_kafka_message_errstr(m));
    }
    rd_kafka_message_destroy(m);
    return eof;
}

int changelog_restore(struct changelog *cl, changelog_apply_fn apply, void *arg) {
    int n;
    /* a metadata error may come back at once: wait between tries */
    while ((n = changelog_partitions(cl)) < 1 && kafka_running())
        rd_kafka_poll(cl->rk, 1000);
    if (n < 1 || changelog_assign_all(cl, n) == -1) return -1;
    cl->partitions = n;
    char *at_end = calloc((size_t)n, 1);
    int remaining = n;
    long records = 0;
    while (at_end && remaining > 0 && kafka_running()) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(cl->rk, 100);
        if (!m) continue;
        records += !m->err;
        int p = changelog_handle(cl, m, apply, arg);
        if (p >= 0 && p < n && !at_end[p]) {
            at_end[p] = 1;
            remaining--;
        }
    }
    free(at_end);
    if (remaining > 0) return -1;
    log_int(LOG_INFO, "records", records, "restored from %s", cl->topic);
    atomic_store(&cl->restored, 1);
    return 0;
}

int changelog_poll(struct changelog *cl, changelog_apply_fn apply, void *arg, int timeout_ms) {
    int applied = 0, polled = 0;
    rd_kafka_message_t *m;
    /* bounded, so the caller's other work is never starved */
    while (polled < 10000 && (m = rd_kafka_consumer_poll(cl->rk, polled++ ? 0 : timeout_ms))) {
        applied += !m->err;
        changelog_handle(cl, m, apply, arg);
    }
    return applied;
}

int changelog_partition_count(const struct changelog *cl) {
    return cl->partitions;
}

int changelog_restored(const struct changelog *cl) {
    return atomic_load(&cl->restored);
}
