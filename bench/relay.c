/* pizza-relay: the zero-work baseline of the chain benchmark.
 *
 * Consumes a topping stage's input topic and produces every event, key, value
 * and headers byte for byte, to the stage's output topic. It reads the same
 * config file as the stage it stands in for and builds its clients with the
 * same kafka_conf_new(), so every client setting (linger.ms,
 * fetch.wait.max.ms, isolation.level, idempotence, ...) is the stage's; the
 * only differences are the ones being measured: no transform, no
 * transactions. At-least-once: a consumed batch's offsets are stored (and
 * auto-committed) only once every event of it and of the batches before it
 * is delivered. */
#include "cfg.h"
#include "kafka.h"
#include "log.h"

#include <librdkafka/rdkafka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PIZZA_RELAY_BATCH 10000
/* consumed batches whose events may still be in flight */
#define PIZZA_RELAY_RING 64

static volatile sig_atomic_t relay_running = 1;

static void relay_on_signal(int sig) {
    (void)sig;
    relay_running = 0;
}

/* One consumed batch: the offsets to store once all its events are delivered. */
struct relay_batch {
    rd_kafka_topic_partition_list_t *offsets; /* owned; NULL when the slot is free */
    long inflight;                            /* produced, not yet delivered */
};

struct relay {
    struct cfg *cfg; /* owned */
    const char *in_topic, *out_topic, *group;
    rd_kafka_t *consumer, *producer;
    rd_kafka_queue_t *queue; /* the consumer's queue */
    rd_kafka_topic_t *out;
    struct relay_batch ring[PIZZA_RELAY_RING];
    int head, tail; /* oldest batch in flight; next free slot */
    long long relayed;
    int failed; /* a delivery or produce failed: exit 1 */
};

static void relay_on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    struct relay *r = opaque;
    struct relay_batch *b = m->_private;
    (void)rk;
    b->inflight--;
    if (m->err && !r->failed) {
        /* redoing it would need a rewind: for a baseline, stopping is honest */
        log_error("delivery to %s [%d] failed: %s; stopping", r->out_topic, (int)m->partition,
                  rd_kafka_err2str(m->err));
        r->failed = 1;
        relay_running = 0;
    }
}

/* @returns 0, or -1 (logged). */
static int relay_conf_set(rd_kafka_conf_t *conf, const char *key, const char *value) {
    char why[256];
    if (rd_kafka_conf_set(conf, key, value, why, sizeof(why)) == RD_KAFKA_CONF_OK) return 0;
    log_error("kafka property %s: %s", key, why);
    return -1;
}

static int relay_open_producer(struct relay *r) {
    char err[512];
    rd_kafka_conf_t *conf = kafka_conf_new(r->cfg, KAFKA_PRODUCER, "pizza-relay", err, sizeof(err));
    if (!conf) {
        log_error("kafka: %s", err);
        return -1;
    }
    rd_kafka_conf_set_dr_msg_cb(conf, relay_on_delivery);
    rd_kafka_conf_set_opaque(conf, r);
    if (!(r->producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err)))) {
        rd_kafka_conf_destroy(conf);
        log_error("kafka producer: %s", err);
        return -1;
    }
    conf = NULL; /* r->producer owns it */
    if (!(r->out = rd_kafka_topic_new(r->producer, r->out_topic, NULL))) {
        log_error("kafka topic %s: %s", r->out_topic, rd_kafka_err2str(rd_kafka_last_error()));
        return -1;
    }
    return 0;
}

static int relay_open_consumer(struct relay *r) {
    char err[512];
    rd_kafka_conf_t *conf = kafka_conf_new(r->cfg, KAFKA_CONSUMER, "pizza-relay", err, sizeof(err));
    if (!conf) {
        log_error("kafka: %s", err);
        return -1;
    }
    /* kafka_conf_new turns both off for the stages' manual commits; the relay
     * stores delivered offsets itself and lets librdkafka commit them */
    if (relay_conf_set(conf, "group.id", r->group) == -1 ||
        relay_conf_set(conf, "enable.auto.commit", "true") == -1) {
        rd_kafka_conf_destroy(conf);
        return -1;
    }
    if (!(r->consumer = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err)))) {
        rd_kafka_conf_destroy(conf);
        log_error("kafka consumer: %s", err);
        return -1;
    }
    conf = NULL; /* r->consumer owns it */
    rd_kafka_poll_set_consumer(r->consumer);
    r->queue = rd_kafka_queue_get_consumer(r->consumer);
    rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(topics, r->in_topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t e = rd_kafka_subscribe(r->consumer, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    if (e) {
        log_error("subscribe %s: %s", r->in_topic, rd_kafka_err2str(e));
        return -1;
    }
    return 0;
}

/* Stores the offsets of the oldest batches that are fully delivered, in order. */
static void relay_store_delivered(struct relay *r) {
    while (r->head != r->tail && r->ring[r->head].inflight == 0) {
        struct relay_batch *b = &r->ring[r->head];
        rd_kafka_resp_err_t e = rd_kafka_offsets_store(r->consumer, b->offsets);
        if (e) /* e.g. the partition was revoked meanwhile: its new owner redoes it */
            log_debug("offsets_store: %s", rd_kafka_err2str(e));
        rd_kafka_topic_partition_list_destroy(b->offsets);
        b->offsets = NULL;
        r->head = (r->head + 1) % PIZZA_RELAY_RING;
    }
}

/* @returns a free ring slot, waiting for deliveries while all are in flight. */
static struct relay_batch *relay_batch_open(struct relay *r) {
    while ((r->tail + 1) % PIZZA_RELAY_RING == r->head) {
        rd_kafka_poll(r->producer, 100);
        relay_store_delivered(r);
    }
    struct relay_batch *b = &r->ring[r->tail];
    b->offsets = rd_kafka_topic_partition_list_new(8);
    b->inflight = 0;
    return b;
}

/* Produces one event unchanged. @returns 0, or -1 when stopping. */
static int relay_one(struct relay *r, rd_kafka_message_t *m, struct relay_batch *b) {
    rd_kafka_headers_t *hdrs = NULL;
    /* the producer takes ownership of the headers on success */
    if (rd_kafka_message_detach_headers(m, &hdrs) != RD_KAFKA_RESP_ERR_NO_ERROR) hdrs = NULL;
    for (;;) {
        rd_kafka_resp_err_t e = rd_kafka_producev(
            r->producer, RD_KAFKA_V_RKT(r->out), RD_KAFKA_V_PARTITION(RD_KAFKA_PARTITION_UA),
            RD_KAFKA_V_KEY(m->key, m->key_len), RD_KAFKA_V_VALUE(m->payload, m->len),
            RD_KAFKA_V_HEADERS(hdrs),
            /* the consumed message is freed right after: must copy */
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE(b), RD_KAFKA_V_END);
        if (!e) break;
        if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL || !relay_running) {
            log_error("produce to %s: %s", r->out_topic, rd_kafka_err2str(e));
            rd_kafka_headers_destroy(hdrs);
            r->failed = 1;
            relay_running = 0;
            return -1;
        }
        rd_kafka_poll(r->producer, 100); /* back-pressure: wait for deliveries */
    }
    b->inflight++;
    rd_kafka_topic_partition_t *tp =
        rd_kafka_topic_partition_list_find(b->offsets, r->in_topic, m->partition);
    if (!tp) tp = rd_kafka_topic_partition_list_add(b->offsets, r->in_topic, m->partition);
    tp->offset = m->offset + 1;
    r->relayed++;
    return 0;
}

/* Waits up to 100 ms for one event, then takes whatever else is already
 * fetched (no waiting for a full batch, which would add latency when idle). */
static size_t relay_consume(struct relay *r, rd_kafka_message_t **msgs) {
    if (!(msgs[0] = rd_kafka_consumer_poll(r->consumer, 100))) return 0;
    ssize_t n = rd_kafka_consume_batch_queue(r->queue, 0, msgs + 1, PIZZA_RELAY_BATCH - 1);
    return 1 + (n > 0 ? (size_t)n : 0);
}

static void relay_run(struct relay *r) {
    static rd_kafka_message_t *msgs[PIZZA_RELAY_BATCH];
    while (relay_running && !kafka_fatal()) {
        size_t n = relay_consume(r, msgs);
        struct relay_batch *b = n ? relay_batch_open(r) : NULL;
        for (size_t i = 0; i < n; i++) {
            if (msgs[i]->err) {
                log_warn("consume %s: %s", r->in_topic, rd_kafka_message_errstr(msgs[i]));
            } else if (relay_running) {
                relay_one(r, msgs[i], b);
            }
            rd_kafka_message_destroy(msgs[i]);
        }
        if (b) r->tail = (r->tail + 1) % PIZZA_RELAY_RING;
        rd_kafka_poll(r->producer, 0);
        relay_store_delivered(r);
    }
}

/* Shutdown order: deliver what is in flight, store its offsets, then leave
 * the group (the close commits the stored offsets). */
static int relay_close(struct relay *r) {
    int rc = r->failed || kafka_fatal() ? 1 : 0;
    if (r->producer && rd_kafka_flush(r->producer, 10000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        log_error("%d events still undelivered after 10 s", rd_kafka_outq_len(r->producer));
        rc = 1;
    }
    if (r->consumer) {
        relay_store_delivered(r);
        rd_kafka_resp_err_t e = rd_kafka_consumer_close(r->consumer);
        if (e) log_warn("consumer close: %s", rd_kafka_err2str(e));
    }
    for (int i = 0; i < PIZZA_RELAY_RING; i++)
        if (r->ring[i].offsets) rd_kafka_topic_partition_list_destroy(r->ring[i].offsets);
    if (r->queue) rd_kafka_queue_destroy(r->queue);
    if (r->consumer) rd_kafka_destroy(r->consumer);
    if (r->out) rd_kafka_topic_destroy(r->out);
    if (r->producer) rd_kafka_destroy(r->producer);
    cfg_free(r->cfg);
    return rc;
}

static void relay_usage(FILE *to) {
    fprintf(to, "usage: pizza-relay -c FILE [-g GROUP] [-h]\n"
                "  Relays [stage] input_topic to output_topic of FILE unchanged, with the\n"
                "  Kafka settings of FILE (a topping stage's config), at-least-once.\n"
                "  -g GROUP  consumer group (default pizza-relay-<input topic>)\n"
                "environment: KAFKA_BOOTSTRAP_SERVERS, KAFKA_<PROPERTY> as for the daemons\n");
}

/* @returns 0 to run, 1 when done (-h), -1 after printing a reason. */
static int relay_init(struct relay *r, int argc, char **argv, char *group, size_t gsz) {
    const char *path = NULL;
    char err[512];
    int opt;
    group[0] = '\0';
    while ((opt = getopt(argc, argv, "c:g:h")) != -1) {
        if (opt == 'c') {
            path = optarg;
        } else if (opt == 'g') {
            snprintf(group, gsz, "%s", optarg);
        } else {
            relay_usage(opt == 'h' ? stdout : stderr);
            return opt == 'h' ? 1 : -1;
        }
    }
    if (!path || optind < argc) {
        relay_usage(stderr);
        return -1;
    }
    if (!(r->cfg = cfg_load(path, err, sizeof(err)))) {
        fprintf(stderr, "pizza-relay: bad config: %s\n", err);
        return -1;
    }
    r->in_topic = cfg_get(r->cfg, "stage", "input_topic");
    r->out_topic = cfg_get(r->cfg, "stage", "output_topic");
    if (!r->in_topic || !r->out_topic) {
        fprintf(stderr, "pizza-relay: %s has no [stage] input_topic and output_topic\n", path);
        return -1;
    }
    if (!group[0]) snprintf(group, gsz, "pizza-relay-%s", r->in_topic);
    r->group = group;
    return 0;
}

int main(int argc, char **argv) {
    struct relay r;
    char group[256];
    memset(&r, 0, sizeof(r));
    log_init("pizza-relay", LOG_INFO);
    int rc = relay_init(&r, argc, argv, group, sizeof(group));
    if (rc != 0) {
        cfg_free(r.cfg);
        return rc == 1 ? 0 : 2;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = relay_on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    if (relay_open_producer(&r) == 0 && relay_open_consumer(&r) == 0) {
        log_info("relaying %s -> %s (group %s, at-least-once, no transform)", r.in_topic,
                 r.out_topic, r.group);
        relay_run(&r);
        rc = 0;
    } else {
        rc = 2;
    }
    int close_rc = relay_close(&r);
    log_info("stopped after %lld events", r.relayed);
    return rc ? rc : close_rc;
}
