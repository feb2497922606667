#ifndef PIZZA_METRICS_H
#define PIZZA_METRICS_H
#include <stddef.h>
#include <stdint.h>

/* Process-wide registry of Prometheus counters, gauges and histograms.
 * Metrics are registered at startup (or lazily, the first time a series is
 * needed) and never freed before exit; updates are lock-free. */
struct metric;    /* opaque */
struct histogram; /* opaque */

enum metric_type { METRIC_COUNTER, METRIC_GAUGE };

/** labels is Prometheus label text without braces (e.g. "topic=\"pizza\"") or NULL.
 * Registering the same name+labels twice returns the same metric.
 * @returns NULL on allocation failure, or when name+labels is already
 * registered with another type. */
struct metric *metrics_register(enum metric_type type, const char *name, const char *help,
                                const char *labels);
void metric_add(struct metric *m, int64_t delta); /* NULL-safe */
void metric_set(struct metric *m, int64_t value); /* NULL-safe; shows a hidden series again */
int64_t metric_value(const struct metric *m);
/** Leaves the series out of metrics_render() until its next metric_set()
 * (e.g. the lag of a partition this consumer no longer owns). NULL-safe. */
void metric_hide(struct metric *m);

/** Upper bounds (le, seconds) for latencies: 1 ms .. 60 s. */
extern const double METRICS_LATENCY_BOUNDS[];
extern const size_t METRICS_LATENCY_BOUNDS_N;

/** bounds: ascending upper bounds in seconds (le), +Inf is implicit; copied.
 * labels as for metrics_register(). Same name+labels twice returns the same
 * histogram (the first registration's bounds win).
 * @returns NULL on allocation failure, unsorted bounds, or when name+labels
 * is already registered as a counter or gauge. */
struct histogram *metrics_histogram(const char *name, const char *help, const char *labels,
                                    const double *bounds, size_t n_bounds);
/** Counts one observation. Negative values (clock skew) count as 0.
 * NULL-safe, lock-free, any thread. */
void histogram_observe(struct histogram *h, double seconds);
/** Counts n observations of the same value at the cost of one. NULL-safe. */
void histogram_observe_n(struct histogram *h, double seconds, uint64_t n);
/** Observations so far (the +Inf bucket). NULL-safe: 0. */
uint64_t histogram_count(const struct histogram *h);

/** Renders every metric in the text exposition format.
 * @returns malloc'd text (caller frees), or NULL on allocation failure. */
char *metrics_render(size_t *len);

#endif
