#include "cfg.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct cfg_entry {
    char *section;
    char *key;
    char *value;
    char *env; /* the variable that added the key; NULL: the file */
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
        free(c->entries[i].env);
    }
    free(c->entries);
    free(c);
}

/* '.' and '_' compare equal in keys: an environment name can only spell
 * underscores, so PIZZA_PIPELINE_PROCESSING_GUARANTEE has to find the file's
 * "processing.guarantee". No two librdkafka properties differ only there
 * (ssl_key has no ssl.key twin), so [kafka] loses nothing by it. */
int cfg_key_equal(const char *a, const char *b) {
    for (;; a++, b++) {
        char x = *a == '_' ? '.' : *a;
        char y = *b == '_' ? '.' : *b;
        if (x != y) return 0;
        if (!x) return 1;
    }
}

static struct cfg_entry *cfg_find(const struct cfg *c, const char *section, const char *key) {
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->entries[i].section, section) == 0 && cfg_key_equal(c->entries[i].key, key))
            return &c->entries[i];
    return NULL;
}

/* Sets section.key; a key it adds remembers env (the variable's name, nlen
 * bytes; NULL for the file), so a refusal can name what the user wrote. */
static int cfg_put(struct cfg *c, const char *section, const char *key, const char *value,
                   const char *env, size_t nlen) {
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
    e->env = env ? strndup(env, nlen) : NULL;
    if (!e->section || !e->key || (env && !e->env)) {
        free(e->section);
        free(e->key);
        free(e->env);
        goto fail;
    }
    e->value = v;
    c->n++;
    return 0;
fail:
    free(v);
    return -1;
}

int cfg_set(struct cfg *c, const char *section, const char *key, const char *value) {
    return cfg_put(c, section, key, value, NULL, 0);
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
    if (rc == 0) {
        if (cfg_apply_env(c, environ, errstr, sz) == 0) return c;
    } else if (rc == -1) {
        snprintf(errstr, sz, "%s: %s", path, strerror(errno));
    } else if (rc > 0) {
        snprintf(errstr, sz, "%s: syntax error on line %d", path, rc);
    } else {
        snprintf(errstr, sz, "%s: out of memory", path);
    }
    cfg_free(c);
    return NULL;
}

/* librdkafka's: passed through, and checked by librdkafka, not by us */
static const char *const cfg_kafka_sections[] = {"kafka", "kafka.producer", "kafka.consumer"};

int cfg_is_kafka_section(const char *section) {
    for (size_t i = 0; i < sizeof(cfg_kafka_sections) / sizeof(cfg_kafka_sections[0]); i++)
        if (strcmp(section, cfg_kafka_sections[i]) == 0) return 1;
    return 0;
}

/* Short names for what a container sets most (and the compose file uses). */
static const struct {
    const char *var, *section, *key;
} cfg_env_named[] = {
    {"HTTP_PORT", "http", "port"},
    {"LOG_LEVEL", "log", "level"},
    {"PROCESSING_GUARANTEE", "pipeline", "processing.guarantee"},
};

const char *cfg_env_name(const char *section, const char *key) {
    for (size_t i = 0; i < sizeof(cfg_env_named) / sizeof(cfg_env_named[0]); i++)
        if (strcmp(section, cfg_env_named[i].section) == 0 &&
            cfg_key_equal(key, cfg_env_named[i].key))
            return cfg_env_named[i].var;
    return NULL;
}

/* Longest section or key an environment name may spell. */
#define PIZZA_CFG_ENV_SECTION_MAX 64
#define PIZZA_CFG_ENV_KEY_MAX 256

static int cfg_env_is(const char *name, size_t nlen, const char *literal) {
    return strlen(literal) == nlen && strncmp(name, literal, nlen) == 0;
}

/* A prefix alone ("KAFKA_") names nothing. */
static int cfg_env_has_prefix(const char *name, size_t nlen, const char *prefix) {
    size_t plen = strlen(prefix);
    return nlen > plen && strncmp(name, prefix, plen) == 0;
}

/* Copies len bytes of an environment name lower-cased, underscores as dots
 * when dots is set (SASL_PASSWORD -> sasl.password). @returns -1 when it does
 * not fit in sz. */
static int cfg_env_lower(const char *name, size_t len, int dots, char *out, size_t sz) {
    if (len >= sz) return -1;
    for (size_t i = 0; i < len; i++)
        out[i] = dots && name[i] == '_' ? '.' : (char)tolower((unsigned char)name[i]);
    out[len] = '\0';
    return 0;
}

/* Names the variable (cut short: the reason must fit), never its value: it may
 * be a secret. */
static int cfg_env_refuse(const char *name, size_t nlen, const char *why, char *errstr, size_t sz) {
    int shown = nlen > 64 ? 64 : (int)nlen;
    snprintf(errstr, sz, "environment %.*s%s: %s", shown, name, nlen > 64 ? "..." : "", why);
    return -1;
}

static int cfg_env_set(struct cfg *c, const char *section, const char *key, const char *name,
                       size_t nlen, const char *value, char *errstr, size_t sz) {
    if (cfg_put(c, section, key, value, name, nlen) == 0) return 0;
    snprintf(errstr, sz, "out of memory");
    return -1;
}

/* KAFKA_<PROPERTY> replaces the property in each of [kafka], [kafka.producer]
 * and [kafka.consumer] that sets it (a client applies its role's section after
 * [kafka], so replacing [kafka] alone would let the file win), else adds it to
 * [kafka]. A consumer-only property set in [kafka.consumer] so stays out of the
 * producer, which would warn about it. */
static int cfg_env_kafka(struct cfg *c, const char *name, size_t nlen, const char *value,
                         char *errstr, size_t sz) {
    static const size_t plen = sizeof("KAFKA_") - 1;
    char prop[PIZZA_CFG_ENV_KEY_MAX];
    int found = 0;
    if (cfg_env_lower(name + plen, nlen - plen, 1, prop, sizeof(prop)) == -1)
        return cfg_env_refuse(name, nlen, "name too long", errstr, sz);
    for (size_t i = 0; i < sizeof(cfg_kafka_sections) / sizeof(cfg_kafka_sections[0]); i++) {
        if (!cfg_find(c, cfg_kafka_sections[i], prop)) continue;
        found = 1;
        if (cfg_env_set(c, cfg_kafka_sections[i], prop, name, nlen, value, errstr, sz) == -1)
            return -1;
    }
    return found ? 0 : cfg_env_set(c, "kafka", prop, name, nlen, value, errstr, sz);
}

/* PIZZA_<SECTION>_<KEY> -> [section] key, both lower-cased; the section ends
 * at the first underscore. A name with no key part (PIZZA_ROOT, PIZZA_BIN:
 * the test harness's) is not a setting and is left alone. */
static int cfg_env_pizza(struct cfg *c, const char *name, size_t nlen, const char *value,
                         char *errstr, size_t sz) {
    const char *sec = name + sizeof("PIZZA_") - 1, *end = name + nlen;
    const char *us = memchr(sec, '_', (size_t)(end - sec));
    char section[PIZZA_CFG_ENV_SECTION_MAX], key[PIZZA_CFG_ENV_KEY_MAX];
    if (!us) return 0;
    if (us == sec || us + 1 == end)
        return cfg_env_refuse(name, nlen, "expected PIZZA_<SECTION>_<KEY>", errstr, sz);
    if (cfg_env_lower(sec, (size_t)(us - sec), 0, section, sizeof(section)) == -1 ||
        cfg_env_lower(us + 1, (size_t)(end - us - 1), 0, key, sizeof(key)) == -1)
        return cfg_env_refuse(name, nlen, "name too long", errstr, sz);
    /* one way in for librdkafka properties: KAFKA_ also reaches the role sections */
    if (strncmp(section, "kafka", 5) == 0)
        return cfg_env_refuse(name, nlen, "Kafka properties are set with KAFKA_<PROPERTY>", errstr,
                              sz);
    return cfg_env_set(c, section, key, name, nlen, value, errstr, sz);
}

/* Applies one "NAME=value": the PIZZA_ names when generic is set, else the
 * named ones. */
static int cfg_env_one(struct cfg *c, const char *var, int generic, char *errstr, size_t sz) {
    const char *eq = strchr(var, '=');
    if (!eq) return 0;
    size_t nlen = (size_t)(eq - var);
    const char *value = eq + 1;
    int pizza = cfg_env_has_prefix(var, nlen, "PIZZA_");
    if (generic || pizza)
        return generic && pizza ? cfg_env_pizza(c, var, nlen, value, errstr, sz) : 0;
    for (size_t i = 0; i < sizeof(cfg_env_named) / sizeof(cfg_env_named[0]); i++)
        if (cfg_env_is(var, nlen, cfg_env_named[i].var))
            return cfg_env_set(c, cfg_env_named[i].section, cfg_env_named[i].key, var, nlen, value,
                               errstr, sz);
    if (cfg_env_has_prefix(var, nlen, "KAFKA_"))
        return cfg_env_kafka(c, var, nlen, value, errstr, sz);
    return 0;
}

int cfg_apply_env(struct cfg *c, char *const *envp, char *errstr, size_t sz) {
    /* generic names first, so the named ones win whatever the order of envp */
    for (int generic = 1; generic >= 0; generic--)
        for (char *const *e = envp; e && *e; e++)
            if (cfg_env_one(c, *e, generic, errstr, sz) == -1) return -1;
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

int cfg_each_entry(const struct cfg *c,
                   int (*fn)(const char *section, const char *key, const char *env, void *arg),
                   void *arg) {
    for (size_t i = 0; i < c->n; i++) {
        int rc = fn(c->entries[i].section, c->entries[i].key, c->entries[i].env, arg);
        if (rc != 0) return rc;
    }
    return 0;
}

/* A word of a key: the text between '.', '_' or '-' separators. */
static int cfg_word_is(const char *w, size_t n, const char *word) {
    return strlen(word) == n && strncasecmp(w, word, n) == 0;
}

/* Decided by words, not substrings: "password", "secret", "credential" mark a
 * secret anywhere (ssl.key.password), but "key" and "token" only as the last
 * word, where they name the thing itself (ssl_key, api.key, access_token):
 * ssl.key.location and ssl.keystore.location are file paths and
 * sasl.oauthbearer.token.endpoint.url is a URL, all worth seeing in a debug
 * log. ssl.key.pem is the private key; ssl.certificate.pem and ssl.ca.pem are
 * public. sasl.oauthbearer.config is free-form and may carry credentials. */
int cfg_is_secret(const char *key) {
    static const char *const anywhere[] = {"password", "passwd",     "passphrase", "secret",
                                           "secrets",  "credential", "credentials"};
    static const char *const last[] = {"key", "apikey", "token"};
    const char *prev = NULL;
    size_t prev_n = 0;
    if (strcasecmp(key, "sasl.oauthbearer.config") == 0) return 1;
    for (const char *w = key;; w++) {
        size_t n = strcspn(w, "._-");
        int at_end = w[n] == '\0';
        for (size_t i = 0; i < sizeof(anywhere) / sizeof(anywhere[0]); i++)
            if (cfg_word_is(w, n, anywhere[i])) return 1;
        for (size_t i = 0; at_end && i < sizeof(last) / sizeof(last[0]); i++)
            if (cfg_word_is(w, n, last[i])) return 1;
        if (at_end && cfg_word_is(w, n, "pem") && prev && cfg_word_is(prev, prev_n, "key"))
            return 1;
        if (at_end) return 0;
        prev = w;
        prev_n = n;
        w += n;
    }
}
