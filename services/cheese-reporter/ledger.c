#include "ledger.h"

#include <pthread.h>
#include <stdlib.h>

struct ledger_entry {
    int32_t partition;
    int64_t next_offset;
    struct tally *counts; /* owned */
};

struct ledger {
    pthread_mutex_t lock;
    struct ledger_entry *entries; /* a handful of partitions: a linear search is enough */
    int n, cap;
};

struct ledger *ledger_new(void) {
    struct ledger *l = calloc(1, sizeof(*l));
    if (l) pthread_mutex_init(&l->lock, NULL);
    return l;
}

void ledger_free(struct ledger *l) {
    if (!l) return;
    for (int i = 0; i < l->n; i++)
        tally_free(l->entries[i].counts);
    free(l->entries);
    pthread_mutex_destroy(&l->lock);
    free(l);
}

/* Caller holds the lock. @returns partition's entry, or NULL. */
static struct ledger_entry *ledger_find(struct ledger *l, int32_t partition) {
    for (int i = 0; i < l->n; i++)
        if (l->entries[i].partition == partition) return &l->entries[i];
    return NULL;
}

/* Caller holds the lock. @returns a new entry with no state, or NULL. */
static struct ledger_entry *ledger_add(struct ledger *l, int32_t partition) {
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 16;
        if (cap > PIZZA_LEDGER_MAX_PARTITIONS) return NULL;
        struct ledger_entry *grown = realloc(l->entries, (size_t)cap * sizeof(*grown));
        if (!grown) return NULL;
        l->entries = grown;
        l->cap = cap;
    }
    struct ledger_entry *e = &l->entries[l->n++];
    *e = (struct ledger_entry){partition, -1, NULL};
    return e;
}

int ledger_apply(struct ledger *l, int32_t partition, int64_t next_offset, struct tally *counts) {
    int rc = 0;
    pthread_mutex_lock(&l->lock);
    struct ledger_entry *e = ledger_find(l, partition);
    if (!e && !(e = ledger_add(l, partition))) {
        rc = -1;
    } else if (next_offset > e->next_offset) {
        struct tally *old = e->counts;
        e->counts = counts;
        e->next_offset = next_offset;
        counts = old;
        rc = 1;
    }
    pthread_mutex_unlock(&l->lock);
    tally_free(counts); /* the stale one, or the state it replaced */
    return rc;
}

int64_t ledger_next_offset(struct ledger *l, int32_t partition) {
    pthread_mutex_lock(&l->lock);
    struct ledger_entry *e = ledger_find(l, partition);
    int64_t next = e ? e->next_offset : -1;
    pthread_mutex_unlock(&l->lock);
    return next;
}

struct tally *ledger_counts_with(struct ledger *l, int32_t partition, struct tally *delta) {
    struct tally *t = tally_new();
    if (!t) return NULL;
    pthread_mutex_lock(&l->lock);
    struct ledger_entry *e = ledger_find(l, partition);
    if (e && e->counts) tally_merge(t, e->counts);
    pthread_mutex_unlock(&l->lock);
    if (delta) tally_merge(t, delta);
    return t;
}

int ledger_partitions(struct ledger *l) {
    pthread_mutex_lock(&l->lock);
    int n = 0;
    for (int i = 0; i < l->n; i++)
        n += l->entries[i].counts != NULL;
    pthread_mutex_unlock(&l->lock);
    return n;
}

json_t *ledger_report(struct ledger *l) {
    struct tally *sum = tally_new();
    if (!sum) return NULL;
    pthread_mutex_lock(&l->lock);
    for (int i = 0; i < l->n; i++)
        if (l->entries[i].counts) tally_merge(sum, l->entries[i].counts);
    pthread_mutex_unlock(&l->lock);
    json_t *doc = tally_json(sum);
    tally_free(sum);
    return doc;
}
