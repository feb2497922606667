#include "orders.h"

#include "clock.h"
#include "hash.h"
#include "parse.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pizza {
    char *id;
    char *json;
    size_t len;
};

struct order {
    char id[PIZZA_ORDER_ID_MAX + 1];
    long count;
    long n_pizzas;
    long long created_ms, completed_ms; /* wall clock; completed_ms 0 while pending */
    char traceparent[TRACEPARENT_LEN + 1];
    int local;
    struct pizza *pizzas;        /* count slots */
    struct order *hash_next;     /* bucket chain */
    struct order *older, *newer; /* creation order, for eviction */
};

struct orders {
    pthread_mutex_t lock;
    struct order **buckets;
    size_t n_buckets; /* power of two */
    size_t n, max, n_complete;
    size_t pending_pizzas, max_pending_pizzas;   /* the counts of the pending orders */
    size_t complete_pizzas, max_complete_pizzas; /* the pizzas of the complete orders */
    struct order *oldest, *newest;
};

/* No order time lies in the future: its times come from the changelog too,
 * where anything may be written. */
static long long orders_not_after_now(long long ms) {
    long long now = clock_wall_ms();
    return ms > now ? now : ms;
}

static size_t orders_hash(const char *s) {
    return (size_t)hash_fnv1a(s, strlen(s));
}

struct orders *orders_new(const struct orders_limits *limits) {
    struct orders *o = calloc(1, sizeof(*o));
    if (!o) return NULL;
    o->n_buckets = 16;
    while (o->n_buckets < limits->max_orders)
        o->n_buckets <<= 1;
    if (!(o->buckets = calloc(o->n_buckets, sizeof(*o->buckets)))) {
        free(o);
        return NULL;
    }
    o->max = limits->max_orders;
    o->max_pending_pizzas = limits->max_pending_pizzas;
    o->max_complete_pizzas = limits->max_complete_pizzas;
    pthread_mutex_init(&o->lock, NULL);
    return o;
}

static void order_free(struct order *ord) {
    for (long i = 0; i < ord->n_pizzas; i++) {
        free(ord->pizzas[i].id);
        free(ord->pizzas[i].json);
    }
    free(ord->pizzas);
    free(ord);
}

void orders_free(struct orders *o) {
    if (!o) return;
    for (struct order *ord = o->oldest, *next; ord; ord = next) {
        next = ord->newer;
        order_free(ord);
    }
    pthread_mutex_destroy(&o->lock);
    free(o->buckets);
    free(o);
}

static struct order **orders_slot(struct orders *o, const char *id) {
    struct order **p = &o->buckets[orders_hash(id) & (o->n_buckets - 1)];
    while (*p && strcmp((*p)->id, id) != 0)
        p = &(*p)->hash_next;
    return p;
}

/* Caller holds the lock. Unlinks *slot from the bucket and the age list. */
static void orders_unlink(struct orders *o, struct order **slot) {
    struct order *ord = *slot;
    *slot = ord->hash_next;
    if (ord->older)
        ord->older->newer = ord->newer;
    else
        o->oldest = ord->newer;
    if (ord->newer)
        ord->newer->older = ord->older;
    else
        o->newest = ord->older;
    if (ord->n_pizzas == ord->count) {
        o->n_complete--;
        o->complete_pizzas -= (size_t)ord->count;
    } else {
        o->pending_pizzas -= (size_t)ord->count;
    }
    o->n--;
    order_free(ord);
}

/* Caller holds the lock. Evicts the oldest complete order other than keep.
 * @returns 0 when an order was evicted. */
static int orders_evict_complete(struct orders *o, const struct order *keep) {
    for (struct order *ord = o->oldest; ord; ord = ord->newer) {
        if (ord->n_pizzas == ord->count && ord != keep) {
            orders_unlink(o, orders_slot(o, ord->id));
            return 0;
        }
    }
    return -1;
}

enum orders_rc orders_create(struct orders *o, const char *id, long count, long long created_ms,
                             const struct order_origin *origin) {
    enum orders_rc rc = ORDERS_OK;
    if (count < 1 || count > PIZZA_ORDERS_MAX_COUNT || !parse_is_order_id(id))
        return ORDERS_INVALID;
    pthread_mutex_lock(&o->lock);
    struct order **slot = orders_slot(o, id);
    struct order *ord = NULL;
    int local = origin && origin->local;
    if (*slot) {
        rc = ORDERS_DUPLICATE;
    } else if (local && o->pending_pizzas + (size_t)count > o->max_pending_pizzas) {
        rc = ORDERS_BUSY;
    } else if (o->n >= o->max && orders_evict_complete(o, NULL) == -1 && local) {
        rc = ORDERS_FULL; /* an order from the changelog is held all the same */
    } else if (!(ord = calloc(1, sizeof(*ord))) ||
               !(ord->pizzas = calloc((size_t)count, sizeof(*ord->pizzas)))) {
        free(ord);
        rc = ORDERS_NOMEM;
    } else {
        snprintf(ord->id, sizeof(ord->id), "%s", id);
        ord->count = count;
        /* a time in the future would stop orders_expire() at this order
         * (it walks creation order) until then: taken as now */
        ord->created_ms = orders_not_after_now(created_ms);
        if (origin && origin->traceparent)
            snprintf(ord->traceparent, sizeof(ord->traceparent), "%s", origin->traceparent);
        ord->local = local;
        slot = orders_slot(o, id); /* eviction may have changed the chain */
        *slot = ord;
        ord->older = o->newest;
        if (o->newest)
            o->newest->newer = ord;
        else
            o->oldest = ord;
        o->newest = ord;
        o->n++;
        o->pending_pizzas += (size_t)count;
    }
    pthread_mutex_unlock(&o->lock);
    return rc;
}

void orders_remove(struct orders *o, const char *id) {
    pthread_mutex_lock(&o->lock);
    struct order **slot = orders_slot(o, id);
    if (*slot) orders_unlink(o, slot);
    pthread_mutex_unlock(&o->lock);
}

static int order_has_pizza(const struct order *ord, const char *pizza_id) {
    for (long i = 0; i < ord->n_pizzas; i++)
        if (strcmp(ord->pizzas[i].id, pizza_id) == 0) return 1;
    return 0;
}

enum orders_rc orders_add_pizza(struct orders *o, const char *order_id, const char *pizza_id,
                                const char *json, size_t len, long long now_ms,
                                struct orders_completion *done) {
    enum orders_rc rc = ORDERS_OK;
    if (done) done->completed = 0;
    pthread_mutex_lock(&o->lock);
    struct order *ord = *orders_slot(o, order_id);
    if (!ord) {
        rc = ORDERS_UNKNOWN;
    } else if (order_has_pizza(ord, pizza_id) || ord->n_pizzas == ord->count) {
        rc = ORDERS_DUPLICATE; /* a full order cannot take a new id: that pizza is a stray */
    } else {
        struct pizza *p = &ord->pizzas[ord->n_pizzas];
        p->id = strdup(pizza_id);
        p->json = malloc(len);
        if (!p->id || !p->json) {
            free(p->id);
            free(p->json);
            p->id = p->json = NULL;
            rc = ORDERS_NOMEM;
        } else {
            memcpy(p->json, json, len);
            p->len = len;
            if (++ord->n_pizzas == ord->count) {
                o->n_complete++;
                o->pending_pizzas -= (size_t)ord->count;
                o->complete_pizzas += (size_t)ord->count;
                /* the order that just completed stays: someone may wait on it */
                while (o->complete_pizzas > o->max_complete_pizzas &&
                       orders_evict_complete(o, ord) == 0)
                    ;
                ord->completed_ms = orders_not_after_now(now_ms); /* else kept until then */
                if (done) {
                    done->completed = 1;
                    done->created_ms = ord->created_ms;
                    done->local = ord->local;
                    memcpy(done->traceparent, ord->traceparent, sizeof(done->traceparent));
                }
            }
        }
    }
    pthread_mutex_unlock(&o->lock);
    return rc;
}

/* Caller holds the lock. */
static char *order_render(const struct order *ord, size_t *len) {
    static const char fmt[] = "{\"id\":\"%s\",\"count\":%ld,\"status\":\"%s\"%s%s%s,\"pizzas\":[";
    const char *status = ord->n_pizzas == ord->count ? "complete" : "pending";
    int traced = ord->traceparent[0] != '\0';
    size_t cap = sizeof(fmt) + strlen(ord->id) + 24 + strlen(status) + 32 + TRACEPARENT_LEN + 2;
    for (long i = 0; i < ord->n_pizzas; i++)
        cap += ord->pizzas[i].len + 1;
    char *out = malloc(cap);
    if (!out) return NULL;
    size_t pos =
        (size_t)snprintf(out, cap, fmt, ord->id, ord->count, status,
                         traced ? ",\"traceparent\":\"" : "", ord->traceparent, traced ? "\"" : "");
    for (long i = 0; i < ord->n_pizzas; i++) {
        if (i) out[pos++] = ',';
        memcpy(out + pos, ord->pizzas[i].json, ord->pizzas[i].len);
        pos += ord->pizzas[i].len;
    }
    memcpy(out + pos, "]}", 3);
    *len = pos + 2;
    return out;
}

static void order_progress(const struct order *ord, struct orders_progress *progress) {
    progress->pizzas = ord ? ord->n_pizzas : 0;
    progress->complete = ord && ord->n_pizzas == ord->count;
}

char *orders_render(struct orders *o, const char *id, size_t *len,
                    struct orders_progress *progress) {
    pthread_mutex_lock(&o->lock);
    struct order *ord = *orders_slot(o, id);
    char *out = ord ? order_render(ord, len) : NULL;
    if (progress) order_progress(ord, progress);
    pthread_mutex_unlock(&o->lock);
    return out;
}

int orders_progress(struct orders *o, const char *id, struct orders_progress *progress) {
    pthread_mutex_lock(&o->lock);
    struct order *ord = *orders_slot(o, id);
    order_progress(ord, progress);
    pthread_mutex_unlock(&o->lock);
    return ord ? 0 : -1;
}

size_t orders_expire(struct orders *o, long long cutoff_ms) {
    size_t n = 0;
    pthread_mutex_lock(&o->lock);
    /* the age list is in creation order, and nothing created after the cutoff
     * can have completed before it */
    for (struct order *ord = o->oldest, *next; ord && ord->created_ms < cutoff_ms; ord = next) {
        next = ord->newer;
        if (ord->n_pizzas == ord->count && ord->completed_ms < cutoff_ms) {
            orders_unlink(o, orders_slot(o, ord->id));
            n++;
        }
    }
    pthread_mutex_unlock(&o->lock);
    return n;
}

void orders_stats(struct orders *o, struct orders_stats *out) {
    pthread_mutex_lock(&o->lock);
    out->complete = o->n_complete;
    out->pending = o->n - o->n_complete;
    out->pending_pizzas = o->pending_pizzas;
    out->complete_pizzas = o->complete_pizzas;
    pthread_mutex_unlock(&o->lock);
}
