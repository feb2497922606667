/* order_record.h: decoding and checking pizza-orders-changelog records. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "order_record.h"
#include "orders.h"

#define ID "0f8fad5b-d9cb-469f-a165-70867728950e"
#define TP "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
#define PIZZA                                                                                      \
    "{\"id\":\"p1\",\"order_id\":\"" ID                                                            \
    "\",\"sauce\":\"light\",\"cheese\":\"\",\"meats\":\"\",\"veggies\":\"\"}"
#define MAX 65536

static struct order_record rec;

static int setup(void **state) {
    (void)state;
    order_record_init(&rec);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    order_record_free(&rec);
    return 0;
}

/* An order record of value v (NULL: tombstone) keyed and headed by ID. */
static struct order_record_in order_in(const char *v) {
    return (struct order_record_in){"order", ID,         ID,         v,
                                    5,       strlen(ID), strlen(ID), v ? strlen(v) : 0};
}

static struct order_record_in pizza_in(const char *key, const char *v) {
    return (struct order_record_in){
        "pizza", ID, key, v, 5, strlen(ID), key ? strlen(key) : 0, v ? strlen(v) : 0};
}

static int decode(const struct order_record_in *in) {
    char err[PIZZA_EVENT_ERR_MAX];
    err[0] = '\0';
    int rc = order_record_decode(&rec, in, MAX, err, sizeof(err));
    if (rc == 0)
        assert_string_equal(err, "");
    else
        assert_true(err[0] != '\0');
    return rc;
}

static void good_order(void **state) {
    (void)state;
    struct order_record_in in =
        order_in("{\"order_id\":\"" ID
                 "\",\"count\":3,\"created_ms\":1700000000000,\"traceparent\":\"" TP "\"}");
    assert_int_equal(decode(&in), 0);
    assert_int_equal(rec.kind, ORDER_RECORD_ORDER);
    assert_string_equal(rec.order_id, ID);
    assert_int_equal(rec.count, 3);
    assert_true(rec.created_ms == 1700000000000LL);
    assert_string_equal(rec.traceparent, TP);
}

/* Older records have no traceparent; a bad one is dropped, the order kept. */
static void order_without_or_with_bad_traceparent(void **state) {
    (void)state;
    const char *values[] = {
        "{\"order_id\":\"" ID "\",\"count\":1,\"created_ms\":0}",
        "{\"order_id\":\"" ID "\",\"count\":1,\"created_ms\":0,\"traceparent\":\"\"}",
        "{\"order_id\":\"" ID "\",\"count\":1,\"created_ms\":0,\"traceparent\":\"zz\"}",
        "{\"order_id\":\"" ID "\",\"count\":1,\"created_ms\":0,\"traceparent\":\"" TP "x\"}",
    };
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        struct order_record_in in = order_in(values[i]);
        assert_int_equal(decode(&in), 0);
        assert_int_equal(rec.count, 1);
        assert_string_equal(rec.traceparent, "");
    }
}

static void bad_order_values(void **state) {
    (void)state;
    const char *values[] = {
        "",
        "not json",
        "[1]",
        "null",
        "{}",
        "\xef\xbb\xbf{\"order_id\":\"" ID "\",\"count\":1,\"created_ms\":0}",
        "{\"order_id\":\"" ID "\",\"count\":1,\"created_ms\":0} x",
        "{\"order_id\":\"" ID "\",\"count\":1,\"created_ms\":0,\"count\":2}",
        "{\"order_id\":\"other\",\"count\":1,\"created_ms\":0}",
        "{\"order_id\":7,\"count\":1,\"created_ms\":0}",
        "{\"count\":1,\"created_ms\":0}",
        "{\"order_id\":\"" ID "\",\"count\":0,\"created_ms\":0}",
        "{\"order_id\":\"" ID "\",\"count\":-1,\"created_ms\":0}",
        "{\"order_id\":\"" ID "\",\"count\":10001,\"created_ms\":0}",
        "{\"order_id\":\"" ID "\",\"count\":1000000000000000000,\"created_ms\":0}",
        "{\"order_id\":\"" ID "\",\"count\":99999999999999999999,\"created_ms\":0}",
        "{\"order_id\":\"" ID "\",\"count\":1.5,\"created_ms\":0}",
        "{\"order_id\":\"" ID "\",\"count\":1e3,\"created_ms\":0}",
        "{\"order_id\":\"" ID "\",\"count\":\"1\",\"created_ms\":0}",
        "{\"order_id\":\"" ID "\",\"count\":null,\"created_ms\":0}",
        "{\"order_id\":\"" ID "\",\"count\":true,\"created_ms\":0}",
        "{\"order_id\":\"" ID "\",\"created_ms\":0}",
        "{\"order_id\":\"" ID "\",\"count\":1,\"created_ms\":\"now\"}",
        "{\"order_id\":\"" ID "\",\"count\":1,\"created_ms\":-5}",
        "{\"order_id\":\"" ID "\",\"count\":1,\"created_ms\":1.5}",
        "{\"order_id\":\"" ID "\",\"count\":1}",
        "{\"order_id\":\"" ID "\",\"count\":1,\"created_ms\":0,\"traceparent\":7}",
        "{\"order_id\":\"" ID "\",\"count\":1,\"created_ms\":0,\"traceparent\":null}",
        "{\"order_id\":\"" ID "\",\"count\":1,\"created_ms\":0,\"traceparent\":\"\xc0\xaf\"}",
        "{\"order_id\":\"" ID "\",\"count\":1,\"created_ms\":0,\"traceparent\":\"\\ud800\"}",
        "{\"order_id\":\"" ID "\",\"count\":1,\"created_ms\":0,\"traceparent\":\"\\u0000\"}",
    };
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        struct order_record_in in = order_in(values[i]);
        if (decode(&in) != -1) fail_msg("accepted: %s", values[i]);
    }
}

/* Deep nesting must not blow the stack, whatever the parser. */
static void deeply_nested_order_value(void **state) {
    (void)state;
    static char deep[200002];
    memset(deep, '[', 100000);
    memset(deep + 100000, ']', 100000);
    struct order_record_in in = order_in(deep);
    assert_int_equal(order_record_decode(&rec, &in, sizeof(deep), (char[64]){0}, 64), -1);
}

static void bad_headers_and_keys(void **state) {
    (void)state;
    const char *v = "{\"order_id\":\"" ID "\",\"count\":1,\"created_ms\":0}";
    static char longid[PIZZA_ORDER_ID_MAX + 2];
    memset(longid, 'h', sizeof(longid) - 1);
    struct order_record_in in[] = {
        {NULL, ID, ID, v, 0, strlen(ID), strlen(ID), strlen(v)},      /* no kind */
        {"pasta", ID, ID, v, 5, strlen(ID), strlen(ID), strlen(v)},   /* unknown kind */
        {"orde", ID, ID, v, 4, strlen(ID), strlen(ID), strlen(v)},    /* prefix of a kind */
        {"order\0", ID, ID, v, 6, strlen(ID), strlen(ID), strlen(v)}, /* kind with a NUL */
        {"order", NULL, ID, v, 5, 0, strlen(ID), strlen(v)},          /* no order */
        {"order", "", ID, v, 5, 0, strlen(ID), strlen(v)},            /* empty order */
        {"order", longid, longid, v, 5, strlen(longid), strlen(longid), strlen(v)},
        {"order", "h/../x", "h/../x", v, 5, 6, 6, strlen(v)}, /* not an id */
        {"order", "h-\0x", "h-\0x", v, 5, 4, 4, strlen(v)},   /* NUL in the id */
        {"order", "h-\xc0\xaf", "h-\xc0\xaf", v, 5, 4, 4, strlen(v)},
        {"order", ID, NULL, v, 5, strlen(ID), 0, strlen(v)},    /* no key */
        {"order", ID, "other", v, 5, strlen(ID), 5, strlen(v)}, /* key not the id */
        {"order", ID, ID "\0", v, 5, strlen(ID), strlen(ID) + 1, strlen(v)},
    };
    for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++)
        if (decode(&in[i]) != -1) fail_msg("record %zu accepted", i);
}

static void tombstones(void **state) {
    (void)state;
    struct order_record_in in = order_in(NULL);
    assert_int_equal(decode(&in), 0);
    assert_int_equal(rec.kind, ORDER_RECORD_ORDER_GONE);
    assert_string_equal(rec.order_id, ID);
    in = pizza_in("p1", NULL);
    assert_int_equal(decode(&in), 0);
    assert_int_equal(rec.kind, ORDER_RECORD_PIZZA_GONE);
    in = (struct order_record_in){"order", ID, "other", NULL, 5, strlen(ID), 5, 0};
    assert_int_equal(decode(&in), -1); /* not the order's own key */
}

static void good_pizza(void **state) {
    (void)state;
    struct order_record_in in = pizza_in("p1", PIZZA);
    assert_int_equal(decode(&in), 0);
    assert_int_equal(rec.kind, ORDER_RECORD_PIZZA);
    assert_string_equal(rec.order_id, ID);
    assert_string_equal(rec.pizza.id, "p1");
    /* reused for the next record */
    in = pizza_in("p2",
                  "{\"id\":\"p2\",\"order_id\":\"" ID
                  "\",\"sauce\":\"\",\"cheese\":\"\",\"meats\":\"\",\"veggies\":\"\",\"x\":[1]}");
    assert_int_equal(decode(&in), 0);
    assert_string_equal(rec.pizza.id, "p2");
}

/* A pizza record's value is shown by GET as it is: it must be one of the
 * order's pizzas, valid JSON. */
static void bad_pizzas(void **state) {
    (void)state;
    static const char *const cases[][2] = {
        {"p1", "not json"},
        {"p1", ""},
        {"p1", PIZZA "x"},
        {"p1", "\xef\xbb\xbf" PIZZA},
        {"p1", "{\"id\":\"p1\",\"order_id\":\"" ID
               "\",\"sauce\":\"\xc0\xaf\",\"cheese\":\"\",\"meats\":\"\",\"veggies\":\"\"}"},
        {"p1", "{\"id\":\"p1\",\"order_id\":\"" ID
               "\",\"sauce\":\"\",\"cheese\":1,\"meats\":\"\",\"veggies\":\"\"}"},
        {"p1", "{\"id\":\"p1\",\"order_id\":\"other\",\"sauce\":\"\",\"cheese\":\"\",\"meats\":"
               "\"\",\"veggies\":\"\"}"},
        {"p1", "{\"order_id\":\"" ID
               "\",\"sauce\":\"\",\"cheese\":\"\",\"meats\":\"\",\"veggies\":\"\"}"},
        {"p2", PIZZA},
        {"p", PIZZA},
        {NULL, PIZZA},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct order_record_in in = pizza_in(cases[i][0], cases[i][1]);
        if (decode(&in) != -1) fail_msg("pizza %zu accepted", i);
    }
    struct order_record_in in = pizza_in("p1\0x", PIZZA);
    in.key_len = 4; /* "p1" then NUL: not the id */
    assert_int_equal(decode(&in), -1);
}

static void oversize(void **state) {
    (void)state;
    char err[128];
    const char *v = "{\"order_id\":\"" ID "\",\"count\":1,\"created_ms\":0}";
    struct order_record_in in = order_in(v);
    assert_int_equal(order_record_decode(&rec, &in, strlen(v) - 1, err, sizeof(err)), -1);
    assert_int_equal(order_record_decode(&rec, &in, strlen(v), err, sizeof(err)), 0);
    in = pizza_in("p1", PIZZA);
    assert_int_equal(order_record_decode(&rec, &in, strlen(PIZZA) - 1, err, sizeof(err)), -1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(good_order, setup, teardown),
        cmocka_unit_test_setup_teardown(order_without_or_with_bad_traceparent, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_order_values, setup, teardown),
        cmocka_unit_test_setup_teardown(deeply_nested_order_value, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_headers_and_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(tombstones, setup, teardown),
        cmocka_unit_test_setup_teardown(good_pizza, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_pizzas, setup, teardown),
        cmocka_unit_test_setup_teardown(oversize, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
