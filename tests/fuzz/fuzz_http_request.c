/* Raw bytes as a client's whole side of one TCP connection to a real HTTP
 * server (http_start on a loopback port, one per process, with handlers that
 * answer JSON the way the daemons' do: at once, with headers, or "async"
 * from the handler). The connection is half-closed after the input; the
 * server must then answer and close, at the latest when its request deadline
 * or idle timeout (3 s each here) runs out, and every answer that comes
 * back must be a well-formed HTTP/1.x response whose JSON bodies parse. A
 * crash of the server is a crash of this process. */
#define _GNU_SOURCE /* memmem */
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fuzz_check.h"
#include "http.h"
#include "log.h"
#include "parse.h"

#define ANSWER_MAX (1 << 20)

static enum http_result on_get(struct http_req *r, const char *param, void *arg) {
    (void)arg;
    const char *wait = http_query(r, "wait"), *tp = http_header(r, "traceparent");
    json_t *doc = json_pack("{s:s, s:s?, s:s?}", "param", param, "wait", wait, "traceparent", tp);
    if (!doc) { /* not UTF-8: jansson refuses it, as the daemons' answers do */
        http_reply_error(r, 400, "not UTF-8");
        return HTTP_DONE;
    }
    http_reply_json(r, 200, doc);
    return HTTP_DONE;
}

static enum http_result on_post(struct http_req *r, const char *param, void *arg) {
    (void)arg;
    long count;
    if (parse_count(param, 100, &count) == -1) {
        http_reply_error(r, 400, "count must be a whole number from 1 to %d", 100);
        return HTTP_DONE;
    }
    http_add_header(r, "Location", "/order/x");
    http_reply_json(r, 201, json_pack("{s:s, s:i}", "order_id", "x", "count", (int)count));
    return HTTP_ASYNC; /* answered already: the server must notice */
}

static enum http_result on_health(struct http_req *r, const char *param, void *arg) {
    (void)param;
    (void)arg;
    http_reply(r, 200, "text/plain", "ok\n", 3);
    return HTTP_DONE;
}

static int server_port(void) {
    static struct http_server *server;
    static const struct http_route routes[] = {
        {"GET", "/health", on_health, NULL},
        {"POST", "/order/*", on_post, NULL},
        {"GET", "/order/*", on_get, NULL},
        {"GET", "/report", on_get, NULL},
    };
    /* the daemons' defaults (common/runtime/service.c), but a short idle timeout */
    static const struct http_limits limits = {.connections = 64,
                                              .connections_per_ip = 64,
                                              .idle_timeout_s = 3,
                                              .request_timeout_s = 3,
                                              .header_bytes = 16384,
                                              .body_bytes = 4096,
                                              .threads = 2};
    char err[256];
    if (!server) {
        log_init("fuzz_http_request", LOG_ERROR);
        server =
            http_start(routes, sizeof(routes) / sizeof(routes[0]), 0, &limits, err, sizeof(err));
        FUZZ_CHECK(server != NULL, "http_start: %s", err);
    }
    return http_port(server); /* the server lives as long as the process */
}

/* @returns the length of the line at p (up to CRLF), or -1 when there is none. */
static long line_len(const char *p, const char *end) {
    for (const char *q = p; q + 1 < end; q++)
        if (q[0] == '\r' && q[1] == '\n') return q - p;
    return -1;
}

/* One response at *p: a status line, header fields, then a body of
 * Content-Length bytes (none after a HEAD, which we cannot tell apart here:
 * a body that is the next status line counts as none). */
static void check_response(const char **p, const char *end, int reset, int head_sent) {
    const char *s = *p;
    long n = line_len(s, end);
    if (reset && (n < 0 || !memmem(s, (size_t)(end - s), "\r\n\r\n", 4))) {
        *p = end; /* a reset may cut the last answer short */
        return;
    }
    FUZZ_CHECK(n >= 12 && (memcmp(s, "HTTP/1.1 ", 9) == 0 || memcmp(s, "HTTP/1.0 ", 9) == 0) &&
                   s[9] >= '1' && s[9] <= '5' && s[10] >= '0' && s[10] <= '9' && s[11] >= '0' &&
                   s[11] <= '9' && (n == 12 || s[12] == ' '),
               "bad status line: %.*s", (int)(n < 0 ? 40 : n), s);
    int status = (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
    long length = -1;
    int json = 0;
    for (s += n + 2; (n = line_len(s, end)) > 0; s += n + 2) {
        const char *colon = memchr(s, ':', (size_t)n);
        FUZZ_CHECK(colon && colon > s, "bad header line: %.*s", (int)n, s);
        if ((size_t)(colon - s) == 14 && strncasecmp(s, "Content-Length", 14) == 0)
            length = strtol(colon + 1, NULL, 10);
        if ((size_t)(colon - s) == 12 && strncasecmp(s, "Content-Type", 12) == 0)
            json = strstr(colon, "application/json") && strstr(colon, "application/json") < s + n;
    }
    FUZZ_CHECK(n == 0, "the header of a %d response does not end", status);
    s += 2;
    if (status >= 200 && length > 0 && !(end - s >= 7 && memcmp(s, "HTTP/1.", 7) == 0)) {
        /* a HEAD's answer (even an error) has no body: when the input holds a
         * HEAD, a body missing at the very end is that answer's */
        if ((reset || head_sent) && s == end) {
            *p = end;
            return;
        }
        if (reset && end - s < length) {
            *p = end;
            return;
        }
        FUZZ_CHECK(end - s >= length, "a %d response's body is cut: %ld of %ld bytes", status,
                   (long)(end - s), length);
        if (json) {
            json_error_t jerr;
            json_t *doc = json_loadb(s, (size_t)length, 0, &jerr);
            FUZZ_CHECK(doc, "a %d response's JSON body: %s: %.*s", status, jerr.text, (int)length,
                       s);
            json_decref(doc);
        }
        s += length;
    }
    *p = s;
}

/* How long the server may keep the client waiting for anything: its request
 * deadline or idle timeout, plus their timers' slack. */
#define WAIT_MS 5000

static long long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* libFuzzer's -timeout arms a periodic SIGALRM, so any blocking call here can
 * fail with EINTR: that is not the server's doing. @returns 1 once fd has an
 * event, 0 at deadline_ms. */
static int wait_until(int fd, short events, long long deadline_ms) {
    for (;;) {
        long long left = deadline_ms - now_ms();
        if (left <= 0) return 0;
        struct pollfd pfd = {fd, events, 0};
        int n = poll(&pfd, 1, (int)left);
        if (n > 0) return 1;
        FUZZ_CHECK(n == 0 || errno == EINTR, "poll: %s", strerror(errno));
    }
}

static int connect_loopback(int port) {
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    FUZZ_CHECK(fd >= 0, "socket: %s", strerror(errno));
    if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0) return fd;
    FUZZ_CHECK(errno == EINTR, "connect: %s", strerror(errno));
    /* interrupted: the handshake goes on, and its outcome is the socket's error */
    int err = 0;
    socklen_t len = sizeof(err);
    FUZZ_CHECK(wait_until(fd, POLLOUT, now_ms() + WAIT_MS), "connect: no answer in 5 s");
    FUZZ_CHECK(getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0, "connect: %s",
               strerror(err));
    return fd;
}

/* Sends data, half-closes, reads the answer until the server closes.
 * *reset: the server reset the connection (which may drop what it sent). */
static size_t exchange(const uint8_t *data, size_t size, char *answer, int *reset) {
    int fd = connect_loopback(server_port());
    size_t sent = 0, got = 0;
    while (sent < size) {
        ssize_t n = send(fd, data + sent, size - sent, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break; /* the server may hang up early, e.g. after a 413 */
        sent += (size_t)n;
    }
    shutdown(fd, SHUT_WR);
    for (;;) {
        FUZZ_CHECK(wait_until(fd, POLLIN, now_ms() + WAIT_MS),
                   "no answer or close within 5 s (%zu bytes in)", got);
        ssize_t n = recv(fd, answer + got, ANSWER_MAX - got, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            *reset = n < 0; /* e.g. closed with input unread after an error answer */
            break;
        }
        got += (size_t)n;
        FUZZ_CHECK(got < ANSWER_MAX, "an answer of 1 MiB");
    }
    close(fd);
    return got;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static char answer[ANSWER_MAX];
    int reset = 0;
    size_t got = exchange(data, size, answer, &reset);
    int head_sent = memmem(data, size, "HEAD", 4) != NULL;
    for (const char *p = answer, *end = answer + got; p < end;)
        check_response(&p, end, reset, head_sent);
    return 0;
}
