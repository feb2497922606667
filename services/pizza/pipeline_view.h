#ifndef PIZZA_PIPELINE_VIEW_H
#define PIZZA_PIPELINE_VIEW_H
#include <stddef.h>

#include "cfg.h"
#include "http.h"

/* GET /pipeline: the pipeline's hops as Kafka sees them (pipeline_sample.h),
 * cached for refresh_ms so that any number of viewers cost Kafka one look per
 * interval. A worker thread takes the samples, and only while requests come:
 * idle, it sleeps on a condition variable and, after a minute, closes its
 * Kafka client too. */
struct pipeline_view; /* opaque */

/** hops: [web] hops (pipeline_hops.h). Starts the worker; Kafka is not asked
 * until the first request. @returns NULL with errstr set. */
struct pipeline_view *pipeline_view_new(const struct cfg *cfg, const char *client_id,
                                        const char *hops, long refresh_ms, char *errstr, size_t sz);
/** http_handler_fn, arg the view: answers from the cache, or once the next
 * sample is taken (HTTP_ASYNC); 503 + Retry-After when Kafka cannot be asked
 * and no sample is recent. */
enum http_result pipeline_view_get(struct http_req *r, const char *param, void *arg);
/** Stops the worker and answers every waiting request (503); requests from
 * now on get 503 at once. Before HTTP stops. NULL-safe. */
void pipeline_view_close(struct pipeline_view *v);
/** After HTTP stopped. NULL-safe. */
void pipeline_view_free(struct pipeline_view *v);

#endif
