#include "service.h"

#include "kafka.h"
#include "log.h"
#include "metrics.h"
#include "watchdog.h"

#include <errno.h>
#include <signal.h>
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
    if (!kafka_fatal()) return !service_stop_requested && !service_failed;
    watchdog_arm();
    return 0;
}

void service_fail(const char *why) {
    log_error("stopping, a restart is needed: %s", why);
    service_failed = 1;
    watchdog_arm();
}

int service_exit_code(void) {
    return service_failed || kafka_fatal() ? 1 : 0;
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

int service_setting(struct service *s, const char *section, const char *key, long def, long min,
                    long max, long *out) {
    char err[256];
    if (cfg_get_long(s->cfg, section, key, def, min, max, out, err, sizeof(err)) == 0) return 0;
    log_error("bad config: %s", err);
    return -1;
}

static int service_http_settings(struct service *s, int default_port) {
    struct http_limits *lim = &s->http_limits;
    long port, conns, per_ip, idle, request, header, body, threads;
    if (service_setting(s, "http", "port", default_port, 0, 65535, &port) == -1 ||
        service_setting(s, "http", "max_connections", 1024, 1, 65536, &conns) == -1 ||
        service_setting(s, "http", "max_connections_per_ip", 256, 0, 65536, &per_ip) == -1 ||
        service_setting(s, "http", "idle_timeout_s", 30, 1, 3600, &idle) == -1 ||
        service_setting(s, "http", "request_timeout_s", 10, 1, 3600, &request) == -1 ||
        service_setting(s, "http", "max_header_bytes", 16384, 1024, 1 << 20, &header) == -1 ||
        service_setting(s, "http", "max_body_bytes", 4096, 0, 1 << 20, &body) == -1 ||
        service_setting(s, "http", "threads", 2, 1, 64, &threads) == -1)
        return -1;
    s->http_port = (int)port;
    lim->connections = (unsigned)conns;
    lim->connections_per_ip = (unsigned)per_ip;
    lim->idle_timeout_s = (unsigned)idle;
    lim->request_timeout_s = (unsigned)request;
    lim->header_bytes = (size_t)header;
    lim->body_bytes = (size_t)body;
    lim->threads = (unsigned)threads;
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
            "  PIZZA_<SECTION>_<KEY>: [section] key, '_' matching '.' (not [kafka*])\n"
            "    (PIZZA_ORDERS_MAX_COUNT is [orders] max_count)\n",
            name, default_config);
}

int service_init(struct service *s, const char *name, const char *default_config, int default_port,
                 int argc, char **argv) {
    const char *path = default_config;
    char err[512];
    int opt;
    memset(s, 0, sizeof(*s));
    s->name = name;
    while ((opt = getopt(argc, argv, "c:h")) != -1) {
        if (opt == 'c') {
            path = optarg;
        } else {
            service_usage(opt == 'h' ? stdout : stderr, name, default_config);
            return opt == 'h' ? 1 : -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "%s: unexpected argument: %s\n", name, argv[optind]);
        return -1;
    }
    if (!(s->cfg = cfg_load(path, err, sizeof(err)))) {
        fprintf(stderr, "%s: bad config: %s\n", name, err);
        return -1;
    }
    enum log_level level;
    const char *lvl = cfg_get_str(s->cfg, "log", "level", "info");
    if (log_level_parse(lvl, &level) == -1) {
        fprintf(stderr, "%s: bad config: [log] level = \"%s\": expected debug|info|warn|error\n",
                name, lvl);
        return -1;
    }
    log_init(name, level);
    const char *guarantee = cfg_get_str(s->cfg, "pipeline", "processing.guarantee", "exactly_once");
    s->exactly_once = strcmp(guarantee, "exactly_once") == 0;
    if (!s->exactly_once && strcmp(guarantee, "at_least_once") != 0) {
        fprintf(stderr,
                "%s: bad config: [pipeline] processing.guarantee = \"%s\": expected "
                "exactly_once|at_least_once\n",
                name, guarantee);
        return -1;
    }
    long stop_budget;
    if (service_http_settings(s, default_port) == -1 ||
        service_setting(s, "service", "shutdown_timeout_s", 10, 1, 3600, &stop_budget) == -1)
        return -1;
    if (watchdog_start((int)stop_budget) == -1) {
        fprintf(stderr, "%s: cannot start the shutdown watchdog: %s\n", name, strerror(errno));
        return -1;
    }
    service_install_signals();
    return 0;
}

static enum http_result service_health(struct http_req *r, const char *param, void *arg) {
    (void)param;
    (void)arg;
    http_reply_json(r, 200, json_pack("{s:s}", "status", "alive"));
    return HTTP_DONE;
}

static enum http_result service_ready(struct http_req *r, const char *param, void *arg) {
    struct service *s = arg;
    char why[128] = "";
    (void)param;
    int ok = service_running() && (!s->ready || s->ready(s->ready_arg, why, sizeof(why)));
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
    log_int(LOG_INFO, "port", http_port(s->http), "http listening");
    return 0;
}

void service_shutdown(struct service *s) {
    if (!s) return;
    watchdog_step("stopping HTTP");
    http_stop(s->http);
    s->http = NULL;
    cfg_free(s->cfg);
    s->cfg = NULL;
}
