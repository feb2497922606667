/* snapshot.h, ledger.h, pending.h: cheese-reporter's changelog records, the
 * apply rule and the open batch. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger.h"
#include "pending.h"
#include "snapshot.h"

static struct tally *tally_of(const char *name, long long n, const char *name2, long long n2) {
    struct tally *t = tally_new();
    assert_non_null(t);
    if (name) tally_add(t, name, n);
    if (name2) tally_add(t, name2, n2);
    return t;
}

static char *report_text(struct ledger *l) {
    json_t *doc = ledger_report(l);
    assert_non_null(doc);
    char *text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(doc);
    return text;
}

static void key_names_topic_and_partition(void **state) {
    (void)state;
    char key[32];
    assert_int_equal(snapshot_key(key, sizeof(key), "pizza-with-cheese", 3), 19);
    assert_string_equal(key, "pizza-with-cheese/3");
    assert_int_equal(snapshot_key(key, 8, "pizza-with-cheese", 3), -1);
}

static void encode_then_decode(void **state) {
    (void)state;
    struct tally *t = tally_of("extra", 2, "goat cheese", 1);
    size_t len;
    char *text = snapshot_encode("pizza-with-cheese", 4, 1234567890123LL, t, &len);
    assert_non_null(text);
    assert_int_equal(len, strlen(text));
    assert_string_equal(text, "{\"topic\":\"pizza-with-cheese\",\"partition\":4,"
                              "\"next_offset\":1234567890123,"
                              "\"counts\":{\"extra\":2,\"goat cheese\":1}}");
    struct snapshot s;
    char err[160];
    assert_int_equal(snapshot_decode(&s, text, len, err, sizeof(err)), 0);
    assert_string_equal(s.topic, "pizza-with-cheese");
    assert_int_equal(s.partition, 4);
    assert_int_equal(s.next_offset, 1234567890123LL);
    assert_int_equal(tally_get(s.counts, "extra"), 2);
    assert_int_equal(tally_get(s.counts, "goat cheese"), 1);
    snapshot_clear(&s);
    snapshot_clear(&s); /* idempotent */
    snapshot_clear(NULL);
    free(text);
    tally_free(t);
}

static void empty_counts_round_trip(void **state) {
    (void)state;
    struct tally *t = tally_new();
    size_t len;
    char *text = snapshot_encode("t", 0, 7, t, &len);
    struct snapshot s;
    char err[160];
    assert_int_equal(snapshot_decode(&s, text, len, err, sizeof(err)), 0);
    json_t *doc = tally_json(s.counts);
    assert_int_equal(json_object_size(doc), 0);
    json_decref(doc);
    snapshot_clear(&s);
    free(text);
    tally_free(t);
}

static void bad_records_are_refused(void **state) {
    (void)state;
    const char *bad[] = {
        "",
        "not json",
        "[]",
        "{\"partition\":0,\"next_offset\":1,\"counts\":{}}",
        "{\"topic\":\"\",\"partition\":0,\"next_offset\":1,\"counts\":{}}",
        "{\"topic\":\"t\",\"partition\":-1,\"next_offset\":1,\"counts\":{}}",
        "{\"topic\":\"t\",\"partition\":2147483648,\"next_offset\":1,\"counts\":{}}",
        "{\"topic\":\"t\",\"partition\":0,\"next_offset\":-5,\"counts\":{}}",
        "{\"topic\":\"t\",\"partition\":0,\"next_offset\":\"1\",\"counts\":{}}",
        "{\"topic\":\"t\",\"partition\":0,\"next_offset\":1,\"counts\":[]}",
        "{\"topic\":\"t\",\"partition\":0,\"next_offset\":1,\"counts\":{\"a\":-1}}",
        "{\"topic\":\"t\",\"partition\":0,\"next_offset\":1,\"counts\":{\"a\":1.5}}",
        "{\"topic\":\"t\",\"partition\":0,\"next_offset\":1,\"counts\":{\"a\":1,\"a\":2}}",
        /* more pizzas than offsets read: 10^18 once made the report overflow */
        "{\"topic\":\"t\",\"partition\":0,\"next_offset\":5,\"counts\":{\"a\":6}}",
        "{\"topic\":\"t\",\"partition\":0,\"next_offset\":5,\"counts\":{\"a\":3,\"b\":3}}",
        "{\"topic\":\"t\",\"partition\":0,\"next_offset\":1,\"counts\":{\"a\":1000000000000000000}"
        "}",
        "{\"topic\":\"t\",\"partition\":0,\"next_offset\":9223372036854775807,"
        "\"counts\":{\"a\":9223372036854775807,\"b\":9223372036854775807}}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct snapshot s;
        char err[160] = "";
        assert_int_equal(snapshot_decode(&s, bad[i], strlen(bad[i]), err, sizeof(err)), -1);
        assert_true(err[0] != '\0');
        assert_null(s.counts);
    }
}

static void counts_may_add_up_to_next_offset(void **state) {
    (void)state;
    const char *text =
        "{\"topic\":\"t\",\"partition\":0,\"next_offset\":5,\"counts\":{\"a\":3,\"b\":2}}";
    struct snapshot s;
    char err[160];
    assert_int_equal(snapshot_decode(&s, text, strlen(text), err, sizeof(err)), 0);
    assert_int_equal(tally_get(s.counts, "b"), 2);
    snapshot_clear(&s);
}

static void unknown_fields_are_ignored(void **state) {
    (void)state;
    const char *text =
        "{\"topic\":\"t\",\"partition\":1,\"next_offset\":9,\"counts\":{\"a\":3},\"v\":2}";
    struct snapshot s;
    char err[160];
    assert_int_equal(snapshot_decode(&s, text, strlen(text), err, sizeof(err)), 0);
    assert_int_equal(tally_get(s.counts, "a"), 3);
    snapshot_clear(&s);
}

static void apply_rule_takes_only_newer_snapshots(void **state) {
    (void)state;
    struct ledger *l = ledger_new();
    assert_int_equal(ledger_next_offset(l, 0), -1);
    assert_int_equal(ledger_apply(l, 0, 10, tally_of("extra", 10, NULL, 0)), 1);
    assert_int_equal(ledger_next_offset(l, 0), 10);
    /* the same snapshot again (our own echo), then an older one: no change */
    assert_int_equal(ledger_apply(l, 0, 10, tally_of("extra", 99, NULL, 0)), 0);
    assert_int_equal(ledger_apply(l, 0, 4, tally_of("extra", 4, NULL, 0)), 0);
    assert_int_equal(ledger_next_offset(l, 0), 10);
    /* a newer one replaces the whole state of the partition */
    assert_int_equal(ledger_apply(l, 0, 15, tally_of("extra", 12, "none", 3)), 1);
    assert_int_equal(ledger_apply(l, 2, 1, tally_of("none", 1, NULL, 0)), 1);
    assert_int_equal(ledger_partitions(l), 2);
    char *text = report_text(l);
    assert_string_equal(text, "{\"extra\":12,\"none\":4}");
    free(text);
    ledger_free(l);
    ledger_free(NULL);
}

static void apply_order_does_not_matter(void **state) {
    (void)state;
    struct ledger *a = ledger_new(), *b = ledger_new();
    for (int i = 1; i <= 5; i++)
        ledger_apply(a, 1, i, tally_of("extra", i, NULL, 0));
    for (int i = 5; i >= 1; i--)
        ledger_apply(b, 1, i, tally_of("extra", i, NULL, 0));
    char *ta = report_text(a), *tb = report_text(b);
    assert_string_equal(ta, "{\"extra\":5}");
    assert_string_equal(ta, tb);
    free(ta);
    free(tb);
    ledger_free(a);
    ledger_free(b);
}

static void counts_with_adds_a_delta_without_changing_the_ledger(void **state) {
    (void)state;
    struct ledger *l = ledger_new();
    ledger_apply(l, 3, 20, tally_of("extra", 5, NULL, 0));
    struct tally *delta = tally_of("extra", 2, "goat cheese", 1);
    struct tally *merged = ledger_counts_with(l, 3, delta);
    assert_int_equal(tally_get(merged, "extra"), 7);
    assert_int_equal(tally_get(merged, "goat cheese"), 1);
    tally_free(merged);
    merged = ledger_counts_with(l, 9, delta); /* no state yet: the delta alone */
    assert_int_equal(tally_get(merged, "extra"), 2);
    tally_free(merged);
    char *text = report_text(l);
    assert_string_equal(text, "{\"extra\":5}");
    free(text);
    tally_free(delta);
    ledger_free(l);
}

static void batch_counts_per_partition(void **state) {
    (void)state;
    struct pending b = {0};
    struct pending_part *p0 = pending_part(&b, 0, -1);
    struct pending_part *p1 = pending_part(&b, 1, 7); /* committed state is ahead */
    assert_ptr_equal(pending_part(&b, 0, -1), p0);    /* one entry per partition */
    assert_int_equal(b.n, 2);
    assert_int_equal(p1->base, 7);
    assert_non_null(p0->delta);
    assert_null(p0->merged);
    assert_int_equal(pending_snapshot_next(p0, 7), 7);
    /* a snapshot never moves a partition back */
    assert_int_equal(pending_snapshot_next(p1, 4), 7);
    assert_int_equal(pending_snapshot_next(p1, 9), 9);
    pending_reset(&b);
    assert_int_equal(b.n, 0);
    pending_free(&b);
    pending_free(NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(key_names_topic_and_partition),
        cmocka_unit_test(encode_then_decode),
        cmocka_unit_test(empty_counts_round_trip),
        cmocka_unit_test(bad_records_are_refused),
        cmocka_unit_test(counts_may_add_up_to_next_offset),
        cmocka_unit_test(unknown_fields_are_ignored),
        cmocka_unit_test(apply_rule_takes_only_newer_snapshots),
        cmocka_unit_test(apply_order_does_not_matter),
        cmocka_unit_test(counts_with_adds_a_delta_without_changing_the_ledger),
        cmocka_unit_test(batch_counts_per_partition),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
