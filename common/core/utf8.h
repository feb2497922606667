#ifndef PIZZA_UTF8_H
#define PIZZA_UTF8_H

/* Text from the outside (a URL path, a method) echoed in a JSON answer must be
 * valid UTF-8, or the JSON encoder refuses the whole answer. */

/** Replaces, in place, every byte that does not belong to a well-formed UTF-8
 * sequence (stray continuation bytes, overlong forms, surrogates, code points
 * past U+10FFFF, sequences cut short) with '?'. The length is unchanged.
 * @returns how many bytes were replaced. */
unsigned utf8_scrub(char *s);

#endif
