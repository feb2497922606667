#!/usr/bin/env bash
# With the group coordinator refusing the offsets of transactions
# (AddOffsetsToTxn answered COORDINATOR_NOT_AVAILABLE, over and over), a POST
# whose batch carries finished pizzas' offsets is answered within
# [orders] commit_timeout_ms all the same (a 503 the client can retry), not
# held for as long as the coordinator stays away. The stages run
# at-least-once here, so finished pizzas keep arriving at pizza-service.
set -euo pipefail
# shellcheck source=SCRIPTDIR/../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
lib_init coordinator_stall
start_broker
for name in sauce-service cheese-service meat-service veggie-service; do
    PROCESSING_GUARANTEE=at_least_once lib_launch "$name"
done
PIZZA_ORDERS_COMMIT_TIMEOUT_MS=2000 lib_launch pizza-service
for name in sauce-service cheese-service meat-service veggie-service pizza-service; do
    lib_await "$name"
done
pizza=http://127.0.0.1:$(port_of pizza-service)
assert_http 201 POST "$pizza/order/3"
first=$(jq -r .order_id <<<"$BODY")
complete() { curl -sf "$pizza/order/$first" | jq -e '.status == "complete"' >/dev/null; }
wait_until 20 complete

assert_eq ok "$(broker_cmd error 25 15 100000)" "AddOffsetsToTxn refused from now on"
slowest=0 answered=0
for _ in $(seq 1 12); do
    curl -s -o /dev/null -X POST "$pizza/order/10" & # finished pizzas keep coming
    t0=$(lib_now_ms)
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 30 -X POST "$pizza/order/1") || true
    took=$(($(lib_now_ms) - t0))
    [[ $code == 201 || $code == 503 ]] || fail "POST answered '$code' after $took ms"
    ((took > slowest)) && slowest=$took
    answered=$((answered + 1))
    sleep 0.3
done
lib_log "$answered POSTs answered, the slowest in $slowest ms"
# commit_timeout_ms 2000, plus one Kafka call's second and a batch's wait
((slowest < 6000)) || fail "a POST took $slowest ms with commit_timeout_ms = 2000"
pass
