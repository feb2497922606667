/* LD_PRELOAD fault injection: MHD_stop_daemon() waits PIZZA_SLOW_HTTP_STOP_MS
 * (default 1000) before stopping the server. Whatever a daemon frees before
 * it stops HTTP stays reachable by kept-alive connections that long, so a
 * test can show that nothing a handler reads is freed first
 * (tests/e2e/lifecycle_signals.sh). Built without the sanitizers: it is
 * preloaded into every process the daemon starts, ASan's symbolizer too. */
#define _GNU_SOURCE /* RTLD_NEXT */
#include <dlfcn.h>

#include "shim_pause.h"

struct MHD_Daemon; /* opaque here: the shim needs no libmicrohttpd of its own */
void MHD_stop_daemon(struct MHD_Daemon *daemon);

void MHD_stop_daemon(struct MHD_Daemon *daemon) {
    void (*real)(struct MHD_Daemon *);
    *(void **)&real = dlsym(RTLD_NEXT, "MHD_stop_daemon");
    shim_pause("PIZZA_SLOW_HTTP_STOP_MS", 1000);
    real(daemon);
}
