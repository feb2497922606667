#include "json_scan.h"

#include <stdio.h>
#include <string.h>

struct scan {
    const unsigned char *p, *start, *end;
    char *err;
    size_t sz;
};

static int scan_fail(struct scan *s, const char *what) {
    snprintf(s->err, s->sz, "not JSON: %s at byte %zu", what, (size_t)(s->p - s->start));
    return -1;
}

static void scan_space(struct scan *s) {
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\n' || *s->p == '\r' || *s->p == '\t'))
        s->p++;
}

static int hex_digit(unsigned c) {
    if (c >= '0' && c <= '9') return (int)(c - '0');
    c |= 0x20; /* lower case */
    return c >= 'a' && c <= 'f' ? (int)(c - 'a' + 10) : -1;
}

/* @returns the 4 hex digits at p as a number, or -1. */
static long hex4(const unsigned char *p) {
    long v = 0;
    for (int i = 0; i < 4; i++) {
        int d = hex_digit(p[i]);
        if (d < 0) return -1;
        v = v << 4 | d;
    }
    return v;
}

size_t json_utf8_sequence(const unsigned char *p, const unsigned char *end) {
    unsigned c = p[0], cp, min;
    size_t n;
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2, cp = c & 0x1f, min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3, cp = c & 0x0f, min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4, cp = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if ((size_t)(end - p) < n) return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80) return 0;
        cp = cp << 6 | (p[i] & 0x3f);
    }
    return cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ? 0 : n;
}

/* The escape at p (a backslash): @returns its length, or 0 when invalid. */
static size_t escape_length(const unsigned char *p, const unsigned char *end, const char **why) {
    if (end - p < 2) return *why = "unterminated escape", 0;
    if (strchr("\"\\/bfnrt", p[1]) && p[1]) return 2;
    if (p[1] != 'u') return *why = "invalid escape", 0;
    long u = end - p >= 6 ? hex4(p + 2) : -1;
    if (u < 0) return *why = "invalid \\u escape", 0;
    if (u == 0) return *why = "\\u0000 in a string", 0; /* would cut a C string short */
    if (u >= 0xdc00 && u <= 0xdfff) return *why = "lone low surrogate", 0;
    if (u < 0xd800 || u > 0xdbff) return 6;
    long lo = end - p >= 12 && p[6] == '\\' && p[7] == 'u' ? hex4(p + 8) : -1;
    if (lo < 0xdc00 || lo > 0xdfff) return *why = "lone high surrogate", 0;
    return 12;
}

/* At the opening quote; leaves p after the closing one. */
static int scan_string(struct scan *s, const char **raw, size_t *raw_len, int *escaped) {
    const unsigned char *p = s->p + 1;
    const char *why = NULL;
    *escaped = 0;
    for (;;) {
        /* the common case: a run of plain ASCII */
        while (p < s->end && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\')
            p++;
        if (p >= s->end) {
            why = "unterminated string";
            break;
        }
        size_t n = 1;
        if (*p == '"') {
            *raw = (const char *)s->p + 1;
            *raw_len = (size_t)(p - (s->p + 1));
            s->p = p + 1;
            return 0;
        } else if (*p == '\\') {
            *escaped = 1;
            n = escape_length(p, s->end, &why);
        } else if (*p < 0x20) {
            why = "control character in a string";
            n = 0;
        } else {
            n = json_utf8_sequence(p, s->end);
            why = "invalid UTF-8";
        }
        if (n == 0) break;
        p += n;
    }
    s->p = p;
    return scan_fail(s, why);
}

static int is_digit(const struct scan *s) {
    return s->p < s->end && *s->p >= '0' && *s->p <= '9';
}

static void skip_digits(struct scan *s) {
    while (is_digit(s))
        s->p++;
}

static int scan_number(struct scan *s) {
    if (*s->p == '-') s->p++;
    if (!is_digit(s)) return scan_fail(s, "invalid number");
    if (*s->p == '0')
        s->p++;
    else
        skip_digits(s);
    if (s->p < s->end && *s->p == '.') {
        s->p++;
        if (!is_digit(s)) return scan_fail(s, "invalid number");
        skip_digits(s);
    }
    if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
        s->p++;
        if (s->p < s->end && (*s->p == '+' || *s->p == '-')) s->p++;
        if (!is_digit(s)) return scan_fail(s, "invalid number");
        skip_digits(s);
    }
    return 0;
}

static int scan_literal(struct scan *s) {
    static const char *const words[] = {"true", "false", "null"};
    for (size_t i = 0; i < 3; i++) {
        size_t n = strlen(words[i]);
        if ((size_t)(s->end - s->p) >= n && memcmp(s->p, words[i], n) == 0) {
            s->p += n;
            return 0;
        }
    }
    return scan_fail(s, "invalid literal");
}

/* The field asked for under this member name, or NULL. */
static struct json_field *field_named(struct json_field *f, size_t n, const char *key, size_t len,
                                      int escaped) {
    /* an escape is at most 6 bytes per decoded byte, so a longer escaped name
     * decodes to more than 20 bytes: longer than any name asked for */
    char plain[128];
    if (escaped) {
        if (len >= sizeof(plain)) return NULL;
        len = json_unescape(key, len, plain);
        key = plain;
    }
    for (size_t i = 0; i < n; i++)
        if (len && f[i].name[0] == key[0] && strlen(f[i].name) == len &&
            memcmp(f[i].name, key, len) == 0)
            return &f[i];
    return NULL;
}

/* A member name and its colon; picks the field it fills when at top level. */
static int scan_member_name(struct scan *s, int top, struct json_field *fields, size_t n,
                            struct json_field **target) {
    const char *key;
    size_t len;
    int escaped;
    scan_space(s);
    if (s->p >= s->end || *s->p != '"') return scan_fail(s, "expected a member name");
    if (scan_string(s, &key, &len, &escaped) == -1) return -1;
    scan_space(s);
    if (s->p >= s->end || *s->p != ':') return scan_fail(s, "expected ':'");
    s->p++;
    *target = top ? field_named(fields, n, key, len, escaped) : NULL;
    if (*target && (*target)->kind != JSON_KIND_NONE) {
        snprintf(s->err, s->sz, "duplicate field \"%s\"", (*target)->name);
        return -1;
    }
    return 0;
}

/* A scalar, or the opening bracket of a container (pushed on stack). */
static int scan_value_start(struct scan *s, char *stack, int *depth, struct json_field *target) {
    const char *raw = NULL;
    size_t raw_len = 0;
    int escaped, rc = 0;
    scan_space(s);
    if (s->p >= s->end) return scan_fail(s, "unexpected end");
    switch (*s->p) {
    case '{':
    case '[':
        if (*depth == JSON_SCAN_MAX_DEPTH) return scan_fail(s, "nested too deeply");
        stack[(*depth)++] = (char)*s->p++;
        break;
    case '"':
        rc = scan_string(s, &raw, &raw_len, &escaped);
        break;
    case 't':
    case 'f':
    case 'n':
        rc = scan_literal(s);
        break;
    default:
        if (*s->p != '-' && (*s->p < '0' || *s->p > '9'))
            return scan_fail(s, "unexpected character");
        rc = scan_number(s);
    }
    if (rc == 0 && target) {
        target->kind = raw ? JSON_KIND_STRING : JSON_KIND_OTHER;
        target->raw = raw;
        target->raw_len = raw_len;
    }
    return rc;
}

int json_scan_object(const char *buf, size_t len, struct json_field *fields, size_t n, char *err,
                     size_t sz) {
    struct scan s = {(const unsigned char *)buf, (const unsigned char *)buf,
                     (const unsigned char *)buf + len, err, sz};
    char stack[JSON_SCAN_MAX_DEPTH];
    int depth = 0;
    for (size_t i = 0; i < n; i++) {
        fields[i].kind = JSON_KIND_NONE;
        fields[i].raw = NULL;
        fields[i].raw_len = 0;
    }
    scan_space(&s);
    int is_object = s.p < s.end && *s.p == '{';
    if (scan_value_start(&s, stack, &depth, NULL) == -1) return -1;
    int first = depth > 0; /* just opened: no comma before the first item */
    while (depth > 0) {
        char open = stack[depth - 1];
        scan_space(&s);
        if (s.p >= s.end) return scan_fail(&s, "unexpected end");
        if (*s.p == (open == '{' ? '}' : ']')) {
            s.p++;
            depth--;
            first = 0;
            continue;
        }
        if (!first) {
            if (*s.p != ',') return scan_fail(&s, "expected ',' or a closing bracket");
            s.p++;
        }
        struct json_field *target = NULL;
        if (open == '{' && scan_member_name(&s, depth == 1, fields, n, &target) == -1) return -1;
        int outer = depth;
        if (scan_value_start(&s, stack, &depth, target) == -1) return -1;
        first = depth > outer;
    }
    scan_space(&s);
    if (s.p != s.end) return scan_fail(&s, "data after the value");
    if (!is_object) {
        snprintf(err, sz, "not a JSON object");
        return -1;
    }
    return 0;
}

static size_t utf8_put(unsigned long cp, char *out) {
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xc0 | cp >> 6);
        out[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xe0 | cp >> 12);
        out[1] = (char)(0x80 | (cp >> 6 & 0x3f));
        out[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | cp >> 18);
    out[1] = (char)(0x80 | (cp >> 12 & 0x3f));
    out[2] = (char)(0x80 | (cp >> 6 & 0x3f));
    out[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

size_t json_unescape(const char *raw, size_t raw_len, char *out) {
    const unsigned char *p = (const unsigned char *)raw, *end = p + raw_len;
    size_t o = 0;
    while (p < end) {
        const unsigned char *bs = memchr(p, '\\', (size_t)(end - p));
        size_t plain = (size_t)((bs ? bs : end) - p);
        memcpy(out + o, p, plain);
        o += plain;
        p += plain;
        if (!bs) break;
        static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
        const char *e = strchr(from, p[1]);
        if (p[1] != 'u' && e) {
            out[o++] = to[e - from];
            p += 2;
            continue;
        }
        unsigned long cp = (unsigned long)hex4(p + 2);
        p += 6;
        if (cp >= 0xd800 && cp <= 0xdbff) { /* the scanner saw its low half follow */
            cp = 0x10000 + ((cp - 0xd800) << 10) + ((unsigned long)hex4(p + 2) - 0xdc00);
            p += 6;
        }
        o += utf8_put(cp, out + o);
    }
    out[o] = '\0';
    return o;
}

size_t json_escape(const char *s, size_t len, char *out) {
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            out[o++] = '\\';
            out[o++] = (char)c;
        } else if (c < 0x20) {
            memcpy(out + o, "\\u00", 4);
            out[o + 4] = hex[c >> 4];
            out[o + 5] = hex[c & 0xf];
            o += 6;
        } else {
            out[o++] = (char)c;
        }
    }
    return o;
}
