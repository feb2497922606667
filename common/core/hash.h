#ifndef PIZZA_HASH_H
#define PIZZA_HASH_H
#include <stddef.h>
#include <stdint.h>

/* 64-bit FNV-1a (offset basis 0xcbf29ce484222325, prime 0x100000001b3): one
 * definition, because menu choices are derived from it and must not drift. */

/** @returns the 64-bit FNV-1a hash of the n bytes at p (NULL allowed when n is 0). */
uint64_t hash_fnv1a(const void *p, size_t n);

/** Continues h over n more bytes: hash_fnv1a_more(hash_fnv1a(a), b) equals the
 * hash of a followed by b. */
uint64_t hash_fnv1a_more(uint64_t h, const void *p, size_t n);

#endif
