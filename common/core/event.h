#ifndef PIZZA_EVENT_H
#define PIZZA_EVENT_H
#include "buf.h"
#include "json_scan.h"

#include <stddef.h>
#include <stdint.h>

/* One pizza on the wire: a JSON object with the seed's string fields
 * order_id, sauce, cheese, meats, veggies, our unique "id", and whatever else
 * producers added. A stage splices its topping into the bytes it received, so
 * everything else passes through byte for byte. */
enum event_field {
    EVENT_ID,
    EVENT_ORDER_ID,
    EVENT_SAUCE,
    EVENT_CHEESE,
    EVENT_MEATS,
    EVENT_VEGGIES
};
#define EVENT_N_FIELDS 6

/* A decoded event: a view of the bytes it was decoded from (which must outlive
 * it) plus its fields as C strings. Reuse one per thread: decoding keeps the
 * memory of the previous event instead of allocating. */
struct event {
    const char *json; /* borrowed: the bytes decoded */
    size_t len;
    const char *id, *order_id;            /* never NULL after a successful decode */
    int derived_id;                       /* the id is ours, not in the bytes decoded */
    const char *value[EVENT_N_FIELDS];    /* decoded (a seed event's id: the derived one) */
    struct json_field at[EVENT_N_FIELDS]; /* where each field's value is in json */
    struct buf strings;                   /* owned: where value[] point */
};

/* Where an event was read from; used to derive an id for the seed's events,
 * which carry none. */
struct event_origin {
    const char *topic;
    int32_t partition;
    int64_t offset;
};

#define PIZZA_EVENT_ERR_MAX 160

static inline void event_init(struct event *ev) {
    *ev = (struct event){0};
}
/** Decodes and validates one event. Events without "id" get one derived from
 * origin (stable across reprocessing).
 * @returns 0, or -1 with a reason in err (the event is poison). */
int event_decode(struct event *ev, const void *buf, size_t len, size_t max_len,
                 const struct event_origin *origin, char *err, size_t sz);
/** @returns the named field's string value (id, order_id or a topping), or
 * NULL. Borrowed from ev, valid until its next decode. */
const char *event_get(const struct event *ev, const char *field);
/** Writes ev's bytes to out (replacing its contents) with topping field set to
 * value (field NULL: unchanged) and, for a seed event, its derived id added.
 * @returns 0, or -1 when field is not a topping or on allocation failure. */
int event_write(const struct event *ev, const char *field, const char *value, struct buf *out);
/** Writes a fresh, untopped pizza to out (replacing its contents).
 * @returns 0, or -1 on allocation failure. */
int event_write_new(struct buf *out, const char *order_id, const char *pizza_id);
void event_free(struct event *ev); /* NULL-safe; ev can be decoded into again */

#endif
