#ifndef PIZZA_PIPELINE_HOPS_H
#define PIZZA_PIPELINE_HOPS_H
#include <stddef.h>

/* [web] hops: the pipeline's hops as GET /pipeline shows them, written
 * "group:input>output" and separated by commas, e.g.
 * "sauce-service:pizza>pizza-with-sauce, cheese-service:pizza-with-sauce>...".
 * Names are Kafka's legal topic characters, [A-Za-z0-9._-]. */
#define PIPELINE_HOPS_MAX 32
#define PIPELINE_NAME_MAX 249 /* Kafka's longest topic name */

struct pipeline_hop {
    char group[PIPELINE_NAME_MAX + 1], input[PIPELINE_NAME_MAX + 1], output[PIPELINE_NAME_MAX + 1];
};

/** Parses text into out (room for max). Pure.
 * @returns the number of hops (>= 1), or -1 with errstr naming the bad hop. */
int pipeline_hops_parse(const char *text, struct pipeline_hop *out, size_t max, char *errstr,
                        size_t sz);

#endif
