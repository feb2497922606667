#include "kafka.h"

#include "kafka_access.h"
#include "log.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static atomic_int kafka_fatal_seen;

int kafka_fatal(void) {
    return atomic_load(&kafka_fatal_seen);
}

static struct kafka_lifecycle kafka_lifecycle;

void kafka_set_lifecycle(const struct kafka_lifecycle *lc) {
    kafka_lifecycle = *lc;
}

int kafka_running(void) {
    return !kafka_fatal() && (!kafka_lifecycle.running || kafka_lifecycle.running());
}

void kafka_fail(const char *why) {
    if (kafka_lifecycle.fail)
        kafka_lifecycle.fail(why);
    else
        log_error("cannot go on: %s", why);
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
        atomic_store(&kafka_fatal_seen, 1);
        char why[600];
        snprintf(why, sizeof(why), "kafka fatal error: %s", fatal);
        kafka_fail(why);
        return;
    }
    /* the brokers' certificate is not trusted, or the user or password is
     * wrong: librdkafka retries, and /ready says why until a broker is up */
    if (err == RD_KAFKA_RESP_ERR__AUTHENTICATION || err == RD_KAFKA_RESP_ERR__SSL) {
        kafka_access_refused(KAFKA_ACCESS_LOGIN, "login: %s", reason);
        return;
    }
    /* transient: librdkafka retries by itself and has logged a transport failure
     * already (FAIL); ALL_BROKERS_DOWN also shows in /ready */
    log_at(err == RD_KAFKA_RESP_ERR__TRANSPORT ? LOG_DEBUG : LOG_WARN, NULL, "kafka: %s: %s",
           rd_kafka_err2name(err), reason);
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
    if (a->role != KAFKA_PRODUCER && strcmp(key, "transactional.id") == 0) return 0;
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
    /* Statistics cost every client CPU even when idle (librdkafka builds a
     * document of every broker and partition, we parse it): the consumers'
     * answer broker liveness for the whole process, so producers have none
     * unless configured (every daemon has a consumer). */
    if (kafka_set(conf, "client.id", client_id, errstr, sz) == -1 ||
        kafka_set(conf, "statistics.interval.ms", role == KAFKA_CONSUMER ? "1000" : "0", errstr,
                  sz) == -1)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (kafka_set(conf, pairs[i][0], pairs[i][1], errstr, sz) == -1) return -1;
    return 0;
}

/* What delivery semantics rest on: not configurable. */
static int kafka_set_guarantees(rd_kafka_conf_t *conf, enum kafka_role role, char *errstr,
                                size_t sz) {
    if (role == KAFKA_PRODUCER) return kafka_set(conf, "enable.idempotence", "true", errstr, sz);
    /* an observer reads to its partitions' ends and must not idle at a cost;
     * at an end that holds only a commit marker, the end is known once a Fetch
     * comes back empty, which the broker would hold for fetch.wait.max.ms */
    if (role == KAFKA_OBSERVER &&
        (kafka_set(conf, "enable.partition.eof", "true", errstr, sz) == -1 ||
         kafka_set(conf, "statistics.interval.ms", "0", errstr, sz) == -1 ||
         kafka_set(conf, "fetch.wait.max.ms", "10", errstr, sz) == -1))
        return -1;
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
    int stats_required = role == KAFKA_CONSUMER;
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
    /* [kafka] statistics.interval.ms = 0 is refused by the first client built,
     * producer or consumer, so a daemon never starts to be refused later */
    const char *shared_stats = cfg_get(c, "kafka", "statistics.interval.ms");
    stats_required |= role == KAFKA_PRODUCER && shared_stats && atoll(shared_stats) <= 0;
    if ((stats_required || kafka_stats_interval_ms(conf) > 0) &&
        kafka_conf_track_health(conf, errstr, sz) == -1) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    rd_kafka_conf_set_log_cb(conf, kafka_on_log);
    rd_kafka_conf_set_error_cb(conf, kafka_on_error);
    if (role == KAFKA_CONSUMER) kafka_conf_count_consumed(conf);
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
