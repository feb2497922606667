#ifndef PIZZA_DEVBROKER_CONTROL_H
#define PIZZA_DEVBROKER_CONTROL_H

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

/* Line-oriented control channel of pizza-devbroker: reads commands from a file
 * descriptor (stdin) and answers each line with exactly one line on stdout,
 * "ok" or "error: reason". See devbroker_usage() in main.c for the commands. */
struct control; /* opaque */

#define PIZZA_DEVBROKER_MAX_PARTITIONS 10000

/** @returns NULL on allocation failure. The cluster stays owned by the caller
 *  and must outlive the control. @p replication is used for "topic" commands. */
struct control *control_new(rd_kafka_mock_cluster_t *mc, int fd, int replication);

/** Waits up to @p timeout_ms for input and runs every complete line received.
 *  @returns 0 while the input is open, -1 once it reached EOF or failed; after
 *  -1 the caller must stop calling (the broker keeps running without input). */
int control_poll(struct control *c, int timeout_ms);

void control_free(struct control *c); /* NULL-safe */

/** Creates @p topic on @p mc. @returns 0, or -1 with the reason in @p errstr. */
int control_topic_create(rd_kafka_mock_cluster_t *mc, const char *topic, int partitions,
                         int replication, char *errstr, size_t sz);

/** @returns 1 if @p name is a legal Kafka topic name ([A-Za-z0-9._-], 1..249). */
int control_topic_name_ok(const char *name);

#endif
