#!/usr/bin/env bash
# Hostile records in cheese-report-changelog, which has no dead-letter topic
# (tests/e2e/hostile_gen.py report: random bytes, deep nesting, huge values,
# topic/partition/next_offset/counts of wrong types or out of range, counts
# adding up to more than next_offset (10^18 among them), invalid UTF-8 in
# cheese names, duplicates, a BOM, trailing bytes, keys that are absent,
# empty, binary or another partition's, a tombstone). Each claims a newer
# state (next_offset 1000000) of a real partition, so one taken would change
# the report or where counting resumes. cheese-reporter tails them live,
# then restores from them after a restart: it skips every one, its report
# stays the truth, and it keeps counting.
set -euo pipefail
# shellcheck source=SCRIPTDIR/../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
lib_init hostile_report_changelog
gen=$(dirname "${BASH_SOURCE[0]}")/hostile_gen.py
records=$PIZZA_BIN/kafka_records
[[ -x $records ]] || fail "$records not built"
start_pipeline
pizza=http://127.0.0.1:$(port_of pizza-service)
report_url() { echo "http://127.0.0.1:${LIB_LASTPORT[cheese-reporter]}/report"; }

ORDERS=()
# order_done COUNT: a new order of COUNT pizzas, complete.
order_done() {
    local id
    assert_http 201 POST "$pizza/order/$1"
    id=$(jq -r .order_id <<<"$BODY")
    ORDERS+=("$id")
    complete() { curl -sf "$pizza/order/$id?wait=5" | jq -e '.status == "complete"' >/dev/null; }
    wait_until 20 complete
}
truth() { cheese_truth "$pizza" "${ORDERS[@]}"; }
report_is_truth() { [[ $(curl -sf "$(report_url)" | jq -S -c .) == "$(truth)" ]]; }

for n in 5 4 3; do order_done "$n"; done
wait_until 20 report_is_truth

python3 "$gen" report "$WORK/hostile" pizza-with-cheese
"$records" put cheese-report-changelog "$WORK/hostile" || fail "producing the hostile records"

# 1. Tailed live (between batches): more pizzas, and the report is still the truth.
order_done 2
wait_until 20 report_is_truth
assert_http 200 GET "http://127.0.0.1:$(port_of cheese-reporter)/ready"

# 2. Restored at start: the same report, and counting goes on from the real
# snapshots (not from offset 1000000).
rc=0
stop_daemon cheese-reporter || rc=$?
assert_eq 0 "$rc" "cheese-reporter exit code"
restart_daemon cheese-reporter
assert_http 200 GET "$(report_url)"
assert_eq "$(truth)" "$(jq -S -c . <<<"$BODY")" "report after the restore"
order_done 3
wait_until 20 report_is_truth
assert_http 200 GET "http://127.0.0.1:$(port_of cheese-reporter)/metrics"
assert_http 200 GET "http://127.0.0.1:$(port_of cheese-reporter)/ready"
pass
