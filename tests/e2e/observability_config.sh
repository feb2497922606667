#!/usr/bin/env bash
# The operators' files under deploy/ hold, without a running Prometheus or Grafana:
# - deploy/prometheus/prometheus.yml is a valid Prometheus config (promtool check
#   config, which also loads its rule files);
# - alerts.yml's rules parse (promtool check rules), and each alert fires on the
#   failure it is for and stays quiet on a healthy pipeline (promtool test rules
#   alerts_test.yml);
# - tests/tools/observability_check.py: the alerts and every Grafana dashboard
#   query only the metric families, labels and label values docs/metrics.md
#   documents (a histogram's _bucket/_sum/_count as its family; `up` as
#   Prometheus's own), each alert has a test that fires it, and the panels use
#   the provisioned datasource;
# - every dashboard query parses as PromQL: the checker writes each one, Grafana's
#   variables replaced, as a recording rule, and promtool check rules reads them.
# Each check is shown to fail on a broken copy, so a checker that passes
# everything fails. (docker-compose.yml's use of these files: compose_config.sh.)
set -euo pipefail
# shellcheck source=SCRIPTDIR/../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
lib_init observability_config

PY=/usr/bin/python3 # Debian's, where python3-yaml is installed
CHECK=$PIZZA_ROOT/tests/tools/observability_check.py
command -v promtool >/dev/null || fail "promtool not found (scripts/deps.sh installs it)"
"$PY" -c 'import yaml' 2>/dev/null || fail "$PY has no yaml module (package python3-yaml)"
lib_log "$(promtool --version 2>&1 | head -n 1)"

# run_check TOOL ROOT OUT: one check on the tree at ROOT (the repository, or a
# copy of its deploy/ and docs/metrics.md), its output in OUT.
run_check() {
    local tool=$1 root=$2 out=$3 prom=$2/deploy/prometheus
    case $tool in
    config) promtool check config "$prom/prometheus.yml" ;;
    rules) promtool check rules "$prom/alerts.yml" ;;
    test) promtool test rules "$prom/alerts_test.yml" ;;
    check) "$PY" "$CHECK" "$root" "$out.rules.yml" ;;
    dashboard) "$PY" "$CHECK" "$root" "$out.rules.yml" && promtool check rules "$out.rules.yml" ;;
    esac >"$out" 2>&1
}

for tool in config rules test dashboard; do
    run_check "$tool" "$PIZZA_ROOT" "$WORK/$tool.out" ||
        fail "$tool: $(cat "$WORK/$tool.out")"
done
lib_log "$(grep '^observability_check:' "$WORK/dashboard.out")"
lib_log "alerts: $(grep -c '^      - alert:' "$PIZZA_ROOT/deploy/prometheus/alerts.yml") rules," \
    "$(grep -c 'alertname:' "$PIZZA_ROOT/deploy/prometheus/alerts_test.yml") unit test cases pass"

# expect_problem TOOL WHAT FILE SED_EXPR PATTERN: TOOL must reject a copy whose
# FILE (under the repository root) is broken by SED_EXPR, with output matching
# PATTERN.
n=0
expect_problem() {
    local tool=$1 what=$2 file=$3 expr=$4 pattern=$5 copy=$WORK/copy$n
    n=$((n + 1))
    mkdir -p "$copy/docs"
    cp -r "$PIZZA_ROOT/deploy" "$copy/"
    cp "$PIZZA_ROOT/docs/metrics.md" "$copy/docs/"
    sed -i -e "$expr" "$copy/$file"
    cmp -s "$copy/$file" "$PIZZA_ROOT/$file" && fail "mutation '$what' changed nothing: update the test"
    if run_check "$tool" "$copy" "$copy.out"; then
        fail "$tool accepted $what: $(cat "$copy.out")"
    fi
    grep -q -- "$pattern" "$copy.out" || fail "$tool rejected $what but not for it: $(cat "$copy.out")"
}
dash=deploy/grafana/dashboards/pizza-pipeline.json
alerts=deploy/prometheus/alerts.yml

# The dashboard.
expect_problem check "a panel on an undocumented metric" $dash \
    's#pizza_events_consumed_total#pizza_events_consume_total#' \
    "pizza_events_consume_total: not a family docs/metrics.md documents"
expect_problem check "a panel grouping by an undocumented label" $dash \
    's#sum by (job, topic) (pizza_consumer_lag#sum by (job, topik) (pizza_consumer_lag#' \
    "by/on (topik): no family this expression queries has that label"
expect_problem check "a panel matching an undocumented label" $dash \
    's#pizza_batches_total{job#pizza_batches_total{result=\\"aborted\\", job#' \
    "pizza_batches_total{result}: docs/metrics.md gives pizza_batches_total the labels \\['outcome'\\]"
expect_problem check "a panel on a label value that never occurs" $dash \
    's#{route=\\"/order/\*\\", method=\\"POST\\"}#{route=\\"/orders/*\\", method=\\"POST\\"}#' \
    'pizza_http_requests_total{route="/orders/\*"}: docs/metrics.md lists no such value'
expect_problem check "a panel on a gauge's _bucket" $dash \
    's#sum(pizza_consumer_lag{#sum(pizza_consumer_lag_bucket{#' \
    "pizza_consumer_lag_bucket: not a family docs/metrics.md documents"
expect_problem check "a panel with a variable nobody defines" $dash \
    's#\$__rate_interval#$__rate_intervall#' \
    '\$__rate_intervall: neither Grafana'"'"'s nor a variable of the dashboard'
expect_problem check "a panel on another datasource" $dash \
    '0,/"uid": "pizza-prometheus"/s##"uid": "prometheus"#' \
    "datasource 'prometheus' is not the provisioned one"
expect_problem dashboard "a panel whose query is not PromQL" $dash \
    's#sum by (job, topic) (rate(pizza_events_produced_total#sum by (job, topic) rate(pizza_events_produced_total#' \
    "dashboard:panel_9:A"
expect_problem check "a docs/metrics.md whose table moved" docs/metrics.md \
    's#^| `pizza_#| pizza_#' "docs/metrics.md: only 0 families found"

# The alerts.
expect_problem check "an alert on an undocumented metric" $alerts \
    's#pizza_events_dead_lettered_total#pizza_events_deadlettered_total#' \
    "pizza_events_deadlettered_total: not a family docs/metrics.md documents"
expect_problem check "an alert on a job Prometheus does not have" $alerts \
    's#absent(up{job="meat-service"})#absent(up{job="meat-servce"})#' \
    'up{job="meat-servce"}: prometheus.yml has no job meat-servce'
expect_problem check "an alert on a daemon that lacks the metric" $alerts \
    's#rate(pizza_order_completion_seconds_bucket\[#rate(pizza_order_completion_seconds_bucket{job="sauce-service"}[#' \
    "docs/metrics.md says only \\['pizza-service'\\] expose it"
expect_problem check "an alert no unit test fires" $alerts \
    's#alert: PizzaOrdersSlow#alert: PizzaOrdersSluggish#' \
    "PizzaOrdersSluggish: no test in alerts_test.yml shows it firing"
expect_problem rules "an alert that is not PromQL" $alerts \
    's#^          > 0.01$#          > > 0.01#' '"PizzaOrdersRefused": could not parse expression'
expect_problem test "an alert that misses its failure" $alerts \
    's#^          > 0.01$#          > 0.5#' "alertname: PizzaOrdersRefused"
expect_problem test "an alert that fires on a healthy pipeline" $alerts \
    's#(increase(pizza_events_dead_lettered_total\[5m\])) > 0#(increase(pizza_events_dead_lettered_total[5m])) >= 0#' \
    "alertname: PizzaEventsDeadLettered"

# Prometheus's config.
expect_problem config "a DNS discovery of an unknown record type" deploy/prometheus/prometheus.yml \
    '0,/type: A$/s##type: AAAAX#' "AAAAX"
expect_problem config "a rule file that is not there" deploy/prometheus/prometheus.yml \
    's#^  - alerts.yml#  - missing.yml#' "missing.yml"
lib_log "all $n broken copies rejected, each for its fault"

pass
