/* Prints every daemon's settings tables as the rows of README's "Our sections"
 * table (section, key, default, range, environment), so tests/e2e/config_table.sh
 * can hold the README to what the daemons read. */
#include <ctype.h>
#include <stdio.h>

#include "cfg_table.h"
#include "pizza_service.h"
#include "reporter.h"
#include "service.h"
#include "stage.h"

static void print_default(const struct cfg_setting *row) {
    if (row->varies) {
        fputs(row->varies, stdout);
        return;
    }
    switch (row->type) {
    case CFG_INTEGER:
        printf("%ld", row->def);
        return;
    case CFG_STRING:
    case CFG_CHOICE:
        printf("`%s`", row->text);
        return;
    }
}

static void print_range(const struct cfg_setting *row) {
    switch (row->type) {
    case CFG_INTEGER:
        printf("%ld\u2013%ld", row->min, row->max);
        return;
    case CFG_CHOICE:
        for (size_t i = 0; row->choices[i]; i++)
            printf("%s`%s`", i ? ", " : "", row->choices[i]);
        return;
    case CFG_STRING:
        return;
    }
}

/* The short name where there is one, then PIZZA_<SECTION>_<KEY> as
 * cfg_apply_env reads it: upper case, '.' spelt '_'. */
static void print_env(const char *section, const struct cfg_setting *row) {
    const char *named = cfg_env_name(section, row->key);
    if (named) printf("`%s`, ", named);
    fputs("`PIZZA_", stdout);
    for (const char *p = section; *p; p++)
        putchar(toupper((unsigned char)*p));
    putchar('_');
    for (const char *p = row->key; *p; p++)
        putchar(*p == '.' ? '_' : toupper((unsigned char)*p));
    putchar('`');
}

static void print_section(const struct cfg_section *sec) {
    for (size_t i = 0; i < sec->n; i++) {
        const struct cfg_setting *row = &sec->settings[i];
        if (i == 0)
            printf("| `[%s]` | `%s` | ", sec->name, row->key);
        else
            printf("| | `%s` | ", row->key);
        print_default(row);
        fputs(" | ", stdout);
        print_range(row);
        fputs(" | ", stdout);
        print_env(sec->name, row);
        fputs(" |\n", stdout);
    }
}

int main(void) {
    for (size_t i = 0; i < PIZZA_SERVICE_SECTIONS; i++)
        print_section(service_sections[i]);
    print_section(&stage_section);
    print_section(&pizza_orders_section);
    print_section(&pizza_web_section);
    print_section(&reporter_section);
    return 0;
}
