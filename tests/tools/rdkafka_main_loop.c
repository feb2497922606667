/* rdkafka_main_loop: fails when the librdkafka the daemons link spins its main
 * thread (rdk:main) before each timer, the busy loop librdkafka fixed in 2.4.0
 * (confluentinc/librdkafka#4671) and third_party/librdkafka backports to 2.0.2.
 *
 * A producer with a 5 ms statistics timer and no reachable broker: rdk:main
 * has nothing to do but that timer. With the bug it polls without waiting for
 * the last fraction of a millisecond before each of the 200 timers a second,
 * 10-15 % of a core; fixed, it sleeps until each is due and uses 1-2 %
 * (building the statistics). Measures the thread's CPU (/proc/self/task) over 3 s
 * and exits 1 above 5 %: a margin of 2-3x on either side; one scheduler tick
 * (10 ms) is 0.3 % of the window. */
#include <dirent.h>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define WINDOW_S 3
#define LIMIT_SHARE 0.05

static int on_stats(rd_kafka_t *rk, char *json, size_t len, void *opaque) {
    (void)rk;
    (void)json;
    (void)len;
    (void)opaque;
    return 0; /* librdkafka frees json */
}

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* @returns the CPU seconds of this process's thread named name, or -1. */
static double thread_cpu_s(const char *name) {
    DIR *dir = opendir("/proc/self/task");
    struct dirent *e;
    double found = -1;
    while (dir && found < 0 && (e = readdir(dir))) {
        char path[300], line[1024];
        if (e->d_name[0] == '.') continue;
        snprintf(path, sizeof(path), "/proc/self/task/%s/stat", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f) continue; /* the thread exited */
        size_t n = fread(line, 1, sizeof(line) - 1, f);
        fclose(f);
        line[n] = '\0';
        /* pid (comm) state ... utime stime: fields 14 and 15, counted after the
         * comm's closing parenthesis, as a comm may hold spaces */
        char *open = strchr(line, '('), *close = strrchr(line, ')');
        unsigned long long utime, stime;
        if (!open || !close || close < open) continue;
        *close = '\0';
        if (strcmp(open + 1, name) != 0) continue;
        if (sscanf(close + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime,
                   &stime) == 2)
            found = (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
    }
    if (dir) closedir(dir);
    return found;
}

int main(void) {
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    /* a port nothing listens on: the broker threads back off, rdk:main
     * serves only the statistics timer */
    if (rd_kafka_conf_set(conf, "bootstrap.servers", "127.0.0.1:9", err, sizeof(err)) ||
        rd_kafka_conf_set(conf, "statistics.interval.ms", "5", err, sizeof(err)) ||
        rd_kafka_conf_set(conf, "log_level", "0", err, sizeof(err))) {
        fprintf(stderr, "rdkafka_main_loop: %s\n", err);
        return 2;
    }
    rd_kafka_conf_set_stats_cb(conf, on_stats);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    if (!rk) {
        fprintf(stderr, "rdkafka_main_loop: %s\n", err);
        return 2;
    }
    rd_kafka_poll(rk, 500); /* past start-up */
    double before = thread_cpu_s("rdk:main");
    double t0 = now_s(), wall;
    do
        rd_kafka_poll(rk, 100); /* serves the statistics */
    while ((wall = now_s() - t0) < WINDOW_S);
    double after = thread_cpu_s("rdk:main");
    rd_kafka_destroy(rk);
    if (before < 0 || after < 0) {
        fprintf(stderr, "rdkafka_main_loop: no thread named rdk:main\n");
        return 2;
    }
    double share = (after - before) / wall;
    printf("librdkafka %s: rdk:main used %.1f %% of a core over %.1f s with a 5 ms timer "
           "(limit %.0f %%)\n",
           rd_kafka_version_str(), share * 100, wall, LIMIT_SHARE * 100);
    return share <= LIMIT_SHARE ? 0 : 1;
}
