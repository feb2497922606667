#ifndef PIZZA_SHIM_PAUSE_H
#define PIZZA_SHIM_PAUSE_H
/* The pause of an LD_PRELOAD shim (tests/tools/slow_*.c): the milliseconds
 * in environment variable name, else default_ms; none when 0 or less. */
#include <stdlib.h>
#include <time.h>

static inline void shim_pause(const char *name, long default_ms) {
    const char *env = getenv(name);
    long ms = env ? atol(env) : default_ms;
    struct timespec pause = {ms / 1000, (ms % 1000) * 1000000L};
    if (ms > 0) nanosleep(&pause, NULL);
}

#endif
