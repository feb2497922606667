#!/usr/bin/env bash
# Installs dependencies, builds, starts the dev broker and all six daemons in
# the foreground with logs prefixed by service; Ctrl-C stops everything.
# With KAFKA_BOOTSTRAP_SERVERS already set, uses that cluster instead.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${BUILD_DIR:-$root/build}/bin
cd "$root"

bash scripts/deps.sh
bash scripts/build.sh

pids=()
stop_all() {
    trap - INT TERM EXIT
    echo "run: stopping..." >&2
    # daemons first so they can commit and leave their groups, the broker last
    for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
        kill -TERM "${pids[i]}" 2>/dev/null || true
        wait "${pids[i]}" 2>/dev/null || true
    done
    echo "run: stopped" >&2
}
trap stop_all INT TERM EXIT

if [ -z "${KAFKA_BOOTSTRAP_SERVERS:-}" ]; then
    exec {broker_out}< <("$bin/pizza-devbroker" </dev/null 2> >(sed -u 's/^/[devbroker] /' >&2))
    pids+=($!)
    read -r -t 15 line <&"$broker_out" || { echo "run: dev broker did not start" >&2; exit 1; }
    export KAFKA_BOOTSTRAP_SERVERS=${line#bootstrap.servers=}
    echo "run: dev broker (in-memory, for local use only) at $KAFKA_BOOTSTRAP_SERVERS" >&2
fi

start() { # NAME CONFIG
    "$bin/$1" -c "config/$2.ini" > >(sed -u "s/^/[$1] /") 2>&1 &
    pids+=($!)
}
start sauce-service sauce
start cheese-service cheese
start meat-service meat
start veggie-service veggie
start cheese-reporter cheese-reporter
start pizza-service pizza

for _ in $(seq 1 150); do
    curl -sf localhost:5000/ready >/dev/null 2>&1 && break
    sleep 0.2
done
cat >&2 <<'TRY'

run: all services up. Try:
  curl -i -X POST localhost:5000/order/3
  curl -s localhost:5000/order/<order_id> | jq .
  curl -s localhost:5001/report | jq .
  curl -s localhost:5000/metrics
Ctrl-C stops everything.

TRY
wait -n "${pids[@]}" || true
echo "run: a process exited; stopping the rest" >&2
