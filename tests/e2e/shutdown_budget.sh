#!/usr/bin/env bash
# A stopping daemon always goes. With the broker frozen (SIGSTOP: sockets
# open, nothing answers, as in a long GC pause or a network partition), a
# SIGTERMed stage cannot commit or leave its group; past its
# [service] shutdown_timeout_s it exits 1 anyway, so a supervisor restarts it,
# and its log names what it was stuck in. Nothing is lost: what it had not
# committed is read again by the next instance.
set -euo pipefail
# shellcheck source=SCRIPTDIR/../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
lib_init shutdown_budget
start_broker
if [[ -n $LIB_KAFKA_DIR ]]; then
    mapfile -t brokers < <(bash "$PIZZA_ROOT/scripts/kafka.sh" pids "$LIB_KAFKA_DIR")
else
    brokers=("${LIB_PIDS[broker]}")
fi
{
    cat "$PIZZA_ROOT/config/sauce.ini"
    printf '\n[service]\nshutdown_timeout_s = 1\n'
} >"$WORK/sauce-1s.ini"
start_daemon sauce-service -c "$WORK/sauce-1s.ini"

event() { printf '%s|{"order_id":"%s","sauce":"","cheese":"","meats":"","veggies":""}\n' "$1" "$1"; }
output_keys() {
    timeout 20 kcat -b "$KAFKA_BOOTSTRAP_SERVERS" -C -t pizza-with-sauce -o beginning -e -q \
        -X isolation.level=read_committed -f '%k\n' | sort
}
event before | kcat -b "$KAFKA_BOOTSTRAP_SERVERS" -P -t pizza -K '|'
before_done() { [[ $(output_keys) == before ]]; }
wait_until 20 before_done

kill -STOP "${brokers[@]}"
t0=$(lib_now_ms) rc=0
stop_daemon sauce-service || rc=$?
took=$(($(lib_now_ms) - t0))
kill -CONT "${brokers[@]}"
assert_eq 1 "$rc" "exit code of a stage stopping past its 1 s shutdown_timeout_s"
((took < 5000)) || fail "sauce-service took $took ms to stop with a 1 s budget"
jq -e -R 'fromjson? | select(.level == "error" and (.msg | test("did not stop within 1 s; it was [a-z]")))' \
    "$WORK/sauce-service.log" >/dev/null || fail "no log line naming what the stop was stuck in"

# The next instance goes on, with nothing lost or doubled.
restart_daemon sauce-service
event after | kcat -b "$KAFKA_BOOTSTRAP_SERVERS" -P -t pizza -K '|'
both_done() { [[ $(output_keys | tr '\n' ' ') == "after before " ]]; }
wait_until 60 both_done
pass
