#ifndef PIZZA_PRODUCER_H
#define PIZZA_PRODUCER_H
#include <librdkafka/rdkafka.h>
#include <stddef.h>

#include "cfg.h"
#include "consumer.h"
#include "metrics.h"

/* Idempotent producer that writes in batches. A batch is everything sent
 * since the last producer_commit(), plus the input offsets it consumed:
 *  - exactly-once: the batch is one Kafka transaction carrying the offsets;
 *    read_committed readers see all of it or none of it;
 *  - at-least-once: commit waits until every message is acknowledged, then
 *    hands the offsets to the consumer, which commits them asynchronously
 *    (consumer_commit_later); a failed batch may be partly visible.
 * One thread owns a producer. */
struct producer; /* opaque */

/** @p exactly_once selects transactions; the transactional.id is
 * [kafka.producer] or [kafka] transactional.id, else default_tid. It must be
 * one per live instance and the same across one instance's restarts: a
 * restarted instance aborts what its predecessor left open by reusing it.
 * @returns NULL on error (errstr set). Free with producer_free(). */
struct producer *producer_new(const struct cfg *c, const char *client_id, const char *default_tid,
                              int exactly_once, char *errstr, size_t sz);
/** Aborts an open batch (exactly-once) or waits up to flush_ms for its
 * deliveries (at-least-once), then frees. NULL-safe. */
void producer_free(struct producer *p, int flush_ms);

/** The handle of an output topic, created on first use and kept until
 * producer_free(). Fetches its metadata (waiting up to 2 s) so the first
 * message does not wait for librdkafka's periodic topic scan.
 * @returns NULL on error (errstr set). */
rd_kafka_topic_t *producer_topic(struct producer *p, const char *name, char *errstr, size_t sz);

struct producer_msg {
    rd_kafka_topic_t *topic;
    int32_t partition; /* RD_KAFKA_PARTITION_UA: chosen from the key */
    const void *key;
    size_t key_len;
    const void *value;
    size_t value_len;
    rd_kafka_headers_t *headers; /* NULL, or taken over by producer_send */
};

/** Exactly-once: initialises transactions, waiting for the coordinator as long
 * as the service runs; this fences (aborts) what an earlier incarnation of this
 * instance left open. Call it before reading state that instance wrote.
 * At-least-once: nothing to do. @returns 0, or -1 when the service stopped first. */
int producer_init(struct producer *p);

/* What became of a message handed to producer_send(). Only BAD_MESSAGE is
 * the message's fault; the others say nothing about it, so it must never be
 * dead-lettered or skipped for them. */
enum producer_send_rc {
    PRODUCER_SENT = 0,
    PRODUCER_FULL,        /* the queue stayed full, or no batch could be opened: retry */
    PRODUCER_BAD_MESSAGE, /* this message can never be produced (too large) */
    PRODUCER_BROKEN,      /* the topic, the producer or the transaction refused it
                             (unknown topic, no authorization, failed transaction):
                             abort the batch and redo it later; a fatal error has
                             also stopped the service */
};
/** Adds one message (bytes copied) to the current batch, opening it if needed.
 * When the local queue is full it serves delivery reports and retries for up
 * to wait_ms (back-pressure, never a drop). Unless PRODUCER_SENT, errstr says why. */
enum producer_send_rc producer_send(struct producer *p, const struct producer_msg *m, int wait_ms,
                                    char *errstr, size_t sz);

enum producer_outcome {
    PRODUCER_COMMITTED = 0, /* every message durable, offsets committed */
    PRODUCER_ABORTED,       /* exactly-once: none of it visible; at-least-once:
                               some deliveries failed. Redo from the batch start. */
    PRODUCER_FAILED,        /* fenced or fatal: this instance must stop */
    PRODUCER_UNKNOWN,       /* exactly-once: the commit timed out (commit timeout,
                               or shutdown): it may still complete. Do not redo
                               work whose redo would duplicate it. The next batch
                               first waits for Kafka to settle it. */
};
/** Ends the batch: commits offsets (each the next to read; NULL or empty for
 * none) for consumer c's group together with the messages (at-least-once:
 * once the messages are acknowledged, hands the offsets to c to commit at its
 * interval: COMMITTED says the output is durable). Retries transient
 * errors while the service runs, and for a few seconds more after shutdown
 * began, then aborts. A batch with nothing in it and no offsets commits at once. */
enum producer_outcome producer_commit(struct producer *p,
                                      const rd_kafka_topic_partition_list_t *offsets,
                                      struct consumer *c);
/* Between attempts at a batch that Kafka refused for reasons of its own (a
 * missing topic or ACL, a failed transaction), so they are not hammered. */
#define PRODUCER_REDO_PAUSE_MS 1000
/* A commit made while the group waits (a revoke) gives up after this: past
 * it the group would go on without this member anyway. */
#define PRODUCER_REBALANCE_COMMIT_MS 10000
/** Makes producer_commit() give up (abort) after timeout_ms of trying, for
 * callers with someone waiting on the outcome. 0 (default): no limit. Inside
 * the consumer's revoke hook, PRODUCER_REBALANCE_COMMIT_MS at most either way. */
void producer_set_commit_timeout(struct producer *p, long timeout_ms);
/** Opens a batch now (normally the first producer_send does): settles a
 * previous batch whose outcome is unknown, begins a transaction.
 * @returns 0, or -1 when Kafka cannot take one yet (try again later). */
int producer_begin(struct producer *p);
/** Drops the open batch: exactly-once aborts the transaction; at-least-once
 * can only stop waiting for it. */
void producer_abort(struct producer *p);
/** Adds n to counter m once the open batch commits, and not at all if it is
 * aborted or its outcome stays unknown: for what the batch did to its input
 * (e.g. poison dead-lettered), which a redo would otherwise count twice. Up to
 * PRODUCER_MAX_DEFERRED counters per batch; beyond that, one counts at once. */
void producer_count_on_commit(struct producer *p, struct metric *m, long n);
#define PRODUCER_MAX_DEFERRED 8
/** @returns 1 when batches are transactions (exactly-once). */
int producer_transactional(const struct producer *p);
/** @returns 1 while a batch is open (something sent since the last commit). */
int producer_batch_open(const struct producer *p);
/** Serves delivery reports and the client's other callbacks (statistics,
 * errors). The owner calls it regularly, also while idle: librdkafka queues a
 * statistics document every statistics.interval.ms until it is served.
 * @returns how many were served. */
int producer_poll(struct producer *p, int timeout_ms);

#endif
