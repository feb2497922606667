/* cfg_table.h: reading a section through its table, refusing what no table holds. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "cfg_table.h"

struct sample {
    long batch, port;
    const char *topic, *group;
    int mode;
};

static const char *const modes[] = {"fast", "safe", NULL};

static const struct cfg_setting sample_rows[] = {
    CFG_INT("max_batch", struct sample, batch, 100, 1, 1000),
    CFG_INT_VARIES("port", struct sample, port, 0, 65535, "per daemon"),
    CFG_STR("topic", struct sample, topic, "pizza"),
    CFG_STR_VARIES("group_id", struct sample, group, "the service name"),
    CFG_CHOICE_OF("delivery.mode", struct sample, mode, "safe", modes),
};
static const struct cfg_section sample_section = CFG_SECTION("sample", sample_rows);

static const struct cfg_setting other_rows[] = {
    CFG_INT("threads", struct sample, batch, 2, 1, 64),
};
static const struct cfg_section other_section = CFG_SECTION("other", other_rows);

static const struct cfg_section *const known[] = {&sample_section, &other_section};

static struct cfg *parse_ok(const char *text) {
    char err[256] = "";
    struct cfg *c = cfg_parse(text, err, sizeof(err));
    if (!c) fail_msg("cfg_parse failed: %s", err);
    return c;
}

static struct cfg *with_env(const char *text, char *var) {
    struct cfg *c = parse_ok(text);
    char *env[] = {var, NULL};
    char err[256] = "";
    if (cfg_apply_env(c, env, err, sizeof(err)) != 0) fail_msg("cfg_apply_env failed: %s", err);
    return c;
}

static void read_ok(const char *text, struct sample *out) {
    char err[256] = "";
    struct cfg *c = parse_ok(text);
    if (cfg_table_read(c, &sample_section, out, err, sizeof(err)) != 0)
        fail_msg("cfg_table_read failed: %s", err);
    cfg_free(c);
}

/* The check must refuse c, and its reason name each of want. */
static void check_refuses(struct cfg *c, const char *want1, const char *want2) {
    char err[512] = "";
    assert_int_equal(cfg_table_check(c, known, 2, err, sizeof(err)), -1);
    if (!strstr(err, want1)) fail_msg("error \"%s\" lacks \"%s\"", err, want1);
    if (want2 && !strstr(err, want2)) fail_msg("error \"%s\" lacks \"%s\"", err, want2);
    assert_null(strchr(err, '\n'));
    cfg_free(c);
}

static void check_accepts(struct cfg *c) {
    char err[512] = "";
    if (cfg_table_check(c, known, 2, err, sizeof(err)) != 0) fail_msg("refused: %s", err);
    cfg_free(c);
}

static void absent_keys_take_defaults(void **state) {
    (void)state;
    struct sample s = {.port = 5002, .group = "sauce-service"};
    read_ok("[sample]\n", &s);
    assert_int_equal(s.batch, 100);
    assert_string_equal(s.topic, "pizza");
    assert_int_equal(s.mode, 1);
    /* varying defaults are the caller's, put there before the read */
    assert_int_equal(s.port, 5002);
    assert_string_equal(s.group, "sauce-service");
}

static void present_keys_are_read(void **state) {
    (void)state;
    struct sample s = {.port = 5002, .group = "sauce-service"};
    struct cfg *c = parse_ok("[sample]\nmax_batch = 7\nport = 0\ntopic = t\ngroup_id = g\n"
                             "delivery_mode = fast\n");
    char err[256] = "";
    assert_int_equal(cfg_table_read(c, &sample_section, &s, err, sizeof(err)), 0);
    assert_int_equal(s.batch, 7);
    assert_int_equal(s.port, 0);
    assert_string_equal(s.topic, "t");
    assert_string_equal(s.group, "g");
    assert_int_equal(s.mode, 0); /* delivery_mode is delivery.mode */
    cfg_free(c);
}

static void read_refuses(const char *text, const char *want) {
    struct sample s = {0};
    char err[256] = "";
    struct cfg *c = parse_ok(text);
    assert_int_equal(cfg_table_read(c, &sample_section, &s, err, sizeof(err)), -1);
    if (!strstr(err, want)) fail_msg("\"%s\": error \"%s\" lacks \"%s\"", text, err, want);
    cfg_free(c);
}

static void bad_values_are_refused(void **state) {
    (void)state;
    read_refuses("[sample]\nmax_batch = 0\n", "[sample] max_batch = \"0\": expected an integer "
                                              "from 1 to 1000");
    read_refuses("[sample]\nmax_batch = 1001\n", "[sample] max_batch");
    read_refuses("[sample]\nmax_batch = soon\n", "[sample] max_batch");
    read_refuses("[sample]\nport = 65536\n", "[sample] port");
    read_refuses("[sample]\ndelivery.mode = quick\n",
                 "[sample] delivery.mode = \"quick\": expected fast|safe");
    read_refuses("[sample]\ndelivery.mode = FAST\n", "expected fast|safe");
}

static void find_matches_dots_and_underscores(void **state) {
    (void)state;
    assert_ptr_equal(cfg_table_find(&sample_section, "delivery_mode"), &sample_rows[4]);
    assert_ptr_equal(cfg_table_find(&sample_section, "max.batch"), &sample_rows[0]);
    assert_null(cfg_table_find(&sample_section, "max-batch"));
    assert_null(cfg_table_find(&sample_section, "Max_Batch"));
    assert_null(cfg_table_find(&sample_section, "max_batc"));
}

static void known_keys_and_kafka_sections_pass(void **state) {
    (void)state;
    check_accepts(parse_ok("[kafka]\nanything.at.all = 1\n[kafka.producer]\nlinger.ms = 5\n"
                           "[kafka.consumer]\nno.such = 1\n[sample]\nmax_batch = 5\n"
                           "delivery_mode = fast\n[other]\nthreads = 3\n"));
    check_accepts(parse_ok("")); /* nothing set: all defaults */
}

static void unknown_file_key_is_refused(void **state) {
    (void)state;
    check_refuses(parse_ok("[sample]\nmax_batch = 5\nmax_bacth = 10\n"), "[sample] max_bacth",
                  "unknown key");
    check_refuses(parse_ok("[other]\nmax_batch = 5\n"), "[other] max_batch", NULL);
}

static void unknown_file_section_is_refused(void **state) {
    (void)state;
    check_refuses(parse_ok("[smaple]\nmax_batch = 5\n"), "[smaple]", "unknown section");
    /* the sections it does read, to put it right */
    check_refuses(parse_ok("[smaple]\nmax_batch = 5\n"), "[kafka]", "[sample], [other]");
    /* librdkafka's are three; others are not passed through */
    check_refuses(parse_ok("[kafka.admin]\nx = 1\n"), "[kafka.admin]", NULL);
    check_refuses(parse_ok("[Sample]\nmax_batch = 5\n"), "[Sample]", NULL);
}

static void unknown_env_key_of_known_section_is_refused(void **state) {
    (void)state;
    check_refuses(with_env("", "PIZZA_SAMPLE_MAX_BACTH=5"), "PIZZA_SAMPLE_MAX_BACTH",
                  "[sample] has no key max_bacth");
    check_refuses(with_env("[sample]\nmax_batch = 1\n", "PIZZA_OTHER_THREAD=5"),
                  "PIZZA_OTHER_THREAD", NULL);
}

static void env_for_known_keys_or_other_sections_passes(void **state) {
    (void)state;
    check_accepts(with_env("", "PIZZA_SAMPLE_MAX_BATCH=5"));
    check_accepts(with_env("", "PIZZA_SAMPLE_DELIVERY_MODE=fast"));
    /* another daemon's section, or a name that is not a setting at all */
    check_accepts(with_env("", "PIZZA_ORDERS_MAX_COUNT=5"));
    check_accepts(with_env("", "PIZZA_DEPS_DIR=/x"));
    check_accepts(with_env("", "KAFKA_NO_SUCH_PROPERTY=1")); /* librdkafka's to refuse */
    check_accepts(with_env("", "HTTP_PORT=1"));
}

/* A variable that replaces a file's key is that key: the file's spelling decides. */
static void env_replacing_a_file_key_is_the_file_key(void **state) {
    (void)state;
    check_refuses(with_env("[sample]\nmax_bacth = 1\n", "PIZZA_SAMPLE_MAX_BACTH=5"),
                  "[sample] max_bacth: unknown key", NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(absent_keys_take_defaults),
        cmocka_unit_test(present_keys_are_read),
        cmocka_unit_test(bad_values_are_refused),
        cmocka_unit_test(find_matches_dots_and_underscores),
        cmocka_unit_test(known_keys_and_kafka_sections_pass),
        cmocka_unit_test(unknown_file_key_is_refused),
        cmocka_unit_test(unknown_file_section_is_refused),
        cmocka_unit_test(unknown_env_key_of_known_section_is_refused),
        cmocka_unit_test(env_for_known_keys_or_other_sections_passes),
        cmocka_unit_test(env_replacing_a_file_key_is_the_file_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
