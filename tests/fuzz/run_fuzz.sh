#!/usr/bin/env bash
# Runs one libFuzzer target for FUZZ_SECONDS (default 30) on a copy of its seed
# corpus and regressions in WORKDIR (the source tree is only read), and fails
# on any crash, leak, timeout or oracle failure, naming the saved input.
#   run_fuzz.sh BINARY SEEDS_DIR REGRESSIONS_DIR WORKDIR
set -euo pipefail
bin=$1 seeds=$2 regressions=$3 work=$4
seconds=${FUZZ_SECONDS:-30}
name=$(basename "$bin")

rm -rf "$work"
mkdir -p "$work/corpus" "$work/artifacts"
find "$seeds" "$regressions" -maxdepth 1 -type f ! -name '.*' -exec cp -t "$work/corpus" {} +

rc=0
# -timeout: one input running 10 s is a hang (the targets take microseconds)
UBSAN_OPTIONS=print_stacktrace=1 "$bin" -max_total_time="$seconds" -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$work/artifacts/" \
    "$work/corpus" >"$work/log" 2>&1 || rc=$?

stat() { sed -n "s/^stat::$1: *//p" "$work/log" | tail -1; }
execs=$(stat number_of_executed_units) per_s=$(stat average_exec_per_sec)
echo "$name: ${execs:-?} executions in ${seconds} s (${per_s:-?}/s), corpus $(find "$work/corpus" -type f | wc -l) inputs, exit $rc"
if [ "$rc" != 0 ] || [ -n "$(ls -A "$work/artifacts")" ]; then
    tail -n 60 "$work/log"
    for f in "$work"/artifacts/*; do
        [ -e "$f" ] || continue
        echo "$name: finding saved as $f; once fixed, add it to $regressions/"
    done
    exit 1
fi
