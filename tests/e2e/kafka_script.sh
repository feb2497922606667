#!/usr/bin/env bash
# scripts/kafka.sh keeps its contract (real Kafka only: ctest runs it as
# kafka_kafka_script). start prints exactly one line, bootstrap.servers=..., and
# has then created every topic of the compose topics job with its partitions,
# replication and cleanup policy; topic adds one; broker-kill / broker-start
# take one node down and back with its data; stop leaves no process; a cluster
# whose --owner dies stops itself; a cluster id that starts with '-' (one in 64
# random ids) formats.
set -euo pipefail
# shellcheck source=SCRIPTDIR/../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
lib_init kafka_script
[[ $LIB_BROKER_KIND == kafka ]] || fail "a test of scripts/kafka.sh: run it with PIZZA_BROKER=kafka"
kafka=$PIZZA_ROOT/scripts/kafka.sh
dir=$WORK/cluster

# the java processes of a cluster directory, whatever kafka.sh thinks
jvms_of() { pgrep -f -- "-Dkafka.logs.dir=$1/" || true; }

# 1. Two nodes, 3 partitions, an id kafka-storage could take for an option.
BROKER_CLUSTER_ID=-U3OEVBNTcwNTJENDM2Qk bash "$kafka" start "$dir" --brokers 2 --partitions 3 \
    >"$WORK/start.out" 2>>"$WORK/broker.log" || fail "start failed: $(tail -n 5 "$WORK/broker.log")"
assert_eq 1 "$(wc -l <"$WORK/start.out")" "lines start printed on stdout"
line=$(cat "$WORK/start.out")
[[ $line =~ ^bootstrap\.servers=127\.0\.0\.1:[0-9]+,127\.0\.0\.1:[0-9]+$ ]] || fail "start printed '$line'"
boot=${line#bootstrap.servers=}
assert_eq "$line" "$(bash "$kafka" bootstrap "$dir")" "bootstrap line printed again"
assert_eq 2 "$(bash "$kafka" pids "$dir" | wc -l)" "running nodes"

# Every topic the compose job creates, as it creates them here: 3 partitions,
# replication 2 (the nodes), the changelogs compacted.
kcat -L -J -b "$boot" >"$WORK/meta.json"
want="cheese-report-changelog pizza pizza-orders-changelog pizza-with-cheese pizza-with-meats pizza-with-sauce pizza-with-veggies pizza-with-cheese.dlq pizza-with-meats.dlq pizza-with-sauce.dlq pizza-with-veggies.dlq pizza.dlq"
got=$(jq -r '.topics[] | select(.topic | startswith("__") | not) | .topic' "$WORK/meta.json" | sort | tr '\n' ' ')
assert_eq "$(tr ' ' '\n' <<<"$want" | sort | tr '\n' ' ')" "$got" "topics created"
bad=$(jq -r '.topics[] | select(.topic | startswith("__") | not)
    | select((.partitions | length) != 3 or any(.partitions[]; (.replicas | length) != 2)) | .topic' "$WORK/meta.json")
[[ -z $bad ]] || fail "topics without 3 partitions of 2 replicas: $bad"
bash "$kafka" tool "$dir" org.apache.kafka.tools.TopicCommand --bootstrap-server "$boot" --describe \
    --topics-with-overrides >"$WORK/overrides" 2>>"$WORK/broker.log"
grep -Eq 'Topic: cheese-report-changelog\b.*cleanup\.policy=compact($|[^,])' "$WORK/overrides" ||
    fail "cheese-report-changelog not compacted: $(cat "$WORK/overrides")"
grep -Eq 'Topic: pizza-orders-changelog\b.*cleanup\.policy=compact,delete' "$WORK/overrides" ||
    fail "pizza-orders-changelog not compact,delete: $(cat "$WORK/overrides")"

# 2. One more topic; a record written before a node's kill -9 is read after
# its restart.
bash "$kafka" topic "$dir" extra 2 2>>"$WORK/broker.log" || fail "topic extra failed"
assert_eq 2 "$(kcat -L -J -b "$boot" -t extra | jq '.topics[0].partitions | length')" "partitions of extra"
echo kept | kcat -P -b "$boot" -t extra -p 0 -X acks=all || fail "cannot produce to extra"
bash "$kafka" broker-kill "$dir" 2 2>>"$WORK/broker.log" || fail "broker-kill failed"
assert_eq 1 "$(bash "$kafka" pids "$dir" | wc -l)" "running nodes after broker-kill 2"
bash "$kafka" broker-start "$dir" 2 2>>"$WORK/broker.log" || fail "broker-start failed"
assert_eq 2 "$(bash "$kafka" pids "$dir" | wc -l)" "running nodes after broker-start 2"
assert_eq kept "$(timeout 30 kcat -C -b "$boot" -t extra -p 0 -o beginning -e -q)" "record after the restart"

# 3. stop: nothing left.
bash "$kafka" stop "$dir" 2>>"$WORK/broker.log" || fail "stop failed"
[[ -z $(jvms_of "$dir") ]] || fail "JVMs left after stop: $(jvms_of "$dir")"

# 4. --owner: the cluster ends with its owner.
sleep 600 &
owner=$!
track_pid "$owner"
bash "$kafka" start "$WORK/owned" --owner "$owner" >/dev/null 2>>"$WORK/broker.log" ||
    fail "start --owner failed: $(tail -n 5 "$WORK/broker.log")"
[[ -n $(jvms_of "$WORK/owned") ]] || fail "no JVM for the owned cluster"
kill "$owner"
gone() { [[ -z $(jvms_of "$WORK/owned") ]]; }
wait_until 20 gone
pass
