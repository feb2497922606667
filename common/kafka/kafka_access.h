#ifndef PIZZA_KAFKA_ACCESS_H
#define PIZZA_KAFKA_ACCESS_H
#include <librdkafka/rdkafka.h>
#include <stddef.h>

/* What Kafka refuses this process: its login (TLS, SASL) or an ACL. While a
 * refusal lasts /ready names it; it is logged at error level when it begins
 * or changes, and at debug while it repeats, so the log says once what to fix
 * or grant. Nothing refused is skipped or dead-lettered: the callers wait and
 * retry, and the next success of the same kind ends the refusal. */
enum kafka_access {
    KAFKA_ACCESS_LOGIN, /* TLS or SASL: the brokers' certificate, the user, the password */
    KAFKA_ACCESS_TXN,   /* the transactional id, or idempotent writes */
    KAFKA_ACCESS_GROUP, /* the consumer group */
    KAFKA_ACCESS_READ,  /* a topic read */
    KAFKA_ACCESS_WRITE, /* a topic written: output, dead letters, changelog */
};
#define KAFKA_ACCESS_KINDS 5

/** @returns 1 when err is Kafka refusing this principal an operation (an
 * ACL is missing), else 0. */
int kafka_access_denied(rd_kafka_resp_err_t err);
/** Records that Kafka refuses what (printf-style, e.g. "write to topic
 * pizza: Broker: Topic authorization failed"), logging it at error level
 * unless it is the refusal already recorded for kind. */
void kafka_access_refused(enum kafka_access kind, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/** Something of kind succeeded: its refusal, if any, is over (logged). */
void kafka_access_granted(enum kafka_access kind);
/** @returns 1 with why set to the first refusal that lasts, else 0. */
int kafka_access_refusal(char *why, size_t sz);

#endif
