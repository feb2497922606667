#ifndef PIZZA_METRICS_H
#define PIZZA_METRICS_H
#include <stddef.h>
#include <stdint.h>

/* Process-wide registry of Prometheus counters and gauges. Metrics are
 * registered at startup and never freed before exit; updates are lock-free. */
struct metric; /* opaque */

enum metric_type { METRIC_COUNTER, METRIC_GAUGE };

/** labels is Prometheus label text without braces (e.g. "topic=\"pizza\"") or NULL.
 * Registering the same name+labels twice returns the same metric.
 * @returns NULL only on allocation failure. */
struct metric *metrics_register(enum metric_type type, const char *name, const char *help,
                                const char *labels);
void metric_add(struct metric *m, int64_t delta); /* NULL-safe */
void metric_set(struct metric *m, int64_t value); /* NULL-safe */
int64_t metric_value(const struct metric *m);

/** Renders every metric in the text exposition format.
 * @returns malloc'd text (caller frees), or NULL on allocation failure. */
char *metrics_render(size_t *len);

#endif
