#ifndef PIZZA_REPORTER_H
#define PIZZA_REPORTER_H
#include <stdatomic.h>

#include "batch.h"
#include "changelog.h"
#include "consumer.h"
#include "intake.h"
#include "ledger.h"
#include "metrics.h"
#include "pending.h"
#include "producer.h"
#include "service.h"

/* cheese-reporter: counts the cheese of every pizza on pizza-with-cheese
 * exactly once and serves the committed counts at GET /report. Each batch
 * writes one snapshot per touched input partition to the changelog in the
 * same transaction as the input offsets; a (re)started instance restores the
 * snapshots and resumes each partition where its snapshot ends. */
struct reporter {
    struct service svc;
    const char *topic, *group, *changelog_topic; /* [reporter]; owned by svc.cfg */
    long max_batch, max_batch_ms, commit_interval_ms, max_event_bytes; /* [reporter] */
    struct intake intake;
    struct producer *producer;
    rd_kafka_topic_t *changelog_out; /* owned by producer */
    struct changelog *changelog;
    struct consumer *consumer; /* main thread's; /ready reads the one published in svc */
    struct ledger *ledger;
    struct batch batch;     /* consumed since the last commit */
    struct pending pending; /* what the batch counted */
    /* set when the counts could go wrong (e.g. a partition's state was not
     * restored): nothing more is counted or committed */
    atomic_int halted;
    /* while the assign waits for the group's committed offsets: Kafka's
     * reason (rd_kafka_resp_err_t, 0: not waiting) and since when; /ready
     * reads them */
    atomic_int offsets_wait_err;
    atomic_llong offsets_wait_since_ms;
    struct metric *snapshots_written, *snapshots_applied, *redone;
};

/* [reporter]: what cheese-reporter reads besides every daemon's sections */
extern const struct cfg_section reporter_section;

/** @returns 0 to run, 1 when done already (-h), -1 on error (reported). */
int reporter_init(struct reporter *r, int argc, char **argv);
void reporter_run(struct reporter *r);
/** @returns the exit code. */
int reporter_shutdown(struct reporter *r, int init_rc);

#endif
