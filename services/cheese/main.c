/* cheese-service: pizza-with-sauce -> pizza-with-cheese */
#include "stage.h"

static const char *const cheeses[] = {"extra", "none", "three cheese", "goat cheese"};

static const struct menu cheese_menu = {"cheese", cheeses, sizeof(cheeses) / sizeof(cheeses[0]), 0,
                                        1};

static const struct stage_def cheese_stage = {
    "cheese-service",
    "config/cheese.ini",
    "pizza-with-sauce",
    "pizza-with-cheese",
    "cheese",
    &cheese_menu,
    5003,
};

int main(int argc, char **argv) {
    return stage_main(&cheese_stage, argc, argv);
}
