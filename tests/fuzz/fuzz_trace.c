/* W3C traceparent: trace_parse against a reference written from the spec's
 * grammar, and a parsed header formats to one that parses to the same ids
 * (byte for byte the input, for a version-00 header). */
#include <stdint.h>
#include <string.h>

#include "fuzz_check.h"
#include "trace.h"

static int ref_hex(const uint8_t *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!strchr("0123456789abcdef", s[i]) || s[i] == '\0') return 0;
    return 1;
}

static int ref_zero(const uint8_t *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (s[i] != '0') return 0;
    return 1;
}

/* version "-" trace-id "-" parent-id "-" trace-flags, lower-case hex; a
 * version other than 00 may carry more after a '-'; ff is invalid. */
static int ref_valid(const uint8_t *s, size_t len) {
    if (len < 55 || !ref_hex(s, 2) || (s[0] == 'f' && s[1] == 'f')) return 0;
    int v00 = s[0] == '0' && s[1] == '0';
    if (v00 ? len != 55 : len > 55 && s[55] != '-') return 0;
    return s[2] == '-' && ref_hex(s + 3, 32) && s[35] == '-' && ref_hex(s + 36, 16) &&
           s[52] == '-' && ref_hex(s + 53, 2) && !ref_zero(s + 3, 32) && !ref_zero(s + 36, 16);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    struct trace_ctx c, again;
    char text[TRACEPARENT_LEN + 1];
    memset(&c, 0x5a, sizeof(c));
    int rc = trace_parse((const char *)data, size, &c);
    FUZZ_CHECK(rc == (ref_valid(data, size) ? 0 : -1), "trace_parse %d, reference %d", rc,
               ref_valid(data, size));
    if (rc != 0) return 0;
    FUZZ_CHECK(memcmp(c.trace_id, data + 3, 32) == 0 && c.trace_id[32] == '\0', "trace id");
    FUZZ_CHECK(memcmp(c.span_id, data + 36, 16) == 0 && c.span_id[16] == '\0', "span id");
    FUZZ_CHECK(c.flags <= 0xff, "flags %u", c.flags);
    trace_format(&c, text);
    FUZZ_CHECK(strlen(text) == TRACEPARENT_LEN, "formatted \"%s\"", text);
    FUZZ_CHECK(trace_parse(text, strlen(text), &again) == 0, "formatted \"%s\" does not parse",
               text);
    FUZZ_CHECK(strcmp(again.trace_id, c.trace_id) == 0 && strcmp(again.span_id, c.span_id) == 0 &&
                   again.flags == c.flags,
               "\"%s\" parses to other ids", text);
    FUZZ_CHECK(memcmp(data, "00", 2) != 0 || memcmp(text, data, TRACEPARENT_LEN) == 0,
               "\"%.55s\" formats as \"%s\"", (const char *)data, text);
    /* a child keeps the trace and flags */
    if (trace_child(&c, &again) == 0) {
        FUZZ_CHECK(strcmp(again.trace_id, c.trace_id) == 0 && again.flags == c.flags, "child");
        trace_format(&again, text);
        FUZZ_CHECK(trace_parse(text, strlen(text), &again) == 0, "child \"%s\"", text);
    }
    return 0;
}
