#ifndef PIZZA_FUZZ_REF_H
#define PIZZA_FUZZ_REF_H
#include <stddef.h>

/* Reference implementations the fuzz targets compare the real code against:
 * written straight from the documented contract, for clarity, not speed. */

/** parse.h's parse_uint, by strtol. */
int ref_parse_uint(const char *s, long max, long *out);
/** parse.h's parse_count, by strtol. */
int ref_parse_count(const char *s, long max, long *out);
/** parse.h's parse_is_order_id, by strspn. */
int ref_is_order_id(const char *s);
/** @returns 1 when s[0..len) is well-formed UTF-8 without NUL bytes (what
 * json_escape needs to produce a string json_scan_object accepts). */
int ref_utf8_without_nul(const char *s, size_t len);
/** Copies data[0..size) as a C string (cut at its first NUL). Caller frees. */
char *ref_strndup(const void *data, size_t size);

#endif
