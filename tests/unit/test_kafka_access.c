/* kafka_access.c: what Kafka refuses, for /ready, said once at error level. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kafka_access.h"
#include "log.h"

/* Runs fn with stderr (where log lines go) in a file; returns how many
 * error-level lines it wrote. */
static int errors_logged(void (*fn)(void)) {
    FILE *capture = tmpfile();
    assert_non_null(capture);
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    assert_true(saved >= 0);
    assert_int_equal(STDERR_FILENO, dup2(fileno(capture), STDERR_FILENO));
    fn();
    fflush(stderr);
    assert_int_equal(STDERR_FILENO, dup2(saved, STDERR_FILENO));
    close(saved);
    rewind(capture);
    char line[2048];
    int n = 0;
    while (fgets(line, sizeof(line), capture))
        n += strstr(line, "\"level\":\"error\"") != NULL;
    fclose(capture);
    return n;
}

static void refuse_twice(void) {
    kafka_access_refused(KAFKA_ACCESS_READ, "read topic %s: %s", "pizza", "denied");
    kafka_access_refused(KAFKA_ACCESS_READ, "read topic %s: %s", "pizza", "denied");
}

static void refuse_other_topic(void) {
    kafka_access_refused(KAFKA_ACCESS_READ, "read topic %s: %s", "pizza-with-sauce", "denied");
}

static void nothing_refused_is_ready(void **state) {
    (void)state;
    char why[256] = "";
    assert_int_equal(0, kafka_access_refusal(why, sizeof(why)));
}

static void a_refusal_is_said_once_and_named_until_granted(void **state) {
    (void)state;
    char why[256];
    assert_int_equal(1, errors_logged(refuse_twice));
    assert_int_equal(1, kafka_access_refusal(why, sizeof(why)));
    assert_string_equal("kafka refuses: read topic pizza: denied", why);
    /* a different refusal of the same kind is news */
    assert_int_equal(1, errors_logged(refuse_other_topic));
    assert_int_equal(1, kafka_access_refusal(why, sizeof(why)));
    assert_string_equal("kafka refuses: read topic pizza-with-sauce: denied", why);
    kafka_access_granted(KAFKA_ACCESS_READ);
    assert_int_equal(0, kafka_access_refusal(why, sizeof(why)));
    /* after the grant, the same refusal again is news again */
    assert_int_equal(1, errors_logged(refuse_twice));
    kafka_access_granted(KAFKA_ACCESS_READ);
}

static void refuse_login_as_librdkafka_repeats_it(void) {
    kafka_access_refused(KAFKA_ACCESS_LOGIN, "login: %s",
                         "b/1: SSL handshake failed: certificate verify failed (after 4ms in "
                         "state SSL_HANDSHAKE)");
    kafka_access_refused(KAFKA_ACCESS_LOGIN, "login: %s",
                         "b/1: SSL handshake failed: certificate verify failed (after 7ms in "
                         "state SSL_HANDSHAKE, 3 identical error(s) suppressed)");
}

static void librdkafkas_timing_suffix_is_not_a_new_refusal(void **state) {
    (void)state;
    char why[256];
    assert_int_equal(1, errors_logged(refuse_login_as_librdkafka_repeats_it));
    assert_int_equal(1, kafka_access_refusal(why, sizeof(why)));
    assert_string_equal(
        "kafka refuses: login: b/1: SSL handshake failed: certificate verify failed", why);
    kafka_access_granted(KAFKA_ACCESS_LOGIN);
}

static void refuse_write_then_login(void) {
    kafka_access_refused(KAFKA_ACCESS_WRITE, "write to topic pizza.dlq: denied");
    kafka_access_refused(KAFKA_ACCESS_LOGIN, "login: bad password");
}

static void the_login_is_named_first(void **state) {
    (void)state;
    char why[256];
    assert_int_equal(2, errors_logged(refuse_write_then_login));
    assert_int_equal(1, kafka_access_refusal(why, sizeof(why)));
    assert_string_equal("kafka refuses: login: bad password", why);
    kafka_access_granted(KAFKA_ACCESS_LOGIN);
    assert_int_equal(1, kafka_access_refusal(why, sizeof(why)));
    assert_string_equal("kafka refuses: write to topic pizza.dlq: denied", why);
    kafka_access_granted(KAFKA_ACCESS_WRITE);
    assert_int_equal(0, kafka_access_refusal(why, sizeof(why)));
}

static void only_authorization_errors_are_refusals(void **state) {
    (void)state;
    assert_true(kafka_access_denied(RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED));
    assert_true(kafka_access_denied(RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED));
    assert_true(kafka_access_denied(RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED));
    assert_true(kafka_access_denied(RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED));
    assert_false(kafka_access_denied(RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART));
    assert_false(kafka_access_denied(RD_KAFKA_RESP_ERR__TRANSPORT));
    assert_false(kafka_access_denied(RD_KAFKA_RESP_ERR_NO_ERROR));
}

int main(void) {
    log_init("test", LOG_INFO);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(nothing_refused_is_ready),
        cmocka_unit_test(a_refusal_is_said_once_and_named_until_granted),
        cmocka_unit_test(librdkafkas_timing_suffix_is_not_a_new_refusal),
        cmocka_unit_test(the_login_is_named_first),
        cmocka_unit_test(only_authorization_errors_are_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
