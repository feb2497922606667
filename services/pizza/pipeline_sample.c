/* GET /pipeline's document from one look at Kafka (pipeline_sample.h). */
#include "pipeline_sample.h"

#include "clock.h"
#include "group_lag.h"
#include "record_count.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Past this many offsets a partition's lag is the offset gap (commit markers
 * included) rather than the records read: reading them all would cost more
 * than the answer is worth. */
#define PIPELINE_EXACT_LAG_MAX 1000
/* A dead-letter topic of more partitions than this is counted in its first ones only. */
#define PIPELINE_DLQ_PARTS_MAX 64
#define PIPELINE_DLQ_HEADER "dlq.consumer" /* who wrote a dead letter (intake.c) */

struct dlq_state {
    char topic[PIPELINE_NAME_MAX + 5];
    size_t n;                                   /* partitions seen */
    int64_t counted_to[PIPELINE_DLQ_PARTS_MAX]; /* read up to here */
    int64_t count;                              /* the hop's dead letters read so far */
};

/* A partition's lag as last read: while its committed offset and end stay
 * where they were, so does the lag, and nothing is read again. */
struct lag_memo {
    int64_t from, end, lag;
};

struct hop_state {
    struct pipeline_hop def;
    struct group_lag_hop now;
    int64_t *lag;          /* per partition of now */
    struct lag_memo *memo; /* per partition, n_memo of them */
    size_t n_memo;
    int64_t consumed, total; /* sum of committed (or start) offsets; sum of lag */
    int64_t consumed_prev;   /* the last sample's, -1 before the first */
    struct dlq_state dlq;
};

struct pipeline_sample {
    struct hop_state *hops;
    size_t n;
    long long prev_ms; /* monotonic time of the last sample; 0 before */
};

struct pipeline_sample *pipeline_sample_new(const struct pipeline_hop *hops, size_t n) {
    struct pipeline_sample *s = calloc(1, sizeof(*s));
    if (!s || !(s->hops = calloc(n, sizeof(*s->hops)))) {
        free(s);
        return NULL;
    }
    s->n = n;
    for (size_t i = 0; i < n; i++) {
        struct hop_state *h = &s->hops[i];
        h->def = hops[i];
        h->now.group = h->def.group;
        h->now.topic = h->def.input;
        h->consumed_prev = -1;
        snprintf(h->dlq.topic, sizeof(h->dlq.topic), "%s.dlq", h->def.input);
    }
    return s;
}

void pipeline_sample_free(struct pipeline_sample *s) {
    if (!s) return;
    for (size_t i = 0; i < s->n; i++) {
        group_lag_hop_clear(&s->hops[i].now);
        free(s->hops[i].lag);
        free(s->hops[i].memo);
    }
    free(s->hops);
    free(s);
}

/* Where a partition's waiting records begin: the committed offset, or the
 * start when there is none or it fell out of retention. */
static int64_t waiting_from(const struct group_lag_partition *p) {
    return p->committed > p->start ? p->committed : p->start;
}

/* Makes room for a memo per partition; a new one matches no offsets. */
static int hop_memo_fit(struct hop_state *h) {
    size_t n = h->now.n_parts;
    if (n <= h->n_memo) return 0;
    struct lag_memo *grown = realloc(h->memo, n * sizeof(*grown));
    if (!grown) return -1;
    for (size_t i = h->n_memo; i < n; i++)
        grown[i] = (struct lag_memo){-1, -1, 0};
    h->memo = grown;
    h->n_memo = n;
    return 0;
}

/* Every partition's lag: its records waiting past the committed offset, read
 * (read_committed) where the gap is small, so that commit markers, which take
 * an offset each under exactly-once and which librdkafka's commit stops
 * before, never show as lag: a drained group reads 0. A large gap, or records
 * that cannot be read in time, count as offsets. A partition is read again
 * only when its committed offset or its end moved (memo). */
static int hop_lag(struct hop_state *h, rd_kafka_t *rk, int timeout_ms) {
    struct group_lag_hop *g = &h->now;
    size_t n = g->n_parts ? g->n_parts : 1;
    struct record_range *r = calloc(n, sizeof(*r));
    free(h->lag);
    if (!(h->lag = calloc(n, sizeof(*h->lag))) || !r || hop_memo_fit(h) == -1) {
        free(r);
        return -1;
    }
    h->consumed = h->total = 0;
    size_t k = 0;
    for (size_t i = 0; i < g->n_parts; i++) {
        const struct group_lag_partition *p = &g->parts[i];
        struct lag_memo *m = &h->memo[i];
        int64_t from = waiting_from(p);
        h->lag[i] = p->end > from ? p->end - from : 0;
        h->consumed += from;
        if (m->from == from && m->end == p->end)
            h->lag[i] = m->lag;
        else if (h->lag[i] > 0 && h->lag[i] <= PIPELINE_EXACT_LAG_MAX)
            r[k++] = (struct record_range){g->topic, p->partition, from, p->end, NULL, NULL, 0, 0};
        else
            *m = (struct lag_memo){from, p->end, h->lag[i]};
    }
    char err[256];
    if (k > 0 && record_count(rk, r, k, timeout_ms, err, sizeof(err)) == 0)
        for (size_t j = 0; j < k; j++) {
            h->lag[r[j].partition] = r[j].count;
            h->memo[r[j].partition] = (struct lag_memo){r[j].from, r[j].to, r[j].count};
        }
    for (size_t i = 0; i < g->n_parts; i++)
        h->total += h->lag[i];
    free(r);
    return 0;
}

/* Counts the hop's new dead letters: only partitions whose end moved since
 * the last count are read, from where that count stopped. */
static int hop_dead_letters(struct hop_state *h, rd_kafka_t *rk, int timeout_ms, char *errstr,
                            size_t sz) {
    struct dlq_state *d = &h->dlq;
    int n = group_lag_partition_count(rk, d->topic, timeout_ms, errstr, sz);
    if (n <= 0) return n; /* none yet: no dead letters */
    struct group_lag_partition parts[PIPELINE_DLQ_PARTS_MAX];
    struct record_range r[PIPELINE_DLQ_PARTS_MAX];
    size_t np = (size_t)n < PIPELINE_DLQ_PARTS_MAX ? (size_t)n : PIPELINE_DLQ_PARTS_MAX, k = 0;
    for (size_t i = 0; i < np; i++)
        parts[i] = (struct group_lag_partition){(int32_t)i, 0, 0, -1};
    if (group_lag_offsets(rk, d->topic, parts, np, timeout_ms, errstr, sz) == -1) return -1;
    for (size_t i = d->n; i < np; i++)
        d->counted_to[i] = 0;
    d->n = np;
    for (size_t i = 0; i < np; i++) {
        int64_t from = d->counted_to[i] > parts[i].start ? d->counted_to[i] : parts[i].start;
        if (parts[i].end > from)
            r[k++] = (struct record_range){
                d->topic, (int32_t)i, from, parts[i].end, PIPELINE_DLQ_HEADER, h->def.group, 0, 0};
    }
    if (k == 0) return 0;
    if (record_count(rk, r, k, timeout_ms, errstr, sz) == -1) return -1;
    for (size_t j = 0; j < k; j++) {
        d->count += r[j].count;
        d->counted_to[r[j].partition] = r[j].reached;
    }
    return 0;
}

static json_t *hop_json(const struct hop_state *h, long long interval_ms) {
    const struct group_lag_hop *g = &h->now;
    json_t *parts = json_array();
    for (size_t i = 0; i < g->n_parts; i++) {
        const struct group_lag_partition *p = &g->parts[i];
        json_array_append_new(parts,
                              json_pack("{s:i, s:I, s:I, s:I}", "partition", (int)p->partition,
                                        "end_offset", (json_int_t)p->end, "committed_offset",
                                        (json_int_t)p->committed, "lag", (json_int_t)h->lag[i]));
    }
    double rate = 0;
    if (interval_ms > 0 && h->consumed_prev >= 0 && h->consumed > h->consumed_prev)
        rate = (double)(h->consumed - h->consumed_prev) * 1000.0 / (double)interval_ms;
    int ready = g->described && g->members >= 1 && strcmp(g->state, "Stable") == 0;
    /* undescribed (a broker without DescribeGroups): null, not a guess */
    return json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:I, s:o, s:f, s:s, s:I}", "stage",
                     g->group, "group", g->group, "input_topic", h->def.input, "output_topic",
                     h->def.output, "ready", g->described ? json_boolean(ready) : json_null(),
                     "members", g->described ? json_integer(g->members) : json_null(), "state",
                     g->described ? json_string(g->state) : json_null(), "lag",
                     (json_int_t)h->total, "partitions", parts, "events_per_s",
                     (double)(long long)(rate * 10 + 0.5) / 10, "dead_letter_topic", h->dlq.topic,
                     "dead_letters", (json_int_t)h->dlq.count);
}

static char *sample_json(struct pipeline_sample *s, long long now_ms) {
    long long interval = s->prev_ms ? now_ms - s->prev_ms : 0;
    char at[CLOCK_UTC_LEN];
    clock_format_utc(clock_wall_ms(), at);
    json_t *hops = json_array();
    for (size_t i = 0; i < s->n; i++)
        json_array_append_new(hops, hop_json(&s->hops[i], interval));
    json_t *doc = json_pack("{s:s, s:I, s:o}", "updated_at", at, "interval_ms",
                            (json_int_t)interval, "hops", hops);
    char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    return text;
}

char *pipeline_sample_take(struct pipeline_sample *s, rd_kafka_t *rk, int timeout_ms, char *errstr,
                           size_t sz) {
    struct group_lag_hop *g = calloc(s->n, sizeof(*g));
    errstr[0] = '\0';
    if (!g) {
        snprintf(errstr, sz, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < s->n; i++)
        g[i] = (struct group_lag_hop){.group = s->hops[i].def.group, .topic = s->hops[i].def.input};
    char *text = NULL;
    if (group_lag_sample(rk, g, s->n, timeout_ms, errstr, sz) == 0) {
        long long now = clock_now_ms();
        for (size_t i = 0; i < s->n; i++) {
            struct hop_state *h = &s->hops[i];
            group_lag_hop_clear(&h->now);
            h->now = g[i]; /* takes its partitions */
            g[i].parts = NULL;
            h->consumed_prev = h->lag ? h->consumed : -1;
            if (hop_lag(h, rk, timeout_ms) == -1 ||
                hop_dead_letters(h, rk, timeout_ms, errstr, sz) == -1)
                goto done;
        }
        if (!(text = sample_json(s, now))) snprintf(errstr, sz, "out of memory");
        s->prev_ms = now;
    }
done:
    for (size_t i = 0; i < s->n; i++)
        group_lag_hop_clear(&g[i]);
    free(g);
    if (!text && !errstr[0]) snprintf(errstr, sz, "out of memory");
    return text;
}
