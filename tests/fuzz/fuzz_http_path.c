/* The request line as the HTTP server sees it: http_url_unescape on the path
 * (what MHD calls back into), http_route_match against the daemons' route
 * tables, then the validators pizza-service runs on the matched segment and
 * on ?wait=. Input: METHOD '\n' PATH '\n' QUERY (later newlines stay in the
 * query).
 *
 * The tables are copies of the patterns in common/runtime/service.c (the built-in
 * /health, /ready, /metrics), services/pizza/order_http.c (/order/{x}) and
 * services/cheese-reporter/reporter.c (/report): those are local arrays whose
 * handlers need a running service, so only their method and pattern are
 * repeated here; e2e_openapi checks the real tables against the spec. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "fuzz_ref.h"
#include "http.h"
#include "parse.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static const struct http_route pizza_routes[] = {
    {"GET", "/health", NULL, NULL},  {"GET", "/ready", NULL, NULL},
    {"GET", "/metrics", NULL, NULL}, {"POST", "/order/*", NULL, NULL},
    {"GET", "/order/*", NULL, NULL},
};
static const struct http_route reporter_routes[] = {
    {"GET", "/health", NULL, NULL},
    {"GET", "/ready", NULL, NULL},
    {"GET", "/metrics", NULL, NULL},
    {"GET", "/report", NULL, NULL},
};
/* the limits of config/pizza.ini: [orders] max_count, max_wait_s */
#define MAX_COUNT 100
#define MAX_WAIT_S 60

/* Reference unescaper: %XX with two hex digits decodes, except %00. */
static size_t ref_unescape(const char *in, char *out) {
    size_t o = 0;
    for (size_t i = 0; in[i]; i++) {
        unsigned v;
        char hex[3] = {in[i + 1], in[i + 1] ? in[i + 2] : 0, 0};
        if (in[i] == '%' && strspn(hex, "0123456789abcdefABCDEF") == 2 &&
            (v = (unsigned)strtoul(hex, NULL, 16)) != 0) {
            out[o++] = (char)v;
            i += 2;
        } else {
            out[o++] = in[i];
        }
    }
    out[o] = '\0';
    return o;
}

static void check_unescape(char *s) {
    size_t before = strlen(s);
    char *want = malloc(before + 1);
    FUZZ_CHECK(want != NULL, "out of memory");
    size_t want_len = ref_unescape(s, want);
    size_t len = http_url_unescape(s);
    FUZZ_CHECK(len <= before, "unescape grew %zu bytes to %zu", before, len);
    FUZZ_CHECK(strlen(s) == len, "a NUL at %zu before the end %zu", strlen(s), len);
    FUZZ_CHECK(len == want_len && memcmp(s, want, len) == 0, "\"%s\", reference \"%s\"", s, want);
    free(want);
}

/* The reference router: the first route whose path matches and method fits. */
static int ref_path_match(const char *pattern, const char *path) {
    size_t plen = strlen(pattern);
    if (pattern[plen - 1] != '*') return strcmp(pattern, path) == 0;
    return strncmp(pattern, path, plen - 1) == 0 && !strchr(path + plen - 1, '/');
}

/* allow must be "M1, M2, ...": methods of routes on this path, each once. */
static void check_allow(const struct http_route *routes, size_t n, const char *path,
                        const char *allow, int complete) {
    char copy[64];
    FUZZ_CHECK(strlen(allow) < sizeof(copy), "Allow \"%s\" too long", allow);
    strcpy(copy, allow);
    int tokens = 0, get = 0, head = 0;
    for (char *t = copy[0] ? copy : NULL, *next; t; t = next, tokens++) {
        next = strstr(t, ", ");
        if (next) *next = '\0', next += 2;
        int known = strcmp(t, "HEAD") == 0;
        for (size_t i = 0; i < n && !known; i++)
            known = ref_path_match(routes[i].pattern, path) && strcmp(routes[i].method, t) == 0;
        FUZZ_CHECK(known, "Allow \"%s\" names \"%s\"", allow, t);
        FUZZ_CHECK(strstr(allow, t) == allow + (t - copy), "Allow \"%s\" repeats \"%s\"", allow, t);
        get += strcmp(t, "GET") == 0;
        head += strcmp(t, "HEAD") == 0;
    }
    FUZZ_CHECK(!complete || tokens > 0, "empty Allow for a known path");
    FUZZ_CHECK(!complete || head == get, "Allow \"%s\": HEAD goes with GET", allow);
}

static void check_route(const struct http_route *routes, size_t n, const char *method,
                        const char *path) {
    const char *as = strcmp(method, "HEAD") == 0 ? "GET" : method;
    int want = HTTP_NO_ROUTE;
    for (size_t i = 0; i < n && want < 0; i++)
        if (ref_path_match(routes[i].pattern, path))
            want = strcmp(routes[i].method, as) == 0 ? (int)i : HTTP_BAD_METHOD;
    char allow[64];
    const char *param = NULL;
    int got = http_route_match(routes, n, method, path, &param, allow, sizeof(allow));
    FUZZ_CHECK(got == want, "%s %s: route %d, reference %d", method, path, got, want);
    if (got >= 0) {
        /* a '*' route's param is the rest of the path: an exact route's is "" */
        size_t len = strlen(path), plen = strlen(routes[got].pattern);
        if (routes[got].pattern[plen - 1] == '*')
            FUZZ_CHECK(param == path + plen - 1 && param <= path + len, "param outside the path");
        else
            FUZZ_CHECK(param && *param == '\0', "param of an exact route");
        FUZZ_CHECK(!strchr(param, '/'), "param \"%s\" holds a '/'", param);
    } else {
        check_allow(routes, n, path, allow, got == HTTP_BAD_METHOD);
        FUZZ_CHECK(got == HTTP_BAD_METHOD || allow[0] == '\0', "Allow \"%s\" on a 404", allow);
    }
    /* a short buffer drops methods, never overruns or cuts one */
    for (size_t sz = 0; sz < 12; sz++) {
        char small[12];
        memset(small, 'x', sizeof(small));
        http_route_match(routes, n, method, path, &param, small, sz);
        for (size_t i = sz; i < sizeof(small); i++)
            FUZZ_CHECK(small[i] == 'x', "Allow of %zu bytes overran", sz);
        if (sz) check_allow(routes, n, path, small, 0);
    }
}

static void check_validators(const char *s, long max_count, long max_wait) {
    long got = -7, want = -7;
    FUZZ_CHECK(parse_is_order_id(s) == ref_is_order_id(s), "parse_is_order_id(\"%s\")", s);
    int rc = parse_count(s, max_count, &got), ref = ref_parse_count(s, max_count, &want);
    FUZZ_CHECK(rc == ref && (rc || got == want), "parse_count(\"%s\") = %d, reference %d", s, rc,
               ref);
    rc = parse_uint(s, max_wait, &got);
    ref = ref_parse_uint(s, max_wait, &want);
    FUZZ_CHECK(rc == ref && (rc || got == want), "parse_uint(\"%s\") = %d, reference %d", s, rc,
               ref);
}

/* Checks each value of wait= in query (MHD splits at '&' and '=', then
 * unescapes each part with our callback). */
static void check_query(char *query) {
    for (char *arg = strtok(query, "&"); arg; arg = strtok(NULL, "&")) {
        char *eq = strchr(arg, '=');
        if (eq) *eq = '\0';
        check_unescape(arg);
        if (strcmp(arg, "wait") != 0 || !eq) continue;
        check_unescape(eq + 1);
        check_validators(eq + 1, MAX_COUNT, MAX_WAIT_S);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *text = ref_strndup(data, size);
    char *method = text, *path = strchr(text, '\n'), *query = NULL;
    if (path) {
        *path++ = '\0';
        if ((query = strchr(path, '\n'))) *query++ = '\0';
    } else {
        path = method + strlen(method); /* "" */
    }
    check_unescape(path);
    check_route(pizza_routes, N_OF(pizza_routes), method, path);
    check_route(reporter_routes, N_OF(reporter_routes), method, path);
    const char *param;
    if (http_route_match(pizza_routes, N_OF(pizza_routes), method, path, &param, NULL, 0) >= 0)
        check_validators(param, MAX_COUNT, MAX_WAIT_S);
    check_validators(path, MAX_COUNT, MAX_WAIT_S);
    if (query) check_query(query);
    free(text);
    return 0;
}
