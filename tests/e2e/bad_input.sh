#!/usr/bin/env bash
# Hostile and mistaken input: every malformed count, bad id, unknown path and
# wrong method gets a 4xx JSON error, never a 500 or a crash; poison events on
# the topics are skipped and the pipeline keeps making pizzas.
set -euo pipefail
# shellcheck source=SCRIPTDIR/../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
lib_init bad_input
start_pipeline
pizza=http://127.0.0.1:$(port_of pizza-service)
report=http://127.0.0.1:$(port_of cheese-reporter)

# assert_error CODE METHOD URL [curl args...]: the status, and a JSON {"error": "..."} body.
assert_error() {
    assert_http "$@"
    jq -e '(.error | type == "string" and length > 0) and (keys == ["error"])' <<<"$BODY" \
        >/dev/null || fail "$2 $3: body is not a JSON error: ${BODY:0:200}"
}

for count in abc 0 -1 1.5 +3 0x10 007 101 99999999999999999999999 "" "%20" "1%00" "%2B3"; do
    assert_error 400 POST "$pizza/order/$count"
done
assert_error 400 POST "$pizza/order/$(printf '9%.0s' {1..5000})"

assert_error 404 GET "$pizza/order/00000000-0000-4000-8000-000000000000"
assert_error 400 GET "$pizza/order/$(printf 'a%.0s' {1..65})"
assert_error 400 GET "$pizza/order/bad%20id"
assert_error 400 GET "$pizza/order/"

for path in /orders /order /order/1/extra /report /nope "/health/x" /index.html /app.js/ /APP.JS; do
    assert_error 404 GET "$pizza$path"
done
assert_error 404 GET "$report/" # the page is pizza-service's alone
assert_error 405 POST "$pizza/"
assert_error 404 POST "$report/order/1"
# invalid UTF-8 in the echoed path (or a character cut by its 100-byte
# limit): still a 404 with a JSON body, never a 503
for path in /%FF /x%C3 /%C0%AF /%ED%A0%80 "/$(printf 'a%.0s' {1..98})%C3%A9"; do
    assert_error 404 GET "$pizza$path"
    assert_error 404 GET "$report$path"
done
assert_error 400 GET "$pizza/order/%FF"

assert_error 405 DELETE "$pizza/order/1"
assert_eq "POST, GET, HEAD" "$(curl -s -D - -o /dev/null -X DELETE "$pizza/order/1" |
    tr -d '\r' | sed -n 's/^Allow: //Ip')" "Allow header of /order/{x}"
assert_error 405 PUT "$pizza/health"
assert_error 405 POST "$report/report"
assert_error 405 POST "$pizza/metrics"

# A body where none is expected: small ones are ignored, large ones refused.
head -c 100000 /dev/zero | tr '\0' x >"$WORK/big"
assert_error 413 POST "$pizza/order/1" --data-binary "@$WORK/big"
# the same without a declared length: the 413 comes once the body is read
assert_error 413 POST "$pizza/order/1" --data-binary "@$WORK/big" -H "Transfer-Encoding: chunked"
# an endless one is cut off after a bounded drain, and the daemon serves on
code=$(head -c 3000000 /dev/zero | curl -s -o /dev/null -w '%{http_code}' --max-time 20 \
    -X POST -H "Transfer-Encoding: chunked" -H "Expect:" --data-binary @- "$pizza/order/1") || true
[[ $code == 413 || $code == 000 ]] || fail "3 MB chunked body: HTTP $code, not 413 or a closed connection"
assert_http 200 GET "$pizza/health"

# Poison on every input topic: not JSON, not an object, missing fields,
# wrong types, empty values, oversize.
big=$(printf 'x%.0s' {1..70000})
for topic in pizza pizza-with-sauce pizza-with-cheese pizza-with-meats pizza-with-veggies; do
    {
        echo 'k|not json'
        echo 'k|[1,2,3]'
        echo 'k|{"order_id":"x"}'
        echo 'k|{"order_id":7,"sauce":"","cheese":"","meats":"","veggies":""}'
        echo 'k|{"order_id":"","sauce":"","cheese":"","meats":"","veggies":""}'
        echo 'k|{"order_id":"x","sauce":"","cheese":1,"meats":"","veggies":""}'
        echo "k|{\"order_id\":\"x\",\"sauce\":\"$big\",\"cheese\":\"\",\"meats\":\"\",\"veggies\":\"\"}"
        echo 'k|'
    } | kcat -b "$KAFKA_BOOTSTRAP_SERVERS" -P -t "$topic" -K '|' -X message.max.bytes=200000
done

poison_seen() { # PORT TOPIC: the daemon counted all 8 poison events of TOPIC
    curl -sf "http://127.0.0.1:$1/metrics" |
        grep -qx "pizza_events_poison_total{topic=\"$2\"} 8"
}
wait_until 15 poison_seen "$(port_of sauce-service)" pizza
wait_until 15 poison_seen "$(port_of cheese-service)" pizza-with-sauce
wait_until 15 poison_seen "$(port_of meat-service)" pizza-with-cheese
wait_until 15 poison_seen "$(port_of cheese-reporter)" pizza-with-cheese
wait_until 15 poison_seen "$(port_of veggie-service)" pizza-with-meats
wait_until 15 poison_seen "$(port_of pizza-service)" pizza-with-veggies

# Every daemon is alive and the pipeline still completes orders.
for name in "${LIB_DAEMONS[@]}"; do
    assert_http 200 GET "http://127.0.0.1:$(port_of "$name")/health"
done
assert_http 201 POST "$pizza/order/2"
id=$(jq -r .order_id <<<"$BODY")
order_complete() { curl -sf "$pizza/order/$id" | jq -e '.status == "complete"' >/dev/null; }
wait_until 10 order_complete
assert_http 200 GET "$report/report"
assert_eq 2 "$(jq '[.[]] | add' <<<"$BODY")" "pizzas counted by cheese-reporter"
pass
