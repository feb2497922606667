#ifndef PIZZA_BUF_H
#define PIZZA_BUF_H
#include <stddef.h>

/* A growable byte buffer that is reused: hot paths reset it per message and
 * keep its memory, so steady state allocates nothing. */
struct buf {
    char *data;
    size_t len, cap;
};

/** Makes room for n more bytes. @returns 0, or -1 on allocation failure. */
int buf_reserve(struct buf *b, size_t n);
static inline void buf_reset(struct buf *b) {
    b->len = 0;
}
void buf_free(struct buf *b); /* NULL-safe, leaves it empty and usable */

#endif
