#!/usr/bin/env bash
# The broker honours Kafka transactions (pizza-devbroker: its patched mock
# cluster; also run on Apache Kafka, to keep the two alike): a
# read_committed consumer sees exactly the records of committed transactions,
# never those of aborted ones or of one left open by a producer killed with
# SIGKILL and replaced; offsets sent with send_offsets_to_transaction are what
# rd_kafka_committed() returns only if their transaction committed; a
# re-initialised transactional.id fences the producer that had it.
set -euo pipefail
# shellcheck source=SCRIPTDIR/../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
lib_init broker_transactions

probe=$PIZZA_BIN/txn_probe
[[ -x $probe ]] || fail "$probe not found (PIZZA_BIN=$PIZZA_BIN)"

# probe ARGS...: runs txn_probe in the foreground; its stderr goes to probe.log.
probe() { "$probe" "$@" 2>>"$WORK/probe.log"; }

# committed_offset PARTITION: group grp's committed offset on txn-in (-1001: none).
committed_offset() { probe committed grp txn-in "$1" || fail "txn_probe committed grp txn-in $1 failed"; }

# start_hung NAME TXNID PREFIX COUNT [GROUP OFFSETS...]: a producer that leaves
# its transaction open; returns once all its records and offsets reached the
# broker. Its pid is in HUNG_PID.
HUNG_PID=
start_hung() {
    local name=$1 deadline
    shift
    "$probe" produce "$1" txn-out "$2" "$3" hang "${@:4}" >"$WORK/$name.out" 2>>"$WORK/probe.log" &
    HUNG_PID=$!
    track_pid "$HUNG_PID"
    deadline=$(($(lib_now_ms) + 30000))
    until grep -qx open "$WORK/$name.out"; do
        lib_alive "$HUNG_PID" || fail "$name producer exited before its transaction was open"
        (($(lib_now_ms) < deadline)) || fail "$name producer did not open its transaction in 30 s"
        sleep 0.05
    done
}

# consume ISOLATION: every value in txn-out, sorted, one per line.
consume() {
    timeout 30 kcat -b "$KAFKA_BOOTSTRAP_SERVERS" -m 10 -X "isolation.level=$1" -C -t txn-out \
        -o beginning -e -q -f '%s\n' | sort || fail "kcat could not consume txn-out"
}

# expected PREFIX:COUNT...: the values those transactions produced, sorted.
expected() {
    local spec i
    for spec in "$@"; do
        for ((i = 0; i < ${spec#*:}; i++)); do echo "${spec%%:*}-$i"; done
    done | sort
}

start_broker --topic txn-out:3 --topic txn-in:3

# Committed: its records and its offset for txn-in [0] become visible.
assert_eq "commit 10" "$(probe produce t1 txn-out committed 10 commit grp txn-in:0:42)" \
    "committed transaction"
assert_eq 42 "$(committed_offset 0)" "offset committed in a transaction"
assert_eq -1001 "$(committed_offset 1)" "offset never committed"

# Aborted: neither its records nor its offsets (txn-in [0] and [1]).
assert_eq "abort 7" "$(probe produce t1 txn-out aborted 7 abort grp txn-in:0:77 txn-in:1:99)" \
    "aborted transaction"
assert_eq 42 "$(committed_offset 0)" "offset after an aborted transaction"
assert_eq -1001 "$(committed_offset 1)" "offset sent only in an aborted transaction"

# Killed with its transaction open, then replaced by a producer with the same
# transactional.id: the open transaction is aborted, the new one commits.
start_hung killed t1 killed 5 grp txn-in:2:66
assert_eq "$(expected committed:10)" "$(consume read_committed)" "records while a transaction is open"
kill -KILL "$HUNG_PID"
wait "$HUNG_PID" 2>/dev/null || true
assert_eq "commit 3" "$(probe produce t1 txn-out later 3 commit grp txn-in:0:50)" \
    "transaction after the killed producer"
assert_eq 50 "$(committed_offset 0)" "offset of the later transaction"
assert_eq -1001 "$(committed_offset 2)" "offset sent only by the killed producer"

# A zombie: a producer that still runs when its transactional.id is taken
# over is fenced, and its commit fails.
start_hung zombie t2 zombie 4 grp txn-in:1:11
assert_eq "commit 2" "$(probe produce t2 txn-out fencer 2 commit)" "transaction fencing a zombie"
kill -TERM "$HUNG_PID" # wakes it up: it tries to commit
rc=0
wait "$HUNG_PID" || rc=$?
assert_eq 1 "$rc" "exit code of the fenced zombie's commit"
assert_eq -1001 "$(committed_offset 1)" "offset sent only by the fenced zombie"

# Left open by a producer that never comes back. Apache Kafka aborts it after
# the producer's transaction.timeout.ms; until then the group's offset on
# txn-in [2] is unstable, and rd_kafka_committed() (require_stable) waits.
# The dev broker has no such timeout: the transaction stays invisible for
# good (the broker then stops with it still staged).
TXN_TIMEOUT_MS=3000 start_hung leftover t3 leftover 2 grp txn-in:2:5
kill -KILL "$HUNG_PID"
wait "$HUNG_PID" 2>/dev/null || true
if [[ $LIB_BROKER_KIND == kafka ]]; then
    # the coordinator looks for expired transactions every 10 s
    never_committed() { [[ $(probe committed grp txn-in 2) == -1001 ]]; }
    wait_until 40 never_committed
else
    assert_eq -1001 "$(committed_offset 2)" "offset sent only in a transaction left open"
fi

want=$(expected committed:10 later:3 fencer:2)
assert_eq "$want" "$(consume read_committed)" "records seen by a read_committed consumer"
if [[ $LIB_BROKER_KIND == kafka ]]; then
    # Kafka keeps every record written, aborted or not, with commit and abort
    # markers: read_uncommitted sees them all.
    assert_eq "$(expected committed:10 aborted:7 killed:5 later:3 zombie:4 fencer:2 leftover:2)" \
        "$(consume read_uncommitted)" "records seen by a read_uncommitted consumer"
else
    # The mock only ever holds committed records, whatever the isolation level.
    assert_eq "$want" "$(consume read_uncommitted)" "records seen by a read_uncommitted consumer"
fi

rc=0
stop_broker || rc=$?
assert_eq 0 "$rc" "broker exit code after SIGTERM"
pass
