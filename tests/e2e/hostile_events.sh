#!/usr/bin/env bash
# Hostile events on every pipeline topic (tests/e2e/hostile_gen.py pipeline:
# seeded random bytes with NULs and high bytes, nesting 65..100,000 deep, huge
# strings at and over max_event_bytes, every wrong type of every field we
# read, invalid UTF-8 and bad escapes in values and in member names,
# duplicate fields, empty and null values, no/empty/binary/huge keys,
# trailing bytes, a BOM, ...). Each goes to "<topic>.dlq" exactly once per
# service reading the topic (pizza-with-cheese: meat-service and
# cheese-reporter), key, value and headers byte-exact plus the dlq.* headers;
# the poison and dead-letter counters are exact; every daemon keeps running
# and a real order still completes and is counted. HOSTILE_SEED varies the
# random records.
set -euo pipefail
# shellcheck source=SCRIPTDIR/../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
lib_init hostile_events
gen=$(dirname "${BASH_SOURCE[0]}")/hostile_gen.py
records=$PIZZA_BIN/kafka_records
[[ -x $records ]] || fail "$records not built"
start_pipeline

python3 "$gen" pipeline "$WORK/hostile" "${HOSTILE_SEED:-1}"
n=$(find "$WORK/hostile" -name '*.name' | wc -l)
topics=(pizza pizza-with-sauce pizza-with-cheese pizza-with-meats pizza-with-veggies)
for topic in "${topics[@]}"; do
    "$records" put "$topic" "$WORK/hostile" || fail "producing the hostile records to $topic"
done
lib_log "$n hostile records on each of ${#topics[@]} topics"

declare -A readers=([pizza]=sauce-service [pizza-with-sauce]=cheese-service
    [pizza-with-cheese]="meat-service cheese-reporter" [pizza-with-meats]=veggie-service
    [pizza-with-veggies]=pizza-service)

# counted NAME TOPIC N: NAME's poison and dead-letter counters of TOPIC are N.
counted() {
    curl -sf "http://127.0.0.1:$(port_of "$1")/metrics" >"$WORK/metrics.$1"
    grep -qx "pizza_events_poison_total{topic=\"$2\"} $3" "$WORK/metrics.$1" &&
        grep -qx "pizza_events_dead_lettered_total{topic=\"$2\"} $3" "$WORK/metrics.$1"
}
for topic in "${topics[@]}"; do
    for reader in ${readers[$topic]}; do wait_until 30 counted "$reader" "$topic" "$n"; done
done

# dumped TOPIC FILE N: FILE holds TOPIC's records (committed), N of them.
dumped() {
    "$records" dump "$1" >"$2" || return 1
    (($(python3 "$gen" count "$2") == $3))
}
for topic in "${topics[@]}"; do
    read -ra names <<<"${readers[$topic]}"
    dumped "$topic" "$WORK/src" "$n" || fail "$topic does not hold exactly the $n hostile records"
    # the counters move when a dead letter joins its reader's transaction;
    # it is readable once that commits
    wait_until 10 dumped "$topic.dlq" "$WORK/dlq" $((n * ${#names[@]}))
    python3 "$gen" dlq-check "$WORK/src" "$WORK/dlq" "$topic" "${names[@]}" >"$WORK/check" ||
        fail "dead letters of $topic: $(cat "$WORK/check")"
done

# Every daemon still serves, and the pipeline still makes and counts pizzas.
for name in "${LIB_DAEMONS[@]}"; do
    assert_http 200 GET "http://127.0.0.1:$(port_of "$name")/health"
    assert_http 200 GET "http://127.0.0.1:$(port_of "$name")/metrics"
done
pizza=http://127.0.0.1:$(port_of pizza-service)
assert_http 201 POST "$pizza/order/3"
id=$(jq -r .order_id <<<"$BODY")
complete() { curl -sf "$pizza/order/$id?wait=5" | jq -e '.status == "complete"' >/dev/null; }
wait_until 20 complete
assert_http 200 GET "$pizza/order/$id"
assert_eq 3 "$(jq '[.pizzas[] | select(.sauce != "" and .cheese != "" and .meats != "" and .veggies != "")] | length' <<<"$BODY")" "topped pizzas of the order"
counted_all() { curl -sf "http://127.0.0.1:$(port_of cheese-reporter)/report" | jq -e '([.[]] | add) == 3' >/dev/null; }
wait_until 10 counted_all
for topic in "${topics[@]}"; do # nothing more was dead-lettered
    for reader in ${readers[$topic]}; do counted "$reader" "$topic" "$n" || fail "$reader: counters of $topic moved"; done
done
# The daemons logged every hostile key and reason as valid JSON in UTF-8
# (jq would quietly mend bad UTF-8; Python's strict decoder does not).
for name in "${LIB_DAEMONS[@]}"; do
    python3 -c '
import json, sys
with open(sys.argv[1], encoding="utf-8", errors="strict") as f:
    for n, line in enumerate(f, 1):
        try:
            json.loads(line)
        except ValueError as e:
            sys.exit(f"line {n}: {e}")
' "$WORK/$name.log" || fail "$name.log has a line that is not JSON in UTF-8"
done
pass
