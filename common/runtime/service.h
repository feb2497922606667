#ifndef PIZZA_SERVICE_H
#define PIZZA_SERVICE_H
#include <stddef.h>

#include "cfg.h"
#include "cfg_table.h"
#include "http.h"
#include "instance.h"

struct consumer;
struct producer;

/* What a daemon tells service_init about itself. */
struct service_def {
    const char *name;                  /* e.g. "sauce-service": log "service" field, client.id */
    const char *default_config;        /* without -c: "config/sauce.ini" */
    int http_port;                     /* [http] port when neither file nor environment sets it */
    const struct cfg_section *section; /* the daemon's own ([stage]), or NULL */
    void *settings;                    /* where section's values go (its offsets' struct) */
};

/* [http], [log], [service], [pipeline]: every daemon's */
#define PIZZA_SERVICE_SECTIONS 4
extern const struct cfg_section *const service_sections[PIZZA_SERVICE_SECTIONS];

/* What every daemon shares: command line, config, logging, signals, and an
 * HTTP server with /health, /ready and /metrics next to its own routes. */
struct service {
    const char *name; /* e.g. "sauce-service": log "service" field, client.id */
    struct cfg *cfg;  /* owned */
    struct http_server *http;
    int http_port;
    struct http_limits http_limits;
    int (*ready)(void *arg, char *why, size_t sz); /* 1 when ready, else 0 with why */
    void *ready_arg;
    struct consumer *_Atomic consumer;        /* service_publish_consumer; NULL until then */
    int exactly_once;                         /* [pipeline] processing.guarantee */
    char instance_id[INSTANCE_ID_MAX + 1];    /* [service] instance_id, else the host name */
    char default_txn_id[INSTANCE_TXN_ID_MAX]; /* "<name>-<instance_id>" */
    const char *instance_from;                /* where instance_id came from, for the log */
};

/** Parses -c FILE and -h, loads the config, refuses sections and keys that
 * neither service_sections nor def->section hold (cfg_table_check), reads
 * those into s and def->settings ([http] port 0 = any free port), starts
 * logging, installs signal handlers. @returns 0 to run, 1 when done (e.g. -h
 * printed usage), -1 after printing a one-line reason on stderr. */
int service_init(struct service *s, const struct service_def *def, int argc, char **argv);
/** Starts HTTP with routes plus the built-in ones. @returns 0, or -1 (logged). */
int service_start_http(struct service *s, const struct http_route *routes, size_t n);

/** The daemon's producer: transactional when exactly-once, its
 * transactional.id the configured one or else s->default_txn_id.
 * @returns it, or NULL with errstr set. */
struct producer *service_producer_new(struct service *s, char *errstr, size_t sz);

/* A daemon's group consumer is made by its main thread and read by /ready
 * (an HTTP thread): every daemon hands it over this one way. */
/** Publishes c (release), once it is subscribed and whatever the daemon does
 * before consuming is done; NULL withdraws it. Main thread. */
void service_publish_consumer(struct service *s, struct consumer *c);
/** @returns the published consumer (acquire), or NULL. Any thread. */
struct consumer *service_consumer(struct service *s);
/** A service.ready check, or its last step: a broker is reachable and the
 * published consumer has partitions. @returns 1, or 0 with why. */
int service_consumer_ready(struct service *s, char *why, size_t sz);

/** @returns 1 until SIGTERM/SIGINT, service_fail() or a fatal Kafka error. */
int service_running(void);
/** Stops the service because it cannot go on safely; it exits 1 so a
 * supervisor restarts it. Logs why. */
void service_fail(const char *why);
/** @returns the exit code for a service that ran: 0, or 1 after a failure. */
int service_exit_code(void);

/** Closes every HTTP connection and waits for the handlers running: call it
 * before freeing anything a handler reads (a kept-alive connection can send a
 * request at any time until then). NULL-safe; once only. */
void service_stop_http(struct service *s);
/** Stops HTTP if still running, then frees the config. NULL-safe. */
void service_shutdown(struct service *s);

#endif
