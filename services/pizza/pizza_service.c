/* pizza-service's start and stop: both on the main thread, before the HTTP
 * threads start and after they stopped (the loop itself is pizza_main.c). */
#include "pizza_service.h"

#include "log.h"
#include "watchdog.h"

#include <stdio.h>
#include <string.h>

static void pizza_register_metrics(struct pizza_service *ps) {
    struct pizza_main *pm = &ps->main;
    pm->orders_accepted = metrics_register(METRIC_COUNTER, "pizza_orders_accepted_total",
                                           "Orders durably written to Kafka", NULL);
    pm->orders_failed =
        metrics_register(METRIC_COUNTER, "pizza_orders_rejected_total",
                         "Orders answered 503 because Kafka did not take them", NULL);
    pm->pizzas_done = metrics_register(METRIC_COUNTER, "pizza_pizzas_completed_total",
                                       "Finished pizzas stored with their order", NULL);
    pm->pizzas_dup = metrics_register(METRIC_COUNTER, "pizza_pizzas_duplicate_total",
                                      "Finished pizzas seen again and ignored", NULL);
    pm->pizzas_stray =
        metrics_register(METRIC_COUNTER, "pizza_pizzas_stray_total",
                         "Finished pizzas of orders no longer held (expired or evicted)", NULL);
    pm->expired = metrics_register(METRIC_COUNTER, "pizza_orders_expired_total",
                                   "Complete orders dropped after [orders] retention_s", NULL);
    pm->pending_gauge = metrics_register(METRIC_GAUGE, "pizza_orders", "Orders held, by status",
                                         "status=\"pending\"");
    pm->complete_gauge = metrics_register(METRIC_GAUGE, "pizza_orders", "Orders held, by status",
                                          "status=\"complete\"");
    pm->pending_pizzas_gauge =
        metrics_register(METRIC_GAUGE, "pizza_pending_pizzas",
                         "Pizzas of the pending orders held (every instance's), against "
                         "[orders] max_pending_pizzas",
                         NULL);
    pm->complete_pizzas_gauge = metrics_register(
        METRIC_GAUGE, "pizza_complete_pizzas",
        "Pizzas of the complete orders held, against [orders] max_complete_pizzas", NULL);
    ps->posts_limited = metrics_register(METRIC_COUNTER, "pizza_orders_refused_total",
                                         "POSTs refused before anything was written, by reason",
                                         "reason=\"rate_limit\"");
    ps->posts_busy = metrics_register(METRIC_COUNTER, "pizza_orders_refused_total",
                                      "POSTs refused before anything was written, by reason",
                                      "reason=\"pending_pizzas\"");
    pm->completion_seconds = metrics_histogram(
        "pizza_order_completion_seconds",
        "From an order's creation to its last pizza, timed by the instance that took it", NULL,
        METRICS_LATENCY_BOUNDS, METRICS_LATENCY_BOUNDS_N);
}

static const struct cfg_setting pizza_orders_rows[] = {
    CFG_STR("order_topic", struct pizza_settings, order_topic, "pizza"),
    CFG_STR("completed_topic", struct pizza_settings, done_topic, "pizza-with-veggies"),
    CFG_STR("group_id", struct pizza_settings, group, "pizza-service"),
    CFG_STR("changelog_topic", struct pizza_settings, changelog_topic, "pizza-orders-changelog"),
    CFG_INT("max_count", struct pizza_settings, max_count, 100, 1, PIZZA_ORDERS_MAX_COUNT),
    CFG_INT("max_orders", struct pizza_settings, max_orders, 100000, 1, 100000000),
    CFG_INT("retention_s", struct pizza_settings, retention_s, 3600, 1, 365L * 24 * 3600),
    CFG_INT("send_wait_ms", struct pizza_settings, send_wait_ms, 1000, 0, 60000),
    CFG_INT("commit_timeout_ms", struct pizza_settings, commit_timeout_ms, 5000, 100, 600000),
    CFG_INT("max_batch_messages", struct pizza_settings, max_batch, 10000, 1, 1000000),
    CFG_INT_VARIES("commit_interval_ms", struct pizza_settings, commit_interval_ms, 0, 60000,
                   PIZZA_COMMIT_INTERVAL_DEFAULTS),
    CFG_INT("max_event_bytes", struct pizza_settings, max_event_bytes, 65536, 64, 1 << 20),
    CFG_INT("max_wait_s", struct pizza_settings, max_wait_s, 30, 0, 3600),
    CFG_INT("max_pending_pizzas", struct pizza_settings, max_pending_pizzas, 1000000, 1,
            1000000000),
    CFG_INT("max_complete_pizzas", struct pizza_settings, max_complete_pizzas, 1000000,
            PIZZA_ORDERS_MAX_COUNT, 1000000000),
    CFG_INT("post_rate_per_s", struct pizza_settings, post_rate_per_s, 0, 0, 1000000),
    CFG_INT("post_burst", struct pizza_settings, post_burst, 0, 0, 1000000),
};
const struct cfg_section pizza_orders_section = CFG_SECTION("orders", pizza_orders_rows);

/* The consumer is published once the orders are restored (pizza_main.c), so
 * before that the service is restoring, not waiting for partitions. */
static int pizza_ready(void *arg, char *why, size_t sz) {
    struct pizza_service *ps = arg;
    if (!service_consumer(&ps->svc)) {
        snprintf(why, sz, "restoring orders from %s", ps->set.changelog_topic);
        return 0;
    }
    return service_consumer_ready(&ps->svc, why, sz);
}

static int pizza_open(struct pizza_service *ps) {
    const struct pizza_settings *set = &ps->set;
    /* either 0: no limit */
    if (set->post_rate_per_s > 0 && set->post_burst > 0 &&
        !(ps->post_limit = ratelimit_new((double)set->post_rate_per_s, (double)set->post_burst,
                                         PIZZA_POST_LIMIT_CLIENTS))) {
        log_error("out of memory");
        return -1;
    }
    const struct orders_limits limits = {(size_t)set->max_orders, (size_t)set->max_pending_pizzas,
                                         (size_t)set->max_complete_pizzas};
    if (!(ps->orders = orders_new(&limits))) {
        log_error("out of memory");
        return -1;
    }
    if (web_page_init(&ps->web, NULL) == -1) {
        log_error("out of memory");
        return -1;
    }
    pizza_register_metrics(ps);
    if (pizza_main_open(ps) == -1) return -1;
    ps->svc.ready = pizza_ready;
    ps->svc.ready_arg = ps;
    return order_http_start(ps);
}

int pizza_init(struct pizza_service *ps, int argc, char **argv) {
    memset(ps, 0, sizeof(*ps));
    ps->set.commit_interval_ms = PIZZA_COMMIT_INTERVAL_DEFAULT; /* the guarantee's */
    ps->main.thread = pthread_self(); /* whatever runs pizza_init owns Kafka */
    order_desk_init(&ps->desk);
    const struct service_def def = {"pizza-service", "config/pizza.ini", 5000,
                                    &pizza_orders_section, &ps->set};
    int rc = service_init(&ps->svc, &def, argc, argv);
    if (rc != 0) return rc;
    return pizza_open(ps) == 0 ? 0 : -1;
}

/* Order matters: no new POSTs, every queued POST committed and answered, HTTP
 * closed (its handlers read what follows), then the group left (the revoke
 * hook commits), then Kafka closed. Nothing here waits on a clock of its
 * own: the watchdog ([service] shutdown_timeout_s) bounds the whole. */
int pizza_shutdown(struct pizza_service *ps, int init_rc) {
    int rc = init_rc == 1 ? 0 : init_rc == -1 ? 2 : service_exit_code();
    PIZZA_MAIN_THREAD_ONLY(ps);
    if (ps->svc.http) http_quiesce(ps->svc.http);
    watchdog_step("answering waiting requests");
    held_gets_close(&ps->desk.gets, ps->orders); /* before HTTP stops: it needs every reply */
    /* a POST is in the queue by now, or will be refused */
    order_desk_close(&ps->desk);
    watchdog_step("committing the queued orders");
    pizza_main_drain(ps);
    service_stop_http(&ps->svc);
    pizza_main_close(ps);
    service_shutdown(&ps->svc);
    orders_free(ps->orders);
    ratelimit_free(ps->post_limit);
    web_page_free(&ps->web);
    order_desk_destroy(&ps->desk);
    if (init_rc == 0) log_info("stopped");
    return rc;
}
