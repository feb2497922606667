#ifndef PIZZA_HTTP_H
#define PIZZA_HTTP_H
#include <jansson.h>
#include <stddef.h>

/* HTTP server on libmicrohttpd with a route table and JSON errors. A handler
 * answers at once, or returns HTTP_ASYNC and someone calls http_reply*() later
 * from any thread; the connection is suspended meanwhile (no thread held). */
struct http_server; /* opaque */
struct http_req;    /* opaque: one request, valid until its reply is sent */

enum http_result { HTTP_DONE = 0, HTTP_ASYNC = 1 };

/** param is the path segment matched by a trailing '*' in the pattern ("" if none). */
typedef enum http_result (*http_handler_fn)(struct http_req *r, const char *param, void *arg);

struct http_route {
    const char *method;  /* "GET" also answers HEAD */
    const char *pattern; /* exact path, or a prefix ending in '*' matching one path segment */
    http_handler_fn fn;
    void *arg;
};

#define HTTP_NO_ROUTE (-1)   /* 404 */
#define HTTP_BAD_METHOD (-2) /* 405; allow lists the methods that path takes */

/** Pure router. @returns the index of the matching route, or HTTP_NO_ROUTE /
 * HTTP_BAD_METHOD. *param points into path. allow gets e.g. "GET, POST". */
int http_route_match(const struct http_route *routes, size_t n, const char *method,
                     const char *path, const char **param, char *allow, size_t allow_sz);

/** Decodes %XX in s in place, as MHD's own unescaper does, except %00, which
 * stays as it is: handlers get the path as a C string, where a decoded NUL
 * would silently cut "1%00x" to "1". @returns the new length. */
size_t http_url_unescape(char *s);

struct http_limits {
    unsigned connections;        /* concurrent connections */
    unsigned connections_per_ip; /* from one client address; 0: no limit */
    unsigned idle_timeout_s;     /* closes connections where nothing moves */
    unsigned request_timeout_s;  /* a request must arrive whole within this */
    size_t header_bytes;         /* a larger request head gets 431 */
    size_t body_bytes;           /* a larger body gets 413 */
    unsigned threads;            /* polling threads */
};

/** Starts listening on port (0 picks a free one; see http_port). routes is
 * copied. @returns NULL on error (errstr set). Stop with http_stop(). */
struct http_server *http_start(const struct http_route *routes, size_t n, int port,
                               const struct http_limits *limits, char *errstr, size_t sz);
int http_port(const struct http_server *s);
/** Stops accepting connections; requests in progress still finish, and every
 * answer from now on closes its connection (Connection: close). */
void http_quiesce(struct http_server *s);
/** Closes every connection and waits for the handlers running; after a
 * quiesce, first gives answers already given up to 1 s to reach their
 * clients. Every ASYNC request must have been answered first. NULL-safe. */
void http_stop(struct http_server *s);

/** @returns the request header called name (case-insensitive), or NULL. Valid
 * until the reply; call from the handler. */
const char *http_header(struct http_req *r, const char *name);
/** @returns the URL query argument called name ("" when given without a
 * value), or NULL. Valid until the reply; call from the handler. */
const char *http_query(struct http_req *r, const char *name);

/** Copies the client's address (4 bytes IPv4, 16 bytes IPv6; no port) into
 * out. Call from the handler. @returns its length, or 0 when unknown or
 * longer than sz. */
size_t http_client_addr(struct http_req *r, void *out, size_t sz);

/** Takes a copy of body. Safe from any thread, once per request. */
void http_reply(struct http_req *r, int status, const char *content_type, const char *body,
                size_t len);
/** Steals doc. */
void http_reply_json(struct http_req *r, int status, json_t *doc);
/** {"error": "..."} */
void http_reply_error(struct http_req *r, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/** Adds a response header; call before the reply. @returns 0, or -1 when full. */
int http_add_header(struct http_req *r, const char *name, const char *value);

#endif
