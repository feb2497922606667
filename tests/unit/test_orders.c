/* orders.h: pizza-service's bounded in-memory order store. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "orders.h"

static int setup(void **state) {
    *state = orders_new(&(struct orders_limits){100, 1000000, 1000000});
    return *state ? 0 : -1;
}

static int teardown(void **state) {
    orders_free(*state);
    return 0;
}

/* Renders id and parses the result; the caller owns the document. */
static json_t *render_doc(struct orders *o, const char *id) {
    size_t len = 0;
    char *text = orders_render(o, id, &len, NULL);
    if (!text) fail_msg("order %s did not render", id);
    assert_int_equal(len, strlen(text));
    json_error_t jerr;
    json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!doc) fail_msg("render is not JSON (%s): %s", jerr.text, text);
    free(text);
    return doc;
}

static void assert_order(struct orders *o, const char *id, long count, const char *status,
                         size_t n_pizzas) {
    json_t *doc = render_doc(o, id);
    assert_string_equal(json_string_value(json_object_get(doc, "id")), id);
    assert_true(json_is_integer(json_object_get(doc, "count")));
    assert_int_equal(json_integer_value(json_object_get(doc, "count")), count);
    assert_string_equal(json_string_value(json_object_get(doc, "status")), status);
    json_t *pizzas = json_object_get(doc, "pizzas");
    assert_true(json_is_array(pizzas));
    assert_int_equal(json_array_size(pizzas), n_pizzas);
    json_decref(doc);
}

static enum orders_rc add_pizza(struct orders *o, const char *order_id, const char *pizza_id,
                                const char *sauce) {
    char json[256];
    int n = snprintf(json, sizeof(json),
                     "{\"id\":\"%s\",\"order_id\":\"%s\",\"sauce\":\"%s\",\"cheese\":\"none\","
                     "\"meats\":\"ham\",\"veggies\":\"none\"}",
                     pizza_id, order_id, sauce);
    return orders_add_pizza(o, order_id, pizza_id, json, (size_t)n, 0, NULL);
}

static void new_order_renders_pending(void **state) {
    struct orders *o = *state;
    assert_int_equal(orders_create(o, "order-1", 3, 0, NULL), ORDERS_OK);
    assert_order(o, "order-1", 3, "pending", 0);
}

static void pizzas_complete_an_order(void **state) {
    struct orders *o = *state;
    assert_int_equal(orders_create(o, "order-2", 2, 0, NULL), ORDERS_OK);
    assert_int_equal(add_pizza(o, "order-2", "p-a", "light"), ORDERS_OK);
    assert_order(o, "order-2", 2, "pending", 1);
    assert_int_equal(add_pizza(o, "order-2", "p-b", "extra"), ORDERS_OK);
    assert_order(o, "order-2", 2, "complete", 2);

    /* the stored pizzas come back verbatim */
    json_t *doc = render_doc(o, "order-2");
    json_t *pizzas = json_object_get(doc, "pizzas");
    int seen_a = 0, seen_b = 0;
    for (size_t i = 0; i < json_array_size(pizzas); i++) {
        json_t *p = json_array_get(pizzas, i);
        const char *id = json_string_value(json_object_get(p, "id"));
        assert_non_null(id);
        assert_string_equal(json_string_value(json_object_get(p, "order_id")), "order-2");
        if (strcmp(id, "p-a") == 0) {
            seen_a++;
            assert_string_equal(json_string_value(json_object_get(p, "sauce")), "light");
        } else if (strcmp(id, "p-b") == 0) {
            seen_b++;
            assert_string_equal(json_string_value(json_object_get(p, "sauce")), "extra");
        }
    }
    assert_int_equal(seen_a, 1);
    assert_int_equal(seen_b, 1);
    json_decref(doc);
}

static void duplicate_pizza_is_ignored(void **state) {
    struct orders *o = *state;
    assert_int_equal(orders_create(o, "order-3", 3, 0, NULL), ORDERS_OK);
    assert_int_equal(add_pizza(o, "order-3", "p-1", "light"), ORDERS_OK);
    assert_int_equal(add_pizza(o, "order-3", "p-1", "extra"), ORDERS_DUPLICATE);
    assert_order(o, "order-3", 3, "pending", 1);
    /* the first copy wins */
    json_t *doc = render_doc(o, "order-3");
    json_t *p = json_array_get(json_object_get(doc, "pizzas"), 0);
    assert_string_equal(json_string_value(json_object_get(p, "sauce")), "light");
    json_decref(doc);
}

static void extra_pizza_beyond_count_is_ignored(void **state) {
    struct orders *o = *state;
    assert_int_equal(orders_create(o, "order-4", 1, 0, NULL), ORDERS_OK);
    assert_int_equal(add_pizza(o, "order-4", "p-1", "none"), ORDERS_OK);
    assert_int_not_equal(add_pizza(o, "order-4", "p-2", "none"), ORDERS_OK);
    assert_order(o, "order-4", 1, "complete", 1);
}

static void unknown_order(void **state) {
    struct orders *o = *state;
    size_t len = 12345;
    assert_null(orders_render(o, "no-such-order", &len, NULL));
    assert_int_equal(add_pizza(o, "no-such-order", "p-1", "none"), ORDERS_UNKNOWN);
    orders_remove(o, "no-such-order"); /* harmless */
    struct orders_stats st;
    orders_stats(o, &st);
    assert_int_equal(st.pending + st.complete, 0);
}

static void duplicate_order_is_refused(void **state) {
    struct orders *o = *state;
    assert_int_equal(orders_create(o, "order-5", 2, 0, NULL), ORDERS_OK);
    assert_int_equal(add_pizza(o, "order-5", "p-1", "none"), ORDERS_OK);
    assert_int_equal(orders_create(o, "order-5", 9, 0, NULL), ORDERS_DUPLICATE);
    assert_order(o, "order-5", 2, "pending", 1); /* the original is untouched */
}

static void remove_forgets_an_order(void **state) {
    struct orders *o = *state;
    assert_int_equal(orders_create(o, "order-6", 1, 0, NULL), ORDERS_OK);
    assert_int_equal(orders_create(o, "order-7", 1, 0, NULL), ORDERS_OK);
    orders_remove(o, "order-6");
    size_t len;
    assert_null(orders_render(o, "order-6", &len, NULL));
    assert_order(o, "order-7", 1, "pending", 0);
    /* the id can be used again */
    assert_int_equal(orders_create(o, "order-6", 2, 0, NULL), ORDERS_OK);
    assert_order(o, "order-6", 2, "pending", 0);
}

static void stats_count_pending_and_complete(void **state) {
    struct orders *o = *state;
    struct orders_stats st;
    assert_int_equal(orders_create(o, "s-1", 1, 0, NULL), ORDERS_OK);
    assert_int_equal(orders_create(o, "s-2", 2, 0, NULL), ORDERS_OK);
    assert_int_equal(orders_create(o, "s-3", 1, 0, NULL), ORDERS_OK);
    orders_stats(o, &st);
    assert_int_equal(st.pending, 3);
    assert_int_equal(st.complete, 0);

    assert_int_equal(add_pizza(o, "s-1", "p", "none"), ORDERS_OK);
    assert_int_equal(add_pizza(o, "s-2", "p", "none"), ORDERS_OK);
    orders_stats(o, &st);
    assert_int_equal(st.pending, 2);
    assert_int_equal(st.complete, 1);

    orders_remove(o, "s-1"); /* a complete one */
    orders_remove(o, "s-2"); /* a pending one */
    orders_stats(o, &st);
    assert_int_equal(st.pending, 1);
    assert_int_equal(st.complete, 0);
}

static const struct order_origin local_post = {NULL, 1};

/* A POST is refused when every held order is pending; an order from the
 * changelog is held all the same (it exists: GET must find it). */
static void full_store_refuses_when_all_pending(void **state) {
    (void)state;
    struct orders *o = orders_new(&(struct orders_limits){2, 1000000, 1000000});
    assert_non_null(o);
    assert_int_equal(orders_create(o, "a", 1, 0, &local_post), ORDERS_OK);
    assert_int_equal(orders_create(o, "b", 1, 0, &local_post), ORDERS_OK);
    assert_int_equal(orders_create(o, "c", 1, 0, &local_post), ORDERS_FULL);
    size_t len;
    assert_null(orders_render(o, "c", &len, NULL));
    assert_order(o, "a", 1, "pending", 0);
    assert_order(o, "b", 1, "pending", 0);
    assert_int_equal(orders_create(o, "from-changelog", 1, 0, NULL), ORDERS_OK);
    assert_order(o, "from-changelog", 1, "pending", 0);
    orders_free(o);
}

/* The pending orders' pizzas are bounded for POSTs: counts, not orders. */
static void pending_pizzas_bound_posts(void **state) {
    (void)state;
    struct orders *o = orders_new(&(struct orders_limits){1000, 250, 1000000});
    struct orders_stats st;
    assert_non_null(o);
    assert_int_equal(orders_create(o, "a", 100, 0, &local_post), ORDERS_OK);
    assert_int_equal(orders_create(o, "b", 100, 0, &local_post), ORDERS_OK);
    assert_int_equal(orders_create(o, "c", 100, 0, &local_post), ORDERS_BUSY);
    assert_int_equal(orders_create(o, "c", 50, 0, &local_post), ORDERS_OK); /* exactly 250 */
    assert_int_equal(orders_create(o, "d", 1, 0, &local_post), ORDERS_BUSY);
    orders_stats(o, &st);
    assert_int_equal(st.pending_pizzas, 250);
    assert_int_equal(st.pending, 3);

    /* another instance's orders (from the changelog) are held past the bound */
    assert_int_equal(orders_create(o, "remote", 100, 0, NULL), ORDERS_OK);
    orders_stats(o, &st);
    assert_int_equal(st.pending_pizzas, 350);
    assert_int_equal(orders_create(o, "d", 1, 0, &local_post), ORDERS_BUSY);

    /* room comes back as orders complete or go away */
    orders_remove(o, "remote");
    orders_remove(o, "c");
    orders_stats(o, &st);
    assert_int_equal(st.pending_pizzas, 200);
    assert_int_equal(orders_create(o, "e", 50, 0, &local_post), ORDERS_OK);
    assert_int_equal(orders_create(o, "f", 1, 0, &local_post), ORDERS_BUSY);
    char id[16];
    for (int i = 0; i < 50; i++) {
        snprintf(id, sizeof(id), "e-%d", i);
        assert_int_equal(add_pizza(o, "e", id, "none"), ORDERS_OK);
    }
    orders_stats(o, &st);
    assert_int_equal(st.pending_pizzas, 200);
    assert_int_equal(st.complete, 1);
    assert_int_equal(orders_create(o, "f", 50, 0, &local_post), ORDERS_OK);
    /* a complete order's removal changes nothing pending */
    orders_remove(o, "e");
    orders_stats(o, &st);
    assert_int_equal(st.pending_pizzas, 250);
    orders_free(o);
}

/* A flood of this instance's POSTs cannot crowd out other instances' orders:
 * it meets its bound while the changelog's orders are all held. */
static void posts_do_not_crowd_out_the_changelog(void **state) {
    (void)state;
    struct orders *o = orders_new(&(struct orders_limits){100, 1000, 1000000});
    char id[32];
    int refused = 0;
    for (int i = 0; i < 500; i++) {
        snprintf(id, sizeof(id), "post-%d", i);
        refused += orders_create(o, id, 10, 0, &local_post) != ORDERS_OK;
        snprintf(id, sizeof(id), "remote-%d", i);
        assert_int_equal(orders_create(o, id, 10, 0, NULL), ORDERS_OK);
    }
    assert_true(refused >= 400);
    for (int i = 0; i < 500; i++) {
        snprintf(id, sizeof(id), "remote-%d", i);
        assert_order(o, id, 10, "pending", 0);
    }
    orders_free(o);
}

static void full_store_evicts_oldest_complete(void **state) {
    (void)state;
    struct orders *o = orders_new(&(struct orders_limits){2, 1000000, 1000000});
    assert_non_null(o);
    assert_int_equal(orders_create(o, "a", 1, 0, NULL), ORDERS_OK);
    assert_int_equal(orders_create(o, "b", 1, 0, NULL), ORDERS_OK);
    assert_int_equal(add_pizza(o, "b", "p", "none"), ORDERS_OK); /* b complete, a pending */
    assert_int_equal(orders_create(o, "c", 1, 0, NULL), ORDERS_OK);
    size_t len;
    assert_null(orders_render(o, "b", &len, NULL));
    assert_order(o, "a", 1, "pending", 0);
    assert_order(o, "c", 1, "pending", 0);
    struct orders_stats st;
    orders_stats(o, &st);
    assert_int_equal(st.pending, 2);
    assert_int_equal(st.complete, 0);

    /* with two complete, the older one goes first */
    assert_int_equal(add_pizza(o, "c", "p", "none"), ORDERS_OK);
    assert_int_equal(add_pizza(o, "a", "p", "none"), ORDERS_OK);
    assert_int_equal(orders_create(o, "d", 1, 0, NULL), ORDERS_OK);
    assert_null(orders_render(o, "a", &len, NULL));
    assert_order(o, "c", 1, "complete", 1);
    assert_order(o, "d", 1, "pending", 0);
    orders_free(o);
}

static void many_orders_stay_bounded(void **state) {
    (void)state;
    struct orders *o = orders_new(&(struct orders_limits){50, 1000000, 1000000});
    assert_non_null(o);
    char id[32];
    for (int i = 0; i < 1000; i++) {
        snprintf(id, sizeof(id), "bulk-%d", i);
        assert_int_equal(orders_create(o, id, 1, 0, NULL), ORDERS_OK);
        assert_int_equal(add_pizza(o, id, "p", "none"), ORDERS_OK);
    }
    struct orders_stats st;
    orders_stats(o, &st);
    assert_int_equal(st.pending + st.complete, 50);
    size_t len;
    assert_null(orders_render(o, "bulk-949", &len, NULL));
    char *text = orders_render(o, "bulk-950", &len, NULL);
    assert_non_null(text);
    free(text);
    orders_free(o);
}

/* Complete orders leave once they completed before the cutoff; pending ones
 * and recently completed ones stay. */
/* Complete orders' pizzas are bounded: the oldest complete orders leave to make
 * room for one that completes (but never that one, nor a pending order). */
static void complete_pizzas_are_bounded(void **state) {
    (void)state;
    struct orders *o = orders_new(&(struct orders_limits){1000, 1000000, 250});
    struct orders_stats st;
    char id[32];
    size_t len;
    assert_non_null(o);
    /* a: 100 complete; b: 100 pending; c: 100 complete; d: 100 completes last */
    const char *names[] = {"a", "b", "c", "d"};
    for (int i = 0; i < 4; i++)
        assert_int_equal(orders_create(o, names[i], 100, 0, NULL), ORDERS_OK);
    for (int i = 0; i < 100; i++) {
        snprintf(id, sizeof(id), "p-%d", i);
        assert_int_equal(add_pizza(o, "a", id, "none"), ORDERS_OK);
        assert_int_equal(add_pizza(o, "c", id, "none"), ORDERS_OK);
    }
    orders_stats(o, &st);
    assert_int_equal(st.complete_pizzas, 200);
    for (int i = 0; i < 100; i++) {
        snprintf(id, sizeof(id), "p-%d", i);
        assert_int_equal(add_pizza(o, "d", id, "none"), ORDERS_OK);
    }
    /* 300 > 250: a, the oldest complete, went; b (pending) stays */
    assert_null(orders_render(o, "a", &len, NULL));
    assert_order(o, "b", 100, "pending", 0);
    assert_order(o, "c", 100, "complete", 100);
    assert_order(o, "d", 100, "complete", 100);
    orders_stats(o, &st);
    assert_int_equal(st.complete_pizzas, 200);
    assert_int_equal(st.complete, 2);

    /* the order just completed stays even when it is the oldest complete one */
    for (int i = 0; i < 100; i++) {
        snprintf(id, sizeof(id), "p-%d", i);
        assert_int_equal(add_pizza(o, "b", id, "none"), ORDERS_OK);
    }
    assert_order(o, "b", 100, "complete", 100);
    assert_null(orders_render(o, "c", &len, NULL));
    assert_order(o, "d", 100, "complete", 100);
    orders_stats(o, &st);
    assert_int_equal(st.complete_pizzas, 200);
    assert_int_equal(st.pending_pizzas, 0);

    /* removal and expiry give the room back */
    orders_remove(o, "d");
    orders_stats(o, &st);
    assert_int_equal(st.complete_pizzas, 100);
    assert_int_equal(orders_expire(o, 1), 1);
    orders_stats(o, &st);
    assert_int_equal(st.complete_pizzas, 0);
    assert_int_equal(st.complete, 0);
    orders_free(o);
}

static void expire_drops_only_old_complete_orders(void **state) {
    struct orders *o = *state;
    char json[] = "{\"id\":\"x\"}";
    assert_int_equal(orders_create(o, "old-done", 1, 100, NULL), ORDERS_OK);
    assert_int_equal(orders_create(o, "old-pending", 2, 200, NULL), ORDERS_OK);
    assert_int_equal(orders_create(o, "new-done", 1, 300, NULL), ORDERS_OK);
    assert_int_equal(orders_add_pizza(o, "old-done", "p1", json, strlen(json), 150, NULL),
                     ORDERS_OK);
    assert_int_equal(orders_add_pizza(o, "old-pending", "p2", json, strlen(json), 250, NULL),
                     ORDERS_OK);
    assert_int_equal(orders_add_pizza(o, "new-done", "p3", json, strlen(json), 1000, NULL),
                     ORDERS_OK);
    assert_int_equal(orders_expire(o, 500), 1);
    size_t len;
    char *body = orders_render(o, "old-done", &len, NULL);
    assert_null(body);
    assert_non_null(body = orders_render(o, "old-pending", &len, NULL));
    free(body);
    assert_non_null(body = orders_render(o, "new-done", &len, NULL));
    free(body);
    assert_int_equal(orders_expire(o, 2000), 1); /* now new-done is old too */
    assert_null(orders_render(o, "new-done", &len, NULL));
}

/* The context an order was created under is shown with it, and its last
 * pizza reports the completion with what timing and logging need. */
static long long wall_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A changelog record may carry any created_ms. One far in the future used to
 * stop orders_expire() there (it walks creation order), so no order after it
 * ever expired; it is taken as now instead. */
static void future_created_time_does_not_stall_expiry(void **state) {
    struct orders *o = *state;
    char json[] = "{\"id\":\"x\"}";
    long long now = wall_ms(), hour = 3600 * 1000LL, years = 10 * 365 * 24 * hour;
    assert_int_equal(orders_create(o, "from-the-future", 1, now + years, NULL), ORDERS_OK);
    assert_int_equal(orders_create(o, "later", 1, now - 2 * hour, NULL), ORDERS_OK);
    assert_int_equal(orders_add_pizza(o, "from-the-future", "p1", json, strlen(json), now, NULL),
                     ORDERS_OK);
    assert_int_equal(
        orders_add_pizza(o, "later", "p2", json, strlen(json), now - 2 * hour + 1000, NULL),
        ORDERS_OK);
    /* an hour on, with a retention of 30 minutes: both completed long enough ago */
    assert_int_equal(orders_expire(o, now + hour / 2), 2);
    size_t len;
    assert_null(orders_render(o, "later", &len, NULL));
    assert_null(orders_render(o, "from-the-future", &len, NULL));
}

/* A completion time in the future would keep the order past its retention. */
static void future_completion_time_is_taken_as_now(void **state) {
    struct orders *o = *state;
    char json[] = "{\"id\":\"x\"}";
    long long now = wall_ms(), hour = 3600 * 1000LL;
    assert_int_equal(orders_create(o, "done", 1, now - hour, NULL), ORDERS_OK);
    assert_int_equal(orders_add_pizza(o, "done", "p1", json, strlen(json), now + 1000 * hour, NULL),
                     ORDERS_OK);
    assert_int_equal(orders_expire(o, now + hour), 1);
}

static void origin_is_kept_and_completion_reported(void **state) {
    struct orders *o = *state;
    const char *tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    const struct order_origin origin = {tp, 1};
    char json[] = "{\"id\":\"x\"}";
    struct orders_completion done = {.completed = 7};
    struct orders_progress progress = {-1, -1};
    size_t len;
    assert_int_equal(orders_create(o, "traced", 2, 1000, &origin), ORDERS_OK);
    json_t *doc = render_doc(o, "traced");
    assert_string_equal(json_string_value(json_object_get(doc, "traceparent")), tp);
    json_decref(doc);
    assert_int_equal(orders_add_pizza(o, "traced", "p1", json, strlen(json), 1500, &done),
                     ORDERS_OK);
    assert_int_equal(done.completed, 0);
    free(orders_render(o, "traced", &len, &progress));
    assert_int_equal(progress.complete, 0);
    assert_int_equal(progress.pizzas, 1);
    assert_int_equal(orders_add_pizza(o, "traced", "p2", json, strlen(json), 2500, &done),
                     ORDERS_OK);
    assert_int_equal(done.completed, 1);
    assert_int_equal(done.created_ms, 1000);
    assert_int_equal(done.local, 1);
    assert_string_equal(done.traceparent, tp);
    free(orders_render(o, "traced", &len, &progress));
    assert_int_equal(progress.complete, 1);
    assert_int_equal(progress.pizzas, 2);
    assert_int_equal(orders_add_pizza(o, "traced", "p2", json, strlen(json), 2600, &done),
                     ORDERS_DUPLICATE);
    assert_int_equal(done.completed, 0); /* a redelivery completes nothing */

    assert_int_equal(orders_create(o, "plain", 1, 0, NULL), ORDERS_OK);
    doc = render_doc(o, "plain");
    assert_null(json_object_get(doc, "traceparent"));
    json_decref(doc);
}

/* A count comes from the changelog too: one out of range must not make the
 * store allocate count slots (10^18 of them crashed or took gigabytes). */
static void count_out_of_range_is_invalid(void **state) {
    struct orders *o = *state;
    const long bad[] = {0, -1, PIZZA_ORDERS_MAX_COUNT + 1, 100000000L, 1000000000000000000L};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(orders_create(o, "order-big", bad[i], 0, NULL), ORDERS_INVALID);
    assert_null(orders_render(o, "order-big", &(size_t){0}, NULL));
    assert_int_equal(orders_create(o, "order-big", PIZZA_ORDERS_MAX_COUNT, 0, NULL), ORDERS_OK);
    assert_order(o, "order-big", PIZZA_ORDERS_MAX_COUNT, "pending", 0);
}

static void free_accepts_null(void **state) {
    (void)state;
    orders_free(NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(new_order_renders_pending, setup, teardown),
        cmocka_unit_test_setup_teardown(pizzas_complete_an_order, setup, teardown),
        cmocka_unit_test_setup_teardown(duplicate_pizza_is_ignored, setup, teardown),
        cmocka_unit_test_setup_teardown(extra_pizza_beyond_count_is_ignored, setup, teardown),
        cmocka_unit_test_setup_teardown(unknown_order, setup, teardown),
        cmocka_unit_test_setup_teardown(duplicate_order_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(remove_forgets_an_order, setup, teardown),
        cmocka_unit_test_setup_teardown(stats_count_pending_and_complete, setup, teardown),
        cmocka_unit_test(full_store_refuses_when_all_pending),
        cmocka_unit_test(pending_pizzas_bound_posts),
        cmocka_unit_test(posts_do_not_crowd_out_the_changelog),
        cmocka_unit_test(full_store_evicts_oldest_complete),
        cmocka_unit_test(many_orders_stay_bounded),
        cmocka_unit_test(complete_pizzas_are_bounded),
        cmocka_unit_test_setup_teardown(expire_drops_only_old_complete_orders, setup, teardown),
        cmocka_unit_test_setup_teardown(future_created_time_does_not_stall_expiry, setup, teardown),
        cmocka_unit_test_setup_teardown(future_completion_time_is_taken_as_now, setup, teardown),
        cmocka_unit_test_setup_teardown(origin_is_kept_and_completion_reported, setup, teardown),
        cmocka_unit_test_setup_teardown(count_out_of_range_is_invalid, setup, teardown),
        cmocka_unit_test(free_accepts_null),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
