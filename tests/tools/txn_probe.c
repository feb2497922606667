/* txn_probe: drives one Kafka transaction, or reads a group's committed
 * offset, for tests/e2e/broker_transactions.sh. Links the system librdkafka
 * (a real client), never the dev broker's patched one.
 *
 *   txn_probe produce TXNID TOPIC PREFIX COUNT commit|abort|hang [GROUP T:P:OFF...]
 *     init_transactions, COUNT records "PREFIX-i" (keyed alike), optionally
 *     send_offsets_to_transaction for GROUP, then commit or abort; "hang"
 *     prints "open" once everything reached the broker, then waits: for
 *     SIGKILL, or for SIGTERM after which it tries to commit.
 *   txn_probe committed GROUP TOPIC PARTITION
 *     prints rd_kafka_committed()'s offset (-1001 when none). It waits (up to
 *     TXN_PROBE_TIMEOUT_MS, default 30000) while an open transaction is
 *     committing that offset: then "Local: Timed out" on stderr, exit 1.
 *
 * The broker comes from KAFKA_BOOTSTRAP_SERVERS; TXN_TIMEOUT_MS, if set, is
 * the producer's transaction.timeout.ms (how long Apache Kafka keeps a dead
 * producer's transaction open). Exit 0 on success, 1 on a Kafka error, 2 on
 * bad usage. */
#include <librdkafka/rdkafka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROBE_TIMEOUT_MS 30000

static volatile sig_atomic_t probe_running = 1;
static int probe_failed_deliveries;

static void probe_on_term(int sig) {
    (void)sig;
    probe_running = 0;
}

static void probe_dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    (void)rk;
    (void)opaque;
    if (!m->err) return;
    fprintf(stderr, "txn_probe: delivery failed: %s\n", rd_kafka_err2str(m->err));
    probe_failed_deliveries++;
}

/* Reports and frees a transactional API error; returns -1 if there was one. */
static int probe_check(const char *what, rd_kafka_error_t *error) {
    if (!error) return 0;
    fprintf(stderr, "txn_probe: %s: %s\n", what, rd_kafka_error_string(error));
    rd_kafka_error_destroy(error);
    return -1;
}

static rd_kafka_t *probe_client(rd_kafka_type_t type, const char *key, const char *value) {
    char errstr[512];
    const char *boot = getenv("KAFKA_BOOTSTRAP_SERVERS");
    const char *txn_timeout = type == RD_KAFKA_PRODUCER ? getenv("TXN_TIMEOUT_MS") : NULL;
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_t *rk;
    if (!boot || !*boot ||
        rd_kafka_conf_set(conf, "bootstrap.servers", boot, errstr, sizeof(errstr)) ||
        rd_kafka_conf_set(conf, key, value, errstr, sizeof(errstr)) ||
        (txn_timeout &&
         rd_kafka_conf_set(conf, "transaction.timeout.ms", txn_timeout, errstr, sizeof(errstr)))) {
        fprintf(stderr, "txn_probe: config: %s\n",
                boot && *boot ? errstr : "KAFKA_BOOTSTRAP_SERVERS unset");
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    if (type == RD_KAFKA_PRODUCER) rd_kafka_conf_set_dr_msg_cb(conf, probe_dr_cb);
    if (!(rk = rd_kafka_new(type, conf, errstr, sizeof(errstr)))) {
        fprintf(stderr, "txn_probe: rd_kafka_new: %s\n", errstr);
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    return rk; /* rk owns conf */
}

/* Produces COUNT records and waits until the broker acknowledged all. */
static int probe_produce_records(rd_kafka_t *rk, const char *topic, const char *prefix, int count) {
    char buf[256];
    for (int i = 0; i < count; i++) {
        int n = snprintf(buf, sizeof(buf), "%s-%d", prefix, i);
        rd_kafka_resp_err_t err;
        do {
            /* stack buffer: must copy */
            err = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(buf, (size_t)n),
                                    RD_KAFKA_V_VALUE(buf, (size_t)n),
                                    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
            if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) rd_kafka_poll(rk, 100);
        } while (err == RD_KAFKA_RESP_ERR__QUEUE_FULL);
        if (err) {
            fprintf(stderr, "txn_probe: produce: %s\n", rd_kafka_err2str(err));
            return -1;
        }
    }
    if (rd_kafka_flush(rk, PROBE_TIMEOUT_MS) || probe_failed_deliveries) {
        fprintf(stderr, "txn_probe: not every record was delivered\n");
        return -1;
    }
    return 0;
}

/* Parses TOPIC:PARTITION:OFFSET arguments into a new list, or NULL. */
static rd_kafka_topic_partition_list_t *probe_parse_offsets(int argc, char **argv) {
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(argc);
    for (int i = 0; i < argc; i++) {
        char topic[256];
        int partition;
        long long offset;
        if (sscanf(argv[i], "%255[^:]:%d:%lld", topic, &partition, &offset) != 3) {
            fprintf(stderr, "txn_probe: bad offset '%s' (want TOPIC:PARTITION:OFFSET)\n", argv[i]);
            rd_kafka_topic_partition_list_destroy(list);
            return NULL;
        }
        rd_kafka_topic_partition_list_add(list, topic, partition)->offset = offset;
    }
    return list;
}

static int probe_send_offsets(rd_kafka_t *rk, const char *group, int argc, char **argv) {
    rd_kafka_topic_partition_list_t *offsets = probe_parse_offsets(argc, argv);
    rd_kafka_consumer_group_metadata_t *cgmd;
    int rc;
    if (!offsets) return -1;
    cgmd = rd_kafka_consumer_group_metadata_new(group);
    rc = probe_check("send_offsets_to_transaction",
                     rd_kafka_send_offsets_to_transaction(rk, offsets, cgmd, PROBE_TIMEOUT_MS));
    rd_kafka_consumer_group_metadata_destroy(cgmd);
    rd_kafka_topic_partition_list_destroy(offsets);
    return rc;
}

/* Waits with the transaction open: for SIGKILL, or for SIGTERM/SIGINT after
 * which it tries to commit (a zombie producer waking up). */
static void probe_hang(rd_kafka_t *rk) {
    printf("open\n");
    fflush(stdout);
    while (probe_running)
        rd_kafka_poll(rk, 100);
}

/* argv: TXNID TOPIC PREFIX COUNT END [GROUP OFFSETS...] */
static int probe_produce(int argc, char **argv) {
    const char *end = argv[4];
    int count = atoi(argv[3]), rc = 1;
    rd_kafka_t *rk;
    if (strcmp(end, "commit") && strcmp(end, "abort") && strcmp(end, "hang")) return 2;
    if (!(rk = probe_client(RD_KAFKA_PRODUCER, "transactional.id", argv[0]))) return 1;
    if (probe_check("init_transactions", rd_kafka_init_transactions(rk, PROBE_TIMEOUT_MS)) ||
        probe_check("begin_transaction", rd_kafka_begin_transaction(rk)) ||
        probe_produce_records(rk, argv[1], argv[2], count) == -1 ||
        (argc > 5 && probe_send_offsets(rk, argv[5], argc - 6, argv + 6) == -1))
        goto done;
    if (!strcmp(end, "hang")) probe_hang(rk);
    if (strcmp(end, "abort")) { /* a hung producer that wakes up commits */
        if (probe_check("commit", rd_kafka_commit_transaction(rk, PROBE_TIMEOUT_MS))) goto done;
    } else if (probe_check("abort", rd_kafka_abort_transaction(rk, PROBE_TIMEOUT_MS))) {
        goto done;
    }
    printf("%s %d\n", strcmp(end, "abort") ? "commit" : "abort", count);
    rc = 0;
done:
    rd_kafka_destroy(rk);
    return rc;
}

/* argv: GROUP TOPIC PARTITION */
static int probe_committed(char **argv) {
    rd_kafka_t *rk = probe_client(RD_KAFKA_CONSUMER, "group.id", argv[0]);
    rd_kafka_topic_partition_list_t *list;
    rd_kafka_resp_err_t err;
    int rc = 1;
    if (!rk) return 1;
    list = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(list, argv[1], atoi(argv[2]));
    const char *timeout = getenv("TXN_PROBE_TIMEOUT_MS");
    err = rd_kafka_committed(rk, list, timeout ? atoi(timeout) : PROBE_TIMEOUT_MS);
    if (err || list->elems[0].err) {
        fprintf(stderr, "txn_probe: committed: %s\n",
                rd_kafka_err2str(err ? err : list->elems[0].err));
    } else {
        printf("%lld\n", (long long)list->elems[0].offset);
        rc = 0;
    }
    rd_kafka_topic_partition_list_destroy(list);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return rc;
}

int main(int argc, char **argv) {
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = probe_on_term;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    if (argc >= 7 && !strcmp(argv[1], "produce") && argc != 8) {
        int rc = probe_produce(argc - 2, argv + 2);
        if (rc != 2) return rc;
    } else if (argc == 5 && !strcmp(argv[1], "committed")) {
        return probe_committed(argv + 2);
    }
    fprintf(stderr, "usage: txn_probe produce TXNID TOPIC PREFIX COUNT commit|abort|hang "
                    "[GROUP TOPIC:PARTITION:OFFSET...]\n"
                    "       txn_probe committed GROUP TOPIC PARTITION\n");
    return 2;
}
