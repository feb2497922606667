#!/usr/bin/env bash
# A valid event whose result the producer refuses (here: larger than the
# producer's message.max.bytes) is skipped and counted as poison; the stage
# neither spins on it nor stops, and the next event goes through.
# On real Kafka also: an output topic that takes smaller records than the
# producer may write (its max.message.bytes below message.max.bytes) would
# refuse a large result only after it was sent, and the batch would be redone
# forever; the daemon refuses to start instead (exit 2), naming both settings.
set -euo pipefail
# shellcheck source=SCRIPTDIR/../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
lib_init unproducible_event
start_broker
boot=$KAFKA_BOOTSTRAP_SERVERS

if [[ $LIB_BROKER_KIND == kafka ]]; then
    assert_eq ok "$(broker_cmd topic small-out 3 --config max.message.bytes=1500)" "creating small-out"
    rc=0
    (cd "$PIZZA_ROOT" && HTTP_PORT=0 PIZZA_STAGE_OUTPUT_TOPIC=small-out timeout 60 \
        "$PIZZA_BIN/sauce-service" -c config/sauce.ini >"$WORK/small-out.log" 2>&1 </dev/null) || rc=$?
    assert_eq 2 "$rc" "sauce-service exit code with an output topic of max.message.bytes 1500"
    grep -q 'topic small-out takes records of at most 1500 bytes.*message.max.bytes = 1000000' \
        "$WORK/small-out.log" || fail "no line naming both limits in: $(tail -n 3 "$WORK/small-out.log")"
fi

{
    cat "$PIZZA_ROOT/config/sauce.ini"
    printf '\n[kafka.producer]\nmessage.max.bytes = 2000\n'
} >"$WORK/sauce-small.ini"
start_daemon sauce-service -c "$WORK/sauce-small.ini" # the later -c wins

pad=$(printf 'x%.0s' {1..3000})
{
    echo "big|{\"order_id\":\"big\",\"sauce\":\"\",\"cheese\":\"\",\"meats\":\"\",\"veggies\":\"\",\"note\":\"$pad\"}"
    echo 'small|{"order_id":"small","sauce":"","cheese":"","meats":"","veggies":""}'
} | kcat -b "$boot" -P -t pizza -K '|'

output_keys() {
    timeout 20 kcat -b "$boot" -C -t pizza-with-sauce -o beginning -e -q \
        -X isolation.level=read_committed -f '%k\n'
}
small_arrived() { [[ $(output_keys) == small ]]; }
wait_until 20 small_arrived


port=$(port_of sauce-service)
poison_counted() {
    curl -sf "http://127.0.0.1:$port/metrics" | grep -qx 'pizza_events_poison_total{topic="pizza"} 1'
}
wait_until 10 poison_counted
assert_http 200 GET "http://127.0.0.1:$port/ready"
rc=0
stop_daemon sauce-service || rc=$?
assert_eq 0 "$rc" "sauce-service exit code"
# still only the small one: the big one was not produced late either
assert_eq small "$(output_keys)" "keys on pizza-with-sauce after shutdown"

pass
