#!/usr/bin/env bash
# One order of 3 as a user makes it: 201 with an id and Location, then within
# a second GET shows 3 complete, fully topped pizzas from the seed's menus.
set -euo pipefail
# shellcheck source=SCRIPTDIR/../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
lib_init order_lifecycle
start_pipeline
pizza=http://127.0.0.1:$(port_of pizza-service)

headers=$WORK/post_headers
code=$(curl -s -o "$WORK/post_body" -D "$headers" -w '%{http_code}' -X POST "$pizza/order/3")
assert_eq 201 "$code" "POST /order/3 status"
id=$(jq -r .order_id "$WORK/post_body")
[[ $id =~ ^[0-9a-f-]{36}$ ]] || fail "order_id is not a UUID: '$id'"
assert_eq 3 "$(jq .count "$WORK/post_body")" "count in the POST answer"
location=$(tr -d '\r' <"$headers" | sed -n 's/^Location: //Ip')
assert_eq "/order/$id" "$location" "Location header"

order_complete() {
    curl -sf "$pizza/order/$id" | jq -e '.status == "complete"' >/dev/null
}
start=$(lib_now_ms)
wait_until 5 order_complete
elapsed=$(($(lib_now_ms) - start))
((elapsed <= 1000)) || fail "order took ${elapsed} ms to complete, over 1 s"

assert_http 200 GET "$pizza/order/$id"
assert_eq "$id" "$(jq -r .id <<<"$BODY")" "order id in GET"
assert_eq 3 "$(jq .count <<<"$BODY")" "order count in GET"
assert_eq 3 "$(jq '.pizzas | length' <<<"$BODY")" "pizzas in the order"
assert_eq 3 "$(jq '[.pizzas[].id] | unique | length' <<<"$BODY")" "distinct pizza ids"
assert_eq 0 "$(jq --arg id "$id" '[.pizzas[] | select(.order_id != $id)] | length' <<<"$BODY")" \
    "pizzas carrying another order_id"

# Every topping is from the seed's menus; multi-pick toppings have no repeats.
bad=$(jq -c '[.pizzas[] |
    select((.sauce | IN("regular","light","extra","none","alfredo") | not)
        or (.cheese | IN("extra","none","three cheese","goat cheese") | not)
        or (.meats != "none" and ((.meats | split(" & ")) as $m
              | ($m | length) > 4 or ($m | unique | length) != ($m | length)
              or any($m[]; IN("pepperoni","sausage","ham","anchovies","salami","bacon") | not)))
        or (.veggies != "none" and ((.veggies | split(" & ")) as $v
              | ($v | length) > 4 or ($v | unique | length) != ($v | length)
              or any($v[]; IN("tomato","olives","onions","peppers","pineapple","mushrooms") | not))))]' \
    <<<"$BODY")
assert_eq "[]" "$bad" "pizzas with toppings off the menu"

# The same pizzas, fetched again, are identical (state is stable).
first=$BODY
assert_http 200 GET "$pizza/order/$id"
assert_eq "$first" "$BODY" "second GET of a complete order"

assert_http 404 GET "$pizza/order/00000000-0000-4000-8000-000000000000"
assert_eq "no such order: 00000000-0000-4000-8000-000000000000" "$(jq -r .error <<<"$BODY")" \
    "404 error text"
pass
