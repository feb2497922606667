#ifndef PIZZA_PIPELINE_SAMPLE_H
#define PIZZA_PIPELINE_SAMPLE_H
#include <librdkafka/rdkafka.h>
#include <stddef.h>

#include "pipeline_hops.h"

/* One sample of GET /pipeline taken from Kafka, as its JSON document: per
 * hop the group's lag, rate, readiness and dead letters. Keeps what the next
 * sample needs (the last committed offsets for the rates, how far each
 * dead-letter partition was counted). The /pipeline worker's alone. */
struct pipeline_sample; /* opaque */

/** @returns NULL when out of memory. hops (n) is copied. */
struct pipeline_sample *pipeline_sample_new(const struct pipeline_hop *hops, size_t n);
void pipeline_sample_free(struct pipeline_sample *s); /* NULL-safe */

/** Asks Kafka through rk (a KAFKA_OBSERVER consumer) within about
 * timeout_ms per request. @returns the document (caller frees), or NULL with
 * errstr set. */
char *pipeline_sample_take(struct pipeline_sample *s, rd_kafka_t *rk, int timeout_ms, char *errstr,
                           size_t sz);

#endif
