#ifndef PIZZA_TRACE_H
#define PIZZA_TRACE_H
#include <stddef.h>

/* W3C Trace Context (https://www.w3.org/TR/trace-context/): the traceparent
 * of an order is taken from its POST (or started there), stored with the
 * order, and carried in the Kafka header "traceparent" through every stage,
 * each of which continues the trace under a span of its own. */
#define TRACE_HEADER "traceparent"
#define TRACEPARENT_LEN 55 /* "00-" 32 hex "-" 16 hex "-" 2 hex */
#define TRACE_ID_LEN 32

struct trace_ctx {
    char trace_id[TRACE_ID_LEN + 1]; /* lower-case hex, never all zeros */
    char span_id[16 + 1];            /* the parent-id field: the sender's span */
    unsigned flags;                  /* trace-flags; bit 0 = sampled */
};

/** Parses a traceparent header value of len bytes as the spec says a receiver
 * must: version 00 exactly, later versions by their version-00 prefix, version
 * ff and all-zero ids never. @returns 0, or -1 when it is not valid. */
int trace_parse(const char *s, size_t len, struct trace_ctx *out);
/** Starts a new trace (random ids, sampled). @returns 0, or -1 without randomness. */
int trace_start(struct trace_ctx *out);
/** A new span of parent's trace, with parent's flags. @returns 0, or -1. */
int trace_child(const struct trace_ctx *parent, struct trace_ctx *out);
/** Writes the version-00 text form (TRACEPARENT_LEN chars + NUL). */
void trace_format(const struct trace_ctx *c, char out[TRACEPARENT_LEN + 1]);

#endif
