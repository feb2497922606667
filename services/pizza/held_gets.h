#ifndef PIZZA_HELD_GETS_H
#define PIZZA_HELD_GETS_H
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>

#include "http.h"
#include "orders.h"
#include "parse.h"

/* GET /order/{id}?wait=SECONDS[&after=N] of a pending order: held as a
 * suspended connection, not a thread, until its order's last pizza arrives
 * (with after: until it has more than N pizzas) or its deadline passes.
 * HTTP threads hold them (held_gets_hold); the main loop answers them (wake,
 * expire, close). Thread-safe. */

/* One GET held until its order completes or its deadline. */
struct held_get {
    struct http_req *req;
    long long deadline_ms; /* clock_now_ms() clock */
    long after;            /* answered once the order has more pizzas than this */
    struct held_get *next;
    char id[PIZZA_ORDER_ID_MAX + 1];
};

struct held_gets {
    pthread_mutex_t lock;
    struct held_get *list; /* under lock; few (at most one per connection) */
    int closed;            /* under lock; shutting down: answer at once */
    atomic_int pending;    /* listed or being listed: wake and expire skip the lock at 0 */
    atomic_int afters;     /* of those, with an after: at 0 only completions wake */
};

void held_gets_init(struct held_gets *g);
void held_gets_destroy(struct held_gets *g); /* none may be held: held_gets_close first */

/* held_gets_hold's after when the GET waits for the order to complete */
#define HELD_GETS_UNTIL_COMPLETE LONG_MAX

/** Answers r at once when order id is unknown (404), complete or has more
 * than after pizzas, or when seconds is 0; else holds r until
 * held_gets_wake() or the deadline. @returns HTTP_ASYNC when held, else
 * HTTP_DONE. */
enum http_result held_gets_hold(struct held_gets *g, struct orders *o, struct http_req *r,
                                const char *id, long seconds, long after);
/** Answers the GETs held for id that its pizza just stored satisfies;
 * completed tells whether that pizza completed the order. Costs nothing when
 * no GET is held, and only the completing pizza when no GET waits with after. */
void held_gets_wake(struct held_gets *g, struct orders *o, const char *id, int completed);
/** Answers the GETs whose deadline passed with the order as it is. */
void held_gets_expire(struct held_gets *g, struct orders *o, long long now_ms);
/** Answers every held GET, and every later one at once (shutting down). */
void held_gets_close(struct held_gets *g, struct orders *o);

#endif
