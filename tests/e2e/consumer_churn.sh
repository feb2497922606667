#!/usr/bin/env bash
# No message of a partition taken away is handed out: a consumer (common/kafka/
# consumer.c, consumer_poll_batch) reads a topic kept full by kcat while other
# members join and leave its group, and checks every message it is handed
# against the partitions its hooks say it holds. consumer_poll_batch took its
# first message, then read the rest with a call that may serve a revoke:
# librdkafka drops what that call took of the revoked partitions, but the
# first message was handed out anyway. The race is narrow (the revoke must
# come while consumer_poll_batch runs), so the watcher runs with that second
# read 50 ms late (tests/tools/slow_batch_read.c, LD_PRELOAD): most revokes
# then land between the two. Each run is SECONDS (20) of churn, eager and
# cooperative side by side. Registered on real Kafka only
# (kafka_consumer_churn): the dev broker's group too rarely completes a
# rebalance under this churn (eager only there, when run by hand).
set -euo pipefail
# shellcheck source=SCRIPTDIR/../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
lib_init consumer_churn
start_broker --topic churn:12
tool=$PIZZA_BIN/consumer_churn
[[ -x $tool ]] || fail "$tool not built"
seconds=${SECONDS_OF_CHURN:-20}

# Records keep coming, so the readers always have a backlog.
(
    while :; do
        seq 1 5000 | kcat -P -b "$KAFKA_BOOTSTRAP_SERVERS" -t churn -X linger.ms=5 2>/dev/null || sleep 0.2
    done
) &
track_pid "$!"

protocols=(eager)
[[ $LIB_BROKER_KIND == dev ]] || protocols+=(cooperative)
pids=()
for protocol in "${protocols[@]}"; do
    LD_PRELOAD=$PIZZA_BIN/libslow_batch_read.so PIZZA_SLOW_BATCH_READ_MS=50 \
        "$tool" "$KAFKA_BOOTSTRAP_SERVERS" churn "churn-$protocol" "$seconds" watch "$protocol" \
        >"$WORK/watch.$protocol.out" 2>"$WORK/watch.$protocol.err" &
    pids+=($!)
    track_pid "$!"
    for i in 1 2; do
        "$tool" "$KAFKA_BOOTSTRAP_SERVERS" churn "churn-$protocol" "$seconds" churn "$protocol" \
            >/dev/null 2>"$WORK/churn.$protocol.$i.err" &
        track_pid "$!"
    done
done
for i in "${!protocols[@]}"; do
    protocol=${protocols[$i]}
    rc=0
    wait "${pids[$i]}" || rc=$?
    lib_log "$protocol: $(cat "$WORK/watch.$protocol.out")"
    read -r _ handed _ rebalances _ stale <"$WORK/watch.$protocol.out" ||
        fail "$protocol watcher printed nothing (exit $rc): $(tail -n 3 "$WORK/watch.$protocol.err")"
    # the first assignment, then at least one revoke
    ((handed > 0 && rebalances >= 3)) ||
        fail "$protocol: too little to prove anything: $(cat "$WORK/watch.$protocol.out")"
    assert_eq 0 "$stale" "$protocol: messages of unassigned partitions handed out ($(head -n 3 "$WORK/watch.$protocol.err"))"
    assert_eq 0 "$rc" "$protocol watcher exit code"
done
pass
