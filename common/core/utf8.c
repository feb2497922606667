#include "utf8.h"

/* @returns the length of the well-formed sequence at s (RFC 3629, table 3-7 of
 * the Unicode standard), or 0 when none starts there. */
static int utf8_sequence(const unsigned char *s) {
    unsigned char c = s[0];
    unsigned char lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
    int len;
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0) lo = 0xA0; /* overlong */
        if (c == 0xED) hi = 0x9F; /* surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0) lo = 0x90; /* overlong */
        if (c == 0xF4) hi = 0x8F; /* past U+10FFFF */
    } else {
        return 0; /* continuation byte, C0/C1 (overlong) or F5..FF */
    }
    if (s[1] < lo || s[1] > hi) return 0;
    for (int i = 2; i < len; i++)
        if (s[i] < 0x80 || s[i] > 0xBF) return 0; /* the NUL ends a cut sequence here */
    return len;
}

unsigned utf8_scrub(char *s) {
    unsigned replaced = 0;
    unsigned char *p = (unsigned char *)s;
    while (*p) {
        int len = utf8_sequence(p);
        if (len) {
            p += len;
        } else {
            *p++ = '?';
            replaced++;
        }
    }
    return replaced;
}
