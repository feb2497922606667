# Input: an array of {"<measurement>": {...}} (bench.sh's result files);
# $machine, $params: objects. Output: the result document (bench/README.md).
(add // {}) as $r
| # the middle element (the lower one of an even count), null for []
  def median_by(f): sort_by(f) | .[(length - 1) / 2 | floor];
  def median: median_by(.);
  # round N of chain mode $k is "chain-$k-N"; its peak RSS is "rss-chain-$k-N"
  # (modes: relay, <guarantee>, <guarantee>_scaled)
  def rounds($k): [$r | to_entries[] | (.key | capture("^chain-(?<m>[a-z_]+)-(?<n>[0-9]+)$")) as $c
                   | select($c.m == $k) | .value + {round: ($c.n | tonumber)}] | sort_by(.round);
  def peak_rss($k): [$r | to_entries[] | select(.key | test("^rss-chain-" + $k + "-[0-9]+$")) | .value | to_entries[]]
                    | group_by(.key) | map({key: .[0].key, value: (map(.value) | max)}) | from_entries;
  # CPU seconds of all the phase's processes together (the stages, every
  # instance, or the relays) over the whole phase, start-up included
  def cpu_s($k; $n): [$r["cpu-chain-" + $k + "-" + ($n | tostring)] // {} | .[]] | add
                     | if . == null then null else (. * 100 | round) / 100 end;
  # the same over the timed run alone ("cpu0-chain-$k-N", taken after the
  # warm-up, to "cpu1-chain-$k-N", taken when the run ended); null when not recorded
  def cpu_run_s($k; $n): ($k + "-" + ($n | tostring)) as $p
      | if $r["cpu0-chain-" + $p] == null or $r["cpu1-chain-" + $p] == null then null
        else (([$r["cpu1-chain-" + $p][]] | add) - ([$r["cpu0-chain-" + $p][]] | add)) * 100 | round / 100 end;
  def per_pizza_us($s): if $s == null or .pizzas == 0 then null else ($s / .pizzas * 1e6 * 100 | round) / 100 end;
  # microseconds of CPU per timed pizza, every round: of the mode's processes,
  # and of the broker (its "broker_cpu_s" over the same run)
  def cpu_us_per_pizza($k): [rounds($k)[] | per_pizza_us(cpu_run_s($k; .round))];
  def broker_cpu_us_per_pizza($k): [rounds($k)[] | per_pizza_us(.broker_cpu_s)];
  # the median round by rate, every round's rate and CPU, and the worst peak RSS of all rounds
  def chain($k): rounds($k) as $rs
      | if $rs == [] then null
        else ($rs | median_by(.rate))
             + {round_rates: ($rs | map(.rate)), round_cpu_s: ($rs | map(cpu_s($k; .round))),
                round_cpu_us_per_pizza: cpu_us_per_pizza($k),
                cpu_us_per_pizza: (cpu_us_per_pizza($k) | map(select(. != null)) | median),
                round_broker_cpu_us_per_pizza: broker_cpu_us_per_pizza($k),
                broker_cpu_us_per_pizza: (broker_cpu_us_per_pizza($k) | map(select(. != null)) | median),
                peak_rss_kb: peak_rss($k)}
             # assign/revoke log lines of the stages during each timed run (0: no rebalance)
             + (if $rs[0].assign_events == null then {} else {round_assign_events: ($rs | map(.assign_events))} end) end;
  # one ratio per round (runs seconds apart), then their median
  def ratios($k; $base): [rounds($k)[] as $a | rounds($base)[] | select(.round == $a.round and .rate > 0)
                          | ($a.rate / .rate * 1000 | round) / 1000];
  def ratios($k): ratios($k; "relay");
  # CPU per pizza of N instances against one, per round
  def scale_cpu_ratios($g): [rounds($g + "_scaled")[] as $a | rounds($g)[] | select(.round == $a.round)
                             | cpu_run_s($g + "_scaled"; $a.round) as $n | cpu_run_s($g; .round) as $one
                             | select($n != null and $one != null and $one > 0)
                             | ($n / $one * 100 | round) / 100];
  # CPU per pizza against the relay's, per round: what a shared machine's
  # noise moves far less than a rate
  def cpu_ratios($k): [rounds($k)[] as $a | cpu_s($k; $a.round) as $mine
                       | cpu_s("relay"; $a.round) as $relay
                       | select($mine != null and $relay != null and $relay > 0)
                       | ($mine / $relay * 100 | round) / 100];
  def pipe($g): {latency: $r["latency-" + $g], http_post: $r["post-" + $g], http_get: $r["get-" + $g],
                 memory: $r["memory-" + $g], peak_rss_kb: $r["rss-pipeline-" + $g]};
  def ran($phase): ($params.phases // ["chain", "pipeline", "efficiency"]) | index([$phase]) != null;
  def r1: . * 10 | round / 10;
  def r2: . * 100 | round / 100;
  # --- efficiency: CPU snapshots (bench.sh's eff_snapshot) "eff-G-W-0" before and
  # "eff-G-W-1" after a window W (idle, or a rate); $per turns CPU seconds into the
  # figure (µs per order, ms per second). Per daemon: its process's CPU (exited
  # threads included) and, by thread group, that of the threads alive at the end
  # (each from its own tid's ticks before, 0 for a thread started since); rounded by rnd.
  def eff_daemons($a; $b; $per; rnd):
      $b.daemons | with_entries(.key as $n | ($a.daemons[$n] // {ticks: 0, threads: {}}) as $d0
        | .value |= {comm, total: ((.ticks - $d0.ticks) / $b.hz * $per | rnd),
                     threads: ([.threads | to_entries[]
                                | {g: .value.group, t: (.value.ticks - ($d0.threads[.key].ticks // 0))}]
                               | group_by(.g) | map({key: .[0].g, value: (map(.t) | add / $b.hz * $per | rnd)})
                               | sort_by(-.value) | from_entries)});
  # thread groups summed over the daemons; each daemon's own-named threads (its
  # main thread and the threads it starts itself) are "own"
  def eff_threads($d; rnd): [$d[] | .comm as $c | .threads | to_entries[] | {g: (if .key == $c then "own" else .key end), v: .value}]
                       | group_by(.g) | map({key: .[0].g, value: (map(.v) | add | rnd)}) | sort_by(-.value) | from_entries;
  def eff_broker($a; $b; $per; rnd): if $a.broker_s == null or $b.broker_s == null then null
                                     else ($b.broker_s - $a.broker_s) * $per | rnd end;
  def eff_idle($g): $r["eff-" + $g + "-idle-0"] as $a | $r["eff-" + $g + "-idle-1"] as $b
      | if $a == null or $b == null then null
        else (($b.t_ms - $a.t_ms) / 1000) as $s | eff_daemons($a; $b; 1000 / $s; r2) as $d
             | {seconds: ($s | r2), daemons_ms_per_s: ([$d[].total] | add | r2),
                broker_ms_per_s: eff_broker($a; $b; 1000 / $s; r2),
                daemons: ($d | map_values({ms_per_s: .total, threads})), threads: eff_threads($d; r2)} end;
  def eff_rate($g; $rate): ("eff-" + $g + "-" + ($rate | tostring)) as $k
      | $r[$k + "-0"] as $a | $r[$k + "-1"] as $b | $r["efflat-" + $g + "-" + ($rate | tostring)] as $lat
      | if $a == null or $b == null or $lat == null then null
        else $lat.complete as $n
             | (if $n > 0 then 1e6 / $n else null end) as $per
             | if $per == null then {rate: $rate, orders: 0, latency: $lat}
               else eff_daemons($a; $b; $per; r1) as $d
                    | {rate: $rate, seconds: (($b.t_ms - $a.t_ms) / 1000 | r2), orders: $n,
                       daemons_cpu_us_per_order: ([$d[].total] | add | r1),
                       broker_cpu_us_per_order: eff_broker($a; $b; $per; r1),
                       daemons: ($d | map_values({us_per_order: .total, threads})), threads: eff_threads($d; r1),
                       latency: $lat} end end;
  def eff($g): {idle: eff_idle($g),
                rates: ([$params.eff_rates // [] | .[] | tostring as $k | eff_rate($g; .) | select(. != null) | {($k): .}]
                        | add // {}),
                peak_rss_kb: $r["rss-efficiency-" + $g]};
  def target($name; $v; $op; $limit; $unit):
      if $v == null then empty
      else {name: $name, value: $v, op: $op, limit: $limit, unit: $unit,
            ok: (if $op == ">=" then $v >= $limit else $v <= $limit end)} end;
{machine: $machine, params: $params,
 chain: {relay: chain("relay"), exactly_once: chain("exactly_once"), at_least_once: chain("at_least_once"),
         exactly_once_scaled: chain("exactly_once_scaled"), at_least_once_scaled: chain("at_least_once_scaled")},
 pipeline: (if ran("pipeline") then [$params.guarantees[] | {(.): pipe(.)}] | add // {} else {} end),
 efficiency: (if ran("efficiency") then [$params.guarantees[] | {(.): eff(.)}] | add // {} else {} end)}
| .chain.round_ratios_exactly_once = ratios("exactly_once")
| .chain.round_ratios_at_least_once = ratios("at_least_once")
| .chain.ratio_exactly_once = (.chain.round_ratios_exactly_once | median)
| .chain.ratio_at_least_once = (.chain.round_ratios_at_least_once | median)
| .chain.cpu_ratio_exactly_once = (cpu_ratios("exactly_once") | median)
| .chain.cpu_ratio_at_least_once = (cpu_ratios("at_least_once") | median)
| reduce ("exactly_once", "at_least_once") as $g (.;
    if .chain[$g + "_scaled"] == null then del(.chain[$g + "_scaled"])
    else .chain["round_scale_ratios_" + $g] = ratios($g + "_scaled"; $g)
         | .chain["scale_ratio_" + $g] = (.chain["round_scale_ratios_" + $g] | median)
         | .chain["scale_cpu_ratio_" + $g] = (scale_cpu_ratios($g) | median) end)
| . as $d
| .targets = [
    target("chain at_least_once / relay"; $d.chain.ratio_at_least_once; ">="; 0.8; "x"),
    target("chain exactly_once / relay"; $d.chain.ratio_exactly_once; ">="; 0.6; "x"),
    target("latency p99 at_least_once"; $d.pipeline.at_least_once.latency.order_ms.p99; "<="; 30; "ms"),
    target("latency p99 exactly_once"; $d.pipeline.exactly_once.latency.order_ms.p99; "<="; 50; "ms"),
    ($d.pipeline | to_entries[] |
        target("POST /order/1 " + .key; .value.http_post.ok_rps; ">="; 10000; "req/s"),
        target("GET /order/{id} " + .key; .value.http_get.ok_rps; ">="; 50000; "req/s"),
        target("pizza-service per stored order " + .key; .value.memory.bytes_per_order; "<="; 1024; "B")),
    # efficiency at 300 orders/s (bench/README.md); the broker's CPU against the
    # seed's services on the dev broker, so only on the dev broker
    ($d.efficiency | to_entries[] | .key as $g | ($g == "exactly_once") as $eo | .value |
        target("efficiency daemons' CPU per order at 300/s " + $g; .rates["300"].daemons_cpu_us_per_order;
               "<="; (if $eo then 800 else 400 end); "µs"),
        target("efficiency latency p99 at 300/s " + $g; .rates["300"].latency.order_ms.p99;
               "<="; (if $eo then 40 else 15 end); "ms"),
        (if $machine.broker == "pizza-devbroker" then
             target("efficiency broker CPU per order at 300/s " + $g; .rates["300"].broker_cpu_us_per_order; "<="; 513; "µs")
         else empty end),
        target("efficiency idle CPU of the busiest daemon " + $g; ([.idle.daemons // {} | .[].ms_per_s] | max);
               "<="; 2; "ms/s")),
    # a stage's worst peak over every phase it ran in
    # (every instance of a scaled run counts as its stage: NAME@N is NAME)
    ([$d.chain.exactly_once, $d.chain.at_least_once, $d.chain.exactly_once_scaled, $d.chain.at_least_once_scaled,
      $d.pipeline[], $d.efficiency[]] | map(.peak_rss_kb // {})
     | map(to_entries[] | .key |= sub("@[0-9]+$"; "")) | group_by(.key)[]
     | select(.[0].key | test("^(sauce|cheese|meat|veggie)-service$"))
     | target(.[0].key + " peak RSS"; (map(.value) | max); "<="; 16384; "kB"))
  ]
