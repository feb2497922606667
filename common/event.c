#include "event.h"

#include <stdio.h>
#include <string.h>

static const char *const event_required[] = {"order_id", "sauce", "cheese", "meats", "veggies"};
#define EVENT_N_REQUIRED (sizeof(event_required) / sizeof(event_required[0]))

void event_clear(struct event *ev) {
    if (!ev) return;
    json_decref(ev->doc);
    memset(ev, 0, sizeof(*ev));
}

const char *event_get(const struct event *ev, const char *field) {
    return json_string_value(json_object_get(ev->doc, field));
}

int event_set(struct event *ev, const char *field, const char *value) {
    if (json_object_set_new(ev->doc, field, json_string(value)) != 0) return -1;
    /* the borrowed pointers may name the string just replaced */
    ev->id = event_get(ev, "id");
    ev->order_id = event_get(ev, "order_id");
    return 0;
}

static int event_check(const struct event *ev, char *err, size_t sz) {
    if (!json_is_object(ev->doc)) {
        snprintf(err, sz, "not a JSON object");
        return -1;
    }
    for (size_t i = 0; i < EVENT_N_REQUIRED; i++) {
        if (!json_is_string(json_object_get(ev->doc, event_required[i]))) {
            snprintf(err, sz, "missing or non-string field \"%s\"", event_required[i]);
            return -1;
        }
    }
    if (event_get(ev, "order_id")[0] == '\0') {
        snprintf(err, sz, "empty order_id");
        return -1;
    }
    json_t *id = json_object_get(ev->doc, "id");
    if (id && (!json_is_string(id) || json_string_length(id) == 0)) {
        snprintf(err, sz, "field \"id\" is not a non-empty string");
        return -1;
    }
    return 0;
}

/* The seed's events carry no id: name the pizza after where it was first seen,
 * which is the same every time the event is reprocessed. */
static int event_derive_id(struct event *ev, const struct event_origin *o) {
    char id[300];
    snprintf(id, sizeof(id), "%s:%d:%lld", o->topic, (int)o->partition, (long long)o->offset);
    return event_set(ev, "id", id);
}

int event_decode(struct event *ev, const void *buf, size_t len, size_t max_len,
                 const struct event_origin *origin, char *err, size_t sz) {
    json_error_t jerr;
    memset(ev, 0, sizeof(*ev));
    err[0] = '\0';
    if (!buf || len == 0) {
        snprintf(err, sz, "empty value");
        return -1;
    }
    if (len > max_len) {
        snprintf(err, sz, "too large: %zu bytes, limit %zu", len, max_len);
        return -1;
    }
    ev->doc = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!ev->doc) {
        snprintf(err, sz, "not JSON: %s at byte %d", jerr.text, jerr.position);
        return -1;
    }
    ev->derived_id = !json_object_get(ev->doc, "id");
    if (event_check(ev, err, sz) == -1 || (ev->derived_id && event_derive_id(ev, origin) == -1)) {

        if (!err[0]) snprintf(err, sz, "out of memory");
        event_clear(ev);
        return -1;
    }
    ev->id = event_get(ev, "id");
    ev->order_id = event_get(ev, "order_id");
    return 0;
}

int event_new(struct event *ev, const char *order_id, const char *pizza_id) {
    memset(ev, 0, sizeof(*ev));
    ev->doc = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "id", pizza_id, "order_id", order_id,
                        "sauce", "", "cheese", "", "meats", "", "veggies", "");
    if (!ev->doc) return -1;
    ev->id = event_get(ev, "id");
    ev->order_id = event_get(ev, "order_id");
    return 0;
}

char *event_encode(const struct event *ev, size_t *len) {
    char *s = json_dumps(ev->doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (s) *len = strlen(s);
    return s;
}
