#include "http_deadline.h"

#include "clock.h"
#include "log.h"
#include "metrics.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* How often the watchdog looks: a deadline is enforced this much late at most. */
#define HTTP_WATCH_PERIOD_MS 250

struct http_conn {
    struct http_conn *prev, *next;
    int fd;
    _Atomic long long due_ms; /* 0: no request is due */
    int shut;                 /* the watchdog shut the socket down */
    long long timeout_ms;
};

struct http_deadlines {
    pthread_mutex_t lock; /* the list, and a closing fd against the watchdog's shutdown */
    pthread_cond_t wake;
    pthread_t thread;
    int stopping;
    long long timeout_ms;
    struct http_conn *head;
    struct metric *open_gauge, *timeouts;
};

/* Shuts down every connection past its deadline. Under the lock, so no
 * connection can close (and its fd number be reused) meanwhile. */
static void http_deadlines_enforce(struct http_deadlines *d, long long now) {
    for (struct http_conn *c = d->head; c; c = c->next) {
        long long due = atomic_load_explicit(&c->due_ms, memory_order_relaxed);
        if (c->shut || due == 0 || now < due) continue;
        /* the server's loop sees the hang-up and closes the connection */
        if (shutdown(c->fd, SHUT_RDWR) == -1 && errno != ENOTCONN)
            log_warn("http: cannot shut down a connection past its deadline: %s", strerror(errno));
        c->shut = 1;
        metric_add(d->timeouts, 1);
    }
}

static void *http_deadlines_run(void *arg) {
    struct http_deadlines *d = arg;
    pthread_mutex_lock(&d->lock);
    while (!d->stopping) {
        http_deadlines_enforce(d, clock_now_ms());
        clock_cond_wait_until(&d->wake, &d->lock, clock_now_ms() + HTTP_WATCH_PERIOD_MS);
    }
    pthread_mutex_unlock(&d->lock);
    return NULL;
}

struct http_deadlines *http_deadlines_start(unsigned request_timeout_s, char *errstr, size_t sz) {
    struct http_deadlines *d = calloc(1, sizeof(*d));
    if (!d) {
        snprintf(errstr, sz, "out of memory");
        return NULL;
    }
    d->timeout_ms = (long long)request_timeout_s * 1000;
    d->open_gauge =
        metrics_register(METRIC_GAUGE, "pizza_http_connections", "HTTP connections open now", NULL);
    d->timeouts = metrics_register(
        METRIC_COUNTER, "pizza_http_request_timeouts_total",
        "HTTP connections closed because a request did not arrive whole within request_timeout_s",
        NULL);
    if (clock_cond_init(&d->wake) != 0) {
        snprintf(errstr, sz, "cannot make the request watchdog's condition variable");
        free(d);
        return NULL;
    }
    pthread_mutex_init(&d->lock, NULL);
    int rc = pthread_create(&d->thread, NULL, http_deadlines_run, d);
    if (rc != 0) {
        snprintf(errstr, sz, "cannot start the request watchdog: %s", strerror(rc));
        pthread_cond_destroy(&d->wake);
        pthread_mutex_destroy(&d->lock);
        free(d);
        return NULL;
    }
    return d;
}

void http_deadlines_stop(struct http_deadlines *d) {
    if (!d) return;
    pthread_mutex_lock(&d->lock);
    d->stopping = 1;
    pthread_cond_signal(&d->wake);
    pthread_mutex_unlock(&d->lock);
    pthread_join(d->thread, NULL);
    pthread_cond_destroy(&d->wake);
    pthread_mutex_destroy(&d->lock);
    free(d);
}

struct http_conn *http_conn_open(struct http_deadlines *d, int fd) {
    struct http_conn *c = calloc(1, sizeof(*c));
    if (!c) return NULL;
    c->fd = fd;
    c->timeout_ms = d->timeout_ms;
    atomic_init(&c->due_ms, clock_now_ms() + d->timeout_ms);
    pthread_mutex_lock(&d->lock);
    c->next = d->head;
    if (d->head) d->head->prev = c;
    d->head = c;
    pthread_mutex_unlock(&d->lock);
    metric_add(d->open_gauge, 1);
    return c;
}

void http_conn_close(struct http_deadlines *d, struct http_conn *c) {
    if (!c) return;
    pthread_mutex_lock(&d->lock);
    if (c->prev)
        c->prev->next = c->next;
    else
        d->head = c->next;
    if (c->next) c->next->prev = c->prev;
    pthread_mutex_unlock(&d->lock);
    metric_add(d->open_gauge, -1);
    free(c);
}

void http_conn_request_started(struct http_conn *c) {
    long long none = 0;
    /* the first request is due from the accept, not from its request line */
    if (c) atomic_compare_exchange_strong(&c->due_ms, &none, clock_now_ms() + c->timeout_ms);
}

void http_conn_request_received(struct http_conn *c) {
    if (c) atomic_store(&c->due_ms, 0);
}
