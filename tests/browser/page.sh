#!/usr/bin/env bash
# browser_page: pizza-service's web page (GET /, /app.js, /app.css) in a real
# browser, Debian's chromium driven by page.test.mjs (playwright-core, axe-core):
# an order placed with the mouse and one with the keyboard, listed and complete
# with their pizzas; the cheese chart growing by them; meat-service stopped
# (its hop's lag grows, not ready) and restarted (lag drains); the whole
# cluster down (503 in words, pipeline status) and up (an order completes);
# 400s for bad counts; no axe violation of impact serious or critical; phone
# and desktop screenshots. Any console error, page error or failed request the
# step did not provoke fails it.
#
# This shell owns the broker and the daemons (tests/lib.sh); node asks it for
# each fault over two fifos, one line each way: "stop NAME", "start NAME",
# "broker down", "broker up" -> "ok" or "error: reason".
#
# Environment: CHROMIUM (/usr/bin/chromium), PIZZA_BROWSER_ARTIFACTS (where the
# screenshots go: <dir>/browser_page; ctest sets build/test-artifacts),
# UPDATE_SCREENSHOT=1 (also copy the desktop one to docs/screenshot.png).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=SCRIPTDIR/../lib.sh
source "$here/../lib.sh"
lib_init browser_page
# "broker down -1" (every broker) is the dev broker's
[[ ${PIZZA_BROKER:-dev} == dev ]] || fail "browser_page runs on the dev broker only"

# A missing browser or node is a failure, never a skip: CI must run this.
chromium=${CHROMIUM:-/usr/bin/chromium}
[[ -x $chromium ]] || fail "no chromium at $chromium (scripts/deps.sh installs Debian's; CHROMIUM=PATH for another)"
command -v node >/dev/null || fail "node not found (scripts/deps.sh installs Debian's nodejs)"
modules=$(bash "$here/setup.sh") || fail "tests/browser/setup.sh could not install playwright-core and axe-core"
artifacts=${PIZZA_BROWSER_ARTIFACTS:-$PIZZA_ROOT/build/test-artifacts}/browser_page
rm -rf "$artifacts" && mkdir -p "$artifacts"

# The page reads the report from cheese-reporter, whose port is only known once
# it listens: it starts first, and pizza-service gets its URL (PIZZA_WEB_REPORT_URL,
# [web] report_url). The other daemons start beside it, as start_pipeline does.
start_broker
lib_launch cheese-reporter
lib_await_listening cheese-reporter
export PIZZA_WEB_REPORT_URL=http://127.0.0.1:$(port_of cheese-reporter)/report
for name in "${LIB_DAEMONS[@]}"; do
    [[ $name == cheese-reporter ]] || lib_launch "$name"
done
for name in "${LIB_DAEMONS[@]}"; do
    if [[ $name == cheese-reporter ]]; then lib_await_ready "$name"; else lib_await "$name"; fi
done

# every daemon this test runs, ready again (after the broker came back)
all_ready() {
    local name
    for name in "${!LIB_PORTS[@]}"; do lib_await_ready "$name"; done
}

# control COMMAND: runs one request from node in this shell (lib state lives
# here: never in $(...)), leaving the reply in $reply. A lib failure (fail)
# ends the test here, and with it node (tracked below).
control() {
    local rc=0
    case $1 in
    "stop "*)
        stop_daemon "${1#stop }" || rc=$?
        if ((rc == 0)); then reply=ok; else reply="error: ${1#stop } exited with code $rc"; fi
        ;;
    "start "*)
        restart_daemon "${1#start }"
        reply=ok
        ;;
    "broker down")
        reply=$(broker_cmd broker down -1)
        ;;
    "broker up")
        reply=$(broker_cmd broker up -1)
        [[ $reply != ok ]] || all_ready
        ;;
    *) reply="error: unknown command '$1'" ;;
    esac
}

req=$WORK/control.req rep=$WORK/control.rep
mkfifo "$req" "$rep"
# read-write opens never block and keep both fifos open whatever node does;
# node's own opens then never block either
exec {req_fd}<>"$req" {rep_fd}<>"$rep"
lib_log "node $(node --version), $("$chromium" --version 2>/dev/null | head -n 1), artifacts in $artifacts"
pizza_url=http://127.0.0.1:$(port_of pizza-service)
(
    exec {req_fd}>&- {rep_fd}>&- {LIB_BROKER_FD}>&-
    cd "$here"
    export PIZZA_URL=$pizza_url
    export REPORT_URL=$PIZZA_WEB_REPORT_URL
    export CONTROL_REQ=$req CONTROL_REP=$rep
    export BROWSER_NODE_MODULES=$modules BROWSER_ARTIFACTS=$artifacts CHROMIUM=$chromium
    exec node page.test.mjs
) &
node_pid=$!
track_pid "$node_pid"
while lib_alive "$node_pid"; do
    line=
    read -r -t 1 -u "$req_fd" line || continue
    lib_log "control: $line"
    reply=
    control "$line"
    lib_log "control: $line -> $reply"
    printf '%s\n' "$reply" >&"$rep_fd"
done
rc=0
wait "$node_pid" || rc=$?
((rc == 0)) || fail "page.test.mjs failed (exit code $rc); screenshots and page HTML in $artifacts"
lib_log "screenshots in $artifacts"
pass
