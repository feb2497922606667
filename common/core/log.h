#ifndef PIZZA_LOG_H
#define PIZZA_LOG_H
#include <stdint.h>

/* One JSON object per line on stderr: {"ts","level","service","msg",...}. */
enum log_level { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Kafka coordinates attached to a log line; NULL/negative members are omitted. */
struct log_where {
    const char *topic;
    int32_t partition;
    int64_t offset;
    const char *key;
    int key_len;
    const char *trace_id; /* W3C trace id of the event or request; NULL or "" when none */
};

void log_init(const char *service, enum log_level min_level);
/* Each level's name, indexed by enum log_level; NULL-terminated. */
extern const char *const log_level_names[];
/** @returns 0 and sets *out, or -1 when name is not debug|info|warn|error. */
int log_level_parse(const char *name, enum log_level *out);
int log_enabled(enum log_level level);

void log_at(enum log_level level, const struct log_where *where, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Adds integer fields after the message, e.g. ("port", 5000). */
void log_int(enum log_level level, const char *field, long long value, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#define log_debug(...) log_at(LOG_DEBUG, NULL, __VA_ARGS__)
#define log_info(...) log_at(LOG_INFO, NULL, __VA_ARGS__)
#define log_warn(...) log_at(LOG_WARN, NULL, __VA_ARGS__)
#define log_error(...) log_at(LOG_ERROR, NULL, __VA_ARGS__)

#endif
