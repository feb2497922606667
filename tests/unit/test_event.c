/* event.h: decoding, validating and re-encoding one pizza event. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"

#define MAX_LEN 4096

static const struct event_origin origin = {"pizza-with-sauce", 3, 12345};

static const char full_event[] =
    "{\"id\":\"p-1\",\"order_id\":\"o-1\",\"sauce\":\"light\",\"cheese\":\"\",\"meats\":\"\","
    "\"veggies\":\"\",\"ts\":1700000000123,\"trace\":{\"span\":\"ab\",\"hops\":[1,{\"x\":null},"
    "[true,false]],\"deep\":{\"deeper\":{\"k\":\"v\"}}},\"tags\":[\"hot\",\"\\u00e9\"],"
    "\"price\":12.5,\"gift\":false}";

static const char seed_event[] = "{\"order_id\":\"o-9\",\"sauce\":\"extra\",\"cheese\":\"\","
                                 "\"meats\":\"\",\"veggies\":\"\"}";

static void decode_ok(struct event *ev, const char *text, const struct event_origin *o) {
    char err[PIZZA_EVENT_ERR_MAX] = "";
    if (event_decode(ev, text, strlen(text), MAX_LEN, o, err, sizeof(err)) != 0)
        fail_msg("decode of %s failed: %s", text, err);
}

/* Parses encoded bytes back into a document (the test owns it). */
static json_t *reparse(const struct event *ev) {
    size_t len = 0;
    char *bytes = event_encode(ev, &len);
    assert_non_null(bytes);
    assert_int_equal(len, strlen(bytes));
    json_error_t jerr;
    json_t *doc = json_loadb(bytes, len, JSON_REJECT_DUPLICATES, &jerr);
    free(bytes);
    if (!doc) fail_msg("encode produced invalid JSON: %s", jerr.text);
    return doc;
}

static void decode_keeps_unknown_fields_through_encode(void **state) {
    (void)state;
    struct event ev;
    decode_ok(&ev, full_event, &origin);
    assert_string_equal(ev.id, "p-1");
    assert_string_equal(ev.order_id, "o-1");
    assert_string_equal(event_get(&ev, "sauce"), "light");

    json_t *out = reparse(&ev);
    json_t *in = json_loads(full_event, 0, NULL);
    assert_non_null(in);
    if (!json_equal(in, out)) {
        char *a = json_dumps(out, JSON_COMPACT);
        fail_msg("fields lost or changed: %s", a);
    }
    json_decref(in);
    json_decref(out);
    event_clear(&ev);
}

static void decode_uses_only_len_bytes(void **state) {
    (void)state;
    char buf[sizeof(seed_event) + 16];
    snprintf(buf, sizeof(buf), "%sGARBAGE", seed_event);
    struct event ev;
    char err[PIZZA_EVENT_ERR_MAX] = "";
    assert_int_equal(event_decode(&ev, buf, strlen(seed_event), MAX_LEN, &origin, err, sizeof(err)),
                     0);
    assert_string_equal(ev.order_id, "o-9");
    event_clear(&ev);
}

static void seed_event_gets_stable_derived_id(void **state) {
    (void)state;
    struct event a, b, c;
    decode_ok(&a, seed_event, &origin);
    assert_string_equal(a.id, "pizza-with-sauce:3:12345");
    assert_string_equal(event_get(&a, "id"), "pizza-with-sauce:3:12345");
    assert_string_equal(a.order_id, "o-9");
    assert_int_equal(a.derived_id, 1); /* its bytes lack the id: re-encode to keep it */

    /* reprocessing the same record gives the same id */
    decode_ok(&b, seed_event, &origin);
    assert_string_equal(a.id, b.id);

    /* another record gets another id */
    const struct event_origin next = {"pizza-with-sauce", 3, 12346};
    decode_ok(&c, seed_event, &next);
    assert_string_not_equal(a.id, c.id);

    /* the id travels on with the event */
    json_t *out = reparse(&a);
    assert_string_equal(json_string_value(json_object_get(out, "id")), "pizza-with-sauce:3:12345");
    assert_string_equal(json_string_value(json_object_get(out, "sauce")), "extra");
    json_decref(out);
    event_clear(&a);
    event_clear(&b);
    event_clear(&c);
}

static void derived_id_is_kept_downstream(void **state) {
    (void)state;
    struct event first, second;
    decode_ok(&first, seed_event, &origin);
    size_t len = 0;
    char *bytes = event_encode(&first, &len);
    assert_non_null(bytes);
    /* the next stage reads it from elsewhere but must keep the id it has */
    const struct event_origin later = {"pizza-with-cheese", 0, 7};
    char err[PIZZA_EVENT_ERR_MAX] = "";
    assert_int_equal(event_decode(&second, bytes, len, MAX_LEN, &later, err, sizeof(err)), 0);
    assert_string_equal(second.id, "pizza-with-sauce:3:12345");
    assert_int_equal(second.derived_id, 0); /* carried in the bytes: they can be kept as-is */
    free(bytes);

    event_clear(&first);
    event_clear(&second);
}

/* Decodes text expecting failure; checks the reason mentions `why`. */
static void expect_poison(const char *text, size_t len, const char *why) {
    struct event ev;
    char err[PIZZA_EVENT_ERR_MAX] = "";
    memset(&ev, 0x5a, sizeof(ev));
    if (event_decode(&ev, text, len, MAX_LEN, &origin, err, sizeof(err)) != -1)
        fail_msg("accepted poison (%s): %.*s", why, (int)len, text ? text : "");
    assert_null(ev.doc); /* nothing left to free */
    if (!strstr(err, why)) fail_msg("reason \"%s\" does not mention \"%s\"", err, why);
}

static void rejects_empty_and_non_json(void **state) {
    (void)state;
    expect_poison("", 0, "empty");
    expect_poison(NULL, 0, "empty");
    expect_poison("{\"order_id\":", 12, "not JSON");
    expect_poison("pizza", 5, "not JSON");
    expect_poison("\xff\xfe", 2, "not JSON");
    expect_poison("[1,2,3]", 7, "not a JSON object");
    /* a bare scalar is refused too, whichever way the reason puts it */
    expect_poison("\"order_id\"", 10, "JSON");
    expect_poison("42", 2, "JSON");
}

static void rejects_each_missing_required_field(void **state) {
    (void)state;
    static const char *const fields[] = {"order_id", "sauce", "cheese", "meats", "veggies"};
    for (size_t i = 0; i < 5; i++) {
        json_t *doc = json_loads(seed_event, 0, NULL);
        assert_non_null(doc);
        assert_int_equal(json_object_del(doc, fields[i]), 0);
        char *text = json_dumps(doc, JSON_COMPACT);
        expect_poison(text, strlen(text), fields[i]);
        free(text);
        json_decref(doc);
    }
}

static void rejects_non_string_fields(void **state) {
    (void)state;
    static const char *const fields[] = {"order_id", "sauce", "cheese", "meats", "veggies"};
    static const char *const values[] = {"1", "null", "[\"ham\"]", "{}", "true"};
    for (size_t i = 0; i < 5; i++) {
        json_t *doc = json_loads(seed_event, 0, NULL);
        assert_non_null(doc);
        assert_int_equal(
            json_object_set_new(doc, fields[i], json_loads(values[i], JSON_DECODE_ANY, NULL)), 0);
        char *text = json_dumps(doc, JSON_COMPACT);
        expect_poison(text, strlen(text), fields[i]);
        free(text);
        json_decref(doc);
    }
}

static void rejects_bad_order_id_and_id(void **state) {
    (void)state;
    const char empty_order[] =
        "{\"order_id\":\"\",\"sauce\":\"\",\"cheese\":\"\",\"meats\":\"\",\"veggies\":\"\"}";
    expect_poison(empty_order, strlen(empty_order), "order_id");

    const char numeric_id[] = "{\"id\":5,\"order_id\":\"o\",\"sauce\":\"\",\"cheese\":\"\","
                              "\"meats\":\"\",\"veggies\":\"\"}";
    expect_poison(numeric_id, strlen(numeric_id), "\"id\"");

    const char null_id[] = "{\"id\":null,\"order_id\":\"o\",\"sauce\":\"\",\"cheese\":\"\","
                           "\"meats\":\"\",\"veggies\":\"\"}";
    expect_poison(null_id, strlen(null_id), "\"id\"");

    const char empty_id[] = "{\"id\":\"\",\"order_id\":\"o\",\"sauce\":\"\",\"cheese\":\"\","
                            "\"meats\":\"\",\"veggies\":\"\"}";
    expect_poison(empty_id, strlen(empty_id), "\"id\"");
}

static void rejects_duplicate_keys(void **state) {
    (void)state;
    const char dup[] = "{\"order_id\":\"a\",\"order_id\":\"b\",\"sauce\":\"\",\"cheese\":\"\","
                       "\"meats\":\"\",\"veggies\":\"\"}";
    struct event ev;
    char err[PIZZA_EVENT_ERR_MAX] = "";
    assert_int_equal(event_decode(&ev, dup, strlen(dup), MAX_LEN, &origin, err, sizeof(err)), -1);
    assert_true(err[0] != '\0');
    assert_null(ev.doc);
}

static void size_limit_is_inclusive(void **state) {
    (void)state;
    size_t len = strlen(seed_event);
    struct event ev;
    char err[PIZZA_EVENT_ERR_MAX] = "";
    assert_int_equal(event_decode(&ev, seed_event, len, len, &origin, err, sizeof(err)), 0);
    event_clear(&ev);

    err[0] = '\0';
    assert_int_equal(event_decode(&ev, seed_event, len, len - 1, &origin, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "too large"));
    assert_null(ev.doc);
}

static void new_event_is_untopped(void **state) {
    (void)state;
    struct event ev;
    assert_int_equal(event_new(&ev, "order-7", "pizza-7-1"), 0);
    assert_string_equal(ev.id, "pizza-7-1");
    assert_string_equal(ev.order_id, "order-7");
    json_t *out = reparse(&ev);
    assert_string_equal(json_string_value(json_object_get(out, "id")), "pizza-7-1");
    assert_string_equal(json_string_value(json_object_get(out, "order_id")), "order-7");
    static const char *const toppings[] = {"sauce", "cheese", "meats", "veggies"};
    for (size_t i = 0; i < 4; i++) {
        assert_string_equal(event_get(&ev, toppings[i]), "");
        assert_string_equal(json_string_value(json_object_get(out, toppings[i])), "");
    }
    json_decref(out);

    /* a fresh event passes a stage's validation */
    size_t len = 0;
    char *bytes = event_encode(&ev, &len);
    struct event again;
    char err[PIZZA_EVENT_ERR_MAX] = "";
    assert_int_equal(event_decode(&again, bytes, len, MAX_LEN, &origin, err, sizeof(err)), 0);
    assert_string_equal(again.id, "pizza-7-1");
    free(bytes);
    event_clear(&again);
    event_clear(&ev);
}

static void set_replaces_and_adds(void **state) {
    (void)state;
    struct event ev;
    decode_ok(&ev, full_event, &origin);
    assert_int_equal(event_set(&ev, "sauce", "alfredo"), 0);
    assert_string_equal(event_get(&ev, "sauce"), "alfredo");
    assert_int_equal(event_set(&ev, "meats", "ham & bacon"), 0);
    assert_int_equal(event_set(&ev, "baked_by", "oven-2"), 0);

    json_t *out = reparse(&ev); /* reparse rejects duplicate keys */
    assert_string_equal(json_string_value(json_object_get(out, "sauce")), "alfredo");
    assert_string_equal(json_string_value(json_object_get(out, "meats")), "ham & bacon");
    assert_string_equal(json_string_value(json_object_get(out, "baked_by")), "oven-2");
    /* the rest is intact */
    assert_non_null(json_object_get(json_object_get(out, "trace"), "deep"));
    assert_string_equal(json_string_value(json_object_get(out, "id")), "p-1");
    json_decref(out);
    event_clear(&ev);
}

static void get_returns_strings_only(void **state) {
    (void)state;
    struct event ev;
    decode_ok(&ev, full_event, &origin);
    assert_null(event_get(&ev, "nosuch"));
    assert_null(event_get(&ev, "ts"));    /* a number */
    assert_null(event_get(&ev, "trace")); /* an object */
    event_clear(&ev);
}

static void clear_is_null_safe_and_idempotent(void **state) {
    (void)state;
    struct event ev;
    decode_ok(&ev, seed_event, &origin);
    event_clear(&ev);
    assert_null(ev.doc);
    assert_null(ev.id);
    event_clear(&ev);
    event_clear(NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(decode_keeps_unknown_fields_through_encode),
        cmocka_unit_test(decode_uses_only_len_bytes),
        cmocka_unit_test(seed_event_gets_stable_derived_id),
        cmocka_unit_test(derived_id_is_kept_downstream),
        cmocka_unit_test(rejects_empty_and_non_json),
        cmocka_unit_test(rejects_each_missing_required_field),
        cmocka_unit_test(rejects_non_string_fields),
        cmocka_unit_test(rejects_bad_order_id_and_id),
        cmocka_unit_test(rejects_duplicate_keys),
        cmocka_unit_test(size_limit_is_inclusive),
        cmocka_unit_test(new_event_is_untopped),
        cmocka_unit_test(set_replaces_and_adds),
        cmocka_unit_test(get_returns_strings_only),
        cmocka_unit_test(clear_is_null_safe_and_idempotent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
