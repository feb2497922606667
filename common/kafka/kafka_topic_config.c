/* A topic's settings as the brokers hold them (DescribeConfigs). */
#include "kafka.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* @returns the value of entry name among the resource's, or NULL. */
static const char *config_value(const rd_kafka_ConfigResource_t *res, const char *name) {
    size_t n = 0;
    const rd_kafka_ConfigEntry_t **entries = rd_kafka_ConfigResource_configs(res, &n);
    for (size_t i = 0; i < n; i++)
        if (strcmp(rd_kafka_ConfigEntry_name(entries[i]), name) == 0)
            return rd_kafka_ConfigEntry_value(entries[i]);
    return NULL;
}

/* @returns 0 with *value set, or -1 (errstr set). */
static int describe_topic(rd_kafka_t *rk, const char *topic, const char *name, int timeout_ms,
                          long *value, char *errstr, size_t sz) {
    rd_kafka_ConfigResource_t *res = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic);
    rd_kafka_AdminOptions_t *opts =
        rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS);
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_event_t *ev = NULL;
    int rc = -1;
    snprintf(errstr, sz, "out of memory");
    if (!res || !opts || !q ||
        rd_kafka_AdminOptions_set_request_timeout(opts, timeout_ms, errstr, sz) != 0)
        goto done;
    rd_kafka_DescribeConfigs(rk, &res, 1, opts, q);
    /* the request has its own timeout: this one only guards against none coming */
    if (!(ev = rd_kafka_queue_poll(q, timeout_ms + 1000))) {
        snprintf(errstr, sz, "no answer within %d ms", timeout_ms);
        goto done;
    }
    const rd_kafka_DescribeConfigs_result_t *result = rd_kafka_event_DescribeConfigs_result(ev);
    size_t n = 0;
    const rd_kafka_ConfigResource_t **got =
        result ? rd_kafka_DescribeConfigs_result_resources(result, &n) : NULL;
    const char *text = NULL;
    if (rd_kafka_event_error(ev))
        snprintf(errstr, sz, "%s", rd_kafka_event_error_string(ev));
    else if (n != 1 || rd_kafka_ConfigResource_error(got[0]))
        snprintf(errstr, sz, "%s",
                 n == 1 ? rd_kafka_ConfigResource_error_string(got[0]) : "no such resource");
    else if (!(text = config_value(got[0], name)))
        snprintf(errstr, sz, "%s not among the topic's settings", name);
    if (text) {
        char *end;
        errno = 0;
        *value = strtol(text, &end, 10);
        rc = errno || end == text || *end ? -1 : 0;
        if (rc) snprintf(errstr, sz, "%s is not a number: %.40s", name, text);
    }
done:
    if (ev) rd_kafka_event_destroy(ev);
    if (q) rd_kafka_queue_destroy(q);
    if (opts) rd_kafka_AdminOptions_destroy(opts);
    if (res) rd_kafka_ConfigResource_destroy(res);
    return rc;
}

static int controller_known(rd_kafka_t *rk, int timeout_ms) {
    const struct rd_kafka_metadata *md = NULL;
    int32_t controller = rd_kafka_controllerid(rk, 0);
    int known = 0;
    if (controller < 0 || rd_kafka_metadata(rk, 0, NULL, &md, timeout_ms) != 0) return 0;
    for (int i = 0; i < md->broker_cnt; i++)
        known |= md->brokers[i].id == controller;
    rd_kafka_metadata_destroy(md);
    return known;
}

int kafka_topic_max_message_bytes(rd_kafka_t *rk, const char *topic, int timeout_ms, long *bytes,
                                  char *errstr, size_t sz) {
    /* librdkafka asks the controller: a cluster that names none among its
     * brokers (the dev broker says 0) would only make us wait out the timeout */
    if (!controller_known(rk, timeout_ms)) {
        snprintf(errstr, sz, "the cluster names no controller among its brokers");
        return -1;
    }
    return describe_topic(rk, topic, "max.message.bytes", timeout_ms, bytes, errstr, sz);
}
