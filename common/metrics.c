#include "metrics.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct metric {
    enum metric_type type;
    char *name, *help, *labels;
    _Atomic int64_t value;
    struct metric *next;
};

static pthread_mutex_t metrics_lock = PTHREAD_MUTEX_INITIALIZER;
static struct metric *metrics_head, *metrics_tail;

static int metrics_same(const struct metric *m, const char *name, const char *labels) {
    return strcmp(m->name, name) == 0 && strcmp(m->labels, labels ? labels : "") == 0;
}

static struct metric *metrics_new(enum metric_type type, const char *name, const char *help,
                                  const char *labels) {
    struct metric *m = calloc(1, sizeof(*m));
    if (!m) return NULL;
    m->type = type;
    m->name = strdup(name);
    m->help = strdup(help);
    m->labels = strdup(labels ? labels : "");
    if (!m->name || !m->help || !m->labels) {
        free(m->name);
        free(m->help);
        free(m->labels);
        free(m);
        return NULL;
    }
    return m;
}

struct metric *metrics_register(enum metric_type type, const char *name, const char *help,
                                const char *labels) {
    pthread_mutex_lock(&metrics_lock);
    struct metric *m = metrics_head;
    while (m && !metrics_same(m, name, labels))
        m = m->next;
    if (!m && (m = metrics_new(type, name, help, labels))) {
        if (metrics_tail)
            metrics_tail->next = m;
        else
            metrics_head = m;
        metrics_tail = m;
    }
    pthread_mutex_unlock(&metrics_lock);
    return m;
}

void metric_add(struct metric *m, int64_t delta) {
    if (m) atomic_fetch_add_explicit(&m->value, delta, memory_order_relaxed);
}

void metric_set(struct metric *m, int64_t value) {
    if (m) atomic_store_explicit(&m->value, value, memory_order_relaxed);
}

int64_t metric_value(const struct metric *m) {
    return m ? atomic_load_explicit(&m->value, memory_order_relaxed) : 0;
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
                family->type == METRIC_COUNTER ? "counter" : "gauge");
        for (const struct metric *m = family; m; m = m->next)
            if (strcmp(m->name, family->name) == 0)
                fprintf(f, m->labels[0] ? "%s{%s} %lld\n" : "%s%s %lld\n", m->name, m->labels,
                        (long long)metric_value(m));
    }
    pthread_mutex_unlock(&metrics_lock);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    *len = size;
    return buf;
}
