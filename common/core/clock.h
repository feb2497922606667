#ifndef PIZZA_CLOCK_H
#define PIZZA_CLOCK_H
#include <pthread.h>

/* The two clocks every layer reads: a monotonic one for timeouts, deadlines
 * and intervals, and the wall clock for what is compared with Kafka
 * timestamps or shown to people (creation times, retention). */

/** Milliseconds on a monotonic clock. */
long long clock_now_ms(void);
/** Milliseconds since the epoch, as Kafka timestamps count. */
long long clock_wall_ms(void);

/* "2026-11-29T20:30:00.123Z" and its terminating NUL */
#define CLOCK_UTC_LEN 25
/** Formats wall_ms (clock_wall_ms()) as RFC 3339 UTC with milliseconds. */
void clock_format_utc(long long wall_ms, char out[CLOCK_UTC_LEN]);

/* Condition variables timed on clock_now_ms()'s clock, so a wall-clock step
 * neither cuts a wait short nor stretches it. */
/** @returns 0, or an errno value. */
int clock_cond_init(pthread_cond_t *cond);
/** pthread_cond_timedwait until when_ms (clock_now_ms()); returns at once
 * when that has passed. @returns 0 when signalled, ETIMEDOUT, or an error. */
int clock_cond_wait_until(pthread_cond_t *cond, pthread_mutex_t *lock, long long when_ms);

#endif
