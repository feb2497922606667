#include "trace.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

static int trace_is_hex(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return 0;
    return 1;
}

static int trace_is_zero(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (s[i] != '0') return 0;
    return 1;
}

static unsigned trace_hex_byte(const char *s) {
    unsigned v = 0;
    for (int i = 0; i < 2; i++)
        v = v * 16 + (unsigned)(s[i] <= '9' ? s[i] - '0' : s[i] - 'a' + 10);
    return v;
}

int trace_parse(const char *s, size_t len, struct trace_ctx *out) {
    if (!s || len < TRACEPARENT_LEN || !trace_is_hex(s, 2) || memcmp(s, "ff", 2) == 0) return -1;
    /* version 00 has exactly these fields; a later version may append more
     * after a dash, and we read what we understand */
    if (memcmp(s, "00", 2) == 0 ? len != TRACEPARENT_LEN
                                : len > TRACEPARENT_LEN && s[TRACEPARENT_LEN] != '-')
        return -1;
    const char *trace = s + 3, *span = s + 36, *flags = s + 53;
    if (s[2] != '-' || s[35] != '-' || s[52] != '-' || !trace_is_hex(trace, TRACE_ID_LEN) ||
        !trace_is_hex(span, 16) || !trace_is_hex(flags, 2) || trace_is_zero(trace, TRACE_ID_LEN) ||
        trace_is_zero(span, 16))
        return -1;
    memcpy(out->trace_id, trace, TRACE_ID_LEN);
    out->trace_id[TRACE_ID_LEN] = '\0';
    memcpy(out->span_id, span, 16);
    out->span_id[16] = '\0';
    out->flags = trace_hex_byte(flags);
    return 0;
}

/* Span ids are made per event by the stages: a per-thread generator seeded
 * once from the kernel keeps that off the syscall path. */
static int trace_random(unsigned char *b, size_t n) {
    static _Thread_local uint64_t state;
    if (state == 0 && (getrandom(&state, sizeof(state), 0) != (ssize_t)sizeof(state) || !state))
        return -1;
    for (size_t i = 0; i < n; i++) {
        state ^= state << 13; /* xorshift64 */
        state ^= state >> 7;
        state ^= state << 17;
        b[i] = (unsigned char)(state >> 32);
    }
    return 0;
}

static int trace_random_hex(char *out, size_t hex_len) {
    static const char digits[] = "0123456789abcdef";
    unsigned char b[TRACE_ID_LEN / 2];
    do {
        if (trace_random(b, hex_len / 2) == -1) return -1;
        for (size_t i = 0; i < hex_len / 2; i++) {
            out[2 * i] = digits[b[i] >> 4];
            out[2 * i + 1] = digits[b[i] & 15];
        }
        out[hex_len] = '\0';
    } while (trace_is_zero(out, hex_len)); /* all zeros means "no id" */
    return 0;
}

int trace_start(struct trace_ctx *out) {
    out->flags = 1;
    return trace_random_hex(out->trace_id, TRACE_ID_LEN) == 0 &&
                   trace_random_hex(out->span_id, 16) == 0
               ? 0
               : -1;
}

int trace_child(const struct trace_ctx *parent, struct trace_ctx *out) {
    memcpy(out->trace_id, parent->trace_id, sizeof(out->trace_id));
    out->flags = parent->flags;
    return trace_random_hex(out->span_id, 16);
}

void trace_format(const struct trace_ctx *c, char out[TRACEPARENT_LEN + 1]) {
    snprintf(out, TRACEPARENT_LEN + 1, "00-%s-%s-%02x", c->trace_id, c->span_id, c->flags & 0xff);
}
