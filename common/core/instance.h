#ifndef PIZZA_INSTANCE_H
#define PIZZA_INSTANCE_H
#include <stddef.h>

/* What tells the instances of one daemon apart: in Kafka (the default
 * transactional.id, which must be unique among live instances and the same
 * across one instance's restarts) and in logs. */

/* a host name's limit on Linux (HOST_NAME_MAX); a pod name fits in 63 */
#define INSTANCE_ID_MAX 64
/* "<service>-<instance id>" */
#define INSTANCE_TXN_ID_MAX 128

enum instance_source {
    INSTANCE_CONFIGURED, /* [service] instance_id, or PIZZA_SERVICE_INSTANCE_ID */
    INSTANCE_HOSTNAME,   /* per container under compose, per pod in a StatefulSet */
};

/** Picks the id: configured when not NULL, else hostname. It must be 1 to
 * INSTANCE_ID_MAX letters, digits, '.', '_' or '-', so that it is readable in
 * a transactional.id, a log line and a metric label alike.
 * @returns its source, or -1 with why set (out is then empty). */
int instance_id_pick(const char *configured, const char *hostname, char out[INSTANCE_ID_MAX + 1],
                     char *why, size_t sz);

/** Writes the default transactional.id, "<service>-<id>", into out (sz bytes).
 * @returns 0, or -1 when it does not fit. */
int instance_txn_id(const char *service, const char *id, char *out, size_t sz);

#endif
