#!/usr/bin/env bash
# Installs dependencies, builds from scratch and runs every test under ctest.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}

bash "$root/scripts/deps.sh"
rm -rf "$build"
BUILD_DIR=$build bash "$root/scripts/build.sh"
cd "$build"
ctest --output-on-failure --timeout 300 "$@"
