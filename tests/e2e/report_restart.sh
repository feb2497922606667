#!/usr/bin/env bash
# cheese-reporter counts each pizza exactly once and its report survives
# kill -9: after a restart /report is identical, and after more orders (one
# batch of them in flight while it is killed again) it equals the truth
# computed from the orders' GET bodies. The changelog holds the snapshots.
set -euo pipefail
# shellcheck source=SCRIPTDIR/../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
lib_init report_restart

changelog=cheese-report-changelog
start_broker
# Older dev brokers do not create the changelog and dead-letter topics.
for topic in "$changelog" pizza-with-cheese.dlq; do
    if ! kcat -L -b "$KAFKA_BOOTSTRAP_SERVERS" -t "$topic" -J 2>/dev/null |
        jq -e '.topics[0].partitions | length > 0' >/dev/null; then
        assert_eq ok "$(broker_cmd topic "$topic" 6)" "creating topic $topic"
    fi
done
for name in "${LIB_DAEMONS[@]}"; do lib_launch "$name"; done
for name in "${LIB_DAEMONS[@]}"; do lib_await "$name"; done
pizza=http://127.0.0.1:$(port_of pizza-service)
report_url() { echo "http://127.0.0.1:${LIB_LASTPORT[cheese-reporter]}/report"; }

ORDERS=()
# place_orders N: N orders of 1..5 pizzas; their ids go to ORDERS.
place_orders() {
    local i
    for ((i = 0; i < $1; i++)); do
        assert_http 201 POST "$pizza/order/$((RANDOM % 5 + 1))"
        ORDERS+=("$(jq -r .order_id <<<"$BODY")")
    done
}

truth() { cheese_truth "$pizza" "${ORDERS[@]}"; }

report() { curl -sf --max-time 5 "$(report_url)" | jq -S -c .; }
report_total() { curl -sf --max-time 5 "$(report_url)" | jq '[.[]] | add // 0'; }

# report_is JSON: the report equals JSON (sorted, compact).
report_is() { [[ $(report) == "$1" ]]; }
total_is() { [[ $(report_total) == "$1" ]]; }

# 1. Count, kill -9, restart: the report is identical.
place_orders 15
wait_until 30 truth
expected=$(truth)
total=$(jq '[.[]] | add' <<<"$expected")
wait_until 30 total_is "$total"
before=$(report)
assert_eq "$expected" "$before" "report after the first orders"

kill9_daemon cheese-reporter
restart_daemon cheese-reporter
assert_eq "$before" "$(report)" "report after kill -9 and restart"

# 2. More orders, the reporter killed while they flow: still exactly the truth.
place_orders 10
kill9_daemon cheese-reporter
place_orders 10
restart_daemon cheese-reporter
place_orders 5
wait_until 60 truth
expected=$(truth)
wait_until 60 report_is "$expected"
sleep 1 # nothing more may arrive: no pizza is counted twice
assert_eq "$expected" "$(report)" "report after more orders and a second kill -9"

# A poison event is dead-lettered (in a batch's transaction) and counted nowhere.
printf 'not json\n' | kcat -P -b "$KAFKA_BOOTSTRAP_SERVERS" -t pizza-with-cheese -p 0 -k poison
dlq_has_it() {
    # meat-service reads the topic too: find the reporter's own copy
    kcat -C -b "$KAFKA_BOOTSTRAP_SERVERS" -t pizza-with-cheese.dlq -e -q -f '%k %h\n' |
        grep '^poison ' | grep -q 'dlq.consumer=cheese-reporter'
}
wait_until 30 dlq_has_it
assert_eq "$expected" "$(report)" "report after a poison event"

# 3. The changelog holds one snapshot per partition (the last per key wins):
# together they are the report, and each ends past its partition's last pizza.
kcat -C -b "$KAFKA_BOOTSTRAP_SERVERS" -t "$changelog" -X isolation.level=read_committed -e -q \
    -f '%k\t%s\n' >"$WORK/changelog.txt"
[[ -s $WORK/changelog.txt ]] || fail "no records in $changelog"
cut -f2- "$WORK/changelog.txt" | jq -s -c 'map({key: "\(.topic)/\(.partition)", value: .}) |
    from_entries | [.[]]' >"$WORK/snapshots.json"
bad_keys=$(awk -F'\t' '$1 !~ /^pizza-with-cheese\/[0-9]+$/' "$WORK/changelog.txt" | head -n 3)
assert_eq "" "$bad_keys" "changelog keys not of the form <topic>/<partition>"
assert_eq "$expected" "$(jq -S -c '[.[].counts | to_entries[]] | group_by(.key) |
    map({(.[0].key): (map(.value) | add)}) | add // {}' "$WORK/snapshots.json")" \
    "sum of the last snapshot of every partition"
for p in $(jq '.[].partition' "$WORK/snapshots.json"); do
    last=$(kcat -C -b "$KAFKA_BOOTSTRAP_SERVERS" -t pizza-with-cheese -p "$p" -o -1 -c 1 -e -q \
        -X isolation.level=read_committed -f '%o\n')
    next=$(jq --argjson p "$p" '.[] | select(.partition == $p) | .next_offset' "$WORK/snapshots.json")
    ((next > last)) || fail "partition $p: snapshot ends at $next, before the last event at $last"
done

# SIGTERM: exit 0 within 10 s, and the next start still has the same report.
start=$(lib_now_ms)
rc=0
stop_daemon cheese-reporter || rc=$?
assert_eq 0 "$rc" "cheese-reporter exit code after SIGTERM"
(($(lib_now_ms) - start < 10000)) || fail "cheese-reporter took over 10 s to stop"
restart_daemon cheese-reporter
assert_eq "$expected" "$(report)" "report after SIGTERM and restart"
pass
