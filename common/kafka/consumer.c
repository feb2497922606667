#include "consumer.h"

#include "clock.h"
#include "held_offsets.h"
#include "kafka.h"
#include "kafka_access.h"
#include "log.h"
#include "metrics.h"

#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

/* Runs of consumed events with one Kafka timestamp (bursts share a
 * millisecond): observed at commit as one histogram update per run. */
struct consumer_run {
    struct histogram *h;
    int64_t ts_ms;
    uint64_t n;
};
/* Beyond this, a batch's latest run absorbs the rest: bounded memory. */
#define CONSUMER_MAX_RUNS 65536

struct consumer {
    rd_kafka_t *rk;
    rd_kafka_queue_t *queue; /* the consumer queue, for batch reads */
    struct consumer_hooks hooks;
    atomic_int assigned;
    /* the assignment as applied by the rebalance callback (polling thread
     * only); each partition's offset field holds the rebalance that
     * assigned it (a value of rebalances) */
    rd_kafka_topic_partition_list_t *owned;
    long rebalances; /* rebalance callbacks served (polling thread only) */
    int revoking;    /* in the revoke hook (polling thread only) */
    struct metric *assigned_gauge;
    const rd_kafka_topic_t *last_rkt; /* whose latency histogram is last_h */
    struct histogram *last_h;
    struct consumer_run *runs; /* events handed out since the last commit */
    size_t n_runs, runs_cap;
    /* events handed out since the last commit or rewind; read by the
     * statistics callback, which may run on another thread */
    atomic_long uncommitted;
    struct held_offsets held; /* consumer_commit_later's; polling thread only */
    char group[256];
    /* Kafka refuses to describe a subscribed topic; when it was last asked
     * about again (polling thread only) */
    int read_refused;
    long long resubscribed_ms;
};

/* librdkafka looks at a refused topic again only at its next metadata
 * refresh (topic.metadata.refresh.interval.ms, 5 min): renewing the
 * subscription this often while nothing is assigned asks at once, so a
 * granted ACL takes effect within seconds. */
#define CONSUMER_RESUBSCRIBE_MS 5000

#define CONSUMER_LATENCY_NAME "pizza_event_processing_seconds"
#define CONSUMER_LATENCY_HELP                                                                      \
    "Seconds from an input record's Kafka timestamp to the commit of the batch that handled it"

static struct histogram *consumer_latency(const char *topic) {
    char labels[300];
    snprintf(labels, sizeof(labels), "topic=\"%s\"", topic);
    return metrics_histogram(CONSUMER_LATENCY_NAME, CONSUMER_LATENCY_HELP, labels,
                             METRICS_LATENCY_BOUNDS, METRICS_LATENCY_BOUNDS_N);
}

/* The registry lock is taken only when the topic changes from the last event's. */
static struct histogram *consumer_latency_of(struct consumer *c, const rd_kafka_topic_t *rkt) {
    if (rkt != c->last_rkt) {
        c->last_h = rkt ? consumer_latency(rd_kafka_topic_name(rkt)) : NULL;
        c->last_rkt = rkt;
    }
    return c->last_h;
}

static int consumer_runs_grow(struct consumer *c) {
    size_t cap = c->runs_cap ? c->runs_cap * 2 : 64;
    if (cap > CONSUMER_MAX_RUNS) return -1;
    struct consumer_run *runs = realloc(c->runs, cap * sizeof(*runs));
    if (!runs) return -1;
    c->runs = runs;
    c->runs_cap = cap;
    return 0;
}

/* m goes to the application: counted until its batch commits or is rewound
 * (the lag's "all committed"), its timestamp kept until the commit; out of
 * room, the run before takes it (a slightly wrong latency beats none). */
static void consumer_note_handed(struct consumer *c, const rd_kafka_message_t *m) {
    atomic_fetch_add(&c->uncommitted, 1);
    rd_kafka_timestamp_type_t type;
    int64_t ts = rd_kafka_message_timestamp(m, &type);
    struct histogram *h = consumer_latency_of(c, m->rkt);
    struct consumer_run *last = c->n_runs ? &c->runs[c->n_runs - 1] : NULL;
    if (ts < 0 || !h) return;
    if (last && last->h == h && last->ts_ms == ts) {
        last->n++;
    } else if (c->n_runs < c->runs_cap || consumer_runs_grow(c) == 0) {
        c->runs[c->n_runs++] = (struct consumer_run){h, ts, 1};
    } else if (last) {
        last->n++;
    }
}

void consumer_batch_committed(struct consumer *c) {
    long long now = clock_wall_ms();
    for (size_t i = 0; i < c->n_runs; i++)
        histogram_observe_n(c->runs[i].h, (double)(now - c->runs[i].ts_ms) / 1000.0, c->runs[i].n);
    c->n_runs = 0;
    atomic_store(&c->uncommitted, 0);
}

void consumer_batch_forget(struct consumer *c) {
    c->n_runs = 0;
    atomic_store(&c->uncommitted, 0);
}

/* kafka_stats' question, with the consumer as the conf's opaque */
static int consumer_all_committed(void *opaque) {
    const struct consumer *c = opaque;
    return c && atomic_load(&c->uncommitted) == 0;
}

void consumer_note_committed(struct consumer *c, const rd_kafka_topic_partition_list_t *offsets) {
    rd_kafka_topic_partition_list_t *copy = rd_kafka_topic_partition_list_copy(offsets);
    /* auto commit is off: a stored offset is never committed by librdkafka,
     * only reported (stored_offset), which kafka.c reads for the lag */
    rd_kafka_resp_err_t err =
        copy ? rd_kafka_offsets_store(c->rk, copy) : RD_KAFKA_RESP_ERR_NO_ERROR;
    if (err && err != RD_KAFKA_RESP_ERR__STATE && err != RD_KAFKA_RESP_ERR__INVALID_ARG)
        log_debug("storing committed offsets for the lag: %s", rd_kafka_err2str(err));
    if (copy) rd_kafka_topic_partition_list_destroy(copy);
}

/* Counted here rather than asked of rd_kafka_assignment(): that is a request
 * to the group thread, and one made after a close's final unassign can be
 * purged unanswered when the group terminates, blocking this thread forever
 * (librdkafka 2.0.2 rd_kafka_cgrp_terminated; seen as a SIGTERM that never
 * finished). */
static void consumer_set_assigned(struct consumer *c, int n) {
    atomic_store(&c->assigned, n);
    metric_set(c->assigned_gauge, n);
}

/* Applies an assignment change that librdkafka accepted to c->owned. */
static void consumer_own(struct consumer *c, const rd_kafka_topic_partition_list_t *parts,
                         int cooperative, int add) {
    if (!cooperative) {
        rd_kafka_topic_partition_list_destroy(c->owned);
        c->owned = rd_kafka_topic_partition_list_new(add ? parts->cnt : 0);
    }
    for (int i = 0; i < parts->cnt; i++) {
        const rd_kafka_topic_partition_t *p = &parts->elems[i];
        rd_kafka_topic_partition_t *o =
            rd_kafka_topic_partition_list_find(c->owned, p->topic, p->partition);
        if (add && !o) o = rd_kafka_topic_partition_list_add(c->owned, p->topic, p->partition);
        if (add)
            o->offset = c->rebalances;
        else if (o)
            rd_kafka_topic_partition_list_del(c->owned, p->topic, p->partition);
    }
    consumer_set_assigned(c, c->owned->cnt);
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
        return;
    }
    if (err) {
        log_error("%s failed: %s", add ? "assign" : "unassign", rd_kafka_err2str(err));
        return;
    }
    consumer_own(c, parts, cooperative, add);
}

/* offset_commit_cb, on the polling thread: every commit's outcome, the
 * one place a failure is logged. A failed asynchronous commit is sent again
 * at the next interval, with whatever was delivered since. */
static void consumer_on_commit(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                               rd_kafka_topic_partition_list_t *offsets, void *opaque) {
    struct consumer *c = opaque;
    (void)rk;
    for (int i = 0; !err && offsets && i < offsets->cnt; i++)
        err = offsets->elems[i].err;
    if (!err || err == RD_KAFKA_RESP_ERR__NO_OFFSET) return;
    log_warn("offset commit of %d partitions failed: %s", offsets ? offsets->cnt : 0,
             rd_kafka_err2str(err));
    held_offsets_failed(&c->held);
}

static void consumer_on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                                  rd_kafka_topic_partition_list_t *parts, void *opaque) {
    struct consumer *c = opaque;
    int cooperative = strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
    c->rebalances++;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        log_int(LOG_INFO, "partitions", parts->cnt, "partitions assigned");
        /* joined and assigned: the group and the topics are readable */
        kafka_access_granted(KAFKA_ACCESS_GROUP);
        kafka_access_granted(KAFKA_ACCESS_READ);
        c->read_refused = 0;
        if (c->hooks.on_assign) c->hooks.on_assign(parts, c->hooks.assign_arg);
        consumer_assign(c, parts, cooperative, 1);
        return;
    }
    int lost = rd_kafka_assignment_lost(rk);
    log_int(LOG_INFO, "partitions", parts->cnt, "partitions %s", lost ? "lost" : "revoked");
    c->revoking = 1;
    if (c->hooks.on_revoke) c->hooks.on_revoke(parts, lost, c->hooks.revoke_arg);
    c->revoking = 0;
    held_offsets_release(&c->held, parts); /* committed by the hook, or lost */
    consumer_batch_forget(c);              /* committed by the hook, or someone else's to redo */
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

/* Registered up front, so the families show before the first event. */
static void consumer_register_metrics(struct consumer *c, const char *group_id,
                                      const char *const *topics) {
    char labels[300];
    snprintf(labels, sizeof(labels), "group=\"%s\"", group_id);
    c->assigned_gauge = metrics_register(METRIC_GAUGE, "pizza_consumer_partitions_assigned",
                                         "Partitions assigned to this group member", labels);
    for (size_t i = 0; topics[i]; i++) {
        consumer_latency(topics[i]);
        kafka_consumed_counter(topics[i]);
    }
}

/* Messages still arriving while the consumer closes. The close forwards the
 * consumer's queue to the one consumer_close serves with callbacks, and a
 * fetched message there with no consume callback trips librdkafka 2.0.2's
 * assert (rd_kafka_q_serve: res != RD_KAFKA_OP_RES_PASS: SIGABRT, exit 134,
 * when SIGTERM comes under load). Only that callback-served queue ever calls
 * this: consumer_poll and the batch read take messages themselves. Dropping
 * them loses nothing: they are not committed, the next owner reads them. */
static void consumer_drop_on_close(rd_kafka_message_t *m, void *opaque) {
    (void)m; /* librdkafka's, freed by it */
    (void)opaque;
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
    snprintf(c->group, sizeof(c->group), "%s", group_id);
    consumer_register_metrics(c, group_id, topics);
    kafka_conf_track_lag(conf, consumer_all_committed);
    if (rd_kafka_conf_set(conf, "group.id", group_id, why, sizeof(why)) != RD_KAFKA_CONF_OK) {
        snprintf(errstr, sz, "group.id: %s", why);
        rd_kafka_conf_destroy(conf);
        free(c);
        return NULL;
    }
    rd_kafka_conf_set_opaque(conf, c);
    rd_kafka_conf_set_rebalance_cb(conf, consumer_on_rebalance);
    rd_kafka_conf_set_offset_commit_cb(conf, consumer_on_commit);
    rd_kafka_conf_set_consume_cb(conf, consumer_drop_on_close);
    if (!(c->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sz))) {
        rd_kafka_conf_destroy(conf);
        free(c);
        return NULL;
    }
    conf = NULL; /* rk owns */
    /* used from the first poll on, where the rebalance callback runs */
    c->owned = rd_kafka_topic_partition_list_new(0);
    held_offsets_init(&c->held, 0);
    rd_kafka_poll_set_consumer(c->rk);
    c->queue = rd_kafka_queue_get_consumer(c->rk);
    if (consumer_subscribe(c, topics, errstr, sz) == -1) {
        consumer_free(c);
        return NULL;
    }
    return c;
}

/* Leaving the group needs its coordinator, and in an outage librdkafka's
 * blocking close waits for it past what a supervisor grants a stopping
 * daemon. So the close runs in the background while this thread serves its
 * rebalance callback (the revoke hook commits the open batch), for at most
 * this long; a member that could not say goodbye is timed out by the group,
 * as a crashed one is. */
#define CONSUMER_CLOSE_MAX_MS 4000

/* @returns 1 when the consumer closed, 0 when it gave up. */
static int consumer_close(rd_kafka_t *rk) {
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_error_t *error = q ? rd_kafka_consumer_close_queue(rk, q) : NULL;
    if (!q || error) {
        log_warn("leaving the group: %s", error ? rd_kafka_error_string(error) : "out of memory");
        if (error) rd_kafka_error_destroy(error);
        if (q) rd_kafka_queue_destroy(q);
        return 0;
    }
    long long deadline = clock_now_ms() + CONSUMER_CLOSE_MAX_MS;
    while (!rd_kafka_consumer_closed(rk) && clock_now_ms() < deadline)
        rd_kafka_queue_poll_callback(q, 100);
    int closed = rd_kafka_consumer_closed(rk);
    if (!closed)
        log_warn("could not leave the group within %d ms (no coordinator?); the group will time "
                 "this member out",
                 CONSUMER_CLOSE_MAX_MS);
    rd_kafka_queue_destroy(q);
    return closed;
}

void consumer_free(struct consumer *c) {
    if (!c) return;
    if (c->queue) rd_kafka_queue_destroy(c->queue);
    int closed = consumer_close(c->rk);
    kafka_lag_forget(c->rk);
    metric_set(c->assigned_gauge, 0);
    /* a destroy would otherwise try the blocking close again */
    rd_kafka_destroy_flags(c->rk, closed ? 0 : RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
    rd_kafka_topic_partition_list_destroy(c->owned);
    held_offsets_free(&c->held);
    free(c->runs);
    free(c);
}

/* A refused ACL is not a bad event: it is recorded for /ready and logged
 * there, once. @returns 1 when err was one. */
static int consumer_refused(struct consumer *c, const rd_kafka_message_t *m) {
    if (m->err == RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED) {
        kafka_access_refused(KAFKA_ACCESS_GROUP, "consumer group %s: %s (needs Read on the group)",
                             c->group, rd_kafka_message_errstr(m));
        return 1;
    }
    if (!kafka_access_denied(m->err)) return 0;
    kafka_access_refused(KAFKA_ACCESS_READ, "read topic %s: %s (needs Read on the topic)",
                         m->rkt ? rd_kafka_topic_name(m->rkt) : "?", rd_kafka_err2str(m->err));
    c->read_refused = 1;
    return 1;
}

/* @returns m, or NULL when it is an error (logged and freed). */
static rd_kafka_message_t *consumer_check(struct consumer *c, rd_kafka_message_t *m) {
    if (!m || !m->err) return m;
    if (consumer_refused(c, m)) {
        rd_kafka_message_destroy(m);
        return NULL;
    }
    log_at(m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF ? LOG_DEBUG : LOG_WARN,
           &(struct log_where){.topic = m->rkt ? rd_kafka_topic_name(m->rkt) : NULL,
                               .partition = m->partition,
                               .offset = m->offset},
           "consume: %s", rd_kafka_message_errstr(m));
    rd_kafka_message_destroy(m);
    return NULL;
}

/* While a subscribed topic is refused and nothing is assigned, asks the
 * brokers about it again every CONSUMER_RESUBSCRIBE_MS (librdkafka would
 * answer a subscription from its cached refusal), and once it is readable
 * renews the subscription so the group assigns it at once. */
static void consumer_retry_refused(struct consumer *c) {
    if (!c->read_refused) return; /* every poll: no clock read while nothing is refused */
    long long now = clock_now_ms();
    if (now - c->resubscribed_ms < CONSUMER_RESUBSCRIBE_MS) return;
    c->resubscribed_ms = now;
    rd_kafka_topic_partition_list_t *topics = NULL;
    if (atomic_load(&c->assigned) || rd_kafka_subscription(c->rk, &topics)) {
        c->read_refused = 0; /* assigned: the refusal is over */
        return;
    }
    int readable = 1;
    for (int i = 0; i < topics->cnt && readable; i++) {
        rd_kafka_topic_t *rkt = rd_kafka_topic_new(c->rk, topics->elems[i].topic, NULL);
        const struct rd_kafka_metadata *md = NULL;
        if (!rkt || rd_kafka_metadata(c->rk, 0, rkt, &md, 1000) || md->topic_cnt != 1 ||
            md->topics[0].err)
            readable = 0;
        if (md) rd_kafka_metadata_destroy(md);
        if (rkt) rd_kafka_topic_destroy(rkt);
    }
    if (readable) {
        rd_kafka_resp_err_t err = rd_kafka_subscribe(c->rk, topics);
        if (err) log_warn("subscribing again: %s", rd_kafka_err2str(err));
        c->read_refused = 0;
    }
    rd_kafka_topic_partition_list_destroy(topics);
}

rd_kafka_message_t *consumer_poll(struct consumer *c, int timeout_ms) {
    held_offsets_send_due(&c->held, c->rk);
    consumer_retry_refused(c);
    rd_kafka_message_t *m = consumer_check(c, rd_kafka_consumer_poll(c->rk, timeout_ms));
    if (m) consumer_note_handed(c, m);
    return m;
}

/* Whether m, taken when c had served taken_at rebalances, is of a partition
 * not assigned now, or assigned anew since (its fetch restarted where
 * on_assign said): then it is outdated, and dropping it loses nothing, as it
 * is not committed and the partition's owner reads it again. */
static int consumer_outdated(const struct consumer *c, const rd_kafka_message_t *m, long taken_at) {
    const rd_kafka_topic_partition_t *p = rd_kafka_topic_partition_list_find(
        c->owned, m->rkt ? rd_kafka_topic_name(m->rkt) : "", m->partition);
    if (p && p->offset <= taken_at) return 0;
    log_at(LOG_DEBUG,
           &(struct log_where){.topic = m->rkt ? rd_kafka_topic_name(m->rkt) : NULL,
                               .partition = m->partition,
                               .offset = m->offset},
           "dropped: its partition was revoked while it was handed out");
    return 1;
}

size_t consumer_poll_batch(struct consumer *c, int timeout_ms, rd_kafka_message_t **msgs,
                           size_t max) {
    held_offsets_send_due(&c->held, c->rk);
    consumer_retry_refused(c);
    if (max == 0 || !(msgs[0] = consumer_check(c, rd_kafka_consumer_poll(c->rk, timeout_ms))))
        return 0;
    long taken_at = c->rebalances;
    /* a batch read waits for a full batch: only take what is there. It may
     * serve a rebalance: librdkafka drops what it took itself of a revoked
     * partition (not always: only once the partition's fetch barrier is
     * seen), never msgs[0], so that is done here. */
    ssize_t got = max > 1 ? rd_kafka_consume_batch_queue(c->queue, 0, msgs + 1, max - 1) : 0;
    size_t n = 0;
    for (ssize_t i = 0; i <= (got > 0 ? got : 0); i++) {
        rd_kafka_message_t *m = i == 0 ? msgs[0] : consumer_check(c, msgs[i]);
        /* the batch's own: taken after or before a rebalance, all we know is
         * whether the partition is still ours (never dropped when it is) */
        if (m && c->rebalances != taken_at &&
            consumer_outdated(c, m, i == 0 ? taken_at : LONG_MAX)) {
            rd_kafka_message_destroy(m);
            m = NULL;
        }
        if (m) consumer_note_handed(c, msgs[n++] = m);
    }
    return n;
}

void consumer_commit_later(struct consumer *c, const rd_kafka_topic_partition_list_t *offsets) {
    held_offsets_add(&c->held, offsets);
    /* the lag follows what is delivered, not the commit that comes later */
    consumer_note_committed(c, offsets);
}

int consumer_commit_held(struct consumer *c) {
    return held_offsets_commit(&c->held, c->rk);
}

void consumer_set_commit_interval(struct consumer *c, long interval_ms) {
    c->held.interval_ms = interval_ms;
}

/* One attempt at a seek. @returns 0, 1 when it timed out (a busy broker
 * thread: asking again is safe, the offsets are the same), or -1. */
static int consumer_seek_once(struct consumer *c, const rd_kafka_topic_partition_list_t *offsets) {
    rd_kafka_topic_partition_list_t *copy = rd_kafka_topic_partition_list_copy(offsets);
    rd_kafka_error_t *error = rd_kafka_seek_partitions(c->rk, copy, 5000);
    int rc = 0;
    if (error) {
        rc = rd_kafka_error_code(error) == RD_KAFKA_RESP_ERR__TIMED_OUT ? 1 : -1;
        if (rc == -1) log_error("seek failed: %s", rd_kafka_error_string(error));
        rd_kafka_error_destroy(error);
    }
    for (int i = 0; i < copy->cnt && rc == 0; i++) {
        rd_kafka_resp_err_t perr = copy->elems[i].err;
        /* not (or no longer) assigned here: its next owner starts from the
         * group's committed offset, which is what a rewind is for */
        if (!perr || perr == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION ||
            perr == RD_KAFKA_RESP_ERR__STATE || perr == RD_KAFKA_RESP_ERR__PREV_IN_PROGRESS)
            continue;
        if (perr == RD_KAFKA_RESP_ERR__TIMED_OUT) {
            rc = 1;
            break;
        }
        log_error("seek %s [%d] failed: %s", copy->elems[i].topic, copy->elems[i].partition,
                  rd_kafka_err2str(perr));
        rc = -1;
    }
    rd_kafka_topic_partition_list_destroy(copy);
    return rc;
}

int consumer_seek(struct consumer *c, const rd_kafka_topic_partition_list_t *offsets) {
    consumer_batch_forget(c); /* what is read again is timed again */
    int rc;
    /* a slow seek is no reason to stop the daemon (seen under ASan and load) */
    while ((rc = consumer_seek_once(c, offsets)) == 1 && kafka_running())
        log_warn("seek not done within 5 s; asking again");
    if (rc == 1) log_error("seek not done within 5 s, and stopping");
    return rc == 0 ? 0 : -1;
}

rd_kafka_consumer_group_metadata_t *consumer_group_metadata(struct consumer *c) {
    return rd_kafka_consumer_group_metadata(c->rk);
}

rd_kafka_resp_err_t consumer_committed(struct consumer *c, rd_kafka_topic_partition_list_t *parts,
                                       int timeout_ms) {
    rd_kafka_resp_err_t err = rd_kafka_committed(c->rk, parts, timeout_ms);
    /* a partition's own error comes with NO_ERROR for the request */
    for (int i = 0; !err && i < parts->cnt; i++)
        err = parts->elems[i].err;
    return err;
}

void consumer_wake(struct consumer *c) {
    rd_kafka_queue_t *q = rd_kafka_queue_get_consumer(c->rk);
    if (!q) return;
    rd_kafka_queue_yield(q);
    rd_kafka_queue_destroy(q);
}

int consumer_revoking(const struct consumer *c) {
    return c->revoking;
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
