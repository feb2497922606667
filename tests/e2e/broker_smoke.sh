#!/usr/bin/env bash
# Smoke test of pizza-devbroker as the other e2e tests use it: topics exist with
# 6 partitions, messages go in and come back out, the control channel answers,
# fault injection takes a broker away and back, and SIGTERM exits 0.
set -euo pipefail
# shellcheck source=SCRIPTDIR/../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
lib_init broker_smoke

TOPICS=(pizza pizza-with-sauce pizza-with-cheese pizza-with-meats pizza-with-veggies)

start_broker
boot=$KAFKA_BOOTSTRAP_SERVERS

# Metadata: every pipeline topic with exactly 6 partitions.
meta=$(kcat -b "$boot" -m 5 -L -J) || fail "kcat -L failed against $boot"
for t in "${TOPICS[@]}"; do
    n=$(jq --arg t "$t" '[.topics[] | select(.topic == $t) | .partitions[]] | length' <<<"$meta")
    assert_eq 6 "$n" "partitions of topic $t"
done

# 100 distinct messages in; exactly those 100 back (no loss, no duplicates).
seq 1 100 | kcat -b "$boot" -m 5 -P -t pizza -k order || fail "kcat could not produce to pizza"
got=$(timeout 30 kcat -b "$boot" -m 5 -C -t pizza -o beginning -e -q) ||
    fail "kcat could not consume pizza"
assert_eq 100 "$(wc -l <<<"$got")" "messages consumed from pizza"
assert_eq "$(seq 1 100)" "$(sort -n <<<"$got")" "message contents from pizza"

# Control channel: every line gets one reply.
assert_eq ok "$(broker_cmd ping)" "reply to ping"
reply=$(broker_cmd broker down 99)
[[ $reply == "error: "* ]] || fail "broker down 99 should be refused, got '$reply'"
assert_eq ok "$(broker_cmd topic smoke-extra 3)" "reply to topic create"
n=$(kcat -b "$boot" -m 5 -L -J -t smoke-extra | jq '.topics[0].partitions | length')
assert_eq 3 "$n" "partitions of smoke-extra"

# Fault injection: with its only broker down the cluster is unreachable; up again, it serves.
assert_eq ok "$(broker_cmd broker down 1)" "reply to broker down 1"
if kcat -b "$boot" -m 2 -L >/dev/null 2>&1; then fail "metadata served while broker 1 is down"; fi
assert_eq ok "$(broker_cmd broker up 1)" "reply to broker up 1"
wait_until 10 kcat -b "$boot" -m 2 -L -t pizza

rc=0
stop_broker || rc=$?
assert_eq 0 "$rc" "pizza-devbroker exit code after SIGTERM"
pass
