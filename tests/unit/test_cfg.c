/* cfg.h: INI parsing, typed getters, environment overrides, secret names. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg.h"

static const char sample[] = "; a service config\n"
                             "[kafka]\n"
                             "bootstrap.servers = broker-1:9092\n"
                             "acks = all\n"
                             "sasl.password = from-file\n"
                             "[http]\n"
                             "port = 5000\n"
                             "[orders]\n"
                             "max_count = 100\n"
                             "bad_number = 12abc\n"
                             "empty =\n";

static struct cfg *parse_ok(const char *text) {
    char err[256] = "";
    struct cfg *c = cfg_parse(text, err, sizeof(err));
    if (!c) fail_msg("cfg_parse failed: %s", err);
    return c;
}

static void parse_reads_sections_and_keys(void **state) {
    (void)state;
    struct cfg *c = parse_ok(sample);
    assert_string_equal(cfg_get(c, "kafka", "bootstrap.servers"), "broker-1:9092");
    assert_string_equal(cfg_get(c, "kafka", "acks"), "all");
    assert_string_equal(cfg_get(c, "http", "port"), "5000");
    assert_string_equal(cfg_get(c, "orders", "empty"), "");
    /* a key belongs to its own section only */
    assert_null(cfg_get(c, "http", "acks"));
    assert_null(cfg_get(c, "kafka", "port"));
    assert_null(cfg_get(c, "nosuch", "port"));
    cfg_free(c);
}

static void parse_syntax_error_names_the_line(void **state) {
    (void)state;
    char err[256] = "";
    assert_null(cfg_parse("[kafka]\nacks = all\nthis line has no equals sign\n", err, sizeof(err)));
    assert_non_null(strstr(err, "line 3"));

    err[0] = '\0';
    assert_null(cfg_parse("[kafka\nacks = all\n", err, sizeof(err)));
    assert_non_null(strstr(err, "line 1"));
}

static void get_str_falls_back_to_default(void **state) {
    (void)state;
    struct cfg *c = parse_ok(sample);
    assert_string_equal(cfg_get_str(c, "kafka", "acks", "1"), "all");
    assert_string_equal(cfg_get_str(c, "kafka", "linger.ms", "5"), "5");
    assert_null(cfg_get_str(c, "kafka", "linger.ms", NULL));
    /* present but empty is a value, not absence */
    assert_string_equal(cfg_get_str(c, "orders", "empty", "dflt"), "");
    cfg_free(c);
}

static void get_long_reads_range_and_default(void **state) {
    (void)state;
    struct cfg *c = parse_ok(sample);
    char err[256] = "";
    long v = -1;
    assert_int_equal(cfg_get_long(c, "http", "port", 1, 1, 65535, &v, err, sizeof(err)), 0);
    assert_int_equal(v, 5000);
    /* the bounds themselves are in range */
    assert_int_equal(cfg_get_long(c, "http", "port", 1, 5000, 5000, &v, err, sizeof(err)), 0);
    assert_int_equal(v, 5000);
    /* absent: the default, even when it is outside the range */
    assert_int_equal(cfg_get_long(c, "http", "threads", 4, 1, 64, &v, err, sizeof(err)), 0);
    assert_int_equal(v, 4);
    cfg_free(c);
}

static void expect_long_error(struct cfg *c, const char *section, const char *key, long min,
                              long max, const char *value_text) {
    char err[256] = "";
    long v = -1;
    assert_int_equal(cfg_get_long(c, section, key, 7, min, max, &v, err, sizeof(err)), -1);
    if (!strstr(err, key) || !strstr(err, section) || !strstr(err, value_text))
        fail_msg("error text \"%s\" does not name [%s] %s = %s", err, section, key, value_text);
}

static void get_long_rejects_out_of_range_and_malformed(void **state) {
    (void)state;
    struct cfg *c = parse_ok(sample);
    expect_long_error(c, "http", "port", 1, 4999, "5000");    /* above max */
    expect_long_error(c, "http", "port", 5001, 9000, "5000"); /* below min */
    expect_long_error(c, "orders", "bad_number", 0, 1000, "12abc");
    expect_long_error(c, "orders", "empty", 0, 1000, "\"\"");

    char err[256] = "";
    long v = -1;
    assert_int_equal(cfg_set(c, "orders", "huge", "99999999999999999999999"), 0);
    assert_int_equal(cfg_get_long(c, "orders", "huge", 1, 0, 100, &v, err, sizeof(err)), -1);
    assert_int_equal(cfg_set(c, "orders", "hex", "0x10"), 0);
    assert_int_equal(cfg_get_long(c, "orders", "hex", 1, 0, 100, &v, err, sizeof(err)), -1);
    assert_int_equal(cfg_set(c, "orders", "frac", "1.5"), 0);
    assert_int_equal(cfg_get_long(c, "orders", "frac", 1, 0, 100, &v, err, sizeof(err)), -1);
    /* the range is part of the message */
    assert_non_null(strstr(err, "100"));
    cfg_free(c);
}

static int count_keys(const char *key, const char *value, void *arg) {
    (void)key;
    (void)value;
    ++*(int *)arg;
    return 0;
}

static void set_adds_and_replaces(void **state) {
    (void)state;
    struct cfg *c = parse_ok(sample);
    assert_int_equal(cfg_set(c, "kafka", "acks", "1"), 0);
    assert_string_equal(cfg_get(c, "kafka", "acks"), "1");
    assert_int_equal(cfg_set(c, "kafka", "linger.ms", "5"), 0);
    assert_string_equal(cfg_get(c, "kafka", "linger.ms"), "5");
    assert_int_equal(cfg_set(c, "new", "key", "v"), 0);
    assert_string_equal(cfg_get(c, "new", "key"), "v");
    /* replaced, not duplicated: one entry per key */
    for (int i = 0; i < 40; i++) {
        char v[16];
        snprintf(v, sizeof(v), "%d", i);
        assert_int_equal(cfg_set(c, "kafka", "acks", v), 0);
    }
    assert_string_equal(cfg_get(c, "kafka", "acks"), "39");
    int count = 0;
    assert_int_equal(cfg_each(c, "kafka", count_keys, &count), 0);
    assert_int_equal(count, 4); /* bootstrap.servers, acks, sasl.password, linger.ms */
    cfg_free(c);
}

struct seen {
    char keys[8][64];
    char values[8][64];
    int n;
    int stop_at; /* return non-zero on this call (1-based), 0 = never */
};

static int collect(const char *key, const char *value, void *arg) {
    struct seen *s = arg;
    if (s->n < 8) {
        snprintf(s->keys[s->n], sizeof(s->keys[0]), "%s", key);
        snprintf(s->values[s->n], sizeof(s->values[0]), "%s", value);
    }
    s->n++;
    return s->n == s->stop_at ? 42 : 0;
}

static void each_visits_section_in_file_order(void **state) {
    (void)state;
    struct cfg *c = parse_ok(sample);
    struct seen s = {.n = 0};
    assert_int_equal(cfg_each(c, "kafka", collect, &s), 0);
    assert_int_equal(s.n, 3);
    assert_string_equal(s.keys[0], "bootstrap.servers");
    assert_string_equal(s.values[0], "broker-1:9092");
    assert_string_equal(s.keys[1], "acks");
    assert_string_equal(s.keys[2], "sasl.password");

    struct seen none = {.n = 0};
    assert_int_equal(cfg_each(c, "nosuch", collect, &none), 0);
    assert_int_equal(none.n, 0);
    cfg_free(c);
}

static void each_stops_at_first_nonzero(void **state) {
    (void)state;
    struct cfg *c = parse_ok(sample);
    struct seen s = {.n = 0, .stop_at = 2};
    assert_int_equal(cfg_each(c, "kafka", collect, &s), 42);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.keys[1], "acks");
    cfg_free(c);
}

static void env_maps_known_variables(void **state) {
    (void)state;
    struct cfg *c = parse_ok("");
    char *env[] = {"KAFKA_BOOTSTRAP_SERVERS=env-broker:9093",
                   "KAFKA_SASL_PASSWORD=hunter2",
                   "KAFKA_SECURITY_PROTOCOL=SASL_SSL",
                   "HTTP_PORT=6001",
                   "LOG_LEVEL=debug",
                   NULL};
    assert_int_equal(cfg_apply_env(c, env), 0);
    assert_string_equal(cfg_get(c, "kafka", "bootstrap.servers"), "env-broker:9093");
    assert_string_equal(cfg_get(c, "kafka", "sasl.password"), "hunter2");
    assert_string_equal(cfg_get(c, "kafka", "security.protocol"), "SASL_SSL");
    assert_string_equal(cfg_get(c, "http", "port"), "6001");
    assert_string_equal(cfg_get(c, "log", "level"), "debug");
    cfg_free(c);
}

static void env_ignores_unrelated_variables(void **state) {
    (void)state;
    struct cfg *c = parse_ok("");
    char *env[] = {"PATH=/usr/bin",
                   "HOME=/root",
                   "MY_KAFKA_HOST=x",
                   "HTTP_PORTS=1",
                   "HTTP_PORT_X=2",
                   "LOG=debug",
                   "KAFKA_=empty",
                   "NO_EQUALS_SIGN",
                   "kafka_acks=lower",
                   "HTTP=3",
                   NULL};
    assert_int_equal(cfg_apply_env(c, env), 0);
    const char *sections[] = {"kafka", "http", "log", ""};
    for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
        int n = 0;
        cfg_each(c, sections[i], count_keys, &n);
        if (n != 0) fail_msg("section [%s] got %d keys from unrelated variables", sections[i], n);
    }
    assert_null(cfg_get(c, "http", "port"));
    cfg_free(c);

    /* NULL envp is no environment */
    c = parse_ok("");
    assert_int_equal(cfg_apply_env(c, NULL), 0);
    cfg_free(c);
}

static void env_wins_over_file(void **state) {
    (void)state;
    struct cfg *c = parse_ok(sample);
    char *env[] = {"KAFKA_BOOTSTRAP_SERVERS=override:1", "HTTP_PORT=7000", NULL};
    assert_int_equal(cfg_apply_env(c, env), 0);
    assert_string_equal(cfg_get(c, "kafka", "bootstrap.servers"), "override:1");
    assert_string_equal(cfg_get(c, "http", "port"), "7000");
    assert_string_equal(cfg_get(c, "kafka", "acks"), "all"); /* untouched */
    /* an override replaces: bootstrap.servers is still one entry */
    int n = 0;
    cfg_each(c, "kafka", count_keys, &n);
    assert_int_equal(n, 3);
    cfg_free(c);
}

static void secrets_are_recognised(void **state) {
    (void)state;
    assert_int_equal(cfg_is_secret("sasl.password"), 1);
    assert_int_equal(cfg_is_secret("ssl.key.password"), 1);
    assert_int_equal(cfg_is_secret("sasl.oauthbearer.client.secret"), 1);
    assert_int_equal(cfg_is_secret("bootstrap.servers"), 0);
    assert_int_equal(cfg_is_secret("security.protocol"), 0);
    assert_int_equal(cfg_is_secret("sasl.username"), 0);
    assert_int_equal(cfg_is_secret("acks"), 0);
}

static void load_missing_file_names_the_path(void **state) {
    (void)state;
    const char *path = "/nonexistent-dir-for-pizza-tests/service.ini";
    char err[512] = "";
    assert_null(cfg_load(path, err, sizeof(err)));
    assert_non_null(strstr(err, path));
}

static char *write_temp(const char *text) {
    static char path[64];
    snprintf(path, sizeof(path), "/tmp/pizza-cfg-test-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    size_t len = strlen(text);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    close(fd);
    return path;
}

static void load_reads_file_then_environment(void **state) {
    (void)state;
    char *path = write_temp(sample);
    char err[512] = "";
    assert_int_equal(setenv("HTTP_PORT", "6123", 1), 0);
    struct cfg *c = cfg_load(path, err, sizeof(err));
    unsetenv("HTTP_PORT");
    unlink(path);
    if (!c) fail_msg("cfg_load failed: %s", err);
    assert_string_equal(cfg_get(c, "orders", "max_count"), "100");
    assert_string_equal(cfg_get(c, "http", "port"), "6123");
    cfg_free(c);
}

static void load_syntax_error_names_path_and_line(void **state) {
    (void)state;
    char *path = write_temp("[http]\nport = 1\n\ngarbage\n");
    char err[512] = "";
    struct cfg *c = cfg_load(path, err, sizeof(err));
    unlink(path);
    assert_null(c);
    assert_non_null(strstr(err, path));
    assert_non_null(strstr(err, "line 4"));
}

static void free_accepts_null(void **state) {
    (void)state;
    cfg_free(NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parse_reads_sections_and_keys),
        cmocka_unit_test(parse_syntax_error_names_the_line),
        cmocka_unit_test(get_str_falls_back_to_default),
        cmocka_unit_test(get_long_reads_range_and_default),
        cmocka_unit_test(get_long_rejects_out_of_range_and_malformed),
        cmocka_unit_test(set_adds_and_replaces),
        cmocka_unit_test(each_visits_section_in_file_order),
        cmocka_unit_test(each_stops_at_first_nonzero),
        cmocka_unit_test(env_maps_known_variables),
        cmocka_unit_test(env_ignores_unrelated_variables),
        cmocka_unit_test(env_wins_over_file),
        cmocka_unit_test(secrets_are_recognised),
        cmocka_unit_test(load_missing_file_names_the_path),
        cmocka_unit_test(load_reads_file_then_environment),
        cmocka_unit_test(load_syntax_error_names_path_and_line),
        cmocka_unit_test(free_accepts_null),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
