#include "kafka_access.h"

#include "log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Set by librdkafka's threads (error and statistics callbacks) and the
 * daemon's, read by the HTTP threads: one lock around them all. */
static pthread_mutex_t kafka_access_lock = PTHREAD_MUTEX_INITIALIZER;
static char kafka_access_why[KAFKA_ACCESS_KINDS][300];

int kafka_access_denied(rd_kafka_resp_err_t err) {
    return err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED ||
           err == RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED ||
           err == RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED ||
           err == RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
}

void kafka_access_refused(enum kafka_access kind, const char *fmt, ...) {
    char why[sizeof(kafka_access_why[0])];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    /* librdkafka ends a broker's failure with "(after N ms in state S, K
     * identical error(s) suppressed)": not part of what is refused */
    char *after = strstr(why, " (after ");
    if (after) *after = '\0';
    pthread_mutex_lock(&kafka_access_lock);
    int known = strcmp(kafka_access_why[kind], why) == 0;
    if (!known) snprintf(kafka_access_why[kind], sizeof(kafka_access_why[kind]), "%s", why);
    pthread_mutex_unlock(&kafka_access_lock);
    log_at(known ? LOG_DEBUG : LOG_ERROR, NULL, "kafka refuses: %s", why);
}

void kafka_access_granted(enum kafka_access kind) {
    char was[sizeof(kafka_access_why[0])] = "";
    /* called on every statistics document and assignment: copy only a refusal */
    pthread_mutex_lock(&kafka_access_lock);
    if (kafka_access_why[kind][0]) snprintf(was, sizeof(was), "%s", kafka_access_why[kind]);
    kafka_access_why[kind][0] = '\0';
    pthread_mutex_unlock(&kafka_access_lock);
    if (was[0]) log_info("kafka no longer refuses: %s", was);
}

int kafka_access_refusal(char *why, size_t sz) {
    int found = 0;
    pthread_mutex_lock(&kafka_access_lock);
    for (int k = 0; k < KAFKA_ACCESS_KINDS && !found; k++) {
        if (!kafka_access_why[k][0]) continue;
        snprintf(why, sz, "kafka refuses: %s", kafka_access_why[k]);
        found = 1;
    }
    pthread_mutex_unlock(&kafka_access_lock);
    return found;
}
