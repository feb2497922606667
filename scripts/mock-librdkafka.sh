#!/usr/bin/env bash
# Builds the static librdkafka that pizza-devbroker links: Debian bookworm's
# librdkafka 2.0.2 source with tools/devbroker/mock-transactions.patch (a mock
# cluster that honours transactions), mock-nodelay.patch (TCP_NODELAY broker
# sockets, as real brokers have), mock-fetch-nearest.patch (a Fetch finds its
# message set from the nearer end of the log) and mock-fetch-wake.patch (a
# waiting Fetch is answered when data arrives) applied. Prints the install
# prefix (lib/librdkafka.a, include/librdkafka/*.h) on stdout; progress goes
# to stderr.
#
# The result is cached in .deps/ (gitignored), keyed by the hash of the patches
# and of this script: unchanged patches are reused by every build directory
# (release and sanitizer), a changed one is rebuilt. Needs dpkg-dev (for
# dpkg-source), zlib1g-dev and network access to deb.debian.org on first use.
# The system's apt configuration is never touched: apt runs with private
# sources, lists and cache directories under .deps/apt.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
patch_files=("$root/tools/devbroker/mock-transactions.patch"
    "$root/tools/devbroker/mock-nodelay.patch"
    "$root/tools/devbroker/mock-fetch-nearest.patch"
    "$root/tools/devbroker/mock-fetch-wake.patch")
deps=${PIZZA_DEPS_DIR:-$root/.deps}
want_version=2.0.2

key=$(cat "${patch_files[@]}" "${BASH_SOURCE[0]}" | sha256sum | cut -c1-16)
prefix=$deps/librdkafka-mock-$key

have() { [[ -f $prefix/lib/librdkafka.a && -f $prefix/include/librdkafka/rdkafka_mock.h ]]; }
have && { echo "$prefix"; exit 0; }

mkdir -p "$deps"
# One builder at a time (two build directories configured at once).
exec {lock}>"$deps/.lock"
flock "$lock"
have && { echo "$prefix"; exit 0; }

log() { echo "mock-librdkafka: $*" >&2; }
work=$(mktemp -d "$deps/build.XXXXXX")
trap 'rm -rf "$work"' EXIT
buildlog=$work/build.log
# run CMD...: output to the build log, shown only if CMD fails.
run() {
    "$@" >>"$buildlog" 2>&1 || {
        log "failed: $*"
        tail -n 40 "$buildlog" >&2
        exit 1
    }
}

# Private apt state: deb-src for bookworm main only, signed by Debian's key.
apt=$deps/apt
mkdir -p "$apt/sources.list.d" "$apt/lists/partial" "$apt/cache/archives/partial"
echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg]" \
    "http://deb.debian.org/debian bookworm main" >"$apt/sources.list"
apt_opts=(-o "Dir::Etc::SourceList=$apt/sources.list"
          -o "Dir::Etc::SourceParts=$apt/sources.list.d"
          -o "Dir::State::Lists=$apt/lists"
          -o "Dir::Cache=$apt/cache"
          -o "APT::Sandbox::User=root") # files are ours, not _apt's

log "fetching the librdkafka source package (apt-get source)"
run apt-get "${apt_opts[@]}" update
(cd "$work" && run apt-get "${apt_opts[@]}" source --download-only librdkafka)
dsc=$(ls "$work"/librdkafka_*.dsc)
version=$(sed -n 's/^Version: //p' "$dsc")
[[ $version == "$want_version"-* ]] || {
    log "Debian offers librdkafka $version; the patch is for $want_version"
    exit 1
}
# apt verified the files against the signed Release file already.
run dpkg-source --no-check -x "$dsc" "$work/src"

log "patching and building librdkafka $version (static, minimal features)"
for patch_file in "${patch_files[@]}"; do
    (cd "$work/src" && run patch -p1 --batch <"$patch_file")
done
# Only what the mock cluster needs: no TLS, SASL, zstd, curl; links -lm -lz
# -ldl -lpthread -lrt. Never sanitizer-instrumented (no CFLAGS passed).
(cd "$work/src" && run ./configure --disable-ssl --disable-gssapi --disable-sasl \
    --disable-zstd --disable-lz4-ext --disable-curl --disable-regex-ext --enable-static)
run make -j "$(nproc)" -C "$work/src/src" librdkafka.a

stage=$work/out
mkdir -p "$stage/lib" "$stage/include/librdkafka"
cp "$work/src/src/librdkafka.a" "$stage/lib/"
cp "$work/src/src/rdkafka.h" "$work/src/src/rdkafka_mock.h" "$stage/include/librdkafka/"
rm -rf "$prefix"
mv "$stage" "$prefix"
# Builds of earlier patches are dead weight now.
find "$deps" -mindepth 1 -maxdepth 1 -name 'librdkafka-mock-*' ! -name "${prefix##*/}" \
    -exec rm -rf {} +
log "built $prefix"
echo "$prefix"
