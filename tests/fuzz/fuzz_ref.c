#include "fuzz_ref.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"

int ref_parse_uint(const char *s, long max, long *out) {
    size_t len = strlen(s);
    /* digits only: strtol alone would take a sign and leading spaces */
    if (len == 0 || strspn(s, "0123456789") != len || (s[0] == '0' && len > 1)) return -1;
    errno = 0;
    char *end;
    long n = strtol(s, &end, 10);
    if (errno == ERANGE || *end != '\0' || n > max) return -1;
    *out = n;
    return 0;
}

int ref_parse_count(const char *s, long max, long *out) {
    long n;
    if (ref_parse_uint(s, max, &n) == -1 || n == 0) return -1;
    *out = n;
    return 0;
}

int ref_is_order_id(const char *s) {
    static const char ok[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_";
    size_t len = strlen(s);
    return len >= 1 && len <= 64 && strspn(s, ok) == len;
}

int ref_utf8_without_nul(const char *s, size_t len) {
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    while (p < end) {
        unsigned c = *p;
        size_t n;
        unsigned long cp;
        if (c == 0) return 0;
        if (c < 0x80) {
            p++;
            continue;
        }
        if ((c & 0xe0) == 0xc0) {
            n = 2, cp = c & 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            n = 3, cp = c & 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            n = 4, cp = c & 0x07;
        } else {
            return 0;
        }
        if ((size_t)(end - p) < n) return 0;
        for (size_t i = 1; i < n; i++) {
            if ((p[i] & 0xc0) != 0x80) return 0;
            cp = cp << 6 | (p[i] & 0x3f);
        }
        static const unsigned long min[] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < min[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
        p += n;
    }
    return 1;
}

char *ref_strndup(const void *data, size_t size) {
    char *s = malloc(size + 1);
    FUZZ_CHECK(s != NULL, "out of memory");
    if (size) memcpy(s, data, size);
    s[size] = '\0';
    return s;
}
