#include "producer.h"

#include "kafka.h"
#include "log.h"
#include "metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PRODUCER_MAX_TOPICS 8

struct producer {
    rd_kafka_t *rk;
    rd_kafka_topic_t *topics[PRODUCER_MAX_TOPICS];
    int n_topics;
    producer_dr_fn dr;
    void *dr_arg;
    struct metric *delivered, *failed;
};

static void producer_on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    struct producer *p = opaque;
    (void)rk;
    if (m->err) {
        metric_add(p->failed, 1);
        log_at(LOG_WARN,
               &(struct log_where){rd_kafka_topic_name(m->rkt), m->partition, -1, m->key,
                                   (int)m->key_len},
               "delivery failed: %s", rd_kafka_err2str(m->err));
    } else {
        metric_add(p->delivered, 1);
    }
    if (p->dr) p->dr(m->_private, m->err, p->dr_arg);
}

struct producer *producer_new(const struct cfg *c, const char *client_id, producer_dr_fn dr,
                              void *dr_arg, char *errstr, size_t sz) {
    struct producer *p = calloc(1, sizeof(*p));
    rd_kafka_conf_t *conf = p ? kafka_conf_new(c, KAFKA_PRODUCER, client_id, errstr, sz) : NULL;
    if (!conf) {
        if (!p) snprintf(errstr, sz, "out of memory");
        free(p);
        return NULL;
    }
    p->dr = dr;
    p->dr_arg = dr_arg;
    rd_kafka_conf_set_opaque(conf, p);
    rd_kafka_conf_set_dr_msg_cb(conf, producer_on_delivery);
    p->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sz);
    if (!p->rk) {
        rd_kafka_conf_destroy(conf);
        free(p);
        return NULL;
    }
    conf = NULL; /* rk owns */
    p->delivered = metrics_register(METRIC_COUNTER, "pizza_kafka_messages_delivered_total",
                                    "Messages the brokers acknowledged", NULL);
    p->failed = metrics_register(METRIC_COUNTER, "pizza_kafka_delivery_failures_total",
                                 "Messages whose delivery failed", NULL);
    return p;
}

rd_kafka_topic_t *producer_topic(struct producer *p, const char *name, char *errstr, size_t sz) {
    const struct rd_kafka_metadata *md = NULL;
    for (int i = 0; i < p->n_topics; i++)
        if (strcmp(rd_kafka_topic_name(p->topics[i]), name) == 0) return p->topics[i];
    if (p->n_topics == PRODUCER_MAX_TOPICS) {
        snprintf(errstr, sz, "too many output topics");
        return NULL;
    }
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(p->rk, name, NULL);
    if (!rkt) {
        snprintf(errstr, sz, "topic %s: %s", name, rd_kafka_err2str(rd_kafka_last_error()));
        return NULL;
    }
    p->topics[p->n_topics++] = rkt;
    rd_kafka_resp_err_t err = rd_kafka_metadata(p->rk, 0, rkt, &md, 2000);
    if (err) /* not fatal: brokers may come later, and /ready says so meanwhile */
        log_warn("no metadata for topic %s yet: %s", name, rd_kafka_err2str(err));
    else
        rd_kafka_metadata_destroy(md);
    return rkt;
}

int producer_send(struct producer *p, rd_kafka_topic_t *topic, const void *key, size_t key_len,
                  const void *value, size_t value_len, void *msg_opaque, int wait_ms, char *errstr,
                  size_t sz) {
    long long deadline = kafka_now_ms() + wait_ms;
    for (;;) {
        rd_kafka_resp_err_t err = rd_kafka_producev(
            p->rk, RD_KAFKA_V_RKT(topic), RD_KAFKA_V_KEY(key, key_len),
            RD_KAFKA_V_VALUE((void *)value, value_len),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), /* caller's buffers are transient */
            RD_KAFKA_V_OPAQUE(msg_opaque), RD_KAFKA_V_END);
        if (!err) return 0;
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL || kafka_fatal() || kafka_now_ms() >= deadline) {
            snprintf(errstr, sz, "produce to %s: %s", rd_kafka_topic_name(topic),
                     rd_kafka_err2str(err));
            return err == RD_KAFKA_RESP_ERR__QUEUE_FULL ? PRODUCER_FULL : PRODUCER_REFUSED;
        }

        rd_kafka_poll(p->rk, 100); /* back-pressure: deliveries free queue space */
    }
}

int producer_poll(struct producer *p, int timeout_ms) {
    return rd_kafka_poll(p->rk, timeout_ms);
}

int producer_flush(struct producer *p, int timeout_ms) {
    return rd_kafka_flush(p->rk, timeout_ms) == RD_KAFKA_RESP_ERR_NO_ERROR ? 0 : -1;
}

void producer_free(struct producer *p, int flush_ms) {
    if (!p) return;
    if (producer_flush(p, flush_ms) == -1) {
        log_warn("%d messages undelivered at shutdown; reporting them failed",
                 rd_kafka_outq_len(p->rk));
        rd_kafka_purge(p->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        /* purged messages come back as failed deliveries, in-flight ones only
         * once their broker thread lets go: serve until all are reported */
        if (producer_flush(p, 2000) == -1)
            log_error("%d delivery reports never came", rd_kafka_outq_len(p->rk));
    }
    for (int i = 0; i < p->n_topics; i++)
        rd_kafka_topic_destroy(p->topics[i]);
    rd_kafka_destroy(p->rk);
    free(p);
}
