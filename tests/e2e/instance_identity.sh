#!/usr/bin/env bash
# Instance identity: a second sauce-service with the shipped config and only
# its own host name (PIZZA_SERVICE_INSTANCE_ID here, as every container has its
# own) runs beside the first, and they share the work: its default
# transactional.id is sauce-service-<instance id>, not the service name, which
# fenced the first within seconds. Two instances given the same id still fence,
# as Kafka intends: the older one exits 1, and no pizza is lost or doubled.
set -euo pipefail
export LC_ALL=C
# shellcheck source=SCRIPTDIR/../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
lib_init instance_identity
start_pipeline
pizza=http://127.0.0.1:$(port_of pizza-service)

# the shipped config, no explicit transactional.id anywhere
grep -q '^transactional' "$PIZZA_ROOT/config/sauce.ini" && fail "config/sauce.ini sets a transactional.id"
start_daemon sauce-service@2
log_tid() { # NAME: the transactional.id NAME logged at start
    tail -c +"$((${LIB_LOGOFF[$1]} + 1))" "$WORK/$1.log" |
        jq -R -r 'fromjson? | .msg | select(startswith("transactional.id ")) | split(" ")[1]' | head -n 1
}
assert_eq "sauce-service-2" "$(log_tid sauce-service@2)" "the second instance's transactional.id"
[[ $(log_tid sauce-service) == sauce-service-* && $(log_tid sauce-service) != sauce-service-2 ]] ||
    fail "the first instance's transactional.id is '$(log_tid sauce-service)'"

ids=()
place() { # N: places N orders of 3 pizzas
    local i
    for ((i = 0; i < $1; i++)); do
        assert_http 201 POST "$pizza/order/3"
        ids+=("$(jq -r .order_id <<<"$BODY")")
    done
}
complete() { # every order placed so far is complete with 3 distinct pizzas
    local id
    for id in "${ids[@]}"; do
        [[ -e $WORK/done-$id ]] && continue
        curl -sf "$pizza/order/$id" | jq -e '.status == "complete" and
            (.pizzas | map(.id) | unique | length) == 3' >/dev/null || return 1
        touch "$WORK/done-$id"
    done
}
committed() { # NAME: its committed batches
    curl -sf "http://127.0.0.1:$(port_of "$1")/metrics" |
        sed -n 's/^pizza_batches_total{outcome="committed"} //p'
}
place 20
wait_until 30 complete
# both stayed and both took part: the group split the partitions between them
lib_alive "$(pid_of sauce-service)" || fail "the first sauce-service exited"
(($(committed sauce-service) > 0 && $(committed sauce-service@2) > 0)) ||
    fail "an instance committed no batch: $(committed sauce-service), $(committed sauce-service@2)"

# A third instance that claims id 2: Kafka fences the older producer with that
# id at its next transaction, and it stops (exit 1) so a supervisor restarts it.
LIB_INSTANCE_ID=2 start_daemon sauce-service@3
assert_eq "sauce-service-2" "$(log_tid sauce-service@3)" "the third instance's transactional.id"
fenced() {
    place 1
    reap_daemon sauce-service@2
}
wait_until 60 fenced
assert_eq 1 "$LIB_EXIT_CODE" "exit code of the fenced instance"
lib_alive "$(pid_of sauce-service)" || fail "the first sauce-service exited"
lib_alive "$(pid_of sauce-service@3)" || fail "the instance that took id 2 exited"
place 10
wait_until 60 complete

# nothing lost or doubled: each order's pizzas, once each, on pizza-with-sauce
for id in "${ids[@]}"; do curl -sf "$pizza/order/$id" | jq -r '.pizzas[].id'; done | sort >"$WORK/want"
kafka_ids() { # TOPIC: pizza ids on TOPIC (read_committed), sorted
    timeout 60 kcat -C -b "$KAFKA_BOOTSTRAP_SERVERS" -t "$1" -o beginning -e -q -X isolation.level=read_committed \
        -X fetch.wait.max.ms=10 -f '%s\n' | jq -r .id | sort
}
assert_eq "$(wc -l <"$WORK/want")" "$((3 * ${#ids[@]}))" "pizzas of ${#ids[@]} orders"
kafka_ids pizza-with-sauce >"$WORK/got"
assert_eq "$(cat "$WORK/want")" "$(cat "$WORK/got")" "pizza-with-sauce holds every pizza exactly once"
pass
