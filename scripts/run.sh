#!/usr/bin/env bash
# Installs dependencies, builds, starts the dev broker and all six daemons in
# the foreground with logs prefixed by service; Ctrl-C stops everything.
# PIZZA_BROKER=kafka: a local Apache Kafka (scripts/kafka.sh, one node, data in
# a temporary directory) instead of the dev broker. With KAFKA_BOOTSTRAP_SERVERS
# already set, uses that cluster instead of either.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${BUILD_DIR:-$root/build}/bin
cd "$root"

bash scripts/deps.sh
bash scripts/build.sh

broker=${PIZZA_BROKER:-dev}
[[ $broker == dev || $broker == kafka ]] || { echo "run: PIZZA_BROKER must be dev or kafka" >&2; exit 2; }
rundir=$(mktemp -d "${TMPDIR:-/tmp}/pizza-run.XXXXXX")
names=()
pids=()
kafka_dir=

stop_all() {
    trap - INT TERM EXIT
    echo "run: stopping..." >&2
    # daemons before the broker, so they can still commit and leave their groups
    for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
        kill -TERM "${pids[i]}" 2>/dev/null || true
        wait "${pids[i]}" 2>/dev/null || echo "run: ${names[i]} exited with code $?" >&2
    done
    [ -z "$kafka_dir" ] || bash scripts/kafka.sh stop "$kafka_dir" || true
    rm -rf "$rundir"
    echo "run: stopped" >&2
}
trap stop_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# start NAME COMMAND...: runs COMMAND in the background, output prefixed with [NAME].
start() {
    local name=$1
    shift
    "$@" > >(sed -u "s/^/[$name] /") 2>&1 &
    names+=("$name")
    pids+=($!)
}

if [ -z "${KAFKA_BOOTSTRAP_SERVERS:-}" ] && [ "$broker" = kafka ]; then
    kafka_dir=$rundir/kafka
    echo "run: starting Apache Kafka (first run: fetched with mvn, about a minute)" >&2
    line=$(bash scripts/kafka.sh start "$kafka_dir" --owner $$)
    KAFKA_BOOTSTRAP_SERVERS=${line#bootstrap.servers=}
    export KAFKA_BOOTSTRAP_SERVERS
    echo "run: Apache Kafka at $KAFKA_BOOTSTRAP_SERVERS (logs: $kafka_dir/node-1/server.log)" >&2
elif [ -z "${KAFKA_BOOTSTRAP_SERVERS:-}" ]; then
    # own session: the terminal's Ctrl-C must not stop it before the daemons commit
    setsid "$bin/pizza-devbroker" </dev/null >"$rundir/broker.out" \
        2> >(sed -u 's/^/[devbroker] /' >&2) &
    names+=(pizza-devbroker)
    pids+=($!)
    for _ in $(seq 1 150); do
        grep -q '^bootstrap.servers=' "$rundir/broker.out" && break
        sleep 0.1
    done
    KAFKA_BOOTSTRAP_SERVERS=$(sed -n 's/^bootstrap.servers=//p' "$rundir/broker.out")
    [ -n "$KAFKA_BOOTSTRAP_SERVERS" ] || { echo "run: dev broker did not start" >&2; exit 1; }
    export KAFKA_BOOTSTRAP_SERVERS
    echo "run: dev broker (in-memory, for local use only) at $KAFKA_BOOTSTRAP_SERVERS" >&2
fi

start sauce-service "$bin/sauce-service" -c config/sauce.ini
start cheese-service "$bin/cheese-service" -c config/cheese.ini
start meat-service "$bin/meat-service" -c config/meat.ini
start veggie-service "$bin/veggie-service" -c config/veggie.ini
start cheese-reporter "$bin/cheese-reporter" -c config/cheese-reporter.ini
start pizza-service "$bin/pizza-service" -c config/pizza.ini

for _ in $(seq 1 150); do
    curl -sf localhost:5000/ready >/dev/null 2>&1 && break
    sleep 0.2
done
cat >&2 <<'TRY'

run: all services up. Open http://localhost:5000/ in a browser, or try:
  curl -i -X POST localhost:5000/order/3
  curl -s localhost:5000/order/<order_id> | jq .
  curl -s localhost:5001/report | jq .
  curl -s localhost:5000/metrics
Ctrl-C stops everything.

TRY
# Runs until Ctrl-C, or until any process ends: then everything stops.
rc=0
wait -n "${pids[@]}" || rc=$?
((rc == 0)) || echo "run: a process failed with exit code $rc; stopping the rest" >&2
exit "$rc"


