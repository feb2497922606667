/* pizza-bench-chain: injects COUNT pizzas into an input topic and times their
 * arrival on an output topic.
 *
 * The pizzas are pizza-service's: event_new() + event_encode() for the value,
 * keyed by a UUID-shaped order id, one pizza per order (pizza id
 * "<order id>-1"). The order ids carry a random run tag and a sequence
 * number, so the reader can tell this run's pizzas apart and count each one.
 * Before injecting, a read_committed consumer is assigned to every partition
 * of the output topic at its end offset; the clock starts at the first
 * produce and stops when the last distinct pizza arrives. Prints one JSON
 * line; exits 0 when every pizza arrived, 1 when some did not within the
 * timeout (the line says how many did), 2 when it could not run. */
#include "clock.h"
#include "kafka.h"

#include <inttypes.h>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#define PIZZA_CHAIN_ID_LEN 36 /* a UUID's text */
#define PIZZA_CHAIN_BATCH 10000
/* after the last pizza: how long to keep reading for late duplicates */
#define PIZZA_CHAIN_LINGER_MS 300

struct chain_opts {
    long count;
    const char *in_topic, *out_topic, *bootstrap;
    long timeout_s;            /* give up when nothing new arrived for this long */
    const char *fetch_wait_ms; /* the reader's fetch.wait.max.ms */
};

struct chain {
    struct chain_opts o;
    uint32_t tag; /* this run's order ids start with it */
    char *keys;   /* count order ids, PIZZA_CHAIN_ID_LEN each */
    char **values;
    size_t *lens;
    rd_kafka_t *producer, *reader;
    rd_kafka_queue_t *queue;
    unsigned char *seen; /* per pizza: arrived at least once */
    long distinct, messages, foreign, delivered, delivery_failures;
    int probe_state; /* 0 in flight, 1 delivered, -1 failed */
    long long t_start, t_injected, t_last;
};

static void chain_on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    struct chain *c = opaque;
    (void)rk;
    if (c->probe_state == 0) { /* the probe goes first, alone */
        c->probe_state = m->err ? -1 : 1;
        if (m->err)
            fprintf(stderr, "pizza-bench-chain: probe delivery to %s failed: %s\n", c->o.in_topic,
                    rd_kafka_err2str(m->err));
        return;
    }
    if (m->err) {
        if (c->delivery_failures++ == 0)
            fprintf(stderr, "pizza-bench-chain: delivery to %s failed: %s\n", c->o.in_topic,
                    rd_kafka_err2str(m->err));
    } else if (++c->delivered == c->o.count) {
        c->t_injected = clock_now_ms();
    }
}

/* @returns 0, or -1 with the reason printed. */
static int chain_set(rd_kafka_conf_t *conf, const char *key, const char *value) {
    char why[256];
    if (rd_kafka_conf_set(conf, key, value, why, sizeof(why)) == RD_KAFKA_CONF_OK) return 0;
    fprintf(stderr, "pizza-bench-chain: kafka property %s: %s\n", key, why);
    return -1;
}

/* A client with pairs of properties (NULL-terminated). @returns NULL after printing why. */
static rd_kafka_t *chain_client(struct chain *c, rd_kafka_type_t type, const char *const *props) {
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (chain_set(conf, "bootstrap.servers", c->o.bootstrap) == -1) goto fail;
    for (size_t i = 0; props[i]; i += 2)
        if (chain_set(conf, props[i], props[i + 1]) == -1) goto fail;
    if (type == RD_KAFKA_PRODUCER) rd_kafka_conf_set_dr_msg_cb(conf, chain_on_delivery);
    rd_kafka_conf_set_opaque(conf, c);
    rd_kafka_t *rk = rd_kafka_new(type, conf, err, sizeof(err));
    if (rk) return rk; /* rk owns conf */
    fprintf(stderr, "pizza-bench-chain: kafka client: %s\n", err);
fail:
    rd_kafka_conf_destroy(conf);
    return NULL;
}

/* The bytes pizza-service writes for a new pizza of a one-pizza order (its
 * event model's compact JSON, fields in this order). Spelled out here so the
 * benchmark measures the wire format, not whichever event API is current.
 * @returns malloc'd text, or NULL when out of memory. */
static char *chain_pizza(const char *order_id, size_t *len) {
    static const char fmt[] =
        "{\"id\":\"%s-1\",\"order_id\":\"%s\",\"sauce\":\"\",\"cheese\":\"\",\"meats\":\"\","
        "\"veggies\":\"\"}";
    int n = snprintf(NULL, 0, fmt, order_id, order_id);
    char *s = n > 0 ? malloc((size_t)n + 1) : NULL;
    if (!s) return NULL;
    snprintf(s, (size_t)n + 1, fmt, order_id, order_id);
    *len = (size_t)n;
    return s;
}

/* Encodes every pizza up front, so the timed part only produces. */
static int chain_prepare(struct chain *c) {
    if (getrandom(&c->tag, sizeof(c->tag), 0) != (ssize_t)sizeof(c->tag)) {
        perror("pizza-bench-chain: getrandom");
        return -1;
    }
    size_t n = (size_t)c->o.count + 1; /* the last one is the probe */
    c->keys = malloc(n * (PIZZA_CHAIN_ID_LEN + 1));
    c->values = calloc(n, sizeof(*c->values));
    c->lens = calloc(n, sizeof(*c->lens));
    c->seen = calloc(n, 1);
    if (!c->keys || !c->values || !c->lens || !c->seen) goto oom;
    /* the probe is pizza number count: the reader leaves it out of every figure */
    for (size_t i = 0; i < n; i++) {
        char *key = c->keys + i * (PIZZA_CHAIN_ID_LEN + 1);
        /* UUID-shaped like pizza-service's ids: version 4, RFC 4122 variant */
        snprintf(key, PIZZA_CHAIN_ID_LEN + 1, "%08" PRIx32 "-0000-4000-8000-%012" PRIx64, c->tag,
                 (uint64_t)(i & 0xffffffffffffU)); /* count is at most 12 hex digits */
        if (!(c->values[i] = chain_pizza(key, &c->lens[i]))) goto oom;
    }
    return 0;
oom:
    fprintf(stderr, "pizza-bench-chain: out of memory preparing %ld pizzas\n", c->o.count);
    return -1;
}

/* Assigns the reader to every partition of the output topic at its end. */
static int chain_assign_at_end(struct chain *c) {
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_topic_t *t = rd_kafka_topic_new(c->reader, c->o.out_topic, NULL);
    rd_kafka_resp_err_t e =
        t ? rd_kafka_metadata(c->reader, 0, t, &md, 10000) : rd_kafka_last_error();
    if (t) rd_kafka_topic_destroy(t);
    if (!e && (md->topic_cnt != 1 || md->topics[0].err || md->topics[0].partition_cnt < 1))
        e = md->topic_cnt == 1 && md->topics[0].err ? md->topics[0].err
                                                    : RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC;
    if (e) {
        fprintf(stderr, "pizza-bench-chain: metadata of %s: %s\n", c->o.out_topic,
                rd_kafka_err2str(e));
        if (md) rd_kafka_metadata_destroy(md);
        return -1;
    }
    int np = md->topics[0].partition_cnt;
    rd_kafka_metadata_destroy(md);
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(np);
    for (int p = 0; p < np && !e; p++) {
        int64_t lo, hi;
        e = rd_kafka_query_watermark_offsets(c->reader, c->o.out_topic, p, &lo, &hi, 10000);
        if (!e) rd_kafka_topic_partition_list_add(parts, c->o.out_topic, p)->offset = hi;
    }
    if (!e) e = rd_kafka_assign(c->reader, parts);
    rd_kafka_topic_partition_list_destroy(parts);
    if (e)
        fprintf(stderr, "pizza-bench-chain: assign %s: %s\n", c->o.out_topic, rd_kafka_err2str(e));
    return e ? -1 : 0;
}

static int chain_open(struct chain *c) {
    const char *producer[] = {"enable.idempotence", "true", "acks", "all", "linger.ms", "5",
                              /* the whole run fits: the injector never waits for room */
                              "queue.buffering.max.messages", "2000000",
                              "queue.buffering.max.kbytes", "2097151", NULL};
    char group[64];
    snprintf(group, sizeof(group), "pizza-bench-chain-%d", (int)getpid());
    const char *reader[] = {"group.id",
                            group, /* assigned, never committed */
                            "enable.auto.commit",
                            "false",
                            "isolation.level",
                            "read_committed",
                            "enable.partition.eof",
                            "false",
                            "fetch.wait.max.ms",
                            c->o.fetch_wait_ms,
                            NULL};
    if (!(c->producer = chain_client(c, RD_KAFKA_PRODUCER, producer)) ||
        !(c->reader = chain_client(c, RD_KAFKA_CONSUMER, reader)))
        return -1;
    rd_kafka_poll_set_consumer(c->reader);
    c->queue = rd_kafka_queue_get_consumer(c->reader);
    return chain_assign_at_end(c);
}

/* Produces pizza i. @returns 0, or -1 with the reason printed. */
static int chain_produce(struct chain *c, long i) {
    for (;;) {
        /* buffers live until exit: no copy */
        rd_kafka_resp_err_t e = rd_kafka_producev(
            c->producer, RD_KAFKA_V_TOPIC(c->o.in_topic),
            RD_KAFKA_V_KEY(c->keys + i * (PIZZA_CHAIN_ID_LEN + 1), PIZZA_CHAIN_ID_LEN),
            RD_KAFKA_V_VALUE(c->values[i], c->lens[i]), RD_KAFKA_V_END);
        if (!e) return 0;
        if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            fprintf(stderr, "pizza-bench-chain: produce to %s: %s\n", c->o.in_topic,
                    rd_kafka_err2str(e));
            return -1;
        }
        rd_kafka_poll(c->producer, 10);
    }
}

/* A new idempotent producer needs its producer id (and connections) before
 * it sends anything, about a second on the dev broker: one probe pizza, not
 * counted, is delivered before the clock starts so that is not timed. */
static int chain_probe(struct chain *c) {
    long long deadline = clock_now_ms() + 30000;
    if (chain_produce(c, c->o.count) == -1) return -1;
    while (c->probe_state == 0 && clock_now_ms() < deadline)
        rd_kafka_poll(c->producer, 10);
    if (c->probe_state == 1) return 0;
    fprintf(stderr, "pizza-bench-chain: probe pizza not delivered to %s within 30 s\n",
            c->o.in_topic);
    return -1;
}

static int chain_inject(struct chain *c) {
    if (chain_probe(c) == -1) return -1;
    c->t_start = clock_now_ms();
    for (long i = 0; i < c->o.count; i++) {
        if (chain_produce(c, i) == -1) return -1;
        if (i % 1000 == 0) rd_kafka_poll(c->producer, 0);
    }
    return 0;
}

/* memmem() is a GNU extension; values are small, a plain scan will do. */
static const char *chain_find(const char *s, size_t len, const char *what, size_t n) {
    for (size_t i = 0; n <= len && i <= len - n; i++)
        if (s[i] == what[0] && memcmp(s + i, what, n) == 0) return s + i;
    return NULL;
}

/* The sequence number of one of this run's pizzas (count: the probe), or -1
 * for anything else. */
static long chain_seq_of(const struct chain *c, const rd_kafka_message_t *m) {
    static const char field[] = "\"id\":\"";
    char tag[9], *end;
    const char *v = m->payload;
    const char *id = v ? chain_find(v, m->len, field, sizeof(field) - 1) : NULL;
    if (!id || (size_t)(id - v) + sizeof(field) - 1 + PIZZA_CHAIN_ID_LEN + 2 > m->len) return -1;
    id += sizeof(field) - 1; /* "<tag>-0000-4000-8000-<seq>-1" */
    snprintf(tag, sizeof(tag), "%08" PRIx32, c->tag);
    if (memcmp(id, tag, 8) != 0 || memcmp(id + PIZZA_CHAIN_ID_LEN, "-1\"", 3) != 0) return -1;
    char seq[13];
    memcpy(seq, id + 24, 12);
    seq[12] = '\0';
    long n = strtol(seq, &end, 16);
    return *end || n < 0 || n > c->o.count ? -1 : n;
}

static void chain_count(struct chain *c, const rd_kafka_message_t *m) {
    if (m->err) {
        fprintf(stderr, "pizza-bench-chain: consume %s: %s\n", c->o.out_topic,
                rd_kafka_message_errstr(m));
        return;
    }
    long seq = chain_seq_of(c, m);
    if (seq == c->o.count) return;
    c->messages++;
    if (seq < 0) {
        c->foreign++;
    } else if (!c->seen[seq]) {
        c->seen[seq] = 1;
        c->distinct++;
        c->t_last = clock_now_ms();
    }
}

/* Reads until every pizza arrived (then a little longer, for duplicates), or
 * nothing new came for timeout_s. @returns 0 when all arrived. */
static int chain_await(struct chain *c) {
    static rd_kafka_message_t *msgs[PIZZA_CHAIN_BATCH];
    long long progress = clock_now_ms(), done_at = -1;
    while (1) {
        long long now = clock_now_ms();
        if (done_at < 0 && c->distinct == c->o.count) done_at = now;
        if (done_at >= 0 && now - done_at >= PIZZA_CHAIN_LINGER_MS) return 0;
        if (now - progress >= c->o.timeout_s * 1000) return -1;
        ssize_t n = rd_kafka_consume_batch_queue(c->queue, 10, msgs, PIZZA_CHAIN_BATCH);
        long before = c->distinct;
        for (ssize_t i = 0; i < n; i++) {
            chain_count(c, msgs[i]);
            rd_kafka_message_destroy(msgs[i]);
        }
        if (c->distinct != before) progress = clock_now_ms();
        rd_kafka_poll(c->producer, 0);
    }
}

static void chain_report(const struct chain *c, int complete) {
    double secs = (double)(c->t_last - c->t_start) / 1000.0;
    printf("{\"complete\":%s,\"pizzas\":%ld,\"distinct\":%ld,\"messages\":%ld,"
           "\"duplicates\":%ld,\"missing\":%ld,\"foreign\":%ld,\"delivery_failures\":%ld,"
           "\"inject_seconds\":%.3f,\"seconds\":%.3f,\"rate\":%.0f,\"input\":\"%s\","
           "\"output\":\"%s\"}\n",
           complete ? "true" : "false", c->o.count, c->distinct, c->messages,
           c->messages - c->foreign - c->distinct, c->o.count - c->distinct, c->foreign,
           c->delivery_failures,
           c->t_injected > 0 ? (double)(c->t_injected - c->t_start) / 1000.0 : -1.0,
           c->distinct ? secs : -1.0, c->distinct && secs > 0 ? (double)c->distinct / secs : 0.0,
           c->o.in_topic, c->o.out_topic);
    fflush(stdout);
}

static void chain_free(struct chain *c) {
    if (c->queue) rd_kafka_queue_destroy(c->queue);
    if (c->reader) {
        rd_kafka_consumer_close(c->reader);
        rd_kafka_destroy(c->reader);
    }
    if (c->producer) {
        rd_kafka_flush(c->producer, 5000);
        rd_kafka_destroy(c->producer);
    }
    for (long i = 0; c->values && i <= c->o.count; i++)
        free(c->values[i]);
    free(c->values);
    free(c->keys);
    free(c->lens);
    free(c->seen);
}

static void chain_usage(FILE *to) {
    fprintf(to, "usage: pizza-bench-chain [-t TIMEOUT_S] [-w FETCH_WAIT_MS] COUNT INPUT OUTPUT\n"
                "  Injects COUNT pizzas into topic INPUT and times their arrival on OUTPUT.\n"
                "  -t  give up when no new pizza arrived for this long (default 60)\n"
                "  -w  the reader's fetch.wait.max.ms (default 100, as the daemons')\n"
                "environment: KAFKA_BOOTSTRAP_SERVERS (required)\n"
                "Prints one JSON line; exit 0 all arrived, 1 some missing, 2 error.\n");
}

/* @returns 0 to run, 1 when done (-h), -1 after printing why. */
static int chain_args(struct chain_opts *o, int argc, char **argv) {
    int opt;
    char *end;
    o->timeout_s = 60;
    o->fetch_wait_ms = "100";
    while ((opt = getopt(argc, argv, "t:w:h")) != -1) {
        if (opt == 't' && (o->timeout_s = strtol(optarg, &end, 10)) > 0 && !*end) continue;
        if (opt == 'w') {
            o->fetch_wait_ms = optarg;
            continue;
        }
        chain_usage(opt == 'h' ? stdout : stderr);
        return opt == 'h' ? 1 : -1;
    }
    if (argc - optind != 3 || (o->count = strtol(argv[optind], &end, 10)) < 1 || *end ||
        o->count > 0xffffffffffffL) {
        chain_usage(stderr);
        return -1;
    }
    o->in_topic = argv[optind + 1];
    o->out_topic = argv[optind + 2];
    o->bootstrap = getenv("KAFKA_BOOTSTRAP_SERVERS");
    if (!o->bootstrap || !o->bootstrap[0]) {
        fprintf(stderr, "pizza-bench-chain: set KAFKA_BOOTSTRAP_SERVERS\n");
        return -1;
    }
    return 0;
}

int main(int argc, char **argv) {
    struct chain c;
    memset(&c, 0, sizeof(c));
    int rc = chain_args(&c.o, argc, argv);
    if (rc != 0) return rc == 1 ? 0 : 2;
    rc = 2;
    if (chain_prepare(&c) == 0 && chain_open(&c) == 0 && chain_inject(&c) == 0) {
        int complete = chain_await(&c) == 0;
        chain_report(&c, complete);
        if (!complete)
            fprintf(stderr, "pizza-bench-chain: %ld of %ld pizzas missing on %s after %ld s\n",
                    c.o.count - c.distinct, c.o.count, c.o.out_topic, c.o.timeout_s);
        rc = complete ? 0 : 1;
    }
    chain_free(&c);
    return rc;
}
