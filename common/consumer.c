#include "consumer.h"

#include "kafka.h"
#include "log.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

struct consumer {
    rd_kafka_t *rk;
    rd_kafka_queue_t *queue; /* the consumer queue, for batch reads */
    struct consumer_hooks hooks;
    atomic_int assigned;
};

static void consumer_count(struct consumer *c) {
    rd_kafka_topic_partition_list_t *now = NULL;
    if (rd_kafka_assignment(c->rk, &now) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        atomic_store(&c->assigned, now->cnt);
        rd_kafka_topic_partition_list_destroy(now);
    }
}

static void consumer_assign(struct consumer *c, rd_kafka_topic_partition_list_t *parts,
                            int cooperative, int add) {
    rd_kafka_error_t *error = NULL;
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
    if (cooperative)
        error = add ? rd_kafka_incremental_assign(c->rk, parts)
                    : rd_kafka_incremental_unassign(c->rk, parts);
    else
        err = rd_kafka_assign(c->rk, add ? parts : NULL);
    if (error) {
        log_error("%s failed: %s", add ? "assign" : "unassign", rd_kafka_error_string(error));
        rd_kafka_error_destroy(error);
    } else if (err) {
        log_error("%s failed: %s", add ? "assign" : "unassign", rd_kafka_err2str(err));
    }
    consumer_count(c);
}

static void consumer_on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                                  rd_kafka_topic_partition_list_t *parts, void *opaque) {
    struct consumer *c = opaque;
    int cooperative = strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        log_int(LOG_INFO, "partitions", parts->cnt, "partitions assigned");
        if (c->hooks.on_assign) c->hooks.on_assign(parts, c->hooks.arg);
        consumer_assign(c, parts, cooperative, 1);
        return;
    }
    int lost = rd_kafka_assignment_lost(rk);
    log_int(LOG_INFO, "partitions", parts->cnt, "partitions %s", lost ? "lost" : "revoked");
    if (c->hooks.on_revoke) c->hooks.on_revoke(parts, lost, c->hooks.arg);
    consumer_assign(c, parts, cooperative, 0);
}

static int consumer_subscribe(struct consumer *c, const char *const *topics, char *errstr,
                              size_t sz) {
    size_t n = 0;
    while (topics[n])
        n++;
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new((int)n);
    for (size_t i = 0; i < n; i++)
        rd_kafka_topic_partition_list_add(list, topics[i], RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t err = rd_kafka_subscribe(c->rk, list);
    rd_kafka_topic_partition_list_destroy(list);
    if (err) snprintf(errstr, sz, "subscribe: %s", rd_kafka_err2str(err));
    return err ? -1 : 0;
}

struct consumer *consumer_new(const struct cfg *cf, const char *client_id, const char *group_id,
                              const char *const *topics, const struct consumer_hooks *hooks,
                              char *errstr, size_t sz) {
    struct consumer *c = calloc(1, sizeof(*c));
    rd_kafka_conf_t *conf = c ? kafka_conf_new(cf, KAFKA_CONSUMER, client_id, errstr, sz) : NULL;
    char why[256];
    if (!conf) {
        if (!c) snprintf(errstr, sz, "out of memory");
        free(c);
        return NULL;
    }
    if (hooks) c->hooks = *hooks;
    if (rd_kafka_conf_set(conf, "group.id", group_id, why, sizeof(why)) != RD_KAFKA_CONF_OK) {
        snprintf(errstr, sz, "group.id: %s", why);
        rd_kafka_conf_destroy(conf);
        free(c);
        return NULL;
    }
    rd_kafka_conf_set_opaque(conf, c);
    rd_kafka_conf_set_rebalance_cb(conf, consumer_on_rebalance);
    if (!(c->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sz))) {
        rd_kafka_conf_destroy(conf);
        free(c);
        return NULL;
    }
    conf = NULL; /* rk owns */
    rd_kafka_poll_set_consumer(c->rk);
    c->queue = rd_kafka_queue_get_consumer(c->rk);
    if (consumer_subscribe(c, topics, errstr, sz) == -1) {
        consumer_free(c);
        return NULL;
    }
    return c;
}

void consumer_free(struct consumer *c) {
    if (!c) return;
    if (c->queue) rd_kafka_queue_destroy(c->queue);
    rd_kafka_resp_err_t err = rd_kafka_consumer_close(c->rk);
    if (err) log_warn("leaving the group: %s", rd_kafka_err2str(err));
    rd_kafka_destroy(c->rk);
    free(c);
}

/* @returns m, or NULL when it is an error (logged and freed). */
static rd_kafka_message_t *consumer_check(rd_kafka_message_t *m) {
    if (!m || !m->err) return m;
    log_at(m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF ? LOG_DEBUG : LOG_WARN,
           &(struct log_where){m->rkt ? rd_kafka_topic_name(m->rkt) : NULL, m->partition, m->offset,
                               NULL, 0},
           "consume: %s", rd_kafka_message_errstr(m));
    rd_kafka_message_destroy(m);
    return NULL;
}

rd_kafka_message_t *consumer_poll(struct consumer *c, int timeout_ms) {
    return consumer_check(rd_kafka_consumer_poll(c->rk, timeout_ms));
}

size_t consumer_poll_batch(struct consumer *c, int timeout_ms, rd_kafka_message_t **msgs,
                           size_t max) {
    if (max == 0 || !(msgs[0] = consumer_poll(c, timeout_ms))) return 0;
    /* a batch read waits for a full batch: only take what is there */
    ssize_t got = max > 1 ? rd_kafka_consume_batch_queue(c->queue, 0, msgs + 1, max - 1) : 0;
    size_t n = 1;
    for (ssize_t i = 1; i <= got; i++)
        if ((msgs[n] = consumer_check(msgs[i]))) n++;
    return n;
}

int consumer_commit(struct consumer *c, const rd_kafka_topic_partition_list_t *offsets) {
    rd_kafka_resp_err_t err = rd_kafka_commit(c->rk, offsets, 0);
    if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET) {
        log_warn("commit of %d partitions failed: %s", offsets->cnt, rd_kafka_err2str(err));
        return -1;
    }
    return 0;
}

int consumer_seek(struct consumer *c, const rd_kafka_topic_partition_list_t *offsets) {
    rd_kafka_topic_partition_list_t *copy = rd_kafka_topic_partition_list_copy(offsets);
    rd_kafka_error_t *error = rd_kafka_seek_partitions(c->rk, copy, 5000);
    int rc = 0;
    if (error) {
        log_error("seek failed: %s", rd_kafka_error_string(error));
        rd_kafka_error_destroy(error);
        rc = -1;
    }
    for (int i = 0; i < copy->cnt && rc == 0; i++) {
        rd_kafka_resp_err_t perr = copy->elems[i].err;
        /* not (or no longer) assigned here: its next owner starts from the
         * group's committed offset, which is what a rewind is for */
        if (!perr || perr == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION ||
            perr == RD_KAFKA_RESP_ERR__STATE || perr == RD_KAFKA_RESP_ERR__PREV_IN_PROGRESS)
            continue;
        log_error("seek %s [%d] failed: %s", copy->elems[i].topic, copy->elems[i].partition,
                  rd_kafka_err2str(copy->elems[i].err));
        rc = -1;
    }
    rd_kafka_topic_partition_list_destroy(copy);
    return rc;
}

rd_kafka_consumer_group_metadata_t *consumer_group_metadata(struct consumer *c) {
    return rd_kafka_consumer_group_metadata(c->rk);
}

int consumer_committed(struct consumer *c, rd_kafka_topic_partition_list_t *parts, int timeout_ms) {
    rd_kafka_resp_err_t err = rd_kafka_committed(c->rk, parts, timeout_ms);
    if (err) log_warn("committed offsets: %s", rd_kafka_err2str(err));
    return err ? -1 : 0;
}

void consumer_wake(struct consumer *c) {
    rd_kafka_queue_t *q = rd_kafka_queue_get_consumer(c->rk);
    if (!q) return;
    rd_kafka_queue_yield(q);
    rd_kafka_queue_destroy(q);
}

int consumer_assigned(const struct consumer *c) {
    return atomic_load(&c->assigned);
}

int consumer_ready(void *consumer, char *why, size_t sz) {
    struct consumer *c = consumer;
    if (!kafka_brokers_up()) {
        snprintf(why, sz, "no broker reachable");
        return 0;
    }
    if (!c || consumer_assigned(c) == 0) {
        snprintf(why, sz, "no partitions assigned");
        return 0;
    }
    return 1;
}
