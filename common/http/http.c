#include "http.h"

#include "http_deadline.h"
#include "log.h"
#include "metrics.h"
#include "utf8.h"

#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define HTTP_MAX_HEADERS 4
/* An oversize body (one that did not declare its length) is read and dropped
 * this far past the limit so the client gets its 413, then the connection is closed. */
#define HTTP_DRAIN_MAX (1024 * 1024)
/* Our limits on a request head answer with a JSON error. libmicrohttpd's own
 * memory limit, which answers with HTML or hangs up, sits well above them,
 * so only a head far over the limit meets it. */
#define HTTP_POOL_BYTES(header_bytes) (2 * (header_bytes) + 8192)
#define HTTP_MAX_URL_BYTES 8192
#define HTTP_MAX_HEADER_FIELDS 100
/* A flood of refused connections must not become a flood of log lines. */
#define HTTP_LOG_PER_SECOND 5

/* Label values of pizza_http_requests_total: a fixed set, so a client cannot
 * grow /metrics by inventing paths or methods. */
static const char *const http_methods[] = {"GET",    "HEAD",    "POST",  "PUT",
                                           "DELETE", "OPTIONS", "PATCH", "other"};
#define HTTP_N_METHODS (sizeof(http_methods) / sizeof(http_methods[0]))
static const int http_codes[] = {200, 201, 202, 204, 400, 404, 405, 408,
                                 413, 414, 429, 431, 500, 503, 504};
#define HTTP_N_CODES (sizeof(http_codes) / sizeof(http_codes[0]))
#define HTTP_ROUTE_UNSET (-3) /* not routed yet: counted as unmatched */

struct http_server {
    struct MHD_Daemon *mhd;
    struct http_route *routes;
    size_t n_routes;
    size_t body_limit;
    size_t header_limit;
    int port;
    struct http_deadlines *deadlines;
    pthread_mutex_t log_lock;
    time_t log_second;
    unsigned log_count; /* this second's libmicrohttpd messages */
    /* [route (n_routes = unmatched)][method][code]: filled on first use, then
     * counting is one atomic load and one atomic add */
    _Atomic(struct metric *) *requests;
    atomic_int closing; /* quiesced: answers end their connection */
};

struct http_req {
    struct http_server *server;
    struct MHD_Connection *conn;
    struct http_conn *deadline; /* the connection's; NULL if untracked */
    int route;                  /* index in server->routes, or HTTP_NO_ROUTE / HTTP_ROUTE_UNSET */
    int method;                 /* index in http_methods */
    pthread_mutex_t lock;       /* orders a late http_reply() against the suspend */
    int handled;                /* the handler has run */
    int suspended;
    int replied;
    int queued;
    size_t body_seen;
    int status;
    char *body;
    size_t body_len;
    const char *content_type;
    int n_headers;
    char *header_name[HTTP_MAX_HEADERS], *header_value[HTTP_MAX_HEADERS];
};

static void http_req_free(struct http_req *r) {
    if (!r) return;
    for (int i = 0; i < r->n_headers; i++) {
        free(r->header_name[i]);
        free(r->header_value[i]);
    }
    free(r->body);
    pthread_mutex_destroy(&r->lock);
    free(r);
}

int http_add_header(struct http_req *r, const char *name, const char *value) {
    if (r->n_headers == HTTP_MAX_HEADERS) return -1;
    char *n = strdup(name), *v = strdup(value);
    if (!n || !v) {
        free(n);
        free(v);
        return -1;
    }
    r->header_name[r->n_headers] = n;
    r->header_value[r->n_headers++] = v;
    return 0;
}

const char *http_header(struct http_req *r, const char *name) {
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

size_t http_client_addr(struct http_req *r, void *out, size_t sz) {
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;
    const void *addr = NULL;
    size_t len = 0;
    if (sa && sa->sa_family == AF_INET) {
        addr = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
        len = sizeof(struct in_addr);
    } else if (sa && sa->sa_family == AF_INET6) {
        addr = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
        len = sizeof(struct in6_addr);
    }
    if (!addr || len > sz) return 0;
    memcpy(out, addr, len);
    return len;
}

const char *http_query(struct http_req *r, const char *name) {
    const char *v = NULL;
    if (MHD_lookup_connection_value_n(r->conn, MHD_GET_ARGUMENT_KIND, name, strlen(name), &v,
                                      NULL) != MHD_YES)
        return NULL;
    return v ? v : ""; /* "?wait" without "=" */
}

void http_reply(struct http_req *r, int status, const char *content_type, const char *body,
                size_t len) {
    char *copy = malloc(len ? len : 1);
    if (copy) memcpy(copy, body, len);
    pthread_mutex_lock(&r->lock);
    r->status = copy ? status : 503;
    r->body = copy;
    r->body_len = copy ? len : 0;
    r->content_type = content_type;
    r->replied = 1;
    int resume = r->suspended;
    struct MHD_Connection *conn = r->conn;
    pthread_mutex_unlock(&r->lock);
    /* once resumed, MHD may complete and free r: touch nothing after this */
    if (resume) MHD_resume_connection(conn);
}

void http_reply_json(struct http_req *r, int status, json_t *doc) {
    char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    if (!text) {
        static const char oom[] = "{\"error\":\"out of memory\"}";
        http_reply(r, 503, "application/json", oom, sizeof(oom) - 1);
        return;
    }
    http_reply(r, status, "application/json", text, strlen(text));
    free(text);
}

void http_reply_error(struct http_req *r, int status, const char *fmt, ...) {
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    utf8_scrub(msg); /* it may echo the client's bytes, or cut a character short */
    http_reply_json(r, status, json_pack("{s:s}", "error", msg));
}

static size_t http_method_slot(const char *method) {
    for (size_t i = 0; i + 1 < HTTP_N_METHODS; i++)
        if (strcmp(http_methods[i], method) == 0) return i;
    return HTTP_N_METHODS - 1;
}

static struct metric *http_counter(const struct http_server *s, int route, size_t method,
                                   int code) {
    char labels[256];
    const char *pattern = route >= 0 ? s->routes[route].pattern : "unmatched";
    snprintf(labels, sizeof(labels), "route=\"%s\",method=\"%s\",code=\"%d\"", pattern,
             http_methods[method], code);
    return metrics_register(METRIC_COUNTER, "pizza_http_requests_total",
                            "HTTP answers, by route pattern, method and status code", labels);
}

/* Counts the answer to r. The first answer of a kind registers its series
 * (under the registry lock); later ones only add. */
static void http_count(struct http_req *r) {
    const struct http_server *s = r->server;
    int route = r->route >= 0 ? r->route : (int)s->n_routes;
    size_t code = 0;
    while (code < HTTP_N_CODES && http_codes[code] != r->status)
        code++;
    if (code == HTTP_N_CODES) { /* rare: looked up by name every time */
        metric_add(http_counter(s, r->route, (size_t)r->method, r->status), 1);
        return;
    }
    _Atomic(struct metric *) *slot =
        &s->requests[((size_t)route * HTTP_N_METHODS + (size_t)r->method) * HTTP_N_CODES + code];
    struct metric *m = atomic_load_explicit(slot, memory_order_acquire);
    if (!m && (m = http_counter(s, r->route, (size_t)r->method, r->status)))
        atomic_store_explicit(slot, m, memory_order_release);
    metric_add(m, 1);
}

static enum MHD_Result http_queue(struct http_req *r) {
    if (r->queued) return MHD_YES;
    r->queued = 1;
    http_count(r);
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(r->body_len, r->body, MHD_RESPMEM_MUST_FREE);
    if (!resp) return MHD_NO;
    r->body = NULL; /* resp owns */
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type);
    if (atomic_load(&r->server->closing)) /* so http_stop finds the connections gone */
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
    for (int i = 0; i < r->n_headers; i++)
        MHD_add_response_header(resp, r->header_name[i], r->header_value[i]);
    enum MHD_Result rc = MHD_queue_response(r->conn, (unsigned)r->status, resp);
    MHD_destroy_response(resp);
    return rc;
}

/* The route whose pattern takes path with some method, for labelling a 405
 * or 413. @returns its index, or HTTP_NO_ROUTE. */
static int http_route_of_path(const struct http_server *s, const char *path) {
    const char *param;
    for (size_t i = 0; i < s->n_routes; i++)
        if (http_route_match(s->routes, s->n_routes, s->routes[i].method, path, &param, NULL, 0) ==
            (int)i)
            return (int)i;
    return HTTP_NO_ROUTE;
}

/* Routes and runs the handler; ASYNC requests are suspended unless the reply
 * already came in while the handler ran. */
static enum MHD_Result http_dispatch(struct http_server *s, struct http_req *r, const char *url,
                                     const char *method) {
    const char *param;
    char allow[64];
    int i = http_route_match(s->routes, s->n_routes, method, url, &param, allow, sizeof(allow));
    http_conn_request_received(r->deadline); /* the request is in; its answer may take long */
    r->handled = 1;
    r->route = i >= 0 ? i : http_route_of_path(s, url);
    if (i == HTTP_NO_ROUTE) {
        http_reply_error(r, 404, "no such path: %.100s", url);
    } else if (i == HTTP_BAD_METHOD) {
        http_add_header(r, MHD_HTTP_HEADER_ALLOW, allow);
        http_reply_error(r, 405, "method %.16s not allowed; allowed: %s", method, allow);
    } else if (s->routes[i].fn(r, param, s->routes[i].arg) == HTTP_ASYNC) {
        pthread_mutex_lock(&r->lock);
        if (!r->replied) {
            r->suspended = 1;
            MHD_suspend_connection(r->conn);
        }
        int replied = r->replied;
        pthread_mutex_unlock(&r->lock);
        if (!replied) return MHD_YES;
    }
    if (!r->replied) {
        log_error("handler for %s %s returned without a reply", method, url);
        http_reply_error(r, 503, "internal error");
    }
    return http_queue(r);
}

/* Refuses a declared oversize body before reading it, and before MHD answers
 * "Expect: 100-continue", so the client need not send it at all. */
static int http_declared_too_large(struct http_server *s, struct http_req *r, const char *url) {
    const char *cl =
        MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (!cl || strtoull(cl, NULL, 10) <= s->body_limit) return 0;
    r->handled = 1;
    r->route = http_route_of_path(s, url);
    http_reply_error(r, 413, "request body over %zu bytes", s->body_limit);
    return 1;
}

struct http_head_size {
    size_t bytes;
    unsigned fields;
};

static enum MHD_Result http_head_add(void *cls, enum MHD_ValueKind kind, const char *key,
                                     size_t key_size, const char *value, size_t value_size) {
    struct http_head_size *h = cls;
    (void)kind;
    (void)key;
    (void)value;
    h->bytes += key_size + value_size + 4; /* ": " and CRLF, or '=' and '&' */
    h->fields++;
    return MHD_YES;
}

/* Answers a request head over our limits with a JSON 414 or 431. */
static int http_head_too_large(struct http_server *s, struct http_req *r, const char *url) {
    struct http_head_size head = {strlen(url), 0};
    MHD_get_connection_values_n(r->conn, MHD_GET_ARGUMENT_KIND, http_head_add, &head);
    if (head.bytes > HTTP_MAX_URL_BYTES) {
        r->handled = 1;
        http_reply_error(r, 414, "URL over %d bytes", HTTP_MAX_URL_BYTES);
        return 1;
    }
    head.fields = 0;
    MHD_get_connection_values_n(r->conn, MHD_HEADER_KIND, http_head_add, &head);
    if (head.bytes <= s->header_limit && head.fields <= HTTP_MAX_HEADER_FIELDS) return 0;
    r->handled = 1;
    r->route = http_route_of_path(s, url);
    if (head.fields > HTTP_MAX_HEADER_FIELDS)
        http_reply_error(r, 431, "over %d header fields", HTTP_MAX_HEADER_FIELDS);
    else
        http_reply_error(r, 431, "request head over %zu bytes", s->header_limit);
    return 1;
}

static enum MHD_Result http_on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                       const char *method, const char *version,
                                       const char *upload_data, size_t *upload_size,
                                       void **req_cls) {
    struct http_server *s = cls;
    struct http_req *r = *req_cls;
    (void)version;
    (void)upload_data;
    if (!r) { /* first call: headers only */
        if (!(r = calloc(1, sizeof(*r)))) return MHD_NO;
        r->server = s;
        r->conn = conn;
        r->route = HTTP_ROUTE_UNSET;
        r->method = (int)http_method_slot(method);
        const union MHD_ConnectionInfo *info =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
        r->deadline = info ? info->socket_context : NULL;
        pthread_mutex_init(&r->lock, NULL);
        *req_cls = r;
        return http_head_too_large(s, r, url) || http_declared_too_large(s, r, url) ? http_queue(r)
                                                                                    : MHD_YES;
    }
    if (*upload_size) {
        r->body_seen += *upload_size;
        *upload_size = 0;
        if (r->handled) /* an oversize body being drained: past a bound, just hang up */
            return r->body_seen - s->body_limit <= HTTP_DRAIN_MAX ? MHD_YES : MHD_NO;
        if (r->body_seen <= s->body_limit) return MHD_YES;
        /* MHD takes an answer only once the body is in: it goes out then */
        r->handled = 1;
        r->route = http_route_of_path(s, url);
        http_reply_error(r, 413, "request body over %zu bytes", s->body_limit);
        return MHD_YES;
    }
    if (r->handled) /* resumed, or the end of a body after a 413 */
        return r->replied ? http_queue(r) : MHD_YES;
    return http_dispatch(s, r, url, method);
}

static void http_on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                              enum MHD_RequestTerminationCode toe) {
    (void)cls;
    (void)conn;
    (void)toe;
    struct http_req *r = *req_cls;
    /* answered early (e.g. 431), perhaps on a connection kept alive: the next
     * request's clock starts at its own request line */
    if (r) http_conn_request_received(r->deadline);
    http_req_free(r);
    *req_cls = NULL;
}

static void http_on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                               enum MHD_ConnectionNotificationCode toe) {
    struct http_server *s = cls;
    if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
        http_conn_close(s->deadlines, *socket_context);
        *socket_context = NULL;
        return;
    }
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    /* untracked (out of memory): only the idle timeout bounds it */
    *socket_context = info ? http_conn_open(s->deadlines, info->connect_fd) : NULL;
}

/* Called when a request line has arrived, before its headers. */
static void *http_on_request_line(void *cls, const char *uri, struct MHD_Connection *conn) {
    (void)cls;
    (void)uri;
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    if (info) http_conn_request_started(info->socket_context);
    return NULL; /* no request state yet: http_on_request makes it */
}

/* MHD's unescape callback: ours, so a %00 is not decoded into the C string. */
static size_t http_on_unescape(void *cls, struct MHD_Connection *conn, char *s) {
    (void)cls;
    (void)conn;
    return http_url_unescape(s);
}

static void http_on_mhd_log(void *cls, const char *fmt, va_list ap) {
    struct http_server *s = cls;
    char msg[512];
    time_t now = time(NULL);
    unsigned dropped = 0;
    pthread_mutex_lock(&s->log_lock);
    if (now != s->log_second) {
        dropped = s->log_count > HTTP_LOG_PER_SECOND ? s->log_count - HTTP_LOG_PER_SECOND : 0;
        s->log_second = now;
        s->log_count = 0;
    }
    int quiet = ++s->log_count > HTTP_LOG_PER_SECOND;
    pthread_mutex_unlock(&s->log_lock);
    if (dropped) log_warn("http: %u more messages in the last second not logged", dropped);
    if (quiet) return;
    vsnprintf(msg, sizeof(msg), fmt, ap);
    msg[strcspn(msg, "\n")] = '\0';
    log_warn("http: %s", msg);
}

struct http_server *http_start(const struct http_route *routes, size_t n, int port,
                               const struct http_limits *lim, char *errstr, size_t sz) {
    struct http_server *s = calloc(1, sizeof(*s));
    if (!s) {
        snprintf(errstr, sz, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&s->log_lock, NULL);
    if (!(s->routes = malloc(n * sizeof(*routes))) ||
        !(s->requests = calloc((n + 1) * HTTP_N_METHODS * HTTP_N_CODES, sizeof(*s->requests)))) {
        snprintf(errstr, sz, "out of memory");
        http_stop(s);
        return NULL;
    }
    if (!(s->deadlines = http_deadlines_start(lim->request_timeout_s, errstr, sz))) {
        http_stop(s);
        return NULL;
    }
    memcpy(s->routes, routes, n * sizeof(*routes));
    s->n_routes = n;
    s->body_limit = lim->body_bytes;
    s->header_limit = lim->header_bytes;
    /* poll, not epoll: libmicrohttpd 0.9.75's edge-triggered epoll can miss a
     * client's half-close that arrives with its request, and holds the
     * connection until the idle timeout instead of closing it */
    unsigned flags = MHD_USE_POLL | MHD_USE_INTERNAL_POLLING_THREAD | MHD_ALLOW_SUSPEND_RESUME |
                     MHD_USE_ERROR_LOG;
    s->mhd = MHD_start_daemon(
        flags, (uint16_t)port, NULL, NULL, http_on_request, s, /* logger first: MHD wants it */
        MHD_OPTION_EXTERNAL_LOGGER, http_on_mhd_log, s, MHD_OPTION_UNESCAPE_CALLBACK,
        http_on_unescape, NULL, MHD_OPTION_NOTIFY_COMPLETED, http_on_completed, s,
        MHD_OPTION_NOTIFY_CONNECTION, http_on_connection, s, MHD_OPTION_URI_LOG_CALLBACK,
        http_on_request_line, s, MHD_OPTION_CONNECTION_LIMIT, lim->connections,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, lim->connections_per_ip, MHD_OPTION_CONNECTION_TIMEOUT,
        lim->idle_timeout_s, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)HTTP_POOL_BYTES(lim->header_bytes), MHD_OPTION_THREAD_POOL_SIZE, lim->threads,
        MHD_OPTION_END);
    if (!s->mhd) {
        snprintf(errstr, sz, "cannot listen on port %d (in use, or not permitted)", port);
        http_stop(s);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : port;
    return s;
}

int http_port(const struct http_server *s) {
    return s->port;
}

void http_quiesce(struct http_server *s) {
    if (!s || !s->mhd) return;
    atomic_store(&s->closing, 1);
    MHD_socket fd = MHD_quiesce_daemon(s->mhd);
    if (fd != MHD_INVALID_SOCKET) close(fd);
}

/* After a quiesce, how long answers already given may take to reach their
 * clients before the remaining connections are closed under them. */
#define HTTP_DRAIN_MS 1000

static unsigned http_connections(struct http_server *s) {
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
    return info ? info->num_connections : 0;
}

void http_stop(struct http_server *s) {
    if (!s) return;
    struct timespec tick = {0, 10 * 1000000};
    for (int waited = 0;
         s->mhd && atomic_load(&s->closing) && waited < HTTP_DRAIN_MS && http_connections(s) > 0;
         waited += 10)
        nanosleep(&tick, NULL);
    if (s->mhd) MHD_stop_daemon(s->mhd); /* closes every connection */
    http_deadlines_stop(s->deadlines);
    pthread_mutex_destroy(&s->log_lock);
    free(s->requests);
    free(s->routes);
    free(s);
}
