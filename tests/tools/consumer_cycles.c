/* Joins a group, waits for partitions, and leaves, again and again, with our
 * consumer (common/kafka/consumer.c): each leave must finish within a bound. A
 * close that blocks forever is what a supervisor sees as a SIGTERM ignored.
 *
 * usage: consumer_cycles BOOTSTRAP TOPIC CYCLES [PROTOCOL]
 *   PROTOCOL: eager (default) or cooperative (cooperative-sticky assignor)
 * exit 0: every cycle closed in time; 1: a close hung (after printing which);
 * 2: usage or setup error. */
#include "cfg.h"
#include "clock.h"
#include "consumer.h"
#include "kafka.h"
#include "log.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* consumer.c's close gives up after 4 s; beyond this it is blocked for good */
#define CLOSE_BOUND_S 10
#define ASSIGN_BOUND_MS 30000

static volatile sig_atomic_t cycle;

static void on_alarm(int sig) {
    (void)sig;
    char msg[80];
    int n = snprintf(msg, sizeof(msg), "consumer_cycles: close of cycle %d hung\n", (int)cycle);
    if (write(STDERR_FILENO, msg, (size_t)n) < 0) _exit(1);
    _exit(1);
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: consumer_cycles BOOTSTRAP TOPIC CYCLES [eager|cooperative]\n");
        return 2;
    }
    int cycles = atoi(argv[3]);
    int cooperative = argc > 4 && strcmp(argv[4], "cooperative") == 0;
    log_init("consumer-cycles", LOG_WARN);
    char err[512];
    struct cfg *cf = cfg_parse("", err, sizeof(err));
    if (!cf || cfg_set(cf, "kafka", "bootstrap.servers", argv[1]) ||
        (cooperative &&
         cfg_set(cf, "kafka.consumer", "partition.assignment.strategy", "cooperative-sticky"))) {
        fprintf(stderr, "consumer_cycles: config: %s\n", cf ? "out of memory" : err);
        return 2;
    }
    signal(SIGALRM, on_alarm);
    const char *topics[] = {argv[2], NULL};
    for (cycle = 1; cycle <= cycles; cycle++) {
        char group[64];
        snprintf(group, sizeof(group), "consumer-cycles-%d-%d", (int)getpid(), (int)cycle);
        struct consumer *c =
            consumer_new(cf, "consumer-cycles", group, topics, NULL, err, sizeof(err));
        if (!c) {
            fprintf(stderr, "consumer_cycles: %s\n", err);
            return 2;
        }
        long long deadline = clock_now_ms() + ASSIGN_BOUND_MS;
        while (consumer_assigned(c) == 0 && clock_now_ms() < deadline) {
            rd_kafka_message_t *m = consumer_poll(c, 50);
            if (m) rd_kafka_message_destroy(m);
        }
        if (consumer_assigned(c) == 0) {
            fprintf(stderr, "consumer_cycles: cycle %d: no partitions within %d ms\n", (int)cycle,
                    ASSIGN_BOUND_MS);
            return 2;
        }
        alarm(CLOSE_BOUND_S);
        consumer_free(c);
        alarm(0);
    }
    cfg_free(cf);
    printf("%d cycles closed in time\n", cycles);
    return 0;
}
