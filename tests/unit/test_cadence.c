/* cadence.h: when a batch is committed, and how long a read may wait. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "cadence.h"

static const struct cadence every_dry = {10000, 100, 0};
static const struct cadence spaced = {10000, 100, 20};

static void empty_batch_waits_idle(void **state) {
    (void)state;
    long wait = -1;
    const struct cadence_batch b = {0, 0, 0, 1};
    assert_int_equal(0, cadence_due(&spaced, &b, 100, &wait));
    assert_int_equal(100, wait);
}

/* Without an interval: what every daemon did before, a commit whenever the
 * input runs dry. */
static void no_interval_commits_when_dry(void **state) {
    (void)state;
    long wait = -1;
    struct cadence_batch b = {1, 0, 0, 1};
    assert_int_equal(1, cadence_due(&every_dry, &b, 100, &wait));
    b.input_dry = 0;
    assert_int_equal(0, cadence_due(&every_dry, &b, 100, &wait));
    assert_int_equal(0, wait);
}

/* A message after a quiet spell goes through at once: the interval is long
 * past, and so is a batch that never had a commit before it. */
static void lone_message_commits_at_once(void **state) {
    (void)state;
    long wait = -1;
    const struct cadence_batch after_idle = {1, 0, 5000, 1};
    assert_int_equal(1, cadence_due(&spaced, &after_idle, 100, &wait));
    const struct cadence_batch exactly_due = {1, 0, 20, 1};
    assert_int_equal(1, cadence_due(&spaced, &exactly_due, 100, &wait));
}

/* Input that keeps arriving within the interval joins the open batch: the
 * read waits for what remains of it, then the batch commits. */
static void within_interval_keeps_reading(void **state) {
    (void)state;
    long wait = -1;
    struct cadence_batch b = {3, 2, 6, 1};
    assert_int_equal(0, cadence_due(&spaced, &b, 100, &wait));
    assert_int_equal(14, wait);
    b.input_dry = 0; /* more came: take it without waiting */
    assert_int_equal(0, cadence_due(&spaced, &b, 100, &wait));
    assert_int_equal(0, wait);
    b.input_dry = 1;
    b.since_ms = 20; /* the wait ran out */
    assert_int_equal(1, cadence_due(&spaced, &b, 100, &wait));
}

/* The limits end a batch whatever the interval says, and the wait never
 * runs past the age limit. */
static void limits_win(void **state) {
    (void)state;
    long wait = -1;
    const struct cadence slow = {5, 30, 1000};
    const struct cadence_batch full = {5, 0, 0, 0};
    assert_int_equal(1, cadence_due(&slow, &full, 100, &wait));
    const struct cadence_batch old = {1, 30, 0, 0};
    assert_int_equal(1, cadence_due(&slow, &old, 100, &wait));
    const struct cadence_batch young = {1, 25, 100, 1};
    assert_int_equal(0, cadence_due(&slow, &young, 100, &wait));
    assert_int_equal(5, wait);
}

/* No age limit (pizza-service): only the interval and the size end a batch. */
static void no_age_limit(void **state) {
    (void)state;
    long wait = -1;
    const struct cadence ageless = {10000, 0, 20};
    const struct cadence_batch old = {1, 1000000, 5, 1};
    assert_int_equal(0, cadence_due(&ageless, &old, 100, &wait));
    assert_int_equal(15, wait);
}

/* A long interval is waited out in steps of the idle wait, so the loop
 * around the read still sees a stop request in time. */
static void wait_is_capped(void **state) {
    (void)state;
    long wait = -1;
    const struct cadence long_interval = {10000, 60000, 5000};
    const struct cadence_batch b = {1, 10, 10, 1};
    assert_int_equal(0, cadence_due(&long_interval, &b, 100, &wait));
    assert_int_equal(100, wait);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(empty_batch_waits_idle),
        cmocka_unit_test(no_interval_commits_when_dry),
        cmocka_unit_test(lone_message_commits_at_once),
        cmocka_unit_test(within_interval_keeps_reading),
        cmocka_unit_test(limits_win),
        cmocka_unit_test(no_age_limit),
        cmocka_unit_test(wait_is_capped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
