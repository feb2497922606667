#!/usr/bin/env bash
# Broker faults: with every broker down the daemons stay up, /ready says not
# ready and POST answers 503 with a JSON error and Retry-After; when the
# brokers return everything resumes by itself and no order is lost or doubled.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
lib_init broker_faults
start_pipeline --brokers 3 --replication 3
pizza="http://127.0.0.1:$(port_of pizza-service)"

wait_complete() { # ID COUNT
    curl -sf "$pizza/order/$1" |
        jq -e --argjson n "$2" '.status == "complete" and (.pizzas | length) == $n and
            ([.pizzas[].id] | unique | length) == $n' >/dev/null
}
all_ready() {
    local name
    for name in "${LIB_DAEMONS[@]}"; do
        curl -sf -o /dev/null "http://127.0.0.1:$(port_of "$name")/ready" || return 1
    done
}
none_ready() {
    local name
    for name in "${LIB_DAEMONS[@]}"; do
        [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$(port_of "$name")/ready") == 503 ]] ||
            return 1
    done
}

wait_until 30 all_ready
assert_http 201 POST "$pizza/order/2"
before=$(jq -r .order_id <<<"$BODY")
wait_until 15 wait_complete "$before" 2

# One broker of three down and up again: work goes on afterwards.
assert_eq ok "$(broker_cmd broker down 2)" "broker 2 down"
sleep 3
assert_eq ok "$(broker_cmd broker up 2)" "broker 2 up"

# The whole cluster down.
for b in 1 2 3; do assert_eq ok "$(broker_cmd broker down "$b")" "broker $b down"; done
wait_until 20 none_ready
assert_http 503 POST "$pizza/order/1"
jq -e '.error | length > 0' <<<"$BODY" >/dev/null || fail "503 without a JSON error: $BODY"
retry_after=$(curl -s -D - -o /dev/null -X POST "$pizza/order/1" | tr -d '\r' |
    sed -n 's/^Retry-After: //Ip')
[[ $retry_after =~ ^[0-9]+$ ]] || fail "503 without Retry-After (got '$retry_after')"
for name in "${LIB_DAEMONS[@]}"; do
    assert_http 200 GET "http://127.0.0.1:$(port_of "$name")/health"
done
# SIGTERM in an outage: nothing can be committed, yet a daemon exits 0 in 10 s.
for name in meat-service pizza-service; do
    t0=$(lib_now_ms) rc=0
    stop_daemon "$name" || rc=$?
    assert_eq 0 "$rc" "exit code of $name after SIGTERM in an outage"
    (($(lib_now_ms) - t0 < 10000)) || fail "$name took $(($(lib_now_ms) - t0)) ms to stop"
done

# Back up: nothing to do but wait.
for b in 1 2 3; do assert_eq ok "$(broker_cmd broker up "$b")" "broker $b up"; done
restart_daemon meat-service
restart_daemon pizza-service
wait_until 60 all_ready
ids=()
for n in 1 2 3; do
    post_ok() { [[ $(curl -s -o "$WORK/post" -w '%{http_code}' -X POST "$pizza/order/$n") == 201 ]]; }
    wait_until 30 post_ok
    ids+=("$(jq -r .order_id "$WORK/post"):$n")
done
for entry in "${ids[@]}" "$before:2"; do
    wait_until 60 wait_complete "${entry%:*}" "${entry#*:}"
done

# Nothing doubled on the way: every pizza id once per topic (read_committed).
for topic in pizza pizza-with-sauce pizza-with-cheese pizza-with-meats pizza-with-veggies; do
    dups=$(kcat -b "$KAFKA_BOOTSTRAP_SERVERS" -X isolation.level=read_committed -C -t "$topic" \
        -e -q -o beginning -f '%s\n' | jq -r .id | sort | uniq -d | head -n 3)
    [[ -z $dups ]] || fail "duplicate pizzas on $topic: $dups"
done
pass
