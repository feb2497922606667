#include "producer.h"

#include "clock.h"
#include "kafka.h"
#include "kafka_access.h"
#include "kafka_trace.h"
#include "log.h"
#include "metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PRODUCER_MAX_TOPICS 16
/* One Kafka call waits at most this long, so a stop request is seen soon. */
#define PRODUCER_CALL_MS 1000
/* After shutdown began, a batch may still take this long to commit. */
#define PRODUCER_SHUTDOWN_GRACE_MS 5000

/* An output topic and what the open batch sent to it: counted as produced
 * only once the batch commits (an aborted transaction produced nothing). */
struct producer_topic_slot {
    rd_kafka_topic_t *rkt;
    struct metric *produced;
    long in_batch;
    int refused; /* Kafka refuses this principal writes to it (polling thread only) */
};

/* A refused topic is asked about again this often while nothing is written
 * to it (a dead-letter topic may see no record for days). */
#define PRODUCER_REFUSED_RECHECK_MS 5000

/* A counter the open batch adds to once it commits. */
struct producer_deferred {
    struct metric *metric;
    long n;
};

/* Where the producer's batch is. At-least-once uses IDLE and OPEN only.
 *
 *   UNINIT  --init transactions (fences an earlier run)-->  IDLE
 *   IDLE    --begin (the first send, or producer_begin)-->  OPEN
 *   OPEN    --commit succeeded----------------------------> IDLE
 *   OPEN    --commit timed out: Kafka decides------------->  COMMITTING
 *   OPEN    --commit failed, or abort: abort the txn------> IDLE, or ABORTING
 *   COMMITTING --resumed commit ended---------------------> IDLE (or abort)
 *   ABORTING   --abort ended------------------------------> IDLE
 *
 * Only IDLE opens a batch: one whose end is not settled is settled first
 * (producer_settle), so two transactions never overlap. */
enum producer_state {
    PRODUCER_UNINIT,     /* exactly-once: transactions not initialised yet */
    PRODUCER_IDLE,       /* no batch open */
    PRODUCER_OPEN,       /* a batch (a transaction, when exactly-once) is open */
    PRODUCER_COMMITTING, /* a commit timed out: only resuming it may end it */
    PRODUCER_ABORTING,   /* an abort timed out: finished before the next batch */
};

struct producer {
    rd_kafka_t *rk;
    enum producer_state state;
    int transactional;
    int txn_id_configured; /* else the default, "<service>-<instance id>" */
    struct producer_topic_slot topics[PRODUCER_MAX_TOPICS]; /* each is its rkt's opaque */
    int n_topics;
    struct producer_deferred deferred[PRODUCER_MAX_DEFERRED];
    int n_deferred;
    long long refused_ms;         /* when a batch could last not be opened */
    long failed_deliveries;       /* of the open batch */
    long commit_timeout_ms;       /* 0: keep trying while the service runs */
    long long refused_checked_ms; /* when refused topics were last asked about */
    struct metric *delivered, *failed, *commits, *aborts, *unknown;
    struct metric *txn_commits, *txn_aborts; /* exactly-once only */
};

/* Whether Kafka refuses writes to slot's topic: recorded for /ready (the
 * refusal lasts while any topic is refused). */
static void producer_topic_refused(struct producer *p, struct producer_topic_slot *slot,
                                   rd_kafka_resp_err_t err) {
    if (!slot) return;
    if (err) {
        slot->refused = 1;
        kafka_access_refused(KAFKA_ACCESS_WRITE, "write to topic %s: %s (needs Write on the topic)",
                             rd_kafka_topic_name(slot->rkt), rd_kafka_err2str(err));
        return;
    }
    if (!slot->refused) return;
    slot->refused = 0;
    for (int i = 0; i < p->n_topics; i++)
        if (p->topics[i].refused) return;
    kafka_access_granted(KAFKA_ACCESS_WRITE);
}

static void producer_on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    struct producer *p = opaque;
    (void)rk;
    if (!m->err) {
        metric_add(p->delivered, 1);
        producer_topic_refused(p, rd_kafka_topic_opaque(m->rkt), 0);
        return;
    }
    metric_add(p->failed, 1);
    if (kafka_access_denied(m->err))
        producer_topic_refused(p, rd_kafka_topic_opaque(m->rkt), m->err);
    /* an outage fails a whole batch: its first failure says why, the count is in
     * the metrics and in the batch's outcome */
    if (p->failed_deliveries++ > 0) return;
    char trace_id[TRACE_ID_LEN + 1];
    struct log_where w = trace_where(m, trace_id);
    w.offset = -1; /* not written */
    log_at(LOG_WARN, &w, "delivery failed: %s (further failures of this batch are only counted)",
           rd_kafka_err2str(m->err));
}

static int producer_set_identity(struct producer *p, const struct cfg *c, rd_kafka_conf_t *conf,
                                 const char *default_tid, char *errstr, size_t sz) {
    const char *tid = cfg_get(c, "kafka.producer", "transactional.id");
    if (!tid) tid = cfg_get(c, "kafka", "transactional.id");
    if (!p->transactional) {
        if (!tid) return 0;
        snprintf(errstr, sz, "transactional.id is set but processing.guarantee is at_least_once");
        return -1;
    }
    char why[256];
    if (rd_kafka_conf_set(conf, "transactional.id", tid ? tid : default_tid, why, sizeof(why)) !=
        RD_KAFKA_CONF_OK) {
        snprintf(errstr, sz, "transactional.id: %s", why);
        return -1;
    }
    p->txn_id_configured = tid != NULL;
    return 0;
}

#define PRODUCER_BATCHES_HELP "Output batches (transactions when exactly-once), by outcome"
#define PRODUCER_TXN_HELP "Kafka transactions ended, by result (exactly-once only)"

static void producer_register_metrics(struct producer *p) {
    p->delivered = metrics_register(METRIC_COUNTER, "pizza_kafka_messages_delivered_total",
                                    "Messages the brokers acknowledged", NULL);
    p->failed = metrics_register(METRIC_COUNTER, "pizza_kafka_delivery_failures_total",
                                 "Messages whose delivery failed", NULL);
    p->commits = metrics_register(METRIC_COUNTER, "pizza_batches_total", PRODUCER_BATCHES_HELP,
                                  "outcome=\"committed\"");
    p->aborts = metrics_register(METRIC_COUNTER, "pizza_batches_total", PRODUCER_BATCHES_HELP,
                                 "outcome=\"aborted\"");
    p->unknown = metrics_register(METRIC_COUNTER, "pizza_batches_total", PRODUCER_BATCHES_HELP,
                                  "outcome=\"unknown\"");
    if (!p->transactional) return;
    p->txn_commits = metrics_register(METRIC_COUNTER, "pizza_transactions_total", PRODUCER_TXN_HELP,
                                      "result=\"committed\"");
    p->txn_aborts = metrics_register(METRIC_COUNTER, "pizza_transactions_total", PRODUCER_TXN_HELP,
                                     "result=\"aborted\"");
}

struct producer *producer_new(const struct cfg *c, const char *client_id, const char *default_tid,
                              int exactly_once, char *errstr, size_t sz) {
    struct producer *p = calloc(1, sizeof(*p));
    rd_kafka_conf_t *conf = p ? kafka_conf_new(c, KAFKA_PRODUCER, client_id, errstr, sz) : NULL;
    if (!conf) {
        if (!p) snprintf(errstr, sz, "out of memory");
        free(p);
        return NULL;
    }
    p->transactional = exactly_once;
    p->state = exactly_once ? PRODUCER_UNINIT : PRODUCER_IDLE;
    if (producer_set_identity(p, c, conf, default_tid, errstr, sz) == -1) {
        rd_kafka_conf_destroy(conf);
        free(p);
        return NULL;
    }
    rd_kafka_conf_set_opaque(conf, p);
    rd_kafka_conf_set_dr_msg_cb(conf, producer_on_delivery);
    p->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sz);
    if (!p->rk) {
        rd_kafka_conf_destroy(conf);
        free(p);
        return NULL;
    }
    producer_register_metrics(p);
    return p;
}

/* @returns a new topic handle whose opaque is slot, or NULL (errstr set). */
static rd_kafka_topic_t *producer_topic_new(struct producer *p, const char *name,
                                            struct producer_topic_slot *slot, char *errstr,
                                            size_t sz) {
    rd_kafka_topic_conf_t *tconf = rd_kafka_topic_conf_new();
    if (!tconf) {
        snprintf(errstr, sz, "out of memory");
        return NULL;
    }
    rd_kafka_topic_conf_set_opaque(tconf, slot);
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(p->rk, name, tconf);
    if (!rkt) {
        rd_kafka_topic_conf_destroy(tconf);
        snprintf(errstr, sz, "topic %s: %s", name, rd_kafka_err2str(rd_kafka_last_error()));
        return NULL;
    }
    return rkt; /* tconf: rkt owns */
}

/* A topic whose brokers take smaller record batches than the producer makes
 * would refuse a large event only after it was sent: the batch fails, and is
 * redone, forever. With message.max.bytes within the topic's limit, librdkafka
 * refuses such an event when it is sent, and it is dead-lettered.
 * @returns 0, or -1 (errstr set) when the limits do not fit. */
static int producer_check_record_limit(struct producer *p, const char *topic, char *errstr,
                                       size_t sz) {
    char mine_text[32], why[256];
    size_t len = sizeof(mine_text);
    long limit;
    if (rd_kafka_conf_get(rd_kafka_conf(p->rk), "message.max.bytes", mine_text, &len) !=
        RD_KAFKA_CONF_OK)
        return 0;
    long mine = strtol(mine_text, NULL, 10);
    if (kafka_topic_max_message_bytes(p->rk, topic, 2000, &limit, why, sizeof(why)) == -1) {
        log_debug("topic %s: max.message.bytes not known (%s); not compared", topic, why);
        return 0;
    }
    if (limit >= mine) return 0;
    snprintf(errstr, sz,
             "topic %s takes records of at most %ld bytes (its max.message.bytes), fewer than "
             "[kafka] message.max.bytes = %ld: a larger event would be refused only after it "
             "was sent, and its batch redone forever; set message.max.bytes to %ld or less",
             topic, limit, mine, limit);
    return -1;
}

rd_kafka_topic_t *producer_topic(struct producer *p, const char *name, char *errstr, size_t sz) {
    const struct rd_kafka_metadata *md = NULL;
    char labels[300];
    for (int i = 0; i < p->n_topics; i++)
        if (strcmp(rd_kafka_topic_name(p->topics[i].rkt), name) == 0) return p->topics[i].rkt;
    if (p->n_topics == PRODUCER_MAX_TOPICS) {
        snprintf(errstr, sz, "too many output topics");
        return NULL;
    }
    struct producer_topic_slot *slot = &p->topics[p->n_topics];
    rd_kafka_topic_t *rkt = producer_topic_new(p, name, slot, errstr, sz);
    if (!rkt) return NULL;
    snprintf(labels, sizeof(labels), "topic=\"%s\"", name);
    slot->rkt = rkt;
    slot->produced = metrics_register(METRIC_COUNTER, "pizza_events_produced_total",
                                      "Records written to a topic in committed batches", labels);
    p->n_topics++;
    rd_kafka_resp_err_t err = rd_kafka_metadata(p->rk, 0, rkt, &md, 2000);
    if (err) { /* not fatal: brokers may come later, and /ready says so meanwhile */
        log_warn("no metadata for topic %s yet: %s", name, rd_kafka_err2str(err));
        return rkt;
    }
    /* a topic this principal may not write (not even describe) is refused
     * at once: /ready says so before the first record to it, which for a
     * dead-letter topic may be days away */
    if (md->topic_cnt == 1 && kafka_access_denied(md->topics[0].err))
        producer_topic_refused(p, slot, md->topics[0].err);
    rd_kafka_metadata_destroy(md);
    if (producer_check_record_limit(p, name, errstr, sz) == -1) {
        rd_kafka_topic_destroy(rkt);
        memset(slot, 0, sizeof(*slot));
        p->n_topics--;
        return NULL;
    }
    return rkt;
}

/* What a failed transactional call leaves to do. */
enum producer_txn_err {
    PRODUCER_TXN_RETRY, /* transient: the same call again */
    PRODUCER_TXN_ABORT, /* the transaction failed: abort it */
    PRODUCER_TXN_FATAL, /* fenced or fatal: this instance must stop */
};

/* A transactional call Kafka refused for want of an ACL: recorded for /ready. */
static void producer_txn_refused(const rd_kafka_error_t *error, const char *what) {
    rd_kafka_resp_err_t err = rd_kafka_error_code(error);
    if (err == RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED ||
        err == RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED)
        kafka_access_refused(KAFKA_ACCESS_TXN,
                             "%s: %s (needs Write on the transactional id, and IdempotentWrite "
                             "on the cluster)",
                             what, rd_kafka_error_string(error));
    else if (err == RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED)
        kafka_access_refused(KAFKA_ACCESS_GROUP, "%s: %s (needs Read on the group)", what,
                             rd_kafka_error_string(error));
    else if (err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED)
        kafka_access_refused(KAFKA_ACCESS_WRITE, "%s: %s (needs Write on every topic written)",
                             what, rd_kafka_error_string(error));
}

/* Logs a transactional API error and frees it. @returns its class. */
static enum producer_txn_err producer_txn_error(rd_kafka_error_t *error, const char *what) {
    enum producer_txn_err e = rd_kafka_error_is_retriable(error) ? PRODUCER_TXN_RETRY
                              : rd_kafka_error_is_fatal(error)   ? PRODUCER_TXN_FATAL
                                                                 : PRODUCER_TXN_ABORT;
    producer_txn_refused(error, what);
    log_at(e == PRODUCER_TXN_RETRY ? LOG_INFO : LOG_WARN, NULL, "%s: %s%s", what,
           rd_kafka_error_string(error),
           e == PRODUCER_TXN_RETRY   ? " (retrying)"
           : e == PRODUCER_TXN_FATAL ? " (fatal)"
                                     : "");
    rd_kafka_error_destroy(error);
    return e;
}

/* UNINIT -> IDLE: initialises transactions (waits for the coordinator,
 * fences an earlier run of this instance). @returns 0, or -1 (logged; a fatal
 * error stops the service; retriable or not, the caller tries again). */
static int producer_init_once(struct producer *p) {
    rd_kafka_error_t *error = rd_kafka_init_transactions(p->rk, PRODUCER_CALL_MS);
    if (!error) {
        p->state = PRODUCER_IDLE;
        kafka_access_granted(KAFKA_ACCESS_TXN);
        return 0;
    }
    switch (producer_txn_error(error, "init transactions")) {
    case PRODUCER_TXN_FATAL:
        kafka_fail("cannot initialise transactions");
        break;
    case PRODUCER_TXN_ABORT:
        rd_kafka_poll(p->rk, 100); /* neither retriable nor fatal: again, not in a spin */
        break;
    case PRODUCER_TXN_RETRY:
        /* the client's errors (a refused login) wait on its queue: serve
         * them, or /ready cannot say why the coordinator is not found */
        rd_kafka_poll(p->rk, 0);
        break;
    }
    return -1;
}

/* Says which transactional.id this instance takes: the one that fences any
 * other live instance with it, and aborts what its predecessor left open. */
static void producer_log_identity(struct producer *p) {
    char tid[256];
    size_t sz = sizeof(tid);
    if (rd_kafka_conf_get(rd_kafka_conf(p->rk), "transactional.id", tid, &sz) != RD_KAFKA_CONF_OK)
        snprintf(tid, sizeof(tid), "?");
    log_info("transactional.id %s (%s)", tid,
             p->txn_id_configured ? "configured" : "<service>-<instance id>");
}

int producer_init(struct producer *p) {
    if (p->state == PRODUCER_UNINIT) producer_log_identity(p);
    while (p->state == PRODUCER_UNINIT && kafka_running())
        producer_init_once(p);
    return p->state == PRODUCER_UNINIT ? -1 : 0;
}

/* -> IDLE, or ABORTING while the abort has not ended. @returns 0 once ended. */
static int producer_txn_abort(struct producer *p) {
    rd_kafka_error_t *error = rd_kafka_abort_transaction(p->rk, PRODUCER_CALL_MS);
    p->state = PRODUCER_IDLE;
    if (!error) return 0;
    if (producer_txn_error(error, "abort transaction") == PRODUCER_TXN_FATAL) {
        kafka_fail("transaction state lost (fenced by another instance?)");
        return -1;
    }
    p->state = PRODUCER_ABORTING;
    return -1;
}

/* COMMITTING -> IDLE: a commit that timed out can only be resumed (an abort
 * would conflict with it) until Kafka says how it ended.
 * @returns 0 once it ended, else -1. */
static int producer_txn_resume_commit(struct producer *p) {
    rd_kafka_error_t *error = rd_kafka_commit_transaction(p->rk, PRODUCER_CALL_MS);
    if (!error) {
        p->state = PRODUCER_IDLE;
        log_info("the batch whose commit timed out was committed after all");
        return 0;
    }
    switch (producer_txn_error(error, "resume commit")) {
    case PRODUCER_TXN_RETRY:
        return -1;
    case PRODUCER_TXN_FATAL:
        p->state = PRODUCER_IDLE;
        kafka_fail("transaction state lost (fenced by another instance?)");
        return -1;
    case PRODUCER_TXN_ABORT:
        break;
    }
    return producer_txn_abort(p); /* it failed: nothing of it will be visible */
}

/* Brings the producer to IDLE (or leaves it OPEN): finishes what an earlier
 * batch left unsettled. @returns 0, or -1 with errstr saying what is left. */
static int producer_settle(struct producer *p, char *errstr, size_t sz) {
    switch (p->state) {
    case PRODUCER_IDLE:
    case PRODUCER_OPEN:
        return 0;
    case PRODUCER_UNINIT:
        if (producer_init_once(p) == 0) return 0;
        snprintf(errstr, sz, "transactions are not initialised yet");
        return -1;
    case PRODUCER_COMMITTING:
        if (producer_txn_resume_commit(p) == 0) return 0;
        snprintf(errstr, sz, "the last batch's commit is still unresolved");
        return -1;
    case PRODUCER_ABORTING:
        if (producer_txn_abort(p) == 0) return 0;
        snprintf(errstr, sz, "the last transaction is still aborting");
        return -1;
    }
    return -1;
}

/* IDLE -> OPEN, settling first. @returns 0, or -1 (errstr set). */
static int producer_open_batch(struct producer *p, char *errstr, size_t sz) {
    if (p->state == PRODUCER_OPEN) return 0;
    /* each attempt below waits for Kafka, but never spin if one does not */
    if (p->refused_ms && clock_now_ms() - p->refused_ms < 100) rd_kafka_poll(p->rk, 100);
    p->refused_ms = 0;
    rd_kafka_error_t *error;
    if (producer_settle(p, errstr, sz) == -1) {
        p->refused_ms = clock_now_ms();
        return -1;
    }
    if (p->transactional && (error = rd_kafka_begin_transaction(p->rk))) {
        if (producer_txn_error(error, "begin transaction") == PRODUCER_TXN_FATAL)
            kafka_fail("cannot begin a transaction");
        snprintf(errstr, sz, "no transaction could be opened");
        p->refused_ms = clock_now_ms();
        return -1;
    }
    p->state = PRODUCER_OPEN;
    p->failed_deliveries = 0;
    return 0;
}

/* Only a property of the message itself makes it unproducible; the rest is
 * about the topic, the producer or the transaction. */
static enum producer_send_rc producer_classify(rd_kafka_resp_err_t err) {
    /* not a switch: librdkafka's error enum has 200 values, -Wswitch-enum
     * would want every one */
    if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) return PRODUCER_FULL;
    if (err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE || err == RD_KAFKA_RESP_ERR_INVALID_RECORD)
        return PRODUCER_BAD_MESSAGE;
    return PRODUCER_BROKEN;
}

enum producer_send_rc producer_send(struct producer *p, const struct producer_msg *m, int wait_ms,
                                    char *errstr, size_t sz) {
    long long deadline = clock_now_ms() + wait_ms;
    if (producer_open_batch(p, errstr, sz) == -1) {
        if (m->headers) rd_kafka_headers_destroy(m->headers);
        return PRODUCER_FULL;
    }
    for (;;) {
        rd_kafka_resp_err_t err = rd_kafka_producev(
            p->rk, RD_KAFKA_V_RKT(m->topic), RD_KAFKA_V_PARTITION(m->partition),
            RD_KAFKA_V_KEY(m->key, m->key_len), RD_KAFKA_V_VALUE((void *)m->value, m->value_len),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), /* caller's buffers are transient */
            RD_KAFKA_V_HEADERS(m->headers), RD_KAFKA_V_END);
        if (!err) {
            struct producer_topic_slot *slot = rd_kafka_topic_opaque(m->topic);
            if (slot) slot->in_batch++;
            return PRODUCER_SENT;
        }
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL || kafka_fatal() || clock_now_ms() >= deadline) {
            snprintf(errstr, sz, "produce to %s: %s", rd_kafka_topic_name(m->topic),
                     rd_kafka_err2str(err));
            if (kafka_access_denied(err))
                producer_topic_refused(p, rd_kafka_topic_opaque(m->topic), err);
            if (m->headers) rd_kafka_headers_destroy(m->headers); /* not taken on error */
            /* error_cb may not have said so yet: no later send may go on past it */
            if (err == RD_KAFKA_RESP_ERR__FATAL) kafka_fail(errstr);
            return producer_classify(err);
        }
        rd_kafka_poll(p->rk, 100); /* back-pressure: deliveries free queue space */
    }
}

/* Keeps retrying while the service runs (or until the commit timeout, at
 * most PRODUCER_REBALANCE_COMMIT_MS inside c's revoke hook), and for a grace
 * period after a stop request so in-flight work still commits. */
static int producer_keep_trying(const struct producer *p, const struct consumer *c,
                                long long started_ms, long long *stop_seen_ms) {
    long long now = clock_now_ms();
    long limit = p->commit_timeout_ms;
    if (c && consumer_revoking(c) && (limit == 0 || limit > PRODUCER_REBALANCE_COMMIT_MS))
        limit = PRODUCER_REBALANCE_COMMIT_MS;
    if (limit > 0 && now - started_ms >= limit) return 0;
    if (kafka_running()) return 1;
    if (*stop_seen_ms < 0) *stop_seen_ms = now;
    return now - *stop_seen_ms < PRODUCER_SHUTDOWN_GRACE_MS;
}

/* Adds the input offsets to the open transaction, within the commit timeout
 * too: with the group coordinator gone it would go on for as long as the
 * outage. A failed attempt leaves nothing in progress (librdkafka does not
 * resume this call), so the transaction can be aborted after it.
 * @returns 0, or what the last error says to do (never RETRY). */
static int producer_txn_send_offsets(struct producer *p,
                                     const rd_kafka_topic_partition_list_t *offsets,
                                     struct consumer *c, long long started, long long *stop_seen,
                                     enum producer_txn_err *err) {
    rd_kafka_consumer_group_metadata_t *group = consumer_group_metadata(c);
    rd_kafka_error_t *error;
    *err = PRODUCER_TXN_RETRY;
    while (
        (error = rd_kafka_send_offsets_to_transaction(p->rk, offsets, group, PRODUCER_CALL_MS)) &&
        (*err = producer_txn_error(error, "send offsets")) == PRODUCER_TXN_RETRY &&
        producer_keep_trying(p, c, started, stop_seen))
        ;
    rd_kafka_consumer_group_metadata_destroy(group);
    if (!error) return 0;
    if (*err == PRODUCER_TXN_RETRY) *err = PRODUCER_TXN_ABORT; /* gave up: abortable */
    return -1;
}

static enum producer_outcome producer_commit_txn(struct producer *p,
                                                 const rd_kafka_topic_partition_list_t *offsets,
                                                 struct consumer *c) {
    long long stop_seen = -1, started = clock_now_ms();
    enum producer_txn_err err = PRODUCER_TXN_RETRY;
    rd_kafka_error_t *error = NULL;
    if (offsets && offsets->cnt > 0 &&
        producer_txn_send_offsets(p, offsets, c, started, &stop_seen, &err) == -1)
        return err == PRODUCER_TXN_FATAL ? PRODUCER_FAILED : PRODUCER_ABORTED;
    while ((error = rd_kafka_commit_transaction(p->rk, PRODUCER_CALL_MS)) &&
           (err = producer_txn_error(error, "commit transaction")) == PRODUCER_TXN_RETRY &&
           producer_keep_trying(p, c, started, &stop_seen))
        ;
    if (!error) return PRODUCER_COMMITTED;
    switch (err) {
    case PRODUCER_TXN_RETRY: /* gave up waiting: only Kafka knows; the next batch asks first */
        p->state = PRODUCER_COMMITTING;
        return PRODUCER_UNKNOWN;
    case PRODUCER_TXN_FATAL:
        return PRODUCER_FAILED;
    case PRODUCER_TXN_ABORT:
        break;
    }
    return PRODUCER_ABORTED;
}

static enum producer_outcome producer_commit_flush(struct producer *p,
                                                   const rd_kafka_topic_partition_list_t *offsets,
                                                   struct consumer *c) {
    long long stop_seen = -1, started = clock_now_ms();
    while (rd_kafka_flush(p->rk, PRODUCER_CALL_MS) != RD_KAFKA_RESP_ERR_NO_ERROR)
        if (!producer_keep_trying(p, c, started, &stop_seen) || kafka_fatal())
            return PRODUCER_ABORTED;
    if (p->failed_deliveries) return PRODUCER_ABORTED;
    /* delivered: the offsets may be committed, which needs no round trip of
     * its own per batch (the consumer sends them at its interval, and the
     * batch's revoke or stop synchronously) */
    if (offsets && offsets->cnt > 0) consumer_commit_later(c, offsets);
    return PRODUCER_COMMITTED;
}

/* The batch is durable: its records count as produced, its input events as
 * processed, and the consumer learns the committed offsets (for its lag). */
static void producer_count_committed(struct producer *p,
                                     const rd_kafka_topic_partition_list_t *offsets,
                                     struct consumer *c) {
    metric_add(p->commits, 1);
    if (p->transactional) metric_add(p->txn_commits, 1);
    for (int i = 0; i < p->n_topics; i++) {
        metric_add(p->topics[i].produced, p->topics[i].in_batch);
        p->topics[i].in_batch = 0;
    }
    for (int i = 0; i < p->n_deferred; i++)
        metric_add(p->deferred[i].metric, p->deferred[i].n);
    p->n_deferred = 0;
    if (!c) return;
    consumer_batch_committed(c);
    if (p->transactional && offsets && offsets->cnt > 0) consumer_note_committed(c, offsets);
}

/* Nothing of the batch is known to be durable: it will be done again. */
static void producer_forget_batch(struct producer *p, struct consumer *c) {
    for (int i = 0; i < p->n_topics; i++)
        p->topics[i].in_batch = 0;
    p->n_deferred = 0;
    if (c) consumer_batch_forget(c);
}

enum producer_outcome producer_commit(struct producer *p,
                                      const rd_kafka_topic_partition_list_t *offsets,
                                      struct consumer *c) {
    char err[128];
    int has_offsets = offsets && offsets->cnt > 0;
    if (p->state != PRODUCER_OPEN && !has_offsets) return PRODUCER_COMMITTED;
    if (producer_open_batch(p, err, sizeof(err)) == -1) return PRODUCER_ABORTED;
    enum producer_outcome o = p->transactional ? producer_commit_txn(p, offsets, c)
                                               : producer_commit_flush(p, offsets, c);
    switch (o) {
    case PRODUCER_COMMITTED:
        producer_count_committed(p, offsets, c);
        p->state = PRODUCER_IDLE;
        break;
    case PRODUCER_UNKNOWN: /* COMMITTING: the next batch settles it */
        metric_add(p->unknown, 1);
        producer_forget_batch(p, c);
        break;
    case PRODUCER_ABORTED:
    case PRODUCER_FAILED:
        producer_forget_batch(p, c);
        producer_abort(p);
        break;
    }
    return o;
}

void producer_abort(struct producer *p) {
    if (p->state != PRODUCER_OPEN) return;
    metric_add(p->aborts, 1);
    producer_forget_batch(p, NULL);
    p->state = PRODUCER_IDLE;
    if (!p->transactional) return;
    metric_add(p->txn_aborts, 1);
    producer_txn_abort(p); /* when it times out (ABORTING), the next batch finishes it */
}

void producer_set_commit_timeout(struct producer *p, long timeout_ms) {
    p->commit_timeout_ms = timeout_ms;
}

int producer_begin(struct producer *p) {
    char err[128];
    if (producer_open_batch(p, err, sizeof(err)) == 0) return 0;
    log_debug("no batch yet: %s", err);
    return -1;
}

void producer_count_on_commit(struct producer *p, struct metric *m, long n) {
    int i = 0;
    while (i < p->n_deferred && p->deferred[i].metric != m)
        i++;
    if (i == PRODUCER_MAX_DEFERRED) { /* a caller with more counters than we hold */
        metric_add(m, n);
        return;
    }
    if (i == p->n_deferred) p->deferred[p->n_deferred++] = (struct producer_deferred){m, 0};
    p->deferred[i].n += n;
}

int producer_transactional(const struct producer *p) {
    return p->transactional;
}

int producer_batch_open(const struct producer *p) {
    return p->state == PRODUCER_OPEN;
}

/* Asks again, every PRODUCER_REFUSED_RECHECK_MS, about each topic Kafka
 * refused: a granted ACL ends the refusal though nothing was written since. */
static void producer_recheck_refused(struct producer *p) {
    long long now = clock_now_ms();
    if (now - p->refused_checked_ms < PRODUCER_REFUSED_RECHECK_MS) return;
    p->refused_checked_ms = now;
    for (int i = 0; i < p->n_topics; i++) {
        struct producer_topic_slot *slot = &p->topics[i];
        const struct rd_kafka_metadata *md = NULL;
        if (!slot->refused || rd_kafka_metadata(p->rk, 0, slot->rkt, &md, 1000)) continue;
        if (md->topic_cnt == 1 && !md->topics[0].err) producer_topic_refused(p, slot, 0);
        rd_kafka_metadata_destroy(md);
    }
}

int producer_poll(struct producer *p, int timeout_ms) {
    producer_recheck_refused(p);
    return rd_kafka_poll(p->rk, timeout_ms);
}

void producer_free(struct producer *p, int flush_ms) {
    if (!p) return;
    /* an unfinished batch must not become visible; one whose commit is under
     * way ends as the coordinator decides */
    if (p->transactional) producer_abort(p);
    if (rd_kafka_flush(p->rk, flush_ms) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        log_warn("%d messages undelivered at shutdown", rd_kafka_outq_len(p->rk));
        rd_kafka_purge(p->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        rd_kafka_flush(p->rk, 2000); /* serves the purged messages' reports */
    }
    for (int i = 0; i < p->n_topics; i++)
        rd_kafka_topic_destroy(p->topics[i].rkt);
    rd_kafka_destroy(p->rk);
    free(p);
}
