#!/usr/bin/env bash
# Poison on every input topic goes to "<topic>.dlq" with the reason and its
# source coordinates in headers, exactly once per consuming service; the
# daemons go on and the pipeline still completes orders.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
lib_init dead_letter
start_pipeline

kc() { kcat -b "$KAFKA_BOOTSTRAP_SERVERS" -X isolation.level=read_committed "$@"; }

big=$(printf 'x%.0s' {1..70000})
topics=(pizza pizza-with-sauce pizza-with-cheese pizza-with-meats pizza-with-veggies)
for topic in "${topics[@]}"; do
    {
        echo 'bad-1|not json'
        echo 'bad-2|{"order_id":"x"}'
        echo 'bad-3|{"order_id":"x","sauce":"","cheese":1,"meats":"","veggies":""}'
        echo "bad-4|{\"order_id\":\"x\",\"sauce\":\"$big\",\"cheese\":\"\",\"meats\":\"\",\"veggies\":\"\"}"
    } | kcat -b "$KAFKA_BOOTSTRAP_SERVERS" -P -t "$topic" -K '|' -X message.max.bytes=200000
done

# Who reads each topic, and so writes its dead letters.
declare -A readers=([pizza]=sauce-service [pizza-with-sauce]=cheese-service
    [pizza-with-cheese]="cheese-reporter meat-service" [pizza-with-meats]=veggie-service
    [pizza-with-veggies]=pizza-service)

dead_lettered() { # PORT TOPIC: the daemon dead-lettered all 4 events of TOPIC
    curl -sf "http://127.0.0.1:$1/metrics" |
        grep -qx "pizza_events_dead_lettered_total{topic=\"$2\"} 4"
}
for topic in "${topics[@]}"; do
    for reader in ${readers[$topic]}; do
        wait_until 20 dead_lettered "$(port_of "$reader")" "$topic"
    done
done

# The dead letters themselves: one per bad event and reader, value intact,
# reason and coordinates in headers.
# The counters move when a dead letter joins its reader's transaction; the
# copy is readable once that commits.
dlq_complete() { # TOPIC COUNT
    kc -C -t "$1.dlq" -e -q -o beginning -f '%k|%h|%S\n' >"$WORK/dlq"
    (($(wc -l <"$WORK/dlq") >= $2))
}
for topic in "${topics[@]}"; do
    kc -C -t "$topic" -e -q -o beginning -f '%k %p %o %S\n' | grep '^bad-' | sort >"$WORK/src"
    read -ra names <<<"${readers[$topic]}"
    wait_until 10 dlq_complete "$topic" $((4 * ${#names[@]}))
    for reader in ${readers[$topic]}; do
        grep -F "dlq.consumer=$reader" "$WORK/dlq" >"$WORK/mine" || true
        assert_eq 4 "$(wc -l <"$WORK/mine")" "dead letters of $topic by $reader"
        while read -r key partition offset size; do
            line=$(grep "^$key|" "$WORK/mine") || fail "$topic: $key not dead-lettered by $reader"
            headers=${line#*|}
            headers=${headers%|*}
            [[ ,$headers, == *",dlq.topic=$topic,"* ]] || fail "$key: dlq.topic missing: $headers"
            [[ ,$headers, == *",dlq.partition=$partition,"* ]] || fail "$key: dlq.partition: $headers"
            [[ ,$headers, == *",dlq.offset=$offset,"* ]] || fail "$key: dlq.offset: $headers"
            [[ ,$headers, =~ ,dlq\.reason=[^,]+, ]] || fail "$key: no dlq.reason: $headers"
            # the value is kept whole, even the oversize one
            assert_eq "$size" "${line##*|}" "size of dead letter $key of $topic by $reader"
        done <"$WORK/src"
    done
done

# The pipeline goes on.
assert_http 201 POST "http://127.0.0.1:$(port_of pizza-service)/order/2"
id=$(jq -r .order_id <<<"$BODY")
complete() {
    curl -sf "http://127.0.0.1:$(port_of pizza-service)/order/$id" | jq -e '.status == "complete"' >/dev/null
}
wait_until 15 complete
for name in "${LIB_DAEMONS[@]}"; do
    assert_http 200 GET "http://127.0.0.1:$(port_of "$name")/health"
done
pass
