#include "clock.h"

#include <errno.h>
#include <stdio.h>
#include <time.h>

static long long clock_ms(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

long long clock_now_ms(void) {
    return clock_ms(CLOCK_MONOTONIC);
}

long long clock_wall_ms(void) {
    return clock_ms(CLOCK_REALTIME);
}

void clock_format_utc(long long wall_ms, char out[CLOCK_UTC_LEN]) {
    time_t t = (time_t)(wall_ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    size_t n = strftime(out, CLOCK_UTC_LEN, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, CLOCK_UTC_LEN - n, ".%03lldZ", wall_ms % 1000);
}

int clock_cond_init(pthread_cond_t *cond) {
    pthread_condattr_t attr;
    int rc = pthread_condattr_init(&attr);
    if (rc != 0) return rc;
    rc = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    if (rc == 0) rc = pthread_cond_init(cond, &attr);
    pthread_condattr_destroy(&attr);
    return rc;
}

int clock_cond_wait_until(pthread_cond_t *cond, pthread_mutex_t *lock, long long when_ms) {
    if (when_ms <= clock_now_ms()) return ETIMEDOUT;
    const struct timespec until = {(time_t)(when_ms / 1000), (long)(when_ms % 1000) * 1000000L};
    return pthread_cond_timedwait(cond, lock, &until);
}
