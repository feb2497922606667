#include "hash.h"

#define PIZZA_FNV1A_OFFSET 0xcbf29ce484222325ULL
#define PIZZA_FNV1A_PRIME 0x100000001b3ULL

uint64_t hash_fnv1a_more(uint64_t h, const void *p, size_t n) {
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * PIZZA_FNV1A_PRIME;
    return h;
}

uint64_t hash_fnv1a(const void *p, size_t n) {
    return hash_fnv1a_more(PIZZA_FNV1A_OFFSET, p, n);
}
