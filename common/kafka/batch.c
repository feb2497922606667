#include "batch.h"

#include "clock.h"
#include "kafka.h"
#include "log.h"

#include <string.h>

void batch_init(struct batch *b, struct producer *producer, const struct batch_owner *owner,
                const struct cadence *cadence, struct metric *redone) {
    memset(b, 0, sizeof(*b));
    b->producer = producer;
    if (owner) b->owner = *owner;
    b->cadence = *cadence;
    long interval = cadence->interval_ms;
    if (producer_transactional(producer)) {
        if (interval < 0) b->cadence.interval_ms = PIZZA_COMMIT_INTERVAL_EXACTLY_ONCE_MS;
    } else {
        b->offsets_interval_ms = interval < 0 ? PIZZA_COMMIT_INTERVAL_AT_LEAST_ONCE_MS : interval;
        b->cadence.interval_ms = 0;
    }
    b->redone = redone;
}

void batch_attach(struct batch *b, struct consumer *c) {
    b->consumer = c;
    if (c) consumer_set_commit_interval(c, b->offsets_interval_ms);
}

void batch_track(struct batch *b, const rd_kafka_message_t *m) {
    const char *topic = rd_kafka_topic_name(m->rkt);
    if (!b->next) {
        b->next = rd_kafka_topic_partition_list_new(8);
        b->start = rd_kafka_topic_partition_list_new(8);
        if (!b->others) b->started_ms = clock_now_ms();
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

void batch_fail(struct batch *b) {
    b->failed = 1;
}

void batch_add_others(struct batch *b, long n) {
    if (n > 0 && !b->count && !b->others) b->started_ms = clock_now_ms();
    b->others += n;
}

int batch_due(const struct batch *b, int input_dry, long idle_ms, long *wait_ms) {
    long long now = clock_now_ms();
    const struct cadence_batch at = {
        b->count + b->others, now - b->started_ms,
        b->has_committed ? now - b->commit_began_ms : b->cadence.interval_ms, input_dry};
    return cadence_due(&b->cadence, &at, idle_ms, wait_ms);
}

/* Where to read again so that the batch and the messages not handled yet
 * are all read again: the batch's start, and for a partition not in the
 * batch, its first unhandled message. @returns a new list (caller destroys),
 * or NULL when out of memory. */
static rd_kafka_topic_partition_list_t *
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

/* Empties the batch for the next one. */
static void batch_reset(struct batch *b) {
    if (b->next) rd_kafka_topic_partition_list_destroy(b->next);
    if (b->start) rd_kafka_topic_partition_list_destroy(b->start);
    b->next = b->start = NULL;
    b->count = b->others = 0;
    b->failed = 0;
}

/* Reads from offsets (NULL: they could not be made) again: going on past
 * input whose output is not durable would commit over it. A service that
 * stops reads nothing more, and the next owner starts from the committed
 * offsets anyway. */
static void batch_rewind(struct batch *b, const rd_kafka_topic_partition_list_t *offsets) {
    if (!b->consumer || !kafka_running() || (offsets && offsets->cnt == 0)) return;
    if (!offsets || consumer_seek(b->consumer, offsets) == -1)
        kafka_fail("cannot rewind the input");
}

/* At-least-once offsets wait for their interval (consumer_commit_later),
 * except where this member stops owning them: its partitions are being
 * revoked, or the service stops. Delivered but not committed, they would be
 * done again by the next owner. */
static void batch_commit_held(struct batch *b) {
    if (!b->consumer || (kafka_running() && !consumer_revoking(b->consumer))) return;
    if (consumer_commit_held(b->consumer) == -1)
        log_warn("offsets of delivered batches not committed; their events will be done again");
}

static void batch_end(struct batch *b, enum producer_outcome o) {
    if (b->owner.ended) b->owner.ended(b->owner.arg, o);
    batch_reset(b);
}

void batch_finish(struct batch *b, int may_commit) {
    enum producer_outcome o = PRODUCER_ABORTED;
    /* the interval runs from here: a commit that takes long has let input
     * gather already, and is not made to wait a whole interval more */
    b->commit_began_ms = clock_now_ms();
    b->has_committed = 1;
    if (!may_commit) {
        producer_abort(b->producer);
        batch_end(b, o);
        return;
    }
    if (!b->failed && (!b->owner.seal || b->owner.seal(b, b->owner.arg) == 0))
        o = producer_commit(b->producer, b->next, b->consumer);
    else
        producer_abort(b->producer);
    switch (o) {
    case PRODUCER_COMMITTED:
        batch_commit_held(b);
        break;
    case PRODUCER_ABORTED:
        batch_commit_held(b); /* the batches before this one were delivered */
        if (b->count) log_warn("batch of %ld events not committed; redoing it", b->count);
        metric_add(b->redone, b->count);
        if (b->start) batch_rewind(b, b->start);
        break;
    case PRODUCER_UNKNOWN: /* a commit timeout, or a stop: Kafka decides */
        if (b->count) log_warn("the commit of %ld events is unresolved", b->count);
        if (b->owner.redo_unknown && b->start) batch_rewind(b, b->start);
        break;
    case PRODUCER_FAILED:
        kafka_fail("cannot commit: this instance was fenced or Kafka failed fatally");
        break;
    }
    batch_end(b, o);
}

void batch_redo(struct batch *b, rd_kafka_message_t *const *unhandled, size_t n) {
    rd_kafka_topic_partition_list_t *from = batch_redo_offsets(b, unhandled, n);
    metric_add(b->redone, b->count);
    producer_abort(b->producer);
    batch_rewind(b, from);
    if (from) rd_kafka_topic_partition_list_destroy(from);
    batch_end(b, PRODUCER_ABORTED);
    producer_poll(b->producer, PRODUCER_REDO_PAUSE_MS);
}

void batch_on_revoke(const rd_kafka_topic_partition_list_t *parts, int lost, void *batch) {
    (void)parts;
    batch_finish(batch, !lost);
}

void batch_free(struct batch *b) {
    if (b) batch_reset(b);
}
