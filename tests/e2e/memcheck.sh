#!/usr/bin/env bash
# All six daemons under valgrind memcheck (the dev broker runs natively) through
# a realistic workload: orders of 1-5 pizzas, one traced, long polls (answered
# on completion, at the deadline and at shutdown), bad requests (4xx), poison
# events dead-lettered on every topic; then meat-service stops with SIGTERM
# while orders wait for it, pizza-service and cheese-reporter restart
# (SIGTERM, start: shutdown, group leave and changelog restore, pending orders
# too), and meat-service comes back (rebalance) and completes them. Every order
# is then complete with exactly its pizzas, the cheese report equals the truth,
# and every daemon run, stopped with SIGTERM, exited 0: valgrind found no error
# and no definite leak (--error-exitcode), as each run's valgrind log confirms
# in its summaries. False positives of the libraries we link would be
# suppressed in tests/valgrind.supp, never anything of common/ or services/.
# shellcheck disable=SC2317 # functions that only wait_until calls
set -euo pipefail
# shellcheck source=SCRIPTDIR/../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
lib_init memcheck
command -v valgrind >/dev/null || fail "valgrind not found (scripts/deps.sh installs it)"

# One log per daemon run: valgrind is exec'd in the daemon's place, so %p is
# the pid lib.sh records, and vg_check finds the run's log by it. Not *.log:
# those are the daemons' own logs, where lib.sh fails a test on any '==pid=='
# line. No --track-origins: it doubles the CPU of starting six daemons on two
# cores and changes no verdict; to find where an uninitialised value came from,
# MEMCHECK_ARGS=--track-origins=yes.
PIZZA_WRAPPER="valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite
    --errors-for-leak-kinds=definite --error-exitcode=99 --num-callers=30
    --suppressions=$PIZZA_ROOT/tests/valgrind.supp --log-file=$WORK/valgrind.%p.out
    ${MEMCHECK_ARGS:-}"
PIZZA_WRAPPER=${PIZZA_WRAPPER//$'\n'/ }
export PIZZA_WRAPPER
# Daemons run 20-50x slower: lib.sh's waits for a start, /ready and a stop are
# 4x longer, and group members heartbeat every second instead of every 3 s, so
# a slow scheduler is unlikely to let the configs' 6 s session lapse. (A longer
# session would slow each restart by as much: the dev broker admits the
# restarted member only once the old member's session has expired.)
export LIB_WAIT_SCALE=4 KAFKA_HEARTBEAT_INTERVAL_MS=1000

start_pipeline
pizza=http://127.0.0.1:$(port_of pizza-service)
report=http://127.0.0.1:$(port_of cheese-reporter)/report
lib_log "pipeline ready under valgrind"

# vg_check NAME PID: the valgrind log of that run holds clean summaries.
vg_check() {
    local log=$WORK/valgrind.$2.out
    [[ -f $log ]] || fail "$1: no valgrind log $log"
    grep -q 'ERROR SUMMARY: 0 errors' "$log" ||
        fail "$1: valgrind found errors: $(grep 'ERROR SUMMARY' "$log")"
    # the leak check ran to its end: a summary, or nothing left to lose
    grep -qE 'LEAK SUMMARY|All heap blocks were freed' "$log" || fail "$1: valgrind log has no leak summary"
    if grep -E 'definitely lost: [1-9]' "$log" >/dev/null; then
        fail "$1: definite leaks: $(grep 'definitely lost:' "$log")"
    fi
    mv "$log" "$WORK/valgrind-$1.$2.out"
}

# stop_checked NAME...: SIGTERM to each at once, then each must exit 0 within
# 40 s (shutdown and the leak check under valgrind) with a clean valgrind log.
stop_checked() {
    local name pid rc deadline
    declare -A pids=()
    for name in "$@"; do
        pids[$name]=$(pid_of "$name")
        kill -TERM "${pids[$name]}" || fail "$name (pid ${pids[$name]}) is gone"
    done
    deadline=$(($(lib_now_ms) + 10000 * LIB_WAIT_SCALE))
    for name in "$@"; do
        pid=${pids[$name]}
        while lib_alive "$pid" && (($(lib_now_ms) < deadline)); do sleep 0.1; done
        lib_alive "$pid" && fail "$name (pid $pid) still running $((10 * LIB_WAIT_SCALE)) s after SIGTERM"
        rc=0
        wait "$pid" || rc=$?
        unset "LIB_PIDS[$name]" "LIB_PORTS[$name]"
        assert_eq 0 "$rc" "exit code of $name under valgrind (99: memcheck errors or definite leaks)"
        vg_check "$name" "$pid"
        lib_log "$name stopped"
    done
}

# post COUNT [curl args...]: an order; its id is appended to ids, count to counts.
ids=()
declare -A counts=()
post() {
    local n=$1
    shift
    assert_http 201 POST "$pizza/order/$n" "$@"
    ids+=("$(jq -r .order_id <<<"$BODY")")
    counts[${ids[-1]}]=$n
}
complete() { # ID: complete, with exactly its count of distinct pizzas
    curl -sf "$pizza/order/$1" | jq -e --argjson n "${counts[$1]}" \
        '.status == "complete" and .count == $n and (.pizzas | length) == $n
         and ([.pizzas[].id] | unique | length) == $n' >/dev/null
}

# --- orders, one of them traced, and a long poll that the pipeline answers
post 1
post 3 -H 'traceparent: 00-4bf92f3577b34da6a50d0e0e36ebd3c1-00f067aa0ba902b7-01'
post 5
assert_http 200 GET "$pizza/order/${ids[2]}?wait=30" --max-time 40
assert_eq complete "$(jq -r .status <<<"$BODY")" "status after a long poll"
assert_eq 5 "$(jq '.pizzas | length' <<<"$BODY")" "pizzas after a long poll"

lib_log "bad requests"
# --- bad requests: each a 4xx, never a crash
for count in abc 0 -1 101 1.5 "%2B3"; do
    assert_http 400 POST "$pizza/order/$count"
done
assert_http 404 GET "$pizza/order/00000000-0000-4000-8000-000000000000"
assert_http 404 GET "$pizza/order/00000000-0000-4000-8000-000000000000?wait=1"
assert_http 400 GET "$pizza/order/bad%20id"
assert_http 400 GET "$pizza/order/${ids[0]}?wait=abc"
assert_http 404 GET "$pizza/nope"
assert_http 405 DELETE "$pizza/order/1"
assert_http 405 POST "$report"
head -c 100000 /dev/zero | tr '\0' x >"$WORK/big"
assert_http 413 POST "$pizza/order/1" --data-binary "@$WORK/big"
assert_http 413 POST "$pizza/order/1" --data-binary "@$WORK/big" -H "Transfer-Encoding: chunked"

lib_log "poison on every topic"
# --- poison on every topic: each reader dead-letters it and goes on
topics=(pizza pizza-with-sauce pizza-with-cheese pizza-with-meats pizza-with-veggies)
for topic in "${topics[@]}"; do
    printf '%s\n' 'bad-1|not json' 'bad-2|{"order_id":"x"}' |
        kcat -b "$KAFKA_BOOTSTRAP_SERVERS" -P -t "$topic" -K '|'
done
declare -A readers=([pizza]=sauce-service [pizza-with-sauce]=cheese-service
    [pizza-with-cheese]="cheese-reporter meat-service" [pizza-with-meats]=veggie-service
    [pizza-with-veggies]=pizza-service)
dead_lettered() { # NAME TOPIC: NAME dead-lettered both poison events of TOPIC
    curl -sf "http://127.0.0.1:$(port_of "$1")/metrics" |
        grep -qx "pizza_events_dead_lettered_total{topic=\"$2\"} 2"
}
for topic in "${topics[@]}"; do
    for reader in ${readers[$topic]}; do
        wait_until 60 dead_lettered "$reader" "$topic"
    done
done

# the pizzas of every order (each complete with exactly its count) and the
# report they make: $truth
pizzas_and_truth() {
    local id total=0
    : >"$WORK/pizzas.jsonl"
    for id in "${ids[@]}"; do
        wait_until 60 complete "$id"
        assert_http 200 GET "$pizza/order/$id"
        jq -c '.pizzas[]' <<<"$BODY" >>"$WORK/pizzas.jsonl"
        total=$((total + counts[$id]))
    done
    assert_eq "$total" "$(jq -s '[.[].id] | unique | length' "$WORK/pizzas.jsonl")" \
        "distinct pizzas of all ${#ids[@]} orders"
    truth=$(jq -s -c -S 'group_by(.cheese) | map({(.[0].cheese): length}) | add' "$WORK/pizzas.jsonl")
}
report_is() { [[ $(curl -sf "$report" | jq -c -S .) == "$1" ]]; }
pizzas_and_truth
wait_until 60 report_is "$truth"

# hold ID: a long poll of order ID in the background (?wait=30), answer in
# $WORK/held.{code,body,ms}; held_answer waits for it. Not handed to
# track_pid: it ends by itself (--max-time) and is reaped here.
hold() {
    local t0
    t0=$(lib_now_ms)
    (
        curl -s -o "$WORK/held.body" -w '%{http_code}' --max-time 40 "$pizza/order/$1?wait=30" \
            >"$WORK/held.code" || true
        echo $(($(lib_now_ms) - t0)) >"$WORK/held.ms"
    ) </dev/null >/dev/null 2>&1 &
    held_pid=$!
}
held_answer() {
    wait "$held_pid" || true
    assert_eq 200 "$(cat "$WORK/held.code")" "status of the long poll"
    held_ms=$(cat "$WORK/held.ms")
    held_status=$(jq -r .status "$WORK/held.body")
}
connections_at_least() { # N: pizza-service holds N HTTP connections (this one included)
    curl -sf "$pizza/metrics" | awk -v n="$1" '$1 == "pizza_http_connections" { f = $2 >= n } END { exit !f }'
}

lib_log "a stage stops; orders wait for it"
# --- meat-service stops (SIGTERM): new orders wait before it
stop_checked meat-service
post 2
post 4
stuck=${ids[-1]}
# a long poll that reaches its deadline
start=$(lib_now_ms)
assert_http 200 GET "$pizza/order/$stuck?wait=1"
assert_eq pending "$(jq -r .status <<<"$BODY")" "status of a stuck order after ?wait=1"
(($(lib_now_ms) - start >= 900)) || fail "?wait=1 on a pending order answered before its deadline"

lib_log "pizza-service and cheese-reporter restart"
# --- one held when pizza-service stops: shutdown answers it with what it has
hold "$stuck"
wait_until 20 connections_at_least 2
sleep 0.5 # let libmicrohttpd read the request of the connection it accepted
stop_checked pizza-service cheese-reporter
held_answer
assert_eq pending "$held_status" "long poll answered at shutdown"
((held_ms < 25000)) || fail "a long poll was answered at its deadline ($held_ms ms), not at shutdown"
# both restore their state from their changelogs, pending orders too
restart_daemon pizza-service listening
restart_daemon cheese-reporter listening
lib_await_ready pizza-service
lib_await_ready cheese-reporter
for id in "${ids[@]}"; do
    assert_http 200 GET "$pizza/order/$id"
    assert_eq "${counts[$id]}" "$(jq .count <<<"$BODY")" "count of $id after the restart"
done
assert_eq pending "$(jq -r .status <<<"$BODY")" "status of a stuck order after the restart"

lib_log "meat-service restarts"
# --- one held while the stage restarts: the stage's work completes it
hold "$stuck"
restart_daemon meat-service
held_answer
if [[ $held_status == complete ]]; then
    assert_eq 4 "$(jq '.pizzas | length' "$WORK/held.body")" "pizzas in the long poll's answer"
else # slower than the 30 s wait: then answered at its deadline
    ((held_ms >= 29000)) || fail "a long poll answered '$held_status' after $held_ms ms"
fi
post 2
post 1

lib_log "every order complete"
# --- every order complete with exactly its pizzas; the restored report is the truth
pizzas_and_truth
wait_until 60 report_is "$truth"
for name in "${LIB_DAEMONS[@]}"; do
    assert_http 200 GET "http://127.0.0.1:$(port_of "$name")/metrics"
done

lib_log "every daemon stops"
# --- every daemon stops cleanly: exit 0 under valgrind, clean summaries
stop_checked "${LIB_DAEMONS[@]}"
pass
