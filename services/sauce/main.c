/* sauce-service: pizza -> pizza-with-sauce */
#include "stage.h"

static const char *const sauces[] = {"regular", "light", "extra", "none", "alfredo"};

static const struct menu sauce_menu = {"sauce", sauces, sizeof(sauces) / sizeof(sauces[0]), 0, 1};

static const struct stage_def sauce_stage = {
    "sauce-service", "config/sauce.ini", "pizza", "pizza-with-sauce", "sauce", &sauce_menu, 5002,
};

int main(int argc, char **argv) {
    return stage_main(&sauce_stage, argc, argv);
}
