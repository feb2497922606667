#!/usr/bin/env bash
# /metrics on all six daemons: valid exposition text, every family that
# docs/metrics.md lists for a daemon is there, and orders move the counters,
# histograms and lag gauges by what they must.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
lib_init metrics
export KAFKA_STATISTICS_INTERVAL_MS=1000 # lag updates within a second
start_pipeline

exactly_once=1
[[ ${PROCESSING_GUARANTEE:-} == at_least_once ]] && exactly_once=0

declare -A input=([pizza-service]=pizza-with-veggies [sauce-service]=pizza
    [cheese-service]=pizza-with-sauce [meat-service]=pizza-with-cheese
    [veggie-service]=pizza-with-meats [cheese-reporter]=pizza-with-cheese)
declare -A output=([pizza-service]=pizza [sauce-service]=pizza-with-sauce
    [cheese-service]=pizza-with-cheese [meat-service]=pizza-with-meats
    [veggie-service]=pizza-with-veggies)
stages=(sauce-service cheese-service meat-service veggie-service)
pizza=http://127.0.0.1:$(port_of pizza-service)

# scrape NAME FILE: saves NAME's /metrics in FILE and checks it is exposition
# text: comments are HELP/TYPE, every other line `name{label="v",...} value`.
scrape() {
    curl -sf --max-time 5 "http://127.0.0.1:$(port_of "$1")/metrics" >"$2" ||
        fail "GET /metrics of $1 failed"
    local label='[a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*"'
    local sample="^[a-zA-Z_:][a-zA-Z0-9_:]*(\{$label(,$label)*\})? (-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?|[-+]Inf|NaN)\$"
    local bad
    bad=$(grep -Ev "$sample|^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .+\$" "$2" | head -3) || true
    [[ -z $bad ]] || fail "$1: /metrics lines that are not exposition text: $bad"
    [[ -s $2 ]] || fail "$1: empty /metrics"
}

# value FILE SERIES: the sample's value (0 when the series is absent).
value() {
    awk -v s="$2" '$1 == s { print $2; found = 1 } END { if (!found) print 0 }' "$1"
}

# delta NAME SERIES: how much SERIES moved between $WORK/NAME.before and .after.
delta() {
    local a b
    a=$(value "$WORK/$1.after" "$2")
    b=$(value "$WORK/$1.before" "$2")
    echo $((${a%.*} - ${b%.*}))
}

assert_delta() { # NAME SERIES OP N: the move of SERIES compares to N (-eq, -ge)
    local d
    d=$(delta "$1" "$2")
    # shellcheck disable=SC2086
    [ "$d" $3 "$4" ] || fail "$1: $2 moved by $d, expected $3 $4"
}

# The documented families, and which daemons expose them.
declare -A doc_daemons=()
while IFS='|' read -r _ name _ _ daemons _; do
    name=$(tr -d ' `' <<<"$name")
    daemons=$(tr -d ' ' <<<"$daemons")
    doc_daemons[$name]=$daemons
done < <(grep -E '^\| `pizza_[a-z0-9_]+` \|' "$PIZZA_ROOT/docs/metrics.md")
((${#doc_daemons[@]} >= 20)) || fail "docs/metrics.md: only ${#doc_daemons[@]} families found"

exposes() { # FAMILY DAEMON: docs/metrics.md says DAEMON exposes FAMILY
    local who=${doc_daemons[$1]}
    case $who in
    all) return 0 ;;
    stages) [[ " ${stages[*]} " == *" $2 "* ]] ;;
    *) [[ ,$who, == *",$2,"* ]] ;;
    esac
}

has_family() { # FILE FAMILY
    grep -q "^# TYPE $2 " "$1"
}

# Lag appears with the first statistics after the partitions were assigned.
lag_present() { # NAME
    scrape "$1" "$WORK/$1.lag"
    grep -q "^pizza_consumer_lag{" "$WORK/$1.lag"
}
for name in "${LIB_DAEMONS[@]}"; do
    wait_until 15 lag_present "$name"
done

for name in "${LIB_DAEMONS[@]}"; do
    scrape "$name" "$WORK/$name.before"
    for family in "${!doc_daemons[@]}"; do
        exposes "$family" "$name" || continue
        [[ $family == pizza_transactions_total && $exactly_once == 0 ]] && continue
        has_family "$WORK/$name.before" "$family" || fail "$name: family $family missing"
    done
done

# Answers of every kind, each counted once under its route pattern.
assert_http 404 GET "$pizza/no/such/path"
assert_http 405 DELETE "$pizza/order/1"
head -c 8192 /dev/zero | tr '\0' x >"$WORK/big"
assert_http 413 POST "$pizza/order/1" --data-binary "@$WORK/big"

counts=(2 3 1)
pizzas=6
ids=()
for n in "${counts[@]}"; do
    assert_http 201 POST "$pizza/order/$n"
    ids+=("$(jq -r .order_id <<<"$BODY")")
done
complete() { # ID
    curl -sf "$pizza/order/$1" | jq -e '.status == "complete"' >/dev/null
}
for id in "${ids[@]}"; do
    wait_until 20 complete "$id"
done

# Every input partition of every daemon back to lag 0 (all committed), one
# series per partition of the input topic.
partitions_of() { # TOPIC
    kcat -b "$KAFKA_BOOTSTRAP_SERVERS" -L -J -t "$1" | jq '.topics[0].partitions | length'
}
drained() { # NAME TOPIC N
    scrape "$1" "$WORK/$1.lag"
    local series
    series=$(grep -c "^pizza_consumer_lag{topic=\"$2\",partition=\"[0-9]*\"} 0\$" "$WORK/$1.lag") || true
    [[ $series == "$3" ]] || {
        grep '^pizza_consumer_lag' "$WORK/$1.lag"
        return 1
    }
}
for name in "${LIB_DAEMONS[@]}"; do
    topic=${input[$name]}
    n=$(partitions_of "$topic")
    ((n >= 1)) || fail "no partitions for $topic"
    wait_until 20 drained "$name" "$topic" "$n"
done
# The order gauges are refreshed by pizza-service's housekeeping, not live.
orders_counted() {
    scrape pizza-service "$WORK/pizza-service.orders"
    local now was
    now=$(value "$WORK/pizza-service.orders" 'pizza_orders{status="complete"}')
    was=$(value "$WORK/pizza-service.before" 'pizza_orders{status="complete"}')
    ((now - was >= ${#counts[@]}))
}
wait_until 20 orders_counted
for name in "${LIB_DAEMONS[@]}"; do
    scrape "$name" "$WORK/$name.after"
done

# HTTP, by route pattern, method and code
route() { echo "pizza_http_requests_total{route=\"$1\",method=\"$2\",code=\"$3\"}"; }
assert_delta pizza-service "$(route /order/\* POST 201)" -eq ${#counts[@]}
assert_delta pizza-service "$(route /order/\* GET 200)" -ge ${#counts[@]}
assert_delta pizza-service "$(route unmatched GET 404)" -eq 1
assert_delta pizza-service "$(route /order/\* DELETE 405)" -eq 1
assert_delta pizza-service "$(route /order/\* POST 413)" -eq 1
for name in "${LIB_DAEMONS[@]}"; do
    assert_delta "$name" "$(route /metrics GET 200)" -ge 1
    ! grep -q 'route="/no' "$WORK/$name.after" || fail "$name: a raw path became a label"
done

# Events in and out, per topic; one latency observation per input event
exact=-ge
((exactly_once)) && exact=-eq
series() { echo "$1{topic=\"$2\"}"; }
for name in "${LIB_DAEMONS[@]}"; do
    in=${input[$name]}
    assert_delta "$name" "$(series pizza_events_consumed_total "$in")" -ge $pizzas
    assert_delta "$name" "$(series pizza_event_processing_seconds_count "$in")" $exact $pizzas
    assert_delta "$name" 'pizza_batches_total{outcome="committed"}' -ge 1
    if ((exactly_once)); then
        assert_delta "$name" 'pizza_transactions_total{result="committed"}' -ge 1
    fi
    [[ -n ${output[$name]:-} ]] &&
        assert_delta "$name" "$(series pizza_events_produced_total "${output[$name]}")" $exact $pizzas
    # a histogram's +Inf bucket is its count
    f=$WORK/$name.after
    assert_eq "$(value "$f" "pizza_event_processing_seconds_count{topic=\"$in\"}")" \
        "$(value "$f" "pizza_event_processing_seconds_bucket{topic=\"$in\",le=\"+Inf\"}")" \
        "$name: +Inf bucket vs count"
done
assert_delta pizza-service "$(series pizza_events_produced_total pizza-orders-changelog)" -ge $pizzas
assert_delta pizza-service "$(series pizza_events_consumed_total pizza-orders-changelog)" -ge $pizzas
assert_delta cheese-reporter "$(series pizza_events_produced_total cheese-report-changelog)" -ge 1
assert_delta cheese-reporter "$(series pizza_events_consumed_total cheese-report-changelog)" -ge 1
assert_delta pizza-service 'pizza_orders{status="complete"}' -eq ${#counts[@]}
assert_delta pizza-service pizza_order_completion_seconds_count -eq ${#counts[@]}
for name in "${LIB_DAEMONS[@]}"; do
    assert_delta "$name" "$(series pizza_events_dead_lettered_total "${input[$name]}")" -eq 0
done
pass
