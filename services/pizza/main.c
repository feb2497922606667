/* pizza-service: HTTP orders -> pizza ... pizza-with-veggies -> GET /order/{id} */
#include "pizza_service.h"

int main(int argc, char **argv) {
    struct pizza_service ps;
    int rc = pizza_init(&ps, argc, argv);
    if (rc == 0) pizza_main_run(&ps);
    return pizza_shutdown(&ps, rc);
}
