/* metrics.h: process-wide counters, gauges and histograms, Prometheus text rendering.
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

/* A histogram family's samples are name_bucket, name_sum and name_count. */
static int sample_of_family(const char *sample, size_t n, const char *family) {
    static const char *const suffixes[] = {"", "_bucket", "_sum", "_count"};
    size_t flen = strlen(family);
    if (n < flen || strncmp(sample, family, flen) != 0) return 0;
    for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++)
        if (n - flen == strlen(suffixes[i]) && strncmp(sample + flen, suffixes[i], n - flen) == 0)
            return 1;
    return 0;
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
            if (n >= len || !sample_of_family(p, (size_t)n, family))
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

static const double t7_bounds[] = {0.005, 0.1, 1, 2.5};

static void histogram_renders_cumulative_buckets_sum_and_count(void **state) {
    (void)state;
    struct histogram *h =
        metrics_histogram("t7_seconds", "T7 latency.", "topic=\"pizza\"", t7_bounds, 4);
    assert_non_null(h);
    histogram_observe(h, 0.005); /* le is inclusive: lands in 0.005 */
    histogram_observe(h, 0.05);
    histogram_observe(h, 0.1);
    histogram_observe(h, 2);
    histogram_observe(h, 100); /* only +Inf */
    histogram_observe(h, -3);  /* clock skew counts as 0 */
    assert_int_equal(histogram_count(h), 6);

    char *text = render();
    assert_families_grouped(text);
    const char *want = "# HELP t7_seconds T7 latency.\n"
                       "# TYPE t7_seconds histogram\n"
                       "t7_seconds_bucket{topic=\"pizza\",le=\"0.005\"} 2\n"
                       "t7_seconds_bucket{topic=\"pizza\",le=\"0.1\"} 4\n"
                       "t7_seconds_bucket{topic=\"pizza\",le=\"1\"} 4\n"
                       "t7_seconds_bucket{topic=\"pizza\",le=\"2.5\"} 5\n"
                       "t7_seconds_bucket{topic=\"pizza\",le=\"+Inf\"} 6\n"
                       "t7_seconds_sum{topic=\"pizza\"} 102.155\n"
                       "t7_seconds_count{topic=\"pizza\"} 6\n";
    const char *at = strstr(text, "# HELP t7_seconds ");
    assert_non_null(at);
    assert_int_equal(strncmp(at, want, strlen(want)), 0);
    free(text);
}

static void histogram_without_labels_and_grouped_series(void **state) {
    (void)state;
    static const double bounds[] = {0.25};
    struct histogram *bare = metrics_histogram("t8_seconds", "T8.", NULL, bounds, 1);
    struct metric *between = metrics_register(METRIC_GAUGE, "t8_other", "Other.", NULL);
    struct histogram *labelled = metrics_histogram("t8_seconds", "T8.", "k=\"v\"", bounds, 1);
    assert_non_null(bare);
    assert_non_null(between);
    assert_non_null(labelled);
    histogram_observe_n(labelled, 0.2, 3);
    assert_int_equal(histogram_count(labelled), 3);
    assert_int_equal(histogram_count(bare), 0);

    char *text = render();
    assert_families_grouped(text);
    const char *want = "# TYPE t8_seconds histogram\n"
                       "t8_seconds_bucket{le=\"0.25\"} 0\n"
                       "t8_seconds_bucket{le=\"+Inf\"} 0\n"
                       "t8_seconds_sum 0\n"
                       "t8_seconds_count 0\n"
                       "t8_seconds_bucket{k=\"v\",le=\"0.25\"} 3\n"
                       "t8_seconds_bucket{k=\"v\",le=\"+Inf\"} 3\n"
                       "t8_seconds_sum{k=\"v\"} 0.6\n"
                       "t8_seconds_count{k=\"v\"} 3\n";
    const char *at = strstr(text, "# TYPE t8_seconds ");
    assert_non_null(at);
    assert_int_equal(strncmp(at, want, strlen(want)), 0);
    free(text);
}

static void histogram_same_name_and_labels_is_same(void **state) {
    (void)state;
    struct histogram *a = metrics_histogram("t9_seconds", "T9.", "x=\"1\"", t7_bounds, 4);
    struct histogram *b = metrics_histogram("t9_seconds", "T9.", "x=\"1\"", t7_bounds, 2);
    struct histogram *c = metrics_histogram("t9_seconds", "T9.", "x=\"2\"", t7_bounds, 4);
    assert_non_null(a);
    assert_ptr_equal(a, b);
    assert_ptr_not_equal(a, c);
    histogram_observe(b, 1);
    assert_int_equal(histogram_count(a), 1);
    assert_int_equal(histogram_count(c), 0);
}

static void histogram_rejects_bad_bounds_and_type_clash(void **state) {
    (void)state;
    static const double unsorted[] = {1, 0.5};
    static const double dup[] = {1, 1};
    assert_null(metrics_histogram("t10_a_seconds", "A.", NULL, unsorted, 2));
    assert_null(metrics_histogram("t10_b_seconds", "B.", NULL, dup, 2));
    assert_non_null(metrics_register(METRIC_COUNTER, "t10_total", "C.", NULL));
    assert_null(metrics_histogram("t10_total", "C.", "k=\"v\"", t7_bounds, 4));
    assert_non_null(metrics_histogram("t10_c_seconds", "H.", NULL, t7_bounds, 4));
    assert_null(metrics_register(METRIC_GAUGE, "t10_c_seconds", "H.", "k=\"v\""));
    char *text = render();
    assert_null(strstr(text, "t10_a_seconds"));
    assert_int_equal(count_lines(text, "# TYPE t10_total counter"), 1);
    free(text);
}

static void histogram_null_is_ignored(void **state) {
    (void)state;
    histogram_observe(NULL, 1);
    histogram_observe_n(NULL, 1, 5);
    assert_int_equal(histogram_count(NULL), 0);
}

static void latency_bounds_are_ascending_1ms_to_60s(void **state) {
    (void)state;
    assert_true(METRICS_LATENCY_BOUNDS_N >= 2);
    assert_true(METRICS_LATENCY_BOUNDS[0] == 0.001);
    assert_true(METRICS_LATENCY_BOUNDS[METRICS_LATENCY_BOUNDS_N - 1] == 60);
    for (size_t i = 1; i < METRICS_LATENCY_BOUNDS_N; i++)
        assert_true(METRICS_LATENCY_BOUNDS[i - 1] < METRICS_LATENCY_BOUNDS[i]);
    struct histogram *h = metrics_histogram("t11_seconds", "T11.", NULL, METRICS_LATENCY_BOUNDS,
                                            METRICS_LATENCY_BOUNDS_N);
    histogram_observe(h, 0.0025);
    char *text = render();
    assert_int_equal(count_lines(text, "t11_seconds_bucket{le=\"0.001\"} 0"), 1);
    assert_int_equal(count_lines(text, "t11_seconds_bucket{le=\"0.0025\"} 1"), 1);
    assert_int_equal(count_lines(text, "t11_seconds_bucket{le=\"60\"} 1"), 1);
    assert_int_equal(count_lines(text, "t11_seconds_sum 0.0025"), 1);
    free(text);
}

static void *observer(void *arg) {
    for (int i = 0; i < N_ADDS; i++)
        histogram_observe(arg, (i % 2) ? 0.5 : 0.001);
    return NULL;
}

static void concurrent_observations_are_not_lost(void **state) {
    (void)state;
    struct histogram *h = metrics_histogram("t12_seconds", "T12.", NULL, t7_bounds, 4);
    pthread_t th[N_THREADS];
    for (int i = 0; i < N_THREADS; i++)
        assert_int_equal(pthread_create(&th[i], NULL, observer, h), 0);
    for (int i = 0; i < N_THREADS; i++)
        pthread_join(th[i], NULL);
    assert_int_equal(histogram_count(h), N_THREADS * N_ADDS);
    char line[128];
    snprintf(line, sizeof(line), "t12_seconds_bucket{le=\"0.005\"} %d", N_THREADS * N_ADDS / 2);
    char *text = render();
    assert_int_equal(count_lines(text, line), 1);
    /* N_THREADS * N_ADDS/2 * (0.5 + 0.001) seconds, exactly */
    assert_int_equal(count_lines(text, "t12_seconds_sum 100200"), 1);
    free(text);
}

static void hidden_series_is_left_out_until_set(void **state) {
    (void)state;
    struct metric *g = metrics_register(METRIC_GAUGE, "t13_lag", "Lag.", "partition=\"0\"");
    metric_set(g, 5);
    metric_hide(g);
    metric_hide(NULL);
    char *hidden = render();
    assert_int_equal(count_lines(hidden, "# TYPE t13_lag gauge"), 1);
    assert_null(strstr(hidden, "t13_lag{"));
    metric_set(g, 0);
    char *shown = render();
    assert_int_equal(count_lines(shown, "t13_lag{partition=\"0\"} 0"), 1);
    free(hidden);
    free(shown);
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
        cmocka_unit_test(histogram_renders_cumulative_buckets_sum_and_count),
        cmocka_unit_test(histogram_without_labels_and_grouped_series),
        cmocka_unit_test(histogram_same_name_and_labels_is_same),
        cmocka_unit_test(histogram_rejects_bad_bounds_and_type_clash),
        cmocka_unit_test(histogram_null_is_ignored),
        cmocka_unit_test(latency_bounds_are_ascending_1ms_to_60s),
        cmocka_unit_test(concurrent_observations_are_not_lost),
        cmocka_unit_test(hidden_series_is_left_out_until_set),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
