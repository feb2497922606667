#include "cfg.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cfg_entry {
    char *section;
    char *key;
    char *value;
};

struct cfg {
    struct cfg_entry *entries;
    size_t n, cap;
};

void cfg_free(struct cfg *c) {
    if (!c) return;
    for (size_t i = 0; i < c->n; i++) {
        free(c->entries[i].section);
        free(c->entries[i].key);
        free(c->entries[i].value);
    }
    free(c->entries);
    free(c);
}

static struct cfg_entry *cfg_find(const struct cfg *c, const char *section, const char *key) {
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->entries[i].section, section) == 0 && strcmp(c->entries[i].key, key) == 0)
            return &c->entries[i];
    return NULL;
}

int cfg_set(struct cfg *c, const char *section, const char *key, const char *value) {
    char *v = strdup(value);
    if (!v) return -1;
    struct cfg_entry *e = cfg_find(c, section, key);
    if (e) {
        free(e->value);
        e->value = v;
        return 0;
    }
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        struct cfg_entry *grown = realloc(c->entries, cap * sizeof(*grown));
        if (!grown) goto fail;
        c->entries = grown;
        c->cap = cap;
    }
    e = &c->entries[c->n];
    e->section = strdup(section);
    e->key = strdup(key);
    if (!e->section || !e->key) {
        free(e->section);
        free(e->key);
        goto fail;
    }
    e->value = v;
    c->n++;
    return 0;
fail:
    free(v);
    return -1;
}

static int cfg_on_entry(void *user, const char *section, const char *key, const char *value) {
    return cfg_set(user, section, key, value) == 0; /* inih: non-zero means ok */
}

static struct cfg *cfg_new(void) {
    return calloc(1, sizeof(struct cfg));
}

struct cfg *cfg_parse(const char *text, char *errstr, size_t sz) {
    struct cfg *c = cfg_new();
    if (!c) {
        snprintf(errstr, sz, "out of memory");
        return NULL;
    }
    int line = ini_parse_string(text, cfg_on_entry, c);
    if (line != 0) {
        snprintf(errstr, sz, "syntax error on line %d", line);
        cfg_free(c);
        return NULL;
    }
    return c;
}

struct cfg *cfg_load(const char *path, char *errstr, size_t sz) {
    extern char **environ;
    struct cfg *c = cfg_new();
    if (!c) {
        snprintf(errstr, sz, "out of memory");
        return NULL;
    }
    int rc = ini_parse(path, cfg_on_entry, c);
    if (rc == 0 && cfg_apply_env(c, environ) == 0) return c;
    if (rc == -1)
        snprintf(errstr, sz, "%s: %s", path, strerror(errno));
    else if (rc > 0)
        snprintf(errstr, sz, "%s: syntax error on line %d", path, rc);
    else
        snprintf(errstr, sz, "%s: out of memory", path);
    cfg_free(c);
    return NULL;
}

/* KAFKA_SASL_PASSWORD -> sasl.password */
static void cfg_env_to_property(const char *name, size_t len, char *out, size_t sz) {
    size_t i = 0;
    for (; i < len && i + 1 < sz; i++)
        out[i] = name[i] == '_' ? '.' : (char)tolower((unsigned char)name[i]);
    out[i] = '\0';
}

int cfg_apply_env(struct cfg *c, char *const *envp) {
    static const char prefix[] = "KAFKA_";
    for (; envp && *envp; envp++) {
        const char *eq = strchr(*envp, '=');
        if (!eq) continue;
        size_t nlen = (size_t)(eq - *envp);
        const char *value = eq + 1;
        int rc = 0;
        if (nlen == 9 && strncmp(*envp, "HTTP_PORT", 9) == 0) {
            rc = cfg_set(c, "http", "port", value);
        } else if (nlen == 9 && strncmp(*envp, "LOG_LEVEL", 9) == 0) {
            rc = cfg_set(c, "log", "level", value);
        } else if (nlen == 20 && strncmp(*envp, "PROCESSING_GUARANTEE", 20) == 0) {
            rc = cfg_set(c, "pipeline", "processing.guarantee", value);
        } else if (nlen > sizeof(prefix) - 1 && strncmp(*envp, prefix, sizeof(prefix) - 1) == 0) {
            char prop[256];
            cfg_env_to_property(*envp + sizeof(prefix) - 1, nlen - (sizeof(prefix) - 1), prop,
                                sizeof(prop));
            rc = cfg_set(c, "kafka", prop, value);
        }
        if (rc == -1) return -1;
    }
    return 0;
}

const char *cfg_get(const struct cfg *c, const char *section, const char *key) {
    const struct cfg_entry *e = cfg_find(c, section, key);
    return e ? e->value : NULL;
}

const char *cfg_get_str(const struct cfg *c, const char *section, const char *key,
                        const char *def) {
    const char *v = cfg_get(c, section, key);
    return v ? v : def;
}

int cfg_get_long(const struct cfg *c, const char *section, const char *key, long def, long min,
                 long max, long *out, char *errstr, size_t sz) {
    const char *v = cfg_get(c, section, key);
    if (!v) {
        *out = def;
        return 0;
    }
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || end == v || *end != '\0' || n < min || n > max) {
        snprintf(errstr, sz, "[%s] %s = \"%s\": expected an integer from %ld to %ld", section, key,
                 v, min, max);
        return -1;
    }
    *out = n;
    return 0;
}

int cfg_each(const struct cfg *c, const char *section,
             int (*fn)(const char *key, const char *value, void *arg), void *arg) {
    for (size_t i = 0; i < c->n; i++) {
        if (strcmp(c->entries[i].section, section) != 0) continue;
        int rc = fn(c->entries[i].key, c->entries[i].value, arg);
        if (rc != 0) return rc;
    }
    return 0;
}

int cfg_is_secret(const char *key) {
    static const char *const markers[] = {"password", "secret", "token", "key", "credential"};
    for (size_t i = 0; i < sizeof(markers) / sizeof(markers[0]); i++)
        if (strstr(key, markers[i])) return 1;
    return 0;
}
