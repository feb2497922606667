#ifndef PIZZA_PRODUCER_H
#define PIZZA_PRODUCER_H
#include <librdkafka/rdkafka.h>
#include <stddef.h>

#include "cfg.h"

/* Idempotent producer whose every message ends in exactly one delivery
 * callback: delivered, or failed with the reason. Never drops silently. */
struct producer; /* opaque */

/** Called once per message, from whichever thread runs producer_poll(). */
typedef void (*producer_dr_fn)(void *msg_opaque, rd_kafka_resp_err_t err, void *arg);

/** @returns NULL on error (errstr set). Free with producer_free(). */
struct producer *producer_new(const struct cfg *c, const char *client_id, producer_dr_fn dr,
                              void *dr_arg, char *errstr, size_t sz);
/** Frees after waiting up to flush_ms for deliveries; what remains is purged
 * and reported failed through the callback. NULL-safe. */
void producer_free(struct producer *p, int flush_ms);

/** The handle of an output topic, created on first use and kept until
 * producer_free(). Fetches its metadata (waiting up to 2 s) so the first
 * message does not wait for librdkafka's periodic topic scan.
 * @returns NULL on error (errstr set). */
rd_kafka_topic_t *producer_topic(struct producer *p, const char *name, char *errstr, size_t sz);

/** Queues one message (bytes copied). When the local queue is full it serves
 * delivery reports and retries for up to wait_ms (back-pressure, never a drop).
 * @returns 0; PRODUCER_FULL when the queue stayed full (retry later);
 * PRODUCER_REFUSED when this message can never be produced (e.g. too large).
 * On either error errstr is set and the callback will NOT fire for this message. */
#define PRODUCER_FULL (-2)
#define PRODUCER_REFUSED (-1)

int producer_send(struct producer *p, rd_kafka_topic_t *topic, const void *key, size_t key_len,
                  const void *value, size_t value_len, void *msg_opaque, int wait_ms, char *errstr,
                  size_t sz);
/** Serves delivery reports. @returns how many were served. */
int producer_poll(struct producer *p, int timeout_ms);
/** Waits until every queued message is reported. @returns 0, or -1 on timeout. */
int producer_flush(struct producer *p, int timeout_ms);

#endif
