/* json_scan.h: the validating one-pass JSON scanner, json_unescape and json_escape. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_scan.h"

#define ERR_MAX 160
#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* A test text; len 0 means strlen(text) (texts with a NUL byte give their length). */
struct text {
    const char *text;
    size_t len;
};

static size_t text_len(const struct text *t) {
    return t->len ? t->len : strlen(t->text);
}

/* buf in hex, for a failure message (a static buffer: one call per message). */
static const char *hex_of(const char *buf, size_t len) {
    static char out[3 * 4096 + 1];
    size_t o = 0;
    out[0] = '\0';
    for (size_t i = 0; i < len && o + 4 < sizeof(out); i++)
        o += (size_t)snprintf(out + o, sizeof(out) - o, "%02x ", (unsigned char)buf[i]);
    return out;
}

/* Scans a copy of exactly len bytes on the heap, so that reading past the
 * end shows up under ASan and valgrind. */
static int scan_exact(const char *text, size_t len, struct json_field *fields, size_t n, char *err,
                      size_t sz) {
    char *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    memcpy(copy, text, len);
    /* raw pointers into the copy would dangle: callers that need them use json_scan_object */
    int rc = json_scan_object(copy, len, fields, n, err, sz);
    free(copy);
    return rc;
}

static void accepts_valid_texts(void **state) {
    (void)state;
    static const struct text ok[] = {
        {"{}", 0},
        {" \t\r\n{ \t\r\n} \t\r\n", 0},
        {"{\"a\":[1,[2,[3,{}]],{\"b\":{\"c\":[]}}],\"d\":{\"e\":[[],{}]}}", 0},
        {"{\"e\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\u20AC\\uFFFF\\u0001\\u001f\"}", 0},
        {"{\"pair\":\"\\ud83d\\ude00\",\"upper\":\"\\uD834\\uDD1E\",\"max\":\"\\udbff\\udfff\"}",
         0},
        /* é € 😀 as UTF-8, also in a key */
        {"{\"m\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\",\"\xc3\xbc\":1}", 0},
        /* the edges of each UTF-8 length: U+0080 U+07FF U+0800 U+D7FF U+E000 U+FFFF
         * U+10000 U+10FFFF */
        {"{\"u\":\"\xc2\x80\xdf\xbf\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80\xef\xbf\xbf\xf0\x90\x80\x80"
         "\xf4\x8f\xbf\xbf\"}",
         0},
        {"{\"n\":[-0,0,1e-5,1.5E+3,-12.25e10,0.0,1E5,123456789,-0.5e-0,9e+09]}", 0},
        /* any RFC 8259 number, even one jansson finds too big */
        {"{\"big\":123456789012345678901234567890,\"huge\":1e999}", 0},
        {"{\"o\":{},\"a\":[],\"t\":true,\"f\":false,\"z\":null,\"s\":\"\"}", 0},
        {"{ \"a\" : [ 1 , 2 ] , \"b\" : { \"c\" : null } ,\n\t\"d\"\r\n:\"x\" }", 0},
        {"{\"del\":\"\x7f\",\"\":\"\"}", 0},
        {"{\"x\":1,\"x\":2}", 0}, /* repeated members nobody asked for */
    };
    for (size_t i = 0; i < N_OF(ok); i++) {
        char err[ERR_MAX] = "";
        if (scan_exact(ok[i].text, text_len(&ok[i]), NULL, 0, err, sizeof(err)) != 0)
            fail_msg("rejected valid text #%zu %s: %s", i, ok[i].text, err);
    }
}

static void rejects_invalid_texts_with_reason(void **state) {
    (void)state;
    static const struct {
        struct text t;
        const char *why;
    } bad[] = {
        {{"", 0}, "unexpected end"},
        {{"   ", 0}, "unexpected end"},
        {{"{", 0}, "unexpected end"},
        {{"{\"a\":1", 0}, "unexpected end"},
        {{"{\"a\":", 0}, "unexpected end"},
        {{"{\"a\":1,}", 0}, "expected a member name"},
        {{"{\"a\":[1,]}", 0}, "unexpected character"},
        {{"{,}", 0}, "expected a member name"},
        {{"{\"a\":1,,\"b\":2}", 0}, "expected a member name"},
        {{"{\"a\" 1}", 0}, "expected ':'"},
        {{"{\"a\"}", 0}, "expected ':'"},
        {{"{\"a\":}", 0}, "unexpected character"},
        {{"{\"a\":1 \"b\":2}", 0}, "expected ','"},
        {{"{\"a\":1]", 0}, "expected ','"},
        {{"{\"a\":[1}}", 0}, "expected ','"},
        {{"{\"a\":01}", 0}, "expected ','"}, /* a leading zero ends the number */
        {{"{\"a\":-01}", 0}, "expected ','"},
        {{"{\"a\":1.}", 0}, "invalid number"},
        {{"{\"a\":.5}", 0}, "unexpected character"},
        {{"{\"a\":-}", 0}, "invalid number"},
        {{"{\"a\":-", 0}, "invalid number"},
        {{"{\"a\":+1}", 0}, "unexpected character"},
        {{"{\"a\":1e}", 0}, "invalid number"},
        {{"{\"a\":1e+}", 0}, "invalid number"},
        {{"{\"a\":1.e5}", 0}, "invalid number"},
        {{"{\"a\":0x10}", 0}, "expected ','"},
        {{"{\"a\":\"x\x01y\"}", 0}, "control character"},
        {{"{\"a\":\"x\ny\"}", 0}, "control character"},
        {{"{\"a\":\"x\x1f\"}", 0}, "control character"},
        {{"{\"a\":\"x\0y\"}", 11}, "control character"},
        {{"{\"a\x01\":1}", 0}, "control character"},
        {{"{\"a\":\"\\x41\"}", 0}, "invalid escape"},
        {{"{\"a\":\"\\'\"}", 0}, "invalid escape"},
        {{"{\"a\":\"\\U0041\"}", 0}, "invalid escape"},
        {{"{\"a\":\"\\u12\"}", 0}, "invalid \\u escape"},
        {{"{\"a\":\"\\u12", 0}, "invalid \\u escape"},
        {{"{\"a\":\"\\uGGGG\"}", 0}, "invalid \\u escape"},
        {{"{\"a\":\"\\", 0}, "unterminated escape"},
        {{"{\"a\":\"\\ud800\"}", 0}, "lone high surrogate"},
        {{"{\"a\":\"\\ud800x\"}", 0}, "lone high surrogate"},
        {{"{\"a\":\"\\udbff\\u0041\"}", 0}, "lone high surrogate"},
        {{"{\"a\":\"\\ud800\\ud800\"}", 0}, "lone high surrogate"},
        {{"{\"a\":\"\\ud800\\n\"}", 0}, "lone high surrogate"},
        {{"{\"a\":\"\\ud800\\udc0", 0}, "lone high surrogate"},
        {{"{\"a\":\"\\udc00\"}", 0}, "lone low surrogate"},
        {{"{\"a\":\"\\udfff\\ud800\"}", 0}, "lone low surrogate"},
        {{"{\"a\":\"\\u0000\"}", 0}, "\\u0000"},
        {{"{\"\\u0000\":1}", 0}, "\\u0000"},
        {{"{\"a\":\"\xc0\x80\"}", 0}, "invalid UTF-8"},         /* overlong NUL */
        {{"{\"a\":\"\xc1\xbf\"}", 0}, "invalid UTF-8"},         /* overlong 0x7f */
        {{"{\"a\":\"\xe0\x80\x80\"}", 0}, "invalid UTF-8"},     /* overlong, 3 bytes */
        {{"{\"a\":\"\xe0\x9f\xbf\"}", 0}, "invalid UTF-8"},     /* overlong U+07FF */
        {{"{\"a\":\"\xf0\x8f\xbf\xbf\"}", 0}, "invalid UTF-8"}, /* overlong U+FFFF */
        {{"{\"a\":\"\xed\xa0\x80\"}", 0}, "invalid UTF-8"},     /* U+D800 */
        {{"{\"a\":\"\xed\xbf\xbf\"}", 0}, "invalid UTF-8"},     /* U+DFFF */
        {{"{\"a\":\"\xf4\x90\x80\x80\"}", 0}, "invalid UTF-8"}, /* U+110000 */
        {{"{\"a\":\"\xf5\x80\x80\x80\"}", 0}, "invalid UTF-8"},
        {{"{\"a\":\"\xf8\x88\x80\x80\x80\"}", 0}, "invalid UTF-8"},
        {{"{\"a\":\"\x80\"}", 0}, "invalid UTF-8"}, /* a lone continuation byte */
        {{"{\"a\":\"\xff\"}", 0}, "invalid UTF-8"},
        {{"{\"a\":\"\xe2\x82\"}", 0}, "invalid UTF-8"}, /* truncated before the quote */
        {{"{\"a\":\"\xe2\x82", 0}, "invalid UTF-8"},    /* truncated at the end */
        {{"{\"a\":\"\xf0\x9f\x98", 0}, "invalid UTF-8"},
        {{"{\"a\":\"\xc3", 0}, "invalid UTF-8"},
        {{"{\"\xc3\":1}", 0}, "invalid UTF-8"},
        {{"\xef\xbb\xbf{}", 0}, "unexpected character"}, /* BOM */
        {{"{}x", 0}, "data after the value"},
        {{"{} {}", 0}, "data after the value"},
        {{"{}\0", 3}, "data after the value"},
        {{"{}]", 0}, "data after the value"},
        {{"{\"a\":\"abc", 0}, "unterminated string"},
        {{"{\"a", 0}, "unterminated string"},
        {{"{\"a\":tru}", 0}, "invalid literal"},
        {{"{\"a\":tru", 0}, "invalid literal"},
        {{"{\"a\":nul}", 0}, "invalid literal"},
        {{"{\"a\":fals}", 0}, "invalid literal"},
        {{"{\"a\":True}", 0}, "unexpected character"},
        {{"{\"a\":truex}", 0}, "expected ','"},
        /* a NUL byte right after a value: jansson 2.14 skips it and accepts */
        {{"{\"a\":1\0}", 8}, "expected ','"},
        {{"{\"a\":[true\0]}", 13}, "expected ','"},
        {{"{}\0", 3}, "data after the value"},
        {{"{\"a\":NaN}", 0}, "unexpected character"},
        {{"{\"a\":Infinity}", 0}, "unexpected character"},
        {{"{\"a\":-Infinity}", 0}, "invalid number"},
        {{"{'a':1}", 0}, "expected a member name"},
        {{"{\"a\":'b'}", 0}, "unexpected character"},
        {{"{a:1}", 0}, "expected a member name"},
        {{"{\"a\":1}\f", 0}, "data after the value"}, /* \f is no JSON whitespace */
        {{"\v{}", 0}, "unexpected character"},
        {{"{\"a\":[}", 0}, "unexpected character"},
        {{"{\"a\":{]}", 0}, "expected a member name"},
        {{"[1,2,3]", 0}, "not a JSON object"},
        {{"[]", 0}, "not a JSON object"},
        {{"\"{}\"", 0}, "not a JSON object"},
        {{"42", 0}, "not a JSON object"},
        {{"null", 0}, "not a JSON object"},
        {{"[", 0}, "unexpected end"},
        {{"[1,2", 0}, "unexpected end"},
    };
    for (size_t i = 0; i < N_OF(bad); i++) {
        char err[ERR_MAX] = "";
        size_t len = text_len(&bad[i].t);
        if (scan_exact(bad[i].t.text, len, NULL, 0, err, sizeof(err)) != -1)
            fail_msg("accepted invalid text #%zu (%s): %.*s", i, bad[i].why, (int)len,
                     bad[i].t.text);
        if (!strstr(err, bad[i].why))
            fail_msg("text #%zu %.*s: reason \"%s\" does not mention \"%s\"", i, (int)len,
                     bad[i].t.text, err, bad[i].why);
    }
}

static void reason_gives_the_byte_position(void **state) {
    (void)state;
    char err[ERR_MAX] = "";
    assert_int_equal(scan_exact("{\"a\":\"\\x\"}", 10, NULL, 0, err, sizeof(err)), -1);
    assert_string_equal(err, "not JSON: invalid escape at byte 6");
    assert_int_equal(scan_exact("{\"a\":1}x", 8, NULL, 0, err, sizeof(err)), -1);
    assert_string_equal(err, "not JSON: data after the value at byte 7");
    /* a short buffer is cut, never overrun */
    char tiny[8];
    memset(tiny, 'z', sizeof(tiny));
    assert_int_equal(scan_exact("{\"a\":1}x", 8, NULL, 0, tiny, 5), -1);
    assert_string_equal(tiny, "not ");
}

/* The deepest nesting of valid JSON text. */
static int max_depth(const char *buf, size_t len) {
    int depth = 0, deepest = 0, in_string = 0;
    for (size_t i = 0; i < len; i++) {
        char c = buf[i];
        if (in_string) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = 0;
        } else if (c == '"') {
            in_string = 1;
        } else if (c == '{' || c == '[') {
            if (++depth > deepest) deepest = depth;
        } else if (c == '}' || c == ']') {
            depth--;
        }
    }
    return deepest;
}

/* An object nesting arrays, or objects, depth (>= 2) levels deep in all. */
static char *nested(int depth, int objects) {
    size_t cap = 16 + 8 * (size_t)depth, len = 0;
    char *s = malloc(cap);
    assert_non_null(s);
    len += (size_t)sprintf(s, "{\"a\":");
    for (int i = 2; i < depth; i++)
        len += (size_t)sprintf(s + len, "%s", objects ? "{\"a\":" : "[");
    len += (size_t)sprintf(s + len, "%s", objects ? "{}" : "[]");
    for (int i = 2; i < depth; i++)
        s[len++] = objects ? '}' : ']';
    s[len++] = '}';
    s[len] = '\0';
    return s;
}

static void nesting_limit_is_inclusive(void **state) {
    (void)state;
    for (int objects = 0; objects <= 1; objects++) {
        char err[ERR_MAX] = "";
        char *at = nested(JSON_SCAN_MAX_DEPTH, objects);
        json_t *doc = json_loads(at, 0, NULL); /* the helper builds valid JSON */
        assert_non_null(doc);
        json_decref(doc);
        assert_int_equal(max_depth(at, strlen(at)), JSON_SCAN_MAX_DEPTH);
        if (scan_exact(at, strlen(at), NULL, 0, err, sizeof(err)) != 0)
            fail_msg("rejected nesting at the limit: %s", err);
        free(at);

        char *over = nested(JSON_SCAN_MAX_DEPTH + 1, objects);
        assert_int_equal(max_depth(over, strlen(over)), JSON_SCAN_MAX_DEPTH + 1);
        assert_int_equal(scan_exact(over, strlen(over), NULL, 0, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "nested too deeply"));
        free(over);
    }
}

/* Fields s, n, o, a, z, t, b, missing: in that order. */
static void fields_init(struct json_field *f) {
    static const char *const names[] = {"s", "n", "o", "a", "z", "t", "b", "missing"};
    for (size_t i = 0; i < N_OF(names); i++) {
        /* garbage the scanner must overwrite */
        f[i] = (struct json_field){names[i], JSON_KIND_OTHER, "garbage", 7};
    }
}

static void captures_top_level_fields(void **state) {
    (void)state;
    static const char text[] = "{ \"s\" : \"a\\\"b\\u00e9\" ,\"n\":-1.5e3,\"o\":{\"k\":[1,2]},"
                               "\"a\":[1,\"s\"],\"z\":null,\"t\":true,\"b\":\"\",\"x\":\"y\"}";
    struct json_field f[8];
    fields_init(f);
    char err[ERR_MAX] = "";
    if (json_scan_object(text, strlen(text), f, 8, err, sizeof(err)) != 0)
        fail_msg("rejected: %s", err);
    /* a string: its raw bytes between the quotes, escapes undecoded */
    assert_int_equal(f[0].kind, JSON_KIND_STRING);
    assert_ptr_equal(f[0].raw, strstr(text, "a\\\""));
    assert_int_equal(f[0].raw_len, strlen("a\\\"b\\u00e9"));
    assert_memory_equal(f[0].raw, "a\\\"b\\u00e9", f[0].raw_len);
    /* the empty string is present, with an empty raw value */
    assert_int_equal(f[6].kind, JSON_KIND_STRING);
    assert_ptr_equal(f[6].raw, strstr(text, "\"b\":\"\"") + 5);
    assert_int_equal(f[6].raw_len, 0);
    /* number, object, array, null and true are all "other". Their raw and
     * raw_len go unchecked: json_scan.h promises the value's bytes, json_scan.c
     * leaves NULL and 0; one of the two has to change first */
    for (size_t i = 1; i <= 5; i++)
        if (f[i].kind != JSON_KIND_OTHER) fail_msg("field %s: kind %d", f[i].name, f[i].kind);
    /* absent: reset whatever the caller left there */
    assert_int_equal(f[7].kind, JSON_KIND_NONE);
    assert_null(f[7].raw);
    assert_int_equal(f[7].raw_len, 0);
}

static void nested_members_are_not_captured(void **state) {
    (void)state;
    static const char *const texts[] = {
        "{\"o\":{\"s\":\"inner\"},\"a\":[{\"s\":\"in array\"}]}",
        "{\"o\":{\"s\":\"inner\",\"s\":\"again\"},\"a\":[[{\"s\":1}]]}",
        "{\"s\":\"outer\",\"o\":{\"s\":\"inner\"}}",
        "{\"o\":{\"s\":\"inner\"},\"s\":\"outer\"}",
    };
    for (size_t i = 0; i < N_OF(texts); i++) {
        struct json_field f = {"s", JSON_KIND_NONE, NULL, 0};
        char err[ERR_MAX] = "";
        if (json_scan_object(texts[i], strlen(texts[i]), &f, 1, err, sizeof(err)) != 0)
            fail_msg("rejected %s: %s", texts[i], err);
        if (i < 2) {
            assert_int_equal(f.kind, JSON_KIND_NONE);
        } else {
            assert_int_equal(f.kind, JSON_KIND_STRING);
            assert_int_equal(f.raw_len, 5);
            assert_memory_equal(f.raw, "outer", 5);
        }
    }
}

static void duplicate_asked_for_field_is_rejected(void **state) {
    (void)state;
    static const char *const dups[] = {
        "{\"s\":\"a\",\"s\":\"b\"}",
        "{\"s\":1,\"s\":\"b\"}",
        "{\"s\":\"a\",\"x\":{},\"s\":null}",
        "{\"s\":\"a\",\"\\u0073\":\"b\"}", /* the same name, escaped */
        "{\"\\u0073\":\"a\",\"s\":\"b\"}",
    };
    for (size_t i = 0; i < N_OF(dups); i++) {
        struct json_field f[2] = {{"s", JSON_KIND_NONE, NULL, 0}, {"x", JSON_KIND_NONE, NULL, 0}};
        char err[ERR_MAX] = "";
        if (json_scan_object(dups[i], strlen(dups[i]), f, 2, err, sizeof(err)) != -1)
            fail_msg("accepted a duplicate field: %s", dups[i]);
        assert_string_equal(err, "duplicate field \"s\"");
    }
    /* members nobody asked for may repeat, at any depth */
    static const char other[] = "{\"x\":1,\"x\":2,\"s\":\"a\",\"o\":{\"s\":1,\"s\":2},\"o\":3}";
    struct json_field f = {"s", JSON_KIND_NONE, NULL, 0};
    char err[ERR_MAX] = "";
    if (json_scan_object(other, strlen(other), &f, 1, err, sizeof(err)) != 0)
        fail_msg("rejected repeated other members: %s", err);
    assert_int_equal(f.kind, JSON_KIND_STRING);
    assert_memory_equal(f.raw, "a", 1);
}

static void escaped_key_matches_field(void **state) {
    (void)state;
    static const char text[] =
        "{\"\\u006frder_id\":\"o-1\",\"\\u0073\\u0061\\u0075\\u0063\\u0065\":"
        "\"x\",\"me\\u0061ts\\/\":\"no\",\"ch\\\"eese\":\"no\"}";
    struct json_field f[4] = {{"order_id", JSON_KIND_NONE, NULL, 0},
                              {"sauce", JSON_KIND_NONE, NULL, 0},
                              {"meats", JSON_KIND_NONE, NULL, 0},
                              {"cheese", JSON_KIND_NONE, NULL, 0}};
    char err[ERR_MAX] = "";
    if (json_scan_object(text, strlen(text), f, 4, err, sizeof(err)) != 0)
        fail_msg("rejected: %s", err);
    assert_int_equal(f[0].kind, JSON_KIND_STRING);
    assert_memory_equal(f[0].raw, "o-1", 3);
    assert_int_equal(f[1].kind, JSON_KIND_STRING);
    assert_memory_equal(f[1].raw, "x", 1);
    /* "meats/" and "ch\"eese" are other names */
    assert_int_equal(f[2].kind, JSON_KIND_NONE);
    assert_int_equal(f[3].kind, JSON_KIND_NONE);
}

/* Escapes s, checks the result is a JSON string's inside (as jansson reads
 * it and as the scanner captures it) and that json_unescape restores s. */
static void check_round_trip(const char *s, size_t len) {
    char *escaped = malloc(6 * len + 1), *text = malloc(6 * len + 16);
    assert_non_null(escaped);
    assert_non_null(text);
    size_t n = json_escape(s, len, escaped);
    assert_true(n <= 6 * len);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)escaped[i] < 0x20) fail_msg("control byte left unescaped");
    int tl = snprintf(text, 6 * len + 16, "{\"k\":\"%.*s\"}", (int)n, escaped);

    struct json_field f = {"k", JSON_KIND_NONE, NULL, 0};
    char err[ERR_MAX] = "";
    if (json_scan_object(text, (size_t)tl, &f, 1, err, sizeof(err)) != 0)
        fail_msg("escaped text rejected: %s: %s", err, text);
    assert_int_equal(f.kind, JSON_KIND_STRING);
    assert_int_equal(f.raw_len, n);

    char *out = malloc(f.raw_len + 1);
    assert_non_null(out);
    size_t m = json_unescape(f.raw, f.raw_len, out);
    assert_int_equal(m, len);
    assert_memory_equal(out, s, len);
    assert_int_equal(out[m], '\0');

    json_error_t jerr;
    json_t *doc = json_loadb(text, (size_t)tl, JSON_REJECT_DUPLICATES, &jerr);
    if (!doc) fail_msg("jansson rejected escaped text: %s", jerr.text);
    json_t *k = json_object_get(doc, "k");
    assert_int_equal(json_string_length(k), len);
    assert_memory_equal(json_string_value(k), s, len);
    json_decref(doc);
    free(out);
    free(text);
    free(escaped);
}

static void escape_round_trips_every_ascii_byte(void **state) {
    (void)state;
    char all[127];
    for (int c = 1; c <= 0x7f; c++) {
        char one[3] = {(char)c, 'x', (char)c};
        check_round_trip(one, 1);
        check_round_trip(one, 3);
        all[c - 1] = (char)c;
    }
    check_round_trip(all, sizeof(all));
    check_round_trip("", 0);
    /* exactly what the escaper writes */
    char out[64];
    static const char want[] = "a\\\"b\\\\c\\u000a\\u0001\\u001f/\x7f";
    size_t n = json_escape("a\"b\\c\n\x01\x1f/\x7f", 10, out);
    assert_int_equal(n, sizeof(want) - 1);
    assert_memory_equal(out, want, n);
}

static void escape_round_trips_multibyte(void **state) {
    (void)state;
    static const char *const texts[] = {
        "\xc3\xa9",         /* é */
        "\xe2\x82\xac",     /* € */
        "\xf0\x9f\x98\x80", /* 😀 */
        "\xc2\x80\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf\xf0\x90\x80\x80\xf4\x8f\xbf\xbf",
        "pizza \xf0\x9f\x8d\x95 \"margherita\" \\ \xc3\xa0 la carte\n\t",
    };
    for (size_t i = 0; i < N_OF(texts); i++)
        check_round_trip(texts[i], strlen(texts[i]));
}

/* For raw string insides the scanner accepts: json_unescape agrees with
 * jansson and never grows the string. */
static void unescape_matches_jansson_and_never_grows(void **state) {
    (void)state;
    static const char *const raws[] = {
        "",
        "plain",
        "\\\"\\\\\\/\\b\\f\\n\\r\\t",
        "\\u0001\\u001F\\u007f\\u0080\\u00e9\\u07FF\\u0800\\u20ac\\uffff",
        "\\ud83d\\ude00\\uD800\\uDC00\\udbff\\udfff",
        "a\\u0041b\\u00e9c\\u20acd\\ud83d\\ude00e",
        "\xc3\xa9\\n\xf0\x9f\x98\x80\\/",
        "\\u0031\\u0032\\u0033",
    };
    for (size_t i = 0; i < N_OF(raws); i++) {
        size_t len = strlen(raws[i]);
        char text[256], out[256];
        int tl = snprintf(text, sizeof(text), "\"%s\"", raws[i]);
        char err[ERR_MAX] = "";
        char obj[260];
        int ol = snprintf(obj, sizeof(obj), "{\"k\":%s}", text);
        if (scan_exact(obj, (size_t)ol, NULL, 0, err, sizeof(err)) != 0)
            fail_msg("rejected %s: %s", obj, err);
        memset(out, 0x5a, sizeof(out));
        size_t n = json_unescape(raws[i], len, out);
        assert_true(n <= len);
        assert_int_equal(out[n], '\0');
        json_error_t jerr;
        json_t *s = json_loadb(text, (size_t)tl, JSON_DECODE_ANY, &jerr);
        if (!s) fail_msg("jansson rejected %s: %s", text, jerr.text);
        assert_int_equal(json_string_length(s), n);
        assert_memory_equal(json_string_value(s), out, n);
        json_decref(s);
    }
}

/* ---- differential test against jansson ---- */

/* -DDIFF_ITERATIONS=... -DDIFF_SEED=... for a longer or another run */
#ifndef DIFF_ITERATIONS
#define DIFF_ITERATIONS 20000
#endif
#ifndef DIFF_SEED
#define DIFF_SEED 0x9e3779b97f4a7c15ull
#endif
#define DIFF_MAX 2048

static uint64_t rng_state = DIFF_SEED;

static uint32_t rnd(uint32_t n) { /* xorshift64*; uniform enough for fuzzing */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 0x2545f4914f6cdd1dull) >> 32) % n;
}

/* Keys are distinct at every depth, so only mutations make duplicates. */
static const char *const diff_seeds[] = {
    "{\"id\":\"p-1\",\"order_id\":\"o-1\",\"sauce\":\"light\",\"cheese\":\"\",\"meats\":\"\","
    "\"veggies\":\"\",\"ts\":1700000000123,\"trace\":{\"span\":\"ab\",\"hops\":[1,{\"x\":null},"
    "[true,false]],\"deep\":{\"deeper\":{\"k\":\"v\"}}},\"tags\":[\"hot\",\"\\u00e9\"],"
    "\"price\":12.5,\"gift\":false}",
    "{\"a\":[1,-2.5e3,0,true,false,null,\"x\\u00e9\\ud83d\\ude00\\n\\\"\"],\"b\":{\"c\":{}}}",
    "{ \"n\" : -0.0e+1 , \"m\" : [ [ ] , { } ] ,\n\t\"k\" : "
    "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\" }",
    "{\"order_id\":\"o\\/9\",\"sauce\":\"s\\\\\",\"e\":[1E5,0.5,-0,1e-5,1.5E+3]}",
    "{}",
    "[]",
    "[\"str\",{\"a\":\"b\"}]",
    "\"str\"",
    "123",
    /* 63 deep: mutations cross the limit */
    "{\"a\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]"
    "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}",
    "{\"s\":\"\\b\\f\\r\\t\\u001f\\u0020\\uDBFF\\uDFFF\",\"t\":true,\"f\":false,\"z\":null}",
};

static const char *const diff_snippets[] = {
    "{",
    "}",
    "[",
    "]",
    ":",
    ",",
    "\"",
    "\\",
    " ",
    "\t",
    "\n",
    "\r",
    "\f",
    "0",
    "1",
    "-",
    "+",
    ".",
    "e",
    "E",
    "t",
    "f",
    "n",
    "true",
    "false",
    "null",
    "{}",
    "[]",
    "\"a\":",
    "\"k\":",
    "\"a\":1,",
    "\"sauce\":",
    "-0",
    "1e5",
    "01",
    "1.",
    "NaN",
    "'",
    "\xef\xbb\xbf",
    "1e999",
    "99999999999999999999",
    "\"x\"",
    ",\"a\":\"b\"",
    "\"\\u0000\"",
    "//",
    "/*",
};

/* Appends one random UTF-8 sequence, valid or (sometimes) not. */
static size_t random_utf8(unsigned char *out) {
    static const uint32_t ranges[][2] = {
        {0x20, 0x7f},     {0x80, 0x7ff},      {0x800, 0xfff},       {0xd000, 0xe0ff},
        {0xf000, 0xffff}, {0x10000, 0x1ffff}, {0x10f000, 0x10ffff}, {0x110000, 0x13ffff},
    };
    uint32_t r = rnd(N_OF(ranges));
    uint32_t cp = ranges[r][0] + rnd(ranges[r][1] - ranges[r][0] + 1);
    size_t n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    if (rnd(8) == 0 && n < 4) n++; /* overlong */
    static const unsigned char lead[] = {0, 0, 0xc0, 0xe0, 0xf0};
    if (n == 1) {
        out[0] = (unsigned char)cp;
    } else {
        for (size_t i = n - 1; i > 0; i--, cp >>= 6)
            out[i] = (unsigned char)(0x80 | (cp & 0x3f));
        out[0] = (unsigned char)(lead[n] | cp);
    }
    if (n > 1 && rnd(10) == 0) n--; /* truncated */
    return n;
}

/* Appends one random escape, valid or (sometimes) not. */
static size_t random_escape(char *out) {
    static const char simple[] = "\"\\/bfnrtux0'";
    static const unsigned special[] = {0x0000, 0x0001, 0x001f, 0x0041, 0x00e9, 0xd800, 0xdbff,
                                       0xdc00, 0xdfff, 0xfffe, 0xffff, 0xd83d, 0xde00};
    char c = simple[rnd(sizeof(simple) - 1)];
    if (c != 'u') return (size_t)sprintf(out, "\\%c", c);
    unsigned v = rnd(2) ? special[rnd(N_OF(special))] : rnd(0x10000);
    size_t n = (size_t)sprintf(out, rnd(2) ? "\\u%04x" : "\\u%04X", v);
    if (v >= 0xd800 && v <= 0xdbff && rnd(3)) /* mostly a pair */
        n += (size_t)sprintf(out + n, "\\u%04x", rnd(3) ? 0xdc00 + rnd(0x400) : rnd(0x10000));
    if (rnd(10) == 0) n -= 1 + rnd(3); /* too few hex digits */
    return n;
}

static void splice(char *buf, size_t *len, size_t at, size_t del, const void *ins, size_t n) {
    if (*len - del + n > DIFF_MAX) return;
    memmove(buf + at + n, buf + at + del, *len - at - del);
    memcpy(buf + at, ins, n);
    *len = *len - del + n;
}

/* A blind mutation: anywhere, anything. */
static void mutate_blind(char *buf, size_t *len) {
    char ins[64];
    size_t at = rnd((uint32_t)*len + 1), n = 0, del = 0;
    switch (rnd(9)) {
    case 0: /* flip */
        if (*len == 0) return;
        at = rnd((uint32_t)*len);
        buf[at] = (char)(rnd(3) ? buf[at] ^ (1u << rnd(8)) : rnd(256));
        return;
    case 1: /* insert random bytes */
        n = 1 + rnd(3);
        for (size_t i = 0; i < n; i++)
            ins[i] = (char)rnd(256);
        break;
    case 2: /* delete */
        del = at < *len ? 1 + rnd((uint32_t)(*len - at < 4 ? *len - at : 4)) : 0;
        break;
    case 3:
        n = random_utf8((unsigned char *)ins);
        break;
    case 4:
        n = random_escape(ins);
        break;
    case 5: /* truncate */
        *len = at;
        return;
    case 6: /* copy a piece of itself elsewhere: more nesting, repeated keys */
        if (*len == 0) return;
        {
            size_t from = rnd((uint32_t)*len), m = 1 + rnd(24);
            if (m > *len - from) m = *len - from;
            memcpy(ins, buf + from, m);
            n = m;
        }
        break;
    case 7: /* replace a byte with a snippet */
        del = at < *len ? 1 : 0;
        /* fall through */
    default: {
        const char *s = diff_snippets[rnd(N_OF(diff_snippets))];
        n = strlen(s);
        memcpy(ins, s, n);
    }
    }
    splice(buf, len, at, del, ins, n);
}

/* Where a structure-aware mutation may go. */
enum spot { SPOT_IN_STRING, SPOT_AFTER_PUNCT, SPOT_NUMBER, SPOT_OBJECT_START, SPOT_ARRAY_START };

/* @returns a random position of that kind (approximate on broken text), or
 * len + 1 when there is none. */
static size_t random_spot(const char *buf, size_t len, enum spot kind) {
    size_t found = 0, pick = len + 1;
    int in_string = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)buf[i], prev = i ? (unsigned char)buf[i - 1] : ' ';
        int hit = 0;
        if (in_string) {
            hit = kind == SPOT_IN_STRING && (c & 0xc0) != 0x80;
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = 0;
        } else {
            int number = (c == '-' || (c >= '0' && c <= '9')) && strchr(":[, \n", prev);
            hit = (kind == SPOT_AFTER_PUNCT && strchr("{}[]:,", prev)) ||
                  (kind == SPOT_NUMBER && number) || (kind == SPOT_OBJECT_START && prev == '{') ||
                  (kind == SPOT_ARRAY_START && prev == '[');
            in_string = c == '"';
        }
        if (hit && rnd((uint32_t)++found) == 0) pick = i; /* reservoir sampling */
    }
    return pick;
}

/* A number, now and then a malformed one. */
static size_t random_number(char *out) {
    size_t n = 0;
    if (rnd(2)) out[n++] = '-';
    if (rnd(3) == 0) {
        out[n++] = '0';
    } else {
        out[n++] = (char)('1' + rnd(9));
        for (uint32_t k = rnd(rnd(8) ? 4 : 22); k > 0; k--)
            out[n++] = (char)('0' + rnd(10));
    }
    if (rnd(2)) {
        out[n++] = '.';
        for (uint32_t k = rnd(8) ? 1 + rnd(4) : 0; k > 0; k--)
            out[n++] = (char)('0' + rnd(10));
    }
    if (rnd(3) == 0) {
        out[n++] = "eE"[rnd(2)];
        if (rnd(2)) out[n++] = "+-"[rnd(2)];
        for (uint32_t k = rnd(10) ? 1 + rnd(3) : 0; k > 0; k--)
            out[n++] = (char)('0' + rnd(10));
    }
    if (rnd(20) == 0) out[rnd((uint32_t)n)] = "0.-+eE"[rnd(6)];
    return n;
}

/* A mutation that mostly keeps the text valid: new string content, spacing,
 * numbers, members and items. */
static void mutate_aware(char *buf, size_t *len) {
    static unsigned key_serial;
    static const char *const values[] = {"true",
                                         "false",
                                         "null",
                                         "{}",
                                         "[]",
                                         "\"\"",
                                         "\"v\"",
                                         "[1,{\"q\":[]}]",
                                         "{\"r\":{\"s\":null}}"};
    static const char space[] = " \t\n\r";
    char ins[64];
    size_t n = 0, del = 0, at;
    switch (rnd(5)) {
    case 0: /* into a string */
        if ((at = random_spot(buf, *len, SPOT_IN_STRING)) > *len) return;
        n = rnd(2) ? random_utf8((unsigned char *)ins) : random_escape(ins);
        break;
    case 1: /* spacing */
        if ((at = random_spot(buf, *len, SPOT_AFTER_PUNCT)) > *len) return;
        for (n = 1 + rnd(3); del < n; del++)
            ins[del] = space[rnd(4)];
        del = 0;
        break;
    case 2: /* another number */
        if ((at = random_spot(buf, *len, SPOT_NUMBER)) > *len) return;
        while (at + del < *len && strchr("-+.eE0123456789", buf[at + del]))
            del++;
        n = random_number(ins);
        break;
    case 3: /* a new member, named so that it repeats no other */
        if ((at = random_spot(buf, *len, SPOT_OBJECT_START)) > *len) return;
        n = (size_t)sprintf(ins, "\"m%u\":", key_serial++);
        n += rnd(2) ? random_number(ins + n)
                    : (size_t)sprintf(ins + n, "%s", values[rnd(N_OF(values))]);
        ins[n++] = ',';
        break;
    default: /* a new item */
        if ((at = random_spot(buf, *len, SPOT_ARRAY_START)) > *len) return;
        n = rnd(2) ? random_number(ins) : (size_t)sprintf(ins, "%s", values[rnd(N_OF(values))]);
        ins[n++] = ',';
    }
    splice(buf, len, at, del, ins, n);
}

static const char *const diff_fields[] = {"order_id", "sauce", "a", "k", "s", "n", "e"};

/* The scanner captured exactly what jansson sees at the top level. */
static void check_fields(const char *buf, size_t len, const json_t *doc, struct json_field *f) {
    for (size_t i = 0; i < N_OF(diff_fields); i++) {
        const json_t *v = json_object_get(doc, diff_fields[i]);
        if (!v) {
            if (f[i].kind != JSON_KIND_NONE)
                fail_msg("%s: found absent %s", hex_of(buf, len), f[i].name);
        } else if (json_is_string(v)) {
            if (f[i].kind != JSON_KIND_STRING)
                fail_msg("%s: %s not a string", hex_of(buf, len), f[i].name);
            char *out = malloc(f[i].raw_len + 1);
            assert_non_null(out);
            size_t n = json_unescape(f[i].raw, f[i].raw_len, out);
            if (n != json_string_length(v) || memcmp(out, json_string_value(v), n) != 0)
                fail_msg("%s: %s decodes differently from jansson", hex_of(buf, len), f[i].name);
            free(out);
        } else if (f[i].kind != JSON_KIND_OTHER) {
            fail_msg("%s: %s not other", hex_of(buf, len), f[i].name);
        }
    }
}

/* How a text compared; the exceptions are differences documented in the brief
 * of this test, each checked as far as jansson gives a verdict. */
enum outcome {
    SAME,        /* the same verdict (after (a) repeated keys, if any) */
    OVERFLOW,    /* (b) jansson refused a number too big for it: no verdict on the rest */
    TOO_DEEP,    /* (c) valid, but deeper than the scanner takes: it must say so */
    NUL_SKIPPED, /* (e) jansson skipped a NUL byte after a number or literal */
    N_OUTCOMES
};

static enum outcome compare_with_jansson(const char *text, size_t len, int *accepted);

/* (e) jansson 2.14 drops a NUL byte that directly follows a number or a
 * literal (its lexer "ungets" the NUL, then takes it for the end of its
 * one-character buffer and reads on), so it accepts [1\0] and {"a":true\0}.
 * RFC 8259 has no NUL outside a string, and the scanner refuses it. The text
 * without its NUL bytes is what jansson judged: compare on that. */
static enum outcome compare_without_nul(const char *buf, size_t len, int scan, const char *err) {
    if (scan) fail_msg("scanner accepts a NUL byte outside a string: %s", hex_of(buf, len));
    if (!strstr(err, "expected ','") && !strstr(err, "data after the value"))
        fail_msg("a NUL byte after a value refused as \"%s\": %s", err, hex_of(buf, len));
    char *plain = malloc(len);
    assert_non_null(plain);
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        if (buf[i] != '\0') plain[n++] = buf[i];
    int ok = 0;
    enum outcome o = compare_with_jansson(plain, n, &ok);
    free(plain);
    return o == SAME ? NUL_SKIPPED : o;
}

/* Checks the scanner's verdict on buf with jansson's when jansson has one. */
static enum outcome judge(const char *buf, size_t len, const json_t *doc, const json_error_t *jerr,
                          int dup, struct json_field *f, const char *err, const char *err_fields,
                          int scan, int scan_fields) {
    if (!doc && json_error_code(jerr) == json_error_numeric_overflow) {
        /* (b) jansson refuses integers beyond int64 and reals beyond double; the
         * scanner takes any RFC 8259 number. jansson stopped there. */
        assert_true(strstr(jerr->text, "too big") || strstr(jerr->text, "overflow"));
        return OVERFLOW;
    }
    if (doc && memchr(buf, '\0', len)) return compare_without_nul(buf, len, scan, err);
    if (doc && max_depth(buf, len) > JSON_SCAN_MAX_DEPTH) {
        /* (c) jansson nests up to 2048 deep, the scanner JSON_SCAN_MAX_DEPTH */
        if (scan || !strstr(err, "nested too deeply"))
            fail_msg("too deep text judged \"%s\": %s", err, hex_of(buf, len));
        return TOO_DEEP;
    }
    /* (d) \u0000 needs JSON_ALLOW_NUL in jansson: both refuse it, no exception */
    int want = doc && json_is_object(doc);
    if (scan != want)
        fail_msg("disagreement: scanner %s (%s), jansson %s (%s)%s: %s",
                 scan ? "accepts" : "rejects", err, doc ? "accepts" : "rejects",
                 doc ? (json_is_object(doc) ? "object" : "not an object") : jerr->text,
                 dup ? " after a duplicate key" : "", hex_of(buf, len));
    if (doc && !want && !strstr(err, "not a JSON object"))
        fail_msg("a valid non-object refused as \"%s\": %s", err, hex_of(buf, len));
    /* asking for fields changes the verdict only on their repeats */
    if (scan && !scan_fields && !(dup && strstr(err_fields, "duplicate field")))
        fail_msg("fields asked for changed the verdict (%s): %s", err_fields, hex_of(buf, len));
    if (!scan && scan_fields) fail_msg("fields asked for made it valid: %s", hex_of(buf, len));
    if (scan_fields) check_fields(buf, len, doc, f);
    return SAME;
}

/* Compares the scanner's verdict on text with jansson's. */
static enum outcome compare_with_jansson(const char *text, size_t len, int *accepted) {
    char *buf = malloc(len ? len : 1); /* exactly len bytes: over-reads are caught */
    assert_non_null(buf);
    memcpy(buf, text, len);
    char err[ERR_MAX] = "", err_fields[ERR_MAX] = "";
    struct json_field f[N_OF(diff_fields)];
    for (size_t i = 0; i < N_OF(diff_fields); i++)
        f[i] = (struct json_field){diff_fields[i], JSON_KIND_NONE, NULL, 0};
    int scan = json_scan_object(buf, len, NULL, 0, err, sizeof(err)) == 0;
    int scan_fields = json_scan_object(buf, len, f, N_OF(f), err_fields, sizeof(err_fields)) == 0;

    json_error_t jerr;
    json_t *doc = json_loadb(buf, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
    int dup = !doc && json_error_code(&jerr) == json_error_duplicate_key;
    if (dup) {
        /* (a) jansson rejects repeated keys at any depth; the scanner only
         * repeats of the fields asked for. Asked for none, it takes any valid
         * object: what jansson says when it lets repeats be. */
        assert_non_null(strstr(jerr.text, "duplicate"));
        doc = json_loadb(buf, len, JSON_DECODE_ANY, &jerr);
    }
    enum outcome o = judge(buf, len, doc, &jerr, dup, f, err, err_fields, scan, scan_fields);
    *accepted = scan;
    json_decref(doc);
    free(buf);
    return o;
}

static void agrees_with_jansson_on_mutations(void **state) {
    (void)state;
    char buf[DIFF_MAX];
    size_t accepted = 0, seen[N_OUTCOMES] = {0};
    /* the seeds themselves first: all valid JSON */
    for (size_t i = 0; i < N_OF(diff_seeds); i++) {
        int ok = 0;
        assert_int_equal(compare_with_jansson(diff_seeds[i], strlen(diff_seeds[i]), &ok), SAME);
    }
    /* then one text for each documented difference */
    static const struct {
        struct text t;
        enum outcome want;
    } known[] = {
        {{"{\"x\":{\"y\":1,\"y\":2},\"x\":3}", 0}, SAME}, /* (a) */
        {{"{\"x\":{\"y\":1,\"y\":2},\"x\":3,}", 0}, SAME},
        {{"{\"a\":1e999}", 0}, OVERFLOW}, /* (b) */
        {{"{\"a\":-99999999999999999999}", 0}, OVERFLOW},
        {{"{\"a\":\"\\u0000\"}", 0}, SAME},             /* (d) */
        {{"{\"a\":[true\0,null\0]}", 19}, NUL_SKIPPED}, /* (e) */
        {{"{\"a\":1\0,\"a\":1}", 14}, NUL_SKIPPED},
    };
    for (size_t i = 0; i < N_OF(known); i++) {
        int ok = 0;
        assert_int_equal(compare_with_jansson(known[i].t.text, text_len(&known[i].t), &ok),
                         known[i].want);
    }
    char *deep = nested(JSON_SCAN_MAX_DEPTH + 1, 0); /* (c) */
    int deep_ok = 0;
    assert_int_equal(compare_with_jansson(deep, strlen(deep), &deep_ok), TOO_DEEP);
    free(deep);
    for (int it = 0; it < DIFF_ITERATIONS; it++) {
        const char *seed = diff_seeds[rnd(N_OF(diff_seeds))];
        size_t len = strlen(seed);
        memcpy(buf, seed, len);
        /* mostly structure-aware changes that keep it valid, and some blind ones */
        for (uint32_t m = 1 + rnd(6); m > 0; m--)
            mutate_aware(buf, &len);
        for (uint32_t m = rnd(3) ? 0 : 1 + rnd(3); m > 0; m--)
            mutate_blind(buf, &len);
        int ok = 0;
        seen[compare_with_jansson(buf, len, &ok)]++;
        accepted += (size_t)ok;
    }
    print_message("differential: %d texts, %zu accepted; same verdict %zu, jansson overflow %zu, "
                  "too deep %zu, NUL after a value %zu\n",
                  DIFF_ITERATIONS, accepted, seen[SAME], seen[OVERFLOW], seen[TOO_DEEP],
                  seen[NUL_SKIPPED]);
    /* not a degenerate run: enough of both verdicts, few comparisons skipped */
    assert_true(accepted > DIFF_ITERATIONS / 20);
    assert_true(accepted < DIFF_ITERATIONS - DIFF_ITERATIONS / 20);
    assert_true(seen[SAME] > DIFF_ITERATIONS - DIFF_ITERATIONS / 20);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(accepts_valid_texts),
        cmocka_unit_test(rejects_invalid_texts_with_reason),
        cmocka_unit_test(reason_gives_the_byte_position),
        cmocka_unit_test(nesting_limit_is_inclusive),
        cmocka_unit_test(captures_top_level_fields),
        cmocka_unit_test(nested_members_are_not_captured),
        cmocka_unit_test(duplicate_asked_for_field_is_rejected),
        cmocka_unit_test(escaped_key_matches_field),
        cmocka_unit_test(escape_round_trips_every_ascii_byte),
        cmocka_unit_test(escape_round_trips_multibyte),
        cmocka_unit_test(unescape_matches_jansson_and_never_grows),
        cmocka_unit_test(agrees_with_jansson_on_mutations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
