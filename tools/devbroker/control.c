#include "control.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Longer lines are answered with one error and skipped up to their newline. */
#define PIZZA_CTL_LINE_MAX 512
#define PIZZA_CTL_MAX_ARGS 6
#define PIZZA_CTL_MAX_ERRCNT 100000
#define PIZZA_CTL_MAX_RTT_MS 600000

struct control {
    rd_kafka_mock_cluster_t *mc; /* borrowed */
    int fd;
    int replication;
    char buf[PIZZA_CTL_LINE_MAX];
    size_t len;
    int discarding; /* inside an overlong line: drop bytes until '\n' */
};

struct control *control_new(rd_kafka_mock_cluster_t *mc, int fd, int replication) {
    struct control *c = calloc(1, sizeof(*c));
    if (!c) return NULL;
    c->mc = mc;
    c->fd = fd;
    c->replication = replication;
    return c;
}

void control_free(struct control *c) {
    free(c);
}

int control_topic_name_ok(const char *name) {
    size_t n = strlen(name);
    if (n == 0 || n > 249 || strcmp(name, ".") == 0 || strcmp(name, "..") == 0) return 0;
    for (const char *p = name; *p; p++) {
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-", *p))
            return 0;
    }
    return 1;
}

int control_topic_create(rd_kafka_mock_cluster_t *mc, const char *topic, int partitions,
                         int replication, char *errstr, size_t sz) {
    if (!control_topic_name_ok(topic)) {
        snprintf(errstr, sz, "invalid topic name '%s'", topic);
        return -1;
    }
    if (partitions < 1 || partitions > PIZZA_DEVBROKER_MAX_PARTITIONS) {
        snprintf(errstr, sz, "partitions must be 1..%d", PIZZA_DEVBROKER_MAX_PARTITIONS);
        return -1;
    }
    rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(mc, topic, partitions, replication);
    if (err) {
        snprintf(errstr, sz, "cannot create topic %s: %s", topic, rd_kafka_err2str(err));
        return -1;
    }
    fprintf(stderr, "devbroker: created topic %s (%d partitions, replication %d)\n", topic,
            partitions, replication);
    return 0;
}

/* Replies must be flushed line by line: the reader waits for each answer. */
static void ctl_reply(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
}

/** Parses a whole decimal token into [min, max]. @returns 0, or -1 (errstr set). */
static int ctl_parse_long(const char *s, const char *what, long min, long max, long *out,
                          char *errstr, size_t sz) {
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max) {
        snprintf(errstr, sz, "%s must be an integer in %ld..%ld, got '%s'", what, min, max, s);
        return -1;
    }
    *out = v;
    return 0;
}

static int ctl_check_err(rd_kafka_resp_err_t err, const char *what, char *errstr, size_t sz) {
    if (!err) return 0;
    snprintf(errstr, sz, "%s: %s", what, rd_kafka_err2str(err));
    return -1;
}

/* broker down ID | broker up ID | broker rtt ID MS; ID -1 means every broker. */
static int ctl_cmd_broker(struct control *c, int argc, char **argv, char *errstr, size_t sz) {
    long id, ms = 0;
    int is_rtt = argc >= 2 && strcmp(argv[1], "rtt") == 0;
    if (argc != (is_rtt ? 4 : 3)) {
        snprintf(errstr, sz, "usage: broker down|up ID, broker rtt ID MS");
        return -1;
    }
    if (ctl_parse_long(argv[2], "broker id", -1, INT_MAX, &id, errstr, sz) == -1) return -1;
    if (strcmp(argv[1], "down") == 0) {
        if (ctl_check_err(rd_kafka_mock_broker_set_down(c->mc, (int32_t)id), "broker down", errstr,
                          sz) == -1)
            return -1;
    } else if (strcmp(argv[1], "up") == 0) {
        if (ctl_check_err(rd_kafka_mock_broker_set_up(c->mc, (int32_t)id), "broker up", errstr,
                          sz) == -1)
            return -1;
    } else if (is_rtt) {
        if (ctl_parse_long(argv[3], "rtt ms", 0, PIZZA_CTL_MAX_RTT_MS, &ms, errstr, sz) == -1)
            return -1;
        if (ctl_check_err(rd_kafka_mock_broker_set_rtt(c->mc, (int32_t)id, (int)ms), "broker rtt",
                          errstr, sz) == -1)
            return -1;
    } else {
        snprintf(errstr, sz, "unknown broker action '%s' (down, up, rtt)", argv[1]);
        return -1;
    }
    if (is_rtt)
        fprintf(stderr, "devbroker: broker %ld rtt %ld ms\n", id, ms);
    else
        fprintf(stderr, "devbroker: broker %ld %s\n", id, argv[1]);
    return 0;
}

/** @returns 1 if librdkafka has a name for @p code, so typos are refused. */
static int ctl_err_known(long code) {
    const struct rd_kafka_err_desc *descs = NULL;
    size_t cnt = 0;
    rd_kafka_get_err_descs(&descs, &cnt);
    long idx = code - RD_KAFKA_RESP_ERR__BEGIN;
    return idx >= 0 && (size_t)idx < cnt && descs[idx].name != NULL;
}

/* error APIKEY ERRCODE [COUNT]: the next COUNT requests of that ApiKey fail. */
static int ctl_cmd_error(struct control *c, int argc, char **argv, char *errstr, size_t sz) {
    long key, code, cnt = 1;
    if (argc != 3 && argc != 4) {
        snprintf(errstr, sz, "usage: error APIKEY ERRCODE [COUNT]");
        return -1;
    }
    if (ctl_parse_long(argv[1], "ApiKey", 0, INT16_MAX, &key, errstr, sz) == -1) return -1;
    if (ctl_parse_long(argv[2], "error code", INT16_MIN, INT16_MAX, &code, errstr, sz) == -1)
        return -1;
    if (!ctl_err_known(code)) {
        snprintf(errstr, sz, "unknown Kafka error code %ld", code);
        return -1;
    }
    if (argc == 4 &&
        ctl_parse_long(argv[3], "count", 1, PIZZA_CTL_MAX_ERRCNT, &cnt, errstr, sz) == -1)
        return -1;
    /* The va-arg rd_kafka_mock_push_request_errors() needs the count at compile
     * time; its array twin takes a runtime-sized list in one push (pushing one
     * at a time reallocates the whole error stack per call). */
    rd_kafka_resp_err_t *errs = malloc((size_t)cnt * sizeof(*errs));
    if (!errs) {
        snprintf(errstr, sz, "out of memory");
        return -1;
    }
    for (long i = 0; i < cnt; i++)
        errs[i] = (rd_kafka_resp_err_t)code;
    rd_kafka_mock_push_request_errors_array(c->mc, (int16_t)key, (size_t)cnt, errs);
    free(errs); /* copied by librdkafka */
    fprintf(stderr, "devbroker: next %ld request(s) with ApiKey %ld fail with %s\n", cnt, key,
            rd_kafka_err2name((rd_kafka_resp_err_t)code));
    return 0;
}

static int ctl_cmd_topic(struct control *c, int argc, char **argv, char *errstr, size_t sz) {
    long parts;
    if (argc != 3) {
        snprintf(errstr, sz, "usage: topic NAME PARTITIONS");
        return -1;
    }
    if (ctl_parse_long(argv[2], "partitions", 1, PIZZA_DEVBROKER_MAX_PARTITIONS, &parts, errstr,
                       sz) == -1)
        return -1;
    return control_topic_create(c->mc, argv[1], (int)parts, c->replication, errstr, sz);
}

/* Every line gets exactly one reply, even an empty one, so a scripted reader
 * that sends one line and reads one line never blocks. */
static void ctl_run_line(struct control *c, char *line) {
    char *argv[PIZZA_CTL_MAX_ARGS], *save = NULL, errstr[256] = "";
    int argc = 0, rc = -1;
    for (char *t = strtok_r(line, " \t\r", &save); t; t = strtok_r(NULL, " \t\r", &save)) {
        if (argc == PIZZA_CTL_MAX_ARGS) {
            ctl_reply("error: too many arguments");
            return;
        }
        argv[argc++] = t;
    }
    if (argc == 0)
        snprintf(errstr, sizeof(errstr), "empty command");
    else if (strcmp(argv[0], "ping") == 0 && argc == 1)
        rc = 0;
    else if (strcmp(argv[0], "broker") == 0)
        rc = ctl_cmd_broker(c, argc, argv, errstr, sizeof(errstr));
    else if (strcmp(argv[0], "error") == 0)
        rc = ctl_cmd_error(c, argc, argv, errstr, sizeof(errstr));
    else if (strcmp(argv[0], "topic") == 0)
        rc = ctl_cmd_topic(c, argc, argv, errstr, sizeof(errstr));
    else
        snprintf(errstr, sizeof(errstr), "unknown command '%s' (ping, broker, error, topic)",
                 argv[0]);
    if (rc == 0)
        ctl_reply("ok");
    else
        ctl_reply("error: %s", errstr);
}

/* Runs every complete line in the buffer and keeps the partial tail. */
static void ctl_consume(struct control *c) {
    char *nl;
    while ((nl = memchr(c->buf, '\n', c->len)) != NULL) {
        size_t n = (size_t)(nl - c->buf) + 1;
        *nl = '\0';
        if (!c->discarding) ctl_run_line(c, c->buf);
        c->discarding = 0;
        memmove(c->buf, c->buf + n, c->len - n);
        c->len -= n;
    }
    if (c->len == sizeof(c->buf)) {
        if (!c->discarding) ctl_reply("error: line too long");
        c->discarding = 1;
        c->len = 0;
    }
}

int control_poll(struct control *c, int timeout_ms) {
    struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
    int rc = poll(&pfd, 1, timeout_ms);
    if (rc < 0) return errno == EINTR ? 0 : -1; /* EINTR: a signal wants the loop */
    if (rc == 0) return 0;
    ssize_t n = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
    if (n < 0) return (errno == EINTR || errno == EAGAIN) ? 0 : -1;
    if (n == 0) {
        /* A last command without its newline still deserves an answer. */
        if (c->len > 0 && !c->discarding && c->len < sizeof(c->buf)) {
            c->buf[c->len] = '\0';
            ctl_run_line(c, c->buf);
        }
        c->len = 0;
        return -1;
    }
    c->len += (size_t)n;
    ctl_consume(c);
    return 0;
}
