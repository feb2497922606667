/* LD_PRELOAD fault injection: the first PIZZA_FAIL_SEEKS (default 1) calls of
 * rd_kafka_seek_partitions() report a timeout without seeking, as a seek that
 * a busy broker thread did not serve within its time does
 * (tests/e2e/refused_output.sh). Built without the sanitizers, like the
 * other shims. */
#define _GNU_SOURCE /* RTLD_NEXT */
#include <dlfcn.h>
#include <stdlib.h>

typedef struct rd_kafka_s rd_kafka_t; /* opaque here, as in rdkafka.h */
typedef struct rd_kafka_topic_partition_list_s rd_kafka_topic_partition_list_t;
typedef struct rd_kafka_error_s rd_kafka_error_t;
#define RD_KAFKA_RESP_ERR__TIMED_OUT (-185) /* as in rdkafka.h */
rd_kafka_error_t *rd_kafka_error_new(int code, const char *fmt, ...);
rd_kafka_error_t *rd_kafka_seek_partitions(rd_kafka_t *rk,
                                           rd_kafka_topic_partition_list_t *partitions,
                                           int timeout_ms);

rd_kafka_error_t *rd_kafka_seek_partitions(rd_kafka_t *rk,
                                           rd_kafka_topic_partition_list_t *partitions,
                                           int timeout_ms) {
    static long failed;
    const char *env = getenv("PIZZA_FAIL_SEEKS");
    if (failed < (env ? atol(env) : 1)) {
        failed++;
        return rd_kafka_error_new(RD_KAFKA_RESP_ERR__TIMED_OUT, "injected: seek timed out");
    }
    rd_kafka_error_t *(*real)(rd_kafka_t *, rd_kafka_topic_partition_list_t *, int);
    *(void **)&real = dlsym(RTLD_NEXT, "rd_kafka_seek_partitions");
    return real(rk, partitions, timeout_ms);
}
