/* ratelimit.h: pizza-service's per-address POST token buckets. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "ratelimit.h"

static const unsigned char ip_a[4] = {127, 0, 0, 2}, ip_b[4] = {127, 0, 0, 3};

static void burst_then_rate(void **state) {
    (void)state;
    struct ratelimit *rl = ratelimit_new(2, 5, 64); /* 2/s, burst 5 */
    assert_non_null(rl);
    for (int i = 0; i < 5; i++)
        assert_int_equal(0, ratelimit_take(rl, ip_a, 4, 1000));
    assert_int_equal(1, ratelimit_take(rl, ip_a, 4, 1000)); /* a token in 0.5 s: wait 1 s */
    assert_int_equal(1, ratelimit_take(rl, ip_a, 4, 1400));
    assert_int_equal(0, ratelimit_take(rl, ip_a, 4, 1500)); /* one token refilled */
    assert_int_equal(1, ratelimit_take(rl, ip_a, 4, 1500));
    /* a long pause refills up to the burst, not beyond */
    for (int i = 0; i < 5; i++)
        assert_int_equal(0, ratelimit_take(rl, ip_a, 4, 100000));
    assert_int_equal(1, ratelimit_take(rl, ip_a, 4, 100000));
    ratelimit_free(rl);
}

static void retry_after_rounds_up(void **state) {
    (void)state;
    struct ratelimit *rl = ratelimit_new(0.25, 1, 64); /* one per 4 s */
    assert_int_equal(0, ratelimit_take(rl, ip_a, 4, 0));
    assert_int_equal(4, ratelimit_take(rl, ip_a, 4, 0));
    assert_int_equal(3, ratelimit_take(rl, ip_a, 4, 1500)); /* 2.5 s left */
    ratelimit_free(rl);
}

static void addresses_are_independent(void **state) {
    (void)state;
    struct ratelimit *rl = ratelimit_new(1, 2, 64);
    assert_int_equal(0, ratelimit_take(rl, ip_a, 4, 0));
    assert_int_equal(0, ratelimit_take(rl, ip_a, 4, 0));
    assert_int_not_equal(0, ratelimit_take(rl, ip_a, 4, 0));
    assert_int_equal(0, ratelimit_take(rl, ip_b, 4, 0));
    assert_int_equal(0, ratelimit_take(rl, ip_b, 4, 0));
    assert_int_not_equal(0, ratelimit_take(rl, ip_b, 4, 0));
    ratelimit_free(rl);
}

/* 100,000 addresses through 64 slots: the table never grows, every new
 * address gets its burst, and one that keeps coming back stays limited
 * while the others are idle enough to give way. */
static void table_is_bounded(void **state) {
    (void)state;
    struct ratelimit *rl = ratelimit_new(1, 3, 64);
    unsigned char ip[16] = {0x20, 0x01};
    for (uint32_t i = 0; i < 100000; i++) {
        memcpy(ip + 12, &i, 4);
        assert_int_equal(0, ratelimit_take(rl, ip, 16, 1000));
        assert_true(ratelimit_used(rl) <= 64);
    }
    assert_int_equal(64, ratelimit_used(rl));
    ratelimit_free(rl);
}

/* Idle buckets (refilled) give way, then the least recently used: a client
 * being limited is not forgotten (and handed a new burst) while others come
 * and go. One probe window: every key competes for the same 8 slots. */
static void idle_buckets_are_evicted_first(void **state) {
    (void)state;
    struct ratelimit *rl = ratelimit_new(1, 2, 8);
    unsigned char ip[4] = {10, 0, 0, 0};
    for (int i = 1; i <= 7; i++) { /* seven fill the window, then go idle */
        ip[3] = (unsigned char)i;
        assert_int_equal(0, ratelimit_take(rl, ip, 4, 0));
    }
    assert_int_equal(0, ratelimit_take(rl, ip_a, 4, 10000));
    assert_int_equal(0, ratelimit_take(rl, ip_a, 4, 10000)); /* a's bucket is empty */
    long long now = 10000;
    for (int i = 1; i <= 50; i++) { /* newcomers, while a keeps trying */
        now += 5;
        ip[2] = 1;
        ip[3] = (unsigned char)i;
        assert_int_equal(0, ratelimit_take(rl, ip, 4, now));
        assert_int_not_equal(0, ratelimit_take(rl, ip_a, 4, now));
    }
    assert_int_equal(8, ratelimit_used(rl));
    ratelimit_free(rl);
}

/* A client that floods is still limited while another client's slots churn. */
static void flooding_client_stays_limited(void **state) {
    (void)state;
    struct ratelimit *rl = ratelimit_new(1, 2, 8);
    unsigned char ip[4] = {10, 0, 0, 0};
    long long now = 0;
    assert_int_equal(0, ratelimit_take(rl, ip_a, 4, now));
    assert_int_equal(0, ratelimit_take(rl, ip_a, 4, now));
    long refused = 0;
    for (int i = 0; i < 200; i++) {
        now += 10;
        ip[3] = (unsigned char)i; /* a new address every 10 ms, each used once */
        assert_int_equal(0, ratelimit_take(rl, ip, 4, now));
        refused += ratelimit_take(rl, ip_a, 4, now) != 0;
    }
    /* 2 s at 1/s: a gets two more, the other 198 are refused */
    assert_true(refused >= 197);
    ratelimit_free(rl);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(burst_then_rate),
        cmocka_unit_test(retry_after_rounds_up),
        cmocka_unit_test(addresses_are_independent),
        cmocka_unit_test(table_is_bounded),
        cmocka_unit_test(idle_buckets_are_evicted_first),
        cmocka_unit_test(flooding_client_stays_limited),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
