#!/usr/bin/env bash
# Two pizza-service instances in one group: each answers GET for every order,
# whichever instance took it and whichever saw its pizzas finish; an instance
# restarted after kill -9 answers them all again; complete orders leave an
# instance after its retention_s (then 404) and stay on the other.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
lib_init multi_instance
start_pipeline

# The second instance (instance id 2, from tests/lib.sh) keeps complete orders
# 10 s, to watch them expire.
sed -e 's/^retention_s = .*/retention_s = 10/' "$PIZZA_ROOT/config/pizza.ini" >"$WORK/pizza-2.ini"
grep -qx 'retention_s = 10' "$WORK/pizza-2.ini" || fail "config edit failed"
start_daemon pizza-service@2 -c "$WORK/pizza-2.ini"
a="http://127.0.0.1:$(port_of pizza-service)"
b="http://127.0.0.1:$(port_of pizza-service@2)"

ids=()
for url in "$a" "$b" "$a" "$b" "$a" "$b"; do
    assert_http 201 POST "$url/order/3"
    ids+=("$(jq -r .order_id <<<"$BODY")")
done

pizzas_of() { # URL ID: the order's pizzas, sorted, one per line
    curl -sf "$1/order/$2" | jq -c 'select(.status == "complete" and .count == 3) |
        .pizzas | sort_by(.id)[]'
}
same_everywhere() { # ID: complete with the same 3 pizzas on both instances
    local on_a on_b
    on_a=$(pizzas_of "$a" "$1") && on_b=$(pizzas_of "$b" "$1") || return 1
    [[ $(wc -l <<<"$on_a") == 3 && $on_a == "$on_b" ]] || return 1
    printf '%s\n' "$on_a" >"$WORK/order-$1"
}
# Every round looks at every order not seen yet: one order after another, an
# order could complete and expire from the second instance while the test
# still waited for an earlier one (seen under AddressSanitizer).
all_same_everywhere() {
    local id missing=0
    for id in "${ids[@]}"; do
        [[ -e $WORK/order-$id ]] || same_everywhere "$id" || missing=1
    done
    return "$missing"
}
wait_until 30 all_same_everywhere
# both instances took part in finishing pizzas (the group split the partitions)
finished() { curl -sf "$1/metrics" | sed -n 's/^pizza_batches_total{outcome="committed"} //p'; }
(($(finished "$a") > 0 && $(finished "$b") > 0)) || fail "an instance committed no batch"

# Retention: 10 s after completing, the second instance forgets them (404);
# the first (retention 3600 s) still has them.
gone_from_b() { [[ $(curl -s -o /dev/null -w '%{http_code}' "$b/order/$1") == 404 ]]; }
for id in "${ids[@]}"; do
    wait_until 20 gone_from_b "$id"
    assert_http 200 GET "$a/order/$id"
done

# kill -9 the first: restarted, it restores every order from the changelog,
# with the same pizzas, including those the second instance took and finished.
kill9_daemon pizza-service
start_daemon pizza-service
a="http://127.0.0.1:$(port_of pizza-service)"
for id in "${ids[@]}"; do
    assert_eq "$(cat "$WORK/order-$id")" "$(pizzas_of "$a" "$id")" "order $id after restart"
done
pass
