#include "menu.h"

#include "hash.h"

#include <string.h>

unsigned long long menu_hash(const char *a, const char *b) {
    uint64_t h = hash_fnv1a(a, strlen(a));
    h = hash_fnv1a_more(h, "\xff", 1); /* separator: ("ab","c") != ("a","bc") */
    return hash_fnv1a_more(h, b, strlen(b));
}

/* splitmix64: spreads FNV's weak low bits over a stream of draws. */
static unsigned long long menu_next(unsigned long long *state) {
    unsigned long long z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void menu_append(char *out, const char *s) {
    size_t used = strlen(out), n = strlen(s);
    if (used + n >= PIZZA_MENU_TEXT_MAX) n = PIZZA_MENU_TEXT_MAX - 1 - used;
    memcpy(out + used, s, n);
    out[used + n] = '\0';
}

void menu_choose(const struct menu *m, const char *pizza_id, char out[PIZZA_MENU_TEXT_MAX]) {
    unsigned long long state = menu_hash(m->stage, pizza_id);
    out[0] = '\0';
    if (!m->multi) {
        menu_append(out, m->items[menu_next(&state) % m->n_items]);
        return;
    }
    size_t order[32], n = m->n_items < 32 ? m->n_items : 32;
    size_t max = m->max_picks < n ? m->max_picks : n;
    size_t picks = (size_t)(menu_next(&state) % (max + 1));
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    /* partial Fisher-Yates: the first `picks` slots are distinct random items */
    for (size_t i = 0; i < picks; i++) {
        size_t j = i + (size_t)(menu_next(&state) % (n - i));
        size_t t = order[i];
        order[i] = order[j];
        order[j] = t;
        if (i > 0) menu_append(out, " & ");
        menu_append(out, m->items[order[i]]);
    }
    if (picks == 0) menu_append(out, "none");
}
