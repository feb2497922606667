#include "snapshot.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int snapshot_key(char *buf, size_t sz, const char *topic, int32_t partition) {
    int n = snprintf(buf, sz, "%s/%d", topic, (int)partition);
    return n < 0 || (size_t)n >= sz ? -1 : n;
}

char *snapshot_encode(const char *topic, int32_t partition, int64_t next_offset,
                      struct tally *counts, size_t *len) {
    json_t *doc = json_pack("{s:s, s:i, s:I, s:o}", "topic", topic, "partition", (int)partition,
                            "next_offset", (json_int_t)next_offset, "counts", tally_json(counts));
    char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    if (text) *len = strlen(text);
    return text;
}

/* Adds the counts object to s->counts. Each counted pizza took an input
 * offset below next, so they add up to at most next. @returns 0, or -1 (err set). */
static int snapshot_decode_counts(struct snapshot *s, json_t *counts, json_int_t next, char *err,
                                  size_t sz) {
    const char *name;
    json_t *value;
    json_int_t left = next;
    if (!json_is_object(counts)) {
        snprintf(err, sz, "\"counts\" is not an object");
        return -1;
    }
    if (!(s->counts = tally_new())) {
        snprintf(err, sz, "out of memory");
        return -1;
    }
    json_object_foreach(counts, name, value) {
        if (!json_is_integer(value) || json_integer_value(value) < 0) {
            snprintf(err, sz, "count of \"%.64s\" is not a non-negative integer", name);
            return -1;
        }
        if (json_integer_value(value) > left) {
            snprintf(err, sz, "counts add up to more than \"next_offset\"");
            return -1;
        }
        left -= json_integer_value(value);
        tally_add(s->counts, name, json_integer_value(value));
    }
    return 0;
}

int snapshot_decode(struct snapshot *s, const void *buf, size_t len, char *err, size_t sz) {
    json_error_t jerr;
    const char *topic;
    json_int_t partition, next;
    json_t *counts;
    memset(s, 0, sizeof(*s));
    json_t *doc = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
    int rc = -1;
    if (!doc) {
        snprintf(err, sz, "not JSON: %s", jerr.text);
    } else if (json_unpack_ex(doc, &jerr, 0, "{s:s, s:I, s:I, s:o}", "topic", &topic, "partition",
                              &partition, "next_offset", &next, "counts", &counts) != 0) {
        snprintf(err, sz, "not a snapshot: %s", jerr.text);
    } else if (!*topic || strlen(topic) > PIZZA_SNAPSHOT_TOPIC_MAX) {
        snprintf(err, sz, "bad \"topic\"");
    } else if (partition < 0 || partition > INT32_MAX) {
        snprintf(err, sz, "bad \"partition\": %lld", (long long)partition);
    } else if (next < 0) {
        snprintf(err, sz, "bad \"next_offset\": %lld", (long long)next);
    } else if (snapshot_decode_counts(s, counts, next, err, sz) == 0) {
        strcpy(s->topic, topic);
        s->partition = (int32_t)partition;
        s->next_offset = next;
        rc = 0;
    }
    json_decref(doc);
    if (rc == -1) snapshot_clear(s);
    return rc;
}

void snapshot_clear(struct snapshot *s) {
    if (!s) return;
    tally_free(s->counts);
    s->counts = NULL;
}
