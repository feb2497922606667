#!/usr/bin/env bash
# bench/smoke.sh: ctest's bench_smoke. Runs bench.sh with tiny parameters (one
# guarantee, its scaled mode and a 1 s efficiency phase included: about two minutes)
# and checks that the JSON holds every section with sane numbers. Targets are not
# checked: a smoke run is too short.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=$(mktemp "${TMPDIR:-/tmp}/pizza-bench-smoke.XXXXXX.json")
trap 'rm -f "$out"' EXIT
guarantees=${BENCH_SMOKE_GUARANTEES:-at_least_once}
BENCH_PIZZAS=3000 BENCH_CHAIN_ROUNDS=2 BENCH_RATE=100 BENCH_SECONDS=2 BENCH_HTTP_SECONDS=1 BENCH_GRACE=10 \
    BENCH_GUARANTEES=$guarantees BENCH_SCALE=3 BENCH_SCALE_GUARANTEES=$guarantees BENCH_JSON=$out \
    BENCH_PHASES="chain pipeline efficiency" BENCH_EFF_RATES="300 50" BENCH_EFF_SECONDS=1 BENCH_IDLE_SECONDS=1 \
    bash "$here/bench.sh"

check() { # check DESCRIPTION JQ_EXPRESSION
    if jq -e "$2" "$out" >/dev/null; then
        printf 'ok: %s\n' "$1"
    else
        printf 'FAIL [bench_smoke]: %s: %s\n' "$1" "$2" >&2
        jq . "$out" >&2
        exit 1
    fi
}
check "machine facts" '.machine.nproc > 0 and (.machine.git_commit | length) > 0 and (.machine.date | length) > 0'
check "relay: every pizza once" '.chain.relay | .distinct == 3000 and .missing == 0 and .rate > 0'
check "stages: every pizza" '[.params.guarantees[] as $g | .chain[$g] | .distinct == 3000 and .missing == 0 and .rate > 0] | all'
check "ratios" '[.params.guarantees[] as $g | .chain["ratio_" + $g] > 0] | all'
check "two rounds, the lower median reported" \
    '[.params.guarantees[] as $g | .chain as $c | $c["round_ratios_" + $g] | length == 2 and min == $c["ratio_" + $g]] | all'
check "latency: every order accepted and complete" \
    '[.pipeline[].latency | .sent == 200 and .answered_201 == 200 and .complete == 200 and .incomplete == 0 and .errors == 0] | all'
check "latency percentiles" '[.pipeline[].latency | .order_ms.p50 > 0 and .order_ms.p50 <= .order_ms.p99 and .order_ms.p99 <= .order_ms.max and .post_ms.p99 > 0] | all'
check "wrk POST and GET" '[.pipeline[] | .http_post.ok_rps > 0 and .http_get.ok_rps > 0 and .http_get.non_2xx == 0 and .http_post.p99_ms > 0] | all'
check "memory per order" '[.pipeline[].memory | .orders > 0 and .pending == 0 and .bytes_per_order != null] | all'
check "scaled: every pizza, N instances each" \
    '.params.scale as $n | (.params.scale_guarantees | length) > 0 and all(.params.scale_guarantees[] as $g | .chain[$g + "_scaled"]
     | .distinct == 3000 and .missing == 0 and .rate > 0 and .instances == $n and (.peak_rss_kb | length) == 4 * $n; .)'
check "scaled: a N/1 instance ratio per round" \
    '[.params.scale_guarantees[] as $g | .chain as $c | $c["round_scale_ratios_" + $g] | length == 2 and min == $c["scale_ratio_" + $g]] | all'
check "CPU per pizza of every mode" '[.chain[] | objects | .cpu_us_per_pizza > 0 and (.round_cpu_us_per_pizza | length) == 2] | all'
check "peak RSS of every process" '[.chain.relay.peak_rss_kb, (.params.guarantees[] as $g | .pipeline[$g].peak_rss_kb) | length >= 4 and (to_entries | all(.value > 1000))] | all'
check "efficiency: a run per rate, every order complete" \
    '[.params.guarantees[] as $g | .efficiency[$g].rates | (keys_unsorted == ["300", "50"]) and all(.[];
      .orders == .rate and .latency.complete == .rate and .latency.incomplete == 0 and .latency.order_ms.p99 > 0)] | all'
check "efficiency: CPU per order of the six daemons, their threads by group, and the broker's" \
    '[.efficiency[].rates[] | .daemons_cpu_us_per_order > 0 and .broker_cpu_us_per_order > 0 and (.daemons | length) == 6
      and all(.daemons[]; .us_per_order >= 0 and (.threads | has("rdk:main") and has("rdk:broker*")))
      and (.threads | has("own") and (keys | all(test("[0-9]$") | not))) and (.daemons_cpu_us_per_order
      - ([.daemons[].us_per_order] | add) | fabs) < 1] | all'
check "efficiency: idle CPU of the six daemons and the broker" \
    '[.efficiency[].idle | .seconds >= 1 and (.daemons | length) == 6 and all(.daemons[]; .ms_per_s >= 0)
      and .broker_ms_per_s >= 0] | all'
check "efficiency: peak RSS of the six daemons" '[.efficiency[].peak_rss_kb | length == 6] | all'
check "targets evaluated" '(.targets | length) >= 11 and all(.targets[]; .ok == true or .ok == false)'
echo "PASS [bench_smoke]"
