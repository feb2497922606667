#!/usr/bin/env bash
# Leaving the group always ends: many consumers (common/kafka/consumer.c) join, get
# partitions and close, side by side, with the eager and the cooperative
# protocol; every close must finish within consumer_cycles' bound. A close
# whose rebalance callback asked librdkafka for the assignment after the
# final unassign could block forever (a SIGTERM the daemon never finished:
# the request raced the group's termination, which purges it unanswered).
# The race is narrow, so this runs many closes at once on a busy machine.
set -euo pipefail
# shellcheck source=SCRIPTDIR/../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
lib_init consumer_close
start_broker
tool=$PIZZA_BIN/consumer_cycles
[[ -x $tool ]] || fail "$tool not built"

pids=()
for i in 1 2 3 4 5 6; do
    protocol=eager
    ((i % 2)) || protocol=cooperative
    "$tool" "$KAFKA_BOOTSTRAP_SERVERS" pizza "${CYCLES:-6}" "$protocol" \
        >"$WORK/cycles.$i.out" 2>"$WORK/cycles.$i.err" &
    pids+=($!)
    track_pid "$!"
done
for i in "${!pids[@]}"; do
    rc=0
    wait "${pids[$i]}" || rc=$?
    assert_eq 0 "$rc" "consumer_cycles #$((i + 1)) exit code ($(cat "$WORK/cycles.$((i + 1)).err"))"
done
pass
