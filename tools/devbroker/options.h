#ifndef PIZZA_DEVBROKER_OPTIONS_H
#define PIZZA_DEVBROKER_OPTIONS_H

#include <stdio.h>

#define PIZZA_DEVBROKER_MAX_BROKERS 32
#define PIZZA_DEVBROKER_MAX_EXTRA_TOPICS 64

struct options_topic {
    char name[250]; /* Kafka's limit is 249 characters */
    int partitions; /* 0: use options.partitions */
};

/* Command line of pizza-devbroker; plain data, nothing to free. */
struct options {
    int brokers;
    int partitions;
    int replication;
    int ntopics;
    struct options_topic topics[PIZZA_DEVBROKER_MAX_EXTRA_TOPICS];
};

/** Fills @p o from argv (defaults first).
 *  @returns 0 to run, 1 after printing help for -h, -1 on a bad option with a
 *  one-line reason already printed on stderr. */
int options_parse(struct options *o, int argc, char **argv);

void options_usage(FILE *out);

#endif
