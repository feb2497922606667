/* menu.h: deterministic topping choice per (stage, pizza id). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "menu.h"

static const char *const sauces[] = {"regular", "light", "extra", "none", "alfredo"};
static const char *const cheeses[] = {"extra", "none", "three cheese", "goat cheese"};
static const char *const meats[] = {"pepperoni", "sausage", "ham", "anchovies", "salami", "bacon"};
static const char *const veggies[] = {"tomato",  "olives",    "onions",
                                      "peppers", "pineapple", "mushrooms"};

static const struct menu sauce_menu = {"sauce", sauces, 5, 0, 0};
static const struct menu cheese_menu = {"cheese", cheeses, 4, 0, 0};
static const struct menu meat_menu = {"meats", meats, 6, 1, 4};
static const struct menu veggie_menu = {"veggies", veggies, 6, 1, 4};

#define N_IDS 10000

static void make_id(char *buf, size_t sz, int i) {
    snprintf(buf, sz, "order-%d:pizza-%d", i / 7, i);
}

static int item_index(const struct menu *m, const char *s, size_t len) {
    for (size_t i = 0; i < m->n_items; i++)
        if (strlen(m->items[i]) == len && strncmp(m->items[i], s, len) == 0) return (int)i;
    return -1;
}

/* Splits a multi-menu choice into item indexes; fails the test on anything
 * that is not distinct menu items joined by " & ". @returns the pick count. */
static size_t split_picks(const struct menu *m, const char *text, int idx[32]) {
    if (strcmp(text, "none") == 0) return 0;
    size_t n = 0;
    const char *p = text;
    for (;;) {
        const char *sep = strstr(p, " & ");
        size_t len = sep ? (size_t)(sep - p) : strlen(p);
        int k = item_index(m, p, len);
        if (k < 0) fail_msg("\"%s\": \"%.*s\" is not on the %s menu", text, (int)len, p, m->stage);
        for (size_t j = 0; j < n; j++)
            if (idx[j] == k) fail_msg("\"%s\" repeats %s", text, m->items[k]);
        assert_true(n < 32);
        idx[n++] = k;
        if (!sep) return n;
        p = sep + 3;
    }
}

static void same_pizza_same_topping(void **state) {
    (void)state;
    const struct menu *menus[] = {&sauce_menu, &cheese_menu, &meat_menu, &veggie_menu};
    for (size_t m = 0; m < 4; m++) {
        /* an equal but distinct menu object, as after a restart */
        struct menu copy = *menus[m];
        for (int i = 0; i < 1000; i++) {
            char id[64], a[PIZZA_MENU_TEXT_MAX], b[PIZZA_MENU_TEXT_MAX];
            make_id(id, sizeof(id), i);
            menu_choose(menus[m], id, a);
            menu_choose(&copy, id, b);
            assert_string_equal(a, b);
        }
    }
}

static void stage_salt_changes_the_choice(void **state) {
    (void)state;
    /* same items, other stage name: a pizza's picks must not be correlated */
    const struct menu other = {"sauce-v2", sauces, 5, 0, 0};
    int differ = 0, counts[5] = {0};
    for (int i = 0; i < 1000; i++) {
        char id[64], a[PIZZA_MENU_TEXT_MAX], b[PIZZA_MENU_TEXT_MAX];
        make_id(id, sizeof(id), i);
        menu_choose(&sauce_menu, id, a);
        menu_choose(&other, id, b);
        differ += strcmp(a, b) != 0;
        counts[item_index(&other, b, strlen(b))]++;
    }
    /* independent choices from 5 items differ ~80% of the time */
    if (differ < 700 || differ > 900) fail_msg("only %d of 1000 pizzas differ", differ);
    for (int k = 0; k < 5; k++)
        assert_in_range(counts[k], 120, 280);

    /* meats and veggies have the same shape: their pick counts must not move together */
    int same_count = 0;
    for (int i = 0; i < 1000; i++) {
        char id[64], a[PIZZA_MENU_TEXT_MAX], b[PIZZA_MENU_TEXT_MAX];
        int ia[32], ib[32];
        make_id(id, sizeof(id), i);
        menu_choose(&meat_menu, id, a);
        menu_choose(&veggie_menu, id, b);
        same_count += split_picks(&meat_menu, a, ia) == split_picks(&veggie_menu, b, ib);
    }
    if (same_count > 300)
        fail_msg("%d of 1000 pizzas have equal meat and veggie counts", same_count);
}

static void single_menu_is_fair(void **state) {
    (void)state;
    const struct menu *menus[] = {&sauce_menu, &cheese_menu};
    for (size_t m = 0; m < 2; m++) {
        int counts[8] = {0};
        for (int i = 0; i < N_IDS; i++) {
            char id[64], out[PIZZA_MENU_TEXT_MAX];
            make_id(id, sizeof(id), i);
            menu_choose(menus[m], id, out);
            int k = item_index(menus[m], out, strlen(out));
            if (k < 0) fail_msg("\"%s\" is not on the %s menu", out, menus[m]->stage);
            counts[k]++;
        }
        /* 5 items: each 15%..25%; 4 items: each 20%..30% */
        int expect = N_IDS / (int)menus[m]->n_items;
        for (size_t k = 0; k < menus[m]->n_items; k++)
            if (counts[k] < expect - N_IDS / 20 || counts[k] > expect + N_IDS / 20)
                fail_msg("%s \"%s\" chosen %d of %d times", menus[m]->stage, menus[m]->items[k],
                         counts[k], N_IDS);
    }
}

static void multi_menu_picks_distinct_items(void **state) {
    (void)state;
    const struct menu *menus[] = {&meat_menu, &veggie_menu};
    for (size_t m = 0; m < 2; m++) {
        int by_count[5] = {0}, by_item[6] = {0};
        for (int i = 0; i < N_IDS; i++) {
            char id[64], out[PIZZA_MENU_TEXT_MAX];
            int idx[32];
            make_id(id, sizeof(id), i);
            menu_choose(menus[m], id, out);
            size_t n = split_picks(menus[m], out, idx);
            if (n > menus[m]->max_picks) fail_msg("\"%s\" has %zu picks", out, n);
            by_count[n]++;
            for (size_t j = 0; j < n; j++)
                by_item[idx[j]]++;
        }
        for (int n = 0; n <= 4; n++)
            if (by_count[n] < N_IDS / 10) fail_msg("%d picks happened %d times", n, by_count[n]);
        for (int k = 0; k < 6; k++)
            if (by_item[k] < N_IDS / 10)
                fail_msg("%s picked %d times", menus[m]->items[k], by_item[k]);
    }
}

static void multi_menu_caps_picks_at_menu_size(void **state) {
    (void)state;
    static const char *const three[] = {"a", "b", "c"};
    const struct menu greedy = {"greedy", three, 3, 1, 10};
    int saw_all = 0;
    for (int i = 0; i < 1000; i++) {
        char id[64], out[PIZZA_MENU_TEXT_MAX];
        int idx[32];
        make_id(id, sizeof(id), i);
        menu_choose(&greedy, id, out);
        size_t n = split_picks(&greedy, out, idx);
        assert_true(n <= 3);
        saw_all += n == 3;
    }
    assert_true(saw_all > 0);

    const struct menu never = {"never", three, 3, 1, 0};
    for (int i = 0; i < 100; i++) {
        char id[64], out[PIZZA_MENU_TEXT_MAX];
        make_id(id, sizeof(id), i);
        menu_choose(&never, id, out);
        assert_string_equal(out, "none");
    }
}

static void long_items_never_overflow(void **state) {
    (void)state;
    char names[4][200];
    const char *items[4];
    for (int k = 0; k < 4; k++) {
        memset(names[k], 'a' + k, sizeof(names[k]) - 1);
        names[k][sizeof(names[k]) - 1] = '\0';
        items[k] = names[k];
    }
    const struct menu big = {"big", items, 4, 1, 4};
    struct {
        char out[PIZZA_MENU_TEXT_MAX];
        char canary[32];
    } buf;
    int saw_long = 0;
    for (int i = 0; i < 200; i++) {
        char id[64];
        make_id(id, sizeof(id), i);
        memset(&buf, 'Z', sizeof(buf));
        menu_choose(&big, id, buf.out);
        size_t len = strnlen(buf.out, sizeof(buf.out));
        assert_true(len < PIZZA_MENU_TEXT_MAX);
        saw_long += len == PIZZA_MENU_TEXT_MAX - 1;
        for (size_t j = 0; j < sizeof(buf.canary); j++)
            assert_int_equal(buf.canary[j], 'Z');
    }
    assert_true(saw_long > 0); /* two or more picks hit the limit */
}

static void hash_separates_its_arguments(void **state) {
    (void)state;
    assert_true(menu_hash("ab", "c") != menu_hash("a", "bc"));
    assert_true(menu_hash("", "x") != menu_hash("x", ""));
    assert_true(menu_hash("sauce", "p1") == menu_hash("sauce", "p1"));
    assert_true(menu_hash("sauce", "p1") != menu_hash("sauce", "p2"));
}

/* every topping ever chosen follows from these: a change re-tops every pizza */
static void hash_is_pinned(void **state) {
    (void)state;
    assert_true(menu_hash("", "") == 0xaf64724c8602eb6eULL);
    assert_true(menu_hash("sauce", "p1") == 0xd3485bca869505c2ULL);
    assert_true(menu_hash("cheese", "pizza-42") == 0xc5ab34adc9017312ULL);
    assert_true(menu_hash("sauce", "\xff\x80z") == 0x8c1c6e24eb473f88ULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(same_pizza_same_topping),
        cmocka_unit_test(stage_salt_changes_the_choice),
        cmocka_unit_test(single_menu_is_fair),
        cmocka_unit_test(multi_menu_picks_distinct_items),
        cmocka_unit_test(multi_menu_caps_picks_at_menu_size),
        cmocka_unit_test(long_items_never_overflow),
        cmocka_unit_test(hash_separates_its_arguments),
        cmocka_unit_test(hash_is_pinned),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
