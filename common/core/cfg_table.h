#ifndef PIZZA_CFG_TABLE_H
#define PIZZA_CFG_TABLE_H
#include <stddef.h>

#include "cfg.h"

/* A section's settings as data, as Redis's config.c holds its static_configs:
 * one row per key with its type, default and range, and where its value goes
 * in the reader's struct. The same table reads the section and refuses keys
 * it does not list, so a misspelt key cannot fall back to the default. */
enum cfg_type {
    CFG_INTEGER, /* long: a decimal integer in [min, max] */
    CFG_STRING,  /* const char *: the text as written (owned by the cfg) */
    CFG_CHOICE,  /* int: the index of the value in choices */
};

struct cfg_setting {
    const char *key; /* as documented; '.' and '_' match alike */
    enum cfg_type type;
    size_t offset;              /* of the value in the reader's struct */
    long def, min, max;         /* CFG_INTEGER */
    const char *text;           /* CFG_STRING: the default; CFG_CHOICE: the default choice */
    const char *const *choices; /* CFG_CHOICE: NULL-terminated */
    /* non-NULL: the default differs per daemon (a port, a topic), so an absent
     * key leaves the value the daemon put in its struct before reading; this
     * text says what those defaults are (README's "Our sections") */
    const char *varies;
};

struct cfg_section {
    const char *name; /* "stage" for [stage] */
    const struct cfg_setting *settings;
    size_t n;
    /* a further section the same reader reads into the same struct (pizza-service's
     * [orders] then [web]), or NULL */
    const struct cfg_section *next;
};

/* offsetof(T, field), refused at compile time unless field is a want: the
 * table writes a want there */
#define CFG_AT(T, field, want)                                                                     \
    (offsetof(T, field) + 0 * sizeof(_Generic(((T *)0)->field, want : 1)))

#define CFG_INT(key_, T, field, def_, min_, max_)                                                  \
    {                                                                                              \
        .key = (key_), .type = CFG_INTEGER, .offset = CFG_AT(T, field, long), .def = (def_),       \
        .min = (min_), .max = (max_)                                                               \
    }
#define CFG_INT_VARIES(key_, T, field, min_, max_, varies_)                                        \
    {                                                                                              \
        .key = (key_), .type = CFG_INTEGER, .offset = CFG_AT(T, field, long), .min = (min_),       \
        .max = (max_), .varies = (varies_)                                                         \
    }
#define CFG_STR(key_, T, field, def_)                                                              \
    { .key = (key_), .type = CFG_STRING, .offset = CFG_AT(T, field, const char *), .text = (def_) }
#define CFG_STR_VARIES(key_, T, field, varies_)                                                    \
    {                                                                                              \
        .key = (key_), .type = CFG_STRING, .offset = CFG_AT(T, field, const char *),               \
        .varies = (varies_)                                                                        \
    }
#define CFG_CHOICE_OF(key_, T, field, def_, choices_)                                              \
    {                                                                                              \
        .key = (key_), .type = CFG_CHOICE, .offset = CFG_AT(T, field, int), .text = (def_),        \
        .choices = (choices_)                                                                      \
    }

#define CFG_SECTION(name_, rows)                                                                   \
    { .name = (name_), .settings = (rows), .n = sizeof(rows) / sizeof((rows)[0]) }
#define CFG_SECTION_THEN(name_, rows, next_)                                                       \
    { .name = (name_), .settings = (rows), .n = sizeof(rows) / sizeof((rows)[0]), .next = (next_) }

/** @returns sec's row for key ('.' and '_' alike), or NULL. */
const struct cfg_setting *cfg_table_find(const struct cfg_section *sec, const char *key);

/** Reads every key of sec from c into dst, the struct the offsets point into:
 * an absent key takes its default, or keeps dst's value when it varies.
 * Strings point into c: they live as long as it does.
 * @returns 0, or -1 with errstr naming section, key and value when a value is
 * malformed or out of range (dst may be partly written). */
int cfg_table_read(const struct cfg *c, const struct cfg_section *sec, void *dst, char *errstr,
                   size_t sz);

/** Refuses what nothing would read. From the file: a section that is neither
 * in known (n of them) nor Kafka's (cfg_is_kafka_section), and a key a known
 * section's table lacks. From the environment (PIZZA_<SECTION>_<KEY>): a key a
 * known section lacks; a variable for any other section is left alone, since
 * one environment may serve several daemons (and PIZZA_ names the harness's).
 * @returns 0, or -1 with errstr naming the first offender (never a value). */
int cfg_table_check(const struct cfg *c, const struct cfg_section *const *known, size_t n,
                    char *errstr, size_t sz);

#endif
