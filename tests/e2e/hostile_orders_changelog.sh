#!/usr/bin/env bash
# Hostile records in pizza-orders-changelog, which has no dead-letter topic
# (tests/e2e/hostile_gen.py orders: random bytes, deep nesting, huge values,
# counts 0/-1/10001/10^18/2^64/1.5/"1"/null, created_ms and traceparent of
# wrong types, invalid UTF-8, duplicates, a BOM, trailing bytes, missing or
# unknown headers, oversize / malformed / NUL-holding order ids, keys unlike
# the order or pizza id, finished pizzas that are not JSON or not the order's,
# tombstones). pizza-service tails them live, then restores from them after
# a restart: it skips every bad record, stores no order they name, keeps the
# good records (a pending order and its one good pizza, an order whose bad
# traceparent is dropped), serves the real orders byte for byte as before,
# and still takes and completes orders.
set -euo pipefail
# shellcheck source=SCRIPTDIR/../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
lib_init hostile_orders_changelog
gen=$(dirname "${BASH_SOURCE[0]}")/hostile_gen.py
records=$PIZZA_BIN/kafka_records
[[ -x $records ]] || fail "$records not built"
start_pipeline
pizza() { echo "http://127.0.0.1:${LIB_LASTPORT[pizza-service]}"; }

# order_done COUNT: a new order of COUNT pizzas, complete; its id in $id.
order_done() {
    assert_http 201 POST "$(pizza)/order/$1"
    id=$(jq -r .order_id <<<"$BODY")
    complete() { curl -sf "$(pizza)/order/$id?wait=5" | jq -e '.status == "complete"' >/dev/null; }
    wait_until 20 complete
}
order_done 2
a=$id
order_done 1
b=$id
assert_http 200 GET "$(pizza)/order/$a"
body_a=$BODY
assert_http 200 GET "$(pizza)/order/$b"
body_b=$BODY

python3 "$gen" orders "$WORK/hostile" h-pending
"$records" put pizza-orders-changelog "$WORK/hostile" || fail "producing the hostile records"

# what the store must hold of them: h-pending with hp-good alone, tp-garbage
# without its traceparent, and no other order they name
check_store() {
    assert_http 200 GET "$(pizza)/order/h-pending"
    jq -e '.id == "h-pending" and .count == 3 and .status == "pending" and
        ([.pizzas[].id] == ["hp-good"]) and .pizzas[0].sauce == "light"' <<<"$BODY" >/dev/null ||
        fail "order h-pending: ${BODY:0:300}"
    assert_http 200 GET "$(pizza)/order/tp-garbage"
    jq -e '.count == 1 and .status == "pending" and (has("traceparent") | not)' <<<"$BODY" \
        >/dev/null || fail "order tp-garbage: ${BODY:0:300}"
    local oid
    while read -r oid; do
        [[ $oid == h-pending || $oid == tp-garbage ]] && continue
        if [[ $oid =~ ^[A-Za-z0-9_-]{1,64}$ ]]; then
            assert_http 404 GET "$(pizza)/order/$oid"
        fi
    done < <(cat "$WORK"/hostile/*.headers | tr -d '\0' | sed -n 's/^pizza\.order=//p' | sort -u)
    assert_http 404 GET "$(pizza)/order/h-other"
}

# 1. Tailed live: the good pizza is the last record of its partition, so
# once it shows, every record before it was applied.
good_pizza_seen() { curl -sf "$(pizza)/order/h-pending" | jq -e '.pizzas | length == 1' >/dev/null; }
wait_until 15 good_pizza_seen
check_store
assert_http 200 GET "$(pizza)/ready"

# 2. Restored at start.
rc=0
stop_daemon pizza-service || rc=$?
assert_eq 0 "$rc" "pizza-service exit code"
restart_daemon pizza-service
check_store
assert_http 200 GET "$(pizza)/order/$a"
assert_eq "$body_a" "$BODY" "order $a after the restore"
assert_http 200 GET "$(pizza)/order/$b"
assert_eq "$body_b" "$BODY" "order $b after the restore"
assert_http 200 GET "$(pizza)/metrics"
grep -qx 'pizza_orders{status="pending"} 2' <<<"$BODY" || fail "pending orders: $(grep '^pizza_orders{' <<<"$BODY")"
grep -qx 'pizza_orders{status="complete"} 2' <<<"$BODY" || fail "complete orders: $(grep '^pizza_orders{' <<<"$BODY")"

# 3. It still takes and completes orders.
order_done 3
for name in "${LIB_DAEMONS[@]}"; do
    assert_http 200 GET "http://127.0.0.1:$(port_of "$name")/health"
done
pass
