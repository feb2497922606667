/* Configuration: cfg_parse (inih underneath) on INI text, then
 * cfg_apply_env. Input: the INI text, then NUL-separated "NAME=value"
 * environment entries. Oracles:
 * - cfg_parse accepts exactly what inih accepts, and holds what a model of
 *   its contract holds: per section, each key's last value, keys equal with
 *   '.' and '_' alike, in first-seen order and spelling;
 * - every key cfg_each yields, cfg_get finds with the same value;
 * - cfg_get_long agrees with a strtol reference on every value;
 * - cfg_apply_env: HTTP_PORT, LOG_LEVEL and PROCESSING_GUARANTEE win, the
 *   last one given; a refusal names no value;
 * - cfg_is_secret answers for every key (and the secrets it must know). */
#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "fuzz_check.h"
#include "fuzz_ref.h"

#define MODEL_MAX 256
#define ENV_MAX 32

struct model_entry {
    char *section, *key, *value;
};
struct model {
    struct model_entry e[MODEL_MAX];
    size_t n;
    int full;
};

static int key_equal(const char *a, const char *b) {
    for (; *a && *b; a++, b++)
        if (*a != *b && !(strchr("._", *a) && strchr("._", *b))) return 0;
    return *a == *b;
}

static int model_on_entry(void *user, const char *section, const char *key, const char *value) {
    struct model *m = user;
    for (size_t i = 0; i < m->n; i++) {
        if (strcmp(m->e[i].section, section) == 0 && key_equal(m->e[i].key, key)) {
            free(m->e[i].value);
            m->e[i].value = ref_strndup(value, strlen(value));
            return 1;
        }
    }
    if (m->n == MODEL_MAX) {
        m->full = 1; /* no checks against a model that gave up */
        return 1;
    }
    m->e[m->n++] =
        (struct model_entry){ref_strndup(section, strlen(section)), ref_strndup(key, strlen(key)),
                             ref_strndup(value, strlen(value))};
    return 1;
}

static void model_free(struct model *m) {
    for (size_t i = 0; i < m->n; i++) {
        free(m->e[i].section);
        free(m->e[i].key);
        free(m->e[i].value);
    }
}

struct each_state {
    const struct cfg *c;
    const struct model *m; /* NULL: no model to compare with */
    const char *section;
    size_t next; /* the model entry expected next */
};

static int ref_get_long(const char *v, long min, long max, long *out) {
    if (!v) return 1;
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || end == v || *end || n < min || n > max) return -1;
    *out = n;
    return 0;
}

static int check_entry(const char *key, const char *value, void *arg) {
    struct each_state *st = arg;
    const char *got = cfg_get(st->c, st->section, key);
    FUZZ_CHECK(got && strcmp(got, value) == 0, "[%s] %s: cfg_each \"%s\", cfg_get \"%s\"",
               st->section, key, value, got);
    if (st->m) {
        while (st->next < st->m->n && strcmp(st->m->e[st->next].section, st->section) != 0)
            st->next++;
        FUZZ_CHECK(st->next < st->m->n, "[%s] %s: not in the model", st->section, key);
        const struct model_entry *e = &st->m->e[st->next++];
        FUZZ_CHECK(strcmp(e->key, key) == 0 && strcmp(e->value, value) == 0,
                   "[%s] %s = %s, model: %s = %s", st->section, key, value, e->key, e->value);
    }
    static const long ranges[][2] = {{0, 65535}, {LONG_MIN, LONG_MAX}, {1, 100}, {-5, -1}};
    for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
        long got_n = 0, want_n = 0;
        char err[256];
        int rc = cfg_get_long(st->c, st->section, key, 42, ranges[i][0], ranges[i][1], &got_n, err,
                              sizeof(err));
        int ref = ref_get_long(value, ranges[i][0], ranges[i][1], &want_n);
        FUZZ_CHECK(rc == ref && (rc || got_n == want_n), "cfg_get_long \"%s\": %d %ld, ref %d %ld",
                   value, rc, got_n, ref, want_n);
    }
    int secret = cfg_is_secret(key);
    FUZZ_CHECK(secret == 0 || secret == 1, "cfg_is_secret(\"%s\") = %d", key, secret);
    return 0;
}

static void check_section(const struct cfg *c, const struct model *m, const char *section) {
    struct each_state st = {c, m, section, 0};
    FUZZ_CHECK(cfg_each(c, section, check_entry, &st) == 0, "cfg_each stopped");
    if (!m) return;
    /* and nothing the model holds was left out */
    while (st.next < m->n && strcmp(m->e[st.next].section, section) != 0)
        st.next++;
    FUZZ_CHECK(st.next == m->n, "[%s] %s: in the model, not in cfg_each", section,
               m->e[st.next].key);
}

/* The named variables win over the file and PIZZA_ names: the last one given. */
static void check_named_env(const struct cfg *c, char **envp) {
    static const char *const named[][3] = {
        {"HTTP_PORT", "http", "port"},
        {"LOG_LEVEL", "log", "level"},
        {"PROCESSING_GUARANTEE", "pipeline", "processing.guarantee"}};
    for (size_t i = 0; i < 3; i++) {
        const char *want = NULL;
        size_t nlen = strlen(named[i][0]);
        for (char **e = envp; *e; e++)
            if (strncmp(*e, named[i][0], nlen) == 0 && (*e)[nlen] == '=') want = *e + nlen + 1;
        const char *got = cfg_get(c, named[i][1], named[i][2]);
        FUZZ_CHECK(!want || (got && strcmp(got, want) == 0), "%s: \"%s\", want \"%s\"", named[i][0],
                   got, want);
    }
}

/* A refusal is "environment NAME: reason", NAME cut at 64 bytes: it may
 * show a name, never a value (a value inside the name is the name's). */
static void check_refusal(const char *err, char *const *envp) {
    static const char *const why[] = {"name too long", "expected PIZZA_<SECTION>_<KEY>",
                                      "Kafka properties are set with KAFKA_<PROPERTY>"};
    if (strcmp(err, "out of memory") == 0) return;
    FUZZ_CHECK(strncmp(err, "environment ", 12) == 0, "refusal \"%s\"", err);
    for (char *const *e = envp; *e; e++) {
        const char *eq = strchr(*e, '=');
        if (!eq) continue;
        size_t nlen = (size_t)(eq - *e), shown = nlen > 64 ? 64 : nlen;
        const char *rest = err + 12;
        if (strncmp(rest, *e, shown) != 0) continue;
        rest += shown;
        if (nlen > 64 && strncmp(rest, "...", 3) == 0) rest += 3;
        for (size_t i = 0; i < sizeof(why) / sizeof(why[0]); i++)
            if (strncmp(rest, ": ", 2) == 0 && strcmp(rest + 2, why[i]) == 0) return;
    }
    FUZZ_CHECK(0, "refusal \"%s\" is not \"environment NAME: reason\"", err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *text = ref_strndup(data, size), err[256] = "";
    size_t tlen = strlen(text);
    /* the bytes after the text (from its NUL on): NUL-separated entries */
    size_t elen = size - tlen;
    char *env_text = ref_strndup(data + tlen, elen);
    char *envp[ENV_MAX + 1] = {0};
    size_t n_env = 0;
    for (size_t i = 0; i + 1 < elen && n_env < ENV_MAX; i++)
        if (env_text[i] == '\0') envp[n_env++] = env_text + i + 1;

    struct model m = {.n = 0};
    int ini_rc = ini_parse_string(text, model_on_entry, &m);
    struct cfg *c = cfg_parse(text, err, sizeof(err));
    FUZZ_CHECK((c != NULL) == (ini_rc == 0), "cfg_parse %s, inih %d", c ? "ok" : err, ini_rc);
    if (!c) goto done;
    for (size_t i = 0; i < m.n; i++)
        check_section(c, m.full ? NULL : &m, m.e[i].section);
    if (cfg_apply_env(c, envp, err, sizeof(err)) == -1) {
        check_refusal(err, envp);
        goto done;
    }
    check_named_env(c, envp);
    static const char *const env_sections[] = {
        "http", "log", "pipeline", "kafka", "kafka.producer", "kafka.consumer"};
    for (size_t i = 0; i < sizeof(env_sections) / sizeof(env_sections[0]); i++)
        check_section(c, NULL, env_sections[i]);
    for (size_t i = 0; i < m.n; i++)
        check_section(c, NULL, m.e[i].section);
done:
    FUZZ_CHECK(cfg_is_secret("ssl.key.password") && cfg_is_secret("sasl.password") &&
                   !cfg_is_secret("ssl.key.location"),
               "cfg_is_secret");
    cfg_free(c);
    model_free(&m);
    free(text);
    free(env_text);
    return 0;
}
