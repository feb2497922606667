#!/usr/bin/env bash
# Hostile HTTP clients: hundreds of idle and slow (slowloris) connections from
# one address do not stop other clients being served promptly; the request
# deadline closes the slow ones although they keep sending; the per-address
# limit refuses more; heads over the limits get JSON 414/431 answers; garbage
# and pipelined floods leave the daemon serving and making pizzas.
set -euo pipefail
# shellcheck source=SCRIPTDIR/../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
lib_init hostile_http

# Short deadlines keep the test short; the defaults are 10 s and 30 s.
export PIZZA_HTTP_REQUEST_TIMEOUT_S=3 PIZZA_HTTP_IDLE_TIMEOUT_S=30
export PIZZA_HTTP_MAX_CONNECTIONS=700 PIZZA_HTTP_MAX_CONNECTIONS_PER_IP=450
start_pipeline
port=$(port_of pizza-service)
pizza=http://127.0.0.1:$port

metric() { # NAME: its value on pizza-service
    curl -sf "$pizza/metrics" | awk -v n="$1" '$1 == n { print $2 }'
}

# 1. The siege: 250 idle + 150 slowloris + 50 slow-body connections from
#    127.0.0.3 (the per-address limit; an address nothing else here uses, so
#    no lingering connection of ours counts against it), 50 more that must be
#    refused, and 100 normal GETs from 127.0.0.2 meanwhile.
python3 "$PIZZA_ROOT/tests/tools/http_siege.py" --port "$port" --attacker-ip 127.0.0.3 \
    --idle 250 --slow-head 150 --slow-body 50 --extra 50 --requests 100 --give-up 20 \
    >"$WORK/siege.json"
jq -c . "$WORK/siege.json" >&2
siege() { jq -r "$1" "$WORK/siege.json"; }
for kind in idle slow_head slow_body; do
    assert_eq 0 "$(siege ".attackers.$kind.refused")" "$kind connections refused (under the limits)"
done
assert_eq 50 "$(siege .attackers.extra.refused)" "connections over the per-address limit refused"
assert_eq 450 "$(siege .held_during_requests)" "attackers held while the normal client was served"
assert_eq 100 "$(siege '.normal.statuses["200"] // 0')" "normal requests answered 200 during the siege"
# Promptly: each on a new connection, against 450 held ones, on a shared machine.
(($(siege '.normal.max_ms | floor') < 1000)) || fail "a normal request took $(siege .normal.max_ms) ms"
# The deadline counts from the accept however active the client is: 3 s, plus
# at most the watchdog's 0.25 s period and this client's 0.5 s trickle.
assert_eq 0 "$(siege .still_open)" "attackers the server left open"
for kind in idle slow_head slow_body; do
    read -r first last < <(siege ".closed_after_s.$kind | @tsv")
    awk -v a="$first" -v b="$last" 'BEGIN { exit !(a >= 2.9 && b <= 5) }' ||
        fail "$kind connections closed after $first..$last s, not at the 3 s request deadline"
done
assert_eq 450 "$(metric pizza_http_request_timeouts_total)" "connections closed at their deadline"
assert_eq 1 "$(metric pizza_http_connections)" "connections open (this scrape's own)"

# 2. The slots are back: the attacker's address is served again.
assert_http 200 GET "$pizza/health" --interface 127.0.0.3

# 3. Limits on the request head answer with JSON errors.
assert_json_error() { # CODE METHOD URL [curl args...]
    assert_http "$@"
    jq -e '.error | type == "string"' <<<"$BODY" >/dev/null || fail "$2 $3: not a JSON error: ${BODY:0:200}"
}
assert_json_error 431 GET "$pizza/health" -H "X-Big: $(printf 'b%.0s' {1..17000})"
many=()
for i in {1..101}; do many+=(-H "X-F$i: v"); done
assert_json_error 431 GET "$pizza/health" "${many[@]}"
assert_json_error 414 GET "$pizza/order/$(printf 'a%.0s' {1..9000})"
# Far over the limit, libmicrohttpd answers by itself (not JSON) but answers.
assert_http 431 GET "$pizza/health" -H "X-Huge: $(printf 'h%.0s' {1..60000})"
# A head just under the limits is served.
assert_http 200 GET "$pizza/health" -H "X-Big: $(printf 'b%.0s' {1..15000})"

# 4. Garbage, random bytes and a pipelined flood: the daemon goes on.
raw() { # sends stdin on one connection; prints what comes back before the close (5 s at most)
    local fd
    exec {fd}<>"/dev/tcp/127.0.0.1/$port"
    cat >&"$fd" 2>/dev/null || true
    timeout 5 cat <&"$fd" || true
    exec {fd}>&-
}
printf '\x01\xff garbage \r\n\r\n' | raw >/dev/null || true
head -c 200000 /dev/urandom | raw >/dev/null || true
{
    for _ in {1..199}; do printf 'GET /health HTTP/1.1\r\nHost: x\r\n\r\n'; done
    printf 'GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
} | raw >"$WORK/pipelined"
assert_eq 200 "$(grep -o 'HTTP/1.1 200 OK' "$WORK/pipelined" | wc -l)" "answers to 200 pipelined requests"

# A client that half-closes after its request gets its answer and the
# connection closed at once, not after the 30 s idle timeout: 20 times, since
# the half-close can arrive with the request or after it.
python3 - "$port" <<'EOF' || fail "a half-closed connection was held open"
import socket, sys, time
for i in range(20):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
    s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
    s.shutdown(socket.SHUT_WR)
    s.settimeout(5)
    start, data = time.monotonic(), b""
    while chunk := s.recv(65536):
        data += chunk
    took = time.monotonic() - start
    if not data.startswith(b"HTTP/1.1 200") or took > 2:
        sys.exit(f"try {i}: {data[:20]!r} closed after {took:.2f} s")
EOF

# 5. And it still makes pizzas.
assert_http 201 POST "$pizza/order/2"
id=$(jq -r .order_id <<<"$BODY")
complete() { curl -sf "$pizza/order/$id" | jq -e '.status == "complete"' >/dev/null; }
wait_until 20 complete
pass
