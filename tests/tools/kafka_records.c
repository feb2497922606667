/* kafka_records: byte-exact records in and out of a topic, for the
 * tests/e2e/hostile_*.sh tests (kcat cannot produce a null or empty value or
 * an empty key, and its output does not tell NULL from empty). Links the
 * system librdkafka, never the dev broker's patched one.
 *
 *   kafka_records put TOPIC DIR
 *     produces DIR/000, DIR/001, ... in order: NNN.value is the value (absent:
 *     a null value), NNN.key the key (absent: none), NNN.headers one
 *     "name=value" per line (absent: no headers), NNN.partition the partition
 *     (absent: chosen by key). Stops at the first NNN
 *     with no .name file. Idempotent producer; exit 0 once all are delivered.
 *   kafka_records dump TOPIC
 *     writes every record of every partition (read_committed, from the
 *     beginning to the end as it is now) to stdout: per record a line
 *     "PARTITION OFFSET KEYLEN VALUELEN NHEADERS" (length -1: NULL), the key
 *     and value bytes, then per header a line "NAMELEN VALUELEN" and its
 *     bytes, then a newline.
 *
 * The broker comes from KAFKA_BOOTSTRAP_SERVERS. Exit 0 on success, 1 on a
 * Kafka or file error, 2 on bad usage. */
#include <librdkafka/rdkafka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RECORDS_TIMEOUT_MS 30000

static int records_failed;

static void records_dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    (void)rk;
    (void)opaque;
    if (!m->err) return;
    fprintf(stderr, "kafka_records: delivery failed: %s\n", rd_kafka_err2str(m->err));
    records_failed++;
}

static rd_kafka_t *records_client(rd_kafka_type_t type) {
    char errstr[512];
    const char *boot = getenv("KAFKA_BOOTSTRAP_SERVERS");
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    int bad = !boot || !*boot ||
              rd_kafka_conf_set(conf, "bootstrap.servers", boot, errstr, sizeof(errstr));
    if (!bad && type == RD_KAFKA_PRODUCER)
        bad = rd_kafka_conf_set(conf, "enable.idempotence", "true", errstr, sizeof(errstr)) ||
              rd_kafka_conf_set(conf, "message.max.bytes", "2000000", errstr, sizeof(errstr));
    if (!bad && type == RD_KAFKA_CONSUMER)
        bad =
            rd_kafka_conf_set(conf, "group.id", "kafka_records", errstr, sizeof(errstr)) ||
            rd_kafka_conf_set(conf, "isolation.level", "read_committed", errstr, sizeof(errstr)) ||
            rd_kafka_conf_set(conf, "enable.partition.eof", "true", errstr, sizeof(errstr)) ||
            rd_kafka_conf_set(conf, "fetch.message.max.bytes", "2000000", errstr, sizeof(errstr));
    if (bad) {
        fprintf(stderr, "kafka_records: config: %s\n",
                boot && *boot ? errstr : "KAFKA_BOOTSTRAP_SERVERS unset");
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    rd_kafka_conf_set_dr_msg_cb(conf, records_dr_cb);
    rd_kafka_t *rk = rd_kafka_new(type, conf, errstr, sizeof(errstr));
    if (!rk) {
        fprintf(stderr, "kafka_records: %s\n", errstr);
        rd_kafka_conf_destroy(conf);
    }
    return rk;
}

/* Reads a whole file. @returns malloc'd bytes (*len set), or NULL when absent. */
static char *records_slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0, got;
    char *buf = malloc(cap);
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            char *grown = realloc(buf, cap *= 2);
            if (!grown) free(buf);
            buf = grown;
        }
    }
    fclose(f);
    *len = n;
    return buf;
}

static rd_kafka_headers_t *records_headers(const char *path) {
    size_t len, start = 0;
    char *text = records_slurp(path, &len);
    if (!text) return NULL;
    rd_kafka_headers_t *h = rd_kafka_headers_new(4);
    for (size_t i = 0; i < len; i++) {
        if (text[i] != '\n') continue;
        char *eq = memchr(text + start, '=', i - start);
        if (eq)
            rd_kafka_header_add(h, text + start, eq - (text + start), eq + 1,
                                (ssize_t)(text + i - eq - 1));
        start = i + 1;
    }
    free(text);
    return h;
}

static int records_put(const char *topic, const char *dir) {
    rd_kafka_t *rk = records_client(RD_KAFKA_PRODUCER);
    char path[4096];
    if (!rk) return 1;
    int rc = 0;
    for (int i = 0;; i++) {
        size_t klen = 0, vlen = 0;
        snprintf(path, sizeof(path), "%s/%03d.name", dir, i);
        FILE *f = fopen(path, "r");
        if (!f) break;
        fclose(f);
        snprintf(path, sizeof(path), "%s/%03d.key", dir, i);
        char *key = records_slurp(path, &klen);
        snprintf(path, sizeof(path), "%s/%03d.value", dir, i);
        char *value = records_slurp(path, &vlen);
        snprintf(path, sizeof(path), "%s/%03d.headers", dir, i);
        rd_kafka_headers_t *h = records_headers(path);
        snprintf(path, sizeof(path), "%s/%03d.partition", dir, i);
        size_t plen = 0;
        char *ptext = records_slurp(path, &plen);
        int32_t partition = ptext ? (int32_t)strtol(ptext, NULL, 10) : RD_KAFKA_PARTITION_UA;
        free(ptext);
        rd_kafka_resp_err_t err;
        while ((err = rd_kafka_producev(
                    rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
                    RD_KAFKA_V_KEY(key, key ? klen : 0), RD_KAFKA_V_VALUE(value, value ? vlen : 0),
                    RD_KAFKA_V_HEADERS(h), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                    RD_KAFKA_V_END)) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
            rd_kafka_poll(rk, 100);
        free(key);
        free(value);
        if (err) {
            fprintf(stderr, "kafka_records: record %d: %s\n", i, rd_kafka_err2str(err));
            rd_kafka_headers_destroy(h);
            rc = 1;
            break;
        }
        /* h is owned by the message now */
    }
    if (rd_kafka_flush(rk, RECORDS_TIMEOUT_MS) != RD_KAFKA_RESP_ERR_NO_ERROR || records_failed)
        rc = 1;
    rd_kafka_destroy(rk);
    return rc;
}

static void records_print(const rd_kafka_message_t *m) {
    rd_kafka_headers_t *h = NULL;
    size_t nh = rd_kafka_message_headers(m, &h) ? 0 : rd_kafka_header_cnt(h);
    printf("%" PRId32 " %" PRId64 " %lld %lld %zu\n", m->partition, m->offset,
           m->key ? (long long)m->key_len : -1LL, m->payload ? (long long)m->len : -1LL, nh);
    if (m->key) fwrite(m->key, 1, m->key_len, stdout);
    if (m->payload) fwrite(m->payload, 1, m->len, stdout);
    for (size_t i = 0; i < nh; i++) {
        const char *name;
        const void *v;
        size_t vlen;
        rd_kafka_header_get_all(h, i, &name, &v, &vlen);
        printf("%zu %lld\n", strlen(name), v ? (long long)vlen : -1LL);
        fwrite(name, 1, strlen(name), stdout);
        if (v) fwrite(v, 1, vlen, stdout);
    }
    putchar('\n');
}

static int records_dump(const char *topic) {
    rd_kafka_t *rk = records_client(RD_KAFKA_CONSUMER);
    const struct rd_kafka_metadata *md = NULL;
    if (!rk) return 1;
    rd_kafka_poll_set_consumer(rk);
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    int rc = 1;
    if (rd_kafka_metadata(rk, 0, rkt, &md, RECORDS_TIMEOUT_MS) || md->topic_cnt != 1 ||
        md->topics[0].err || md->topics[0].partition_cnt < 1) {
        fprintf(stderr, "kafka_records: no metadata for %s\n", topic);
        goto done;
    }
    int n = md->topics[0].partition_cnt, left = n;
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(n);
    for (int p = 0; p < n; p++)
        rd_kafka_topic_partition_list_add(parts, topic, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_assign(rk, parts);
    rd_kafka_topic_partition_list_destroy(parts);
    char *at_end = calloc((size_t)n, 1);
    for (int idle = 0; at_end && left > 0 && idle < RECORDS_TIMEOUT_MS / 100;) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
        if (!m) {
            idle++;
            continue;
        }
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            if (m->partition >= 0 && m->partition < n && !at_end[m->partition]) {
                at_end[m->partition] = 1;
                left--;
            }
        } else if (m->err)
            fprintf(stderr, "kafka_records: %s\n", rd_kafka_message_errstr(m));
        else
            records_print(m);
        rd_kafka_message_destroy(m);
    }
    free(at_end);
    rc = left > 0;
    if (rc)
        fprintf(stderr, "kafka_records: %d partitions of %s not read to the end\n", left, topic);
done:
    if (md) rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(rkt);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return rc;
}

int main(int argc, char **argv) {
    if (argc == 4 && strcmp(argv[1], "put") == 0) return records_put(argv[2], argv[3]);
    if (argc == 3 && strcmp(argv[1], "dump") == 0) return records_dump(argv[2]);
    fprintf(stderr, "usage: kafka_records put TOPIC DIR | kafka_records dump TOPIC\n");
    return 2;
}
