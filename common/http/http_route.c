#include "http.h"

#include <string.h>

/* @returns 1 when path matches pattern; *param gets the '*' segment. */
static int http_path_match(const char *pattern, const char *path, const char **param) {
    size_t plen = strlen(pattern);
    if (plen == 0 || pattern[plen - 1] != '*') {
        *param = "";
        return strcmp(pattern, path) == 0;
    }
    if (strncmp(pattern, path, plen - 1) != 0) return 0;
    *param = path + plen - 1;
    return strchr(*param, '/') == NULL;
}

static void http_allow_add(char *allow, size_t sz, const char *method) {
    if (sz == 0 || strstr(allow, method)) return;
    size_t used = strlen(allow);
    size_t need = strlen(method) + (used ? 2 : 0);
    if (used + need + 1 > sz) return;
    if (used) strcat(allow, ", ");
    strcat(allow, method);
}

int http_route_match(const struct http_route *routes, size_t n, const char *method,
                     const char *path, const char **param, char *allow, size_t allow_sz) {
    int path_known = 0;
    const char *as = strcmp(method, "HEAD") == 0 ? "GET" : method;
    if (allow_sz) allow[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        const char *p;
        if (!http_path_match(routes[i].pattern, path, &p)) continue;
        if (strcmp(routes[i].method, as) == 0) {
            *param = p;
            return (int)i;
        }
        path_known = 1;
        http_allow_add(allow, allow_sz, routes[i].method);
        if (strcmp(routes[i].method, "GET") == 0) http_allow_add(allow, allow_sz, "HEAD");
    }
    return path_known ? HTTP_BAD_METHOD : HTTP_NO_ROUTE;
}

static int http_hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

size_t http_url_unescape(char *s) {
    char *out = s;
    for (const char *in = s; *in; in++) {
        int hi, lo;
        if (in[0] == '%' && (hi = http_hex(in[1])) >= 0 && (lo = http_hex(in[2])) >= 0 &&
            (hi | lo) != 0) {
            *out++ = (char)(hi * 16 + lo);
            in += 2;
        } else {
            *out++ = *in;
        }
    }
    *out = '\0';
    return (size_t)(out - s);
}
