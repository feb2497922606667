#!/usr/bin/env bash
# 50 orders posted concurrently: every one completes with exactly its count of
# distinct pizzas, and the cheese report equals the cheeses of those pizzas.
set -euo pipefail
# shellcheck source=SCRIPTDIR/../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
lib_init concurrent_orders
start_pipeline
pizza=http://127.0.0.1:$(port_of pizza-service)
report=http://127.0.0.1:$(port_of cheese-reporter)/report

N=50
posts=()
for i in $(seq 1 $N); do
    count=$((i % 5 + 1))
    curl -s -o "$WORK/order.$i" -w '%{http_code}' -X POST "$pizza/order/$count" >"$WORK/code.$i" &
    posts+=($!)
done
wait "${posts[@]}" # not a bare wait: the daemons are children of this shell too

total=0
: >"$WORK/orders"
for i in $(seq 1 $N); do
    assert_eq 201 "$(cat "$WORK/code.$i")" "status of concurrent POST $i"
    echo "$(jq -r .order_id "$WORK/order.$i") $((i % 5 + 1))" >>"$WORK/orders"
    total=$((total + i % 5 + 1))
done
assert_eq $N "$(cut -d' ' -f1 "$WORK/orders" | sort -u | wc -l)" "distinct order ids"

all_complete() {
    local id count
    while read -r id count; do
        curl -sf "$pizza/order/$id" | jq -e '.status == "complete"' >/dev/null || return 1
    done <"$WORK/orders"
}
wait_until 30 all_complete

: >"$WORK/pizzas.jsonl"
while read -r id count; do
    assert_http 200 GET "$pizza/order/$id"
    assert_eq "$count" "$(jq '.pizzas | length' <<<"$BODY")" "pizzas in order $id"
    assert_eq "$count" "$(jq '[.pizzas[].id] | unique | length' <<<"$BODY")" \
        "distinct pizza ids in order $id"
    jq -c '.pizzas[]' <<<"$BODY" >>"$WORK/pizzas.jsonl"
done <"$WORK/orders"
assert_eq "$total" "$(jq -s '[.[].id] | unique | length' "$WORK/pizzas.jsonl")" \
    "distinct pizzas across all orders"

# The report counts every pizza that passed the cheese stage: exactly these.
truth=$(jq -s -c 'group_by(.cheese) | map({(.[0].cheese): length}) | add' "$WORK/pizzas.jsonl")
report_matches() {
    [[ $(curl -sf "$report" | jq -c -S .) == "$(jq -c -S . <<<"$truth")" ]]
}
wait_until 10 report_matches
pass
