/* The event codec and the JSON scanner under it. Input: the first byte picks
 * a topping and how to split the rest, which is the event's bytes, then a
 * value for the topping.
 * - event_decode on the bytes; when it accepts, event_write of each topping
 *   with the value must decode again to the same id, order_id and other
 *   toppings and the new value, and an unchanged write of an event with an
 *   id of its own must be the input byte for byte;
 * - event_write_new with ids taken from the input round-trips;
 * - json_scan_object agrees with jansson's json_loadb on validity, but for
 *   the documented differences;
 * - json_escape then json_unescape gives back any UTF-8 text. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "fuzz_check.h"
#include "fuzz_ref.h"
#include "json_scan.h"

static const char *const toppings[] = {"sauce", "cheese", "meats", "veggies"};
static const char *const all_fields[] = {"id", "order_id", "sauce", "cheese", "meats", "veggies"};

static int same(const char *a, const char *b) {
    return a && b && strcmp(a, b) == 0;
}

/* ev was written with topping set to value (NULL: none) and decoded as back. */
static void check_rewritten(const struct event *ev, const struct event *back, const char *topping,
                            const char *value) {
    for (size_t i = 0; i < sizeof(all_fields) / sizeof(all_fields[0]); i++) {
        const char *f = all_fields[i];
        const char *want = topping && strcmp(f, topping) == 0 ? value : event_get(ev, f);
        FUZZ_CHECK(same(event_get(back, f), want), "field %s: \"%s\", want \"%s\"", f,
                   event_get(back, f), want);
    }
    FUZZ_CHECK(!back->derived_id, "a written event lost its id");
    FUZZ_CHECK(same(back->id, ev->id) && same(back->order_id, ev->order_id), "id or order_id");
}

static void check_event(const uint8_t *data, size_t size, const char *value, int topping) {
    static const struct event_origin origin = {"pizza", 3, 1234567};
    char err[PIZZA_EVENT_ERR_MAX];
    struct event ev, back;
    struct buf out = {0};
    event_init(&ev);
    event_init(&back);
    if (event_decode(&ev, data, size, 1 << 20, &origin, err, sizeof(err)) == -1) {
        FUZZ_CHECK(err[0] != '\0', "a rejected event without a reason");
        goto done;
    }
    FUZZ_CHECK(ev.id && ev.order_id && ev.order_id[0] && ev.id[0], "decoded without ids");
    /* unchanged: byte for byte, unless an id had to be added */
    FUZZ_CHECK(event_write(&ev, NULL, NULL, &out) == 0, "event_write failed");
    FUZZ_CHECK(ev.derived_id || (out.len == size && memcmp(out.data, data, size) == 0),
               "an unchanged write changed the bytes");
    FUZZ_CHECK(event_decode(&back, out.data, out.len, 1 << 21, &origin, err, sizeof(err)) == 0,
               "an unchanged write does not decode: %s", err);
    check_rewritten(&ev, &back, NULL, NULL);
    FUZZ_CHECK(event_write(&ev, "id", "x", &out) == -1, "event_write set a non-topping");
    if (!value) goto done;
    for (int i = 0; i < 4; i++) {
        const char *t = toppings[(topping + i) % 4];
        FUZZ_CHECK(event_write(&ev, t, value, &out) == 0, "event_write %s failed", t);
        FUZZ_CHECK(event_decode(&back, out.data, out.len, 1 << 22, &origin, err, sizeof(err)) == 0,
                   "the event with %s set does not decode: %s", t, err);
        check_rewritten(&ev, &back, t, value);
    }
done:
    buf_free(&out);
    event_free(&ev);
    event_free(&back);
}

static void check_new(const char *order_id, const char *pizza_id) {
    static const struct event_origin origin = {"pizza", 0, 0};
    char err[PIZZA_EVENT_ERR_MAX];
    struct event ev;
    struct buf out = {0};
    event_init(&ev);
    FUZZ_CHECK(event_write_new(&out, order_id, pizza_id) == 0, "event_write_new failed");
    int rc = event_decode(&ev, out.data, out.len, 1 << 22, &origin, err, sizeof(err));
    FUZZ_CHECK(rc == (order_id[0] && pizza_id[0] ? 0 : -1), "a new pizza: %d (%s)", rc, err);
    if (rc == 0) {
        FUZZ_CHECK(same(ev.id, pizza_id) && same(ev.order_id, order_id), "ids of a new pizza");
        for (int i = 0; i < 4; i++)
            FUZZ_CHECK(same(event_get(&ev, toppings[i]), ""), "a new pizza has %s", toppings[i]);
    }
    buf_free(&out);
    event_free(&ev);
}

/* The scanner accepts exactly RFC 8259 objects. jansson differs where
 * json_scan.h says: it nests deeper, rejects numbers it cannot hold, and
 * skips a NUL byte after a value; and we load without
 * JSON_REJECT_DUPLICATES, as the scanner (asked for no fields) takes them. */
static void check_scan(const uint8_t *data, size_t size) {
    char err[160];
    json_error_t jerr;
    int scan_ok = json_scan_object((const char *)data, size, NULL, 0, err, sizeof(err)) == 0;
    json_t *doc = json_loadb((const char *)data, size, 0, &jerr);
    int jansson_ok = doc && json_is_object(doc);
    json_decref(doc);
    if (scan_ok == jansson_ok) return;
    if (scan_ok) {
        FUZZ_CHECK(strstr(jerr.text, "overflow") || strstr(jerr.text, "too big"),
                   "the scanner accepts what jansson rejects: %s", jerr.text);
    } else {
        FUZZ_CHECK(strstr(err, "nested too deeply") || memchr(data, '\0', size),
                   "the scanner rejects what jansson accepts: %s", err);
    }
}

static void check_escape(const char *s, size_t len) {
    if (!ref_utf8_without_nul(s, len)) return;
    char *doc = malloc(6 * len + 16), *back = malloc(6 * len + 16), err[160];
    FUZZ_CHECK(doc && back, "out of memory");
    size_t n = json_escape(s, len, doc + 6);
    memcpy(doc, "{\"k\":\"", 6);
    memcpy(doc + 6 + n, "\"}", 2);
    struct json_field f = {"k", JSON_KIND_NONE, NULL, 0};
    FUZZ_CHECK(json_scan_object(doc, n + 8, &f, 1, err, sizeof(err)) == 0, "escaped: %s", err);
    FUZZ_CHECK(f.kind == JSON_KIND_STRING && f.raw == doc + 6 && f.raw_len == n, "field k");
    size_t m = json_unescape(f.raw, f.raw_len, back);
    FUZZ_CHECK(m == len && memcmp(back, s, len) == 0 && back[m] == '\0', "round trip");
    free(doc);
    free(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    unsigned ctl = data[0];
    data++, size--;
    /* a value after the last NUL byte, when ctl says so: the event bytes keep
     * their NULs otherwise */
    const uint8_t *nul = NULL;
    for (size_t i = size; (ctl & 0x80) && i > 0 && !nul; i--)
        if (data[i - 1] == '\0') nul = data + i - 1;
    size_t ev_len = nul ? (size_t)(nul - data) : size;
    char *value = nul ? ref_strndup(nul + 1, size - ev_len - 1) : NULL;
    if (value && !ref_utf8_without_nul(value, strlen(value))) {
        free(value); /* toppings come from a menu in UTF-8 */
        value = NULL;
    }
    /* an exact-size copy, so ASan sees a read past the event's end */
    uint8_t *ev_bytes = malloc(ev_len ? ev_len : 1);
    FUZZ_CHECK(ev_bytes != NULL, "out of memory");
    memcpy(ev_bytes, data, ev_len);
    check_event(ev_bytes, ev_len, value, (int)(ctl & 3));
    check_scan(ev_bytes, ev_len);
    check_escape((const char *)ev_bytes, ev_len);
    if (value) {
        check_escape(value, strlen(value));
        /* its halves as the ids of a new pizza, when each is UTF-8 alone */
        size_t vlen = strlen(value), half = vlen / 2;
        char *second = ref_strndup(value + half, vlen - half);
        value[half] = '\0';
        if (ref_utf8_without_nul(value, half) && ref_utf8_without_nul(second, vlen - half)) {
            check_new(value, second);
            check_new(second, value);
        }
        free(second);
    }
    free(ev_bytes);
    free(value);
    return 0;
}
