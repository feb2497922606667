#include "event.h"

#include <stdio.h>
#include <string.h>

/* In enum event_field order. */
static const char *const event_names[EVENT_N_FIELDS] = {"id",     "order_id", "sauce",
                                                        "cheese", "meats",    "veggies"};

static int event_field_index(const char *name) {
    for (int i = 0; i < EVENT_N_FIELDS; i++)
        if (strcmp(event_names[i], name) == 0) return i;
    return -1;
}

void event_free(struct event *ev) {
    if (!ev) return;
    buf_free(&ev->strings);
    event_init(ev);
}

const char *event_get(const struct event *ev, const char *field) {
    int i = event_field_index(field);
    return i < 0 ? NULL : ev->value[i];
}

static int event_check(const struct event *ev, char *err, size_t sz) {
    for (int i = EVENT_ORDER_ID; i < EVENT_N_FIELDS; i++) {
        if (ev->at[i].kind != JSON_KIND_STRING) {
            snprintf(err, sz, "missing or non-string field \"%s\"", event_names[i]);
            return -1;
        }
    }
    if (ev->at[EVENT_ORDER_ID].raw_len == 0) {
        snprintf(err, sz, "empty order_id");
        return -1;
    }
    const struct json_field *id = &ev->at[EVENT_ID];
    if (id->kind != JSON_KIND_NONE && (id->kind != JSON_KIND_STRING || id->raw_len == 0)) {
        snprintf(err, sz, "field \"id\" is not a non-empty string");
        return -1;
    }
    return 0;
}

/* Room for every field decoded, plus a derived id. */
#define EVENT_DERIVED_ID_MAX 300

/* Decodes the fields into ev->strings, in one block so no pointer moves. */
static int event_decode_strings(struct event *ev, const struct event_origin *o) {
    size_t need = EVENT_DERIVED_ID_MAX;
    for (int i = 0; i < EVENT_N_FIELDS; i++)
        need += ev->at[i].raw_len + 1;
    buf_reset(&ev->strings);
    if (buf_reserve(&ev->strings, need) == -1) return -1;
    char *out = ev->strings.data;
    for (int i = 0; i < EVENT_N_FIELDS; i++) {
        if (ev->at[i].kind != JSON_KIND_STRING) continue;
        ev->value[i] = out;
        out += json_unescape(ev->at[i].raw, ev->at[i].raw_len, out) + 1;
    }
    if (ev->derived_id) {
        /* the seed's events carry no id: name the pizza after where it was
         * first seen, which is the same every time it is reprocessed */
        snprintf(out, EVENT_DERIVED_ID_MAX, "%s:%d:%lld", o->topic, (int)o->partition,
                 (long long)o->offset);
        ev->value[EVENT_ID] = out;
    }
    ev->id = ev->value[EVENT_ID];
    ev->order_id = ev->value[EVENT_ORDER_ID];
    return 0;
}

int event_decode(struct event *ev, const void *buf, size_t len, size_t max_len,
                 const struct event_origin *origin, char *err, size_t sz) {
    struct buf keep = ev->strings;
    event_init(ev);
    ev->strings = keep;
    err[0] = '\0';
    if (!buf || len == 0) {
        snprintf(err, sz, "empty value");
        return -1;
    }
    if (len > max_len) {
        snprintf(err, sz, "too large: %zu bytes, limit %zu", len, max_len);
        return -1;
    }
    for (int i = 0; i < EVENT_N_FIELDS; i++)
        ev->at[i].name = event_names[i];
    if (json_scan_object(buf, len, ev->at, EVENT_N_FIELDS, err, sz) == -1 ||
        event_check(ev, err, sz) == -1)
        goto poison;
    ev->json = buf;
    ev->len = len;
    ev->derived_id = ev->at[EVENT_ID].kind == JSON_KIND_NONE;
    if (event_decode_strings(ev, origin) == -1) {
        snprintf(err, sz, "out of memory");
        goto poison;
    }
    return 0;
poison:
    keep = ev->strings;
    event_init(ev);
    ev->strings = keep;
    return -1;
}

/* Appends "s" as a JSON string; out must have room (6 * len + 2). */
static void event_put_string(struct buf *out, const char *s) {
    out->data[out->len++] = '"';
    out->len += json_escape(s, strlen(s), out->data + out->len);
    out->data[out->len++] = '"';
}

static void event_put(struct buf *out, const void *p, size_t n) {
    memcpy(out->data + out->len, p, n);
    out->len += n;
}

int event_write(const struct event *ev, const char *field, const char *value, struct buf *out) {
    int f = field ? event_field_index(field) : -1;
    if (field && (f < EVENT_SAUCE || !value)) return -1; /* only toppings change */
    const char *id = ev->derived_id ? ev->id : "";
    buf_reset(out);
    if (buf_reserve(out, ev->len + 6 * (strlen(id) + (value ? strlen(value) : 0)) + 16) == -1)
        return -1;
    const char *p = ev->json, *end = ev->json + ev->len;
    if (ev->derived_id) { /* first, so a later stage finds it wherever it reads */
        const char *brace = memchr(p, '{', ev->len);
        event_put(out, p, (size_t)(brace + 1 - p));
        event_put(out, "\"id\":", 5);
        event_put_string(out, id);
        event_put(out, ",", 1); /* the required fields follow */
        p = brace + 1;
    }
    if (f >= 0) { /* the value's bytes between its quotes */
        const struct json_field *at = &ev->at[f];
        event_put(out, p, (size_t)(at->raw - 1 - p));
        event_put_string(out, value);
        p = at->raw + at->raw_len + 1;
    }
    event_put(out, p, (size_t)(end - p));
    return 0;
}

int event_write_new(struct buf *out, const char *order_id, const char *pizza_id) {
    buf_reset(out);
    if (buf_reserve(out, 6 * (strlen(order_id) + strlen(pizza_id)) + 80) == -1) return -1;
    event_put(out, "{\"id\":", 6);
    event_put_string(out, pizza_id);
    event_put(out, ",\"order_id\":", 12);
    event_put_string(out, order_id);
    static const char toppings[] =
        ",\"sauce\":\"\",\"cheese\":\"\",\"meats\":\"\",\"veggies\":\"\"}";
    event_put(out, toppings, sizeof(toppings) - 1);
    return 0;
}
