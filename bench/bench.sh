#!/usr/bin/env bash
# bench/bench.sh: the pipeline's benchmark (see bench/README.md). Starts its own
# dev broker and daemons (tests/lib.sh), measures chain throughput, order
# latency, HTTP rates, memory and CPU per order at moderate rates (the phases
# of BENCH_PHASES), prints one table and writes a JSON file.
# Exits non-zero only when it cannot measure (a daemon died, pizzas or orders
# were lost, a tool failed), never because a target was missed.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PIZZA_ROOT=${PIZZA_ROOT:-$(cd "$BENCH_DIR/.." && pwd)}
# BENCH_BROKER: dev (default) or kafka (a real Apache Kafka from scripts/kafka.sh)
PIZZA_BROKER=${BENCH_BROKER:-${PIZZA_BROKER:-dev}}
# shellcheck source=../tests/lib.sh
source "$PIZZA_ROOT/tests/lib.sh"

PIZZAS=${BENCH_PIZZAS:-60000}
CHAIN_ROUNDS=${BENCH_CHAIN_ROUNDS:-3}
RATE=${BENCH_RATE:-500}
LOAD_SECONDS=${BENCH_SECONDS:-10}
HTTP_SECONDS=${BENCH_HTTP_SECONDS:-10}
CONNECTIONS=${BENCH_CONNECTIONS:-64}
GUARANTEES=${BENCH_GUARANTEES:-"exactly_once at_least_once"}
WARMUP=${BENCH_WARMUP:-100}
GRACE=${BENCH_GRACE:-10}
# BENCH_SCALE: instances of each topping stage in the scaled chain mode (0 or 1: no scaled mode),
# run for each guarantee of BENCH_SCALE_GUARANTEES that BENCH_GUARANTEES runs
SCALE=${BENCH_SCALE:-3}
SCALE_GUARANTEES=${BENCH_SCALE_GUARANTEES-exactly_once}
# BENCH_PHASES: which phases run (in this order whatever the order given):
# chain (chain throughput), pipeline (order latency, HTTP rates, memory per
# order), efficiency (CPU per order at BENCH_EFF_RATES, idle CPU)
PHASES=${BENCH_PHASES:-"chain pipeline efficiency"}
EFF_RATES=${BENCH_EFF_RATES:-"300 100"}
EFF_SECONDS=${BENCH_EFF_SECONDS:-10}
IDLE_SECONDS=${BENCH_IDLE_SECONDS:-30}
EFF_SETTLE_S=3 # after the first order, before the idle window: its commits and fetches are done
JSON_OUT=${BENCH_JSON:-$(dirname "$PIZZA_BIN")/bench-results.json}
STAGES=(sauce cheese meat veggie)

for v in PIZZAS CHAIN_ROUNDS RATE LOAD_SECONDS HTTP_SECONDS CONNECTIONS WARMUP GRACE EFF_SECONDS IDLE_SECONDS; do
    [[ ${!v} =~ ^[0-9]+$ && ${!v} -gt 0 ]] || {
        echo "bench: $v must be a positive integer, got '${!v}'" >&2
        exit 2
    }
done
[[ $SCALE =~ ^[0-9]+$ ]] || { echo "bench: BENCH_SCALE must be a whole number, got '$SCALE'" >&2; exit 2; }
SCALE=$((10#$SCALE))
for g in $GUARANTEES; do
    [[ $g == exactly_once || $g == at_least_once ]] ||
        { echo "bench: BENCH_GUARANTEES: unknown guarantee '$g'" >&2; exit 2; }
done
scaled="" # the guarantees whose scaled mode runs: its ratio needs the one-instance run
for g in $SCALE_GUARANTEES; do
    [[ $g == exactly_once || $g == at_least_once ]] ||
        { echo "bench: BENCH_SCALE_GUARANTEES: unknown guarantee '$g'" >&2; exit 2; }
    if [[ " $GUARANTEES " == *" $g "* ]]; then scaled+="${scaled:+ }$g"; fi
done
((SCALE >= 2)) || scaled=""
SCALE_GUARANTEES=$scaled
for p in $PHASES; do
    [[ $p == chain || $p == pipeline || $p == efficiency ]] ||
        { echo "bench: BENCH_PHASES: unknown phase '$p' (chain, pipeline, efficiency)" >&2; exit 2; }
done
[[ -n ${PHASES// /} ]] || { echo "bench: BENCH_PHASES is empty" >&2; exit 2; }
rates=""
for r in $EFF_RATES; do
    [[ $r =~ ^[0-9]+$ && $((10#$r)) -gt 0 ]] ||
        { echo "bench: BENCH_EFF_RATES: '$r' is not a positive integer" >&2; exit 2; }
    rates+="${rates:+ }$((10#$r))" # the JSON keys them by rate: no leading zeros
done
[[ -n $rates ]] || { echo "bench: BENCH_EFF_RATES is empty" >&2; exit 2; }
EFF_RATES=$rates

# runs PHASE: true when BENCH_PHASES has it.
runs() { [[ " $PHASES " == *" $1 "* ]]; }

if runs pipeline; then
    command -v wrk >/dev/null || { echo "bench: wrk not found (bash scripts/deps.sh)" >&2; exit 2; }
fi
for b in pizza-relay pizza-bench-chain pizza-bench-latency; do
    [[ -x $PIZZA_BIN/$b ]] || { echo "bench: $PIZZA_BIN/$b missing: build first" >&2; exit 2; }
done

lib_init bench
RESULTS=$WORK/results # one JSON file per measurement, merged at the end
mkdir -p "$RESULTS"

# ---------------------------------------------------------------- helpers

say() { printf 'bench: %s\n' "$*" >&2; }

# proc_kb PID FIELD: a /proc/PID/status field in kB (VmHWM, VmRSS).
proc_kb() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }

# record FILE JSON: stores one measurement.
record() { printf '%s\n' "$2" >"$RESULTS/$1.json"; }

# proc_cpu_s PID: CPU seconds (user + system) the process has used.
proc_cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) / hz }' "/proc/$1/stat"; }

# cpu_json: {"NAME": CPU seconds} of every process started here but the broker.
cpu_json() {
    local name cpu='{}'
    for name in "${!LIB_PIDS[@]}"; do
        [[ $name == broker ]] && continue
        cpu=$(jq -c --arg n "$name" --argjson s "$(proc_cpu_s "${LIB_PIDS[$name]}")" '. + {($n): $s}' <<<"$cpu")
    done
    printf '%s\n' "$cpu"
}

# phase_stop PHASE: checks every process of the phase is still alive, records
# its peak RSS and CPU time, stops the daemons, then the broker.
phase_stop() {
    local phase=$1 name pid mem='{}'
    for name in "${!LIB_PIDS[@]}"; do
        [[ $name == broker ]] && continue
        pid=${LIB_PIDS[$name]}
        lib_alive "$pid" || fail "$name died during phase $phase: $(tail -n 3 "$WORK/$name.log")"
        mem=$(jq -c --arg n "$name" --argjson kb "$(proc_kb "$pid" VmHWM)" '. + {($n): $kb}' <<<"$mem")
    done
    record "rss-$phase" "$mem"
    record "cpu-$phase" "$(cpu_json)"
    # SIGTERM to all at once (stop_daemon's own is then a no-op): they shut
    # down side by side, and a group's instances leave together instead of
    # each departure rebalancing those still running
    for name in "${!LIB_PIDS[@]}"; do
        [[ $name == broker ]] || kill -TERM "${LIB_PIDS[$name]}" 2>/dev/null || true
    done
    for name in "${!LIB_PIDS[@]}"; do
        [[ $name == broker ]] && continue
        stop_daemon "$name" || say "$name exited with code $? when stopped"
    done
    stop_broker || true
}

# start_relay STAGE: pizza-relay with the stage's own config, in place of it.
start_relay() {
    local name=relay-$1 log=$WORK/relay-$1.log
    (
        cd "$PIZZA_ROOT" || exit 127
        [[ -z $LIB_BROKER_FD ]] || exec {LIB_BROKER_FD}>&-
        exec "$PIZZA_BIN/pizza-relay" -c "config/$1.ini"
    ) >>"$log" 2>&1 &
    LIB_PIDS[$name]=$! # lib.sh stops it like a daemon (EXIT trap, stop_daemon)
}

# chain_run PHASE COUNT: one pizza-bench-chain run; fails unless all arrived.
chain_run() {
    local out=$WORK/chain-$1.out rc=0
    KAFKA_BOOTSTRAP_SERVERS=$KAFKA_BOOTSTRAP_SERVERS \
        "$PIZZA_BIN/pizza-bench-chain" -t 60 "$2" pizza pizza-with-veggies >"$out" \
        2>>"$WORK/chain.log" || rc=$?
    ((rc == 0)) || fail "chain $1: pizzas lost (exit $rc): $(cat "$out") $(tail -n 2 "$WORK/chain.log")"
    cat "$out"
}

# ---------------------------------------------------------------- chain phases

# broker_cpu_s: CPU seconds the broker has used (the dev broker, or every node
# of the real Kafka: scripts/kafka.sh pids).
broker_cpu_s() {
    local pids pid t=0
    if [[ -n $LIB_KAFKA_DIR ]]; then
        pids=$(bash "$PIZZA_ROOT/scripts/kafka.sh" pids "$LIB_KAFKA_DIR" 2>>"$WORK/broker.log") || true
    else
        pids=${LIB_PIDS[broker]:-}
    fi
    [[ -n $pids ]] || { echo null; return; }
    for pid in $pids; do t=$(awk -v a="$t" -v b="$(proc_cpu_s "$pid")" 'BEGIN { print a + b }'); done
    echo "$t"
}

# assign_events NAME...: the "partitions assigned|revoked|lost" lines these
# daemons logged in their current run (each rebalance logs some).
assign_events() {
    local name n=0 c
    for name in "$@"; do
        c=$(tail -c +"$((${LIB_LOGOFF[$name]} + 1))" "$WORK/$name.log" |
            grep -cE '"msg":"partitions (assigned|revoked|lost)"') || true
        n=$((n + c))
    done
    echo "$n"
}

# assigned_of NAME: the partitions daemon NAME holds now (its /metrics gauge).
assigned_of() {
    curl -sf --max-time 5 "http://127.0.0.1:$(port_of "$1")/metrics" |
        awk '$1 ~ /^pizza_consumer_partitions_assigned[{]/ { v += $2 } END { print v + 0 }'
}

# all_assigned: every instance of every topping stage holds partitions, and
# the instances of a stage hold all of its input's (STAGE_PARTS) together: one
# settled generation of each group. (/ready alone says "some partitions", and
# an instance that is ready can lose them again when the next one joins.)
all_assigned() {
    local s i n sum
    for s in "${STAGES[@]}"; do
        sum=0
        for ((i = 1; i <= SCALE; i++)); do
            n=$(assigned_of "$s-service@$i")
            ((n > 0)) || return 1
            sum=$((sum + n))
        done
        ((sum == ${STAGE_PARTS[$s]})) || return 1
    done
}

declare -A STAGE_PARTS=() # stage -> partitions of its input topic

# stage_partitions: fills STAGE_PARTS from the broker's metadata; fails when a
# stage's input has fewer partitions than BENCH_SCALE (an instance would idle).
stage_partitions() {
    local s topic n
    for s in "${STAGES[@]}"; do
        topic=$(sed -n 's/^input_topic *= *//p' "$PIZZA_ROOT/config/$s.ini")
        n=$(kcat -b "$KAFKA_BOOTSTRAP_SERVERS" -L -J -t "$topic" 2>>"$WORK/kcat.log" |
            jq '[.topics[0].partitions // [] | .[]] | length')
        ((n >= SCALE)) || fail "BENCH_SCALE=$SCALE: topic $topic has $n partitions, fewer than the instances"
        STAGE_PARTS[$s]=$n
    done
}

# chain_phase MODE ROUND: a fresh broker, a warm-up, then the timed run. MODE:
#   relay                        pizza-relay in place of each topping stage
#   exactly_once | at_least_once the four stages, one process each
#   <guarantee>_scaled           each stage as $SCALE instances (NAME@1..N) in its group
chain_phase() {
    local mode=$1 round=$2 g=${1%_scaled} s i name t0 phase0 ev0 ev1 b0 b1 procs=() what="one process each"
    phase0=$(lib_now_ms)
    [[ $mode == relay ]] && what="pizza-relay for each"
    [[ $mode == *_scaled ]] && what="$SCALE instances each"
    say "chain $mode, round $round: $PIZZAS pizzas through the four stages, $what"
    start_broker
    if [[ $mode == relay ]]; then
        for s in "${STAGES[@]}"; do start_relay "$s"; done
    elif [[ $mode == *_scaled ]]; then
        stage_partitions
        for s in "${STAGES[@]}"; do
            for ((i = 1; i <= SCALE; i++)); do procs+=("$s-service@$i"); done
        done
        for name in "${procs[@]}"; do PROCESSING_GUARANTEE=$g lib_launch "$name"; done
        for name in "${procs[@]}"; do lib_await "$name"; done
        wait_until 120 all_assigned
    else
        for s in "${STAGES[@]}"; do procs+=("$s-service"); done
        for name in "${procs[@]}"; do PROCESSING_GUARANTEE=$g lib_launch "$name"; done
        for name in "${procs[@]}"; do lib_await "$name"; done
    fi
    t0=$(lib_now_ms)
    say "chain $mode: started and assigned in $((t0 - phase0)) ms"
    chain_run "warmup-$mode" "$WARMUP" >/dev/null # all groups assigned, clients connected
    say "chain $mode: warm-up done in $(($(lib_now_ms) - t0)) ms"
    # CPU (the stages', the broker's) and rebalances of the timed run alone
    record "cpu0-chain-$mode-$round" "$(cpu_json)"
    b0=$(broker_cpu_s)
    ev0=$(assign_events "${procs[@]}")
    chain_run "$mode" "$PIZZAS" >"$WORK/chain-$mode-$round.json"
    record "cpu1-chain-$mode-$round" "$(cpu_json)"
    b1=$(broker_cpu_s)
    ev1=$(assign_events "${procs[@]}")
    ((ev1 == ev0)) || say "chain $mode: $((ev1 - ev0)) assignment changes during the timed run"
    record "chain-$mode-$round" "$(jq -c --argjson n "$((${#procs[@]} > 0 ? ev1 - ev0 : -1))" \
        --argjson inst "$([[ $mode == *_scaled ]] && echo "$SCALE" || echo 1)" \
        --argjson b0 "$b0" --argjson b1 "$b1" \
        '. + {instances: $inst, broker_cpu_s: (if $b0 == null or $b1 == null then null
                                               else ($b1 - $b0) * 100 | round / 100 end)}
         + (if $n >= 0 then {assign_events: $n} else {} end)' "$WORK/chain-$mode-$round.json")"
    say "chain $mode: $(jq -r '"\(.rate) pizzas/s, \(.duplicates) duplicates"' "$RESULTS/chain-$mode-$round.json")"
    phase_stop "chain-$mode-$round"
    say "chain $mode: phase took $((($(lib_now_ms) - phase0) / 1000)) s"
}

# ---------------------------------------------------------------- pipeline phases

metric() { # metric PORT SERIES: a value from a daemon's /metrics, 0 when absent
    curl -sf --max-time 5 "http://127.0.0.1:$1/metrics" |
        awk -v s="$2" '$1 == s { v = $2 } END { print v + 0 }'
}

order_complete() { # order_complete PORT ID
    curl -sf --max-time 5 "http://127.0.0.1:$1/order/$2" | jq -e '.status == "complete"' >/dev/null
}

# complete_one PORT: one order through everything (so every group is
# assigned); sets COMPLETE_ID to its id.
complete_one() {
    assert_http 201 POST "http://127.0.0.1:$1/order/1"
    COMPLETE_ID=$(jq -r .order_id <<<"$BODY")
    wait_until 60 order_complete "$1" "$COMPLETE_ID"
}

# wrk_run NAME URL [wrk args]: runs wrk, records req/s, p99 and errors.
wrk_run() {
    local name=$1 url=$2 out=$WORK/$1.wrk
    shift 2
    wrk -t2 -c"$CONNECTIONS" -d"${HTTP_SECONDS}s" --latency "$@" "$url" >"$out" 2>&1 ||
        fail "wrk $name failed: $(tail -n 5 "$out")"
    record "$name" "$(awk -f "$BENCH_DIR/wrk-parse.awk" "$out")"
    [[ $(jq .requests "$RESULTS/$name.json") -gt 0 ]] || fail "wrk $name: no requests: $(cat "$out")"
    say "$name: $(jq -r '"\(.rps) req/s, p99 \(.p99_ms) ms, non-2xx \(.non_2xx)"' "$RESULTS/$name.json")"
}

# latency_run NAME PORT RATE SECONDS: an open-loop order latency run, recorded as NAME.
# At most 250 connections, under pizza-service's 256 per client address
# ([http] max_connections_per_ip): when the system falls behind, requests wait
# for a connection (still timed from their due time) instead of being refused.
latency_run() {
    local out=$WORK/$1.out rc=0
    "$PIZZA_BIN/pizza-bench-latency" -r "$3" -d "$4" -g "$GRACE" -c 250 127.0.0.1 "$2" \
        >"$out" 2>>"$WORK/latency.log" || rc=$?
    ((rc == 0)) || fail "pizza-bench-latency failed (exit $rc): $(tail -n 3 "$WORK/latency.log")"
    record "$1" "$(cat "$out")"
    say "${1//-/ }: $(jq -r '"p99 \(.order_ms.p99) ms, \(.complete)/\(.answered_201) complete"' "$out")"
}

# post_phase G PORT: wrk POST, then memory per stored order once all are complete.
post_phase() {
    local g=$1 port=$2 pid rss0 rss1 done0 done1 pending
    pid=$(pid_of pizza-service)
    rss0=$(proc_kb "$pid" VmRSS)
    done0=$(metric "$port" 'pizza_orders{status="complete"}')
    wrk_run "post-$g" "http://127.0.0.1:$port/order/1" -s "$BENCH_DIR/wrk-post.lua"
    all_done() { [[ $(metric "$port" 'pizza_orders{status="pending"}') == 0 ]]; }
    wait_until 120 all_done
    rss1=$(proc_kb "$pid" VmRSS)
    done1=$(metric "$port" 'pizza_orders{status="complete"}')
    pending=$(metric "$port" 'pizza_orders{status="pending"}')
    record "memory-$g" "$(jq -nc --argjson a "$rss0" --argjson b "$rss1" --argjson d0 "$done0" \
        --argjson d1 "$done1" --argjson p "$pending" \
        '{rss_before_kb: $a, rss_after_kb: $b, orders: ($d1 - $d0), pending: $p,
          bytes_per_order: (if $d1 > $d0 then (($b - $a) * 1024 / ($d1 - $d0) | floor) else null end)}')"
}

pipeline_phase() {
    local g=$1 port
    say "pipeline $g: latency at $RATE orders/s for $LOAD_SECONDS s, then wrk"
    export PROCESSING_GUARANTEE=$g
    start_pipeline
    unset PROCESSING_GUARANTEE
    port=$(port_of pizza-service)
    complete_one "$port"
    latency_run "latency-$g" "$port" "$RATE" "$LOAD_SECONDS"
    post_phase "$g" "$port"
    # the newest order: the POST run may have filled the store ([orders]
    # max_orders), which evicts the oldest
    complete_one "$port"
    wrk_run "get-$g" "http://127.0.0.1:$port/order/$COMPLETE_ID"
    phase_stop "pipeline-$g"
}

# ---------------------------------------------------------------- efficiency phases

HZ=$(getconf CLK_TCK)

# eff_snapshot: the CPU the daemons and the broker have used, now: per daemon
# its process's ticks (user + system: exited threads included) and each live
# thread's by tid with its group name, the broker's seconds (broker_cpu_s) and
# the wall clock, as one JSON object. A thread's group is its name (comm) with
# a trailing number, "-" included, made "*" (rdk:broker1 and rdk:broker-1 are
# rdk:broker*): one group per kind of thread, however many clients a daemon has.
eff_snapshot() {
    local name pid
    for name in "${!LIB_PIDS[@]}"; do
        [[ $name == broker ]] && continue
        pid=${LIB_PIDS[$name]}
        lib_alive "$pid" || fail "$name died during the efficiency phase: $(tail -n 3 "$WORK/$name.log")"
        # the process first, then its threads; one that exits meanwhile is skipped
        { cat "/proc/$pid/stat" /proc/"$pid"/task/*/stat 2>/dev/null || true; } | awk -v n="$name" '
            { # "tid (comm) state ...": comm may hold spaces and parentheses, so
              # it ends at the last ")"; utime and stime are fields 14 and 15
              lp = index($0, "("); rp = 0
              for (i = length($0); i > lp; i--) if (substr($0, i, 1) == ")") { rp = i; break }
              if (!lp || !rp) next
              comm = substr($0, lp + 1, rp - lp - 1); gsub(/[\t\n]/, " ", comm)
              split(substr($0, rp + 2), f, " ")
              group = comm; sub(/-?[0-9]+$/, "*", group)
              if (group == "*") group = comm # a name of digits alone stays as it is
              printf "%s\t%s\t%s\t%s\t%d\n", n, NR == 1 ? "process" : substr($0, 1, lp - 2), comm, group, f[12] + f[13]
            }'
    done | jq -R -s -c --argjson t "$(lib_now_ms)" --argjson hz "$HZ" --argjson b "$(broker_cpu_s)" '
        [split("\n")[] | select(length > 0) | split("\t") | {d: .[0], tid: .[1], comm: .[2], group: .[3], ticks: (.[4] | tonumber)}]
        | {t_ms: $t, hz: $hz, broker_s: $b,
           daemons: (group_by(.d) | map({key: .[0].d, value: {
               comm: (map(select(.tid == "process")) | .[0].comm),
               ticks: (map(select(.tid == "process")) | .[0].ticks),
               threads: (map(select(.tid != "process") | {key: .tid, value: {group, ticks}}) | from_entries)}})
               | from_entries)}'
}

# eff_window NAME CMD...: snapshots the CPU (NAME-0, NAME-1) right before and
# right after CMD, which runs in this shell.
eff_window() {
    local name=$1
    shift
    record "$name-0" "$(eff_snapshot)"
    "$@"
    record "$name-1" "$(eff_snapshot)"
}

# efficiency_phase G: a fresh pipeline; one order through it (every group
# assigned), a settle, the idle window, then each rate of BENCH_EFF_RATES as
# an open-loop run, the CPU snapshotted around each (assemble.jq divides).
efficiency_phase() {
    local g=$1 port r
    say "efficiency $g: ${IDLE_SECONDS} s idle, then $EFF_SECONDS s at each of $EFF_RATES orders/s"
    export PROCESSING_GUARANTEE=$g
    start_pipeline
    unset PROCESSING_GUARANTEE
    port=$(port_of pizza-service)
    complete_one "$port"
    sleep "$EFF_SETTLE_S"
    eff_window "eff-$g-idle" sleep "$IDLE_SECONDS"
    say "efficiency $g: idle window done"
    for r in $EFF_RATES; do
        # the "after" snapshot follows pizza-bench-latency's exit: every accepted order is complete
        eff_window "eff-$g-$r" latency_run "efflat-$g-$r" "$port" "$r" "$EFF_SECONDS"
    done
    phase_stop "efficiency-$g"
}

# ---------------------------------------------------------------- report

broker_name() {
    if [[ $LIB_BROKER_KIND == kafka ]]; then
        echo "Apache Kafka $(sed -n 's#^ *image: *apache/kafka:##p' "$PIZZA_ROOT/docker-compose.yml" | head -n 1)"
    else
        echo "pizza-devbroker"
    fi
}

machine_json() {
    jq -nc --arg nproc "$(nproc)" --arg date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
        --arg commit "$(git -C "$PIZZA_ROOT" rev-parse HEAD 2>/dev/null || echo unknown)" \
        --arg dirty "$(git -C "$PIZZA_ROOT" status --porcelain -- common services tools 2>/dev/null | wc -l)" \
        --arg cpu "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)" \
        --arg load "$(cut -d' ' -f1-3 /proc/loadavg)" \
        --arg kernel "$(uname -r)" --arg rdkafka "$(pkg-config --modversion rdkafka 2>/dev/null || echo '?')" \
        --arg broker "$(broker_name)" \
        '{nproc: ($nproc | tonumber), date: $date, git_commit: $commit,
          uncommitted_daemon_files: ($dirty | tonumber), cpu: $cpu, kernel: $kernel,
          librdkafka: $rdkafka, broker: $broker, loadavg_at_end: $load}'
}

params_json() {
    jq -nc --argjson p "$PIZZAS" --argjson rounds "$CHAIN_ROUNDS" --argjson r "$RATE" --argjson s "$LOAD_SECONDS" \
        --argjson h "$HTTP_SECONDS" --argjson c "$CONNECTIONS" --argjson w "$WARMUP" \
        --argjson grace "$GRACE" --arg g "$GUARANTEES" --argjson scale "$SCALE" \
        --arg sg "$SCALE_GUARANTEES" --arg phases "$PHASES" --arg er "$EFF_RATES" \
        --argjson es "$EFF_SECONDS" --argjson is "$IDLE_SECONDS" --argjson settle "$EFF_SETTLE_S" \
        'def words: split(" ") | map(select(length > 0));
         {pizzas: $p, chain_rounds: $rounds, rate: $r, seconds: $s, http_seconds: $h, connections: $c, warmup: $w,
          grace_s: $grace, guarantees: ($g | words), scale: $scale, scale_guarantees: ($sg | words),
          phases: (["chain", "pipeline", "efficiency"] - (["chain", "pipeline", "efficiency"] - ($phases | words))),
          eff_rates: ($er | words | map(tonumber)), eff_seconds: $es, idle_seconds: $is, idle_settle_s: $settle}'
}

# Merges the measurements (one file each) into the result document and
# evaluates the targets against it.
assemble() {
    local f n
    for f in "$RESULTS"/*.json; do
        n=${f##*/}
        jq -c --arg n "${n%.json}" '{($n): .}' "$f"
    done | jq -s --argjson machine "$(machine_json)" --argjson params "$(params_json)" \
        -f "$BENCH_DIR/assemble.jq"
}

main() {
    local g r
    # Rounds interleave the modes, so each ratio compares runs seconds apart
    # on this shared machine (a guarantee's scaled run right after its
    # one-instance run); the report takes the median round.
    if runs chain; then
        for ((r = 1; r <= CHAIN_ROUNDS; r++)); do
            chain_phase relay "$r"
            for g in $GUARANTEES; do
                chain_phase "$g" "$r"
                if [[ " $SCALE_GUARANTEES " == *" $g "* ]]; then chain_phase "${g}_scaled" "$r"; fi
            done
        done
    fi
    if runs pipeline; then
        for g in $GUARANTEES; do pipeline_phase "$g"; done
    fi
    if runs efficiency; then
        for g in $GUARANTEES; do efficiency_phase "$g"; done
    fi
    assemble >"$JSON_OUT.tmp" || fail "cannot assemble the results"
    mv "$JSON_OUT.tmp" "$JSON_OUT"
    bash "$BENCH_DIR/report.sh" "$JSON_OUT"
    printf '\nresults: %s\n' "$JSON_OUT"
    # measured, but the system lost work: that is not a number to compare
    # (a CPU per order over lost orders least of all)
    jq -e '[((.pipeline // {})[], ((.efficiency // {})[] | (.rates // {})[])) | .latency | objects
           | .incomplete + .errors] | add // 0 | . == 0' \
        "$JSON_OUT" >/dev/null || fail "some accepted orders never completed or requests failed (see $JSON_OUT)"
}

main
pass
