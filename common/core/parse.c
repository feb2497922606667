#include "parse.h"

#include <string.h>

int parse_uint(const char *s, long max, long *out) {
    if (!s || s[0] < '0' || s[0] > '9' || (s[0] == '0' && s[1] != '\0'))
        return -1; /* empty, sign, space, or leading zero */
    long n = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9') return -1;
        int d = *p - '0';
        if (n > max / 10 || n * 10 > max - d) return -1; /* n * 10 + d > max, without overflow */
        n = n * 10 + d;
    }
    *out = n;
    return 0;
}

int parse_count(const char *s, long max, long *out) {
    long n;
    if (parse_uint(s, max, &n) == -1 || n < 1) return -1;
    *out = n;
    return 0;
}

int parse_is_order_id(const char *s) {
    size_t n = strlen(s);
    if (n == 0 || n > PIZZA_ORDER_ID_MAX) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '-' || c == '_';
        if (!ok) return 0;
    }
    return 1;
}
