/* pizza-bench-latency: open-loop order latency of the whole pipeline.
 *
 * Sends POST /order/1 at a fixed rate (request i is due at start + i/RATE,
 * whether or not earlier ones were answered: no coordinated omission) over
 * HTTP/1.1 keep-alive connections, opening another whenever all are busy.
 * Completion is read from pizza-service's changelog: a read_committed reader,
 * assigned to every partition at its end before the first request, sees a
 * record with header pizza.record = pizza and pizza.order = the order id of a
 * 201 answer. Latencies count from the due time: to the 201 (post) and to the
 * completion record (order). One thread: sockets and the Kafka queue (through
 * a pipe librdkafka writes to) share one epoll loop. Prints one JSON line;
 * exits 0 once measured, 1 when no order was accepted, 2 when it could not run. */
#include "hash.h"
#include "kafka.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PIZZA_LAT_ID_MAX 64
#define PIZZA_LAT_INBUF 4096
#define PIZZA_LAT_EVENTS 256
#define PIZZA_LAT_KAFKA_BATCH 1024
/* epoll data of the Kafka pipe; connections are pointers, never this small */
#define PIZZA_LAT_KAFKA_TAG ((void *)1)

struct lat_opts {
    double rate, seconds, grace_s;
    long max_conns;
    const char *host, *port, *topic, *bootstrap, *fetch_wait_ms;
};

/* One request: due at start + i/rate. Times in µs since start; -1: not yet. */
struct lat_req {
    long long answered, done;
    int status; /* HTTP status, 0 while unanswered, -1 transport error */
};

/* Order id -> request; an entry with req -1 is a completion seen before its 201. */
struct lat_slot {
    char id[PIZZA_LAT_ID_MAX + 1];
    long req;
    long long done;
};

enum conn_state { CONN_CONNECTING, CONN_IDLE, CONN_BUSY };

struct lat_conn {
    int fd;
    enum conn_state state;
    long req;       /* in flight, -1 none */
    size_t out_off; /* bytes of the request written */
    char in[PIZZA_LAT_INBUF];
    size_t in_len;
    struct lat_conn *next_idle;
};

struct lat {
    struct lat_opts o;
    long n; /* requests in the run */
    struct lat_req *reqs;
    struct lat_slot *slots; /* open addressing */
    size_t nslots;
    long stray; /* completions of other orders */
    char request[256];
    size_t request_len;
    struct sockaddr_storage addr;
    socklen_t addr_len;
    int ep, pipe_rd, pipe_wr;
    struct lat_conn *idle;
    long conns, peak_conns, busy;
    long sent, answered_201, non_201, errors, complete;
    long long start_us, send_lag_max;
    char first_error[200];
    rd_kafka_t *reader;
    rd_kafka_queue_t *queue;
};

static long long lat_now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static long long lat_due_us(const struct lat *l, long i) {
    return (long long)((double)i * 1e6 / l->o.rate);
}

static void lat_note_error(struct lat *l, const char *fmt, const char *what) {
    if (!l->first_error[0]) snprintf(l->first_error, sizeof(l->first_error), fmt, what);
}

/* ---------------------------------------------------------------- orders */

static size_t lat_hash(const char *s) {
    return (size_t)hash_fnv1a(s, strlen(s));
}

/* @returns the slot of id, a free slot for it, or NULL when the table is full. */
static struct lat_slot *lat_slot_of(struct lat *l, const char *id) {
    size_t mask = l->nslots - 1;
    for (size_t i = lat_hash(id) & mask, probes = 0; probes < l->nslots; i = (i + 1) & mask) {
        if (!l->slots[i].id[0] || strcmp(l->slots[i].id, id) == 0) return &l->slots[i];
        probes++;
    }
    return NULL;
}

static void lat_mark_done(struct lat *l, long req, long long at) {
    if (l->reqs[req].done >= 0) return;
    l->reqs[req].done = at;
    l->complete++;
}

/* A 201 named order id for request req. */
static void lat_order_accepted(struct lat *l, long req, const char *id) {
    struct lat_slot *s = lat_slot_of(l, id);
    if (!s) return;               /* cannot happen: the table holds 4x the requests */
    if (s->id[0] && s->req < 0) { /* its completion came first */
        s->req = req;
        lat_mark_done(l, req, s->done);
        return;
    }
    snprintf(s->id, sizeof(s->id), "%s", id);
    s->req = req;
    s->done = -1;
}

static void lat_order_done(struct lat *l, const char *id, long long at) {
    struct lat_slot *s = lat_slot_of(l, id);
    if (!s) {
        l->stray++;
        return;
    }
    if (!s->id[0]) { /* not (yet) one of ours */
        snprintf(s->id, sizeof(s->id), "%s", id);
        s->req = -1;
        s->done = at;
        l->stray++;
    } else if (s->req >= 0) {
        lat_mark_done(l, s->req, at);
    }
}

/* ---------------------------------------------------------------- kafka */

static void lat_kafka_drain(struct lat *l) {
    static rd_kafka_message_t *msgs[PIZZA_LAT_KAFKA_BATCH];
    char kind[16], order[PIZZA_LAT_ID_MAX + 1], buf[64];
    ssize_t n;
    while (read(l->pipe_rd, buf, sizeof(buf)) > 0) {
    } /* wake-ups only; the queue holds the data */
    while ((n = rd_kafka_consume_batch_queue(l->queue, 0, msgs, PIZZA_LAT_KAFKA_BATCH)) > 0) {
        long long now = lat_now_us() - l->start_us;
        for (ssize_t i = 0; i < n; i++) {
            const rd_kafka_message_t *m = msgs[i];
            if (m->err)
                fprintf(stderr, "pizza-bench-latency: consume %s: %s\n", l->o.topic,
                        rd_kafka_message_errstr(m));
            else if (kafka_header_copy(m, "pizza.record", kind, sizeof(kind)) == 0 &&
                     strcmp(kind, "pizza") == 0 &&
                     kafka_header_copy(m, "pizza.order", order, sizeof(order)) == 0)
                lat_order_done(l, order, now);
            rd_kafka_message_destroy(msgs[i]);
        }
    }
}

static int lat_kafka_set(rd_kafka_conf_t *conf, const char *key, const char *value) {
    char why[256];
    if (rd_kafka_conf_set(conf, key, value, why, sizeof(why)) == RD_KAFKA_CONF_OK) return 0;
    fprintf(stderr, "pizza-bench-latency: kafka property %s: %s\n", key, why);
    return -1;
}

static int lat_kafka_new(struct lat *l) {
    char err[512], group[64];
    snprintf(group, sizeof(group), "pizza-bench-latency-%d", (int)getpid());
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (lat_kafka_set(conf, "bootstrap.servers", l->o.bootstrap) ||
        lat_kafka_set(conf, "group.id", group) || /* assigned, never committed */
        lat_kafka_set(conf, "enable.auto.commit", "false") ||
        lat_kafka_set(conf, "isolation.level", "read_committed") ||
        lat_kafka_set(conf, "enable.partition.eof", "false") ||
        lat_kafka_set(conf, "fetch.wait.max.ms", l->o.fetch_wait_ms)) {
        rd_kafka_conf_destroy(conf);
        return -1;
    }
    if (!(l->reader = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err)))) {
        rd_kafka_conf_destroy(conf);
        fprintf(stderr, "pizza-bench-latency: kafka consumer: %s\n", err);
        return -1;
    }
    conf = NULL; /* l->reader owns it */
    rd_kafka_poll_set_consumer(l->reader);
    l->queue = rd_kafka_queue_get_consumer(l->reader);
    return 0;
}

/* @returns the partition count of the topic, or -1 (printed). */
static int lat_partitions(struct lat *l) {
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_topic_t *t = rd_kafka_topic_new(l->reader, l->o.topic, NULL);
    rd_kafka_resp_err_t e =
        t ? rd_kafka_metadata(l->reader, 0, t, &md, 10000) : rd_kafka_last_error();
    if (t) rd_kafka_topic_destroy(t);
    int np = -1;
    if (!e && md->topic_cnt == 1 && !md->topics[0].err) np = md->topics[0].partition_cnt;
    if (np < 1)
        fprintf(stderr, "pizza-bench-latency: metadata of %s: %s\n", l->o.topic,
                rd_kafka_err2str(e ? e
                                 : md->topic_cnt == 1 && md->topics[0].err
                                     ? md->topics[0].err
                                     : RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC));
    if (md) rd_kafka_metadata_destroy(md);
    return np;
}

/* Assigns every changelog partition at its end: only records written after
 * this count. Wakes the epoll loop through a pipe when records arrive. */
static int lat_kafka_open(struct lat *l) {
    int fds[2], np;
    if (lat_kafka_new(l) == -1 || (np = lat_partitions(l)) < 0) return -1;
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(np);
    rd_kafka_resp_err_t e = RD_KAFKA_RESP_ERR_NO_ERROR;
    for (int p = 0; p < np && !e; p++) {
        int64_t lo, hi;
        e = rd_kafka_query_watermark_offsets(l->reader, l->o.topic, p, &lo, &hi, 10000);
        if (!e) rd_kafka_topic_partition_list_add(parts, l->o.topic, p)->offset = hi;
    }
    if (!e) e = rd_kafka_assign(l->reader, parts);
    rd_kafka_topic_partition_list_destroy(parts);
    if (e) {
        fprintf(stderr, "pizza-bench-latency: assign %s: %s\n", l->o.topic, rd_kafka_err2str(e));
        return -1;
    }
    if (pipe(fds) == -1 || fcntl(fds[0], F_SETFL, O_NONBLOCK) == -1 ||
        fcntl(fds[1], F_SETFL, O_NONBLOCK) == -1) {
        perror("pizza-bench-latency: pipe");
        return -1;
    }
    l->pipe_rd = fds[0];
    l->pipe_wr = fds[1];
    rd_kafka_queue_io_event_enable(l->queue, l->pipe_wr, "1", 1);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = PIZZA_LAT_KAFKA_TAG};
    if (epoll_ctl(l->ep, EPOLL_CTL_ADD, l->pipe_rd, &ev) == -1) {
        perror("pizza-bench-latency: epoll_ctl");
        return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------- http */

static void lat_conn_close(struct lat *l, struct lat_conn *c) {
    if (c->state == CONN_IDLE) { /* out of the pool */
        struct lat_conn **p = &l->idle;
        while (*p && *p != c)
            p = &(*p)->next_idle;
        if (*p) *p = c->next_idle;
    }
    if (c->req >= 0) { /* its request will never be answered */
        l->reqs[c->req].status = -1;
        l->errors++;
        l->busy--;
    }
    epoll_ctl(l->ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    l->conns--;
    free(c);
}

static void lat_conn_fail(struct lat *l, struct lat_conn *c, const char *what) {
    lat_note_error(l, "connection failed: %s", what);
    lat_conn_close(l, c);
}

static int lat_conn_watch(struct lat *l, struct lat_conn *c, uint32_t events, int op) {
    struct epoll_event ev = {.events = events, .data.ptr = c};
    return epoll_ctl(l->ep, op, c->fd, &ev);
}

/* Writes what is left of the request; waits for EPOLLOUT when the socket is full. */
static void lat_conn_write(struct lat *l, struct lat_conn *c) {
    while (c->out_off < l->request_len) {
        ssize_t n = write(c->fd, l->request + c->out_off, l->request_len - c->out_off);
        if (n > 0) {
            c->out_off += (size_t)n;
        } else if (n < 0 && errno == EAGAIN) {
            lat_conn_watch(l, c, EPOLLIN | EPOLLOUT, EPOLL_CTL_MOD);
            return;
        } else {
            lat_conn_fail(l, c, strerror(errno));
            return;
        }
    }
    lat_conn_watch(l, c, EPOLLIN, EPOLL_CTL_MOD);
}

static void lat_send_on(struct lat *l, struct lat_conn *c, long req) {
    long long lag = lat_now_us() - l->start_us - lat_due_us(l, req);
    if (lag > l->send_lag_max) l->send_lag_max = lag;
    c->req = req;
    c->out_off = 0;
    c->in_len = 0;
    l->busy++;
    if (c->state == CONN_IDLE) {
        c->state = CONN_BUSY;
        lat_conn_write(l, c);
    } /* a connecting one writes once connected */
}

/* @returns a new connection (connecting), or NULL (noted). */
static struct lat_conn *lat_conn_open(struct lat *l) {
    int one = 1;
    struct lat_conn *c = calloc(1, sizeof(*c));
    if (!c) return NULL;
    c->req = -1;
    c->state = CONN_CONNECTING;
    c->fd = socket(l->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) {
        lat_note_error(l, "socket: %s", strerror(errno));
        free(c);
        return NULL;
    }
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if ((connect(c->fd, (struct sockaddr *)&l->addr, l->addr_len) == -1 && errno != EINPROGRESS) ||
        lat_conn_watch(l, c, EPOLLOUT, EPOLL_CTL_ADD) == -1) {
        lat_note_error(l, "connect: %s", strerror(errno));
        close(c->fd);
        free(c);
        return NULL;
    }
    if (++l->conns > l->peak_conns) l->peak_conns = l->conns;
    return c;
}

static void lat_conn_connected(struct lat *l, struct lat_conn *c) {
    int err = 0;
    socklen_t len = sizeof(err);
    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1 || err) {
        lat_conn_fail(l, c, strerror(err ? err : errno));
        return;
    }
    c->state = CONN_BUSY;
    lat_conn_write(l, c);
}

/* The order id of a 201's body, or -1. */
static int lat_order_id(const char *body, size_t len, char *out, size_t sz) {
    json_t *doc = json_loadb(body, len, 0, NULL);
    const char *id = json_string_value(json_object_get(doc, "order_id"));
    int rc = id && strlen(id) < sz ? 0 : -1;
    if (rc == 0) snprintf(out, sz, "%s", id);
    json_decref(doc);
    return rc;
}

/* Value of header name (case-insensitive) in the head, or NULL. */
static const char *lat_find_header(const char *head, const char *name) {
    size_t n = strlen(name);
    for (const char *p = strstr(head, "\r\n"); p; p = strstr(p + 2, "\r\n"))
        if (strncasecmp(p + 2, name, n) == 0 && p[2 + n] == ':') return p + 3 + n;
    return NULL;
}

/* Handles one complete response of head_len + body_len bytes in c->in. */
static void lat_response(struct lat *l, struct lat_conn *c, int status, size_t head_len,
                         size_t body_len) {
    char id[PIZZA_LAT_ID_MAX + 1];
    struct lat_req *r = &l->reqs[c->req];
    r->answered = lat_now_us() - l->start_us;
    r->status = status;
    if (status == 201 && lat_order_id(c->in + head_len, body_len, id, sizeof(id)) == 0) {
        l->answered_201++;
        lat_order_accepted(l, c->req, id);
    } else {
        l->non_201++;
        c->in[head_len + body_len < sizeof(c->in) ? head_len + body_len : sizeof(c->in) - 1] = 0;
        lat_note_error(l, "POST answered: %.150s", c->in);
    }
    c->req = -1;
    l->busy--;
    c->in_len = 0;
    c->state = CONN_IDLE;
    c->next_idle = l->idle;
    l->idle = c;
}

/* Parses c->in. @returns 1 when a response was handled, 0 when incomplete, -1 when malformed. */
static int lat_parse(struct lat *l, struct lat_conn *c) {
    int status = 0;
    c->in[c->in_len] = '\0';
    char *end = strstr(c->in, "\r\n\r\n");
    if (!end) return c->in_len + 1 >= sizeof(c->in) ? -1 : 0;
    *end = '\0'; /* header search stops here */
    const char *cl = lat_find_header(c->in, "Content-Length");
    int closes = lat_find_header(c->in, "Connection") &&
                 strstr(lat_find_header(c->in, "Connection"), "close") != NULL;
    *end = '\r';
    size_t head = (size_t)(end - c->in) + 4;
    long body = cl ? strtol(cl, NULL, 10) : -1;
    if (sscanf(c->in, "HTTP/1.%*d %d", &status) != 1 || body < 0 ||
        head + (size_t)body >= sizeof(c->in))
        return -1;
    if (c->in_len < head + (size_t)body) return 0;
    if (c->in_len > head + (size_t)body) return -1; /* we never pipeline */
    lat_response(l, c, status, head, (size_t)body);
    if (closes) lat_conn_close(l, c); /* the server ends this connection */
    return 1;
}

static void lat_conn_read(struct lat *l, struct lat_conn *c) {
    for (;;) {
        ssize_t n = read(c->fd, c->in + c->in_len, sizeof(c->in) - 1 - c->in_len);
        if (n < 0 && errno == EAGAIN) return;
        if (n <= 0 && c->state == CONN_IDLE) { /* e.g. the server's idle timeout */
            lat_conn_close(l, c);
            return;
        }
        if (n <= 0) {
            lat_conn_fail(l, c, n == 0 ? "closed by the server" : strerror(errno));
            return;
        }
        c->in_len += (size_t)n;
        int rc = c->req >= 0 ? lat_parse(l, c) : -1;
        if (rc == 0) continue;
        if (rc < 0) lat_conn_fail(l, c, "malformed or unexpected response");
        return; /* c may be gone */
    }
}

static void lat_conn_event(struct lat *l, struct lat_conn *c, uint32_t events) {
    if (c->state == CONN_CONNECTING) {
        if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) lat_conn_connected(l, c);
        return;
    }
    if (events & EPOLLOUT && c->state == CONN_BUSY && c->out_off < l->request_len) {
        lat_conn_write(l, c);
        return;
    }
    if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) lat_conn_read(l, c);
}

/* ---------------------------------------------------------------- run */

/* Sends every request that is due, on an idle connection or a new one. */
static void lat_dispatch(struct lat *l) {
    long long now = lat_now_us() - l->start_us;
    while (l->sent < l->n && lat_due_us(l, l->sent) <= now) {
        struct lat_conn *c = l->idle;
        if (c) {
            l->idle = c->next_idle;
        } else if (l->conns >= l->o.max_conns || !(c = lat_conn_open(l))) {
            return; /* the due requests wait; their latency keeps counting */
        }
        lat_send_on(l, c, l->sent++);
    }
}

/* @returns 1 while there is something left to wait for. */
static int lat_pending(const struct lat *l) {
    return l->sent < l->n || l->busy > 0 || l->complete < l->answered_201;
}

/* Milliseconds epoll may sleep: until the next request is due (rounded up), at most 100. */
static int lat_wait_ms(const struct lat *l) {
    if (l->sent >= l->n || (!l->idle && l->conns >= l->o.max_conns)) return 100;
    long long wait = lat_due_us(l, l->sent) - (lat_now_us() - l->start_us);
    return wait <= 0 ? 0 : wait >= 100000 ? 100 : (int)((wait + 999) / 1000);
}

static void lat_loop(struct lat *l) {
    struct epoll_event evs[PIZZA_LAT_EVENTS];
    long long deadline = lat_due_us(l, l->n) + (long long)(l->o.grace_s * 1e6);
    l->start_us = lat_now_us();
    while (lat_pending(l) && lat_now_us() - l->start_us < deadline) {
        lat_dispatch(l);
        int n = epoll_wait(l->ep, evs, PIZZA_LAT_EVENTS, lat_wait_ms(l));
        if (n < 0 && errno != EINTR) {
            perror("pizza-bench-latency: epoll_wait");
            return;
        }
        for (int i = 0; i < n; i++) {
            if (evs[i].data.ptr == PIZZA_LAT_KAFKA_TAG)
                lat_kafka_drain(l);
            else
                lat_conn_event(l, evs[i].data.ptr, evs[i].events);
        }
        lat_kafka_drain(l); /* cheap, and covers a missed wake-up */
    }
}

static int lat_cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Prints "name":{"p50":..,"p90":..,"p99":..,"max":..,"count":..} of v (ms), sorted here. */
static void lat_print_pct(const char *name, double *v, size_t n) {
    static const double q[] = {0.50, 0.90, 0.99};
    static const char *const qn[] = {"p50", "p90", "p99"};
    printf("\"%s\":{", name);
    qsort(v, n, sizeof(*v), lat_cmp);
    for (size_t i = 0; i < 3; i++) {
        size_t k = (size_t)ceil(q[i] * (double)n);
        printf("\"%s\":%.2f,", qn[i], n ? v[k ? k - 1 : 0] : -1.0);
    }
    printf("\"max\":%.2f,\"count\":%zu}", n ? v[n - 1] : -1.0, n);
}

static void lat_report(struct lat *l) {
    double *order = malloc(sizeof(double) * (size_t)(l->n + 1));
    double *post = malloc(sizeof(double) * (size_t)(l->n + 1));
    size_t no = 0, np = 0;
    for (long i = 0; order && post && i < l->n; i++) {
        const struct lat_req *r = &l->reqs[i];
        if (r->status == 201) post[np++] = (double)(r->answered - lat_due_us(l, i)) / 1000.0;
        if (r->done >= 0) order[no++] = (double)(r->done - lat_due_us(l, i)) / 1000.0;
    }
    printf("{\"rate\":%.1f,\"seconds\":%.1f,\"scheduled\":%ld,\"sent\":%ld,\"answered_201\":%ld,"
           "\"non_201\":%ld,\"errors\":%ld,\"unanswered\":%ld,\"complete\":%ld,"
           "\"incomplete\":%ld,\"stray_completions\":%ld,\"peak_connections\":%ld,"
           "\"send_lag_max_ms\":%.2f,",
           l->o.rate, l->o.seconds, l->n, l->sent, l->answered_201, l->non_201, l->errors, l->busy,
           l->complete, l->answered_201 - l->complete, l->stray, l->peak_conns,
           (double)l->send_lag_max / 1000.0);
    lat_print_pct("order_ms", order ? order : post, order ? no : 0);
    putchar(',');
    lat_print_pct("post_ms", post ? post : order, post ? np : 0);
    printf("}\n");
    fflush(stdout);
    free(order);
    free(post);
}

static int lat_resolve(struct lat *l) {
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai = NULL;
    int e = getaddrinfo(l->o.host, l->o.port, &hints, &ai);
    if (e) {
        fprintf(stderr, "pizza-bench-latency: %s:%s: %s\n", l->o.host, l->o.port, gai_strerror(e));
        return -1;
    }
    memcpy(&l->addr, ai->ai_addr, ai->ai_addrlen);
    l->addr_len = ai->ai_addrlen;
    freeaddrinfo(ai);
    return 0;
}

static int lat_open(struct lat *l) {
    l->n = (long)(l->o.rate * l->o.seconds);
    for (l->nslots = 1024; l->nslots < 4 * (size_t)l->n; l->nslots *= 2) {
    }
    l->reqs = malloc(sizeof(*l->reqs) * (size_t)l->n);
    l->slots = calloc(l->nslots, sizeof(*l->slots));
    if (!l->reqs || !l->slots) {
        fprintf(stderr, "pizza-bench-latency: out of memory for %ld requests\n", l->n);
        return -1;
    }
    for (long i = 0; i < l->n; i++)
        l->reqs[i] = (struct lat_req){-1, -1, 0};
    l->request_len = (size_t)snprintf(l->request, sizeof(l->request),
                                      "POST /order/1 HTTP/1.1\r\nHost: %s:%s\r\n"
                                      "Content-Length: 0\r\n\r\n",
                                      l->o.host, l->o.port);
    if ((l->ep = epoll_create1(EPOLL_CLOEXEC)) == -1) {
        perror("pizza-bench-latency: epoll_create1");
        return -1;
    }
    return lat_resolve(l) == 0 && lat_kafka_open(l) == 0 ? 0 : -1;
}

static void lat_free(struct lat *l) {
    while (l->idle)
        lat_conn_close(l, l->idle);
    /* busy connections are left to exit: the run is over */
    if (l->queue) {
        rd_kafka_queue_io_event_enable(l->queue, -1, NULL, 0);
        rd_kafka_queue_destroy(l->queue);
    }
    if (l->reader) {
        rd_kafka_consumer_close(l->reader);
        rd_kafka_destroy(l->reader);
    }
    if (l->pipe_rd > 0) close(l->pipe_rd);
    if (l->pipe_wr > 0) close(l->pipe_wr);
    if (l->ep > 0) close(l->ep);
    free(l->reqs);
    free(l->slots);
}

static void lat_usage(FILE *to) {
    fprintf(to, "usage: pizza-bench-latency [-r RATE] [-d SECONDS] [-g GRACE_S] [-c MAX_CONNS]\n"
                "                           [-t CHANGELOG] [-w FETCH_WAIT_MS] HOST PORT\n"
                "  POSTs /order/1 to pizza-service at RATE per second (500) for SECONDS (10),\n"
                "  open loop, and waits up to GRACE_S (10) after the last for completions on\n"
                "  CHANGELOG (pizza-orders-changelog), read with fetch.wait.max.ms\n"
                "  FETCH_WAIT_MS (100). At most MAX_CONNS (1024) connections.\n"
                "environment: KAFKA_BOOTSTRAP_SERVERS (required)\n"
                "Prints one JSON line (latencies in ms from each request's due time).\n");
}

/* @returns 1 when s is a positive number (stored in out). */
static int lat_num(const char *s, double *out) {
    char *end;
    *out = strtod(s, &end);
    return end != s && !*end && *out > 0 && *out < 1e7;
}

/* @returns 0 to run, 1 when done (-h), -1 after printing why. */
static int lat_args(struct lat_opts *o, int argc, char **argv) {
    double conns = 1024;
    int opt, ok = 1;
    *o = (struct lat_opts){500, 10, 10, 1024, NULL, NULL, "pizza-orders-changelog", NULL, "100"};
    while ((opt = getopt(argc, argv, "r:d:g:c:t:w:h")) != -1 && ok) {
        ok = opt == 'r'   ? lat_num(optarg, &o->rate)
             : opt == 'd' ? lat_num(optarg, &o->seconds)
             : opt == 'g' ? lat_num(optarg, &o->grace_s)
             : opt == 'c' ? lat_num(optarg, &conns)
             : opt == 't' ? (o->topic = optarg) != NULL
             : opt == 'w' ? (o->fetch_wait_ms = optarg) != NULL
                          : 0;
        if (opt == 'h') {
            lat_usage(stdout);
            return 1;
        }
    }
    o->max_conns = (long)conns;
    o->bootstrap = getenv("KAFKA_BOOTSTRAP_SERVERS");
    if (!ok || argc - optind != 2 || o->rate * o->seconds < 1) {
        lat_usage(stderr);
        return -1;
    }
    if (!o->bootstrap || !o->bootstrap[0]) {
        fprintf(stderr, "pizza-bench-latency: set KAFKA_BOOTSTRAP_SERVERS\n");
        return -1;
    }
    o->host = argv[optind];
    o->port = argv[optind + 1];
    return 0;
}

int main(int argc, char **argv) {
    struct lat l;
    memset(&l, 0, sizeof(l));
    l.ep = l.pipe_rd = l.pipe_wr = -1;
    int rc = lat_args(&l.o, argc, argv);
    if (rc != 0) return rc == 1 ? 0 : 2;
    signal(SIGPIPE, SIG_IGN); /* a write to a closed connection is an error we handle */
    rc = 2;
    if (lat_open(&l) == 0) {
        lat_loop(&l);
        lat_report(&l);
        if (l.first_error[0])
            fprintf(stderr, "pizza-bench-latency: first problem: %s\n", l.first_error);
        rc = l.answered_201 > 0 ? 0 : 1;
    }
    lat_free(&l);
    return rc;
}
