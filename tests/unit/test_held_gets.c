/* held_gets.c: a long-polling GET against the completion of its order.
 *
 * held_gets.c is linked alone, with the order store and the HTTP replies
 * stubbed here, so the test can complete the order (on another thread, as
 * the main loop does) at the exact moment the GET has looked at it. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "held_gets.h"

#define ORDER "0b7c2a4e-1d3f-4c55-8e6a-9f0a1b2c3d4e"

/* ---- stubs: the order store */
static atomic_int order_complete; /* what the stub store says about ORDER */
static atomic_long order_pizzas;  /* and how many pizzas it has */
static atomic_int renders;        /* orders_render calls */
static atomic_int progress_looks; /* orders_progress calls */
static void (*after_first_render)(void);

int orders_progress(struct orders *o, const char *id, struct orders_progress *progress) {
    (void)o;
    atomic_fetch_add(&progress_looks, 1);
    if (strcmp(id, ORDER) != 0) return -1;
    progress->complete = atomic_load(&order_complete);
    progress->pizzas = atomic_load(&order_pizzas);
    return 0;
}

char *orders_render(struct orders *o, const char *id, size_t *len,
                    struct orders_progress *progress) {
    (void)o;
    if (strcmp(id, ORDER) != 0) return NULL;
    int done = atomic_load(&order_complete);
    char *out = strdup(done ? "{\"status\":\"complete\"}" : "{\"status\":\"pending\"}");
    *len = strlen(out);
    if (progress) orders_progress(o, id, progress);
    if (atomic_fetch_add(&renders, 1) == 0 && after_first_render) after_first_render();
    return out;
}

/* ---- stubs: HTTP */
struct http_req {
    atomic_int status; /* 0 until answered */
    char body[64];
};

void http_reply(struct http_req *r, int status, const char *content_type, const char *body,
                size_t len) {
    (void)content_type;
    snprintf(r->body, sizeof(r->body), "%.*s", (int)len, body);
    atomic_store(&r->status, status);
}

void http_reply_error(struct http_req *r, int status, const char *fmt, ...) {
    (void)fmt;
    snprintf(r->body, sizeof(r->body), "{\"error\":\"\"}");
    atomic_store(&r->status, status);
}

long long clock_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the "main loop": stores the last pizza, then wakes the waiters */
static struct held_gets gets;
static pthread_t completer;
static atomic_int completer_done;

static void *complete_order(void *arg) {
    (void)arg;
    atomic_store(&order_complete, 1);
    held_gets_wake(&gets, NULL, ORDER, 1);
    atomic_store(&completer_done, 1);
    return NULL;
}

/* Runs between the GET's look at the order and its return: the order
 * completes now. The completer either finishes (it found nothing to wake) or
 * blocks on the wait lock the GET holds; give it time to get that far. */
static void complete_during_get(void) {
    assert_int_equal(0, pthread_create(&completer, NULL, complete_order, NULL));
    for (int i = 0; i < 200 && !atomic_load(&completer_done); i++)
        nanosleep(&(struct timespec){0, 1000000}, NULL);
}

static int setup(void **state) {
    (void)state;
    held_gets_init(&gets);
    atomic_store(&order_complete, 0);
    atomic_store(&order_pizzas, 0);
    atomic_store(&renders, 0);
    atomic_store(&progress_looks, 0);
    atomic_store(&completer_done, 0);
    after_first_render = NULL;
    return 0;
}

static int teardown(void **state) {
    (void)state;
    held_gets_close(&gets, NULL);
    held_gets_destroy(&gets);
    return 0;
}

/* The regression: the order completes right after the GET saw it pending.
 * The GET must be answered complete at once, not at its deadline. */
static void completion_right_after_the_look_wakes_the_get(void **state) {
    (void)state;
    struct http_req r = {0};
    after_first_render = complete_during_get;
    enum http_result res = held_gets_hold(&gets, NULL, &r, ORDER, 30, HELD_GETS_UNTIL_COMPLETE);
    pthread_join(completer, NULL);
    if (res == HTTP_DONE) { /* also fine: answered complete without holding */
        assert_int_equal(200, atomic_load(&r.status));
    } else {
        assert_int_equal(HTTP_ASYNC, res);
        assert_int_equal(200, atomic_load(&r.status)); /* answered by the wake, not held */
    }
    assert_string_equal("{\"status\":\"complete\"}", r.body);
    assert_int_equal(0, atomic_load(&gets.pending));
    assert_null(gets.list);
}

static void pending_order_is_held_until_woken(void **state) {
    (void)state;
    struct http_req r = {0};
    assert_int_equal(HTTP_ASYNC,
                     held_gets_hold(&gets, NULL, &r, ORDER, 30, HELD_GETS_UNTIL_COMPLETE));
    assert_int_equal(0, atomic_load(&r.status));
    assert_int_equal(1, atomic_load(&gets.pending));
    atomic_store(&order_complete, 1);
    held_gets_wake(&gets, NULL, ORDER, 1);
    assert_int_equal(200, atomic_load(&r.status));
    assert_string_equal("{\"status\":\"complete\"}", r.body);
    assert_int_equal(0, atomic_load(&gets.pending));
}

static void complete_or_unknown_answer_at_once(void **state) {
    (void)state;
    struct http_req done = {0}, unknown = {0};
    atomic_store(&order_complete, 1);
    assert_int_equal(HTTP_DONE,
                     held_gets_hold(&gets, NULL, &done, ORDER, 30, HELD_GETS_UNTIL_COMPLETE));
    assert_int_equal(200, atomic_load(&done.status));
    assert_int_equal(HTTP_DONE,
                     held_gets_hold(&gets, NULL, &unknown, "00000000-0000-4000-8000-000000000000",
                                    30, HELD_GETS_UNTIL_COMPLETE));
    assert_int_equal(404, atomic_load(&unknown.status));
    assert_int_equal(0, atomic_load(&gets.pending)); /* nothing left counted */
}

static void deadline_answers_pending(void **state) {
    (void)state;
    struct http_req r = {0};
    assert_int_equal(HTTP_ASYNC,
                     held_gets_hold(&gets, NULL, &r, ORDER, 1, HELD_GETS_UNTIL_COMPLETE));
    held_gets_expire(&gets, NULL, clock_now_ms());
    assert_int_equal(0, atomic_load(&r.status)); /* not yet */
    held_gets_expire(&gets, NULL, clock_now_ms() + 1000);
    assert_int_equal(200, atomic_load(&r.status));
    assert_string_equal("{\"status\":\"pending\"}", r.body);
    assert_int_equal(0, atomic_load(&gets.pending));
}

/* ?after=N: a pizza beyond the N the client has answers; one it has does not. */
static void after_is_answered_by_a_further_pizza(void **state) {
    (void)state;
    struct http_req r = {0}, behind = {0};
    atomic_store(&order_pizzas, 1);
    assert_int_equal(HTTP_DONE, held_gets_hold(&gets, NULL, &behind, ORDER, 30, 0));
    assert_int_equal(200, atomic_load(&behind.status)); /* it has 1 > 0 already */
    assert_int_equal(HTTP_ASYNC, held_gets_hold(&gets, NULL, &r, ORDER, 30, 2));
    atomic_store(&order_pizzas, 2);
    held_gets_wake(&gets, NULL, ORDER, 0);
    assert_int_equal(0, atomic_load(&r.status)); /* 2 is not more than 2 */
    atomic_store(&order_pizzas, 3);
    held_gets_wake(&gets, NULL, ORDER, 0);
    assert_int_equal(200, atomic_load(&r.status));
    assert_int_equal(0, atomic_load(&gets.pending));
}

/* Without after, a pizza that does not complete the order answers nothing. */
static void until_complete_ignores_progress(void **state) {
    (void)state;
    struct http_req r = {0};
    assert_int_equal(HTTP_ASYNC,
                     held_gets_hold(&gets, NULL, &r, ORDER, 30, HELD_GETS_UNTIL_COMPLETE));
    atomic_store(&order_pizzas, 5);
    int looks = atomic_load(&progress_looks);
    held_gets_wake(&gets, NULL, ORDER, 0);
    assert_int_equal(0, atomic_load(&r.status));
    /* no GET waits with after: a pizza that completes nothing costs no look */
    assert_int_equal(looks, atomic_load(&progress_looks));
    atomic_store(&order_complete, 1);
    held_gets_wake(&gets, NULL, ORDER, 1);
    assert_int_equal(200, atomic_load(&r.status));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(completion_right_after_the_look_wakes_the_get, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(pending_order_is_held_until_woken, setup, teardown),
        cmocka_unit_test_setup_teardown(complete_or_unknown_answer_at_once, setup, teardown),
        cmocka_unit_test_setup_teardown(deadline_answers_pending, setup, teardown),
        cmocka_unit_test_setup_teardown(after_is_answered_by_a_further_pizza, setup, teardown),
        cmocka_unit_test_setup_teardown(until_complete_ignores_progress, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
