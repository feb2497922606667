#!/usr/bin/env bash
# State survives a crash: 5 orders complete; pizza-service and cheese-reporter
# are killed with SIGKILL and started again on the same ports; once
# pizza-service is ready again every order answers GET with the same count,
# status and pizzas (ids and toppings), and /report is what it was.
# shellcheck disable=SC2317 # functions that only wait_until calls
set -euo pipefail
# shellcheck source=SCRIPTDIR/../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
lib_init restart_recovery
start_pipeline --brokers 1
pizza=http://127.0.0.1:$(port_of pizza-service)
report=http://127.0.0.1:$(port_of cheese-reporter)/report

# canonical: an order as compared across the restart (pizzas sorted by id).
canonical() {
    jq -c -S '{id, count, status, pizzas: (.pizzas | map({id, sauce, cheese, meats, veggies}) | sort_by(.id))}'
}

ids=()
for count in 1 2 3 4 5; do
    assert_http 201 POST "$pizza/order/$count"
    ids+=("$(jq -r .order_id <<<"$BODY")")
done

order_complete() { curl -sf "$pizza/order/$1" | jq -e '.status == "complete"' >/dev/null; }
: >"$WORK/pizzas.jsonl"
for id in "${ids[@]}"; do
    wait_until 30 order_complete "$id"
    assert_http 200 GET "$pizza/order/$id"
    canonical <<<"$BODY" >"$WORK/before.$id"
    jq -c '.pizzas[]' <<<"$BODY" >>"$WORK/pizzas.jsonl"
done
assert_eq 15 "$(jq -s '[.[].id] | unique | length' "$WORK/pizzas.jsonl")" "distinct pizzas of the 5 orders"

# The report before the crash, once it has counted all 15 pizzas.
truth=$(jq -s -c -S 'group_by(.cheese) | map({(.[0].cheese): length}) | add' "$WORK/pizzas.jsonl")
report_is() { [[ $(curl -sf "$report" | jq -c -S .) == "$1" ]]; }
wait_until 10 report_is "$truth"

kill9_daemon pizza-service
kill9_daemon cheese-reporter
restart_daemon pizza-service # waits (bounded) for GET /ready to answer 200
restart_daemon cheese-reporter
assert_eq "$pizza" "http://127.0.0.1:$(port_of pizza-service)" "pizza-service URL after restart"

for id in "${ids[@]}"; do
    assert_http 200 GET "$pizza/order/$id"
    assert_eq "$(cat "$WORK/before.$id")" "$(canonical <<<"$BODY")" "order $id after pizza-service restarted"
done
wait_until 10 report_is "$truth"
pass
