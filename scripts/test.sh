#!/usr/bin/env bash
# Installs dependencies, builds from scratch and runs every test under ctest:
# once on the normal build, once on an AddressSanitizer + UBSan build (any
# sanitizer report in a daemon fails its test). SANITIZE=0 skips the second.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}

bash "$root/scripts/deps.sh"

run_suite() { # BUILD_DIR [cmake args...]
    local dir=$1
    shift
    rm -rf "$dir"
    BUILD_DIR=$dir bash "$root/scripts/build.sh" "$@"
    (cd "$dir" && ctest --output-on-failure --timeout 300)
}

echo "== tests: release build" >&2
run_suite "$build"
if [ "${SANITIZE:-1}" != 0 ]; then
    echo "== tests: AddressSanitizer + UndefinedBehaviorSanitizer build" >&2
    run_suite "$build-asan" -DPIZZA_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
fi
