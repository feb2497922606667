/* event.h: decoding and validating one pizza event, and writing it on with a topping. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"

#define MAX_LEN 4096
#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static const struct event_origin origin = {"pizza-with-sauce", 3, 12345};

static const char *const toppings[] = {"sauce", "cheese", "meats", "veggies"};

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

/* Parses bytes (which must be one JSON object without repeated keys); the test owns it. */
static json_t *parse(const char *bytes, size_t len) {
    json_error_t jerr;
    json_t *doc = json_loadb(bytes, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!doc) fail_msg("invalid JSON (%s): %.*s", jerr.text, (int)len, bytes);
    assert_true(json_is_object(doc));
    return doc;
}

/* Writes ev on with field set to value; @returns the written document. */
static json_t *write_and_parse(const struct event *ev, const char *field, const char *value,
                               struct buf *out) {
    if (event_write(ev, field, value, out) != 0) fail_msg("event_write failed");
    return parse(out->data, out->len);
}

static const char *member(const json_t *doc, const char *name) {
    return json_string_value(json_object_get(doc, name));
}

static void assert_json_equal(const json_t *want, const json_t *got) {
    if (!json_equal(want, got)) {
        char *a = json_dumps(want, JSON_COMPACT), *b = json_dumps(got, JSON_COMPACT);
        fail_msg("documents differ:\nwant %s\ngot  %s", a, b);
    }
}

static void decode_keeps_unknown_fields_through_write(void **state) {
    (void)state;
    struct event ev;
    struct buf out = {0};
    event_init(&ev);
    decode_ok(&ev, full_event, &origin);
    assert_string_equal(ev.id, "p-1");
    assert_string_equal(ev.order_id, "o-1");
    assert_int_equal(ev.derived_id, 0);
    assert_ptr_equal(ev.json, full_event); /* a view, not a copy */
    assert_int_equal(ev.len, strlen(full_event));
    assert_string_equal(event_get(&ev, "sauce"), "light");

    json_t *got = write_and_parse(&ev, NULL, NULL, &out);
    /* nothing to change: the bytes pass through as they are */
    assert_int_equal(out.len, strlen(full_event));
    assert_memory_equal(out.data, full_event, out.len);
    json_t *want = parse(full_event, strlen(full_event));
    assert_json_equal(want, got);
    json_decref(want);
    json_decref(got);
    buf_free(&out);
    event_free(&ev);
}

static void decode_uses_only_len_bytes(void **state) {
    (void)state;
    char buf[sizeof(seed_event) + 16];
    snprintf(buf, sizeof(buf), "%sGARBAGE", seed_event);
    struct event ev;
    char err[PIZZA_EVENT_ERR_MAX] = "";
    event_init(&ev);
    assert_int_equal(event_decode(&ev, buf, strlen(seed_event), MAX_LEN, &origin, err, sizeof(err)),
                     0);
    assert_string_equal(ev.order_id, "o-9");
    assert_int_equal(ev.len, strlen(seed_event));

    /* exactly len bytes on the heap, no terminator: ASan and valgrind see any over-read */
    size_t len = strlen(seed_event);
    char *exact = malloc(len);
    assert_non_null(exact);
    memcpy(exact, seed_event, len);
    assert_int_equal(event_decode(&ev, exact, len, MAX_LEN, &origin, err, sizeof(err)), 0);
    assert_string_equal(event_get(&ev, "sauce"), "extra");
    struct buf out = {0};
    json_t *doc = write_and_parse(&ev, "cheese", "brie", &out);
    assert_string_equal(member(doc, "cheese"), "brie");
    json_decref(doc);
    buf_free(&out);
    free(exact);
    event_free(&ev);
}

static void seed_event_gets_stable_derived_id(void **state) {
    (void)state;
    struct event a, b, c;
    event_init(&a);
    event_init(&b);
    event_init(&c);
    decode_ok(&a, seed_event, &origin);
    assert_string_equal(a.id, "pizza-with-sauce:3:12345");
    assert_string_equal(event_get(&a, "id"), "pizza-with-sauce:3:12345");
    assert_string_equal(a.order_id, "o-9");
    assert_int_equal(a.derived_id, 1); /* its bytes lack the id: write it to keep it */

    /* reprocessing the same record gives the same id */
    decode_ok(&b, seed_event, &origin);
    assert_string_equal(a.id, b.id);

    /* another record gets another id */
    const struct event_origin next = {"pizza-with-sauce", 3, 12346};
    decode_ok(&c, seed_event, &next);
    assert_string_not_equal(a.id, c.id);

    /* the id travels on with the event: added as "id", the rest unchanged */
    struct buf out = {0};
    json_t *got = write_and_parse(&a, NULL, NULL, &out);
    assert_string_equal(member(got, "id"), "pizza-with-sauce:3:12345");
    assert_string_equal(member(got, "sauce"), "extra");
    assert_int_equal(json_object_del(got, "id"), 0);
    json_t *want = parse(seed_event, strlen(seed_event));
    assert_json_equal(want, got);
    json_decref(want);
    json_decref(got);
    buf_free(&out);
    event_free(&a);
    event_free(&b);
    event_free(&c);
}

static void derived_id_is_kept_downstream(void **state) {
    (void)state;
    struct event first, second;
    struct buf out = {0};
    event_init(&first);
    event_init(&second);
    decode_ok(&first, seed_event, &origin);
    assert_int_equal(event_write(&first, "sauce", "tomato", &out), 0);
    /* the next stage reads it from elsewhere but must keep the id it has */
    const struct event_origin later = {"pizza-with-cheese", 0, 7};
    char err[PIZZA_EVENT_ERR_MAX] = "";
    assert_int_equal(event_decode(&second, out.data, out.len, MAX_LEN, &later, err, sizeof(err)),
                     0);
    assert_string_equal(second.id, "pizza-with-sauce:3:12345");
    assert_string_equal(event_get(&second, "sauce"), "tomato");
    assert_int_equal(second.derived_id, 0); /* carried in the bytes: they can be kept as-is */

    /* and written on again, it gets no second id */
    struct buf again = {0};
    json_t *doc = write_and_parse(&second, "cheese", "gouda", &again);
    assert_string_equal(member(doc, "id"), "pizza-with-sauce:3:12345");
    json_decref(doc);
    buf_free(&again);
    buf_free(&out);
    event_free(&first);
    event_free(&second);
}

static void assert_event_empty(const struct event *ev) {
    assert_null(ev->id);
    assert_null(ev->order_id);
    assert_null(ev->json);
    assert_int_equal(ev->len, 0);
    assert_int_equal(ev->derived_id, 0);
    for (int i = 0; i < EVENT_N_FIELDS; i++)
        assert_null(ev->value[i]);
}

/* Decodes text expecting failure into ev; checks the reason mentions `why`
 * and that nothing of the event is left. */
static void expect_poison_in(struct event *ev, const char *text, size_t len, const char *why) {
    char err[PIZZA_EVENT_ERR_MAX];
    memset(err, 'x', sizeof(err));
    if (event_decode(ev, text, len, MAX_LEN, &origin, err, sizeof(err)) != -1)
        fail_msg("accepted poison (%s): %.*s", why, (int)len, text ? text : "");
    assert_event_empty(ev);
    if (!strstr(err, why)) fail_msg("reason \"%s\" does not mention \"%s\"", err, why);
}

/* The same, into a fresh event and into one that held a good event. */
static void expect_poison(const char *text, size_t len, const char *why) {
    struct event ev;
    event_init(&ev);
    expect_poison_in(&ev, text, len, why);
    decode_ok(&ev, full_event, &origin);
    expect_poison_in(&ev, text, len, why);
    event_free(&ev);
}

static void rejects_empty_and_non_json(void **state) {
    (void)state;
    expect_poison("", 0, "empty");
    expect_poison(NULL, 0, "empty");
    expect_poison(seed_event, 0, "empty");
    expect_poison("{\"order_id\":", 12, "not JSON");
    expect_poison("pizza", 5, "not JSON");
    expect_poison("\xff\xfe", 2, "not JSON");
    expect_poison("[1,2,3]", 7, "not a JSON object");
    /* a bare scalar is refused too, whichever way the reason puts it */
    expect_poison("\"order_id\"", 10, "JSON");
    expect_poison("42", 2, "JSON");
}

/* seed_event with field removed (value NULL) or set to value (JSON text). */
static char *seed_with(const char *field, const char *value) {
    json_t *doc = json_loads(seed_event, 0, NULL);
    assert_non_null(doc);
    if (value)
        assert_int_equal(json_object_set_new(doc, field, json_loads(value, JSON_DECODE_ANY, NULL)),
                         0);
    else
        assert_int_equal(json_object_del(doc, field), 0);
    char *text = json_dumps(doc, JSON_COMPACT);
    assert_non_null(text);
    json_decref(doc);
    return text;
}

static void rejects_each_missing_required_field(void **state) {
    (void)state;
    static const char *const fields[] = {"order_id", "sauce", "cheese", "meats", "veggies"};
    for (size_t i = 0; i < N_OF(fields); i++) {
        char *text = seed_with(fields[i], NULL);
        char quoted[32];
        snprintf(quoted, sizeof(quoted), "\"%s\"", fields[i]);
        expect_poison(text, strlen(text), quoted);
        free(text);
    }
}

static void rejects_non_string_fields(void **state) {
    (void)state;
    static const char *const fields[] = {"order_id", "sauce", "cheese", "meats", "veggies"};
    static const char *const values[] = {"1", "null", "[\"ham\"]", "{}", "true"};
    for (size_t i = 0; i < N_OF(fields); i++) {
        for (size_t j = 0; j < N_OF(values); j++) {
            char *text = seed_with(fields[i], values[j]);
            char quoted[32];
            snprintf(quoted, sizeof(quoted), "\"%s\"", fields[i]);
            expect_poison(text, strlen(text), quoted);
            free(text);
        }
    }
}

static void rejects_bad_order_id_and_id(void **state) {
    (void)state;
    const char empty_order[] =
        "{\"order_id\":\"\",\"sauce\":\"\",\"cheese\":\"\",\"meats\":\"\",\"veggies\":\"\"}";
    expect_poison(empty_order, strlen(empty_order), "order_id");

    static const char *const ids[] = {"5", "null", "\"\"", "[\"p\"]", "{}", "false"};
    for (size_t i = 0; i < N_OF(ids); i++) {
        char *text = seed_with("id", ids[i]);
        expect_poison(text, strlen(text), "\"id\"");
        free(text);
    }
}

static void rejects_duplicate_fields(void **state) {
    (void)state;
    static const char *const dups[] = {
        "{\"order_id\":\"a\",\"order_id\":\"b\",\"sauce\":\"\",\"cheese\":\"\","
        "\"meats\":\"\",\"veggies\":\"\"}",
        "{\"id\":\"p\",\"order_id\":\"a\",\"sauce\":\"\",\"cheese\":\"\","
        "\"meats\":\"\",\"veggies\":\"\",\"id\":\"q\"}",
        "{\"order_id\":\"a\",\"sauce\":\"\",\"cheese\":\"\",\"meats\":\"\",\"veggies\":\"\","
        "\"sauce\":\"x\"}",
        /* the same name, escaped */
        "{\"order_id\":\"a\",\"sauce\":\"\",\"cheese\":\"\",\"meats\":\"\",\"veggies\":\"\","
        "\"\\u0073auce\":\"x\"}",
    };
    for (size_t i = 0; i < N_OF(dups); i++)
        expect_poison(dups[i], strlen(dups[i]), "duplicate");

    /* members that are no field of ours may repeat (the bytes pass through
     * untouched), at the top level or deeper: unlike the jansson decoder,
     * which refused every repeated key */
    static const char other[] =
        "{\"x\":1,\"x\":2,\"order_id\":\"a\",\"sauce\":\"\",\"cheese\":\"\","
        "\"meats\":\"\",\"veggies\":\"\",\"t\":{\"sauce\":1,\"sauce\":2}}";
    struct event ev;
    event_init(&ev);
    decode_ok(&ev, other, &origin);
    assert_string_equal(ev.order_id, "a");
    assert_string_equal(event_get(&ev, "sauce"), "");
    event_free(&ev);
}

static void size_limit_is_inclusive(void **state) {
    (void)state;
    size_t len = strlen(seed_event);
    struct event ev;
    char err[PIZZA_EVENT_ERR_MAX] = "";
    event_init(&ev);
    assert_int_equal(event_decode(&ev, seed_event, len, len, &origin, err, sizeof(err)), 0);
    assert_string_equal(ev.order_id, "o-9");

    err[0] = '\0';
    assert_int_equal(event_decode(&ev, seed_event, len, len - 1, &origin, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "too large"));
    assert_event_empty(&ev);
    event_free(&ev);
}

static void write_new_is_an_untopped_pizza(void **state) {
    (void)state;
    struct buf out = {0};
    assert_int_equal(event_write_new(&out, "order-7", "pizza-7-1"), 0);
    json_t *doc = parse(out.data, out.len);
    assert_int_equal(json_object_size(doc), 6);
    assert_string_equal(member(doc, "id"), "pizza-7-1");
    assert_string_equal(member(doc, "order_id"), "order-7");
    for (size_t i = 0; i < N_OF(toppings); i++)
        assert_string_equal(member(doc, toppings[i]), "");
    json_decref(doc);

    /* a fresh event passes a stage's validation */
    struct event ev;
    char err[PIZZA_EVENT_ERR_MAX] = "";
    event_init(&ev);
    assert_int_equal(event_decode(&ev, out.data, out.len, MAX_LEN, &origin, err, sizeof(err)), 0);
    assert_string_equal(ev.id, "pizza-7-1");
    assert_string_equal(ev.order_id, "order-7");
    assert_int_equal(ev.derived_id, 0);
    for (size_t i = 0; i < N_OF(toppings); i++)
        assert_string_equal(event_get(&ev, toppings[i]), "");
    event_free(&ev);

    /* the buffer is rewritten, not appended to; ids that need escaping survive */
    static const char odd_order[] = "o \"7\" \\ \xc3\xa9\n", odd_id[] = "p\t\xf0\x9f\x8d\x95";
    assert_int_equal(event_write_new(&out, odd_order, odd_id), 0);
    doc = parse(out.data, out.len);
    assert_string_equal(member(doc, "order_id"), odd_order);
    assert_string_equal(member(doc, "id"), odd_id);
    json_decref(doc);
    event_init(&ev);
    assert_int_equal(event_decode(&ev, out.data, out.len, MAX_LEN, &origin, err, sizeof(err)), 0);
    assert_string_equal(ev.order_id, odd_order);
    assert_string_equal(ev.id, odd_id);
    event_free(&ev);
    buf_free(&out);
}

/* A copy of text with the value of top-level string field replaced by quoted
 * (a JSON string with its quotes): what a topped event must be, byte for byte. */
static char *splice_value(const char *text, const char *field, const char *quoted) {
    char key[32];
    snprintf(key, sizeof(key), "\"%s\":\"", field);
    const char *at = strstr(text, key);
    assert_non_null(at);
    const char *value = at + strlen(key) - 1, *end = value + 1;
    while (*end != '"')
        end += *end == '\\' ? 2 : 1;
    size_t head = (size_t)(value - text);
    char *out = malloc(strlen(text) + strlen(quoted) + 1);
    assert_non_null(out);
    memcpy(out, text, head);
    strcpy(out + head, quoted);
    strcat(out, end + 1);
    return out;
}

static void write_replaces_a_topping(void **state) {
    (void)state;
    struct event ev;
    struct buf out = {0};
    event_init(&ev);
    decode_ok(&ev, full_event, &origin);
    static const char *const values[] = {"alfredo", "", "ham & bacon", "pineapple"};
    for (size_t i = 0; i < N_OF(toppings); i++) {
        json_t *got = write_and_parse(&ev, toppings[i], values[i], &out);
        assert_string_equal(member(got, toppings[i]), values[i]);
        /* every other member is as it was: as a document and byte for byte */
        json_t *want = parse(full_event, strlen(full_event));
        assert_int_equal(json_object_set_new(want, toppings[i], json_string(values[i])), 0);
        assert_json_equal(want, got);
        char quoted[64];
        snprintf(quoted, sizeof(quoted), "\"%s\"", values[i]);
        char *bytes = splice_value(full_event, toppings[i], quoted);
        assert_int_equal(out.len, strlen(bytes));
        assert_memory_equal(out.data, bytes, out.len);
        free(bytes);
        json_decref(want);
        json_decref(got);
    }
    /* the event is unchanged by writing it */
    assert_string_equal(event_get(&ev, "sauce"), "light");

    /* a seed event: the derived id added and the topping replaced */
    decode_ok(&ev, seed_event, &origin);
    json_t *got = write_and_parse(&ev, "sauce", "bbq", &out);
    json_t *want = parse(seed_event, strlen(seed_event));
    assert_int_equal(json_object_set_new(want, "sauce", json_string("bbq")), 0);
    assert_int_equal(json_object_set_new(want, "id", json_string("pizza-with-sauce:3:12345")), 0);
    assert_json_equal(want, got);
    json_decref(want);
    json_decref(got);
    buf_free(&out);
    event_free(&ev);
}

static void write_escapes_the_topping(void **state) {
    (void)state;
    static const char *const values[] = {
        "say \"cheese\"",
        "back\\slash\\",
        "tab\tnew\nline\r\x01\x1f\x7f",
        "\\u0000 is text here",
        "\xc3\xa9\xe2\x82\xac\xf0\x9f\x8d\x95 </script>",
    };
    struct event ev, next;
    struct buf out = {0};
    event_init(&ev);
    event_init(&next);
    decode_ok(&ev, full_event, &origin);
    for (size_t i = 0; i < N_OF(values); i++) {
        json_t *got = write_and_parse(&ev, "meats", values[i], &out);
        assert_string_equal(member(got, "meats"), values[i]);
        json_decref(got);
        /* and the next stage reads the same string */
        char err[PIZZA_EVENT_ERR_MAX] = "";
        assert_int_equal(event_decode(&next, out.data, out.len, MAX_LEN, &origin, err, sizeof(err)),
                         0);
        assert_string_equal(event_get(&next, "meats"), values[i]);
    }
    buf_free(&out);
    event_free(&ev);
    event_free(&next);
}

static void write_refuses_other_fields(void **state) {
    (void)state;
    static const char *const fields[] = {"id", "order_id", "baked_by", "ts", "", "Sauce"};
    struct event ev;
    struct buf out = {0};
    event_init(&ev);
    decode_ok(&ev, full_event, &origin);
    for (size_t i = 0; i < N_OF(fields); i++)
        if (event_write(&ev, fields[i], "x", &out) != -1) fail_msg("wrote field \"%s\"", fields[i]);
    buf_free(&out);
    event_free(&ev);
}

static void get_returns_our_fields_only(void **state) {
    (void)state;
    struct event ev;
    event_init(&ev);
    decode_ok(&ev, full_event, &origin);
    assert_null(event_get(&ev, "nosuch"));
    assert_null(event_get(&ev, "ts"));    /* a number */
    assert_null(event_get(&ev, "trace")); /* an object */
    assert_null(event_get(&ev, "span"));  /* nested */
    assert_null(event_get(&ev, ""));
    assert_string_equal(event_get(&ev, "id"), "p-1");
    assert_string_equal(event_get(&ev, "order_id"), "o-1");
    assert_string_equal(event_get(&ev, "cheese"), "");
    assert_ptr_equal(event_get(&ev, "order_id"), ev.order_id);
    assert_ptr_equal(event_get(&ev, "veggies"), ev.value[EVENT_VEGGIES]);
    event_free(&ev);
}

static void escaped_keys_and_values_are_decoded(void **state) {
    (void)state;
    static const char text[] =
        "{\"\\u006frder_id\":\"o\\u00e9\\\"x\",\"s\\u0061uce\":\"\\ud83c\\udf55\\/\\n\","
        "\"\\u0069d\":\"p\\\\1\",\"cheese\":\"\",\"meats\":\"\",\"veggies\":\"\"}";
    struct event ev;
    struct buf out = {0};
    event_init(&ev);
    decode_ok(&ev, text, &origin);
    assert_string_equal(ev.order_id, "o\xc3\xa9\"x");
    assert_string_equal(event_get(&ev, "order_id"), "o\xc3\xa9\"x");
    assert_string_equal(event_get(&ev, "sauce"), "\xf0\x9f\x8d\x95/\n");
    assert_string_equal(ev.id, "p\\1");
    assert_int_equal(ev.derived_id, 0);

    /* the escaped member is the one replaced */
    json_t *got = write_and_parse(&ev, "sauce", "pesto", &out);
    assert_string_equal(member(got, "sauce"), "pesto");
    assert_string_equal(member(got, "order_id"), "o\xc3\xa9\"x");
    assert_int_equal(json_object_size(got), 6);
    json_decref(got);
    buf_free(&out);
    event_free(&ev);
}

static void whitespace_is_accepted_and_kept(void **state) {
    (void)state;
    static const char text[] =
        " \r\n\t{ \"order_id\" : \"o\" ,\n\t\"sauce\"\r\n:\"s\" , \"cheese\":"
        "\"\",\"meats\" :\"\" ,\"veggies\": \"\" }\n ";
    struct event ev;
    struct buf out = {0};
    event_init(&ev);
    decode_ok(&ev, text, &origin);
    assert_string_equal(ev.order_id, "o");
    assert_string_equal(event_get(&ev, "sauce"), "s");

    /* a seed event: the id goes right after the brace, the rest as it was */
    assert_int_equal(event_write(&ev, "cheese", "feta", &out), 0);
    static const char want[] = " \r\n\t{\"id\":\"pizza-with-sauce:3:12345\", \"order_id\" : \"o\" "
                               ",\n\t\"sauce\"\r\n:\"s\" , \"cheese\":\"feta\",\"meats\" :\"\" "
                               ",\"veggies\": \"\" }\n ";
    assert_int_equal(out.len, strlen(want));
    assert_memory_equal(out.data, want, out.len);
    json_decref(parse(out.data, out.len));

    /* with an id, untouched bytes stay */
    char err[PIZZA_EVENT_ERR_MAX] = "";
    struct buf again = {0};
    assert_int_equal(event_decode(&ev, want, strlen(want), MAX_LEN, &origin, err, sizeof(err)), 0);
    assert_int_equal(event_write(&ev, NULL, NULL, &again), 0);
    assert_int_equal(again.len, strlen(want));
    assert_memory_equal(again.data, want, again.len);
    buf_free(&again);
    buf_free(&out);
    event_free(&ev);
}

/* One event decoded into again and again, as intake does, with poison in between. */
static void one_event_takes_many_decodes(void **state) {
    (void)state;
    struct event ev;
    struct buf out = {0};
    char err[PIZZA_EVENT_ERR_MAX], big[MAX_LEN];
    /* larger than any other text here: after it, decoding needs no more memory */
    int n = snprintf(big, sizeof(big),
                     "{\"order_id\":\"%0900d\",\"sauce\":\"s\",\"cheese\":\"c\",\"meats\":\"m\","
                     "\"veggies\":\"v\"}",
                     7);
    event_init(&ev);
    assert_int_equal(event_decode(&ev, big, (size_t)n, MAX_LEN, &origin, err, sizeof(err)), 0);
    assert_int_equal(strlen(ev.order_id), 900);
    const char *memory = ev.strings.data;
    for (int i = 0; i < 1000; i++) {
        struct event_origin o = {"t", i % 4, i};
        char id[64];
        snprintf(id, sizeof(id), "t:%d:%d", i % 4, i);
        switch (i % 4) {
        case 0:
            decode_ok(&ev, full_event, &o);
            assert_string_equal(ev.id, "p-1");
            assert_int_equal(ev.derived_id, 0);
            break;
        case 1:
            decode_ok(&ev, seed_event, &o);
            assert_string_equal(ev.id, id);
            assert_string_equal(ev.order_id, "o-9");
            assert_int_equal(ev.derived_id, 1);
            break;
        case 2: /* poison: nothing of the event before stays */
            assert_int_equal(
                event_decode(&ev, "{\"order_id\":1}", 14, MAX_LEN, &o, err, sizeof(err)), -1);
            assert_null(ev.id);
            assert_null(ev.order_id);
            assert_null(event_get(&ev, "sauce"));
            break;
        default: /* written from the event itself */
            decode_ok(&ev, seed_event, &o);
            assert_int_equal(event_write(&ev, "veggies", "olive", &out), 0);
            /* out is not NUL-terminated, and ev viewed the bytes being replaced */
            assert_int_equal(event_decode(&ev, out.data, out.len, MAX_LEN, &o, err, sizeof(err)),
                             0);
            assert_string_equal(event_get(&ev, "veggies"), "olive");
            assert_string_equal(ev.id, id); /* carried in the bytes now */
            assert_int_equal(ev.derived_id, 0);
            break;
        }
        /* steady state: the memory of the largest event is kept */
        assert_ptr_equal(ev.strings.data, memory);
    }
    buf_free(&out);
    event_free(&ev);
}

static void free_is_null_safe_and_event_reusable(void **state) {
    (void)state;
    struct event ev;
    event_free(NULL);
    event_init(&ev);
    event_free(&ev); /* never decoded */
    decode_ok(&ev, seed_event, &origin);
    event_free(&ev);
    assert_event_empty(&ev);
    assert_null(ev.strings.data);
    event_free(&ev);
    decode_ok(&ev, full_event, &origin);
    assert_string_equal(ev.id, "p-1");
    event_free(&ev);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(decode_keeps_unknown_fields_through_write),
        cmocka_unit_test(decode_uses_only_len_bytes),
        cmocka_unit_test(seed_event_gets_stable_derived_id),
        cmocka_unit_test(derived_id_is_kept_downstream),
        cmocka_unit_test(rejects_empty_and_non_json),
        cmocka_unit_test(rejects_each_missing_required_field),
        cmocka_unit_test(rejects_non_string_fields),
        cmocka_unit_test(rejects_bad_order_id_and_id),
        cmocka_unit_test(rejects_duplicate_fields),
        cmocka_unit_test(size_limit_is_inclusive),
        cmocka_unit_test(write_new_is_an_untopped_pizza),
        cmocka_unit_test(write_replaces_a_topping),
        cmocka_unit_test(write_escapes_the_topping),
        cmocka_unit_test(write_refuses_other_fields),
        cmocka_unit_test(get_returns_our_fields_only),
        cmocka_unit_test(escaped_keys_and_values_are_decoded),
        cmocka_unit_test(whitespace_is_accepted_and_kept),
        cmocka_unit_test(one_event_takes_many_decodes),
        cmocka_unit_test(free_is_null_safe_and_event_reusable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
