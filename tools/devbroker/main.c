/* pizza-devbroker: librdkafka's mock cluster run as a process, for local runs
 * and tests only (in memory, loopback listeners only, no persistence). */
#include "control.h"
#include "options.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Longest wait between checks of the stop flag. */
#define PIZZA_DEVBROKER_TICK_MS 100

/* The pipeline, its dead-letter topics and the services' changelogs (the
 * mock neither compacts nor deletes by age; see README). */
static const char *const devbroker_pipeline_topics[] = {
    "pizza",
    "pizza-with-sauce",
    "pizza-with-cheese",
    "pizza-with-meats",
    "pizza-with-veggies",
    "pizza.dlq",
    "pizza-with-sauce.dlq",
    "pizza-with-cheese.dlq",
    "pizza-with-meats.dlq",
    "pizza-with-veggies.dlq",
    "pizza-orders-changelog",
    "cheese-report-changelog",
};

struct devbroker {
    struct options opts;
    rd_kafka_t *rk;              /* only hosts the mock cluster; never produces */
    rd_kafka_mock_cluster_t *mc; /* needs rk alive until destroyed */
    struct control *ctl;         /* NULL once stdin is closed */
};

static volatile sig_atomic_t devbroker_running = 1;

static void devbroker_on_term(int sig) {
    (void)sig;
    devbroker_running = 0;
}

/* Keeps librdkafka's own lines recognisable among the daemons' logs. */
static void devbroker_log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf) {
    (void)rk;
    fprintf(stderr, "devbroker: rdkafka level %d %s: %s\n", level, fac, buf);
}

static int devbroker_install_signals(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = devbroker_on_term;
    sigemptyset(&sa.sa_mask);
    /* no SA_RESTART: poll() returns EINTR so shutdown does not wait a tick */
    if (sigaction(SIGTERM, &sa, NULL) == -1 || sigaction(SIGINT, &sa, NULL) == -1) return -1;
    /* A reader that went away must not kill the broker under running daemons;
     * the failed write is enough. */
    sa.sa_handler = SIG_IGN;
    return sigaction(SIGPIPE, &sa, NULL);
}

static int devbroker_start_cluster(struct devbroker *d) {
    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set_log_cb(conf, devbroker_log_cb);
    /* Warnings and worse only: at notice level the idle handle complains that
     * it has no bootstrap.servers, which would mislead readers of test logs. */
    if (rd_kafka_conf_set(conf, "log_level", "4", errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) {
        rd_kafka_conf_destroy(conf);
        fprintf(stderr, "devbroker: log_level: %s\n", errstr);
        return -1;
    }
    /* The mock cluster needs an rd_kafka_t for its bookkeeping threads; a
     * producer with no bootstrap.servers is the cheapest one. */
    d->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (!d->rk) {
        rd_kafka_conf_destroy(conf);
        fprintf(stderr, "devbroker: cannot create client handle: %s\n", errstr);
        return -1;
    }
    conf = NULL; /* rk owns */
    d->mc = rd_kafka_mock_cluster_new(d->rk, d->opts.brokers);
    if (!d->mc) {
        fprintf(stderr, "devbroker: cannot create mock cluster with %d broker(s)\n",
                d->opts.brokers);
        return -1;
    }
    return 0;
}

static int devbroker_create_topics(struct devbroker *d) {
    char errstr[512];
    const struct options *o = &d->opts;
    size_t npipe = sizeof(devbroker_pipeline_topics) / sizeof(devbroker_pipeline_topics[0]);
    for (size_t i = 0; i < npipe; i++) {
        if (control_topic_create(d->mc, devbroker_pipeline_topics[i], o->partitions, o->replication,
                                 errstr, sizeof(errstr)) == -1)
            goto fail;
    }
    for (int i = 0; i < o->ntopics; i++) {
        int parts = o->topics[i].partitions ? o->topics[i].partitions : o->partitions;
        if (control_topic_create(d->mc, o->topics[i].name, parts, o->replication, errstr,
                                 sizeof(errstr)) == -1)
            goto fail;
    }
    return 0;
fail:
    fprintf(stderr, "devbroker: %s\n", errstr);
    return -1;
}

static int devbroker_init(struct devbroker *d) {
    if (devbroker_install_signals() == -1) {
        fprintf(stderr, "devbroker: sigaction: %s\n", strerror(errno));
        return -1;
    }
    if (devbroker_start_cluster(d) == -1 || devbroker_create_topics(d) == -1) return -1;
    if (!(d->ctl = control_new(d->mc, STDIN_FILENO, d->opts.replication))) {
        fprintf(stderr, "devbroker: out of memory\n");
        return -1;
    }
    /* The one stdout line callers wait for: only printed once topics exist. */
    if (printf("bootstrap.servers=%s\n", rd_kafka_mock_cluster_bootstraps(d->mc)) < 0 ||
        fflush(stdout) == EOF) {
        fprintf(stderr, "devbroker: cannot write bootstrap line: %s\n", strerror(errno));
        return -1;
    }
    fprintf(stderr, "devbroker: ready: %d broker(s), bootstrap.servers=%s\n", d->opts.brokers,
            rd_kafka_mock_cluster_bootstraps(d->mc));
    return 0;
}

static void devbroker_sleep_tick(void) {
    struct timespec ts = {0, PIZZA_DEVBROKER_TICK_MS * 1000000L};
    nanosleep(&ts, NULL); /* EINTR just ends the tick early */
}

static int devbroker_run(struct devbroker *d) {
    while (devbroker_running) {
        if (!d->ctl) {
            devbroker_sleep_tick();
        } else if (control_poll(d->ctl, PIZZA_DEVBROKER_TICK_MS) == -1) {
            /* Tests start us with stdin from /dev/null: EOF is not a stop request. */
            fprintf(stderr, "devbroker: stdin closed; control commands disabled\n");
            control_free(d->ctl);
            d->ctl = NULL;
        }
    }
    fprintf(stderr, "devbroker: stopping\n");
    return 0;
}

/* Cluster before handle: the cluster's threads report to the handle. */
static void devbroker_shutdown(struct devbroker *d) {
    control_free(d->ctl);
    if (d->mc) rd_kafka_mock_cluster_destroy(d->mc);
    if (d->rk) rd_kafka_destroy(d->rk);
}

int main(int argc, char **argv) {
    static struct devbroker d; /* static: options hold ~16 KB of topic names */
    int rc = options_parse(&d.opts, argc, argv);
    if (rc != 0) return rc == 1 ? 0 : 2;
    rc = 1;
    if (devbroker_init(&d) == 0) rc = devbroker_run(&d);
    devbroker_shutdown(&d);
    return rc;
}
