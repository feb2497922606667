#include "cfg_table.h"

#include <stdio.h>
#include <string.h>

const struct cfg_setting *cfg_table_find(const struct cfg_section *sec, const char *key) {
    for (size_t i = 0; i < sec->n; i++)
        if (cfg_key_equal(sec->settings[i].key, key)) return &sec->settings[i];
    return NULL;
}

/* Names the choices as the error shows them: "debug|info|warn|error". */
static void cfg_table_choices(const char *const *choices, char *out, size_t sz) {
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; choices[i] && used < sz; i++) {
        int n = snprintf(out + used, sz - used, "%s%s", i ? "|" : "", choices[i]);
        if (n < 0) return;
        used += (size_t)n;
    }
}

static int cfg_table_choose(const char *section, const struct cfg_setting *row, const char *value,
                            int *out, char *errstr, size_t sz) {
    char expected[256];
    for (int i = 0; row->choices[i]; i++) {
        if (strcmp(value, row->choices[i]) == 0) {
            *out = i;
            return 0;
        }
    }
    cfg_table_choices(row->choices, expected, sizeof(expected));
    snprintf(errstr, sz, "[%s] %s = \"%s\": expected %s", section, row->key, value, expected);
    return -1;
}

/* memcpy: the offsets come from offsetof, but dst is only a void pointer */
static int cfg_table_read_one(const struct cfg *c, const char *section,
                              const struct cfg_setting *row, char *dst, char *errstr, size_t sz) {
    const char *v = cfg_get(c, section, row->key);
    long n;
    int choice;
    if (!v && row->varies) return 0; /* the daemon's own default stands */
    switch (row->type) {
    case CFG_INTEGER:
        if (cfg_get_long(c, section, row->key, row->def, row->min, row->max, &n, errstr, sz) == -1)
            return -1;
        memcpy(dst + row->offset, &n, sizeof(n));
        return 0;
    case CFG_STRING:
        if (!v) v = row->text;
        memcpy(dst + row->offset, &v, sizeof(v));
        return 0;
    case CFG_CHOICE:
        if (cfg_table_choose(section, row, v ? v : row->text, &choice, errstr, sz) == -1) return -1;
        memcpy(dst + row->offset, &choice, sizeof(choice));
        return 0;
    }
    snprintf(errstr, sz, "[%s] %s: unknown setting type", section, row->key);
    return -1;
}

int cfg_table_read(const struct cfg *c, const struct cfg_section *sec, void *dst, char *errstr,
                   size_t sz) {
    for (size_t i = 0; i < sec->n; i++)
        if (cfg_table_read_one(c, sec->name, &sec->settings[i], dst, errstr, sz) == -1) return -1;
    return 0;
}

struct cfg_table_check {
    const struct cfg_section *const *known;
    size_t n;
    char *errstr;
    size_t sz;
};

static const struct cfg_section *cfg_table_section(const struct cfg_table_check *ck,
                                                   const char *name) {
    for (size_t i = 0; i < ck->n; i++)
        if (ck->known[i] && strcmp(ck->known[i]->name, name) == 0) return ck->known[i];
    return NULL;
}

/* "[kafka], [kafka.producer], [kafka.consumer], [http], ...": what the daemon
 * reads, so a misplaced or misspelt section is easy to put right. */
static void cfg_table_section_list(const struct cfg_table_check *ck, char *out, size_t sz) {
    size_t used = (size_t)snprintf(out, sz, "[kafka], [kafka.producer], [kafka.consumer]");
    for (size_t i = 0; i < ck->n && used < sz; i++) {
        if (!ck->known[i]) continue;
        int w = snprintf(out + used, sz - used, ", [%s]", ck->known[i]->name);
        if (w < 0) return;
        used += (size_t)w;
    }
}

static int cfg_table_check_one(const char *section, const char *key, const char *env, void *arg) {
    struct cfg_table_check *ck = arg;
    char list[512];
    if (cfg_is_kafka_section(section)) return 0;
    const struct cfg_section *sec = cfg_table_section(ck, section);
    if (!sec) {
        if (env) return 0; /* another daemon's, or not a setting at all */
        cfg_table_section_list(ck, list, sizeof(list));
        snprintf(ck->errstr, ck->sz, "[%s]: unknown section (this service reads %s)", section,
                 list);
        return -1;
    }
    if (cfg_table_find(sec, key)) return 0;
    if (env)
        snprintf(ck->errstr, ck->sz, "environment %s: [%s] has no key %s", env, section, key);
    else
        snprintf(ck->errstr, ck->sz, "[%s] %s: unknown key", section, key);
    return -1;
}

int cfg_table_check(const struct cfg *c, const struct cfg_section *const *known, size_t n,
                    char *errstr, size_t sz) {
    struct cfg_table_check ck = {known, n, errstr, sz};
    return cfg_each_entry(c, cfg_table_check_one, &ck) == 0 ? 0 : -1;
}
