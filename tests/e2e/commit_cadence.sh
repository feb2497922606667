#!/usr/bin/env bash
# commit_interval_ms spaces commits out while input keeps arriving, yet never
# holds back an order that comes after a quiet spell. With a 5 s interval, a
# lone POST is answered in well under one interval, a lone order crosses the
# four stages in under two (four commits each held back an interval would take
# 20 s), and twenty orders that reach sauce-service within an interval share
# its commits instead of taking one each; every order completes once, with its
# one pizza. (The bounds are loose: a loaded machine is slow, never 5 s slow.)
set -euo pipefail
# shellcheck source=SCRIPTDIR/../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
lib_init commit_cadence

INTERVAL_MS=5000
export PIZZA_STAGE_COMMIT_INTERVAL_MS=$INTERVAL_MS PIZZA_REPORTER_COMMIT_INTERVAL_MS=$INTERVAL_MS
export PIZZA_ORDERS_COMMIT_INTERVAL_MS=$INTERVAL_MS
# max_batch_ms would end a batch before the interval does
export PIZZA_STAGE_MAX_BATCH_MS=60000 PIZZA_REPORTER_MAX_BATCH_MS=60000
start_pipeline
pizza=http://127.0.0.1:$(port_of pizza-service)

order_complete() { # ID: complete, with its one pizza
    curl -sf --max-time 5 "$pizza/order/$1" | jq -e '.status == "complete" and (.pizzas | length) == 1' >/dev/null
}

# batches_committed DAEMON: its committed batches so far
batches_committed() {
    curl -sf --max-time 5 "http://127.0.0.1:$(port_of "$1")/metrics" |
        awk '$1 == "pizza_batches_total{outcome=\"committed\"}" { print $2 }'
}

# lone_order: POSTs one order after a quiet spell; sets POST_MS and DONE_MS.
lone_order() {
    local start id
    sleep $((INTERVAL_MS / 1000 + 1)) # longer than the interval: every daemon is idle
    start=$(lib_now_ms)
    assert_http 201 POST "$pizza/order/1"
    POST_MS=$(($(lib_now_ms) - start))
    id=$(jq -r .order_id <<<"$BODY")
    # the long poll answers as the last pizza is stored: no polling delay
    assert_http 200 GET "$pizza/order/$id?wait=10"
    DONE_MS=$(($(lib_now_ms) - start))
    assert_eq complete "$(jq -r .status <<<"$BODY")" "status of the lone order $id"
}

lone_order # the first order also joins every group and connects every client
lone_order
((POST_MS < INTERVAL_MS / 2)) || fail "a lone POST was answered after $POST_MS ms (interval $INTERVAL_MS ms)"
lib_log "lone order: answered in $POST_MS ms, complete in $DONE_MS ms"
# pizza-service commits both the POST and the finished pizza: the second comes
# well within an interval of the first, so from here on it commits at once,
# and what is timed is the stages alone
stop_daemon pizza-service
PIZZA_ORDERS_COMMIT_INTERVAL_MS=0 restart_daemon pizza-service
lone_order
((DONE_MS < 2 * INTERVAL_MS)) || fail "a lone order completed after $DONE_MS ms (stages' interval $INTERVAL_MS ms)"
lib_log "lone order through the stages: complete in $DONE_MS ms"

# Twenty orders, each committed at once by pizza-service, so they reach
# sauce-service one by one: it commits the first at once (it was idle), the
# rest together when its interval is up.
sleep $((INTERVAL_MS / 1000 + 1))
before=$(batches_committed sauce-service)
ids=()
start=$(lib_now_ms)
for _ in $(seq 1 20); do
    assert_http 201 POST "$pizza/order/1"
    ids+=("$(jq -r .order_id <<<"$BODY")")
done
posting_ms=$(($(lib_now_ms) - start))
for id in "${ids[@]}"; do wait_until 30 order_complete "$id"; done
batches=$(($(batches_committed sauce-service) - before))
# one at once, then one per interval the POSTs spanned (and one for a boundary)
most=$((2 + (posting_ms + INTERVAL_MS - 1) / INTERVAL_MS))
((batches <= most)) ||
    fail "sauce-service committed 20 orders posted over $posting_ms ms in $batches batches, over $most"
lib_log "20 orders over $posting_ms ms: $batches sauce-service batches"
pass
