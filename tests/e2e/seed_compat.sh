#!/usr/bin/env bash
# Wire compatibility with the seed demo: an event with only the seed's fields,
# produced without a key, goes through all four stages, gets a derived id, is
# keyed by its order id, and keeps fields we do not know.
set -euo pipefail
# shellcheck source=SCRIPTDIR/../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
lib_init seed_compat
start_pipeline
boot=$KAFKA_BOOTSTRAP_SERVERS

seed='{"order_id":"seed-order-1","sauce":"","cheese":"","meats":"","veggies":""}'
extra='{"order_id":"seed-order-2","sauce":"","cheese":"","meats":"","veggies":"","crust":{"kind":"thin","cm":[30,32]}}'
echo "$seed" | kcat -b "$boot" -P -t pizza                 # no key, as a careless producer might
echo "seed-order-2|$extra" | kcat -b "$boot" -P -t pizza -K '|'

# -c 2 without -e: wait for both (an early end of partition is no answer)
timeout 20 kcat -b "$boot" -C -t pizza-with-veggies -o beginning -c 2 -q \
    -X isolation.level=read_committed -f '%k\t%s\n' >"$WORK/out" ||
    fail "fewer than 2 events reached pizza-with-veggies: $(cat "$WORK/out")"

while IFS=$'\t' read -r key value; do
    order=$(jq -r .order_id <<<"$value")
    assert_eq "$order" "$key" "key of the finished pizza"
    [[ $(jq -r .id <<<"$value") =~ ^pizza:[0-5]:[0-9]+$ ]] ||
        fail "derived id should name its origin on topic pizza: $value"
    jq -e '[.sauce, .cheese, .meats, .veggies] | all(length > 0)' <<<"$value" >/dev/null ||
        fail "a topping is missing: $value"
done <"$WORK/out"
crust=$(grep -F seed-order-2 "$WORK/out" | cut -f2 | jq -c .crust)
assert_eq '{"kind":"thin","cm":[30,32]}' "$crust" "unknown field passed through four stages"

# pizza-service holds no such orders: it counts them as strays and carries on.
strays() {
    curl -sf "http://127.0.0.1:$(port_of pizza-service)/metrics" |
        grep -qx 'pizza_pizzas_stray_total 2'
}
wait_until 10 strays
pass
