/* http.h: the pure router http_route_match and the URL unescaper. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "http.h"

/* Handlers are never called by the router; distinct args identify routes. */
static enum http_result dummy(struct http_req *r, const char *param, void *arg) {
    (void)r;
    (void)param;
    (void)arg;
    return HTTP_DONE;
}

static const struct http_route routes[] = {
    {"POST", "/order/*", dummy, NULL},   /* 0 */
    {"GET", "/order/*", dummy, NULL},    /* 1 */
    {"GET", "/health", dummy, NULL},     /* 2 */
    {"GET", "/metrics", dummy, NULL},    /* 3 */
    {"DELETE", "/admin/*", dummy, NULL}, /* 4 */
    {"PUT", "/admin/*", dummy, NULL},    /* 5 */
};
#define N_ROUTES (sizeof(routes) / sizeof(routes[0]))

struct match {
    int rc;
    const char *param;
    char allow[64];
};

static struct match route(const char *method, const char *path) {
    struct match m;
    m.param = "unset";
    memset(m.allow, 'X', sizeof(m.allow) - 1);
    m.allow[sizeof(m.allow) - 1] = '\0';
    m.rc = http_route_match(routes, N_ROUTES, method, path, &m.param, m.allow, sizeof(m.allow));
    return m;
}

static void exact_paths_match(void **state) {
    (void)state;
    struct match m = route("GET", "/health");
    assert_int_equal(m.rc, 2);
    assert_string_equal(m.param, "");
    m = route("GET", "/metrics");
    assert_int_equal(m.rc, 3);
    /* exact means exact: no prefix, suffix or trailing slash */
    assert_int_equal(route("GET", "/health/").rc, HTTP_NO_ROUTE);
    assert_int_equal(route("GET", "/healthz").rc, HTTP_NO_ROUTE);
    assert_int_equal(route("GET", "/heal").rc, HTTP_NO_ROUTE);
    assert_int_equal(route("GET", "/HEALTH").rc, HTTP_NO_ROUTE);
}

static void star_matches_one_segment(void **state) {
    (void)state;
    const char *path = "/order/abc-123";
    const char *param = NULL;
    char allow[64];
    int rc = http_route_match(routes, N_ROUTES, "GET", path, &param, allow, sizeof(allow));
    assert_int_equal(rc, 1);
    assert_string_equal(param, "abc-123");
    assert_ptr_equal(param, path + strlen("/order/")); /* points into path */

    struct match m = route("POST", "/order/5");
    assert_int_equal(m.rc, 0);
    assert_string_equal(m.param, "5");

    /* an empty segment is still a match: the handler rejects it */
    m = route("GET", "/order/");
    assert_int_equal(m.rc, 1);
    assert_string_equal(m.param, "");
}

static void star_does_not_cross_slashes(void **state) {
    (void)state;
    assert_int_equal(route("GET", "/order/1/x").rc, HTTP_NO_ROUTE);
    assert_int_equal(route("GET", "/order/1/").rc, HTTP_NO_ROUTE);
    assert_int_equal(route("POST", "/order//").rc, HTTP_NO_ROUTE);
    assert_int_equal(route("GET", "/order").rc, HTTP_NO_ROUTE); /* the prefix needs its slash */
    assert_int_equal(route("GET", "/orders/1").rc, HTTP_NO_ROUTE);
    assert_int_equal(route("GET", "/orderx1").rc, HTTP_NO_ROUTE); /* the whole prefix counts */
}

static void head_is_answered_by_get_routes(void **state) {
    (void)state;
    struct match m = route("HEAD", "/health");
    assert_int_equal(m.rc, 2);
    m = route("HEAD", "/order/42");
    assert_int_equal(m.rc, 1);
    assert_string_equal(m.param, "42");
    /* but HEAD is not a licence for non-GET routes */
    m = route("HEAD", "/admin/x");
    assert_int_equal(m.rc, HTTP_BAD_METHOD);
}

/* Splits "A, B, C" and checks it holds exactly the given methods, each once. */
static void assert_allow(const char *allow, const char *const *want, size_t n) {
    size_t found = 0;
    const char *p = allow;
    while (*p) {
        const char *sep = strstr(p, ", ");
        size_t len = sep ? (size_t)(sep - p) : strlen(p);
        size_t k = 0;
        while (k < n && !(strlen(want[k]) == len && strncmp(want[k], p, len) == 0))
            k++;
        if (k == n) fail_msg("allow \"%s\" lists an unexpected method", allow);
        found++;
        p = sep ? sep + 2 : p + len;
    }
    if (found != n) fail_msg("allow \"%s\" should list %zu methods", allow, n);
}

static void wrong_method_lists_allowed_ones(void **state) {
    (void)state;
    struct match m = route("DELETE", "/order/7");
    assert_int_equal(m.rc, HTTP_BAD_METHOD);
    static const char *const order_methods[] = {"POST", "GET", "HEAD"};
    assert_allow(m.allow, order_methods, 3);
    /* routes are tried in table order, so the list is deterministic */
    assert_string_equal(m.allow, "POST, GET, HEAD");

    m = route("POST", "/health");
    assert_int_equal(m.rc, HTTP_BAD_METHOD);
    static const char *const health_methods[] = {"GET", "HEAD"};
    assert_allow(m.allow, health_methods, 2);

    m = route("GET", "/admin/thing");
    assert_int_equal(m.rc, HTTP_BAD_METHOD);
    static const char *const admin_methods[] = {"DELETE", "PUT"};
    assert_allow(m.allow, admin_methods, 2);
}

static void overlapping_routes_list_each_method_once(void **state) {
    (void)state;
    static const struct http_route overlap[] = {
        {"GET", "/status/*", dummy, NULL},
        {"GET", "/status/now", dummy, NULL},
        {"POST", "/status/*", dummy, NULL},
        {"POST", "/status/now", dummy, NULL},
    };
    const char *param = NULL;
    char allow[64];
    int rc = http_route_match(overlap, 4, "DELETE", "/status/now", &param, allow, sizeof(allow));
    assert_int_equal(rc, HTTP_BAD_METHOD);
    static const char *const want[] = {"GET", "HEAD", "POST"};
    assert_allow(allow, want, 3);
    /* the first matching route in table order wins */
    rc = http_route_match(overlap, 4, "GET", "/status/now", &param, allow, sizeof(allow));
    assert_int_equal(rc, 0);
    assert_string_equal(param, "now");
}

static void method_is_case_sensitive(void **state) {
    (void)state;
    assert_int_equal(route("get", "/health").rc, HTTP_BAD_METHOD);
}

static void unknown_path_is_no_route(void **state) {
    (void)state;
    struct match m = route("GET", "/nope");
    assert_int_equal(m.rc, HTTP_NO_ROUTE);
    assert_string_equal(m.allow, "");
    assert_int_equal(route("GET", "/").rc, HTTP_NO_ROUTE);
    assert_int_equal(route("GET", "").rc, HTTP_NO_ROUTE);
    assert_int_equal(route("DELETE", "/nope").rc, HTTP_NO_ROUTE);
}

static void small_allow_buffer_is_not_overrun(void **state) {
    (void)state;
    struct {
        char allow[8];
        char canary[16];
    } buf;
    memset(&buf, 'Z', sizeof(buf));
    const char *param = NULL;
    int rc = http_route_match(routes, N_ROUTES, "DELETE", "/order/7", &param, buf.allow,
                              sizeof(buf.allow));
    assert_int_equal(rc, HTTP_BAD_METHOD);
    assert_true(strnlen(buf.allow, sizeof(buf.allow)) < sizeof(buf.allow));
    for (size_t i = 0; i < sizeof(buf.canary); i++)
        assert_int_equal(buf.canary[i], 'Z');
}

static void unescape_is(const char *in, const char *want) {
    char s[64];
    strcpy(s, in);
    assert_int_equal(http_url_unescape(s), strlen(want));
    assert_string_equal(s, want);
}

static void percent_escapes_decode_except_nul(void **state) {
    (void)state;
    unescape_is("/order/%31%32", "/order/12");
    unescape_is("%2f%2F%7e", "//~");
    unescape_is("1%00x", "1%00x"); /* a NUL would cut the C string short */
    unescape_is("%", "%");         /* incomplete escapes stay as they are */
    unescape_is("%4", "%4");
    unescape_is("%4g%g4", "%4g%g4");
    unescape_is("%%41", "%A");
    unescape_is("+", "+"); /* paths have no '+' for space */
    unescape_is("", "");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(exact_paths_match),
        cmocka_unit_test(star_matches_one_segment),
        cmocka_unit_test(star_does_not_cross_slashes),
        cmocka_unit_test(head_is_answered_by_get_routes),
        cmocka_unit_test(wrong_method_lists_allowed_ones),
        cmocka_unit_test(overlapping_routes_list_each_method_once),
        cmocka_unit_test(method_is_case_sensitive),
        cmocka_unit_test(unknown_path_is_no_route),
        cmocka_unit_test(small_allow_buffer_is_not_overrun),
        cmocka_unit_test(percent_escapes_decode_except_nul),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
