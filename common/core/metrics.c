#include "metrics.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define METRICS_KIND_HISTOGRAM 2 /* after the public enum metric_type values */
#define METRICS_NS_PER_S 1000000000ULL
#define METRICS_MAX_SECONDS 1e9 /* keeps the nanosecond sum far from overflow */

const double METRICS_LATENCY_BOUNDS[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                         0.5,   1,      2.5,   5,    10,    30,   60};
const size_t METRICS_LATENCY_BOUNDS_N =
    sizeof(METRICS_LATENCY_BOUNDS) / sizeof(METRICS_LATENCY_BOUNDS[0]);

struct histogram {
    size_t n_bounds;
    double *bounds;
    _Atomic uint64_t sum_ns;    /* integer: a lock-free add, and an exact sum to render */
    _Atomic uint64_t buckets[]; /* n_bounds + 1 (the last is +Inf); not cumulative */
};

struct metric {
    int kind; /* enum metric_type or METRICS_KIND_HISTOGRAM */
    char *name, *help, *labels;
    _Atomic int64_t value;
    _Atomic int hidden;
    struct histogram *hist; /* METRICS_KIND_HISTOGRAM only */
    struct metric *next;
};

static pthread_mutex_t metrics_lock = PTHREAD_MUTEX_INITIALIZER;
static struct metric *metrics_head, *metrics_tail;

static int metrics_same(const struct metric *m, const char *name, const char *labels) {
    return strcmp(m->name, name) == 0 && strcmp(m->labels, labels ? labels : "") == 0;
}

static void metrics_free(struct metric *m) {
    if (!m) return;
    if (m->hist) free(m->hist->bounds);
    free(m->hist);
    free(m->name);
    free(m->help);
    free(m->labels);
    free(m);
}

static struct metric *metrics_new(int kind, const char *name, const char *help,
                                  const char *labels) {
    struct metric *m = calloc(1, sizeof(*m));
    if (!m) return NULL;
    m->kind = kind;
    m->name = strdup(name);
    m->help = strdup(help);
    m->labels = strdup(labels ? labels : "");
    if (!m->name || !m->help || !m->labels) {
        metrics_free(m);
        return NULL;
    }
    return m;
}

/* Caller holds metrics_lock. *clash is set when the name is taken by another
 * kind: one family has one TYPE. */
static struct metric *metrics_find(int kind, const char *name, const char *labels, int *clash) {
    *clash = 0;
    for (struct metric *m = metrics_head; m; m = m->next) {
        if (strcmp(m->name, name) != 0) continue;
        if (m->kind != kind) {
            *clash = 1;
            return NULL;
        }
        if (metrics_same(m, name, labels)) return m;
    }
    return NULL;
}

static void metrics_append(struct metric *m) {
    if (metrics_tail)
        metrics_tail->next = m;
    else
        metrics_head = m;
    metrics_tail = m;
}

struct metric *metrics_register(enum metric_type type, const char *name, const char *help,
                                const char *labels) {
    int clash;
    pthread_mutex_lock(&metrics_lock);
    struct metric *m = metrics_find((int)type, name, labels, &clash);
    if (!m && !clash && (m = metrics_new((int)type, name, help, labels))) metrics_append(m);
    pthread_mutex_unlock(&metrics_lock);
    return m;
}

void metric_add(struct metric *m, int64_t delta) {
    if (m) atomic_fetch_add_explicit(&m->value, delta, memory_order_relaxed);
}

void metric_set(struct metric *m, int64_t value) {
    if (!m) return;
    atomic_store_explicit(&m->value, value, memory_order_relaxed);
    if (atomic_load_explicit(&m->hidden, memory_order_relaxed))
        atomic_store_explicit(&m->hidden, 0, memory_order_relaxed);
}

int64_t metric_value(const struct metric *m) {
    return m ? atomic_load_explicit(&m->value, memory_order_relaxed) : 0;
}

void metric_hide(struct metric *m) {
    if (m) atomic_store_explicit(&m->hidden, 1, memory_order_relaxed);
}

static struct histogram *histogram_new(const double *bounds, size_t n) {
    for (size_t i = 1; i < n; i++)
        if (!(bounds[i - 1] < bounds[i])) return NULL;
    struct histogram *h = calloc(1, sizeof(*h) + (n + 1) * sizeof(h->buckets[0]));
    if (!h) return NULL;
    if (n && !(h->bounds = malloc(n * sizeof(*bounds)))) {
        free(h);
        return NULL;
    }
    if (n) memcpy(h->bounds, bounds, n * sizeof(*bounds));
    h->n_bounds = n;
    return h;
}

struct histogram *metrics_histogram(const char *name, const char *help, const char *labels,
                                    const double *bounds, size_t n_bounds) {
    int clash;
    pthread_mutex_lock(&metrics_lock);
    struct metric *m = metrics_find(METRICS_KIND_HISTOGRAM, name, labels, &clash);
    if (!m && !clash && (m = metrics_new(METRICS_KIND_HISTOGRAM, name, help, labels))) {
        if ((m->hist = histogram_new(bounds, n_bounds))) {
            metrics_append(m);
        } else {
            metrics_free(m);
            m = NULL;
        }
    }
    pthread_mutex_unlock(&metrics_lock);
    return m ? m->hist : NULL;
}

/* @returns the first bucket whose bound is >= seconds (le is inclusive). */
static size_t histogram_bucket(const struct histogram *h, double seconds) {
    size_t lo = 0, hi = h->n_bounds;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (seconds <= h->bounds[mid])
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

void histogram_observe_n(struct histogram *h, double seconds, uint64_t n) {
    if (!h || n == 0) return;
    if (!(seconds >= 0)) seconds = 0; /* also NaN */
    if (seconds > METRICS_MAX_SECONDS) seconds = METRICS_MAX_SECONDS;
    uint64_t ns = (uint64_t)(seconds * (double)METRICS_NS_PER_S + 0.5);
    atomic_fetch_add_explicit(&h->buckets[histogram_bucket(h, seconds)], n, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->sum_ns, ns * n, memory_order_relaxed);
}

void histogram_observe(struct histogram *h, double seconds) {
    histogram_observe_n(h, seconds, 1);
}

uint64_t histogram_count(const struct histogram *h) {
    uint64_t n = 0;
    if (!h) return 0;
    for (size_t i = 0; i <= h->n_bounds; i++)
        n += atomic_load_explicit(&h->buckets[i], memory_order_relaxed);
    return n;
}

/* Shortest decimal that reads back as the same double, as Prometheus prints
 * le values ("0.1", not "0.10000000000000001"; "10", not "1e+01"). */
static void metrics_format_double(char *out, size_t sz, double v) {
    int shortest = 0;
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(out, sz, "%.*g", prec, v);
        if (strtod(out, NULL) != v) continue;
        if (!strchr(out, 'e')) return;
        if (!shortest) shortest = prec;
    }
    /* tiny or huge: exponent it is (at most 24 characters at precision 17) */
    if (snprintf(out, sz, "%.*g", shortest ? shortest : 17, v) >= (int)sz) out[0] = '\0';
}

/* Exact seconds from nanoseconds, trailing zeros trimmed: 1500000000 -> "1.5". */
static void metrics_format_ns(char *out, size_t sz, uint64_t ns) {
    int n = snprintf(out, sz, "%llu.%09llu", (unsigned long long)(ns / METRICS_NS_PER_S),
                     (unsigned long long)(ns % METRICS_NS_PER_S));
    if (n < 0 || (size_t)n >= sz) return;
    while (n > 0 && out[n - 1] == '0')
        out[--n] = '\0';
    if (n > 0 && out[n - 1] == '.') out[--n] = '\0';
}

static void metrics_render_bucket(FILE *f, const struct metric *m, const char *le, uint64_t n) {
    fprintf(f, "%s_bucket{%s%sle=\"%s\"} %llu\n", m->name, m->labels, m->labels[0] ? "," : "", le,
            (unsigned long long)n);
}

static void metrics_render_histogram(FILE *f, const struct metric *m) {
    const struct histogram *h = m->hist;
    char num[64];
    uint64_t cumulative = 0;
    for (size_t i = 0; i <= h->n_bounds; i++) {
        cumulative += atomic_load_explicit(&h->buckets[i], memory_order_relaxed);
        if (i < h->n_bounds)
            metrics_format_double(num, sizeof(num), h->bounds[i]);
        else
            snprintf(num, sizeof(num), "+Inf");
        metrics_render_bucket(f, m, num, cumulative);
    }
    metrics_format_ns(num, sizeof(num), atomic_load_explicit(&h->sum_ns, memory_order_relaxed));
    const char *open = m->labels[0] ? "{" : "", *close = m->labels[0] ? "}" : "";
    fprintf(f, "%s_sum%s%s%s %s\n", m->name, open, m->labels, close, num);
    fprintf(f, "%s_count%s%s%s %llu\n", m->name, open, m->labels, close,
            (unsigned long long)cumulative);
}

static void metrics_render_series(FILE *f, const struct metric *m) {
    if (m->kind == METRICS_KIND_HISTOGRAM) {
        metrics_render_histogram(f, m);
        return;
    }
    if (atomic_load_explicit(&m->hidden, memory_order_relaxed)) return;
    fprintf(f, m->labels[0] ? "%s{%s} %lld\n" : "%s%s %lld\n", m->name, m->labels,
            (long long)metric_value(m));
}

static const char *metrics_type_name(int kind) {
    if (kind == METRICS_KIND_HISTOGRAM) return "histogram";
    return kind == METRIC_COUNTER ? "counter" : "gauge";
}

static int metrics_seen_name(const struct metric *upto, const char *name) {
    for (const struct metric *m = metrics_head; m != upto; m = m->next)
        if (strcmp(m->name, name) == 0) return 1;
    return 0;
}

char *metrics_render(size_t *len) {
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    if (!f) return NULL;
    pthread_mutex_lock(&metrics_lock);
    /* the format wants each family's series together, whatever the registration order */
    for (const struct metric *family = metrics_head; family; family = family->next) {
        if (metrics_seen_name(family, family->name)) continue;
        fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", family->name, family->help, family->name,
                metrics_type_name(family->kind));
        for (const struct metric *m = family; m; m = m->next)
            if (strcmp(m->name, family->name) == 0) metrics_render_series(f, m);
    }
    pthread_mutex_unlock(&metrics_lock);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    *len = size;
    return buf;
}
