/* Reads a topic with common/kafka/consumer.c's consumer_poll_batch while other
 * members join and leave the same group: every message handed out must be of
 * a partition assigned at that moment, as the consumer's hooks tell it. A
 * message of a partition already revoked is work for nothing and, in a
 * stage, an aborted transaction and a duplicate.
 *
 * usage: consumer_churn BOOTSTRAP TOPIC GROUP SECONDS watch|churn [PROTOCOL]
 *   watch: consumes for SECONDS as fast as it can, and checks (it commits
 *          nothing: a partition assigned again is read from its start, so
 *          there is always a backlog, and a rebalance most often comes while
 *          consumer_poll_batch takes one)
 *   churn: joins, stays 1-3 s, leaves, again, for SECONDS
 *   PROTOCOL: eager (default) or cooperative (cooperative-sticky assignor)
 * Prints "handed N rebalances R stale S" (watch). exit 0: no stale message;
 * 1: a stale one was handed out; 2: usage or setup error. */
#include "cfg.h"
#include "clock.h"
#include "consumer.h"
#include "kafka.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHURN_MAX_PARTITIONS 1024
#define CHURN_BATCH 64

struct churn {
    char owned[CHURN_MAX_PARTITIONS]; /* by the hooks: assigned now */
    long rebalances, handed, stale;
};

static void churn_on_assign(rd_kafka_topic_partition_list_t *parts, void *arg) {
    struct churn *ch = arg;
    ch->rebalances++;
    for (int i = 0; i < parts->cnt; i++)
        if (parts->elems[i].partition < CHURN_MAX_PARTITIONS)
            ch->owned[parts->elems[i].partition] = 1;
}

static void churn_on_revoke(const rd_kafka_topic_partition_list_t *parts, int lost, void *arg) {
    struct churn *ch = arg;
    (void)lost;
    ch->rebalances++;
    for (int i = 0; i < parts->cnt; i++)
        if (parts->elems[i].partition < CHURN_MAX_PARTITIONS)
            ch->owned[parts->elems[i].partition] = 0;
}

static void churn_watch(struct consumer *c, struct churn *ch, long long until) {
    rd_kafka_message_t *msgs[CHURN_BATCH];
    while (clock_now_ms() < until) {
        size_t n = consumer_poll_batch(c, 100, msgs, CHURN_BATCH);
        for (size_t i = 0; i < n; i++) {
            int32_t p = msgs[i]->partition;
            ch->handed++;
            if (p >= 0 && p < CHURN_MAX_PARTITIONS && ch->owned[p]) continue;
            if (ch->stale++ < 5)
                fprintf(stderr, "consumer_churn: handed out [%d] @%lld, not assigned\n", (int)p,
                        (long long)msgs[i]->offset);
        }
        for (size_t i = 0; i < n; i++)
            rd_kafka_message_destroy(msgs[i]);
    }
}

/* One membership: join, poll for 1-3 s, leave. @returns 0, or -1. */
static int churn_once(const struct cfg *cf, const char *group, const char *const *topics) {
    char err[512];
    struct consumer *c = consumer_new(cf, "consumer-churn", group, topics, NULL, err, sizeof(err));
    if (!c) {
        fprintf(stderr, "consumer_churn: %s\n", err);
        return -1;
    }
    long long until = clock_now_ms() + 1000 + rand() % 2000;
    while (clock_now_ms() < until) {
        rd_kafka_message_t *m = consumer_poll(c, 50);
        if (m) rd_kafka_message_destroy(m);
    }
    consumer_free(c);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 6 || (strcmp(argv[5], "watch") != 0 && strcmp(argv[5], "churn") != 0)) {
        fprintf(stderr, "usage: consumer_churn BOOTSTRAP TOPIC GROUP SECONDS watch|churn "
                        "[eager|cooperative]\n");
        return 2;
    }
    long long until = clock_now_ms() + atoll(argv[4]) * 1000;
    int cooperative = argc > 6 && strcmp(argv[6], "cooperative") == 0;
    const char *topics[] = {argv[2], NULL};
    char err[512];
    log_init("consumer-churn", LOG_WARN);
    srand((unsigned)clock_now_ms());
    struct cfg *cf = cfg_parse("", err, sizeof(err));
    if (!cf || cfg_set(cf, "kafka", "bootstrap.servers", argv[1]) ||
        cfg_set(cf, "kafka.consumer", "session.timeout.ms", "6000") ||
        (cooperative &&
         cfg_set(cf, "kafka.consumer", "partition.assignment.strategy", "cooperative-sticky"))) {
        fprintf(stderr, "consumer_churn: config: %s\n", cf ? "out of memory" : err);
        return 2;
    }
    if (strcmp(argv[5], "churn") == 0) {
        int rc = 0;
        while (rc == 0 && clock_now_ms() < until)
            rc = churn_once(cf, argv[3], topics);
        cfg_free(cf);
        return rc == 0 ? 0 : 2;
    }
    struct churn ch = {0};
    struct consumer_hooks hooks = {churn_on_assign, &ch, churn_on_revoke, &ch};
    struct consumer *c =
        consumer_new(cf, "consumer-churn", argv[3], topics, &hooks, err, sizeof(err));
    if (!c) {
        fprintf(stderr, "consumer_churn: %s\n", err);
        return 2;
    }
    churn_watch(c, &ch, until);
    consumer_free(c);
    cfg_free(cf);
    printf("handed %ld rebalances %ld stale %ld\n", ch.handed, ch.rebalances, ch.stale);
    return ch.stale ? 1 : 0;
}
