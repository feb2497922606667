#!/usr/bin/env bash
# GET /pipeline on pizza-service: every hop of [web] hops as Kafka holds it.
# Drained, every hop reads lag 0 and ready (on real Kafka too, where each
# transaction leaves a commit marker past the last committed offset); a
# stopped stage's hop goes not ready and its lag is exactly the pizzas waiting
# for it, then drains when it comes back; a poison event is exactly one dead
# letter of the hop that read it; orders flowing show as events_per_s; with
# Kafka gone, 503 + Retry-After.
set -euo pipefail
# shellcheck source=SCRIPTDIR/../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
lib_init pipeline_view
start_pipeline
pizza=http://127.0.0.1:$(port_of pizza-service)

sample() { curl -sf --max-time 10 "$pizza/pipeline"; }
# hop STAGE FILTER: FILTER on STAGE's hop of the current sample, true or fails
hop() { sample | jq -e --arg s "$1" ".hops[] | select(.stage == \$s) | $2"; }
# every hop drained and ready, its lag the sum of its partitions'
settled() {
    sample | jq -e '[.hops[] | .lag == 0 and .ready == true and
        .lag == ([.partitions[].lag] | add)] | all'
}
order() { # COUNT: places an order and waits for it to complete
    assert_http 201 POST "$pizza/order/$1"
    local id
    id=$(jq -r .order_id <<<"$BODY")
    complete() { curl -sf --max-time 10 "$pizza/order/$id?wait=5" | jq -e '.status == "complete"'; }
    wait_until 60 complete
}

# The hops as configured (the default: the seed topology), in order.
sample >"$WORK/first"
assert_eq "sauce-service:pizza>pizza-with-sauce,cheese-service:pizza-with-sauce>pizza-with-cheese,meat-service:pizza-with-cheese>pizza-with-meats,veggie-service:pizza-with-meats>pizza-with-veggies,pizza-service:pizza-with-veggies>pizza-orders-changelog,cheese-reporter:pizza-with-cheese>cheese-report-changelog" \
    "$(jq -r '[.hops[] | "\(.group):\(.input_topic)>\(.output_topic)"] | join(",")' "$WORK/first")" "hops"
assert_eq true "$(jq '[.hops[] | .dead_letter_topic == .input_topic + ".dlq" and
    .stage == .group] | all' "$WORK/first")" "dead-letter topics and stages"

# Orders flowing show as a rate; once done, every hop is drained and ready.
assert_http 201 POST "$pizza/order/40"
wait_until 30 hop sauce-service '.events_per_s > 0'
order 3
sleep 1.1 # a sample taken after the order: the cache may hold one from before
wait_until 30 settled
sample >"$WORK/drained"
# a drained partition reads 0 however its offsets stand (commit markers)
assert_eq 0 "$(jq '[.hops[].partitions[].lag] | add' "$WORK/drained")" "lag of a drained pipeline"

# A stopped stage: its hop goes not ready, and its lag is the pizzas waiting.
stop_daemon meat-service
wait_until 30 hop meat-service '.ready == false and .members == 0'
assert_http 201 POST "$pizza/order/7"
wait_until 30 hop meat-service '.lag == 7'
wait_until 30 hop cheese-service '.lag == 0' # upstream drained
sleep 1.5                                     # a later sample: nothing more is counted
hop meat-service '.lag == 7 and .lag == ([.partitions[].lag] | add)' >/dev/null ||
    fail "meat-service's lag moved past the 7 pizzas waiting: $(sample)"
restart_daemon meat-service
wait_until 60 settled

# One poison event on veggie-service's input: one dead letter on its hop only.
echo 'poison-1|not json' | kcat -b "$KAFKA_BOOTSTRAP_SERVERS" -P -t pizza-with-meats -K '|'
wait_until 30 hop veggie-service '.dead_letters == 1'
wait_until 30 settled
sample >"$WORK/poisoned"
assert_eq '[0,0,0,1,0,0]' "$(jq -c '[.hops[].dead_letters]' "$WORK/poisoned")" "dead letters per hop"

# Many viewers cost Kafka one sample per interval (refresh_ms, 1 s): 20 at
# once share the samples of the intervals their answers span. (Two requests
# one after the other may straddle an interval's end: under ASan on a loaded
# machine they did.)
start=$(lib_now_ms)
viewers=()
for i in $(seq 1 20); do
    sample >"$WORK/viewer.$i" &
    viewers+=($!)
done
wait "${viewers[@]}" # not a bare wait: the daemons are this shell's children too
assert_eq 20 "$(cat "$WORK"/viewer.* | jq -r .updated_at | grep -c .)" "viewers answered"
spanned=$((($(lib_now_ms) - start) / 1000 + 2))
distinct=$(cat "$WORK"/viewer.* | jq -r .updated_at | sort -u | wc -l)
((distinct >= 1 && distinct <= spanned)) ||
    fail "20 viewers within $((spanned - 2)) s got $distinct distinct samples, over $spanned"

# Kafka gone: once the last sample is too old, 503 with Retry-After.
stop_broker
unavailable() {
    curl -s -D "$WORK/headers" -o "$WORK/body" --max-time 15 -w '%{http_code}' "$pizza/pipeline" |
        grep -qx 503 && grep -qi '^Retry-After: ' "$WORK/headers" &&
        jq -e '.error | test("Kafka")' "$WORK/body"
}
wait_until 60 unavailable
pass
