/* metrics.h: process-wide counters and gauges, Prometheus text rendering.
 * The registry is global and never emptied, so every test uses its own names. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

static void register_returns_zeroed_metrics(void **state) {
    (void)state;
    struct metric *c = metrics_register(METRIC_COUNTER, "t1_requests_total", "Requests.", NULL);
    struct metric *g = metrics_register(METRIC_GAUGE, "t1_in_flight", "In flight.", NULL);
    assert_non_null(c);
    assert_non_null(g);
    assert_ptr_not_equal(c, g);
    assert_int_equal(metric_value(c), 0);
    assert_int_equal(metric_value(g), 0);
}

static void same_name_and_labels_is_same_metric(void **state) {
    (void)state;
    struct metric *a = metrics_register(METRIC_COUNTER, "t2_total", "T2.", "topic=\"pizza\"");
    struct metric *b = metrics_register(METRIC_COUNTER, "t2_total", "T2.", "topic=\"pizza\"");
    struct metric *other = metrics_register(METRIC_COUNTER, "t2_total", "T2.", "topic=\"sauce\"");
    struct metric *bare = metrics_register(METRIC_COUNTER, "t2_total", "T2.", NULL);
    struct metric *empty = metrics_register(METRIC_COUNTER, "t2_total", "T2.", "");
    assert_ptr_equal(a, b);
    assert_ptr_not_equal(a, other);
    assert_ptr_not_equal(a, bare);
    assert_ptr_equal(bare, empty); /* no labels either way */
    metric_add(a, 3);
    assert_int_equal(metric_value(b), 3);
    assert_int_equal(metric_value(other), 0);
}

static void add_and_set_change_the_value(void **state) {
    (void)state;
    struct metric *c = metrics_register(METRIC_COUNTER, "t3_total", "T3.", NULL);
    metric_add(c, 5);
    metric_add(c, 1);
    assert_int_equal(metric_value(c), 6);

    struct metric *g = metrics_register(METRIC_GAUGE, "t3_level", "T3 level.", NULL);
    metric_set(g, 42);
    assert_int_equal(metric_value(g), 42);
    metric_add(g, -50);
    assert_true(metric_value(g) == -8);
    metric_set(g, 7);
    assert_int_equal(metric_value(g), 7);
}

static void null_metric_is_ignored(void **state) {
    (void)state;
    metric_add(NULL, 1);
    metric_set(NULL, 1);
    assert_int_equal(metric_value(NULL), 0);
}

#define N_THREADS 4
#define N_ADDS 100000

static void *adder(void *arg) {
    for (int i = 0; i < N_ADDS; i++)
        metric_add(arg, 1);
    return NULL;
}

static void concurrent_adds_are_not_lost(void **state) {
    (void)state;
    struct metric *c = metrics_register(METRIC_COUNTER, "t4_total", "T4.", NULL);
    pthread_t th[N_THREADS];
    for (int i = 0; i < N_THREADS; i++)
        assert_int_equal(pthread_create(&th[i], NULL, adder, c), 0);
    for (int i = 0; i < N_THREADS; i++)
        pthread_join(th[i], NULL);
    assert_int_equal(metric_value(c), N_THREADS * N_ADDS);
}

static char *render(void) {
    size_t len = 0;
    char *text = metrics_render(&len);
    assert_non_null(text);
    assert_int_equal(len, strlen(text));
    return text;
}

static int count_lines(const char *text, const char *line) {
    int n = 0;
    size_t len = strlen(line);
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
        if (strncmp(p, line, len) == 0 && p[len] == '\n') n++;
    return n;
}

/* Checks that every sample line belongs to the family of the TYPE line above
 * it, that HELP precedes TYPE, and that no family is declared twice. */
static void assert_families_grouped(const char *text) {
    char family[128] = "", declared[64][128];
    int n_declared = 0;
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        if (!nl) fail_msg("unterminated last line");
        int len = (int)(nl - p);
        char name[128];
        if (strncmp(p, "# HELP ", 7) == 0) {
            const char *type = nl + 1;
            if (sscanf(p + 7, "%127s", name) != 1) fail_msg("bad HELP line");
            if (strncmp(type, "# TYPE ", 7) != 0 || strncmp(type + 7, name, strlen(name)) != 0)
                fail_msg("HELP %s is not followed by its TYPE", name);
        } else if (strncmp(p, "# TYPE ", 7) == 0) {
            if (sscanf(p + 7, "%127s", family) != 1) fail_msg("bad TYPE line");
            for (int i = 0; i < n_declared; i++)
                if (strcmp(declared[i], family) == 0) fail_msg("family %s declared twice", family);
            assert_true(n_declared < 64);
            snprintf(declared[n_declared++], sizeof(declared[0]), "%s", family);
        } else {
            int n = (int)strcspn(p, "{ ");
            if (n >= len || (size_t)n != strlen(family) || strncmp(p, family, (size_t)n) != 0)
                fail_msg("sample \"%.*s\" is outside family %s", len, p, family);
        }
        p = nl + 1;
    }
}

static void render_groups_interleaved_families(void **state) {
    (void)state;
    struct metric *a1 = metrics_register(METRIC_COUNTER, "t5_a_total", "A help.", "k=\"1\"");
    struct metric *b = metrics_register(METRIC_GAUGE, "t5_b", "B help.", NULL);
    struct metric *a2 = metrics_register(METRIC_COUNTER, "t5_a_total", "A help.", "k=\"2\"");
    struct metric *c = metrics_register(METRIC_GAUGE, "t5_c", "C help.", "x=\"y\"");
    struct metric *a3 = metrics_register(METRIC_COUNTER, "t5_a_total", "A help.", NULL);
    metric_add(a1, 11);
    metric_add(a2, 22);
    metric_add(a3, 33);
    metric_set(b, -4);
    metric_set(c, 9);

    char *text = render();
    assert_families_grouped(text);
    assert_int_equal(count_lines(text, "# HELP t5_a_total A help."), 1);
    assert_int_equal(count_lines(text, "# TYPE t5_a_total counter"), 1);
    assert_int_equal(count_lines(text, "# HELP t5_b B help."), 1);
    assert_int_equal(count_lines(text, "# TYPE t5_b gauge"), 1);
    assert_int_equal(count_lines(text, "# TYPE t5_c gauge"), 1);
    assert_int_equal(count_lines(text, "t5_a_total{k=\"1\"} 11"), 1);
    assert_int_equal(count_lines(text, "t5_a_total{k=\"2\"} 22"), 1);
    assert_int_equal(count_lines(text, "t5_a_total 33"), 1);
    assert_int_equal(count_lines(text, "t5_b -4"), 1);
    assert_int_equal(count_lines(text, "t5_c{x=\"y\"} 9"), 1);

    /* the three series of t5_a_total are adjacent, right under the TYPE line */
    const char *type = strstr(text, "# TYPE t5_a_total counter\n");
    assert_non_null(type);
    const char *s1 = strchr(type, '\n') + 1;
    const char *s2 = strchr(s1, '\n') + 1;
    const char *s3 = strchr(s2, '\n') + 1;
    assert_int_equal(strncmp(s1, "t5_a_total", 10), 0);
    assert_int_equal(strncmp(s2, "t5_a_total", 10), 0);
    assert_int_equal(strncmp(s3, "t5_a_total", 10), 0);
    free(text);
}

static void render_reflects_current_values(void **state) {
    (void)state;
    struct metric *g = metrics_register(METRIC_GAUGE, "t6_depth", "Depth.", NULL);
    metric_set(g, 1);
    char *before = render();
    metric_set(g, 123456789012LL);
    char *after = render();
    assert_int_equal(count_lines(before, "t6_depth 1"), 1);
    assert_int_equal(count_lines(after, "t6_depth 123456789012"), 1);
    assert_int_equal(count_lines(after, "t6_depth 1"), 0);
    free(before);
    free(after);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(register_returns_zeroed_metrics),
        cmocka_unit_test(same_name_and_labels_is_same_metric),
        cmocka_unit_test(add_and_set_change_the_value),
        cmocka_unit_test(null_metric_is_ignored),
        cmocka_unit_test(concurrent_adds_are_not_lost),
        cmocka_unit_test(render_groups_interleaved_families),
        cmocka_unit_test(render_reflects_current_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
