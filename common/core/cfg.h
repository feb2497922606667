#ifndef PIZZA_CFG_H
#define PIZZA_CFG_H
#include <stddef.h>

/* A service's configuration: INI sections of key = value, plus environment
 * overrides. Section "kafka" (and "kafka.producer", "kafka.consumer") hold
 * librdkafka properties passed through verbatim. */
struct cfg; /* opaque */

/** Reads path, then applies the process environment (see cfg_apply_env).
 * @returns NULL on error (errstr set). Free with cfg_free(). */
struct cfg *cfg_load(const char *path, char *errstr, size_t sz);
/** Parses INI text (no environment). @returns NULL on error (errstr set). */
struct cfg *cfg_parse(const char *text, char *errstr, size_t sz);
void cfg_free(struct cfg *c); /* NULL-safe */

/** Applies overrides from envp (NULL-terminated "NAME=value" strings):
 * - KAFKA_BOOTSTRAP_SERVERS and KAFKA_<PROPERTY> (lower-cased, underscores
 *   become dots): replaces the property in each of [kafka], [kafka.producer]
 *   and [kafka.consumer] that sets it (so the environment always wins), else
 *   adds it to [kafka];
 * - HTTP_PORT into [http] port; LOG_LEVEL into [log] level;
 *   PROCESSING_GUARANTEE into [pipeline] processing.guarantee;
 * - PIZZA_<SECTION>_<KEY> into [section] key: section is the lower-cased text up
 *   to the first underscore after PIZZA_, key the lower-cased rest
 *   (PIZZA_ORDERS_MAX_COUNT -> [orders] max_count; keys match with '.' and '_'
 *   alike, so PIZZA_PIPELINE_PROCESSING_GUARANTEE sets processing.guarantee).
 *   Any section may be set except kafka*, which is KAFKA_'s; whether the
 *   section and key exist is the reader's to decide (cfg_table_check). A name
 *   with no key part (PIZZA_ROOT) is not a setting and is ignored. The named
 *   variables above win over PIZZA_ ones.
 * Other variables are ignored.
 * @returns 0, or -1 with errstr naming the variable (never its value) for a
 * malformed or refused PIZZA_ name, a name too long, or allocation failure. */
int cfg_apply_env(struct cfg *c, char *const *envp, char *errstr, size_t sz);

/** @returns the short variable (HTTP_PORT) that sets section.key, or NULL. */
const char *cfg_env_name(const char *section, const char *key);

/* Keys (not sections) compare with '.' and '_' as one character everywhere:
 * cfg_get(c, "pipeline", "processing.guarantee") finds processing_guarantee. */
/** @returns 1 when keys a and b are the same key. */
int cfg_key_equal(const char *a, const char *b);
/** @returns 1 for [kafka], [kafka.producer] and [kafka.consumer]: librdkafka
 * properties, passed through and checked by librdkafka. */
int cfg_is_kafka_section(const char *section);

/** Sets or replaces section.key (a replaced key keeps its first spelling).
 * @returns 0, or -1 on allocation failure. */
int cfg_set(struct cfg *c, const char *section, const char *key, const char *value);
/** @returns the value, or NULL when absent. Owned by c. */
const char *cfg_get(const struct cfg *c, const char *section, const char *key);
const char *cfg_get_str(const struct cfg *c, const char *section, const char *key, const char *def);
/** Reads a decimal integer in [min, max]; def when absent.
 * @returns 0, or -1 with errstr naming the key when malformed or out of range. */
int cfg_get_long(const struct cfg *c, const char *section, const char *key, long def, long min,
                 long max, long *out, char *errstr, size_t sz);

/** Calls fn for each key of section in file order; stops at the first non-zero
 * return and passes it back. @returns 0 when fn accepted every key. */
int cfg_each(const struct cfg *c, const char *section,
             int (*fn)(const char *key, const char *value, void *arg), void *arg);

/** Calls fn for every key of every section in file order, with env the
 * environment variable that added it (NULL when the file did; a variable that
 * replaces a file's key leaves it NULL). Stops at the first non-zero return and
 * passes it back. */
int cfg_each_entry(const struct cfg *c,
                   int (*fn)(const char *section, const char *key, const char *env, void *arg),
                   void *arg);

/** @returns 1 when key names a secret, so its value is never logged: a word
 * (split at '.', '_', '-'; any case) password, passwd, passphrase, secret(s),
 * credential(s) anywhere; key, apikey or token as the last word; key.pem; and
 * sasl.oauthbearer.config. Paths and URLs to such things (ssl.key.location,
 * sasl.oauthbearer.token.endpoint.url) and sasl.username are not secrets. */
int cfg_is_secret(const char *key);

#endif
