#include "options.h"

#include "control.h"

#include <stdlib.h>
#include <string.h>

void options_usage(FILE *out) {
    fprintf(out,
            "usage: pizza-devbroker [--brokers N] [--partitions N] [--replication R]\n"
            "                       [--topic NAME[:PARTITIONS]]... [-h]\n"
            "In-memory Kafka (librdkafka mock cluster) for local runs and tests only.\n"
            "  --brokers N        brokers, ids 1..N (default 1)\n"
            "  --partitions N     partitions per topic (default 6)\n"
            "  --replication R    replication factor, <= brokers (default 1)\n"
            "  --topic NAME[:P]   extra topic besides the five pipeline topics (repeatable)\n"
            "Prints 'bootstrap.servers=HOST:PORT[,...]' on stdout when ready; runs until\n"
            "SIGTERM/SIGINT. Commands on stdin, one per line, each answered with one line\n"
            "'ok' or 'error: reason' on stdout (EOF on stdin only stops reading it):\n"
            "  ping | broker down ID | broker up ID | broker rtt ID MS (ID -1: all brokers)\n"
            "  error APIKEY ERRCODE [COUNT]   next COUNT requests of APIKEY fail with ERRCODE\n"
            "  topic NAME PARTITIONS          create a topic\n");
}

static int options_parse_int(const char *opt, const char *s, int min, int max, int *out) {
    char *end = NULL;
    long v = strtol(s, &end, 10);
    if (end == s || *end || v < min || v > max) {
        fprintf(stderr, "devbroker: %s must be an integer in %d..%d, got '%s'\n", opt, min, max, s);
        return -1;
    }
    *out = (int)v;
    return 0;
}

/* --topic NAME[:PARTITIONS]; a missing count means "use --partitions". */
static int options_parse_topic(struct options *o, const char *arg) {
    if (o->ntopics == PIZZA_DEVBROKER_MAX_EXTRA_TOPICS) {
        fprintf(stderr, "devbroker: at most %d --topic options\n",
                PIZZA_DEVBROKER_MAX_EXTRA_TOPICS);
        return -1;
    }
    struct options_topic *t = &o->topics[o->ntopics];
    const char *colon = strchr(arg, ':');
    size_t n = colon ? (size_t)(colon - arg) : strlen(arg);
    if (n >= sizeof(t->name)) {
        fprintf(stderr, "devbroker: --topic: name longer than 249 characters\n");
        return -1;
    }
    memcpy(t->name, arg, n);
    t->name[n] = '\0';
    if (!control_topic_name_ok(t->name)) {
        fprintf(stderr, "devbroker: --topic: invalid topic name '%s'\n", t->name);
        return -1;
    }
    t->partitions = 0;
    if (colon && options_parse_int("--topic partitions", colon + 1, 1,
                                   PIZZA_DEVBROKER_MAX_PARTITIONS, &t->partitions) == -1)
        return -1;
    o->ntopics++;
    return 0;
}

/** Matches "--name VALUE" or "--name=VALUE" at argv[*i], advancing *i past a
 *  separate value. @returns 0 if argv[*i] is another option, 1 if it matched
 *  (*val set), -1 if it matched but the value is missing (reported). */
static int options_match(int argc, char **argv, int *i, const char *name, const char **val) {
    size_t n = strlen(name);
    if (strncmp(argv[*i], name, n) != 0) return 0;
    if (argv[*i][n] == '=') {
        *val = argv[*i] + n + 1;
        return 1;
    }
    if (argv[*i][n] != '\0') return 0;
    if (*i + 1 >= argc) {
        fprintf(stderr, "devbroker: %s needs a value\n", name);
        return -1;
    }
    *val = argv[++*i];
    return 1;
}

/* One option at argv[*i]. @returns 0, or -1 (reported). */
static int options_parse_one(struct options *o, int argc, char **argv, int *i) {
    const char *v = NULL;
    int m;
    if ((m = options_match(argc, argv, i, "--brokers", &v)) != 0)
        return m < 0
                   ? -1
                   : options_parse_int("--brokers", v, 1, PIZZA_DEVBROKER_MAX_BROKERS, &o->brokers);
    if ((m = options_match(argc, argv, i, "--partitions", &v)) != 0)
        return m < 0 ? -1
                     : options_parse_int("--partitions", v, 1, PIZZA_DEVBROKER_MAX_PARTITIONS,
                                         &o->partitions);
    if ((m = options_match(argc, argv, i, "--replication", &v)) != 0)
        return m < 0 ? -1
                     : options_parse_int("--replication", v, 1, PIZZA_DEVBROKER_MAX_BROKERS,
                                         &o->replication);
    if ((m = options_match(argc, argv, i, "--topic", &v)) != 0)
        return m < 0 ? -1 : options_parse_topic(o, v);
    fprintf(stderr, "devbroker: unknown option '%s' (try -h)\n", argv[*i]);
    return -1;
}

int options_parse(struct options *o, int argc, char **argv) {
    memset(o, 0, sizeof(*o));
    o->brokers = 1;
    o->partitions = 6;
    o->replication = 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            options_usage(stdout);
            return 1;
        }
        if (options_parse_one(o, argc, argv, &i) == -1) return -1;
    }
    if (o->replication > o->brokers) {
        fprintf(stderr, "devbroker: --replication %d exceeds --brokers %d\n", o->replication,
                o->brokers);
        return -1;
    }
    return 0;
}
