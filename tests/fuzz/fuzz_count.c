/* parse_uint and parse_count (parse.h) against a strtol reference, for any
 * text and any max, negative ones included. Input: 8 bytes of max, then the
 * text (cut at a NUL, as a C string would be). */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "fuzz_ref.h"
#include "parse.h"

static void check_one(const char *s, long max) {
    long got = -7, want = -7;
    int rc = parse_uint(s, max, &got), ref = ref_parse_uint(s, max, &want);
    FUZZ_CHECK(rc == ref, "parse_uint(\"%s\", %ld) = %d, reference %d", s, max, rc, ref);
    FUZZ_CHECK(rc == -1 || got == want, "parse_uint(\"%s\", %ld): %ld, reference %ld", s, max, got,
               want);
    FUZZ_CHECK(rc == 0 || got == -7, "parse_uint(\"%s\") failed but wrote *out", s);
    got = want = -7;
    rc = parse_count(s, max, &got);
    ref = ref_parse_count(s, max, &want);
    FUZZ_CHECK(rc == ref, "parse_count(\"%s\", %ld) = %d, reference %d", s, max, rc, ref);
    FUZZ_CHECK(rc == -1 || (got == want && got >= 1 && got <= max),
               "parse_count(\"%s\", %ld): %ld, reference %ld", s, max, got, want);
    FUZZ_CHECK(rc == 0 || got == -7, "parse_count(\"%s\") failed but wrote *out", s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    int64_t max = 100;
    if (size >= sizeof(max)) {
        memcpy(&max, data, sizeof(max));
        data += sizeof(max);
        size -= sizeof(max);
    }
    char *s = ref_strndup(data, size);
    check_one(s, (long)max);
    /* the limits the services use, and the extremes */
    static const long maxes[] = {100, 60, 0, 1, 9, 10, LONG_MAX, LONG_MAX / 10, LONG_MIN, -1};
    for (size_t i = 0; i < sizeof(maxes) / sizeof(maxes[0]); i++)
        check_one(s, maxes[i]);
    free(s);
    return 0;
}
