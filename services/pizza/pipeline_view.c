/* GET /pipeline: the cache, its worker and the handler (pipeline_view.h). */
#include "pipeline_view.h"

#include "clock.h"
#include "kafka.h"
#include "log.h"
#include "pipeline_sample.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An idle worker closes its Kafka client after this long without requests:
 * its broker threads and connections then cost nothing either. */
#define PIPELINE_IDLE_CLOSE_MS 60000
/* Each request to Kafka of one sample waits this long at most. */
#define PIPELINE_KAFKA_TIMEOUT_MS 2000
/* A sample this many intervals old is still shown when Kafka cannot be asked. */
#define PIPELINE_STALE_INTERVALS 5

struct waiter {
    struct http_req *r;
    struct waiter *next;
};

struct pipeline_view {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    pthread_t thread;
    long refresh_ms;
    /* behind lock */
    int stopping;
    char *body;             /* the last sample's document, NULL before the first */
    long long body_ms;      /* when it was taken (monotonic) */
    long long attempt_ms;   /* when the last sample was tried, 0 before */
    long long asked_ms;     /* when the last request came */
    char error[256];        /* why the last sample failed, "" when it did not */
    struct waiter *waiting; /* requests for the next sample */
    /* the worker's alone. A client of its own rather than the producer's:
     * counting dead letters and records past a commit needs a consumer, and
     * this one never touches the main thread's transactional producer. */
    const struct cfg *cfg;
    char client_id[128];
    rd_kafka_t *rk; /* NULL while idle */
    struct pipeline_sample *sample;
};

/* Answers r from what is known at now; the lock is held. */
static void pv_answer(struct pipeline_view *v, struct http_req *r, long long now) {
    if (v->body && now - v->body_ms < PIPELINE_STALE_INTERVALS * v->refresh_ms) {
        http_reply(r, 200, "application/json", v->body, strlen(v->body));
        return;
    }
    http_add_header(r, "Retry-After", "1");
    if (v->stopping)
        http_reply_error(r, 503, "shutting down");
    else
        http_reply_error(r, 503, "Kafka cannot be asked: %s", v->error[0] ? v->error : "no sample");
}

enum http_result pipeline_view_get(struct http_req *r, const char *param, void *arg) {
    struct pipeline_view *v = arg;
    (void)param;
    long long now = clock_now_ms();
    pthread_mutex_lock(&v->lock);
    v->asked_ms = now;
    /* fresh, or just tried and failed: a wait would only ask Kafka again */
    int answered = v->stopping || (v->body && now - v->body_ms < v->refresh_ms) ||
                   (v->error[0] && now - v->attempt_ms < v->refresh_ms);
    struct waiter *w = answered ? NULL : malloc(sizeof(*w));
    if (answered || !w) {
        pv_answer(v, r, now);
    } else {
        *w = (struct waiter){r, v->waiting};
        v->waiting = w;
        pthread_cond_signal(&v->wake);
    }
    pthread_mutex_unlock(&v->lock);
    return w ? HTTP_ASYNC : HTTP_DONE;
}

static rd_kafka_t *pv_client(struct pipeline_view *v, char *errstr, size_t sz) {
    if (v->rk) return v->rk;
    rd_kafka_conf_t *conf = kafka_conf_new(v->cfg, KAFKA_OBSERVER, v->client_id, errstr, sz);
    if (!conf) return NULL;
    if (!(v->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sz))) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    conf = NULL; /* rk owns */
    return v->rk;
}

/* One sample, taken without the lock; then every waiting request answered. */
static void pv_refresh(struct pipeline_view *v) {
    char err[256] = "";
    pthread_mutex_unlock(&v->lock);
    rd_kafka_t *rk = pv_client(v, err, sizeof(err));
    char *text =
        rk ? pipeline_sample_take(v->sample, rk, PIPELINE_KAFKA_TIMEOUT_MS, err, sizeof(err))
           : NULL;
    long long now = clock_now_ms();
    pthread_mutex_lock(&v->lock);
    v->attempt_ms = now;
    if (text) {
        free(v->body);
        v->body = text;
        v->body_ms = now;
        v->error[0] = '\0';
    } else {
        if (!v->error[0]) log_warn("GET /pipeline: Kafka cannot be asked: %s", err);
        snprintf(v->error, sizeof(v->error), "%s", err);
    }
    for (struct waiter *w = v->waiting, *next; w; w = next) {
        next = w->next;
        pv_answer(v, w->r, now);
        free(w);
    }
    v->waiting = NULL;
}

static void pv_wait_until(struct pipeline_view *v, long long when_ms) {
    clock_cond_wait_until(&v->wake, &v->lock, when_ms);
}

/* Samples while requests wait, at most once per refresh_ms; idle, sleeps
 * (and closes the Kafka client after PIPELINE_IDLE_CLOSE_MS). */
static void *pv_run(void *arg) {
    struct pipeline_view *v = arg;
    pthread_mutex_lock(&v->lock);
    while (!v->stopping) {
        long long now = clock_now_ms();
        if (!v->waiting && v->rk && now - v->asked_ms >= PIPELINE_IDLE_CLOSE_MS) {
            rd_kafka_t *rk = v->rk;
            v->rk = NULL;
            pthread_mutex_unlock(&v->lock);
            rd_kafka_destroy(rk);
            pthread_mutex_lock(&v->lock);
        } else if (!v->waiting && v->rk) {
            pv_wait_until(v, v->asked_ms + PIPELINE_IDLE_CLOSE_MS);
        } else if (!v->waiting) {
            pthread_cond_wait(&v->wake, &v->lock);
        } else if (v->attempt_ms && now < v->attempt_ms + v->refresh_ms) {
            pv_wait_until(v, v->attempt_ms + v->refresh_ms);
        } else {
            pv_refresh(v);
        }
    }
    pthread_mutex_unlock(&v->lock);
    return NULL;
}

static int pv_init_sync(struct pipeline_view *v) {
    if (clock_cond_init(&v->wake) != 0) return -1;
    if (pthread_mutex_init(&v->lock, NULL) != 0) {
        pthread_cond_destroy(&v->wake);
        return -1;
    }
    return 0;
}

struct pipeline_view *pipeline_view_new(const struct cfg *cfg, const char *client_id,
                                        const char *hops, long refresh_ms, char *errstr,
                                        size_t sz) {
    struct pipeline_hop parsed[PIPELINE_HOPS_MAX];
    char why[200];
    int n = pipeline_hops_parse(hops, parsed, PIPELINE_HOPS_MAX, why, sizeof(why));
    if (n < 0) {
        snprintf(errstr, sz, "[web] hops: %s", why);
        return NULL;
    }
    struct pipeline_view *v = calloc(1, sizeof(*v));
    if (!v || !(v->sample = pipeline_sample_new(parsed, (size_t)n)) || pv_init_sync(v) == -1) {
        snprintf(errstr, sz, "out of memory");
        if (v) pipeline_sample_free(v->sample);
        free(v);
        return NULL;
    }
    v->cfg = cfg;
    v->refresh_ms = refresh_ms;
    snprintf(v->client_id, sizeof(v->client_id), "%s", client_id);
    if ((errno = pthread_create(&v->thread, NULL, pv_run, v)) != 0) {
        snprintf(errstr, sz, "cannot start the /pipeline worker: %s", strerror(errno));
        pthread_cond_destroy(&v->wake);
        pthread_mutex_destroy(&v->lock);
        pipeline_sample_free(v->sample);
        free(v);
        return NULL;
    }
    return v;
}

void pipeline_view_close(struct pipeline_view *v) {
    if (!v) return;
    pthread_mutex_lock(&v->lock);
    int was = v->stopping;
    v->stopping = 1;
    pthread_cond_signal(&v->wake);
    pthread_mutex_unlock(&v->lock);
    if (was) return;
    pthread_join(v->thread, NULL); /* a sample in progress ends within its timeouts */
    pthread_mutex_lock(&v->lock);
    long long now = clock_now_ms();
    for (struct waiter *w = v->waiting, *next; w; w = next) {
        next = w->next;
        pv_answer(v, w->r, now);
        free(w);
    }
    v->waiting = NULL;
    pthread_mutex_unlock(&v->lock);
}

void pipeline_view_free(struct pipeline_view *v) {
    if (!v) return;
    pipeline_view_close(v);
    if (v->rk) rd_kafka_destroy(v->rk);
    pipeline_sample_free(v->sample);
    free(v->body);
    pthread_cond_destroy(&v->wake);
    pthread_mutex_destroy(&v->lock);
    free(v);
}
