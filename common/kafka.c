#include "kafka.h"

#include "log.h"
#include "metrics.h"

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Three missed statistics intervals: the link is down. */
#define PIZZA_STATS_INTERVAL_MS 1000
#define PIZZA_BROKER_STALE_MS (3 * PIZZA_STATS_INTERVAL_MS)

static _Atomic long long kafka_last_up_ms = -1;
static atomic_int kafka_fatal_seen;

long long kafka_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

long long kafka_wall_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int kafka_brokers_up(void) {
    long long last = atomic_load(&kafka_last_up_ms);
    return last >= 0 && kafka_now_ms() - last < PIZZA_BROKER_STALE_MS;
}

int kafka_fatal(void) {
    return atomic_load(&kafka_fatal_seen);
}

static void kafka_on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf) {
    enum log_level l = level <= 3   ? LOG_ERROR
                       : level == 4 ? LOG_WARN
                       : level <= 6 ? LOG_INFO
                                    : LOG_DEBUG;
    log_at(l, NULL, "librdkafka %s %s: %s", rd_kafka_name(rk), fac, buf);
}

static void kafka_on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque) {
    char fatal[512];
    (void)opaque;
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
        rd_kafka_fatal_error(rk, fatal, sizeof(fatal));
        log_error("kafka fatal error, restarting is required: %s", fatal);
        atomic_store(&kafka_fatal_seen, 1);
        return;
    }
    /* transient: librdkafka retries by itself and has logged a transport failure
     * already (FAIL); ALL_BROKERS_DOWN also shows in /ready */
    log_at(err == RD_KAFKA_RESP_ERR__TRANSPORT ? LOG_DEBUG : LOG_WARN, NULL, "kafka: %s: %s",
           rd_kafka_err2name(err), reason);
}

/* Liveness: any broker in state UP counts. */
static void kafka_stats_health(json_t *doc) {
    json_t *broker;
    const char *name;
    json_object_foreach(json_object_get(doc, "brokers"), name, broker) {
        const char *state = json_string_value(json_object_get(broker, "state"));
        if (json_integer_value(json_object_get(broker, "nodeid")) >= 0 && state &&
            strcmp(state, "UP") == 0) {
            atomic_store(&kafka_last_up_ms, kafka_now_ms());
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
 * position. @returns -1 when unknown yet. */
static long long kafka_partition_lag(json_t *p) {
    long long end = kafka_json_int(p, "ls_offset");
    long long committed = kafka_json_int(p, "committed_offset");
    long long stored = kafka_json_int(p, "stored_offset");
    long long pos = committed > stored ? committed : stored;
    if (end < 0) end = kafka_json_int(p, "hi_offset");
    if (pos < 0) pos = kafka_json_int(p, "next_offset");
    if (end < 0 || pos < 0) return -1;
    return end > pos ? end - pos : 0;
}

/* Caller holds kafka_lag_lock. */
static void kafka_stats_topic_lag(const rd_kafka_t *rk, const char *topic, json_t *parts) {
    const char *key;
    json_t *p;
    json_object_foreach(parts, key, p) {
        long long id = kafka_json_int(p, "partition");
        if (id < 0 || !json_is_true(json_object_get(p, "desired"))) continue; /* not assigned */
        struct kafka_lag *l = kafka_lag_entry(topic, (int32_t)id);
        if (!l) continue;
        long long lag = kafka_partition_lag(p);
        l->owner = rk;
        l->seen = 1;
        if (lag >= 0) metric_set(l->gauge, lag);
    }
}

/* Publishes the lag of rk's assigned partitions; those it no longer has
 * leave /metrics (their new owner, maybe another process, reports them). */
static void kafka_stats_lag(const rd_kafka_t *rk, json_t *doc) {
    const char *topic;
    json_t *t;
    pthread_mutex_lock(&kafka_lag_lock);
    for (size_t i = 0; i < kafka_n_lags; i++)
        if (kafka_lags[i].owner == rk) kafka_lags[i].seen = 0;
    json_object_foreach(json_object_get(doc, "topics"), topic, t) {
        kafka_stats_topic_lag(rk, topic, json_object_get(t, "partitions"));
    }
    for (size_t i = 0; i < kafka_n_lags; i++)
        if (kafka_lags[i].owner == rk && !kafka_lags[i].seen) metric_hide(kafka_lags[i].gauge);
    pthread_mutex_unlock(&kafka_lag_lock);
}

static int kafka_on_consumer_stats(rd_kafka_t *rk, char *json, size_t len, void *opaque) {
    (void)opaque;
    json_t *doc = json_loadb(json, len, 0, NULL);
    kafka_stats_health(doc);
    if (doc) kafka_stats_lag(rk, doc);
    json_decref(doc);
    return 0; /* librdkafka frees json */
}

void kafka_conf_track_lag(rd_kafka_conf_t *conf) {
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

/* ---- consumed records: pizza_events_consumed_total{topic}, counted by an
 * on_consume interceptor, so every reader (changelogs too) counts alike. */

#define KAFKA_CONSUMED_CACHE 8

struct kafka_consumed { /* per client: topic handle -> counter, no lock per record */
    const rd_kafka_topic_t *rkt[KAFKA_CONSUMED_CACHE];
    struct metric *counter[KAFKA_CONSUMED_CACHE];
    int n;
};

struct metric *kafka_consumed_counter(const char *topic) {
    char labels[300];
    snprintf(labels, sizeof(labels), "topic=\"%s\"", topic);
    return metrics_register(METRIC_COUNTER, "pizza_events_consumed_total",
                            "Records read from a topic (inputs, and changelogs while restoring "
                            "or tailing); a rewound batch's records count again",
                            labels);
}

static rd_kafka_resp_err_t kafka_on_consume(rd_kafka_t *rk, rd_kafka_message_t *m, void *arg) {
    struct kafka_consumed *kc = arg;
    (void)rk;
    if (m->err || !m->rkt) return RD_KAFKA_RESP_ERR_NO_ERROR;
    for (int i = 0; i < kc->n; i++)
        if (kc->rkt[i] == m->rkt) {
            metric_add(kc->counter[i], 1);
            return RD_KAFKA_RESP_ERR_NO_ERROR;
        }
    struct metric *c = kafka_consumed_counter(rd_kafka_topic_name(m->rkt));
    metric_add(c, 1);
    if (c && kc->n < KAFKA_CONSUMED_CACHE) {
        kc->rkt[kc->n] = m->rkt;
        kc->counter[kc->n++] = c;
    }
    return RD_KAFKA_RESP_ERR_NO_ERROR;
}

static rd_kafka_resp_err_t kafka_on_destroy(rd_kafka_t *rk, void *arg) {
    (void)rk;
    free(arg);
    return RD_KAFKA_RESP_ERR_NO_ERROR;
}

static rd_kafka_resp_err_t kafka_on_new(rd_kafka_t *rk, const rd_kafka_conf_t *conf, void *arg,
                                        char *errstr, size_t sz) {
    (void)conf;
    (void)arg;
    (void)errstr;
    (void)sz;
    struct kafka_consumed *kc = calloc(1, sizeof(*kc));
    if (!kc) return RD_KAFKA_RESP_ERR_NO_ERROR; /* no counts, still a client */
    if (rd_kafka_interceptor_add_on_consume(rk, "pizza-metrics", kafka_on_consume, kc) ||
        rd_kafka_interceptor_add_on_destroy(rk, "pizza-metrics", kafka_on_destroy, kc))
        log_warn("records consumed by %s are not counted", rd_kafka_name(rk));
    return RD_KAFKA_RESP_ERR_NO_ERROR;
}

static int kafka_set(rd_kafka_conf_t *conf, const char *key, const char *value, char *errstr,
                     size_t sz) {
    char why[256];
    if (rd_kafka_conf_set(conf, key, value, why, sizeof(why)) == RD_KAFKA_CONF_OK) {
        log_debug("kafka property %s = %s", key, cfg_is_secret(key) ? "[redacted]" : value);
        return 0;
    }
    /* librdkafka's reason quotes the value: never for a secret */
    snprintf(errstr, sz, "kafka property %s: %s", key, cfg_is_secret(key) ? "invalid value" : why);
    return -1;
}

struct kafka_apply {
    enum kafka_role role;
    rd_kafka_conf_t *conf;
    char *errstr;
    size_t sz;
};

static int kafka_apply_one(const char *key, const char *value, void *arg) {
    struct kafka_apply *a = arg;
    /* [kafka] is shared; a consumer would only warn about this producer key */
    if (a->role == KAFKA_CONSUMER && strcmp(key, "transactional.id") == 0) return 0;
    return kafka_set(a->conf, key, value, a->errstr, a->sz);
}

static int kafka_set_defaults(rd_kafka_conf_t *conf, enum kafka_role role, const char *client_id,
                              char *errstr, size_t sz) {
    static const char *const producer[][2] = {{"linger.ms", "5"}, {"acks", "all"}};
    static const char *const consumer[][2] = {{"auto.offset.reset", "earliest"},
                                              {"isolation.level", "read_committed"},
                                              {"enable.partition.eof", "false"}};
    const char *const(*pairs)[2] = role == KAFKA_PRODUCER ? producer : consumer;
    size_t n = role == KAFKA_PRODUCER ? 2 : 3;
    if (kafka_set(conf, "client.id", client_id, errstr, sz) == -1 ||
        kafka_set(conf, "statistics.interval.ms", "1000", errstr, sz) == -1)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (kafka_set(conf, pairs[i][0], pairs[i][1], errstr, sz) == -1) return -1;
    return 0;
}

/* What delivery semantics rest on: not configurable. */
static int kafka_set_guarantees(rd_kafka_conf_t *conf, enum kafka_role role, char *errstr,
                                size_t sz) {
    if (role == KAFKA_PRODUCER) return kafka_set(conf, "enable.idempotence", "true", errstr, sz);
    return kafka_set(conf, "enable.auto.commit", "false", errstr, sz) ||
                   kafka_set(conf, "enable.auto.offset.store", "false", errstr, sz)
               ? -1
               : 0;
}

rd_kafka_conf_t *kafka_conf_new(const struct cfg *c, enum kafka_role role, const char *client_id,
                                char *errstr, size_t sz) {
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    struct kafka_apply a = {role, conf, errstr, sz};
    const char *section = role == KAFKA_PRODUCER ? "kafka.producer" : "kafka.consumer";
    if (kafka_set_defaults(conf, role, client_id, errstr, sz) == -1 ||
        cfg_each(c, "kafka", kafka_apply_one, &a) != 0 ||
        cfg_each(c, section, kafka_apply_one, &a) != 0 ||
        kafka_set_guarantees(conf, role, errstr, sz) == -1) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    const char *bootstrap = cfg_get(c, "kafka", "bootstrap.servers");
    if (!bootstrap || !bootstrap[0]) {
        snprintf(errstr, sz, "no [kafka] bootstrap.servers (set KAFKA_BOOTSTRAP_SERVERS)");
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    rd_kafka_conf_set_log_cb(conf, kafka_on_log);
    rd_kafka_conf_set_error_cb(conf, kafka_on_error);
    rd_kafka_conf_set_stats_cb(conf, kafka_on_stats);
    if (role == KAFKA_CONSUMER &&
        rd_kafka_conf_interceptor_add_on_new(conf, "pizza-metrics", kafka_on_new, NULL))
        log_warn("records consumed are not counted: interceptor refused");
    return conf;
}

int kafka_header_copy(const rd_kafka_message_t *m, const char *name, char *out, size_t sz) {
    rd_kafka_headers_t *h = NULL;
    const void *v;
    size_t len;
    if (rd_kafka_message_headers(m, &h) || rd_kafka_header_get_last(h, name, &v, &len) || !v ||
        len >= sz)
        return -1;
    memcpy(out, v, len);
    out[len] = '\0';
    return 0;
}
