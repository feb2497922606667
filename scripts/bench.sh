#!/usr/bin/env bash
# Installs dependencies, builds (RelWithDebInfo) and runs the benchmark
# (bench/README.md). BUILD_DIR picks the build directory (default build/);
# BENCH_* variables tune the run.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
bash "$root/scripts/deps.sh"
BUILD_DIR=$build bash "$root/scripts/build.sh" -DCMAKE_BUILD_TYPE=RelWithDebInfo
PIZZA_BIN=$build/bin PIZZA_ROOT=$root exec bash "$root/bench/bench.sh"
