/* cheese-reporter: pizza-with-cheese -> GET /report */
#include "reporter.h"

int main(int argc, char **argv) {
    struct reporter r;
    int rc = reporter_init(&r, argc, argv);
    if (rc == 0) reporter_run(&r);
    return reporter_shutdown(&r, rc);
}
