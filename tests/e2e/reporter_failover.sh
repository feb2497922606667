#!/usr/bin/env bash
# Two cheese-reporter instances share the group; one is kill -9'ed while its
# transaction (snapshots plus the group's offsets) is open. Until Kafka aborts
# that transaction (its transaction.timeout.ms, 30 s here, plus up to 10 s
# until the coordinator looks), the group's offsets of the dead instance's
# partitions are unstable (UNSTABLE_OFFSET_COMMIT). The survivor must wait
# them out (not ready, saying why) rather than give up and exit, then take
# those partitions over: the report ends up exactly the cheeses ordered.
# The dev broker has no unstable offsets (a dead transaction stays invisible),
# so there the survivor simply takes over after a kill -9 under load.
set -euo pipefail
# shellcheck source=SCRIPTDIR/../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
lib_init reporter_failover

topic=pizza-with-cheese
start_broker
for t in cheese-report-changelog pizza-with-cheese.dlq; do
    if ! kcat -L -b "$KAFKA_BOOTSTRAP_SERVERS" -t "$t" -J 2>/dev/null |
        jq -e '.topics[0].partitions | length > 0' >/dev/null; then
        assert_eq ok "$(broker_cmd topic "$t" 6)" "creating topic $t"
    fi
done
# One transactional.id per instance; a short transaction.timeout.ms (Kafka's
# default cap is 15 min) keeps the unstable window at 30-40 s, well past the
# 10 s after which the reporter used to give up.
for n in 1 2; do
    {
        cat "$PIZZA_ROOT/config/cheese-reporter.ini"
        printf '\n[kafka.producer]\ntransactional.id = cheese-reporter-%s\n' "$n"
        printf 'transaction.timeout.ms = 30000\n'
    } >"$WORK/reporter-$n.ini"
done
stages=(pizza-service sauce-service cheese-service meat-service veggie-service)
for name in "${stages[@]}"; do lib_launch "$name"; done
lib_launch cheese-reporter -c "$WORK/reporter-1.ini"
lib_launch cheese-reporter@2 -c "$WORK/reporter-2.ini"
for name in "${stages[@]}" cheese-reporter cheese-reporter@2; do lib_await "$name"; done
pizza=http://127.0.0.1:$(port_of pizza-service)
survivor=http://127.0.0.1:$(port_of cheese-reporter@2)
partitions=$(kcat -L -b "$KAFKA_BOOTSTRAP_SERVERS" -t "$topic" -J | jq '.topics[0].partitions | length')

# Orders keep flowing, so the reporters commit a transaction after another.
: >"$WORK/orders"
(
    while [[ ! -e $WORK/stop_orders ]]; do
        curl -sf --max-time 5 -X POST "$pizza/order/$((RANDOM % 5 + 1))" |
            jq -r .order_id >>"$WORK/orders" || true
        sleep 0.02
    done
) &
orders_pid=$!
track_pid "$orders_pid"
wait_until 20 test -s "$WORK/orders"

# unstable_partitions: how many partitions have a committed offset that an
# open transaction is committing: a read_committed client (librdkafka retries
# UNSTABLE_OFFSET_COMMIT) cannot read it within 2 s.
unstable_partitions() {
    local p pids=()
    for ((p = 0; p < partitions; p++)); do
        TXN_PROBE_TIMEOUT_MS=2000 "$PIZZA_BIN/txn_probe" committed cheese-reporter "$topic" "$p" \
            >/dev/null 2>"$WORK/probe.$p" &
        pids+=($!)
    done
    wait "${pids[@]}" || true
    grep -lE 'Unstable offset commit|Timed out' "$WORK"/probe.* 2>/dev/null | wc -l
}

victim=$(pid_of cheese-reporter)
if [[ $LIB_BROKER_KIND == kafka ]]; then
    # Freeze the first instance at random moments until it is caught between
    # sending the group's offsets in its transaction and ending it.
    caught=0
    for ((try = 1; try <= 150 && !caught; try++)); do
        kill -STOP "$victim"
        if (($(unstable_partitions) > 0)); then
            caught=1
        else
            kill -CONT "$victim"
            sleep "0.0$((RANDOM % 10))"
        fi
    done
    ((caught)) || fail "never caught cheese-reporter with its offsets in an open transaction"
    lib_log "caught an open transaction after $((try - 1)) tries"
fi
kill9_daemon cheese-reporter
killed_ms=$(lib_now_ms)
# Notes (saw_wait) when the survivor's /ready says it waits for the group's
# committed offsets, from the kill on: the wait may be over before the orders
# below are all complete (it was, on a loaded machine, and went unseen).
(
    while [[ ! -e $WORK/settled ]]; do
        curl -s --max-time 2 "$survivor/ready" | jq -e '.reason // "" | test("committed offsets")' \
            >/dev/null && touch "$WORK/saw_wait"
        sleep 0.2
    done
) &
watch_pid=$!
track_pid "$watch_pid"
sleep 2 # a few more orders for the survivor alone
touch "$WORK/stop_orders"
wait "$orders_pid" || true

ORDERS=()
mapfile -t ORDERS <"$WORK/orders"
truth() { cheese_truth "$pizza" "${ORDERS[@]}"; }
wait_until 60 truth
expected=$(truth)

# settled: the survivor reports exactly the truth, or has exited.
settled() {
    lib_alive "$(pid_of cheese-reporter@2)" || return 0
    [[ $(curl -sf --max-time 5 "$survivor/report" | jq -S -c .) == "$expected" ]] &&
        curl -sf --max-time 5 "$survivor/ready" >/dev/null
}
wait_until 120 settled
touch "$WORK/settled"
wait "$watch_pid" || true
if reap_daemon cheese-reporter@2; then
    fail "the surviving cheese-reporter exited with code $LIB_EXIT_CODE" \
        "$(($(lib_now_ms) - killed_ms)) ms after the kill"
fi
lib_log "survivor settled $(($(lib_now_ms) - killed_ms)) ms after the kill"
if [[ $LIB_BROKER_KIND == kafka ]]; then
    [[ -e $WORK/saw_wait ]] || fail "the survivor never waited for unstable offsets"
fi
sleep 1 # nothing more may arrive: no pizza is counted twice
assert_eq "$expected" "$(curl -sf --max-time 5 "$survivor/report" | jq -S -c .)" \
    "report of the survivor"

rc=0
stop_daemon cheese-reporter@2 || rc=$?
assert_eq 0 "$rc" "surviving cheese-reporter exit code after SIGTERM"
pass
