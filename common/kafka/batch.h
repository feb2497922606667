#ifndef PIZZA_BATCH_H
#define PIZZA_BATCH_H
#include <librdkafka/rdkafka.h>
#include <stddef.h>

#include "cadence.h"
#include "consumer.h"
#include "metrics.h"
#include "producer.h"

/* One consume-transform-produce batch, the unit every daemon commits in: the
 * input it consumed since the last commit, and how it ends. The output went
 * to the producer as each input was handled; batch_finish commits both
 * together, or, when that fails, rewinds the input to the batch's start so
 * all of it is done again (exactly-once: nothing of the failed batch is
 * visible; at-least-once: redone output may appear twice). Partitions that
 * were lost belong to another member already: their batch is dropped, and
 * the new owner redoes it. Owned by the thread that polls the consumer. */
struct batch;

/* commit_interval_ms ([stage], [reporter], [orders]) spaces out what a
 * commit is in each guarantee. Exactly-once: transactions, which hold the
 * output back until they commit, so the interval adds to latency and is
 * short. At-least-once: the asynchronous commits of delivered batches'
 * offsets, which hold nothing back and only bound what a crash makes the
 * daemon do again, so it is long (batches themselves still end whenever the
 * input runs dry: their end flushes the output, which would otherwise wait
 * linger.ms at every hop). A daemon reads the key into a value preset to
 * PIZZA_COMMIT_INTERVAL_DEFAULT, which batch_init turns into its guarantee's
 * default. */
#define PIZZA_COMMIT_INTERVAL_DEFAULT (-1)
#define PIZZA_COMMIT_INTERVAL_EXACTLY_ONCE_MS 10
#define PIZZA_COMMIT_INTERVAL_AT_LEAST_ONCE_MS 1000
#define PIZZA_COMMIT_INTERVAL_DEFAULTS "exactly-once 10, at-least-once 1000"

/* What a daemon adds to the common path. Every member may be NULL. */
struct batch_owner {
    /* Writes what the batch adds last, just before the commit (cheese-reporter's
     * snapshots), and may raise the offsets to commit (b->next).
     * @returns 0, or -1 to redo the batch instead of committing it. */
    int (*seal)(struct batch *b, void *arg);
    /* The batch ended, committed or not (a dropped or redone batch ends
     * PRODUCER_ABORTED): e.g. answer the requests it carried. */
    void (*ended)(void *arg, enum producer_outcome o);
    void *arg;
    /* 1: a commit whose outcome is unknown is redone too, because redoing it
     * duplicates nothing (records keyed by what they describe) */
    int redo_unknown;
};

struct batch {
    struct producer *producer;
    struct consumer *consumer; /* NULL until it exists: then nothing was consumed */
    struct batch_owner owner;
    struct cadence cadence;                 /* when it is committed */
    long offsets_interval_ms;               /* at-least-once: between offset commits */
    struct metric *redone;                  /* events consumed again; NULL: not counted */
    rd_kafka_topic_partition_list_t *next;  /* per partition: last handled offset + 1 */
    rd_kafka_topic_partition_list_t *start; /* per partition: first offset of the batch */
    long count;                             /* messages handled */
    long others;                            /* work of other kinds in it (batch_add_others) */
    long long started_ms;                   /* monotonic, when the first one was tracked */
    long long commit_began_ms;              /* monotonic, when the last commit began */
    int has_committed;                      /* commit_began_ms is set */
    int failed; /* something could not be added: batch_finish redoes it */
};

/* What became of one input message, as the daemon's handler tells its loop. */
enum batch_step {
    BATCH_HANDLED, /* produced, counted or dead-lettered: batch_track()ed */
    BATCH_REDO,    /* none of those, through no fault of its own: batch_redo() */
    BATCH_STOP,    /* none of those: the service is stopping; do not commit past it */
};

/** Sets up an empty batch on producer, committed as cadence says (its
 * interval_ms as commit_interval_ms means, for the producer's guarantee:
 * PIZZA_COMMIT_INTERVAL_DEFAULT for the guarantee's default). */
void batch_init(struct batch *b, struct producer *producer, const struct batch_owner *owner,
                const struct cadence *cadence, struct metric *redone);
/** c is the batch's input from now on (it starts without one). At-least-once
 * offsets are committed through it asynchronously, at most every commit
 * interval (consumer_commit_later). */
void batch_attach(struct batch *b, struct consumer *c);
/** Adds m (handled: produced, dead-lettered or skipped) to the batch. */
void batch_track(struct batch *b, const rd_kafka_message_t *m);
/** n pieces of work that are not consumed messages (pizza-service's POSTs)
 * joined the batch: they count toward its size and age as messages do. */
void batch_add_others(struct batch *b, long n);
/** Something of the batch could not be written: batch_finish redoes it. */
void batch_fail(struct batch *b);
/** @returns 1 when the batch is to be committed now (cadence_due: it is full
 * or old, or the input ran dry, input_dry, and the commit interval is up);
 * else 0 with *wait_ms how long the next read may wait for input (idle_ms
 * while the batch is empty). */
int batch_due(const struct batch *b, int input_dry, long idle_ms, long *wait_ms);
/** Ends the batch: seals and commits it with its input offsets; when that
 * fails, rewinds the input to its start (while the service runs: a stopping
 * one reads nothing more). may_commit 0 (its partitions were lost): drops it. */
void batch_finish(struct batch *b, int may_commit);
/** Kafka refused to take some of the batch for reasons of its own (a missing
 * topic or ACL, a failed transaction): aborts it, rewinds to its start and to
 * the first of the messages not handled yet (unhandled[0..n), in the order
 * read) of every other partition, and pauses before the next attempt. */
void batch_redo(struct batch *b, rd_kafka_message_t *const *unhandled, size_t n);
/** consumer_hooks.on_revoke with the batch as its argument: commits the
 * batch while this member still owns its partitions (within
 * PRODUCER_REBALANCE_COMMIT_MS), or drops it when they were lost. */
void batch_on_revoke(const rd_kafka_topic_partition_list_t *parts, int lost, void *batch);
/** Frees the offsets held; the batch must have ended. NULL-safe. */
void batch_free(struct batch *b);

#endif
