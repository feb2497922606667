/* LD_PRELOAD fault injection: rd_kafka_consume_batch_queue() waits
 * PIZZA_SLOW_BATCH_READ_MS (default 50) before reading. consumer_poll_batch
 * takes its first message, then reads the rest with that call, which may
 * serve a rebalance: the pause makes it likely that a revoke lands right
 * there, between the two, where a message of a revoked partition could slip
 * through (tests/e2e/consumer_churn.sh). Built without the sanitizers, like
 * slow_http_stop.c. */
#define _GNU_SOURCE /* RTLD_NEXT */
#include <dlfcn.h>
#include <sys/types.h>

#include "shim_pause.h"

typedef struct rd_kafka_queue_s rd_kafka_queue_t; /* opaque here, as in rdkafka.h */
typedef struct rd_kafka_message_s rd_kafka_message_t;
ssize_t rd_kafka_consume_batch_queue(rd_kafka_queue_t *q, int timeout_ms, rd_kafka_message_t **msgs,
                                     size_t size);

ssize_t rd_kafka_consume_batch_queue(rd_kafka_queue_t *q, int timeout_ms, rd_kafka_message_t **msgs,
                                     size_t size) {
    ssize_t (*real)(rd_kafka_queue_t *, int, rd_kafka_message_t **, size_t);
    *(void **)&real = dlsym(RTLD_NEXT, "rd_kafka_consume_batch_queue");
    shim_pause("PIZZA_SLOW_BATCH_READ_MS", 50);
    return real(q, timeout_ms, msgs, size);
}
