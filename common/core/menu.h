#ifndef PIZZA_MENU_H
#define PIZZA_MENU_H
#include <stddef.h>

/* A topping stage's menu. A single menu picks one item; a multi menu picks
 * 0..max_picks distinct items joined with " & ", or "none" for zero picks. */
struct menu {
    const char *stage; /* salt for the choice: same pizza, other stage, other pick */
    const char *const *items;
    size_t n_items;
    int multi;
    size_t max_picks;
};

#define PIZZA_MENU_TEXT_MAX 256

/** Chooses deterministically from (stage, pizza_id): the same pizza always gets
 * the same topping, so a reprocessed event is identical. Writes a NUL-terminated
 * string of at most PIZZA_MENU_TEXT_MAX bytes to out. */
void menu_choose(const struct menu *m, const char *pizza_id, char out[PIZZA_MENU_TEXT_MAX]);

/** 64-bit FNV-1a of a then b (with a separator), exposed for tests. */
unsigned long long menu_hash(const char *a, const char *b);

#endif
