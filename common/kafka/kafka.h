#ifndef PIZZA_KAFKA_H
#define PIZZA_KAFKA_H
#include <librdkafka/rdkafka.h>
#include <stddef.h>

#include "cfg.h"
#include "metrics.h"

/* librdkafka configuration and process-wide client health. */
/* KAFKA_OBSERVER: a consumer outside any group that only looks (offsets,
 * groups, a few records): [kafka.consumer]'s settings, no statistics (they
 * cost CPU while idle), and what it reads is not counted as consumed. */
enum kafka_role { KAFKA_PRODUCER, KAFKA_CONSUMER, KAFKA_OBSERVER };

/** Builds a conf from our defaults, then [kafka], then [kafka.producer] or
 * [kafka.consumer], then the settings our guarantees depend on (idempotence,
 * manual commits), which config cannot turn off. librdkafka's log, errors and
 * statistics are routed to log.h and kafka_ready().
 * @returns NULL on error (errstr names the property). Caller owns the conf. */
rd_kafka_conf_t *kafka_conf_new(const struct cfg *c, enum kafka_role role, const char *client_id,
                                char *errstr, size_t sz);

/* kafka_stats.c */
/** @returns conf's statistics.interval.ms (0: none). */
long long kafka_stats_interval_ms(const rd_kafka_conf_t *conf);
/** Routes conf's statistics to kafka_brokers_up() (kafka_conf_new does), whose
 * window becomes three of conf's statistics.interval.ms if that is longer.
 * @returns 0, or -1 when the statistics are off (errstr set). */
int kafka_conf_track_health(rd_kafka_conf_t *conf, char *errstr, size_t sz);
/** For a group consumer's conf (after kafka_conf_new): its statistics also
 * publish pizza_consumer_lag{topic,partition} for each assigned partition;
 * a partition no longer assigned leaves /metrics. all_committed(opaque), with
 * the conf's opaque, tells whether every message handed to the application is
 * committed (what lets a drained partition read 0 past commit markers). */
void kafka_conf_track_lag(rd_kafka_conf_t *conf, int (*all_committed)(void *opaque));
/** rk is closing: its partitions' lag leaves /metrics. */
void kafka_lag_forget(const rd_kafka_t *rk);

/* kafka_consumed.c */
/** Makes a consumer made from conf count what it hands out (kafka_conf_new
 * does, for consumers). */
void kafka_conf_count_consumed(rd_kafka_conf_t *conf);
/** pizza_events_consumed_total{topic}: every consumer made from
 * kafka_conf_new() counts the records it hands out; this registers a topic's
 * series before its first record. @returns NULL when out of memory. */
struct metric *kafka_consumed_counter(const char *topic);

/** @returns 1 when some client of this process saw a broker up within the
 * last few statistics intervals. */
int kafka_brokers_up(void);
/** @returns 1 once a client hit a fatal error: the process must restart. */
int kafka_fatal(void);

/* What this layer needs from the process around it, handed over once at
 * start: whether to go on waiting for Kafka (loops that retry, wait for room
 * or for a coordinator stop when it says no), and where to report a failure
 * after which the process cannot go on safely (a fatal client error, a
 * fenced producer, an input that cannot be rewound). The process decides
 * what stopping means; this layer never exits. */
struct kafka_lifecycle {
    int (*running)(void);
    void (*fail)(const char *why);
};
/** Sets the process's lifecycle; until then this layer runs while no fatal
 * error was seen, and failures are only logged. */
void kafka_set_lifecycle(const struct kafka_lifecycle *lc);
/** @returns 1 while the process runs and no client hit a fatal error. */
int kafka_running(void);
/** Reports a failure after which this process must stop (and be restarted). */
void kafka_fail(const char *why);

/** The largest record batch topic takes: its max.message.bytes (the broker's
 * default unless the topic sets its own), asked within timeout_ms.
 * @returns 0 with *bytes set, or -1 when it cannot be learned (errstr says
 * why: no such topic yet, no DESCRIBE_CONFIGS permission, a broker without
 * the API, such as the dev broker). */
int kafka_topic_max_message_bytes(rd_kafka_t *rk, const char *topic, int timeout_ms, long *bytes,
                                  char *errstr, size_t sz);
/** Copies the value of m's last header called name into out as a C string.
 * @returns 0, or -1 when absent, NULL, or not shorter than sz. */
int kafka_header_copy(const rd_kafka_message_t *m, const char *name, char *out, size_t sz);

#endif
