#include "kafka.h"

#include "log.h"
#include "metrics.h"

#include <stdio.h>
#include <stdlib.h>

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

void kafka_conf_count_consumed(rd_kafka_conf_t *conf) {
    if (rd_kafka_conf_interceptor_add_on_new(conf, "pizza-metrics", kafka_on_new, NULL))
        log_warn("records consumed are not counted: interceptor refused");
}
