/* trace.h: W3C traceparent parsing, formatting and span generation. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "trace.h"

#define VALID "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

static void parse_accepts_the_spec_example(void **state) {
    (void)state;
    struct trace_ctx c;
    assert_int_equal(trace_parse(VALID, strlen(VALID), &c), 0);
    assert_string_equal(c.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
    assert_string_equal(c.span_id, "00f067aa0ba902b7");
    assert_int_equal(c.flags, 1);
    char text[TRACEPARENT_LEN + 1];
    trace_format(&c, text);
    assert_string_equal(text, VALID);
}

static void parse_reads_later_versions_by_their_prefix(void **state) {
    (void)state;
    struct trace_ctx c;
    const char *v1 = "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00-extra";
    assert_int_equal(trace_parse(v1, strlen(v1), &c), 0);
    assert_int_equal(c.flags, 0);
    assert_int_equal(trace_parse(v1, TRACEPARENT_LEN, &c), 0);
}

static void parse_rejects_what_the_spec_forbids(void **state) {
    (void)state;
    static const char *const bad[] = {
        "",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",     /* short */
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-", /* 00 is exact */
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",  /* version ff */
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",  /* zero trace id */
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",  /* zero span id */
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",  /* upper case */
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0g",  /* not hex */
        "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",  /* separator */
        "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x", /* no dash after */
        "0x-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct trace_ctx c;
        if (trace_parse(bad[i], strlen(bad[i]), &c) != -1) fail_msg("accepted \"%s\"", bad[i]);
    }
    struct trace_ctx c;
    assert_int_equal(trace_parse(NULL, 0, &c), -1);
}

static void start_and_child_make_valid_distinct_ids(void **state) {
    (void)state;
    struct trace_ctx root, child, again;
    char text[TRACEPARENT_LEN + 1];
    assert_int_equal(trace_start(&root), 0);
    trace_format(&root, text);
    assert_int_equal(trace_parse(text, strlen(text), &again), 0);
    assert_string_equal(again.trace_id, root.trace_id);
    assert_int_equal(trace_child(&root, &child), 0);
    assert_string_equal(child.trace_id, root.trace_id);
    assert_string_not_equal(child.span_id, root.span_id);
    assert_int_equal(child.flags, root.flags);
    struct trace_ctx other;
    assert_int_equal(trace_start(&other), 0);
    assert_string_not_equal(other.trace_id, root.trace_id);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parse_accepts_the_spec_example),
        cmocka_unit_test(parse_reads_later_versions_by_their_prefix),
        cmocka_unit_test(parse_rejects_what_the_spec_forbids),
        cmocka_unit_test(start_and_child_make_valid_distinct_ids),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
