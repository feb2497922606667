#!/usr/bin/env bash
# Installs dependencies, builds from scratch and runs every test under ctest:
# once on the normal build, once on an AddressSanitizer + UBSan build (any
# sanitizer report in a daemon fails its test). SANITIZE=0 skips the second.
# CHAOS_ORDERS / CHAOS_LOAD_S / CHAOS_SEED tune tests/e2e/chaos.sh;
# CTEST_PARALLEL (3) is how many tests run at once.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}

bash "$root/scripts/deps.sh"

run_suite() { # BUILD_DIR CTEST_ARGS [cmake args...]
    local dir=$1 select=$2
    shift 2
    rm -rf "$dir"
    BUILD_DIR=$dir bash "$root/scripts/build.sh" "$@"
    # shellcheck disable=SC2086
    # the e2e tests mostly wait on brokers and daemons: three at a time keep two
    # cores busy (the heavy ones are RUN_SERIAL, see tests/CMakeLists.txt)
    (cd "$dir" && ctest --output-on-failure --timeout 300 --parallel "${CTEST_PARALLEL:-3}" $select)
}

echo "== tests: release build" >&2
run_suite "$build" ""
if [ "${SANITIZE:-1}" != 0 ]; then
    echo "== tests: AddressSanitizer + UndefinedBehaviorSanitizer build" >&2
    # Same code under the sanitizers; a shorter chaos run keeps the suite near
    # ten minutes (the release pass runs the full 2,000 orders), and the
    # benchmark's smoke test (label bench) measures nothing a sanitizer adds to.
    CHAOS_ORDERS=${CHAOS_ORDERS:-600} CHAOS_LOAD_S=${CHAOS_LOAD_S:-25} \
        run_suite "$build-asan" "-LE bench" -DPIZZA_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
fi
