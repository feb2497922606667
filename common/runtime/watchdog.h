#ifndef PIZZA_WATCHDOG_H
#define PIZZA_WATCHDOG_H

/* A stopping daemon always goes: once armed, the process has budget_s
 * seconds to exit, or it logs the step it was stuck in and exits 1, so a
 * supervisor sees it leave and restarts it instead of waiting forever. */

/** Starts the (idle) watchdog thread. @returns 0, or -1 (errno set). */
int watchdog_start(int budget_s);
/** Starts the countdown; later calls do nothing. Async-signal-safe. */
void watchdog_arm(void);
/** Names what the daemon is doing now, for the line logged on expiry.
 * what must outlive the process (a string literal). */
void watchdog_step(const char *what);

#endif
