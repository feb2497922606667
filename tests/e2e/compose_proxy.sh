#!/usr/bin/env bash
# docker-compose.yml's proxy (deploy/compose/nginx.conf) run by the real nginx,
# without Docker: in a network namespace of this test's own (unshare --net, as
# root), tests/tools/compose_net_stub.py stands in for Docker's embedded DNS on
# 127.0.0.11:53 (a service name -> its replicas' addresses, TTL 600 as Docker's)
# and for the replicas (127.0.0.x:5000 and :5001, answering who they are). What
# `docker compose up --scale` relies on:
# - requests to host port 5000 are spread over every pizza-service replica;
# - a replica added (scale up) is used within the resolver's valid=5s, although
#   the DNS answer says 600 s; so is the first replica of a service that had none;
# - a replica that is gone (its address still in DNS) or answers 503 (still
#   restoring) costs a GET nothing: it is tried on another; a POST is not resent;
# - no replica at all: a JSON 503 with Retry-After;
# - the daemons get the client's address in X-Forwarded-For and X-Real-IP, and
#   the Host the client sent.
set -euo pipefail
if [[ -z ${PIZZA_PROXY_NETNS:-} ]]; then
    if [[ $(id -u) -ne 0 ]]; then
        echo "FAIL [compose_proxy]: needs root, for a network namespace (unshare --net) with nginx and a DNS server on port 53" >&2
        exit 1
    fi
    PIZZA_PROXY_NETNS=1 exec unshare --net bash "$0" "$@"
fi
# shellcheck source=SCRIPTDIR/../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
lib_init compose_proxy

PY=/usr/bin/python3
STUB=$PIZZA_ROOT/tests/tools/compose_net_stub.py
CONF=$PIZZA_ROOT/deploy/compose/nginx.conf
command -v nginx >/dev/null || PATH=$PATH:/usr/sbin
command -v nginx >/dev/null || fail "nginx not found (scripts/deps.sh installs it)"
ip link set lo up || fail "cannot bring up lo in the test's network namespace"

HOSTS=$WORK/hosts
declare -A STUB_PIDS=()
# stub NAME ARGS...: starts compose_net_stub.py ARGS in the background (log
# NAME.log) and waits for it to be ready.
stub() {
    local name=$1 i
    shift
    "$PY" "$STUB" "$@" >"$WORK/$name.log" 2>&1 &
    STUB_PIDS[$name]=$!
    track_pid $!
    for ((i = 0; i < 100; i++)); do
        grep -q ready "$WORK/$name.log" && return 0
        lib_alive "${STUB_PIDS[$name]}" || fail "$name exited: $(cat "$WORK/$name.log")"
        sleep 0.05
    done
    fail "$name not ready in 5 s"
}
unstub() { # NAME: the replica is gone; its port refuses connections
    kill "${STUB_PIDS[$1]}"
    wait "${STUB_PIDS[$1]}" 2>/dev/null || true
}

# requests N METHOD URL: N requests; prints each answer's code and replica.
requests() {
    local i out
    for ((i = 0; i < $1; i++)); do
        out=$(curl -s -m 10 -X "$2" -w ' %{http_code}' "$3") || fail "curl $2 $3 failed"
        echo "${out##* } $(jq -r .replica <<<"${out% *}" 2>/dev/null || echo -)"
    done
}

echo "pizza-service 127.0.0.2 127.0.0.3" >"$HOSTS"
stub dns dns "$HOSTS"
stub pizza-a http 127.0.0.2 5000
stub pizza-b http 127.0.0.3 5000

# The replicas share the namespace with nginx (in compose each has its own), so
# nginx listens on 127.0.0.1 only, not on every address: that alone is changed.
sed -E 's#^( *listen )([0-9]+);#\1127.0.0.1:\2;#' "$CONF" >"$WORK/nginx.conf"
assert_eq "$(grep -cE '^ *listen [0-9]+;' "$CONF")" \
    "$(diff "$CONF" "$WORK/nginx.conf" | grep -c '^> *listen 127.0.0.1:')" "listen lines changed"
[[ $(diff "$CONF" "$WORK/nginx.conf" | grep -c '^[<>]') -eq $((2 * $(grep -cE '^ *listen ' "$CONF"))) ]] ||
    fail "more than the listen lines changed"
mkdir -p "$WORK/nginx"
# user root: the namespace's; pid in $WORK: the conf leaves both to the image
nginx -e stderr -p "$WORK/nginx/" -c "$WORK/nginx.conf" -g "daemon off; user root; pid $WORK/nginx.pid;" \
    >"$WORK/nginx.log" 2>&1 &
track_pid $!
for ((i = 0; i < 100; i++)); do
    curl -s -o /dev/null -m 1 http://127.0.0.1:5000/health && break
    sleep 0.05
done
((i < 100)) || fail "nginx did not answer on 5000: $(cat "$WORK/nginx.log")"

# Both replicas serve, and each gets the client's address and Host.
requests 40 GET http://127.0.0.1:5000/order/abc >"$WORK/spread"
[[ $(grep -vc '^200 ' "$WORK/spread") -eq 0 ]] || fail "not all 200: $(sort "$WORK/spread" | uniq -c)"
for r in 127.0.0.2 127.0.0.3; do
    grep -q " $r\$" "$WORK/spread" || fail "replica $r got none of 40 GETs: $(sort "$WORK/spread" | uniq -c)"
done
lib_log "40 GETs over 2 replicas: $(cut -d' ' -f2 "$WORK/spread" | sort | uniq -c | xargs)"
body=$(curl -s -H 'X-Forwarded-For: 203.0.113.9' http://localhost:5000/order/abc?wait=1)
assert_eq "203.0.113.9, 127.0.0.1 127.0.0.1 localhost:5000 GET /order/abc?wait=1" \
    "$(jq -r '"\(.x_forwarded_for) \(.x_real_ip) \(.host) \(.method) \(.path)"' <<<"$body")" \
    "what a replica is told"
assert_eq "POST" "$(curl -s -X POST http://127.0.0.1:5000/order/3 | jq -r .method)" "POST passed on"

# Scale up: a third replica, in DNS at once, is used within valid=5s.
echo "pizza-service 127.0.0.2 127.0.0.3 127.0.0.4" >"$HOSTS"
stub pizza-c http 127.0.0.4 5000
t0=$(lib_now_ms)
# (not `requests | grep -q`: with pipefail, requests cut short by grep's exit fails it)
until requests 5 GET http://127.0.0.1:5000/order/abc >"$WORK/scaled" && grep -q ' 127.0.0.4$' "$WORK/scaled"; do
    (($(lib_now_ms) - t0 < 10000)) || fail "the new replica got no request in 10 s"
    sleep 0.2
done
lib_log "a replica added was used after $(($(lib_now_ms) - t0)) ms"

# A replica still restoring answers 503: GETs go to the others, a POST is not resent.
unstub pizza-b
stub pizza-b503 http 127.0.0.3 5000 503
requests 30 GET http://127.0.0.1:5000/order/abc >"$WORK/restoring"
[[ $(grep -vc '^200 ' "$WORK/restoring") -eq 0 ]] ||
    fail "a GET got a restoring replica's 503: $(sort "$WORK/restoring" | uniq -c)"
requests 30 POST http://127.0.0.1:5000/order/1 >"$WORK/posts"
grep -q '^503 127.0.0.3$' "$WORK/posts" || fail "no POST reached the 503 replica: $(sort "$WORK/posts" | uniq -c)"
posts_b=$(grep -c '"POST /order/1 ' "$WORK/pizza-b503.log" || true)
assert_eq "$(grep -c '^503 ' "$WORK/posts")" "$posts_b" "POSTs the 503 replica got, each answered 503 (none resent)"
lib_log "30 POSTs: $(cut -d' ' -f1 "$WORK/posts" | sort | uniq -c | xargs) (503: the restoring replica's own)"

# A replica gone while DNS still names it: nothing fails.
unstub pizza-a
requests 20 GET http://127.0.0.1:5000/order/abc >"$WORK/gone"
[[ $(grep -vc '^200 127.0.0.4$' "$WORK/gone") -eq 0 ]] ||
    fail "with a replica gone: $(sort "$WORK/gone" | uniq -c)"

# No cheese-reporter at all: JSON 503 + Retry-After; then its first replica.
curl -s -D "$WORK/none.head" -o "$WORK/none.body" http://127.0.0.1:5001/report
head -n 1 "$WORK/none.head" | grep -q ' 503' || fail "no replica: $(cat "$WORK/none.head")"
grep -qi '^Retry-After: 1' "$WORK/none.head" || fail "no Retry-After: $(cat "$WORK/none.head")"
grep -qi '^Content-Type: application/json' "$WORK/none.head" || fail "not JSON: $(cat "$WORK/none.head")"
assert_eq "no cheese-reporter instance reachable" "$(jq -r .error "$WORK/none.body")" "503 body"
echo "cheese-reporter 127.0.0.5" >>"$HOSTS"
stub reporter http 127.0.0.5 5001
t0=$(lib_now_ms)
until [[ $(curl -s http://127.0.0.1:5001/report | jq -r .replica 2>/dev/null) == 127.0.0.5 ]]; do
    (($(lib_now_ms) - t0 < 10000)) || fail "cheese-reporter's first replica got no request in 10 s"
    sleep 0.2
done
lib_log "cheese-reporter's first replica used after $(($(lib_now_ms) - t0)) ms"

pass
