#!/usr/bin/env bash
# Installs dependencies, builds from scratch and runs every test under ctest:
# once on the normal build (gcc), once on an AddressSanitizer + UBSan build
# with clang (any sanitizer report in a daemon fails its test), which also
# builds the libFuzzer targets: after its tests, each fuzzer runs for
# FUZZ_SECONDS (20). SANITIZE=0 skips the second pass, FUZZ=0 the fuzzers.
# CHAOS_ORDERS / CHAOS_LOAD_S / CHAOS_SEED tune tests/e2e/chaos.sh;
# CTEST_PARALLEL (3) is how many tests run at once. Between the two passes,
# the release build's tests labelled kafka run on a real Apache Kafka
# (scripts/kafka.sh: Java and the broker fetched with apt-get and mvn on first
# use), KAFKA_PARALLEL (2) at a time; KAFKA=0 skips them.
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

echo "== tests: release build, dev broker" >&2
# the dev-broker twins of the real-Kafka tests (label on_kafka_too) would
# only repeat what the Kafka pass below proves; the sanitizer pass runs them.
# e2e_soak (label soak) idles for minutes: it runs beside the Kafka pass
run_suite "$build" "-LE ^(kafka|on_kafka_too|soak)$"
# the soak test idles: it runs beside the Kafka pass, costing it almost nothing
echo "== tests: soak (idle daemons), in the background" >&2
(cd "$build" && ctest --verbose --timeout 1200 -L "^soak$" >"$build/soak.out" 2>&1) & # its figures go to the log
soak=$!
if [ "${KAFKA:-1}" != 0 ]; then
    echo "== tests: release build, Apache Kafka" >&2
    start=$SECONDS
    bash "$root/scripts/kafka.sh" fetch >/dev/null # once, outside any test's timeout
    # each test starts its own cluster (a JVM per broker): two at a time on two cores
    (cd "$build" && ctest --output-on-failure --timeout 900 --parallel "${KAFKA_PARALLEL:-2}" -L "^kafka$")
    echo "== tests: Apache Kafka pass: $((SECONDS - start)) s" >&2
fi
soak_rc=0
wait "$soak" || soak_rc=$?
cat "$build/soak.out" >&2
[ "$soak_rc" = 0 ] || { echo "== tests: soak failed" >&2; exit 1; }
if [ "${SANITIZE:-1}" != 0 ]; then
    echo "== tests: AddressSanitizer + UndefinedBehaviorSanitizer build (clang)" >&2
    # Same code under the sanitizers; a shorter chaos run keeps the suite near
    # ten minutes (the release pass runs the full 2,000 orders), and the
    # benchmark's smoke test (label bench) measures nothing a sanitizer adds to.
    # clang, so the fuzz targets come from this build; they run after the
    # suite, not beside the timing-sensitive e2e tests.
    fuzz=${FUZZ:-1}
    CC=clang CHAOS_ORDERS=${CHAOS_ORDERS:-600} CHAOS_LOAD_S=${CHAOS_LOAD_S:-25} \
        run_suite "$build-asan" "-LE ^(bench|fuzz|kafka|soak)$" -DPIZZA_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug \
        "-DPIZZA_FUZZ=$([ "$fuzz" != 0 ] && echo ON || echo OFF)"
    if [ "$fuzz" != 0 ]; then
        echo "== fuzz: each libFuzzer target for ${FUZZ_SECONDS:-20} s, two at a time" >&2
        start=$SECONDS
        # two: one per core, and each is CPU-bound
        (cd "$build-asan" && FUZZ_SECONDS=${FUZZ_SECONDS:-20} \
            ctest --output-on-failure --parallel 2 -L "^fuzz$")
        # the executions of each run, for the log
        grep -h '^fuzz_.*executions' "$build-asan/Testing/Temporary/LastTest.log" >&2 || true
        echo "== fuzz: $((SECONDS - start)) s" >&2
    fi
fi
