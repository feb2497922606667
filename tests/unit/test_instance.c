/* instance.h: which instance id a daemon takes, what it refuses, and the
 * default transactional.id made from it. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "instance.h"

static void configured_wins_over_the_host_name(void **state) {
    (void)state;
    char id[INSTANCE_ID_MAX + 1], why[256];
    assert_int_equal(instance_id_pick("sauce-2", "host-a", id, why, sizeof(why)),
                     INSTANCE_CONFIGURED);
    assert_string_equal(id, "sauce-2");
    assert_int_equal(instance_id_pick(NULL, "sauce-service-0", id, why, sizeof(why)),
                     INSTANCE_HOSTNAME);
    assert_string_equal(id, "sauce-service-0");
    /* a container id, as compose gives each replica */
    assert_int_equal(instance_id_pick(NULL, "3f2a9c1b0d4e", id, why, sizeof(why)),
                     INSTANCE_HOSTNAME);
}

static void refuses_what_cannot_name_an_instance(void **state) {
    (void)state;
    char id[INSTANCE_ID_MAX + 1] = "x", why[256];
    assert_int_equal(instance_id_pick("", "host-a", id, why, sizeof(why)), -1);
    assert_string_equal(id, "");
    assert_non_null(strstr(why, "[service] instance_id"));
    assert_int_equal(instance_id_pick("a b", NULL, id, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "character 2"));
    assert_int_equal(instance_id_pick("a\"b", NULL, id, why, sizeof(why)), -1);
    assert_int_equal(instance_id_pick("a/b", NULL, id, why, sizeof(why)), -1);
    /* no host name: says what to set instead */
    assert_int_equal(instance_id_pick(NULL, "", id, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "PIZZA_SERVICE_INSTANCE_ID"));
    assert_int_equal(instance_id_pick(NULL, NULL, id, why, sizeof(why)), -1);
}

static void bounds_the_length(void **state) {
    (void)state;
    char id[INSTANCE_ID_MAX + 1], why[256], longest[INSTANCE_ID_MAX + 2];
    memset(longest, 'a', INSTANCE_ID_MAX);
    longest[INSTANCE_ID_MAX] = '\0';
    assert_int_equal(instance_id_pick(longest, NULL, id, why, sizeof(why)), INSTANCE_CONFIGURED);
    assert_string_equal(id, longest);
    longest[INSTANCE_ID_MAX] = 'a';
    longest[INSTANCE_ID_MAX + 1] = '\0';
    assert_int_equal(instance_id_pick(NULL, longest, id, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "1 to 64 characters"));
}

static void makes_the_default_transactional_id(void **state) {
    (void)state;
    char tid[INSTANCE_TXN_ID_MAX], small[8];
    assert_int_equal(instance_txn_id("sauce-service", "sauce-2", tid, sizeof(tid)), 0);
    assert_string_equal(tid, "sauce-service-sauce-2");
    assert_int_equal(instance_txn_id("sauce-service", "2", small, sizeof(small)), -1);
    /* the longest id fits with every daemon's name */
    char longest[INSTANCE_ID_MAX + 1];
    memset(longest, 'a', INSTANCE_ID_MAX);
    longest[INSTANCE_ID_MAX] = '\0';
    assert_int_equal(instance_txn_id("cheese-reporter", longest, tid, sizeof(tid)), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(configured_wins_over_the_host_name),
        cmocka_unit_test(refuses_what_cannot_name_an_instance),
        cmocka_unit_test(bounds_the_length),
        cmocka_unit_test(makes_the_default_transactional_id),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
