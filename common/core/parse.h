#ifndef PIZZA_PARSE_H
#define PIZZA_PARSE_H
#include <stddef.h>

/* Strict parsers for untrusted text (URL segments, event fields). */

/** Parses a plain decimal integer in [0, max]: digits only, no sign, no
 * spaces, no leading zeros ("0" itself is fine). @returns 0 and sets *out, or -1. */
int parse_uint(const char *s, long max, long *out);
/** Parses a plain decimal integer in [1, max]: digits only, no sign, no
 * spaces, no leading zeros. @returns 0 and sets *out, or -1. */
int parse_count(const char *s, long max, long *out);

/* An order id is what pizza-service generates: 1..PIZZA_ORDER_ID_MAX chars of
 * [A-Za-z0-9_-]. Anything else cannot name an order. */
#define PIZZA_ORDER_ID_MAX 64
/** @returns 1 when s has the shape of an order id. */
int parse_is_order_id(const char *s);

#endif
