#ifndef PIZZA_CLOCK_H
#define PIZZA_CLOCK_H

/* The two clocks every layer reads: a monotonic one for timeouts, deadlines
 * and intervals, and the wall clock for what is compared with Kafka
 * timestamps or shown to people (creation times, retention). */

/** Milliseconds on a monotonic clock. */
long long clock_now_ms(void);
/** Milliseconds since the epoch, as Kafka timestamps count. */
long long clock_wall_ms(void);

#endif
