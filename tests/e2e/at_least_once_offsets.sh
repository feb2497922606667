#!/usr/bin/env bash
# At-least-once commits a batch's input offsets only once its output is
# delivered, asynchronously and about once a second rather than per batch.
# The guarantee holds either way: a stopped stage committed what it had
# delivered before it left (restarted, it does nothing twice: every pizza is
# on pizza-with-sauce once), and a stage killed with SIGKILL loses nothing
# (what it had not committed is done again, and every order completes with
# exactly its pizzas: pizza-service drops the second copies).
set -euo pipefail
# shellcheck source=SCRIPTDIR/../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
lib_init at_least_once_offsets
export PROCESSING_GUARANTEE=at_least_once
start_pipeline
pizza=http://127.0.0.1:$(port_of pizza-service)

order_complete() { # ID COUNT: complete, with COUNT distinct pizzas
    curl -sf --max-time 5 "$pizza/order/$1" |
        jq -e --argjson n "$2" '.status == "complete" and (.pizzas | length) == $n
                                and ([.pizzas[].id] | unique | length) == $n' >/dev/null
}

# post COUNT: one order of COUNT pizzas; its id is appended to ids, its count to counts.
ids=()
counts=()
post() {
    assert_http 201 POST "$pizza/order/$1"
    ids+=("$(jq -r .order_id <<<"$BODY")")
    counts+=("$1")
}

all_complete() {
    local i
    for i in "${!ids[@]}"; do wait_until 60 order_complete "${ids[$i]}" "${counts[$i]}"; done
}

# records TOPIC: how many records the topic holds
records() {
    kcat -b "$KAFKA_BOOTSTRAP_SERVERS" -C -t "$1" -e -q -f 'x\n' 2>>"$WORK/kcat.log" | wc -l
}

# 1. A clean stop commits what was delivered, even within the commit interval.
for _ in $(seq 1 10); do post 2; done
all_complete
stop_daemon sauce-service
restart_daemon sauce-service
post 1 # read after whatever the restarted stage did again
all_complete
assert_eq 21 "$(records pizza-with-sauce)" \
    "records on pizza-with-sauce after a stop and restart (a second copy: offsets not committed at stop)"

# 2. SIGKILL loses nothing: meat-service dies with offsets not committed yet.
for _ in $(seq 1 10); do post 3; done
kill9_daemon meat-service
for _ in $(seq 1 10); do post 1; done
restart_daemon meat-service
all_complete
pizzas=$(IFS=+; echo $((${counts[*]})))
made=$(records pizza-with-meats)
((made >= pizzas)) || fail "pizza-with-meats holds $made records for $pizzas pizzas"
lib_log "$pizzas pizzas, $made records on pizza-with-meats after a SIGKILL (second copies allowed)"
pass
