#!/usr/bin/env bash
# Trace context and long-polling as a client sees them:
# - a POST's W3C traceparent is continued (a new span in the caller's trace),
#   answered in the 201's traceparent header, stored with the order, and
#   carried in the Kafka header "traceparent" through every stage, each stage
#   under a span of its own; without a valid one the order starts a new trace;
# - the pizza-service log lines about the order carry its trace id;
# - GET /order/{id}?wait=N answers at once when complete, at the deadline with
#   the pending order, and as soon as the order completes while it waits.
set -euo pipefail
# shellcheck source=SCRIPTDIR/../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
lib_init trace_and_wait
start_broker
for name in "${LIB_DAEMONS[@]}"; do
    if [[ $name == pizza-service ]]; then LOG_LEVEL=debug lib_launch "$name"; else lib_launch "$name"; fi
done
for name in "${LIB_DAEMONS[@]}"; do lib_await "$name"; done
pizza=http://127.0.0.1:$(port_of pizza-service)

caller_trace=4bf92f3577b34da6a3ce929d0e0e4736
caller_span=00f067aa0ba902b7
traceparent_re='^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$'

# post_order COUNT [curl args...]: sets ORDER_ID and ORDER_TRACEPARENT (from the 201's header).
post_order() {
    local count=$1 code
    shift
    code=$(curl -s -o "$WORK/post_body" -D "$WORK/post_headers" -w '%{http_code}' "$@" \
        -X POST "$pizza/order/$count")
    assert_eq 201 "$code" "POST /order/$count"
    ORDER_ID=$(jq -r .order_id "$WORK/post_body")
    ORDER_TRACEPARENT=$(tr -d '\r' <"$WORK/post_headers" | sed -n 's/^traceparent: //Ip')
    [[ $ORDER_TRACEPARENT =~ $traceparent_re ]] || fail "201 traceparent header '$ORDER_TRACEPARENT'"
}

# --- a caller's trace is continued
post_order 2 -H "traceparent: 00-$caller_trace-$caller_span-01"
traced_id=$ORDER_ID
traced_tp=$ORDER_TRACEPARENT
IFS=- read -r _ trace span flags <<<"$traced_tp"
assert_eq "$caller_trace" "$trace" "trace id of an order posted with a traceparent"
[[ $span != "$caller_span" ]] || fail "the order reused the caller's span id instead of its own"
assert_eq 01 "$flags" "trace flags carried over"

# --- an invalid or missing one starts a new trace
post_order 1 -H "traceparent: 00-${caller_trace^^}-$caller_span-01"
[[ $ORDER_TRACEPARENT != *"$caller_trace"* ]] || fail "an upper-case (invalid) traceparent was continued"
post_order 1
untraced_tp=$ORDER_TRACEPARENT
[[ ${untraced_tp:3:32} != "$caller_trace" ]] || fail "an order without traceparent joined another trace"

# --- ?wait answers as soon as the order is complete, with its stored context
assert_http 200 GET "$pizza/order/$traced_id?wait=20"
assert_eq complete "$(jq -r .status <<<"$BODY")" "status after ?wait=20"
assert_eq 2 "$(jq '.pizzas | length' <<<"$BODY")" "pizzas after ?wait=20"
assert_eq "$traced_tp" "$(jq -r .traceparent <<<"$BODY")" "traceparent stored with the order"

# --- every topic's events of the order carry its trace, each hop its own span
spans=()
for topic in pizza pizza-with-sauce pizza-with-cheese pizza-with-meats pizza-with-veggies; do
    headers=$(timeout 20 kcat -b "$KAFKA_BOOTSTRAP_SERVERS" -C -t "$topic" -o beginning -e -q \
        -f '%k %h\n' | awk -v id="$traced_id" '$1 == id { print $2 }')
    assert_eq 2 "$(grep -c . <<<"$headers")" "events of the order on $topic"
    while read -r h; do
        tp=$(tr ',' '\n' <<<"$h" | sed -n 's/^traceparent=//p')
        [[ $tp =~ $traceparent_re ]] || fail "$topic: event headers '$h' carry no valid traceparent"
        assert_eq "$caller_trace" "${tp:3:32}" "trace id on $topic"
        spans+=("${tp:36:16}")
    done <<<"$headers"
done
# pizza-service sends both pizzas under the order's span; each stage makes one span per event
assert_eq "${traced_tp:36:16}" "${spans[0]}" "span of the pizza events: the order's own"
assert_eq 9 "$(printf '%s\n' "${spans[@]}" | sort -u | wc -l)" \
    "distinct spans over 5 topics x 2 pizzas (the order's + 8 stage spans)"

# --- the pizza-service log carries the trace id of the order's lines
completed_line=$(jq -c --arg t "$caller_trace" --arg id "$traced_id" \
    'select(.trace_id == $t and .msg == ("order " + $id + " complete"))' \
    "$WORK/pizza-service.log" 2>/dev/null | head -n 1)
[[ -n $completed_line ]] || fail "no 'order $traced_id complete' log line with trace_id $caller_trace"

# --- a wait runs to its deadline while the order cannot complete
stop_daemon sauce-service
post_order 1
held_id=$ORDER_ID
start=$(lib_now_ms)
assert_http 200 GET "$pizza/order/$held_id?wait=2"
elapsed=$(($(lib_now_ms) - start))
assert_eq pending "$(jq -r .status <<<"$BODY")" "status after a wait that timed out"
((elapsed >= 1900 && elapsed < 4000)) || fail "?wait=2 answered after $elapsed ms"

# --- and answers as soon as the order completes, with many waiting at once
waiters=()
for i in 1 2 3 4 5 6 7 8; do
    curl -s -o "$WORK/wait_$i" -w '%{http_code}' --max-time 40 "$pizza/order/$held_id?wait=30" \
        >"$WORK/wait_code_$i" &
    track_pid $!
    waiters+=($!)
done
sleep 0.5
start=$(lib_now_ms)
restart_daemon sauce-service
wait "${waiters[@]}"
elapsed=$(($(lib_now_ms) - start))
((elapsed < 20000)) || fail "held GETs answered $elapsed ms after the pipeline resumed"
for i in 1 2 3 4 5 6 7 8; do
    assert_eq 200 "$(cat "$WORK/wait_code_$i")" "held GET $i"
    assert_eq complete "$(jq -r .status "$WORK/wait_$i")" "held GET $i status"
done

# --- a plain GET and ?wait=0 answer at once; bad waits are refused
assert_http 200 GET "$pizza/order/$held_id?wait=0"
assert_http 404 GET "$pizza/order/00000000-0000-4000-8000-000000000000?wait=5"
for bad in abc -1 1.5 31 007 "" 99999999999999999999; do
    assert_http 400 GET "$pizza/order/$held_id?wait=$bad"
    [[ $(jq -r .error <<<"$BODY") == "wait must be a whole number of seconds from 0 to 30" ]] ||
        fail "?wait=$bad: error '$BODY'"
done
pass
