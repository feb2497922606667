#ifndef PIZZA_KAFKA_TRACE_H
#define PIZZA_KAFKA_TRACE_H
#include <librdkafka/rdkafka.h>

#include "log.h"
#include "trace.h"

/* The trace context as it travels in Kafka: the "traceparent" header of a
 * record (trace.h), read for log lines and carried on to what a stage makes
 * of the record. */

/** Log coordinates of m (topic, partition, offset, key) with its trace id,
 * which is kept in trace_id: it must outlive the result. */
struct log_where trace_where(const rd_kafka_message_t *m, char trace_id[TRACE_ID_LEN + 1]);
/** Headers for an event produced from m: all of m's headers, with its
 * traceparent replaced by a child span. @returns NULL when m has no headers
 * (nothing to carry), or on allocation failure (the event goes without). */
rd_kafka_headers_t *trace_forward_headers(const rd_kafka_message_t *m);

#endif
