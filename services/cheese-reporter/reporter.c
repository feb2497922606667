#include "reporter.h"

#include "event.h"
#include "log.h"

#include <stdio.h>
#include <string.h>

static enum http_result reporter_get_report(struct http_req *req, const char *param, void *arg) {
    struct reporter *r = arg;
    (void)param;
    http_reply_json(req, 200, tally_json(r->tally));
    return HTTP_DONE;
}

static int reporter_open(struct reporter *r) {
    struct service *s = &r->svc;
    char err[512];
    long max_event_bytes;
    r->topic = cfg_get_str(s->cfg, "reporter", "input_topic", "pizza-with-cheese");
    const char *group = cfg_get_str(s->cfg, "reporter", "group_id", "cheese-reporter");
    const char *topics[] = {r->topic, NULL};
    const struct http_route routes[] = {{"GET", "/report", reporter_get_report, r}};
    if (service_setting(s, "reporter", "max_event_bytes", 65536, 64, 1 << 20, &max_event_bytes) ==
        -1)
        return -1;
    if (!(r->tally = tally_new())) {
        log_error("out of memory");
        return -1;
    }
    intake_init(&r->intake, r->topic, (size_t)max_event_bytes);
    if (!(r->consumer = consumer_new(s->cfg, s->name, group, topics, NULL, err, sizeof(err)))) {
        log_error("kafka: %s", err);
        return -1;
    }
    s->ready = consumer_ready;
    s->ready_arg = r->consumer;
    return service_start_http(s, routes, 1);
}

int reporter_init(struct reporter *r, int argc, char **argv) {
    memset(r, 0, sizeof(*r));
    int rc =
        service_init(&r->svc, "cheese-reporter", "config/cheese-reporter.ini", 5001, argc, argv);
    if (rc != 0) return rc;
    return reporter_open(r) == 0 ? 0 : -1;
}

static void reporter_count(struct reporter *r, const rd_kafka_message_t *m) {
    struct event ev;
    if (intake_decode(&r->intake, m, &ev) == -1) return;
    tally_add(r->tally, event_get(&ev, "cheese"), 1);
    event_clear(&ev);
}

/* Offsets are never committed: the tally lives in memory, so each start
 * recounts the topic from its beginning. */
void reporter_run(struct reporter *r) {
    while (service_running()) {
        rd_kafka_message_t *m = consumer_poll(r->consumer, 100);
        if (!m) continue;
        reporter_count(r, m);
        rd_kafka_message_destroy(m);
    }
}

int reporter_shutdown(struct reporter *r, int init_rc) {
    int rc = init_rc == 1 ? 0 : init_rc == -1 ? 2 : service_exit_code();
    if (r->svc.http) http_quiesce(r->svc.http);
    consumer_free(r->consumer);
    service_shutdown(&r->svc);
    tally_free(r->tally);
    if (init_rc == 0) log_info("stopped");
    return rc;
}
