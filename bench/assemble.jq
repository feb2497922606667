# Input: an array of {"<measurement>": {...}} (bench.sh's result files);
# $machine, $params: objects. Output: the result document (bench/README.md).
(add // {}) as $r
| def chain($k): if $r["chain-" + $k] then $r["chain-" + $k] + {peak_rss_kb: $r["rss-chain-" + $k]} else null end;
  def pipe($g): {latency: $r["latency-" + $g], http_post: $r["post-" + $g], http_get: $r["get-" + $g],
                 memory: $r["memory-" + $g], peak_rss_kb: $r["rss-pipeline-" + $g]};
  def ratio($a; $b): if $a and $b and $b.rate > 0 then (($a.rate / $b.rate) * 1000 | round) / 1000 else null end;
  def target($name; $v; $op; $limit; $unit):
      if $v == null then empty
      else {name: $name, value: $v, op: $op, limit: $limit, unit: $unit,
            ok: (if $op == ">=" then $v >= $limit else $v <= $limit end)} end;
{machine: $machine, params: $params,
 chain: {relay: chain("relay"), exactly_once: chain("exactly_once"), at_least_once: chain("at_least_once")},
 pipeline: ([$params.guarantees[] | {(.): pipe(.)}] | add // {})}
| .chain.ratio_exactly_once = ratio(.chain.exactly_once; .chain.relay)
| .chain.ratio_at_least_once = ratio(.chain.at_least_once; .chain.relay)
| . as $d
| .targets = [
    target("chain at_least_once / relay"; $d.chain.ratio_at_least_once; ">="; 0.8; "x"),
    target("chain exactly_once / relay"; $d.chain.ratio_exactly_once; ">="; 0.6; "x"),
    target("latency p99 at_least_once"; $d.pipeline.at_least_once.latency.order_ms.p99; "<="; 30; "ms"),
    target("latency p99 exactly_once"; $d.pipeline.exactly_once.latency.order_ms.p99; "<="; 50; "ms"),
    ($d.pipeline | to_entries[] |
        target("POST /order/1 " + .key; .value.http_post.rps; ">="; 10000; "req/s"),
        target("GET /order/{id} " + .key; .value.http_get.rps; ">="; 50000; "req/s"),
        target("pizza-service per stored order " + .key; .value.memory.bytes_per_order; "<="; 1024; "B")),
    # a stage's worst peak over every phase it ran in
    ([$d.chain.exactly_once, $d.chain.at_least_once, $d.pipeline[]] | map(.peak_rss_kb // {})
     | map(to_entries[]) | group_by(.key)[]
     | select(.[0].key | test("^(sauce|cheese|meat|veggie)-service$"))
     | target(.[0].key + " peak RSS"; (map(.value) | max); "<="; 16384; "kB"))
  ]
