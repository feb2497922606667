#ifndef PIZZA_REPORTER_H
#define PIZZA_REPORTER_H
#include "consumer.h"
#include "intake.h"
#include "service.h"
#include "tally.h"

/* cheese-reporter: counts the cheese of every pizza on pizza-with-cheese and
 * serves the counts at GET /report. */
struct reporter {
    struct service svc;
    const char *topic;
    struct intake intake;
    struct consumer *consumer;
    struct tally *tally;
};

/** @returns 0 to run, 1 when done already (-h), -1 on error (reported). */
int reporter_init(struct reporter *r, int argc, char **argv);
void reporter_run(struct reporter *r);
/** @returns the exit code. */
int reporter_shutdown(struct reporter *r, int init_rc);

#endif
