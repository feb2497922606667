#!/usr/bin/env bash
# Hostile POST /order/100 floods while nothing completes (veggie-service
# stopped), against pizza-service with [orders] max_pending_pizzas,
# post_rate_per_s and post_burst set:
#  A. from one address: it gets 429 + Retry-After + JSON error beyond its
#     burst and rate, while an honest client on another address gets 201
#     every time;
#  B. from 200 addresses: the pending pizzas stop at max_pending_pizzas, the
#     rest get 503 + Retry-After + JSON error, and RSS stays bounded;
#  then the stage comes back and every accepted order completes (none was
#  dropped), while the complete orders held stay within max_complete_pizzas
#  (the oldest leave), and POSTs are taken again. The figures are printed.
set -euo pipefail
# shellcheck source=SCRIPTDIR/../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
lib_init order_flood

budget=50000 complete_budget=10000 rate=5 burst=10 flood_s=6
start_broker
for name in "${LIB_DAEMONS[@]}"; do
    if [[ $name == pizza-service ]]; then
        PIZZA_ORDERS_MAX_PENDING_PIZZAS=$budget PIZZA_ORDERS_POST_RATE_PER_S=$rate \
            PIZZA_ORDERS_POST_BURST=$burst PIZZA_ORDERS_MAX_COMPLETE_PIZZAS=$complete_budget \
            lib_launch "$name"
    else
        lib_launch "$name"
    fi
done
for name in "${LIB_DAEMONS[@]}"; do lib_await "$name"; done
port=$(port_of pizza-service)
pizza=http://127.0.0.1:$port

metric() { # NAME [LABELS]: its value on pizza-service
    local series=$1
    [[ -z ${2:-} ]] || series+="{$2}"
    curl -sf "$pizza/metrics" | awk -v n="$series" '$1 == n { print $2 }'
}
rss_kb() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$(pid_of pizza-service)/status"; }
flood() { # OUT ARGS...: runs tests/tools/post_flood.py, its JSON in $WORK/OUT
    local out=$WORK/$1
    shift
    python3 "$PIZZA_ROOT/tests/tools/post_flood.py" --port "$port" "$@" >"$out"
    jq -c . "$out" >&2
}
j() { jq -rc "$2" "$WORK/$1"; }

# The pipeline works, then it stalls.
assert_http 201 POST "$pizza/order/1"
first=$(jq -r .order_id <<<"$BODY")
assert_http 200 GET "$pizza/order/$first?wait=10"
assert_eq complete "$(jq -r .status <<<"$BODY")" "first order"
stop_daemon veggie-service
rss0=$(rss_kb)

# --- A: one address, eight connections
flood a.json --sources 127.0.0.2 127.0.0.2 127.0.0.2 127.0.0.2 127.0.0.2 127.0.0.2 \
    127.0.0.2 127.0.0.2 --seconds "$flood_s" --honest-ip 127.0.0.3 --honest-every 0.2
accepted_a=$(j a.json '.flood.statuses["201"] // 0')
limited_a=$(j a.json '.flood.statuses["429"] // 0')
((limited_a > 0)) || fail "no 429 for one address flooding"
max_a=$((burst + rate * (flood_s + 2)))
((accepted_a <= max_a)) || fail "one address got $accepted_a orders in ${flood_s} s (burst $burst, $rate/s: at most $max_a)"
assert_eq "$(j a.json .flood.sent)" "$((accepted_a + limited_a))" "flood A answers: 201 or 429 only"
assert_eq 0 "$(j a.json .flood.bad_errors)" "flood A errors that are not JSON {\"error\"}"
assert_eq 0 "$(j a.json .flood.failed)" "flood A requests without an answer"
[[ $(j a.json '.flood.retry_after["429"][0] // 0') -ge 1 ]] || fail "429 without a Retry-After >= 1"
[[ $(j a.json '.flood.retry_after | has("429_missing")') == false ]] || fail "a 429 without Retry-After"
honest_a=$(j a.json .honest.sent)
((honest_a >= 10)) || fail "the honest client sent only $honest_a"
assert_eq "$honest_a" "$(j a.json '.honest.statuses["201"] // 0')" "honest POSTs answered 201 during flood A"
# the refused POST wrote nothing: the limit counted them all
assert_eq "$limited_a" "$(metric pizza_orders_refused_total 'reason="rate_limit"')" "rate_limit refusals counted"

# --- B: 200 addresses
sources=()
for i in $(seq 10 209); do sources+=("127.0.0.$i"); done
flood b.json --sources "${sources[@]}" --seconds "$flood_s" --honest-ip 127.0.0.3 --honest-every 0.2
accepted_b=$(j b.json '.flood.statuses["201"] // 0')
busy_b=$(j b.json '.flood.statuses["503"] // 0')
limited_b=$(j b.json '.flood.statuses["429"] // 0')
((busy_b > 0)) || fail "no 503 once the pending pizzas reached $budget"
assert_eq "$(j b.json .flood.sent)" "$((accepted_b + busy_b + limited_b))" "flood B answers: 201, 429 or 503 only"
assert_eq 0 "$(j b.json .flood.bad_errors)" "flood B errors that are not JSON {\"error\"}"
assert_eq 0 "$(j b.json .flood.failed)" "flood B requests without an answer"
[[ $(j b.json '.flood.retry_after["503"][0] // 0') -ge 1 ]] || fail "503 without a Retry-After"
[[ $(j b.json '.flood.retry_after | has("503_missing")') == false ]] || fail "a 503 without Retry-After"
# the honest client is never rate limited; it is refused only as everyone is: pipeline full
[[ $(j b.json '.honest.statuses | keys - ["201", "503"] | length') == 0 ]] ||
    fail "honest client during flood B: $(j b.json .honest.statuses)"
rss1=$(rss_kb)
pending_wanted() { [[ $(metric pizza_pending_pizzas) -gt 0 ]]; }
wait_until 5 pending_wanted
pending=$(metric pizza_pending_pizzas)
((pending <= budget)) || fail "$pending pizzas pending, over max_pending_pizzas $budget"
((pending > budget - 100)) || fail "only $pending pizzas pending: the budget ($budget) was not reached"
assert_eq "$busy_b" "$(metric pizza_orders_refused_total 'reason="pending_pizzas"')" "pending_pizzas refusals counted"
# Held orders cost their slots (24 B per pizza) and ~0.2 kB each; the budget
# allows ~1.2 MB of them here. 16 MB covers the rest (HTTP connections of 200
# clients, Kafka buffers for 50,000 events, allocator slack).
growth=$((rss1 - rss0))
# AddressSanitizer keeps freed memory in quarantine (hundreds of MB under a
# flood): the memory bound is the release build's to prove
if grep -qa __asan_init "$PIZZA_BIN/pizza-service"; then
    lib_log "sanitizer build: RSS bound not checked (+${growth} kB)"
else
    ((growth < 16384)) || fail "pizza-service RSS grew by $growth kB during the floods"
fi
attempted=$(((accepted_a + limited_a + accepted_b + busy_b + limited_b) * 100))
lib_log "flood A (1 address): $(j a.json .flood.sent) POSTs: $accepted_a x 201, $limited_a x 429; honest $(j a.json .honest.statuses) max $(j a.json .honest.max_ms) ms"
lib_log "flood B (200 addresses): $(j b.json .flood.sent) POSTs: $accepted_b x 201, $busy_b x 503, $limited_b x 429; honest $(j b.json .honest.statuses)"
lib_log "pizzas asked for: $attempted; pending held: $pending (max_pending_pizzas $budget)"
lib_log "pizza-service RSS: ${rss0} kB before, ${rss1} kB after the floods (+${growth} kB)"

# --- the stage comes back: every accepted order completes; POSTs are taken again
restart_daemon veggie-service
drained() {
    [[ $(metric pizza_pending_pizzas) == 0 && $(metric pizza_orders 'status="pending"') == 0 ]]
}
wait_until 120 drained
accepted=$((1 + accepted_a + accepted_b + $(j a.json '.honest.statuses["201"] // 0') +
    $(j b.json '.honest.statuses["201"] // 0')))
assert_eq "$accepted" "$(metric pizza_order_completion_seconds_count)" "orders completed (every 201)"
# ~50,000 pizzas completed; the complete orders held keep to their budget
complete=$(metric pizza_complete_pizzas)
((complete <= complete_budget && complete > complete_budget - 100)) ||
    fail "$complete pizzas of complete orders held (max_complete_pizzas $complete_budget)"
lib_log "after the drain: $complete pizzas of $(metric pizza_orders 'status="complete"') complete orders held (max_complete_pizzas $complete_budget); RSS $(rss_kb) kB"
assert_http 201 POST "$pizza/order/1" --interface 127.0.0.3
pass
