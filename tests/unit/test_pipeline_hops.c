/* pipeline_hops.h: parsing pizza-service's [web] hops. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "pipeline_hops.h"

static struct pipeline_hop hops[PIPELINE_HOPS_MAX];
static char err[256];

static int parse(const char *text) {
    err[0] = '\0';
    return pipeline_hops_parse(text, hops, PIPELINE_HOPS_MAX, err, sizeof(err));
}

static void reads_hops_in_order(void **state) {
    (void)state;
    assert_int_equal(2, parse("sauce-service:pizza>pizza-with-sauce,"
                              "cheese-service:pizza-with-sauce>pizza-with-cheese"));
    assert_string_equal("sauce-service", hops[0].group);
    assert_string_equal("pizza", hops[0].input);
    assert_string_equal("pizza-with-sauce", hops[0].output);
    assert_string_equal("cheese-service", hops[1].group);
    assert_string_equal("pizza-with-cheese", hops[1].output);
}

static void spaces_around_names_are_dropped(void **state) {
    (void)state;
    assert_int_equal(2, parse("  a : b > c ,\td.e_f:g>h  "));
    assert_string_equal("a", hops[0].group);
    assert_string_equal("b", hops[0].input);
    assert_string_equal("c", hops[0].output);
    assert_string_equal("d.e_f", hops[1].group);
    assert_string_equal("h", hops[1].output);
}

static void malformed_hops_are_named(void **state) {
    (void)state;
    static const char *const bad[] = {"",        "a:b",     "a>b:c",       "a:b>c,",
                                      ":b>c",    "a:b>",    "a:b>c d",     "a:b c>d",
                                      "a:b>c;x", "a b:c>d", "a:b>c,,d:e>f"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(-1, parse(bad[i]));
        assert_non_null(strstr(err, "group:input>output"));
    }
    assert_int_equal(-1, parse("x:y>z, a:b"));
    assert_non_null(strstr(err, "hop 2"));
    assert_non_null(strstr(err, "\"a:b\""));
}

static void too_many_or_too_long_are_refused(void **state) {
    (void)state;
    char text[PIPELINE_HOPS_MAX * 8 + 16] = "";
    for (int i = 0; i <= PIPELINE_HOPS_MAX; i++)
        strcat(text, i ? ",g:i>o" : "g:i>o");
    assert_int_equal(-1, parse(text));
    assert_non_null(strstr(err, "more than"));
    char name[PIPELINE_NAME_MAX + 2];
    memset(name, 'n', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    char longer[PIPELINE_NAME_MAX + 16];
    snprintf(longer, sizeof(longer), "g:i>%s", name);
    assert_int_equal(-1, parse(longer));
    longer[strlen(longer) - 1] = '\0'; /* exactly the longest */
    assert_int_equal(1, parse(longer));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reads_hops_in_order),
        cmocka_unit_test(spaces_around_names_are_dropped),
        cmocka_unit_test(malformed_hops_are_named),
        cmocka_unit_test(too_many_or_too_long_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
