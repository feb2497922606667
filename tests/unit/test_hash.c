/* hash.h: 64-bit FNV-1a, checked against the published test vectors. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "hash.h"

static uint64_t fnv(const char *s) {
    return hash_fnv1a(s, strlen(s));
}

/* from the FNV reference test suite (isthe.com/chongo/tech/comp/fnv) */
static void matches_known_vectors(void **state) {
    (void)state;
    assert_true(hash_fnv1a(NULL, 0) == 0xcbf29ce484222325ULL); /* the offset basis */
    assert_true(fnv("") == 0xcbf29ce484222325ULL);
    assert_true(fnv("a") == 0xaf63dc4c8601ec8cULL);
    assert_true(fnv("b") == 0xaf63df4c8601f1a5ULL);
    assert_true(fnv("foobar") == 0x85944171f73967e8ULL);
    assert_true(fnv("chongo was here!\n") == 0x46810940eff5f915ULL);
}

/* bytes, not a C string: a NUL and high bytes count */
static void hashes_every_byte(void **state) {
    (void)state;
    assert_true(hash_fnv1a("a\0b", 3) != hash_fnv1a("a", 1));
    assert_true(hash_fnv1a("\xff\x00", 2) == 0x0a99a607b6f60beaULL);
}

static void continues_where_it_stopped(void **state) {
    (void)state;
    assert_true(hash_fnv1a_more(fnv("foo"), "bar", 3) == fnv("foobar"));
    assert_true(hash_fnv1a_more(fnv("foobar"), "", 0) == fnv("foobar"));
    assert_true(hash_fnv1a_more(fnv(""), "a", 1) == fnv("a"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(matches_known_vectors),
        cmocka_unit_test(hashes_every_byte),
        cmocka_unit_test(continues_where_it_stopped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
