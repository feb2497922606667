#!/usr/bin/env bash
# Broker liveness (/ready, POST) is read from librdkafka's statistics, so its
# window follows statistics.interval.ms: with statistics every 5 s a healthy
# daemon stays ready, instead of flapping to 503 between two of them; and
# statistics turned off is refused at start, not a daemon that is never ready.
set -euo pipefail
# shellcheck source=SCRIPTDIR/../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
lib_init stats_interval

rc=0
KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:9 KAFKA_STATISTICS_INTERVAL_MS=0 \
    timeout 10 "$PIZZA_BIN/sauce-service" -c "$PIZZA_ROOT/config/sauce.ini" >"$WORK/out" 2>"$WORK/err" </dev/null || rc=$?
assert_eq 2 "$rc" "exit code with statistics.interval.ms = 0 (124: it ran on)"
grep -q 'statistics.interval.ms' "$WORK/err" || fail "no word of statistics.interval.ms in: $(cat "$WORK/err")"

start_broker
KAFKA_STATISTICS_INTERVAL_MS=5000 start_daemon sauce-service
ready=http://127.0.0.1:$(port_of sauce-service)/ready
not_ready=0
for _ in $(seq 1 60); do # 12 s: two intervals and more
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$ready") || true
    [[ $code == 200 ]] || not_ready=$((not_ready + 1))
    sleep 0.2
done
assert_eq 0 "$not_ready" "/ready answers other than 200 in 12 s of a healthy broker"
pass
