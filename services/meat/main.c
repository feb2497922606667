/* meat-service: pizza-with-cheese -> pizza-with-meats */
#include "stage.h"

static const char *const meats[] = {"pepperoni", "sausage", "ham", "anchovies", "salami", "bacon"};

static const struct menu meat_menu = {"meats", meats, sizeof(meats) / sizeof(meats[0]), 1, 4};

static const struct stage_def meat_stage = {
    "meat-service", "config/meat.ini", "pizza-with-cheese", "pizza-with-meats", "meats", &meat_menu,
    5004,
};

int main(int argc, char **argv) {
    return stage_main(&meat_stage, argc, argv);
}
