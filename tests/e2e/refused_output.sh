#!/usr/bin/env bash
# When Kafka refuses a stage's output for reasons that are not the event's (no
# authorization, a failed transaction, a topic or dead-letter topic that does
# not exist yet), nothing is dead-lettered or skipped: the batch is aborted
# and redone after a pause, and once Kafka takes it every event arrives
# exactly once. Only an event whose result is itself unproducible may be
# dead-lettered (unproducible_event). A dead letter Kafka refuses is redone,
# never skipped, and counted once; a rewind whose seek times out is asked again.
set -euo pipefail
# shellcheck source=SCRIPTDIR/../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
lib_init refused_output
start_broker
boot=$KAFKA_BOOTSTRAP_SERVERS

event() { printf '%s|{"order_id":"%s","sauce":"","cheese":"","meats":"","veggies":""}\n' "$1" "$1"; }
keys_of() { # TOPIC: every key on it, sorted (read_committed)
    timeout 20 kcat -b "$boot" -C -t "$1" -o beginning -e -q -X isolation.level=read_committed \
        -f '%k\n' 2>/dev/null | sort
}
metric() { # NAME{LABELS} [DAEMON]: its value on the daemon's /metrics (sauce-service)
    curl -sf "http://127.0.0.1:$(port_of "${2:-sauce-service}")/metrics" |
        awk -v m="$1" '$1 == m { print $2 }'
}
want=$(for i in $(seq 1 20); do echo "k$i"; done | sort)

if [[ $LIB_BROKER_KIND == dev ]]; then
    # The stage's first Produce request fails with TOPIC_AUTHORIZATION_FAILED:
    # the delivery fails, the transaction turns abortable, and every later
    # send of that batch is refused with the same error.
    for i in $(seq 1 20); do event "k$i"; done | kcat -b "$boot" -P -t pizza -K '|'
    assert_eq ok "$(broker_cmd error 0 29 1)" "injecting a Produce error"
    start_daemon sauce-service
    all_out() { [[ $(keys_of pizza-with-sauce) == "$want" ]]; }
    wait_until 30 all_out
    assert_eq "" "$(keys_of pizza.dlq)" "keys on pizza.dlq"
    assert_eq 0 "$(metric 'pizza_events_poison_total{topic="pizza"}')" "poison events counted"
    redone=$(metric pizza_stage_redone_events_total)
    ((redone > 0)) || fail "no batch was redone (pizza_stage_redone_events_total $redone)"

    # pizza-service's dead letters: the first Produce of its batch of five bad
    # completions fails. The batch is redone, never skipped: each bad event is
    # on the dead-letter topic once and counted once, however often its batch
    # was tried.
    bad=$(printf 'bad%s\n' 1 2 3 4 5)
    sed 's/$/|{"order_id":/' <<<"$bad" | kcat -b "$boot" -P -t pizza-with-veggies -K '|'
    assert_eq ok "$(broker_cmd error 0 29 1)" "injecting a Produce error"
    # and the rewind's first seek reports a timeout (tests/tools/fail_seek.c),
    # as a busy broker thread can make it do: asked again, not a reason to stop
    PIZZA_WRAPPER="env LD_PRELOAD=$PIZZA_BIN/libfail_seek.so PIZZA_FAIL_SEEKS=1 ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
        start_daemon pizza-service
    poison() { metric 'pizza_events_poison_total{topic="pizza-with-veggies"}' pizza-service; }
    all_dead_lettered() { [[ $(keys_of pizza-with-veggies.dlq) == "$bad" && $(poison) == 5 ]]; }
    wait_until 30 all_dead_lettered
    sleep 2 # a second count would come with the next batch
    assert_eq 5 "$(poison)" "poison events counted by pizza-service"
    assert_eq 5 "$(metric 'pizza_events_dead_lettered_total{topic="pizza-with-veggies"}' pizza-service)" \
        "dead letters counted by pizza-service"
    aborted=$(metric 'pizza_batches_total{outcome="aborted"}' pizza-service)
    ((aborted > 0)) || fail "pizza-service aborted no batch (pizza_batches_total aborted: $aborted)"
    pass
fi

# Real Kafka does not create topics on use (auto.create.topics.enable=false):
# a stage whose output topic and input's dead-letter topic do not exist yet.
assert_eq ok "$(broker_cmd topic late-in 3)" "creating late-in"
for i in $(seq 1 20); do event "k$i"; done | kcat -b "$boot" -P -t late-in -K '|'
echo 'bad|{"order_id":' | kcat -b "$boot" -P -t late-in -K '|'
PIZZA_STAGE_INPUT_TOPIC=late-in PIZZA_STAGE_OUTPUT_TOPIC=late-out start_daemon sauce-service
# refused at once, or held in the producer queue, depending on when librdkafka
# learns the topics are missing: either way nothing may be skipped or committed
sleep 8
pid=${LIB_PIDS[sauce-service]}
lib_alive "$pid" || fail "sauce-service stopped while its output topic was missing"
assert_eq ok "$(broker_cmd topic late-out 3)" "creating late-out"
assert_eq ok "$(broker_cmd topic late-in.dlq 3)" "creating late-in.dlq"
all_out() { [[ $(keys_of late-out) == "$want" && $(keys_of late-in.dlq) == bad ]]; }
wait_until 120 all_out
assert_eq 1 "$(metric 'pizza_events_poison_total{topic="late-in"}')" "poison events counted"
pass
