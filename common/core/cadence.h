#ifndef PIZZA_CADENCE_H
#define PIZZA_CADENCE_H

/* When a consume-transform-produce batch is committed. A commit costs the
 * daemon and the brokers a round of requests whatever the batch holds (a
 * transaction: four), so at moderate rates committing every time the input
 * runs dry makes nearly every message a commit of its own. The interval
 * spaces commits out while input keeps arriving, yet a message that comes
 * after a quiet spell is committed at once: the interval only ever holds a
 * batch back for what remains of it since the last commit began. */
struct cadence {
    long max_messages; /* commit once the batch holds this many */
    long max_ms;       /* or once its first message is this old; <= 0: no age limit */
    long interval_ms;  /* least time from one commit's start to the next while input
                          keeps arriving; 0: commit whenever the input runs dry */
};

/* Where a batch stands, in milliseconds of one monotonic clock. */
struct cadence_batch {
    long count;         /* messages in the batch */
    long long age_ms;   /* since its first message */
    long long since_ms; /* since the last commit began; no commit yet: any value
                           >= interval_ms */
    int input_dry;      /* the last read found nothing */
};

/** @returns 1 when the batch is to be committed now; else 0 with *wait_ms
 * how long the next read may wait for input: 0 while input is coming,
 * idle_ms while the batch is empty, else until the interval or max_ms is up,
 * whichever comes first (at least 1, at most idle_ms: the loop's own
 * checks, a stop request among them, come at least that often). */
int cadence_due(const struct cadence *c, const struct cadence_batch *b, long idle_ms,
                long *wait_ms);

#endif
