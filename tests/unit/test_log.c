/* log.h: level names and the one-JSON-object-per-line format on stderr. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

/* --- capturing fd 2 ------------------------------------------------------ */

static int saved_stderr = -1;
static FILE *capture_file;

static void capture_start(void) {
    fflush(stderr);
    capture_file = tmpfile();
    assert_non_null(capture_file);
    saved_stderr = dup(STDERR_FILENO);
    assert_true(saved_stderr >= 0);
    assert_int_equal(dup2(fileno(capture_file), STDERR_FILENO), STDERR_FILENO);
}

/* @returns everything written to fd 2 since capture_start (caller frees). */
static char *capture_end(void) {
    assert_int_equal(dup2(saved_stderr, STDERR_FILENO), STDERR_FILENO);
    close(saved_stderr);
    saved_stderr = -1;
    /* log_at writes with write(2), so the FILE position knows nothing: seek the fd */
    assert_int_equal(fseek(capture_file, 0, SEEK_END), 0);
    long size = ftell(capture_file);
    assert_true(size >= 0);
    char *text = calloc(1, (size_t)size + 1);
    assert_non_null(text);
    rewind(capture_file);
    assert_int_equal(fread(text, 1, (size_t)size, capture_file), (size_t)size);
    fclose(capture_file);
    capture_file = NULL;
    return text;
}

/* Checks text is exactly one line holding one JSON object; returns it. */
static json_t *one_json_line(const char *text) {
    size_t len = strlen(text);
    if (len == 0 || text[len - 1] != '\n') fail_msg("not one terminated line: \"%s\"", text);
    if (memchr(text, '\n', len - 1)) fail_msg("more than one line: \"%s\"", text);
    json_error_t jerr;
    json_t *doc = json_loadb(text, len - 1, JSON_REJECT_DUPLICATES, &jerr);
    if (!doc) fail_msg("not JSON (%s at %d): %s", jerr.text, jerr.position, text);
    if (!json_is_object(doc)) fail_msg("not an object: %s", text);
    return doc;
}

static const char *str_field(json_t *doc, const char *name) {
    const char *s = json_string_value(json_object_get(doc, name));
    if (!s) fail_msg("no string field \"%s\"", name);
    return s;
}

static int setup(void **state) {
    (void)state;
    log_init("test-svc", LOG_DEBUG);
    return 0;
}

/* --- level names ---------------------------------------------------------- */

static void level_parse_accepts_the_four_names(void **state) {
    (void)state;
    static const struct {
        const char *name;
        enum log_level level;
    } ok[] = {{"debug", LOG_DEBUG}, {"info", LOG_INFO}, {"warn", LOG_WARN}, {"error", LOG_ERROR}};
    for (size_t i = 0; i < 4; i++) {
        enum log_level out = (enum log_level)99;
        assert_int_equal(log_level_parse(ok[i].name, &out), 0);
        assert_int_equal(out, ok[i].level);
    }
}

static void level_parse_rejects_others(void **state) {
    (void)state;
    static const char *const bad[] = {"",      "DEBUG", "Info",  "warning", "err",
                                      "info ", " warn", "trace", "fatal",   "3"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        enum log_level out = (enum log_level)99;
        if (log_level_parse(bad[i], &out) != -1) fail_msg("accepted \"%s\"", bad[i]);
        assert_int_equal(out, 99);
    }
}

/* --- line format ---------------------------------------------------------- */

static void line_has_the_standard_fields(void **state) {
    (void)state;
    capture_start();
    log_at(LOG_WARN, NULL, "plain %s %d", "message", 7);
    char *text = capture_end();
    json_t *doc = one_json_line(text);
    assert_string_equal(str_field(doc, "msg"), "plain message 7");
    assert_string_equal(str_field(doc, "level"), "warn");
    assert_string_equal(str_field(doc, "service"), "test-svc");
    /* ISO 8601 UTC with milliseconds: 2024-01-02T03:04:05.678Z */
    const char *ts = str_field(doc, "ts");
    assert_int_equal(strlen(ts), 24);
    assert_int_equal(ts[4], '-');
    assert_int_equal(ts[10], 'T');
    assert_int_equal(ts[19], '.');
    assert_int_equal(ts[23], 'Z');
    assert_null(json_object_get(doc, "topic"));
    assert_null(json_object_get(doc, "partition"));
    json_decref(doc);
    free(text);
}

static void message_is_escaped(void **state) {
    (void)state;
    const char *nasty = "say \"hi\"\nback\\slash\ttab\r\x01\x1f end \xc3\xa9";
    capture_start();
    log_at(LOG_ERROR, NULL, "%s", nasty);
    char *text = capture_end();
    json_t *doc = one_json_line(text);
    assert_string_equal(str_field(doc, "msg"), nasty);
    assert_string_equal(str_field(doc, "level"), "error");
    json_decref(doc);
    free(text);
}

static void kafka_coordinates_are_fields(void **state) {
    (void)state;
    const struct log_where where = {
        "pizza-with-\"sauce\"", 3, 9876543210LL, "order\n1", 7, "4bf92f3577b34da6a3ce929d0e0e4736"};
    capture_start();
    log_at(LOG_INFO, &where, "bad event: %s", "not JSON");
    char *text = capture_end();
    json_t *doc = one_json_line(text);
    assert_string_equal(str_field(doc, "msg"), "bad event: not JSON");
    assert_string_equal(str_field(doc, "topic"), "pizza-with-\"sauce\"");
    assert_true(json_is_integer(json_object_get(doc, "partition")));
    assert_int_equal(json_integer_value(json_object_get(doc, "partition")), 3);
    assert_true(json_integer_value(json_object_get(doc, "offset")) == 9876543210LL);
    assert_string_equal(str_field(doc, "key"), "order\n1");
    assert_string_equal(str_field(doc, "trace_id"), "4bf92f3577b34da6a3ce929d0e0e4736");
    json_decref(doc);
    free(text);
}

static void key_uses_its_length(void **state) {
    (void)state;
    const struct log_where where = {NULL, -1, -1, "order-1-and-more", 7, NULL};
    capture_start();
    log_at(LOG_INFO, &where, "k");
    char *text = capture_end();
    json_t *doc = one_json_line(text);
    assert_string_equal(str_field(doc, "key"), "order-1");
    json_decref(doc);
    free(text);
}

/* Keys and messages can carry any bytes from the network. */
static void invalid_utf8_becomes_replacement_characters(void **state) {
    (void)state;
    const struct log_where where = {NULL, -1, -1, "\xc0\xaf\xff", 3, NULL};
    capture_start();
    log_at(LOG_INFO, &where,
           "ok \xc3\xa9\xe2\x82\xac\xf0\x9f\x8d\x95 bad \xed\xa0\x80 cut \xe2\x82");
    char *text = capture_end();
    json_t *doc = one_json_line(text);
    assert_string_equal(str_field(doc, "key"), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
    assert_string_equal(str_field(doc, "msg"),
                        "ok \xc3\xa9\xe2\x82\xac\xf0\x9f\x8d\x95 bad "
                        "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd cut \xef\xbf\xbd\xef\xbf\xbd");
    json_decref(doc);
    free(text);
}

static void long_text_is_cut_between_characters(void **state) {
    (void)state;
    static char key[3001], msg[6001];
    for (size_t i = 0; i + 1 < sizeof(key); i += 3)
        memcpy(key + i, "\xe2\x82\xac", 3); /* euro signs */
    for (size_t i = 0; i + 1 < sizeof(msg); i += 2)
        memcpy(msg + i, "\xc3\xa9", 2);
    const struct log_where where = {NULL, -1, -1, key, 3000, NULL};
    capture_start();
    log_at(LOG_INFO, &where, "%s", msg);
    char *text = capture_end();
    json_t *doc = one_json_line(text); /* jansson refuses invalid UTF-8 */
    const char *k = str_field(doc, "key"), *m = str_field(doc, "msg");
    assert_true(strlen(k) > 100 && strlen(k) % 3 == 0);
    assert_true(strlen(m) > 100 && strlen(m) % 2 == 0);
    assert_null(strstr(k, "\xef\xbf\xbd"));
    assert_null(strstr(m, "\xef\xbf\xbd"));
    json_decref(doc);
    free(text);
}

static void absent_coordinates_are_omitted(void **state) {
    (void)state;
    const struct log_where none = {NULL, -1, -1, NULL, 0, NULL};
    const struct log_where zeros = {"t", 0, 0, NULL, 0, NULL};
    capture_start();
    log_at(LOG_INFO, &none, "none");
    char *text = capture_end();
    json_t *doc = one_json_line(text);
    assert_null(json_object_get(doc, "topic"));
    assert_null(json_object_get(doc, "partition"));
    assert_null(json_object_get(doc, "offset"));
    assert_null(json_object_get(doc, "key"));
    assert_null(json_object_get(doc, "trace_id"));
    json_decref(doc);
    free(text);

    /* zero is a real partition and offset */
    capture_start();
    log_at(LOG_INFO, &zeros, "zeros");
    text = capture_end();
    doc = one_json_line(text);
    assert_true(json_is_integer(json_object_get(doc, "partition")));
    assert_int_equal(json_integer_value(json_object_get(doc, "partition")), 0);
    assert_true(json_is_integer(json_object_get(doc, "offset")));
    assert_int_equal(json_integer_value(json_object_get(doc, "offset")), 0);
    json_decref(doc);
    free(text);
}

static void log_int_adds_a_field(void **state) {
    (void)state;
    capture_start();
    log_int(LOG_INFO, "port", 5000, "listening on \"%s\"", "any");
    char *text = capture_end();
    json_t *doc = one_json_line(text);
    assert_string_equal(str_field(doc, "msg"), "listening on \"any\"");
    assert_true(json_is_integer(json_object_get(doc, "port")));
    assert_int_equal(json_integer_value(json_object_get(doc, "port")), 5000);
    json_decref(doc);
    free(text);
}

static void long_messages_stay_one_valid_line(void **state) {
    (void)state;
    const struct log_where where = {"pizza", 1, 2, "key", 3, NULL};
    static const char fills[] = {'x', '"', '\n', '\x02'};
    for (size_t f = 0; f < sizeof(fills); f++) {
        char big[5000];
        memset(big, fills[f], sizeof(big) - 1);
        big[sizeof(big) - 1] = '\0';
        capture_start();
        log_at(LOG_INFO, &where, "%s", big);
        char *text = capture_end();
        json_t *doc = one_json_line(text);
        const char *msg = str_field(doc, "msg");
        /* truncated, but a prefix of what was logged */
        assert_true(strlen(msg) > 100);
        assert_true(strlen(msg) < sizeof(big) - 1);
        for (size_t i = 0; msg[i]; i++)
            if (msg[i] != fills[f]) fail_msg("msg byte %zu changed", i);
        /* the coordinates after the message survive the cut */
        assert_string_equal(str_field(doc, "topic"), "pizza");
        assert_int_equal(json_integer_value(json_object_get(doc, "partition")), 1);
        assert_int_equal(json_integer_value(json_object_get(doc, "offset")), 2);
        assert_string_equal(str_field(doc, "key"), "key");
        json_decref(doc);
        free(text);
    }
}

static void long_topic_key_and_trace_stay_one_valid_line(void **state) {
    (void)state;
    static char topic[3000], key[3000], msg[3000], trace[3000];
    memset(topic, '"', sizeof(topic) - 1);
    memset(key, '\n', sizeof(key));
    memset(msg, '\\', sizeof(msg) - 1);
    memset(trace, '\x01', sizeof(trace) - 1);
    const struct log_where where = {topic, 5, 6, key, (int)sizeof(key), trace};
    capture_start();
    log_at(LOG_INFO, &where, "%s", msg);
    char *text = capture_end();
    json_t *doc = one_json_line(text);
    assert_true(strlen(str_field(doc, "msg")) > 100);
    assert_true(strlen(str_field(doc, "topic")) > 10);
    assert_true(strlen(str_field(doc, "key")) > 10);
    assert_true(strlen(str_field(doc, "trace_id")) > 10);
    assert_int_equal(json_integer_value(json_object_get(doc, "partition")), 5);
    assert_int_equal(json_integer_value(json_object_get(doc, "offset")), 6);
    json_decref(doc);
    free(text);
}

static void levels_below_minimum_are_dropped(void **state) {
    (void)state;
    log_init("quiet-svc", LOG_WARN);
    assert_int_equal(log_enabled(LOG_INFO), 0);
    assert_int_equal(log_enabled(LOG_WARN), 1);
    assert_int_equal(log_enabled(LOG_ERROR), 1);
    capture_start();
    log_debug("no");
    log_info("no");
    log_int(LOG_INFO, "n", 1, "no");
    char *text = capture_end();
    assert_string_equal(text, "");
    free(text);

    capture_start();
    log_error("yes");
    text = capture_end();
    json_t *doc = one_json_line(text);
    assert_string_equal(str_field(doc, "service"), "quiet-svc");
    assert_string_equal(str_field(doc, "msg"), "yes");
    json_decref(doc);
    free(text);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(level_parse_accepts_the_four_names),
        cmocka_unit_test(level_parse_rejects_others),
        cmocka_unit_test_setup(line_has_the_standard_fields, setup),
        cmocka_unit_test_setup(message_is_escaped, setup),
        cmocka_unit_test_setup(kafka_coordinates_are_fields, setup),
        cmocka_unit_test_setup(key_uses_its_length, setup),
        cmocka_unit_test_setup(invalid_utf8_becomes_replacement_characters, setup),
        cmocka_unit_test_setup(long_text_is_cut_between_characters, setup),
        cmocka_unit_test_setup(absent_coordinates_are_omitted, setup),
        cmocka_unit_test_setup(log_int_adds_a_field, setup),
        cmocka_unit_test_setup(long_messages_stay_one_valid_line, setup),
        cmocka_unit_test_setup(long_topic_key_and_trace_stay_one_valid_line, setup),
        cmocka_unit_test_setup(levels_below_minimum_are_dropped, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
