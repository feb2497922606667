#ifndef PIZZA_STAGE_H
#define PIZZA_STAGE_H
#include "cfg_table.h"
#include "menu.h"

/* [stage]: what a topping stage reads besides every daemon's sections */
extern const struct cfg_section stage_section;

/* A topping stage as data: the runner turns it into a complete daemon that
 * consumes in_topic, fills menu->stage's field and produces to out_topic.
 * Offsets are committed only for events whose results the brokers acknowledged. */
struct stage_def {
    const char *service;        /* "sauce-service" */
    const char *default_config; /* "config/sauce.ini" */
    const char *in_topic, *out_topic;
    const char *field; /* event field this stage fills: "sauce" */
    const struct menu *menu;
    int http_port;
};

/** Runs the daemon until SIGTERM/SIGINT. @returns the process exit code. */
int stage_main(const struct stage_def *def, int argc, char **argv);

#endif
