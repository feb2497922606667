#include "watchdog.h"

#include "log.h"

#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

static sem_t watchdog_armed_sem;
static atomic_flag watchdog_armed = ATOMIC_FLAG_INIT;
static _Atomic(const char *) watchdog_doing = "finishing the work in hand";
static int watchdog_budget_s;

static void *watchdog_main(void *arg) {
    (void)arg;
    while (sem_wait(&watchdog_armed_sem) == -1 && errno == EINTR)
        ;
    struct timespec left = {watchdog_budget_s, 0};
    while (nanosleep(&left, &left) == -1 && errno == EINTR)
        ;
    log_error("did not stop within %d s; it was %s; exiting without finishing", watchdog_budget_s,
              atomic_load(&watchdog_doing));
    _exit(1);
}

int watchdog_start(int budget_s) {
    watchdog_budget_s = budget_s;
    if (sem_init(&watchdog_armed_sem, 0, 0) == -1) return -1;
    pthread_t t;
    int err = pthread_create(&t, NULL, watchdog_main, NULL);
    if (!err) err = pthread_detach(t);
    if (err) errno = err;
    return err ? -1 : 0;
}

void watchdog_arm(void) {
    if (!atomic_flag_test_and_set(&watchdog_armed)) sem_post(&watchdog_armed_sem);
}

void watchdog_step(const char *what) {
    atomic_store(&watchdog_doing, what);
}
