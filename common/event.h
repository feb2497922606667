#ifndef PIZZA_EVENT_H
#define PIZZA_EVENT_H
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* One pizza on the wire: a JSON object with the seed's string fields
 * order_id, sauce, cheese, meats, veggies, our unique "id", and whatever
 * else producers added (kept verbatim: stages pass through unknown fields). */
struct event {
    json_t *doc;          /* owned */
    const char *id;       /* borrowed from doc */
    const char *order_id; /* borrowed from doc */
    int derived_id;       /* the id is ours, not in the bytes decoded */
};

/* Where an event was read from; used to derive an id for the seed's events,
 * which carry none. */
struct event_origin {
    const char *topic;
    int32_t partition;
    int64_t offset;
};

#define PIZZA_EVENT_ERR_MAX 160

/** Decodes and validates one event. Events without "id" get one derived from
 * origin (stable across reprocessing) and stored in the document.
 * @returns 0, or -1 with a reason in err (the event is poison). */
int event_decode(struct event *ev, const void *buf, size_t len, size_t max_len,
                 const struct event_origin *origin, char *err, size_t sz);
/** Makes a fresh, untopped pizza. @returns 0, or -1 on allocation failure. */
int event_new(struct event *ev, const char *order_id, const char *pizza_id);
/** @returns 0, or -1 on allocation failure. */
int event_set(struct event *ev, const char *field, const char *value);
/** @returns the field's string value, or NULL. Borrowed from ev. */
const char *event_get(const struct event *ev, const char *field);
/** Compact JSON. @returns malloc'd bytes (caller frees), or NULL on allocation failure. */
char *event_encode(const struct event *ev, size_t *len);
void event_clear(struct event *ev); /* NULL-safe, idempotent */

#endif
