#include "service.h"

#include "consumer.h"
#include "kafka.h"
#include "kafka_access.h"
#include "log.h"
#include "metrics.h"
#include "producer.h"
#include "watchdog.h"

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* File descriptors the daemon needs besides its HTTP connections: Kafka
 * connections to every broker (several per client), logs, the listen sockets. */
#define SERVICE_FDS_RESERVED 256

static volatile sig_atomic_t service_stop_requested;
static volatile sig_atomic_t service_failed;

static void service_on_signal(int sig) {
    (void)sig;
    service_stop_requested = 1;
    watchdog_arm();
}

int service_running(void) {
    return !service_stop_requested && !service_failed;
}

void service_fail(const char *why) {
    log_error("stopping, a restart is needed: %s", why);
    service_failed = 1;
    watchdog_arm();
}

int service_exit_code(void) {
    return service_failed ? 1 : 0;
}

void service_publish_consumer(struct service *s, struct consumer *c) {
    atomic_store_explicit(&s->consumer, c, memory_order_release);
}

struct consumer *service_consumer(struct service *s) {
    return atomic_load_explicit(&s->consumer, memory_order_acquire);
}

int service_consumer_ready(struct service *s, char *why, size_t sz) {
    return consumer_ready(service_consumer(s), why, sz);
}

static void service_install_signals(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = service_on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN); /* a vanished HTTP client must not kill the daemon */
}

/* Every daemon's sections as the tables write them (long, int); service_apply
 * converts them to struct service's types. */
struct service_settings {
    long port, connections, per_ip, request_s, idle_s, header_bytes, body_bytes, threads;
    int level;     /* enum log_level */
    int guarantee; /* enum service_guarantee */
    long shutdown_timeout_s;
    const char *instance_id; /* NULL: the host name */
};

enum service_guarantee { SERVICE_EXACTLY_ONCE, SERVICE_AT_LEAST_ONCE };
/* by enum service_guarantee */
static const char *const service_guarantees[] = {"exactly_once", "at_least_once", NULL};

static const struct cfg_setting service_http_rows[] = {
    CFG_INT_VARIES("port", struct service_settings, port, 0, 65535,
                   "pizza-service 5000, cheese-reporter 5001, sauce 5002, cheese 5003, meat 5004, "
                   "veggie 5005"),
    CFG_INT("max_connections", struct service_settings, connections, 1024, 1, 65536),
    CFG_INT("max_connections_per_ip", struct service_settings, per_ip, 256, 0, 65536),
    CFG_INT("request_timeout_s", struct service_settings, request_s, 10, 1, 3600),
    CFG_INT("idle_timeout_s", struct service_settings, idle_s, 30, 1, 3600),
    CFG_INT("max_header_bytes", struct service_settings, header_bytes, 16384, 1024, 1 << 20),
    CFG_INT("max_body_bytes", struct service_settings, body_bytes, 4096, 0, 1 << 20),
    CFG_INT("threads", struct service_settings, threads, 2, 1, 64),
};
static const struct cfg_setting service_log_rows[] = {
    CFG_CHOICE_OF("level", struct service_settings, level, "info", log_level_names),
};
static const struct cfg_setting service_service_rows[] = {
    CFG_INT("shutdown_timeout_s", struct service_settings, shutdown_timeout_s, 10, 1, 3600),
    CFG_STR_VARIES("instance_id", struct service_settings, instance_id, "the host name"),
};
static const struct cfg_setting service_pipeline_rows[] = {
    CFG_CHOICE_OF("processing.guarantee", struct service_settings, guarantee, "exactly_once",
                  service_guarantees),
};
static const struct cfg_section service_http_section = CFG_SECTION("http", service_http_rows);
static const struct cfg_section service_log_section = CFG_SECTION("log", service_log_rows);
static const struct cfg_section service_service_section =
    CFG_SECTION("service", service_service_rows);
static const struct cfg_section service_pipeline_section =
    CFG_SECTION("pipeline", service_pipeline_rows);

const struct cfg_section *const service_sections[PIZZA_SERVICE_SECTIONS] = {
    &service_http_section, &service_log_section, &service_service_section,
    &service_pipeline_section};

/* Refuses what nothing reads, then reads every section the daemon has.
 * @returns 0, or -1 with errstr set. */
static int service_read_config(const struct service_def *def, const struct cfg *c,
                               struct service_settings *set, char *errstr, size_t sz) {
    const struct cfg_section *known[PIZZA_SERVICE_SECTIONS + 2];
    memcpy(known, service_sections, sizeof(service_sections));
    known[PIZZA_SERVICE_SECTIONS] = def->section;
    known[PIZZA_SERVICE_SECTIONS + 1] = def->section ? def->section->next : NULL;
    if (def->section && def->section->next && def->section->next->next) {
        snprintf(errstr, sz, "a daemon reads two sections of its own at most");
        return -1;
    }
    if (cfg_table_check(c, known, PIZZA_SERVICE_SECTIONS + 2, errstr, sz) == -1) return -1;
    set->port = def->http_port;
    set->instance_id = NULL;
    for (size_t i = 0; i < PIZZA_SERVICE_SECTIONS; i++)
        if (cfg_table_read(c, service_sections[i], set, errstr, sz) == -1) return -1;
    for (const struct cfg_section *sec = def->section; sec; sec = sec->next)
        if (cfg_table_read(c, sec, def->settings, errstr, sz) == -1) return -1;
    return 0;
}

static void service_apply(struct service *s, const struct service_settings *set) {
    struct http_limits *lim = &s->http_limits;
    s->http_port = (int)set->port;
    lim->connections = (unsigned)set->connections;
    lim->connections_per_ip = (unsigned)set->per_ip;
    lim->idle_timeout_s = (unsigned)set->idle_s;
    lim->request_timeout_s = (unsigned)set->request_s;
    lim->header_bytes = (size_t)set->header_bytes;
    lim->body_bytes = (size_t)set->body_bytes;
    lim->threads = (unsigned)set->threads;
    s->exactly_once = set->guarantee == SERVICE_EXACTLY_ONCE;
}

/* Picks the instance id and the default transactional.id made from it. */
static int service_identify(struct service *s, const char *configured, char *errstr, size_t sz) {
    char host[INSTANCE_ID_MAX + 2] = "";
    /* a longer name is cut short and so refused as too long below */
    if (!configured && gethostname(host, sizeof(host)) == -1 && errno != ENAMETOOLONG) host[0] = 0;
    host[sizeof(host) - 1] = '\0';
    int from = instance_id_pick(configured, host, s->instance_id, errstr, sz);
    if (from == -1) return -1;
    if (instance_txn_id(s->name, s->instance_id, s->default_txn_id, sizeof(s->default_txn_id)) ==
        -1) {
        snprintf(errstr, sz, "instance id '%s' makes too long a transactional.id", s->instance_id);
        return -1;
    }
    s->instance_from = from == INSTANCE_CONFIGURED ? "[service] instance_id" : "the host name";
    return 0;
}

static void service_usage(FILE *to, const char *name, const char *default_config) {
    fprintf(to,
            "usage: %s [-c FILE] [-h]\n"
            "  -c FILE  configuration (default %s)\n"
            "  -h       this help\n"
            "environment (overrides the file):\n"
            "  KAFKA_BOOTSTRAP_SERVERS, KAFKA_<PROPERTY>: [kafka], dots as underscores\n"
            "    (KAFKA_SASL_PASSWORD is sasl.password)\n"
            "  HTTP_PORT, LOG_LEVEL, PROCESSING_GUARANTEE\n"
            "  PIZZA_SERVICE_INSTANCE_ID: [service] instance_id (default: the host name)\n"
            "  PIZZA_<SECTION>_<KEY>: [section] key, '_' matching '.' (not [kafka*])\n"
            "    (PIZZA_ORDERS_MAX_COUNT is [orders] max_count); a key that a section\n"
            "    this daemon reads lacks is refused\n",
            name, default_config);
}

int service_init(struct service *s, const struct service_def *def, int argc, char **argv) {
    const char *path = def->default_config;
    struct service_settings set;
    char err[512];
    int opt;
    memset(s, 0, sizeof(*s));
    s->name = def->name;
    while ((opt = getopt(argc, argv, "c:h")) != -1) {
        if (opt == 'c') {
            path = optarg;
        } else {
            service_usage(opt == 'h' ? stdout : stderr, def->name, def->default_config);
            return opt == 'h' ? 1 : -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "%s: unexpected argument: %s\n", def->name, argv[optind]);
        return -1;
    }
    if (!(s->cfg = cfg_load(path, err, sizeof(err))) ||
        service_read_config(def, s->cfg, &set, err, sizeof(err)) == -1) {
        fprintf(stderr, "%s: bad config: %s\n", def->name, err);
        return -1;
    }
    service_apply(s, &set);
    log_init(def->name, (enum log_level)set.level);
    if (service_identify(s, set.instance_id, err, sizeof(err)) == -1) {
        fprintf(stderr, "%s: bad config: %s\n", def->name, err);
        return -1;
    }
    if (watchdog_start((int)set.shutdown_timeout_s) == -1) {
        fprintf(stderr, "%s: cannot start the shutdown watchdog: %s\n", def->name, strerror(errno));
        return -1;
    }
    service_install_signals();
    /* Kafka's loops stop with the service, and its failures stop the service */
    kafka_set_lifecycle(&(const struct kafka_lifecycle){service_running, service_fail});
    return 0;
}

struct producer *service_producer_new(struct service *s, char *errstr, size_t sz) {
    return producer_new(s->cfg, s->name, s->default_txn_id, s->exactly_once, errstr, sz);
}

static enum http_result service_health(struct http_req *r, const char *param, void *arg) {
    (void)param;
    (void)arg;
    http_reply_json(r, 200, json_pack("{s:s}", "status", "alive"));
    return HTTP_DONE;
}

static enum http_result service_ready(struct http_req *r, const char *param, void *arg) {
    struct service *s = arg;
    char why[512] = "";
    (void)param;
    /* what Kafka refuses comes first: it is what the operator must fix */
    int ok = service_running() && !kafka_access_refusal(why, sizeof(why)) &&
             (!s->ready || s->ready(s->ready_arg, why, sizeof(why)));
    if (!service_running()) snprintf(why, sizeof(why), "shutting down");
    http_reply_json(r, ok ? 200 : 503,
                    ok ? json_pack("{s:b}", "ready", 1)
                       : json_pack("{s:b, s:s}", "ready", 0, "reason", why));
    return HTTP_DONE;
}

static enum http_result service_metrics(struct http_req *r, const char *param, void *arg) {
    size_t len;
    (void)param;
    (void)arg;
    char *text = metrics_render(&len);
    if (!text) {
        http_reply_error(r, 503, "out of memory");
        return HTTP_DONE;
    }
    http_reply(r, 200, "text/plain; version=0.0.4", text, len);
    free(text);
    return HTTP_DONE;
}

/* Raises the open-files limit to what max_connections needs, as far as the
 * hard limit allows; past that, fewer connections are accepted than would
 * fail later with "too many open files" (which would also starve Kafka). */
static void service_fit_connections(struct http_limits *lim) {
    struct rlimit rl;
    rlim_t need = (rlim_t)lim->connections + SERVICE_FDS_RESERVED;
    if (getrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur >= need) return;
    rlim_t was = rl.rlim_cur;
    rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= need ? need : rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) == -1) rl.rlim_cur = was;
    if (rl.rlim_cur >= need) return;
    unsigned fit = rl.rlim_cur > SERVICE_FDS_RESERVED * 2
                       ? (unsigned)(rl.rlim_cur - SERVICE_FDS_RESERVED)
                       : (unsigned)(rl.rlim_cur / 2);
    if (fit == 0) fit = 1; /* 0 would mean "no limit" to libmicrohttpd */
    log_warn(
        "http: the open-files limit (%llu) leaves room for %u connections, not max_connections "
        "%u; raise it (ulimit -n) to %llu",
        (unsigned long long)rl.rlim_cur, fit, lim->connections, (unsigned long long)need);
    lim->connections = fit;
}

int service_start_http(struct service *s, const struct http_route *routes, size_t n) {
    const struct http_route builtin[] = {
        {"GET", "/health", service_health, s},
        {"GET", "/ready", service_ready, s},
        {"GET", "/metrics", service_metrics, s},
    };
    size_t nb = sizeof(builtin) / sizeof(builtin[0]);
    struct http_route all[32];
    char err[256];
    if (n + nb > sizeof(all) / sizeof(all[0])) {
        log_error("too many routes");
        return -1;
    }
    memcpy(all, builtin, sizeof(builtin));
    if (n) memcpy(all + nb, routes, n * sizeof(*routes));
    service_fit_connections(&s->http_limits);
    if (!(s->http = http_start(all, n + nb, s->http_port, &s->http_limits, err, sizeof(err)))) {
        log_error("http: %s", err);
        return -1;
    }
    /* here, not at start: a config the daemon refuses gets a one-line reason */
    log_info("instance %s (from %s)", s->instance_id, s->instance_from);
    log_int(LOG_INFO, "port", http_port(s->http), "http listening");
    return 0;
}

void service_stop_http(struct service *s) {
    if (!s || !s->http) return;
    watchdog_step("stopping HTTP");
    http_stop(s->http);
    s->http = NULL;
}

void service_shutdown(struct service *s) {
    if (!s) return;
    service_stop_http(s);
    cfg_free(s->cfg);
    s->cfg = NULL;
}
