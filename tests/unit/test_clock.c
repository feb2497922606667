/* clock.c: condition variables timed on the monotonic clock. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>

#include "clock.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void past_deadline_returns_at_once(void **state) {
    (void)state;
    pthread_cond_t cond;
    assert_int_equal(0, clock_cond_init(&cond));
    pthread_mutex_lock(&lock);
    long long start = clock_now_ms();
    assert_int_equal(ETIMEDOUT, clock_cond_wait_until(&cond, &lock, start - 1000));
    assert_true(clock_now_ms() - start < 100);
    pthread_mutex_unlock(&lock);
    pthread_cond_destroy(&cond);
}

static void waits_until_the_deadline(void **state) {
    (void)state;
    pthread_cond_t cond;
    assert_int_equal(0, clock_cond_init(&cond));
    pthread_mutex_lock(&lock);
    long long start = clock_now_ms();
    int rc;
    /* a spurious wake-up may end one wait early: wait again, as callers do */
    while ((rc = clock_cond_wait_until(&cond, &lock, start + 60)) == 0)
        continue;
    assert_int_equal(ETIMEDOUT, rc);
    long long waited = clock_now_ms() - start;
    assert_true(waited >= 59);
    assert_true(waited < 5000);
    pthread_mutex_unlock(&lock);
    pthread_cond_destroy(&cond);
}

static pthread_cond_t signalled;
static void *signal_soon(void *arg) {
    (void)arg;
    pthread_mutex_lock(&lock);
    pthread_cond_signal(&signalled);
    pthread_mutex_unlock(&lock);
    return NULL;
}

static void a_signal_ends_the_wait(void **state) {
    (void)state;
    pthread_t t;
    assert_int_equal(0, clock_cond_init(&signalled));
    pthread_mutex_lock(&lock);
    assert_int_equal(0, pthread_create(&t, NULL, signal_soon, NULL));
    long long start = clock_now_ms();
    assert_int_equal(0, clock_cond_wait_until(&signalled, &lock, start + 60000));
    assert_true(clock_now_ms() - start < 30000);
    pthread_mutex_unlock(&lock);
    pthread_join(t, NULL);
    pthread_cond_destroy(&signalled);
}

static void utc_has_milliseconds(void **state) {
    (void)state;
    char out[CLOCK_UTC_LEN];
    clock_format_utc(1796070600123LL, out);
    assert_string_equal("2026-11-30T20:30:00.123Z", out);
    clock_format_utc(0, out);
    assert_string_equal("1970-01-01T00:00:00.000Z", out);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(past_deadline_returns_at_once),
        cmocka_unit_test(waits_until_the_deadline),
        cmocka_unit_test(a_signal_ends_the_wait),
        cmocka_unit_test(utc_has_milliseconds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
