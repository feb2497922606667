#!/usr/bin/env bash
# The pipeline on a secured Apache Kafka (real Kafka only: ctest runs it as
# kafka_secured_cluster): TLS, SCRAM-SHA-512, and an authorizer that denies
# what no ACL allows (scripts/kafka.sh start --secure). Every daemon logs in as
# its own user through config/examples/sasl-scram.env and holds only what
# scripts/kafka-acls.sh grants it.
#
# cheese-reporter also runs through config/examples/sasl-ssl.env (PLAIN).
# Then what a refused daemon does, one refusal at a time:
#   - a CA the brokers' certificate is not from, then a wrong password
#     (sauce-service): /ready names the login failure, the log says it once at
#     error level, and the daemon waits;
#   - one missing ACL of meat-service in turn: its input topic, its output
#     topic, its group, its dead-letter topic: /ready names what is refused
#     (and the log, once), the daemon waits; its transactional id: librdkafka
#     makes that refusal fatal, so the daemon logs it and exits 1 before it
#     reads anything.
# Orders placed meanwhile wait. Once the ACL is granted (or the login fixed),
# every pizza completes exactly once, nothing is dead-lettered, the cheese
# report counts every pizza once, and no password is in a log or /metrics.
set -euo pipefail
export LIB_KAFKA_SECURE=1 LIB_KAFKA_ACLS=none
# shellcheck source=SCRIPTDIR/../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
lib_init secured_cluster
[[ $LIB_BROKER_KIND == kafka ]] || fail "a test of a secured Apache Kafka: run it with PIZZA_BROKER=kafka"
start_broker
lib_kafka_acls grant "${LIB_DAEMONS[@]}"
for name in "${LIB_DAEMONS[@]}"; do lib_launch "$name"; done
for name in "${LIB_DAEMONS[@]}"; do lib_await "$name"; done
pizza=http://127.0.0.1:$(port_of pizza-service)

declare -A ordered=() # order id -> pizzas
order() {
    assert_http 201 POST "$pizza/order/$1"
    ordered[$(jq -r .order_id <<<"$BODY")]=$1
}

ready_reason() { # NAME: /ready's reason, or "ready"
    curl -s --max-time 5 "http://127.0.0.1:$(port_of "$1")/ready" | jq -r '.reason // "ready"'
}

# refused NAME TEXT: NAME's /ready names a refusal containing TEXT, and its log
# said it at error level exactly once (the retries are at debug level).
refused() {
    local name=$1 text=$2 n
    wait_until 60 bash -c '[[ $(curl -s --max-time 5 "$1" | jq -r .reason) == *"kafka refuses: "*"$2"* ]]' _ \
        "http://127.0.0.1:$(port_of "$name")/ready" "$text"
    n=$(tail -c +"$((LIB_LOGOFF[$name] + 1))" "$WORK/$name.log" |
        jq -R -c 'fromjson? | select(.level == "error" and (.msg | startswith("kafka refuses: ")))' |
        grep -cF -- "$text" || true)
    assert_eq 1 "$n" "$name's error lines naming '$text'"
    lib_log "$name refused, as expected: $(ready_reason "$name")"
}

pending() { # ID: the order is not complete
    assert_http 200 GET "$pizza/order/$1"
    [[ $(jq -r .status <<<"$BODY") == pending ]] || fail "order $1 completed while a stage was refused"
}

all_complete() {
    local id
    for id in "${!ordered[@]}"; do
        curl -sf --max-time 5 "$pizza/order/$id" | jq -e '.status == "complete"' >/dev/null || return 1
    done
}

# 1. The whole pipeline, each daemon as itself; then cheese-reporter through
# config/examples/sasl-ssl.env (PLAIN, the Confluent Cloud example) instead.
order 3
wait_until 60 all_complete
stop_daemon cheese-reporter
LIB_KAFKA_ENV=sasl-ssl lib_launch cheese-reporter
lib_await cheese-reporter

# 2. Logins the cluster refuses (sauce-service). A CA of our own that never
# signed the brokers' certificate:
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
    -subj "/CN=not the cluster's CA" -keyout "$WORK/other-ca.key" -out "$WORK/other-ca.pem" 2>/dev/null
stop_daemon sauce-service
order 2
LIB_KAFKA_CA=$WORK/other-ca.pem lib_launch sauce-service
lib_await_listening sauce-service
refused sauce-service "certificate verify failed"
stop_daemon sauce-service
LIB_KAFKA_PASSWORD=not-the-password lib_launch sauce-service
lib_await_listening sauce-service
refused sauce-service "invalid credentials"
stop_daemon sauce-service
lib_launch sauce-service
lib_await sauce-service
wait_until 60 all_complete

# 3. meat-service without one of its ACLs at a time. Each part is what
# kafka-acls.sh grants under that name; TEXT is what /ready then names.
for case in "input:read topic pizza-with-cheese" "output:write to topic pizza-with-meats" \
    "group:consumer group meat-service" "dlq:write to topic pizza-with-cheese.dlq" \
    "txn:Transactional Id authorization failed"; do
    part=${case%%:*} text=${case#*:}
    lib_log "meat-service without its '$part' ACLs"
    stop_daemon meat-service
    lib_kafka_acls revoke meat-service --only "$part"
    order 2
    newest=$(jq -r .order_id <<<"$BODY")
    lib_launch meat-service
    if [[ $part == txn ]]; then
        # fatal in librdkafka: logged, then exit 1 before anything is read
        wait_until 60 bash -c '! kill -0 "$1" 2>/dev/null' _ "$(pid_of meat-service)"
        reap_daemon meat-service || true
        assert_eq 1 "$LIB_EXIT_CODE" "meat-service's exit code without its transactional id"
        grep -F '"level":"error"' "$WORK/meat-service.log" | grep -q "kafka refuses: init transactions: .*$text" ||
            fail "meat-service did not log the refused transactional id"
        pending "$newest"
        lib_kafka_acls grant meat-service --only "$part"
        lib_launch meat-service
    else
        lib_await_listening meat-service
        refused meat-service "$text"
        sleep 2 # time for a pizza to slip through, were the refusal not holding it
        [[ $part == dlq ]] || pending "$newest"
        lib_kafka_acls grant meat-service --only "$part"
    fi
    lib_await meat-service
    wait_until 90 all_complete
    assert_eq ready "$(ready_reason meat-service)" "meat-service's /ready once granted"
done

# 4. Every pizza exactly once, nothing dead-lettered.
want=0
for id in "${!ordered[@]}"; do want=$((want + ordered[$id])); done
read_committed() {
    timeout 60 kcat -b "$KAFKA_BOOTSTRAP_SERVERS" -C -t "$1" -e -q -o beginning \
        -X isolation.level=read_committed -X fetch.wait.max.ms=10 -f '%s\n'
}
read_committed pizza-with-veggies >"$WORK/done"
assert_eq "$want" "$(wc -l <"$WORK/done")" "pizzas on pizza-with-veggies"
assert_eq "$want" "$(jq -r .id "$WORK/done" | sort -u | wc -l)" "distinct pizzas on pizza-with-veggies"
for id in "${!ordered[@]}"; do
    assert_eq "${ordered[$id]}" "$(jq -r --arg id "$id" 'select(.order_id == $id) | .id' "$WORK/done" | wc -l)" \
        "pizzas of order $id on pizza-with-veggies"
done
for t in pizza pizza-with-sauce pizza-with-cheese pizza-with-meats pizza-with-veggies; do
    assert_eq 0 "$(read_committed "$t.dlq" | wc -l)" "dead letters on $t.dlq"
done
report=http://127.0.0.1:$(port_of cheese-reporter)/report
wait_until 30 bash -c '[[ $(curl -sf "$1" | jq "[.[]] | add") == "$2" ]]' _ "$report" "$want"

# 5. No password in any daemon's log or /metrics.
assert_no_secrets
pass
