#include "ratelimit.h"

#include "hash.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Slots a key may occupy, from its hash on: bounds the work per call. */
#define RATELIMIT_PROBE 8

struct ratelimit_slot {
    unsigned char key[RATELIMIT_KEY_MAX];
    unsigned char key_len; /* 0: free */
    double tokens;         /* as of last_ms */
    long long last_ms;
};

struct ratelimit {
    pthread_mutex_t lock;
    double rate_per_ms, burst;
    size_t mask;
    struct ratelimit_slot *slots;
};

struct ratelimit *ratelimit_new(double rate_per_s, double burst, size_t slots) {
    struct ratelimit *rl = calloc(1, sizeof(*rl));
    size_t n = RATELIMIT_PROBE;
    while (n < slots)
        n <<= 1;
    if (!rl || !(rl->slots = calloc(n, sizeof(*rl->slots)))) {
        free(rl);
        return NULL;
    }
    rl->mask = n - 1;
    rl->rate_per_ms = rate_per_s / 1000.0;
    rl->burst = burst;
    pthread_mutex_init(&rl->lock, NULL);
    return rl;
}

void ratelimit_free(struct ratelimit *rl) {
    if (!rl) return;
    pthread_mutex_destroy(&rl->lock);
    free(rl->slots);
    free(rl);
}

static size_t ratelimit_hash(const unsigned char *key, size_t len) {
    uint64_t h = hash_fnv1a(key, len);
    return (size_t)(h ^ (h >> 29));
}

/* The bucket's tokens at now_ms. */
static double ratelimit_tokens(const struct ratelimit *rl, const struct ratelimit_slot *s,
                               long long now_ms) {
    double t = s->tokens + (double)(now_ms - s->last_ms) * rl->rate_per_ms;
    return t > rl->burst ? rl->burst : t;
}

/* How readily slot s gives way to a new key: free (2), idle, i.e. refilled,
 * so there is nothing to remember (1), in use (0). */
static int ratelimit_spare(const struct ratelimit *rl, const struct ratelimit_slot *s,
                           long long now_ms) {
    if (!s->key_len) return 2;
    return ratelimit_tokens(rl, s, now_ms) >= rl->burst;
}

/* Caller holds the lock. @returns key's slot, taking one for a new key: the
 * most spare of its probe window, the least recently used among equals. */
static struct ratelimit_slot *ratelimit_slot(struct ratelimit *rl, const unsigned char *key,
                                             size_t len, long long now_ms) {
    size_t h = ratelimit_hash(key, len);
    struct ratelimit_slot *take = NULL;
    int take_spare = -1;
    for (size_t i = 0; i < RATELIMIT_PROBE; i++) {
        struct ratelimit_slot *s = &rl->slots[(h + i) & rl->mask];
        if (s->key_len == len && memcmp(s->key, key, len) == 0) return s;
        int spare = ratelimit_spare(rl, s, now_ms);
        if (spare > take_spare || (spare == take_spare && s->last_ms < take->last_ms)) {
            take = s;
            take_spare = spare;
        }
    }
    memcpy(take->key, key, len);
    take->key_len = (unsigned char)len;
    take->tokens = rl->burst;
    take->last_ms = now_ms;
    return take;
}

long ratelimit_take(struct ratelimit *rl, const void *key, size_t key_len, long long now_ms) {
    long wait = 0;
    if (key_len > RATELIMIT_KEY_MAX) key_len = RATELIMIT_KEY_MAX;
    if (key_len == 0) key_len = 1; /* unknown address: one shared bucket */
    unsigned char k[RATELIMIT_KEY_MAX] = {0};
    if (key) memcpy(k, key, key_len);
    pthread_mutex_lock(&rl->lock);
    struct ratelimit_slot *s = ratelimit_slot(rl, k, key_len, now_ms);
    double t = ratelimit_tokens(rl, s, now_ms);
    if (now_ms > s->last_ms) s->last_ms = now_ms; /* a clock read before a racing caller's */
    if (t >= 1.0) {
        s->tokens = t - 1.0;
    } else {
        s->tokens = t;
        double ms = rl->rate_per_ms > 0 ? (1.0 - t) / rl->rate_per_ms : 1000.0;
        wait = (long)(ms / 1000.0);
        if ((double)wait * 1000.0 < ms || wait < 1) wait++; /* rounded up, at least 1 */
    }
    pthread_mutex_unlock(&rl->lock);
    return wait;
}

size_t ratelimit_used(struct ratelimit *rl) {
    size_t n = 0;
    pthread_mutex_lock(&rl->lock);
    for (size_t i = 0; i <= rl->mask; i++)
        n += rl->slots[i].key_len != 0;
    pthread_mutex_unlock(&rl->lock);
    return n;
}
