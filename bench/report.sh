#!/usr/bin/env bash
# bench/report.sh RESULTS.json: prints bench.sh's table from its JSON file.
set -euo pipefail
json=${1:?usage: report.sh RESULTS.json}
q() { jq -r "$@" "$json"; }

q '"\nPizza pipeline benchmark  \(.machine.date)  commit \(.machine.git_commit[0:12])  \(.machine.nproc) CPUs  librdkafka \(.machine.librdkafka)  broker \(.machine.broker // "pizza-devbroker")"'
q 'if .machine.uncommitted_daemon_files > 0 then "  (working tree had \(.machine.uncommitted_daemon_files) uncommitted files under common/ services/ tools/)" else empty end'

# a phase that did not run (BENCH_PHASES) prints no section
if q -e '[.chain[]? | objects] | length > 0' >/dev/null; then
    printf '\n1. Chain throughput: %s pizzas injected into "pizza", timed to "pizza-with-veggies";\n   median of %s rounds (modes interleaved, each on a fresh broker)\n' \
        "$(q .params.pizzas)" "$(q '.params.chain_rounds // 1')"
    printf '   %-26s %10s %8s %8s %5s %7s %7s  %s\n' mode pizzas/s seconds distinct dups "x relay" "CPU/pz" target
    q '.chain as $c | ["relay", "exactly_once", "exactly_once_scaled", "at_least_once", "at_least_once_scaled"][] as $k
       | $c[$k] | select(. != null)
       | ($k | rtrimstr("_scaled")) as $g
       | [$k, .instances // 1, .rate, .seconds, .distinct, .duplicates,
          (if $k == "relay" or ($k | endswith("_scaled")) then "-" else ($c["ratio_" + $k] | tostring) end),
          (.cpu_us_per_pizza // "-" | tostring),
          (if $k == "exactly_once" then "≥ 0.6 x relay " + (if $c.ratio_exactly_once >= 0.6 then "ok" else "MISS" end)
           elif $k == "at_least_once" then "≥ 0.8 x relay " + (if $c.ratio_at_least_once >= 0.8 then "ok" else "MISS" end)
           elif $k == "relay" then "(DESIGN.md reference: 280-295k/s)"
           else "\(.instances)/1 instance: \($c["scale_ratio_" + $g]) x rate, \($c["scale_cpu_ratio_" + $g] // "-") x CPU/pizza" end)]
       | @tsv' |
        while IFS=$'\t' read -r k n rate secs distinct dups ratio cpu target; do
            [[ $k == relay ]] && k="relay (zero-work C)"
            [[ $k == *_scaled ]] && k="stages ${k%_scaled} x$n"
            [[ $k == exactly_once || $k == at_least_once ]] && k="stages $k"
            printf '   %-26s %10s %8s %8s %5s %7s %7s  %s\n' "$k" "$rate" "$secs" "$distinct" "$dups" "$ratio" "$cpu" "$target"
        done
    q '.chain | to_entries[] | select(.key | startswith("round_ratios_")) | select(.value | length > 1)
       | "   rounds, \(.key | ltrimstr("round_ratios_")) x relay: \(.value | map(tostring) | join(", "))"'
    q '.chain | to_entries[] | select(.key | startswith("round_scale_ratios_")) | select(.value | length > 1)
       | "   rounds, \(.key | ltrimstr("round_scale_ratios_")) N/1 instance: \(.value | map(tostring) | join(", "))"'
    q '.chain as $c | [["exactly_once", "at_least_once"][] | select($c["cpu_ratio_" + .] != null)
       | "\(.) \($c["cpu_ratio_" + .]) x"] | select(length > 0)
       | "   CPU of the four processes over the phase, x relay (median round): " + join(", ")'
    q 'if [.chain[] | objects | .cpu_us_per_pizza] | any(. != null) then
       "   CPU/pz: µs of CPU (user + system) per pizza of every stage process (relays, stages or all their instances)\n   over the timed run, median round" else empty end'
    q '.chain as $c | [["relay", "exactly_once", "exactly_once_scaled", "at_least_once", "at_least_once_scaled"][] as $k
        | $c[$k] | objects | select(.broker_cpu_us_per_pizza != null)
        | "\($k | sub("_scaled$"; " x\($c[$k].instances)")) \(.broker_cpu_us_per_pizza)"] | select(length > 0)
       | "   the broker'"'"'s CPU/pz over the same runs: " + join(", ")'
    q 'select([.chain | keys[] | select(endswith("_scaled"))] | length > 0)
       | "   x\(.params.scale): each topping stage as \(.params.scale) instances in its consumer group, run right after the\n   one-instance run in each round; N/1 instance is the median of the per-round ratios. \(.machine.nproc) CPUs\n   bound it (bench/README.md)"'
    q '[.chain | to_entries[] | select(.value | type == "object") | select(.value.round_assign_events // [] | any(. > 0))
        | "\(.key) \(.value.round_assign_events | map(tostring) | join(", "))"] | select(length > 0)
       | "   NOTE partition assignment changed during a timed run (assign/revoke log lines per round): " + join("; ")'
fi

if q -e '.pipeline // {} | length > 0' >/dev/null; then
    printf '\n2. Order latency: open loop, POST /order/1 at %s/s for %s s; ms from each due time\n' \
        "$(q .params.rate)" "$(q .params.seconds)"
    printf '   %-14s %6s %6s %7s %6s %6s | %7s %7s %7s %7s | %6s %6s %6s | %s\n' guarantee sent 201 non-201 errors incompl \
        p50 p90 p99 max "POST50" "POST99" "POSTmx" target
    q '.pipeline | to_entries[] | .key as $g | .value.latency | select(. != null)
       | ($g | if . == "exactly_once" then 50 else 30 end) as $lim
       | [$g, .sent, .answered_201, .non_201, .errors, .incomplete, .order_ms.p50, .order_ms.p90, .order_ms.p99,
          .order_ms.max, .post_ms.p50, .post_ms.p99, .post_ms.max,
          "p99 ≤ \($lim) ms " + (if .order_ms.p99 >= 0 and .order_ms.p99 <= $lim then "ok" else "MISS" end)] | @tsv' |
        while IFS=$'\t' read -r g sent ok non err inc p50 p90 p99 max pp50 pp99 ppmax target; do
            printf '   %-14s %6s %6s %7s %6s %6s | %7s %7s %7s %7s | %6s %6s %6s | %s\n' "$g" "$sent" "$ok" "$non" "$err" \
                "$inc" "$p50" "$p90" "$p99" "$max" "$pp50" "$pp99" "$ppmax" "$target"
        done

    printf '\n3. HTTP rate: wrk -t2 -c%s -d%ss --latency (p99 in ms)\n' "$(q .params.connections)" \
        "$(q .params.http_seconds)"
    printf '   %-14s %-16s %10s %8s %8s  %s\n' guarantee request "2xx/s" p99 non-2xx target
    q '.pipeline | to_entries[] | .key as $g
       | (.value.http_post | select(. != null)
          | [$g, "POST /order/1", .ok_rps, .p99_ms, .non_2xx, "≥ 10000 req/s " + (if .ok_rps >= 10000 then "ok" else "MISS" end)]),
         (.value.http_get | select(. != null)
          | [$g, "GET /order/{id}", .ok_rps, .p99_ms, .non_2xx, "≥ 50000 req/s " + (if .ok_rps >= 50000 then "ok" else "MISS" end)])
       | @tsv' |
        while IFS=$'\t' read -r g what rps p99 non target; do
            printf '   %-14s %-16s %10s %8s %8s  %s\n' "$g" "$what" "$rps" "$p99" "$non" "$target"
        done
fi

printf '\n4. Memory: peak RSS (VmHWM, MB) of each process, read just before it stopped\n'
q '([.chain | to_entries[] | select(.value | type == "object") | {phase: ("chain " + .key), rss: .value.peak_rss_kb}]
    + [.pipeline | to_entries[] | {phase: ("pipeline " + .key), rss: .value.peak_rss_kb}]
    + [.efficiency // {} | to_entries[] | {phase: ("efficiency " + .key), rss: .value.peak_rss_kb}])[]
   | "   \(.phase | . + " " * (26 - length))" + ([.rss // {} | to_entries[] | .key |= sub("@[0-9]+$"; "")
       | {key, value: (.value / 1024 * 10 | round / 10)}] | group_by(.key)
       | map(if length == 1 then "\(.[0].key) \(.[0].value)"
             else "\(.[0].key) x\(length) \(map(.value) | min)-\(map(.value) | max)" end)
       | join(", "))'
q '.pipeline | to_entries[] | .key as $g | .value.memory | select(. != null)
   | "   pizza-service per stored order (\($g)): \(.bytes_per_order // "n/a") B over \(.orders) orders (RSS \(.rss_before_kb) -> \(.rss_after_kb) kB)  target ≤ 1024 B " + (if .bytes_per_order != null and .bytes_per_order <= 1024 then "ok" else "MISS" end)'
q '[.targets[] | select(.name | test("peak RSS"))] | if length > 0 then "   topping stages, worst peak: " + (map("\(.name | sub(" peak RSS"; "")) \(.value / 1024 * 10 | round / 10) MB " + (if .ok then "ok" else "MISS" end)) | join(", ")) + "  (target ≤ 16 MB)" else empty end'

# efficiency: a table per rate, then per daemon and per thread group, then idle
if q -e '.efficiency // {} | length > 0' >/dev/null; then
    printf '\n5. Efficiency: open loop POST /order/1 for %s s at each rate on a fresh pipeline per guarantee;\n' \
        "$(q .params.eff_seconds)"
    printf '   CPU (user + system, /proc) over each run per completed order, µs; order latency, ms\n'
    printf '   %-14s %5s %6s %9s %9s %8s %8s  %s\n' guarantee rate orders daemons broker p50 p99 targets
    # the verdicts are assemble.jq's targets (at 300/s only), short-named
    q '.targets as $t | .efficiency | to_entries[] | .key as $g
       | .value.rates // {} | to_entries[] | .key as $rate | .value as $v
       | [$t[] | select($rate == "300" and (.name | startswith("efficiency ") and test(" at 300/s " + $g + "$")))
          | (.name | if test("daemons") then "CPU" elif test("latency") then "p99" else "broker" end)
            + " ≤ \(.limit) " + (if .ok then "ok" else "MISS" end)] as $verdicts
       | [$g, .key, $v.orders, ($v.daemons_cpu_us_per_order // "-" | numbers |= round),
          ($v.broker_cpu_us_per_order // "-" | numbers |= round), $v.latency.order_ms.p50, $v.latency.order_ms.p99,
          (if $verdicts == [] then "-" else $verdicts | join(", ") end)]
       | @tsv' |
        while IFS=$'\t' read -r g rate n cpu broker p50 p99 target; do
            printf '   %-14s %5s %6s %9s %9s %8s %8s  %s\n' "$g" "$rate" "$n" "$cpu" "$broker" "$p50" "$p99" "$target"
        done
    # the six daemons in pipeline order, short names for the columns
    daemons='["pizza-service", "sauce-service", "cheese-service", "meat-service", "veggie-service", "cheese-reporter"]'
    # %-21s: printf pads bytes, and µ is two
    printf '   %-21s %8s %8s %8s %8s %8s %8s\n' "µs/order per daemon" pizza sauce cheese meat veggie reporter
    q --argjson ds "$daemons" '.efficiency | to_entries[] | .key as $g | .value.rates // {} | to_entries[]
       | .value.daemons as $d | ["\($g) \(.key)"] + [$ds[] | $d[.].us_per_order // "-" | numbers |= round] | @tsv' |
        while IFS=$'\t' read -r what a b c d e f; do
            printf '   %-20s %8s %8s %8s %8s %8s %8s\n' "$what" "$a" "$b" "$c" "$d" "$e" "$f"
        done
    printf '   by thread, µs/order summed over the daemons (rdk:* librdkafka'"'"'s, MHD-* libmicrohttpd'"'"'s,\n'
    printf '   own: those named after their daemon, its main thread among them):\n'
    q '.efficiency | to_entries[] | .key as $g | .value.rates // {} | to_entries[]
       | "   \("\($g) \(.key)" | . + " " * (20 - length)) "
         + ([.value.threads // {} | to_entries[] | "\(.key) \(.value | round)"] | join(", "))'

    printf '   idle for %s s (%s s after one order): ms of CPU per s\n' "$(q .params.idle_seconds)" \
        "$(q '.params.idle_settle_s // 3')"
    printf '   %-20s %8s %8s %8s %8s %8s %8s %8s  %s\n' guarantee pizza sauce cheese meat veggie reporter broker \
        "target"
    q --argjson ds "$daemons" '.targets as $t | .efficiency | to_entries[] | .key as $g | .value.idle | select(. != null)
       | .daemons as $d
       | [$g] + [$ds[] | $d[.].ms_per_s // "-" | numbers |= (. * 10 | round / 10)]
         + [.broker_ms_per_s // "-" | numbers |= (. * 10 | round / 10),
            ([$t[] | select(.name == "efficiency idle CPU of the busiest daemon " + $g)
              | "busiest ≤ \(.limit) " + (if .ok then "ok" else "MISS" end)] | first // "-")] | @tsv' |
        while IFS=$'\t' read -r g a b c d e f broker target; do
            printf '   %-20s %8s %8s %8s %8s %8s %8s %8s  %s\n' "$g" "$a" "$b" "$c" "$d" "$e" "$f" "$broker" "$target"
        done
    q '.efficiency | to_entries[] | .key as $g | .value.idle | select(. != null)
       | "   \("\($g) idle" | . + " " * (20 - length)) "
         + ([.threads // {} | to_entries[] | "\(.key) \(.value * 10 | round / 10)"] | join(", "))'
    q '"   reference, DESIGN.md: the seed'"'"'s Python services at 300/s on the dev broker: daemons 2660 µs/order,\n   broker 513 µs/order" + (if .machine.broker == "pizza-devbroker" then " (the broker target)" else " (a different broker from this run'"'"'s: no target here)" end)'
fi

printf '\nTargets: %s of %s met\n' "$(q '[.targets[] | select(.ok)] | length')" "$(q '.targets | length')"
q '.targets[] | "   \(if .ok then "ok  " else "MISS" end)  \(.name): \(.value) \(.unit) (target \(.op) \(.limit))"'
