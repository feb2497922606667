#!/usr/bin/env bash
# docs/openapi.yaml against the real daemons: tests/tools/openapi_check.py lints
# the spec (and compares it with the route tables in the C sources), then sends
# every documented operation on every daemon, the documented errors (bad count,
# bad or unknown id, bad wait, wrong method, unknown path, oversize body) and
# checks each answer's status, Content-Type, body schema and headers against the
# spec. Phases: all up; veggie-service stopped (pending orders, long polls);
# broker down (503s); pizza-service and cheese-reporter restarted while it is
# down (restoring); broker back. Every operation must have been answered.
set -euo pipefail
# shellcheck source=SCRIPTDIR/../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
lib_init openapi
python=/usr/bin/python3
"$python" -c 'import yaml, jsonschema' 2>/dev/null ||
    fail "$python lacks yaml or jsonschema (Debian python3-yaml python3-jsonschema; bash scripts/deps.sh)"

check() {
    "$python" "$PIZZA_ROOT/tests/tools/openapi_check.py" --spec "$PIZZA_ROOT/docs/openapi.yaml" \
        --root "$PIZZA_ROOT" --state "$WORK/openapi-coverage.json" "$@" ||
        fail "openapi_check $1 ${2:-} found the problems above"
}
ports() {
    local name
    for name in "${LIB_DAEMONS[@]}"; do printf '%s=%s\n' "$name" "$(port_of "$name")"; done
}
ready_is() { # CODE NAME...: every NAME's /ready answers CODE
    local code=$1 name
    shift
    for name in "$@"; do
        [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 \
            "http://127.0.0.1:$(port_of "$name")/ready") == "$code" ]] || return 1
    done
}

check lint
start_pipeline
mapfile -t daemons < <(ports)
check probe normal "${daemons[@]}"

# veggie-service frozen: an order stays pending; the checker resumes it
# (SIGCONT) while a long poll waits, well within the 6 s session timeout.
veggie=$(pid_of veggie-service)
kill -STOP "$veggie"
rc=0
check probe stalled "${daemons[@]}" --cont-pid "$veggie" || rc=$?
kill -CONT "$veggie"
((rc == 0)) || exit "$rc"

assert_eq ok "$(broker_cmd broker down 1)" "broker down"
wait_until 15 ready_is 503 "${LIB_DAEMONS[@]}"
check probe outage "${daemons[@]}"

# restarted while no broker is reachable: they serve HTTP but cannot restore
kill9_daemon pizza-service
kill9_daemon cheese-reporter
restart_daemon pizza-service listening
restart_daemon cheese-reporter listening
check probe restoring "${daemons[@]}"

assert_eq ok "$(broker_cmd broker up 1)" "broker up"
for name in "${LIB_DAEMONS[@]}"; do lib_await_ready "$name"; done
check probe recovered "${daemons[@]}"
check coverage
pass
