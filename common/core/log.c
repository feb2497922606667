#include "log.h"

#include "clock.h"
#include "json_scan.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define PIZZA_LOG_LINE_MAX 4096
/* A long message is cut short of the line's end, and topic, key and trace id are cut to
 * PIZZA_LOG_FIELD_MAX, so the fields after them and the closing brace always fit. */
#define PIZZA_LOG_TAIL 1024
#define PIZZA_LOG_FIELD_MAX 256

static const char *log_service = "pizza";
static enum log_level log_min = LOG_INFO;
const char *const log_level_names[] = {"debug", "info", "warn", "error", NULL};

void log_init(const char *service, enum log_level min_level) {
    log_service = service;
    log_min = min_level;
}

int log_level_parse(const char *name, enum log_level *out) {
    for (int i = LOG_DEBUG; i <= LOG_ERROR; i++) {
        if (strcmp(name, log_level_names[i]) == 0) {
            *out = (enum log_level)i;
            return 0;
        }
    }
    return -1;
}

int log_enabled(enum log_level level) {
    return level >= log_min;
}

/* Appends s (n bytes, or up to NUL when n < 0) JSON-escaped; never overruns.
 * Logged text can come from the network (Kafka keys, topic data): a byte that
 * is not part of well-formed UTF-8 becomes U+FFFD, so every line stays valid
 * JSON, and a character is never cut in half at the cap. */
static size_t log_escape(char *dst, size_t pos, size_t cap, const char *s, int n) {
    const unsigned char *p = (const unsigned char *)s;
    const unsigned char *end = p + (n < 0 ? strlen(s) : (size_t)n);
    while (p < end && pos + 7 < cap) {
        unsigned char c = *p;
        size_t len = c < 0x80 ? 1 : json_utf8_sequence(p, end);
        if (c == '"' || c == '\\') {
            dst[pos++] = '\\';
            dst[pos++] = (char)c;
        } else if (c < 0x20) {
            pos += (size_t)snprintf(dst + pos, cap - pos, "\\u%04x", c);
        } else if (len == 0) {
            pos += (size_t)snprintf(dst + pos, cap - pos, "\\ufffd");
            len = 1;
        } else {
            memcpy(dst + pos, p, len); /* at most 4 bytes: room was checked */
            pos += len;
        }
        p += len;
    }
    return pos;
}

/* A message cut at the buffer's end may end inside a character: drops that
 * part, so the cut does not read as a bad byte. */
static void log_trim_cut_character(char *s, size_t len) {
    size_t lead = len;
    while (lead > 0 && len - lead < 4 && ((unsigned char)s[lead - 1] & 0xc0) == 0x80)
        lead--;
    if (lead == 0 || (unsigned char)s[lead - 1] < 0xc0) return; /* ends with a whole character */
    const unsigned char *p = (const unsigned char *)s + lead - 1;
    if (json_utf8_sequence(p, (const unsigned char *)s + len) == 0) s[lead - 1] = '\0';
}

static size_t log_append(char *dst, size_t pos, size_t cap, const char *fmt, ...) {
    if (pos >= cap) return pos;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(dst + pos, cap - pos, fmt, ap);
    va_end(ap);
    if (n < 0) return pos;
    return pos + (size_t)n >= cap ? cap - 1 : pos + (size_t)n;
}

static size_t log_head(char *line, size_t cap, enum log_level level) {
    char when[CLOCK_UTC_LEN];
    clock_format_utc(clock_wall_ms(), when);
    size_t pos = log_append(line, 0, cap, "{\"ts\":\"%s\",\"level\":\"%s\",\"service\":\"", when,
                            log_level_names[level]);
    pos = log_escape(line, pos, cap, log_service, -1);
    return log_append(line, pos, cap, "\",\"msg\":\"");
}

static size_t log_field_cap(size_t pos, size_t cap) {
    return pos + PIZZA_LOG_FIELD_MAX < cap ? pos + PIZZA_LOG_FIELD_MAX : cap;
}

static size_t log_where_fields(char *line, size_t pos, size_t cap, const struct log_where *w) {
    if (!w) return pos;
    if (w->topic) {
        pos = log_append(line, pos, cap, ",\"topic\":\"");
        pos = log_append(line, log_escape(line, pos, log_field_cap(pos, cap), w->topic, -1), cap,
                         "\"");
    }
    if (w->partition >= 0) pos = log_append(line, pos, cap, ",\"partition\":%d", (int)w->partition);
    if (w->offset >= 0) pos = log_append(line, pos, cap, ",\"offset\":%lld", (long long)w->offset);
    if (w->key) {
        pos = log_append(line, pos, cap, ",\"key\":\"");
        pos = log_append(line, log_escape(line, pos, log_field_cap(pos, cap), w->key, w->key_len),
                         cap, "\"");
    }
    if (w->trace_id && w->trace_id[0]) {
        pos = log_append(line, pos, cap, ",\"trace_id\":\"");
        pos = log_append(line, log_escape(line, pos, log_field_cap(pos, cap), w->trace_id, -1), cap,
                         "\"");
    }
    return pos;
}

/* Builds the line in one buffer and writes it with one call, so lines from
 * librdkafka's threads never interleave with ours. */
static void log_emit(enum log_level level, const struct log_where *where, const char *int_field,
                     long long int_value, const char *fmt, va_list ap) {
    char line[PIZZA_LOG_LINE_MAX], msg[PIZZA_LOG_LINE_MAX / 2];
    int n = vsnprintf(msg, sizeof(msg), fmt, ap);
    if (n >= (int)sizeof(msg)) log_trim_cut_character(msg, sizeof(msg) - 1);
    size_t cap = sizeof(line) - 3; /* room for "}\n" and NUL */
    size_t pos = log_head(line, cap, level);
    pos = log_escape(line, pos, cap - PIZZA_LOG_TAIL, msg, -1);
    pos = log_append(line, pos, cap, "\"");
    pos = log_where_fields(line, pos, cap, where);
    if (int_field) pos = log_append(line, pos, cap, ",\"%s\":%lld", int_field, int_value);
    memcpy(line + pos, "}\n", 3);
    ssize_t ignored = write(STDERR_FILENO, line, pos + 2);
    (void)ignored; /* nowhere left to report a failed log write */
}

void log_at(enum log_level level, const struct log_where *where, const char *fmt, ...) {
    if (!log_enabled(level)) return;
    va_list ap;
    va_start(ap, fmt);
    log_emit(level, where, NULL, 0, fmt, ap);
    va_end(ap);
}

void log_int(enum log_level level, const char *field, long long value, const char *fmt, ...) {
    if (!log_enabled(level)) return;
    va_list ap;
    va_start(ap, fmt);
    log_emit(level, NULL, field, value, fmt, ap);
    va_end(ap);
}
