/* veggie-service: pizza-with-meats -> pizza-with-veggies */
#include "stage.h"

static const char *const veggies[] = {"tomato",  "olives",    "onions",
                                      "peppers", "pineapple", "mushrooms"};

static const struct menu veggie_menu = {"veggies", veggies, sizeof(veggies) / sizeof(veggies[0]), 1,
                                        4};

static const struct stage_def veggie_stage = {
    "veggie-service",
    "config/veggie.ini",
    "pizza-with-meats",
    "pizza-with-veggies",
    "veggies",
    &veggie_menu,
    5005,
};

int main(int argc, char **argv) {
    return stage_main(&veggie_stage, argc, argv);
}
