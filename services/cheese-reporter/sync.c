#include "sync.h"

#include "clock.h"
#include "kafka.h"
#include "kafka_trace.h"
#include "log.h"
#include "snapshot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How long a newly assigned partition may wait for its snapshot to appear. */
#define SYNC_CATCH_UP_MS 10000
/* Between attempts at reading the group's committed offsets while Kafka says
 * to try later; the changelog is tailed meanwhile. */
#define SYNC_COMMITTED_PAUSE_MS 500
/* How often a wait for the group's committed offsets is logged again. */
#define SYNC_COMMITTED_LOG_MS 10000

/* Stops counting and committing for good, and the service with it. */
static void sync_halt(struct reporter *r, const char *why) {
    atomic_store(&r->halted, 1);
    service_fail(why);
}

void sync_apply(const rd_kafka_message_t *m, void *arg) {
    struct reporter *r = arg;
    char trace_id[TRACE_ID_LEN + 1];
    struct log_where w = trace_where(m, trace_id);
    struct snapshot s;
    char err[160], key[PIZZA_SNAPSHOT_TOPIC_MAX + 16];
    if (!m->payload) return; /* a tombstone (we write none): nothing to restore */
    if (snapshot_decode(&s, m->payload, m->len, err, sizeof(err)) == -1) {
        log_at(LOG_WARN, &w, "changelog record ignored: %s", err);
        return;
    }
    int klen = snapshot_key(key, sizeof(key), s.topic, s.partition);
    if (klen < 0 || (size_t)klen != m->key_len || memcmp(key, m->key, m->key_len) != 0) {
        log_at(LOG_WARN, &w, "changelog record ignored: its key is not %s", key);
    } else if (strcmp(s.topic, r->topic) == 0) { /* other topics: another configuration's */
        int rc = ledger_apply(r->ledger, s.partition, s.next_offset, s.counts);
        s.counts = NULL; /* taken */
        if (rc == -1) sync_halt(r, "out of memory restoring a snapshot");
        metric_add(r->snapshots_applied, rc == 1);
    }
    snapshot_clear(&s);
}

/* Errors reading committed offsets that end on their own, however long they
 * last: an offset that a transaction still open is committing (unstable until
 * it ends: at worst transaction.timeout.ms after its producer died, e.g. an
 * instance killed mid-batch), a coordinator moving or loading, a timeout. */
static int sync_transient(rd_kafka_resp_err_t err) {
    return err == RD_KAFKA_RESP_ERR_UNSTABLE_OFFSET_COMMIT ||
           err == RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS ||
           err == RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE ||
           err == RD_KAFKA_RESP_ERR_NOT_COORDINATOR || err == RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT ||
           err == RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION || err == RD_KAFKA_RESP_ERR__TIMED_OUT ||
           err == RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE || err == RD_KAFKA_RESP_ERR__TRANSPORT ||
           err == RD_KAFKA_RESP_ERR__WAIT_COORD || err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN;
}

/* Shows a wait for committed offsets on /ready, and in the log when it
 * begins and every SYNC_COMMITTED_LOG_MS after. */
static void sync_note_wait(struct reporter *r, rd_kafka_resp_err_t err, long long *logged_ms) {
    long long now = clock_now_ms();
    if (!atomic_load(&r->offsets_wait_err)) atomic_store(&r->offsets_wait_since_ms, now);
    atomic_store(&r->offsets_wait_err, (int)err);
    if (*logged_ms && now - *logged_ms < SYNC_COMMITTED_LOG_MS) return;
    *logged_ms = now;
    /* librdkafka 2.0.2 retries an unstable offset until the call times out */
    log_warn("waiting %lld s for the group's committed offsets on %s: %s (a transaction still "
             "open, e.g. of an instance that died, holds them until it ends: at worst its "
             "transaction.timeout.ms)",
             (now - atomic_load(&r->offsets_wait_since_ms)) / 1000, r->topic,
             rd_kafka_err2str(err));
}

/* Fills parts with the group's committed offsets, waiting as long as the
 * service runs while the error is transient. @returns 0, or -1 when stopping
 * or on an error that will not go away (logged). */
static int sync_committed(struct reporter *r, rd_kafka_topic_partition_list_t *parts) {
    long long logged_ms = 0;
    rd_kafka_resp_err_t err;
    while ((err = consumer_committed(r->consumer, parts, 2000)) && service_running()) {
        if (!sync_transient(err)) {
            log_error("cannot read the group's committed offsets on %s: %s", r->topic,
                      rd_kafka_err2str(err));
            break;
        }
        sync_note_wait(r, err, &logged_ms);
        long long until = clock_now_ms() + SYNC_COMMITTED_PAUSE_MS;
        while (service_running() && clock_now_ms() < until)
            changelog_poll(r->changelog, sync_apply, r, 100);
    }
    if (!err && logged_ms)
        log_info("the group's committed offsets on %s are readable after %lld s", r->topic,
                 (clock_now_ms() - atomic_load(&r->offsets_wait_since_ms)) / 1000);
    atomic_store(&r->offsets_wait_err, 0);
    return err ? -1 : 0;
}

/* @returns the first partition of parts whose committed offset the ledger
 * does not reach yet, or NULL. */
static const rd_kafka_topic_partition_t *
sync_lagging(struct reporter *r, const rd_kafka_topic_partition_list_t *parts) {
    for (int i = 0; i < parts->cnt; i++) {
        const rd_kafka_topic_partition_t *p = &parts->elems[i];
        if (p->offset >= 0 && strcmp(p->topic, r->topic) == 0 &&
            ledger_next_offset(r->ledger, p->partition) < p->offset)
            return p;
    }
    return NULL;
}

/* The transaction that committed offset c also wrote the snapshot ending at
 * c: tails the changelog until every partition's snapshot is in the ledger.
 * @returns 0, or -1 after a bounded wait (logged). */
static int sync_catch_up(struct reporter *r, const rd_kafka_topic_partition_list_t *committed) {
    long long deadline = clock_now_ms() + SYNC_CATCH_UP_MS;
    const rd_kafka_topic_partition_t *p;
    while ((p = sync_lagging(r, committed))) {
        if (!service_running() || clock_now_ms() >= deadline) {
            log_error("%s [%d]: the group committed offset %lld but the snapshots in %s end at "
                      "%lld: counting on would lose pizzas",
                      p->topic, (int)p->partition, (long long)p->offset, r->changelog_topic,
                      (long long)ledger_next_offset(r->ledger, p->partition));
            return -1;
        }
        changelog_poll(r->changelog, sync_apply, r, 100);
    }
    return 0;
}

void sync_on_assign(rd_kafka_topic_partition_list_t *parts, void *arg) {
    struct reporter *r = arg;
    rd_kafka_topic_partition_list_t *committed = rd_kafka_topic_partition_list_copy(parts);
    int ok = committed && sync_committed(r, committed) == 0 && sync_catch_up(r, committed) == 0;
    rd_kafka_topic_partition_list_destroy(committed);
    if (!ok) {
        if (service_running())
            sync_halt(r, "cannot restore the state of the assigned partitions");
        else
            atomic_store(&r->halted, 1); /* stopping mid-restore: commit nothing more */
        return;
    }
    for (int i = 0; i < parts->cnt; i++) {
        rd_kafka_topic_partition_t *p = &parts->elems[i];
        int64_t next = ledger_next_offset(r->ledger, p->partition);
        /* the snapshot, not the group offset, says where counting stopped */
        p->offset = next >= 0 ? next : RD_KAFKA_OFFSET_BEGINNING;
        log_at(LOG_INFO,
               &(struct log_where){.topic = p->topic, .partition = p->partition, .offset = next},
               next >= 0 ? "counting on from the snapshot"
                         : "no snapshot: counting from the start");
    }
}

/* Sends the snapshot of one partition: its committed counts plus the batch's
 * delta, ending at part->next. @returns 0, or -1 (logged). */
static int sync_send_snapshot(struct reporter *r, struct pending_part *part) {
    char key[PIZZA_SNAPSHOT_TOPIC_MAX + 16], err[256];
    size_t len = 0;
    char *value = NULL;
    int klen = snapshot_key(key, sizeof(key), r->topic, part->partition);
    if (!(part->merged = ledger_counts_with(r->ledger, part->partition, part->delta)) ||
        !(value = snapshot_encode(r->topic, part->partition, part->next, part->merged, &len)) ||
        klen < 0) {
        free(value);
        log_error("out of memory writing a snapshot");
        return -1;
    }
    struct producer_msg msg = {
        r->changelog_out, RD_KAFKA_PARTITION_UA, key, (size_t)klen, value, len, NULL};
    enum producer_send_rc sent;
    do /* at least once, even while stopping: the batch is still to be committed */
        sent = producer_send(r->producer, &msg, 500, err, sizeof(err));
    while (sent == PRODUCER_FULL && service_running());
    free(value);
    if (sent == PRODUCER_BAD_MESSAGE) /* it would be refused again on every retry */
        sync_halt(r, "the changelog refused a snapshot as too large");
    if (sent != PRODUCER_SENT)
        log_at(LOG_WARN, NULL, "snapshot of %s [%d] not written, the batch is redone: %s", r->topic,
               (int)part->partition, err);
    if (sent == PRODUCER_BROKEN) /* a missing topic or ACL: not hammered */
        producer_poll(r->producer, PRODUCER_REDO_PAUSE_MS);
    return sent == PRODUCER_SENT ? 0 : -1;
}

/* The batch is committed: its snapshots are the committed state now. */
static void sync_apply_batch(struct reporter *r) {
    struct pending *b = &r->pending;
    for (int i = 0; i < b->n; i++) {
        struct pending_part *part = &b->parts[i];
        if (ledger_apply(r->ledger, part->partition, part->next, part->merged) == -1)
            sync_halt(r, "out of memory applying a snapshot");
        part->merged = NULL; /* taken */
    }
    metric_add(r->snapshots_written, b->n);
}

int sync_seal(struct batch *b, void *arg) {
    struct reporter *r = arg;
    if (atomic_load(&r->halted)) return -1;
    for (int i = 0; i < r->pending.n; i++) {
        struct pending_part *part = &r->pending.parts[i];
        rd_kafka_topic_partition_t *next =
            rd_kafka_topic_partition_list_find(b->next, r->topic, part->partition);
        if (!next) return -1; /* every counted partition was tracked */
        /* the group's offset and the snapshot end at the same place */
        next->offset = part->next = pending_snapshot_next(part, next->offset);
        if (sync_send_snapshot(r, part) == -1) return -1;
    }
    return 0;
}

void sync_ended(void *arg, enum producer_outcome o) {
    struct reporter *r = arg;
    switch (o) {
    case PRODUCER_COMMITTED:
        sync_apply_batch(r);
        break;
    case PRODUCER_FAILED: /* the batch has stopped the service: commit nothing more */
        atomic_store(&r->halted, 1);
        break;
    case PRODUCER_ABORTED:
    case PRODUCER_UNKNOWN: /* only when stopping: the next start restores what Kafka decided */
        break;
    }
    pending_reset(&r->pending);
}
