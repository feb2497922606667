/* Consumer groups' committed offsets against their topics' ends (group_lag.h). */
#include "group_lag.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int group_lag_partition_count(rd_kafka_t *rk, const char *topic, int timeout_ms, char *errstr,
                              size_t sz) {
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    if (!rkt) {
        snprintf(errstr, sz, "%s: %s", topic, rd_kafka_err2str(rd_kafka_last_error()));
        return -1;
    }
    rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, rkt, &md, timeout_ms);
    rd_kafka_topic_destroy(rkt);
    if (err) {
        snprintf(errstr, sz, "metadata of %s: %s", topic, rd_kafka_err2str(err));
        return -1;
    }
    int n = -1;
    if (md->topic_cnt != 1)
        snprintf(errstr, sz, "metadata of %s: %d topics", topic, md->topic_cnt);
    else if (md->topics[0].err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
        n = 0; /* not made yet: nothing in it */
    else if (md->topics[0].err)
        snprintf(errstr, sz, "metadata of %s: %s", topic, rd_kafka_err2str(md->topics[0].err));
    else
        n = md->topics[0].partition_cnt;
    rd_kafka_metadata_destroy(md);
    return n;
}

/* Asks for one offset per partition by timestamp: RD_KAFKA_OFFSET_END or
 * _BEGINNING, which ListOffsets answers with the end or the start. */
static int offsets_at(rd_kafka_t *rk, const char *topic, const struct group_lag_partition *parts,
                      size_t n, int64_t at, int64_t *out, int timeout_ms, char *errstr, size_t sz) {
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new((int)n);
    for (size_t i = 0; i < n; i++)
        rd_kafka_topic_partition_list_add(l, topic, parts[i].partition)->offset = at;
    rd_kafka_resp_err_t err = rd_kafka_offsets_for_times(rk, l, timeout_ms);
    for (int i = 0; !err && i < l->cnt; i++) {
        err = l->elems[i].err;
        out[i] = l->elems[i].offset;
    }
    if (err) snprintf(errstr, sz, "end offsets of %s: %s", topic, rd_kafka_err2str(err));
    rd_kafka_topic_partition_list_destroy(l);
    return err ? -1 : 0;
}

int group_lag_offsets(rd_kafka_t *rk, const char *topic, struct group_lag_partition *parts,
                      size_t n, int timeout_ms, char *errstr, size_t sz) {
    if (n == 0) return 0;
    int64_t *got = calloc(2 * n, sizeof(*got));
    int rc = -1;
    snprintf(errstr, sz, "out of memory");
    if (got &&
        offsets_at(rk, topic, parts, n, RD_KAFKA_OFFSET_END, got, timeout_ms, errstr, sz) == 0 &&
        offsets_at(rk, topic, parts, n, RD_KAFKA_OFFSET_BEGINNING, got + n, timeout_ms, errstr,
                   sz) == 0) {
        for (size_t i = 0; i < n; i++) {
            parts[i].end = got[i];
            parts[i].start = got[n + i];
        }
        rc = 0;
    }
    free(got);
    return rc;
}

void group_lag_hop_clear(struct group_lag_hop *h) {
    free(h->parts);
    h->parts = NULL;
    h->n_parts = 0;
    h->described = 0;
    h->members = 0;
    h->state[0] = h->error[0] = '\0';
}

/* The hop's partitions, nothing known of them yet (committed -1). */
static int hop_partitions(rd_kafka_t *rk, struct group_lag_hop *h, int timeout_ms, char *errstr,
                          size_t sz) {
    int n = group_lag_partition_count(rk, h->topic, timeout_ms, errstr, sz);
    if (n < 0) return -1;
    if (n == 0) return 0;
    if (!(h->parts = calloc((size_t)n, sizeof(*h->parts)))) {
        snprintf(errstr, sz, "out of memory");
        return -1;
    }
    h->n_parts = (size_t)n;
    for (int i = 0; i < n; i++)
        h->parts[i] = (struct group_lag_partition){i, 0, 0, -1};
    return 0;
}

/* Applies one group's answer to every hop of that group. */
static void apply_committed(struct group_lag_hop *hops, size_t n, const char *group,
                            const rd_kafka_topic_partition_list_t *l) {
    for (size_t i = 0; i < n; i++) {
        if (strcmp(hops[i].group, group) != 0) continue;
        for (int k = 0; l && k < l->cnt; k++) {
            const rd_kafka_topic_partition_t *tp = &l->elems[k];
            if (strcmp(tp->topic, hops[i].topic) != 0 || tp->err || tp->partition < 0 ||
                (size_t)tp->partition >= hops[i].n_parts)
                continue;
            /* a negative offset is "none committed" */
            hops[i].parts[tp->partition].committed = tp->offset >= 0 ? tp->offset : -1;
        }
    }
}

static rd_kafka_event_t *await_result(rd_kafka_queue_t *q, int timeout_ms) {
    /* the requests have their own timeout: this one only guards against none coming */
    return rd_kafka_queue_poll(q, timeout_ms + 1000);
}

/* ListConsumerGroupOffsets takes one group per request in 2.0.2: all are
 * sent at once on one queue, then their answers collected. */
static int fetch_committed(rd_kafka_t *rk, struct group_lag_hop *hops, size_t n,
                           rd_kafka_AdminOptions_t *opts, rd_kafka_queue_t *q, int timeout_ms,
                           char *errstr, size_t sz) {
    size_t asked = 0;
    for (size_t i = 0; i < n; i++) {
        int seen = 0;
        for (size_t j = 0; j < i; j++)
            seen |= strcmp(hops[j].group, hops[i].group) == 0;
        if (seen) continue;
        /* named partitions, not all of the group's: the dev broker answers
         * no others */
        rd_kafka_topic_partition_list_t *want = rd_kafka_topic_partition_list_new(1);
        for (size_t j = i; j < n; j++)
            for (size_t k = 0; strcmp(hops[j].group, hops[i].group) == 0 && k < hops[j].n_parts;
                 k++)
                rd_kafka_topic_partition_list_add(want, hops[j].topic, hops[j].parts[k].partition);
        rd_kafka_ListConsumerGroupOffsets_t *req =
            rd_kafka_ListConsumerGroupOffsets_new(hops[i].group, want->cnt ? want : NULL);
        rd_kafka_topic_partition_list_destroy(want); /* req has a copy */
        rd_kafka_ListConsumerGroupOffsets(rk, &req, 1, opts, q);
        rd_kafka_ListConsumerGroupOffsets_destroy(req);
        asked++;
    }
    int rc = 0;
    for (; asked > 0; asked--) {
        rd_kafka_event_t *ev = await_result(q, timeout_ms);
        if (!ev) {
            snprintf(errstr, sz, "committed offsets: no answer within %d ms", timeout_ms);
            return -1;
        }
        const rd_kafka_ListConsumerGroupOffsets_result_t *res =
            rd_kafka_event_ListConsumerGroupOffsets_result(ev);
        size_t cnt = 0;
        const rd_kafka_group_result_t **groups =
            res ? rd_kafka_ListConsumerGroupOffsets_result_groups(res, &cnt) : NULL;
        if (rd_kafka_event_error(ev)) {
            snprintf(errstr, sz, "committed offsets: %s", rd_kafka_event_error_string(ev));
            rc = -1;
        }
        for (size_t k = 0; k < cnt; k++) {
            const rd_kafka_error_t *e = rd_kafka_group_result_error(groups[k]);
            if (e) {
                snprintf(errstr, sz, "committed offsets of %s: %s",
                         rd_kafka_group_result_name(groups[k]), rd_kafka_error_string(e));
                rc = -1;
                continue;
            }
            apply_committed(hops, n, rd_kafka_group_result_name(groups[k]),
                            rd_kafka_group_result_partitions(groups[k]));
        }
        rd_kafka_event_destroy(ev);
    }
    return rc;
}

static void apply_description(struct group_lag_hop *hops, size_t n,
                              const rd_kafka_ConsumerGroupDescription_t *d) {
    const char *group = rd_kafka_ConsumerGroupDescription_group_id(d);
    const rd_kafka_error_t *e = rd_kafka_ConsumerGroupDescription_error(d);
    for (size_t i = 0; i < n; i++) {
        struct group_lag_hop *h = &hops[i];
        if (strcmp(h->group, group) != 0) continue;
        if (e) {
            snprintf(h->error, sizeof(h->error), "%s", rd_kafka_error_string(e));
            continue;
        }
        h->described = 1;
        h->members = (int)rd_kafka_ConsumerGroupDescription_member_count(d);
        snprintf(h->state, sizeof(h->state), "%s",
                 rd_kafka_consumer_group_state_name(rd_kafka_ConsumerGroupDescription_state(d)));
    }
}

/* Members and state of every group, in one request; a failure only leaves
 * the hops undescribed, with the reason. */
static void describe_groups(rd_kafka_t *rk, struct group_lag_hop *hops, size_t n,
                            rd_kafka_queue_t *q, int timeout_ms) {
    const char **groups = calloc(n ? n : 1, sizeof(*groups));
    char err[160] = "out of memory";
    rd_kafka_AdminOptions_t *opts =
        rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS);
    rd_kafka_event_t *ev = NULL;
    size_t cnt = 0;
    for (size_t i = 0; groups && i < n; i++) {
        int seen = 0;
        for (size_t j = 0; j < cnt; j++)
            seen |= strcmp(groups[j], hops[i].group) == 0;
        if (!seen) groups[cnt++] = hops[i].group;
    }
    if (groups && opts &&
        rd_kafka_AdminOptions_set_request_timeout(opts, timeout_ms, err, sizeof(err)) == 0) {
        rd_kafka_DescribeConsumerGroups(rk, groups, cnt, opts, q);
        if (!(ev = await_result(q, timeout_ms)))
            snprintf(err, sizeof(err), "no answer within %d ms", timeout_ms);
        else if (rd_kafka_event_error(ev))
            snprintf(err, sizeof(err), "%s", rd_kafka_event_error_string(ev));
    }
    const rd_kafka_DescribeConsumerGroups_result_t *res =
        ev ? rd_kafka_event_DescribeConsumerGroups_result(ev) : NULL;
    size_t got = 0;
    const rd_kafka_ConsumerGroupDescription_t **d =
        res && !rd_kafka_event_error(ev) ? rd_kafka_DescribeConsumerGroups_result_groups(res, &got)
                                         : NULL;
    for (size_t i = 0; i < got; i++)
        apply_description(hops, n, d[i]);
    for (size_t i = 0; i < n; i++)
        if (!hops[i].described && !hops[i].error[0])
            snprintf(hops[i].error, sizeof(hops[i].error), "group not described: %s", err);
    if (ev) rd_kafka_event_destroy(ev);
    if (opts) rd_kafka_AdminOptions_destroy(opts);
    free(groups);
}

int group_lag_sample(rd_kafka_t *rk, struct group_lag_hop *hops, size_t n, int timeout_ms,
                     char *errstr, size_t sz) {
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_AdminOptions_t *opts =
        rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS);
    int rc = -1;
    snprintf(errstr, sz, "out of memory");
    for (size_t i = 0; i < n; i++)
        group_lag_hop_clear(&hops[i]);
    if (!q || !opts || rd_kafka_AdminOptions_set_request_timeout(opts, timeout_ms, errstr, sz))
        goto done;
    for (size_t i = 0; i < n; i++)
        if (hop_partitions(rk, &hops[i], timeout_ms, errstr, sz) == -1) goto done;
    /* committed before the ends: a commit made in between then shows as lag
     * for one sample, never as a committed offset past the end */
    if (fetch_committed(rk, hops, n, opts, q, timeout_ms, errstr, sz) == -1) goto done;
    for (size_t i = 0; i < n; i++)
        if (group_lag_offsets(rk, hops[i].topic, hops[i].parts, hops[i].n_parts, timeout_ms, errstr,
                              sz) == -1)
            goto done;
    describe_groups(rk, hops, n, q, timeout_ms);
    rc = 0;
done:
    if (rc == -1)
        for (size_t i = 0; i < n; i++)
            group_lag_hop_clear(&hops[i]);
    if (opts) rd_kafka_AdminOptions_destroy(opts);
    if (q) rd_kafka_queue_destroy(q);
    return rc;
}
