#ifndef PIZZA_JSON_SCAN_H
#define PIZZA_JSON_SCAN_H
#include <stddef.h>

/* A validating one-pass JSON scanner that allocates nothing. Every stage reads
 * and rewrites every pizza: building a jansson tree and dumping it again cost
 * most of a stage's CPU, while a stage only needs a few top-level strings and
 * the places to splice its topping into the bytes it received.
 *
 * Accepts exactly RFC 8259 JSON in UTF-8 (no BOM, no NUL characters, no lone
 * surrogates, nesting at most JSON_SCAN_MAX_DEPTH). */

#define JSON_SCAN_MAX_DEPTH 64

enum json_kind { JSON_KIND_NONE = 0, JSON_KIND_STRING, JSON_KIND_OTHER };

/* One top-level member the caller asks for. */
struct json_field {
    const char *name;    /* in: the member's (decoded) name, at most 20 bytes */
    enum json_kind kind; /* out: NONE when absent */
    const char *raw;     /* out: a string's bytes between its quotes; NULL for other kinds */
    size_t raw_len;
};

/** Validates buf[0..len) as one JSON object and fills each of the n fields
 * asked for. A field named twice is an error (which one would count?); other
 * repeated members are left as they are.
 * @returns 0, or -1 with a reason (and byte position) in err. */
int json_scan_object(const char *buf, size_t len, struct json_field *fields, size_t n, char *err,
                     size_t sz);

/** @returns the length of the well-formed UTF-8 sequence at p (its first byte
 * is >= 0x80, and p < end), or 0: overlong forms, surrogates, values past
 * U+10FFFF and sequences cut short by end are not well-formed. */
size_t json_utf8_sequence(const unsigned char *p, const unsigned char *end);

/** Decodes the raw bytes of a string the scanner accepted into out, which must
 * hold raw_len + 1 bytes (decoding never grows a string); NUL-terminates it.
 * @returns the decoded length. */
size_t json_unescape(const char *raw, size_t raw_len, char *out);

/** Escapes s (UTF-8) as the inside of a JSON string into out, which must hold
 * 6 * len bytes. @returns the bytes written (no NUL). */
size_t json_escape(const char *s, size_t len, char *out);

#endif
