#include "kafka.h"

#include "clock.h"
#include "kafka_access.h"
#include "metrics.h"

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* librdkafka's statistics (every statistics.interval.ms, on the thread that
 * polls the client): broker liveness for /ready and POST, and consumer lag. */

/* Three missed statistics intervals: the link is down. The interval is
 * configurable, so the window follows the longest one of this process's clients. */
#define PIZZA_STATS_MISSED 3

static _Atomic long long kafka_last_up_ms = -1;
static _Atomic long long kafka_stale_ms = PIZZA_STATS_MISSED * 1000;

int kafka_brokers_up(void) {
    long long last = atomic_load(&kafka_last_up_ms);
    return last >= 0 && clock_now_ms() - last < atomic_load(&kafka_stale_ms);
}

/* Liveness: any broker in state UP counts. */
static void kafka_stats_health(json_t *doc) {
    json_t *broker;
    const char *name;
    json_object_foreach(json_object_get(doc, "brokers"), name, broker) {
        const char *state = json_string_value(json_object_get(broker, "state"));
        if (json_integer_value(json_object_get(broker, "nodeid")) >= 0 && state &&
            strcmp(state, "UP") == 0) {
            atomic_store(&kafka_last_up_ms, clock_now_ms());
            kafka_access_granted(KAFKA_ACCESS_LOGIN); /* a broker took this login */
            break;
        }
    }
}

static int kafka_on_stats(rd_kafka_t *rk, char *json, size_t len, void *opaque) {
    (void)rk;
    (void)opaque;
    json_t *doc = json_loadb(json, len, 0, NULL);
    kafka_stats_health(doc);
    json_decref(doc);
    return 0; /* librdkafka frees json */
}

long long kafka_stats_interval_ms(const rd_kafka_conf_t *conf) {
    char value[32];
    size_t len = sizeof(value);
    if (rd_kafka_conf_get(conf, "statistics.interval.ms", value, &len) != RD_KAFKA_CONF_OK)
        return 0;
    return atoll(value);
}

int kafka_conf_track_health(rd_kafka_conf_t *conf, char *errstr, size_t sz) {
    long long interval = kafka_stats_interval_ms(conf);
    if (interval <= 0) {
        snprintf(errstr, sz,
                 "kafka property statistics.interval.ms: must be above 0 (readiness and the "
                 "consumer lag are read from the statistics)");
        return -1;
    }
    long long window = PIZZA_STATS_MISSED * interval, was = atomic_load(&kafka_stale_ms);
    while (window > was && !atomic_compare_exchange_weak(&kafka_stale_ms, &was, window))
        ;
    rd_kafka_conf_set_stats_cb(conf, kafka_on_stats);
    return 0;
}

/* ---- consumer lag: pizza_consumer_lag{topic,partition} from the statistics */

struct kafka_lag {
    const rd_kafka_t *owner; /* the consumer that has (or last had) the partition */
    char *topic;
    int32_t partition;
    struct metric *gauge;
    int seen; /* in the owner's latest statistics */
};

static pthread_mutex_t kafka_lag_lock = PTHREAD_MUTEX_INITIALIZER;
static struct kafka_lag *kafka_lags;
static size_t kafka_n_lags, kafka_lags_cap;

/* Caller holds kafka_lag_lock. @returns the entry, or NULL when out of memory. */
static struct kafka_lag *kafka_lag_entry(const char *topic, int32_t partition) {
    char labels[300];
    for (size_t i = 0; i < kafka_n_lags; i++)
        if (kafka_lags[i].partition == partition && strcmp(kafka_lags[i].topic, topic) == 0)
            return &kafka_lags[i];
    if (kafka_n_lags == kafka_lags_cap) {
        size_t cap = kafka_lags_cap ? kafka_lags_cap * 2 : 16;
        struct kafka_lag *grown = realloc(kafka_lags, cap * sizeof(*grown));
        if (!grown) return NULL;
        kafka_lags = grown;
        kafka_lags_cap = cap;
    }
    snprintf(labels, sizeof(labels), "topic=\"%s\",partition=\"%d\"", topic, (int)partition);
    struct kafka_lag *l = &kafka_lags[kafka_n_lags];
    *l = (struct kafka_lag){NULL, strdup(topic), partition, NULL, 0};
    l->gauge = metrics_register(METRIC_GAUGE, "pizza_consumer_lag",
                                "Records of an assigned partition not committed yet by its "
                                "group (last stable offset - committed offset)",
                                labels);
    if (!l->topic || !l->gauge) {
        free(l->topic);
        return NULL;
    }
    kafka_n_lags++;
    return l;
}

static long long kafka_json_int(json_t *obj, const char *key) {
    json_t *v = json_object_get(obj, key);
    return json_is_integer(v) ? (long long)json_integer_value(v) : -1;
}

/* Lag against the last stable offset (what read_committed can read). The
 * committed position is the larger of committed_offset (commits through
 * this consumer) and stored_offset (commits through a producer's
 * transaction, see consumer_note_committed); before either, the fetch
 * position.
 *
 * On Apache Kafka a transaction's commit marker takes an offset, and the last
 * record of a partition written transactionally is such a marker: a consumer
 * commits its last message + 1, one short of the end. So when the fetcher
 * and the application (next_offset, app_offset: librdkafka moves both past
 * markers) are at the end, nothing fetched waits in the queue, and every
 * message handed out is committed (settled), what is left is markers only:
 * lag 0, not 1 forever. @returns -1 when unknown yet. */
static long long kafka_partition_lag(json_t *p, int settled) {
    long long end = kafka_json_int(p, "ls_offset");
    long long committed = kafka_json_int(p, "committed_offset");
    long long stored = kafka_json_int(p, "stored_offset");
    long long pos = committed > stored ? committed : stored;
    long long fetched = kafka_json_int(p, "next_offset");
    if (end < 0) end = kafka_json_int(p, "hi_offset");
    if (pos < 0) pos = fetched;
    if (end < 0 || pos < 0) return -1;
    if (settled && fetched >= end && kafka_json_int(p, "app_offset") >= end &&
        kafka_json_int(p, "fetchq_cnt") == 0)
        return 0;
    return end > pos ? end - pos : 0;
}

/* Caller holds kafka_lag_lock. */
static void kafka_stats_topic_lag(const rd_kafka_t *rk, const char *topic, json_t *parts,
                                  int settled) {
    const char *key;
    json_t *p;
    json_object_foreach(parts, key, p) {
        long long id = kafka_json_int(p, "partition");
        if (id < 0 || !json_is_true(json_object_get(p, "desired"))) continue; /* not assigned */
        struct kafka_lag *l = kafka_lag_entry(topic, (int32_t)id);
        if (!l) continue;
        long long lag = kafka_partition_lag(p, settled);
        l->owner = rk;
        l->seen = 1;
        if (lag >= 0) metric_set(l->gauge, lag);
    }
}

/* Publishes the lag of rk's assigned partitions; those it no longer has
 * leave /metrics (their new owner, maybe another process, reports them). */
static void kafka_stats_lag(const rd_kafka_t *rk, json_t *doc, int settled) {
    const char *topic;
    json_t *t;
    pthread_mutex_lock(&kafka_lag_lock);
    for (size_t i = 0; i < kafka_n_lags; i++)
        if (kafka_lags[i].owner == rk) kafka_lags[i].seen = 0;
    json_object_foreach(json_object_get(doc, "topics"), topic, t) {
        kafka_stats_topic_lag(rk, topic, json_object_get(t, "partitions"), settled);
    }
    for (size_t i = 0; i < kafka_n_lags; i++)
        if (kafka_lags[i].owner == rk && !kafka_lags[i].seen) metric_hide(kafka_lags[i].gauge);
    pthread_mutex_unlock(&kafka_lag_lock);
}

/* Set once, by every consumer alike: the consumers' own "all committed?" */
static int (*kafka_lag_all_committed)(void *opaque);

static int kafka_on_consumer_stats(rd_kafka_t *rk, char *json, size_t len, void *opaque) {
    json_t *doc = json_loadb(json, len, 0, NULL);
    kafka_stats_health(doc);
    if (doc) kafka_stats_lag(rk, doc, kafka_lag_all_committed && kafka_lag_all_committed(opaque));
    json_decref(doc);
    return 0; /* librdkafka frees json */
}

void kafka_conf_track_lag(rd_kafka_conf_t *conf, int (*all_committed)(void *opaque)) {
    kafka_lag_all_committed = all_committed;
    rd_kafka_conf_set_stats_cb(conf, kafka_on_consumer_stats);
}

void kafka_lag_forget(const rd_kafka_t *rk) {
    pthread_mutex_lock(&kafka_lag_lock);
    for (size_t i = 0; i < kafka_n_lags; i++)
        if (kafka_lags[i].owner == rk) {
            metric_hide(kafka_lags[i].gauge);
            kafka_lags[i].owner = NULL;
        }
    pthread_mutex_unlock(&kafka_lag_lock);
}
