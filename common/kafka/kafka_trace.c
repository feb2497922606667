#include "kafka_trace.h"

#include <string.h>

static int trace_header(rd_kafka_headers_t *h, struct trace_ctx *out) {
    const void *v;
    size_t len;
    return h && rd_kafka_header_get_last(h, TRACE_HEADER, &v, &len) == RD_KAFKA_RESP_ERR_NO_ERROR &&
                   v && trace_parse(v, len, out) == 0
               ? 0
               : -1;
}

/* The trace id of m's traceparent header into out ("" when it has none or
 * an invalid one): what log lines about m carry. */
static void trace_id_of(const rd_kafka_message_t *m, char out[TRACE_ID_LEN + 1]) {
    rd_kafka_headers_t *h = NULL;
    struct trace_ctx c;
    out[0] = '\0';
    if (rd_kafka_message_headers(m, &h) == RD_KAFKA_RESP_ERR_NO_ERROR && trace_header(h, &c) == 0)
        memcpy(out, c.trace_id, TRACE_ID_LEN + 1);
}

struct log_where trace_where(const rd_kafka_message_t *m, char trace_id[TRACE_ID_LEN + 1]) {
    trace_id_of(m, trace_id);
    return (struct log_where){.topic = m->rkt ? rd_kafka_topic_name(m->rkt) : NULL,
                              .partition = m->partition,
                              .offset = m->offset,
                              .key = m->key,
                              .key_len = (int)m->key_len,
                              .trace_id = trace_id};
}

rd_kafka_headers_t *trace_forward_headers(const rd_kafka_message_t *m) {
    rd_kafka_headers_t *in = NULL, *out;
    struct trace_ctx parent, child;
    char text[TRACEPARENT_LEN + 1];
    if (rd_kafka_message_headers(m, &in) != RD_KAFKA_RESP_ERR_NO_ERROR ||
        !(out = rd_kafka_headers_copy(in)))
        return NULL;
    if (trace_header(in, &parent) == 0 && trace_child(&parent, &child) == 0) {
        rd_kafka_header_remove(out, TRACE_HEADER);
        trace_format(&child, text);
        rd_kafka_header_add(out, TRACE_HEADER, -1, text, TRACEPARENT_LEN);
    }
    return out;
}
