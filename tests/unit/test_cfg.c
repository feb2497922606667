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

static void apply_env_ok(struct cfg *c, char **env) {
    char err[256] = "";
    if (cfg_apply_env(c, env, err, sizeof(err)) != 0) fail_msg("cfg_apply_env failed: %s", err);
}

/* Applying env must fail with an error that names want and does not show value. */
static void apply_env_refused(char *var, const char *want) {
    struct cfg *c = parse_ok(sample);
    char *env[] = {var, NULL};
    char err[256] = "";
    assert_int_equal(cfg_apply_env(c, env, err, sizeof(err)), -1);
    if (!strstr(err, want)) fail_msg("\"%s\": error \"%s\" lacks \"%s\"", var, err, want);
    const char *value = strchr(var, '=') + 1;
    if (*value && strstr(err, value)) fail_msg("\"%s\": error \"%s\" shows the value", var, err);
    cfg_free(c);
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
                   "PROCESSING_GUARANTEE=at_least_once",
                   NULL};
    apply_env_ok(c, env);
    assert_string_equal(cfg_get(c, "kafka", "bootstrap.servers"), "env-broker:9093");
    assert_string_equal(cfg_get(c, "kafka", "sasl.password"), "hunter2");
    assert_string_equal(cfg_get(c, "kafka", "security.protocol"), "SASL_SSL");
    assert_string_equal(cfg_get(c, "http", "port"), "6001");
    assert_string_equal(cfg_get(c, "log", "level"), "debug");
    assert_string_equal(cfg_get(c, "pipeline", "processing.guarantee"), "at_least_once");
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
    apply_env_ok(c, env);
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
    apply_env_ok(c, NULL);
    cfg_free(c);
}

static void env_wins_over_file(void **state) {
    (void)state;
    struct cfg *c = parse_ok(sample);
    char *env[] = {"KAFKA_BOOTSTRAP_SERVERS=override:1", "HTTP_PORT=7000", NULL};
    apply_env_ok(c, env);
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
    static const char *const secret[] = {"sasl.password",
                                         "ssl.key.password",
                                         "ssl.keystore.password",
                                         "sasl.oauthbearer.client.secret",
                                         "sasl.oauthbearer.config",
                                         "ssl.key.pem",
                                         "ssl_key",
                                         "api.key",
                                         "api_secret",
                                         "access_token",
                                         "token",
                                         "SASL.PASSWORD",
                                         "db-passwd",
                                         "client.credentials",
                                         "ssl.key.passphrase",
                                         "apikey"};
    /* paths, URLs, ids and public material are worth seeing in a debug log */
    static const char *const harmless[] = {"bootstrap.servers",
                                           "security.protocol",
                                           "sasl.username",
                                           "sasl.mechanisms",
                                           "acks",
                                           "ssl.key.location",
                                           "ssl.keystore.location",
                                           "ssl.certificate.pem",
                                           "ssl.ca.pem",
                                           "ssl.ca.location",
                                           "sasl.kerberos.keytab",
                                           "sasl.oauthbearer.token.endpoint.url",
                                           "sasl.oauthbearer.client.id",
                                           "key.serializer",
                                           "max_key_bytes",
                                           "monkey",
                                           "keyring",
                                           "tokens.per.second",
                                           "transactional.id",
                                           "changelog_topic",
                                           "",
                                           "."};
    for (size_t i = 0; i < sizeof(secret) / sizeof(secret[0]); i++)
        if (cfg_is_secret(secret[i]) != 1) fail_msg("\"%s\" is a secret", secret[i]);
    for (size_t i = 0; i < sizeof(harmless) / sizeof(harmless[0]); i++)
        if (cfg_is_secret(harmless[i]) != 0) fail_msg("\"%s\" is not a secret", harmless[i]);
}

static void keys_match_with_dots_and_underscores(void **state) {
    (void)state;
    struct cfg *c = parse_ok("[pipeline]\nprocessing.guarantee = exactly_once\n"
                             "[orders]\nmax_count = 100\n");
    assert_string_equal(cfg_get(c, "pipeline", "processing_guarantee"), "exactly_once");
    assert_string_equal(cfg_get(c, "orders", "max.count"), "100");
    /* replaced in place: still one key, spelled as the file spelled it */
    assert_int_equal(cfg_set(c, "pipeline", "processing_guarantee", "at_least_once"), 0);
    struct seen s = {.n = 0};
    assert_int_equal(cfg_each(c, "pipeline", collect, &s), 0);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.keys[0], "processing.guarantee");
    assert_string_equal(s.values[0], "at_least_once");
    /* only those two characters; sections stay exact */
    assert_null(cfg_get(c, "orders", "max-count"));
    assert_null(cfg_get(c, "orders", "maxcount"));
    assert_null(cfg_get(c, "orders", "max_count_"));
    assert_null(cfg_get(c, "Orders", "max_count"));
    cfg_free(c);
}

static void env_pizza_names_set_any_section(void **state) {
    (void)state;
    struct cfg *c = parse_ok(sample);
    char *env[] = {"PIZZA_ORDERS_MAX_COUNT=50",
                   "PIZZA_STAGE_MAX_BATCH_MS=20",
                   "PIZZA_PIPELINE_PROCESSING_GUARANTEE=at_least_once",
                   "PIZZA_HTTP_MAX_BODY_BYTES=8192",
                   "PIZZA_NEWSECTION_SOME_KEY=",
                   "PIZZA_ROOT=/src", /* no key part: not a setting */
                   "PIZZA_BIN=/src/build/bin",
                   "PIZZA_=x",
                   NULL};
    apply_env_ok(c, env);
    assert_string_equal(cfg_get(c, "orders", "max_count"), "50");
    assert_string_equal(cfg_get(c, "stage", "max_batch_ms"), "20");
    assert_string_equal(cfg_get(c, "pipeline", "processing.guarantee"), "at_least_once");
    assert_string_equal(cfg_get(c, "http", "max_body_bytes"), "8192");
    assert_string_equal(cfg_get(c, "http", "port"), "5000"); /* untouched */
    assert_string_equal(cfg_get(c, "newsection", "some_key"), "");
    assert_null(cfg_get(c, "root", ""));
    int n = 0;
    cfg_each(c, "orders", count_keys, &n);
    assert_int_equal(n, 3); /* max_count replaced, not added */
    cfg_free(c);
}

static void env_pizza_names_lose_to_named_ones(void **state) {
    (void)state;
    /* whichever comes first in the environment */
    char *env1[] = {"HTTP_PORT=6001", "PIZZA_HTTP_PORT=6002", "LOG_LEVEL=warn",
                    "PIZZA_LOG_LEVEL=debug", NULL};
    char *env2[] = {"PIZZA_HTTP_PORT=6002", "HTTP_PORT=6001", "PIZZA_LOG_LEVEL=debug",
                    "LOG_LEVEL=warn", NULL};
    char **envs[] = {env1, env2};
    for (int i = 0; i < 2; i++) {
        struct cfg *c = parse_ok(sample);
        apply_env_ok(c, envs[i]);
        assert_string_equal(cfg_get(c, "http", "port"), "6001");
        assert_string_equal(cfg_get(c, "log", "level"), "warn");
        cfg_free(c);
    }
}

static void env_pizza_refuses_kafka_and_malformed_names(void **state) {
    (void)state;
    apply_env_refused("PIZZA_KAFKA_SASL_PASSWORD=hunter2", "KAFKA_<PROPERTY>");
    apply_env_refused("PIZZA_KAFKA_ACKS=1", "PIZZA_KAFKA_ACKS");
    apply_env_refused("PIZZA_KAFKACONSUMER_SESSION_TIMEOUT_MS=1", "KAFKA_<PROPERTY>");
    apply_env_refused("PIZZA__MAX_COUNT=1", "PIZZA_<SECTION>_<KEY>");
    apply_env_refused("PIZZA_ORDERS_=1", "PIZZA_<SECTION>_<KEY>");

    char long_name[400];
    memset(long_name, 'A', sizeof(long_name));
    memcpy(long_name, "PIZZA_ORDERS_", 13);
    strcpy(long_name + sizeof(long_name) - 7, "=12345");
    apply_env_refused(long_name, "too long");
    memcpy(long_name, "KAFKA_", 6);
    apply_env_refused(long_name, "too long");

    /* a refused variable leaves [kafka] as it was */
    struct cfg *c = parse_ok(sample);
    char *env[] = {"PIZZA_KAFKA_ACKS=0", NULL};
    char err[256];
    assert_int_equal(cfg_apply_env(c, env, err, sizeof(err)), -1);
    assert_string_equal(cfg_get(c, "kafka", "acks"), "all");
    cfg_free(c);
}

static void env_kafka_wins_over_role_sections(void **state) {
    (void)state;
    struct cfg *c = parse_ok("[kafka]\nacks = all\nlinger.ms = 1\n"
                             "[kafka.consumer]\nsession.timeout.ms = 6000\n"
                             "[kafka.producer]\ntransactional.id = from-file\nlinger.ms = 5\n");
    char *env[] = {"KAFKA_SESSION_TIMEOUT_MS=45000", "KAFKA_TRANSACTIONAL_ID=pizza-2",
                   "KAFKA_LINGER_MS=20", "KAFKA_CLIENT_ID=x", NULL};
    apply_env_ok(c, env);
    /* replaced where the file set it, and only there */
    assert_string_equal(cfg_get(c, "kafka.consumer", "session.timeout.ms"), "45000");
    assert_null(cfg_get(c, "kafka", "session.timeout.ms"));
    assert_null(cfg_get(c, "kafka.producer", "session.timeout.ms"));
    assert_string_equal(cfg_get(c, "kafka.producer", "transactional.id"), "pizza-2");
    assert_null(cfg_get(c, "kafka", "transactional.id"));
    assert_string_equal(cfg_get(c, "kafka", "linger.ms"), "20");
    assert_string_equal(cfg_get(c, "kafka.producer", "linger.ms"), "20");
    assert_null(cfg_get(c, "kafka.consumer", "linger.ms"));
    /* set nowhere: into [kafka] */
    assert_string_equal(cfg_get(c, "kafka", "client.id"), "x");
    assert_null(cfg_get(c, "kafka.consumer", "client.id"));
    assert_null(cfg_get(c, "kafka.producer", "client.id"));
    cfg_free(c);
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

static void load_refuses_bad_environment(void **state) {
    (void)state;
    char *path = write_temp(sample);
    char err[512] = "";
    assert_int_equal(setenv("PIZZA_KAFKA_ACKS", "0", 1), 0);
    struct cfg *c = cfg_load(path, err, sizeof(err));
    unsetenv("PIZZA_KAFKA_ACKS");
    assert_null(c);
    assert_non_null(strstr(err, "PIZZA_KAFKA_ACKS"));

    assert_int_equal(setenv("PIZZA_ORDERS_MAX_COUNT", "7", 1), 0);
    c = cfg_load(path, err, sizeof(err));
    unsetenv("PIZZA_ORDERS_MAX_COUNT");
    unlink(path);
    if (!c) fail_msg("cfg_load failed: %s", err);
    assert_string_equal(cfg_get(c, "orders", "max_count"), "7");
    cfg_free(c);
}

static void free_accepts_null(void **state) {
    (void)state;
    cfg_free(NULL);
}

/* "section key env" per entry, one line each */
static int origin_line(const char *section, const char *key, const char *env, void *arg) {
    char *out = arg;
    size_t used = strlen(out);
    snprintf(out + used, 512 - used, "%s %s %s\n", section, key, env ? env : "-");
    return strcmp(key, "stop") == 0 ? 7 : 0;
}

static void each_entry_names_the_variable_that_added_a_key(void **state) {
    (void)state;
    struct cfg *c = parse_ok("[http]\nport = 1\n[orders]\nmax_count = 2\n");
    char *env[] = {"PIZZA_ORDERS_MAX_COUNT=3", "PIZZA_STAGE_MAX_BATCH_MS=4", "HTTP_PORT=5",
                   "LOG_LEVEL=warn",           "KAFKA_LINGER_MS=6",          NULL};
    char out[512] = "";
    apply_env_ok(c, env);
    assert_int_equal(cfg_each_entry(c, origin_line, out), 0);
    /* replaced keys keep the file as their origin */
    assert_string_equal(out, "http port -\n"
                             "orders max_count -\n"
                             "stage max_batch_ms PIZZA_STAGE_MAX_BATCH_MS\n"
                             "log level LOG_LEVEL\n"
                             "kafka linger.ms KAFKA_LINGER_MS\n");
    assert_int_equal(cfg_set(c, "x", "stop", "1"), 0);
    out[0] = '\0';
    assert_int_equal(cfg_each_entry(c, origin_line, out), 7);
    cfg_free(c);
}

static void named_variables_and_kafka_sections(void **state) {
    (void)state;
    assert_string_equal(cfg_env_name("http", "port"), "HTTP_PORT");
    assert_string_equal(cfg_env_name("log", "level"), "LOG_LEVEL");
    assert_string_equal(cfg_env_name("pipeline", "processing_guarantee"), "PROCESSING_GUARANTEE");
    assert_null(cfg_env_name("http", "threads"));
    assert_null(cfg_env_name("stage", "port"));
    assert_true(cfg_is_kafka_section("kafka"));
    assert_true(cfg_is_kafka_section("kafka.producer"));
    assert_true(cfg_is_kafka_section("kafka.consumer"));
    assert_false(cfg_is_kafka_section("kafka.admin"));
    assert_false(cfg_is_kafka_section("Kafka"));
    assert_false(cfg_is_kafka_section("stage"));
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
        cmocka_unit_test(env_pizza_names_set_any_section),
        cmocka_unit_test(env_pizza_names_lose_to_named_ones),
        cmocka_unit_test(env_pizza_refuses_kafka_and_malformed_names),
        cmocka_unit_test(env_kafka_wins_over_role_sections),
        cmocka_unit_test(keys_match_with_dots_and_underscores),
        cmocka_unit_test(secrets_are_recognised),
        cmocka_unit_test(load_missing_file_names_the_path),
        cmocka_unit_test(load_reads_file_then_environment),
        cmocka_unit_test(load_syntax_error_names_path_and_line),
        cmocka_unit_test(load_refuses_bad_environment),
        cmocka_unit_test(free_accepts_null),
        cmocka_unit_test(each_entry_names_the_variable_that_added_a_key),
        cmocka_unit_test(named_variables_and_kafka_sections),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
