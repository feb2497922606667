/* parse.h: strict parsers for untrusted URL segments. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "parse.h"

static void count_accepts_plain_decimals(void **state) {
    (void)state;
    static const struct {
        const char *text;
        long want;
    } ok[] = {{"1", 1}, {"42", 42}, {"100", 100}, {"9", 9}, {"10", 10}};
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        long out = -7;
        assert_int_equal(parse_count(ok[i].text, 100, &out), 0);
        assert_int_equal(out, ok[i].want);
    }
}

static void count_rejects_malformed_and_out_of_range(void **state) {
    (void)state;
    static const char *const bad[] = {
        "",   "0",  "-1",  "+3",  "1.5", "0x10", "abc",  "007",
        " 5", "5 ", "101", "1e2", "5\n", "10O",  "1000", "99999999999999999999999999",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        long out = -7;
        if (parse_count(bad[i], 100, &out) != -1) fail_msg("accepted \"%s\"", bad[i]);
        assert_int_equal(out, -7); /* untouched on failure */
    }
}

static void uint_takes_zero_and_plain_decimals_only(void **state) {
    (void)state;
    long out = -7;
    assert_int_equal(parse_uint("0", 30, &out), 0);
    assert_int_equal(out, 0);
    assert_int_equal(parse_uint("30", 30, &out), 0);
    assert_int_equal(out, 30);
    static const char *const bad[] = {"", "00", "01", "-0", "+1", "31", "1.0", " 1", "1s", "0x1"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        out = -7;
        if (parse_uint(bad[i], 30, &out) != -1) fail_msg("accepted \"%s\"", bad[i]);
        assert_int_equal(out, -7);
    }
    assert_int_equal(parse_uint(NULL, 30, &out), -1);
}

static void count_rejects_null(void **state) {
    (void)state;
    long out = -7;
    assert_int_equal(parse_count(NULL, 100, &out), -1);
    assert_int_equal(out, -7);
}

static void count_respects_max_exactly(void **state) {
    (void)state;
    long out = 0;
    assert_int_equal(parse_count("1", 1, &out), 0);
    assert_int_equal(out, 1);
    assert_int_equal(parse_count("2", 1, &out), -1);
    assert_int_equal(parse_count("10000", 10000, &out), 0);
    assert_int_equal(out, 10000);
    assert_int_equal(parse_count("10001", 10000, &out), -1);
}

/* The whole long range: the limit check must come before the value overflows. */
static void count_never_overflows_at_long_max(void **state) {
    (void)state;
    char text[32];
    long out = 0;
    snprintf(text, sizeof(text), "%ld", LONG_MAX);
    assert_int_equal(parse_count(text, LONG_MAX, &out), 0);
    assert_true(out == LONG_MAX);

    /* LONG_MAX + 1, and a value that wraps to a small positive number in 64 bits */
    snprintf(text, sizeof(text), "%lu", (unsigned long)LONG_MAX + 1);
    out = -7;
    assert_int_equal(parse_count(text, LONG_MAX, &out), -1);
    assert_int_equal(parse_count("18446744073709551621", LONG_MAX, &out), -1);
    assert_int_equal(parse_count("99999999999999999999999999", LONG_MAX, &out), -1);
    assert_int_equal(out, -7);
}

static void order_id_accepts_its_alphabet(void **state) {
    (void)state;
    char longest[PIZZA_ORDER_ID_MAX + 1];
    memset(longest, 'a', PIZZA_ORDER_ID_MAX);
    longest[PIZZA_ORDER_ID_MAX] = '\0';
    assert_int_equal(parse_is_order_id("3f2b8c1e-9a4d-4e7b-8f0a-1c2d3e4f5a6b"), 1);
    assert_int_equal(parse_is_order_id(longest), 1);
    assert_int_equal(parse_is_order_id("x"), 1);
    assert_int_equal(parse_is_order_id("AZaz09_-"), 1);
}

static void order_id_rejects_everything_else(void **state) {
    (void)state;
    char too_long[PIZZA_ORDER_ID_MAX + 2];
    memset(too_long, 'a', PIZZA_ORDER_ID_MAX + 1);
    too_long[PIZZA_ORDER_ID_MAX + 1] = '\0';
    static const char *const bad[] = {"",     "a/b",         "a b",  "a%20b", "\xc3\xa9",
                                      "ab.c", "../etc",      "a\nb", "a\tb",  "id?x=1",
                                      "a+b",  "caf\xc3\xa9", "a\\b", "\x7f"};
    assert_int_equal(parse_is_order_id(too_long), 0);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (parse_is_order_id(bad[i]) != 0) fail_msg("accepted \"%s\"", bad[i]);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(count_accepts_plain_decimals),
        cmocka_unit_test(count_rejects_malformed_and_out_of_range),
        cmocka_unit_test(count_rejects_null),
        cmocka_unit_test(uint_takes_zero_and_plain_decimals_only),
        cmocka_unit_test(count_respects_max_exactly),
        cmocka_unit_test(count_never_overflows_at_long_max),
        cmocka_unit_test(order_id_accepts_its_alphabet),
        cmocka_unit_test(order_id_rejects_everything_else),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
