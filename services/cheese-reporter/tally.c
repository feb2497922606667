#include "tally.h"

#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct tally {
    pthread_mutex_t lock;
    size_t n;
    char names[PIZZA_TALLY_MAX_NAMES][PIZZA_TALLY_NAME_MAX + 1];
    long long counts[PIZZA_TALLY_MAX_NAMES];
};

struct tally *tally_new(void) {
    struct tally *t = calloc(1, sizeof(*t));
    if (t) pthread_mutex_init(&t->lock, NULL);
    return t;
}

void tally_free(struct tally *t) {
    if (!t) return;
    pthread_mutex_destroy(&t->lock);
    free(t);
}

/* Caller holds the lock. @returns the slot of name, adding it if there is room. */
static long tally_slot(struct tally *t, const char *name, int add) {
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->names[i], name) == 0) return (long)i;
    /* keep the last slot for the overflow bucket */
    if (!add || strlen(name) > PIZZA_TALLY_NAME_MAX || t->n + 1 >= PIZZA_TALLY_MAX_NAMES) return -1;
    strcpy(t->names[t->n], name);
    return (long)t->n++;
}

void tally_add(struct tally *t, const char *name, long long n) {
    pthread_mutex_lock(&t->lock);
    long i = tally_slot(t, name, 1);
    if (i < 0) {
        i = tally_slot(t, PIZZA_TALLY_OTHER, 0);
        if (i < 0) {
            i = (long)t->n++;
            strcpy(t->names[i], PIZZA_TALLY_OTHER);
        }
    }
    /* counts come from snapshots too: a sum past the largest count stays there */
    t->counts[i] = n > LLONG_MAX - t->counts[i] ? LLONG_MAX : t->counts[i] + n;
    pthread_mutex_unlock(&t->lock);
}

long long tally_get(struct tally *t, const char *name) {
    pthread_mutex_lock(&t->lock);
    long i = tally_slot(t, name, 0);
    long long v = i < 0 ? 0 : t->counts[i];
    pthread_mutex_unlock(&t->lock);
    return v;
}

void tally_merge(struct tally *t, struct tally *from) {
    /* copied out first, so the two locks are never held together */
    char names[PIZZA_TALLY_MAX_NAMES][PIZZA_TALLY_NAME_MAX + 1];
    long long counts[PIZZA_TALLY_MAX_NAMES];
    pthread_mutex_lock(&from->lock);
    size_t n = from->n;
    memcpy(names, from->names, n * sizeof(names[0]));
    memcpy(counts, from->counts, n * sizeof(counts[0]));
    pthread_mutex_unlock(&from->lock);
    for (size_t i = 0; i < n; i++)
        tally_add(t, names[i], counts[i]);
}

json_t *tally_json(struct tally *t) {
    json_t *doc = json_object();
    pthread_mutex_lock(&t->lock);
    for (size_t i = 0; doc && i < t->n; i++) {
        if (json_object_set_new(doc, t->names[i], json_integer(t->counts[i])) != 0) {
            json_decref(doc);
            doc = NULL;
        }
    }
    pthread_mutex_unlock(&t->lock);
    return doc;
}
