/* utf8.h: client bytes made safe to echo in a JSON answer. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <string.h>

#include "utf8.h"

static void scrub(const char *in, const char *want, unsigned want_replaced) {
    char buf[64];
    snprintf(buf, sizeof(buf), "%s", in);
    unsigned replaced = utf8_scrub(buf);
    if (strcmp(buf, want) != 0 || replaced != want_replaced)
        fail_msg("scrub(\"%s\") = \"%s\" (%u replaced), want \"%s\" (%u)", in, buf, replaced, want,
                 want_replaced);
    /* the point of it: jansson takes the result */
    json_t *s = json_string(buf);
    if (!s) fail_msg("jansson refused the scrubbed \"%s\"", buf);
    json_decref(s);
}

static void keeps_valid_text(void **state) {
    (void)state;
    scrub("", "", 0);
    scrub("/order/abc", "/order/abc", 0);
    scrub("caf\xC3\xA9", "caf\xC3\xA9", 0);           /* U+00E9 */
    scrub("\xE2\x82\xAC", "\xE2\x82\xAC", 0);         /* U+20AC */
    scrub("\xF0\x9F\x8D\x95", "\xF0\x9F\x8D\x95", 0); /* U+1F355, a pizza */
    scrub("\xF4\x8F\xBF\xBF", "\xF4\x8F\xBF\xBF", 0); /* U+10FFFF, the last */
    scrub("\xED\x9F\xBF", "\xED\x9F\xBF", 0);         /* U+D7FF, before surrogates */
    scrub("\xEF\xBF\xBD", "\xEF\xBF\xBD", 0);         /* U+FFFD */
}

/* the paths that answered 503 "out of memory" instead of 404 */
static void replaces_what_jansson_refuses(void **state) {
    (void)state;
    scrub("/\xFF", "/?", 1);
    scrub("/x\xC3", "/x?", 1);            /* cut short at the end */
    scrub("/\xC0\xAF", "/??", 2);         /* overlong '/' */
    scrub("\xE0\x80\xAF", "???", 3);      /* overlong, 3 bytes */
    scrub("\xED\xA0\x80", "???", 3);      /* a surrogate (U+D800) */
    scrub("\xF4\x90\x80\x80", "????", 4); /* past U+10FFFF */
    scrub("\xF5\x80\x80\x80", "????", 4); /* no such lead byte */
    scrub("\x80"
          "a",
          "?a", 1); /* a stray continuation */
    scrub("\xE2\x82"
          "a",
          "??a", 2);                 /* cut short in the middle */
    scrub("\xF0\x9F\x8D", "???", 3); /* a 4-byte one cut at 3 */
    scrub("a\xC3\xA9\xFF\xC3\xA9", "a\xC3\xA9?\xC3\xA9", 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(keeps_valid_text),
        cmocka_unit_test(replaces_what_jansson_refuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
