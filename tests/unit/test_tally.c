/* tally.h: cheese-reporter's bounded per-name counters. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tally.h"

static int setup(void **state) {
    *state = tally_new();
    return *state ? 0 : -1;
}

static int teardown(void **state) {
    tally_free(*state);
    return 0;
}

static void add_and_get(void **state) {
    struct tally *t = *state;
    assert_int_equal(tally_get(t, "extra"), 0);
    tally_add(t, "extra", 1);
    tally_add(t, "goat cheese", 2);
    tally_add(t, "extra", 1);
    tally_add(t, "", 1); /* an empty name is still a name */
    assert_int_equal(tally_get(t, "extra"), 2);
    assert_int_equal(tally_get(t, "goat cheese"), 2);
    assert_int_equal(tally_get(t, ""), 1);
    assert_int_equal(tally_get(t, "Extra"), 0);
    assert_int_equal(tally_get(t, PIZZA_TALLY_OTHER), 0);
    /* looking a name up does not add it */
    json_t *doc = tally_json(t);
    assert_int_equal(json_object_size(doc), 3);
    assert_null(json_object_get(doc, "Extra"));
    json_decref(doc);
}

static void json_lists_counts_in_first_seen_order(void **state) {
    struct tally *t = *state;
    tally_add(t, "none", 3);
    tally_add(t, "extra", 1);
    tally_add(t, "three cheese", 5);
    tally_add(t, "none", 1);
    json_t *doc = tally_json(t);
    assert_non_null(doc);
    assert_int_equal(json_object_size(doc), 3);
    assert_int_equal(json_integer_value(json_object_get(doc, "none")), 4);
    assert_int_equal(json_integer_value(json_object_get(doc, "extra")), 1);
    assert_int_equal(json_integer_value(json_object_get(doc, "three cheese")), 5);
    char *text = json_dumps(doc, JSON_COMPACT);
    assert_string_equal(text, "{\"none\":4,\"extra\":1,\"three cheese\":5}");
    free(text);
    json_decref(doc);
}

static void empty_tally_is_empty_object(void **state) {
    struct tally *t = *state;
    json_t *doc = tally_json(t);
    assert_true(json_is_object(doc));
    assert_int_equal(json_object_size(doc), 0);
    json_decref(doc);
}

static void names_beyond_the_cap_go_to_other(void **state) {
    struct tally *t = *state;
    char name[32];
    for (int i = 0; i < 2 * PIZZA_TALLY_MAX_NAMES; i++) {
        snprintf(name, sizeof(name), "cheese-%d", i);
        tally_add(t, name, 1);
    }
    json_t *doc = tally_json(t);
    assert_non_null(doc);
    /* never more than the cap, overflow bucket included */
    assert_true(json_object_size(doc) <= PIZZA_TALLY_MAX_NAMES);
    assert_true(json_object_size(doc) >= PIZZA_TALLY_MAX_NAMES / 2);
    /* nothing is lost: every add is counted somewhere */
    long long total = 0;
    const char *key;
    json_t *value;
    json_object_foreach(doc, key, value) {
        total += json_integer_value(value);
    }
    assert_int_equal(total, 2 * PIZZA_TALLY_MAX_NAMES);
    long long other = json_integer_value(json_object_get(doc, PIZZA_TALLY_OTHER));
    assert_true(other >= PIZZA_TALLY_MAX_NAMES);
    assert_int_equal(tally_get(t, PIZZA_TALLY_OTHER), other);
    json_decref(doc);

    /* early names keep their own count; the last one did not get a slot */
    assert_int_equal(tally_get(t, "cheese-0"), 1);
    snprintf(name, sizeof(name), "cheese-%d", 2 * PIZZA_TALLY_MAX_NAMES - 1);
    assert_int_equal(tally_get(t, name), 0);
    /* known names keep counting on their own after the cap is hit */
    tally_add(t, "cheese-0", 10);
    assert_int_equal(tally_get(t, "cheese-0"), 11);
    tally_add(t, name, 1);
    assert_int_equal(tally_get(t, PIZZA_TALLY_OTHER), other + 1);
}

static void overlong_names_go_to_other(void **state) {
    struct tally *t = *state;
    char longest[PIZZA_TALLY_NAME_MAX + 1], too_long[PIZZA_TALLY_NAME_MAX + 2];
    memset(longest, 'g', PIZZA_TALLY_NAME_MAX);
    longest[PIZZA_TALLY_NAME_MAX] = '\0';
    memset(too_long, 'g', PIZZA_TALLY_NAME_MAX + 1);
    too_long[PIZZA_TALLY_NAME_MAX + 1] = '\0';

    tally_add(t, longest, 1);
    tally_add(t, too_long, 2);
    tally_add(t, too_long, 3);
    assert_int_equal(tally_get(t, longest), 1);
    assert_int_equal(tally_get(t, too_long), 0);
    assert_int_equal(tally_get(t, PIZZA_TALLY_OTHER), 5);

    json_t *doc = tally_json(t);
    assert_int_equal(json_object_size(doc), 2);
    assert_int_equal(json_integer_value(json_object_get(doc, longest)), 1);
    assert_int_equal(json_integer_value(json_object_get(doc, PIZZA_TALLY_OTHER)), 5);
    assert_null(json_object_get(doc, too_long));
    json_decref(doc);
}

static void merge_adds_every_count(void **state) {
    struct tally *t = *state, *from = tally_new();
    tally_add(t, "extra", 1);
    tally_add(from, "extra", 2);
    tally_add(from, "none", 3);
    tally_merge(t, from);
    assert_int_equal(tally_get(t, "extra"), 3);
    assert_int_equal(tally_get(t, "none"), 3);
    assert_int_equal(tally_get(from, "extra"), 2); /* from is unchanged */
    tally_free(from);
}

/* Snapshots of several partitions, each within its offsets, can still add up
 * past LLONG_MAX in the report: the sum saturates instead of overflowing. */
static void sums_saturate(void **state) {
    struct tally *t = *state;
    tally_add(t, "extra", LLONG_MAX - 1);
    tally_add(t, "extra", 1);
    assert_true(tally_get(t, "extra") == LLONG_MAX);
    tally_add(t, "extra", LLONG_MAX);
    assert_true(tally_get(t, "extra") == LLONG_MAX);
    struct tally *sum = tally_new();
    tally_merge(sum, t);
    tally_merge(sum, t);
    assert_true(tally_get(sum, "extra") == LLONG_MAX);
    tally_free(sum);
}

static void free_accepts_null(void **state) {
    (void)state;
    tally_free(NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(add_and_get, setup, teardown),
        cmocka_unit_test_setup_teardown(json_lists_counts_in_first_seen_order, setup, teardown),
        cmocka_unit_test_setup_teardown(empty_tally_is_empty_object, setup, teardown),
        cmocka_unit_test_setup_teardown(names_beyond_the_cap_go_to_other, setup, teardown),
        cmocka_unit_test_setup_teardown(overlong_names_go_to_other, setup, teardown),
        cmocka_unit_test_setup_teardown(merge_adds_every_count, setup, teardown),
        cmocka_unit_test_setup_teardown(sums_saturate, setup, teardown),
        cmocka_unit_test(free_accepts_null),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
