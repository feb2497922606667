#!/usr/bin/env bash
# Static librdkafka builds from Debian bookworm's librdkafka 2.0.2 source, each
# with the patches of one folder applied in the order of that folder's series
# file. Two flavours:
#
#   mock    pizza-devbroker's (tools/devbroker): mock-transactions.patch (a mock
#           cluster that honours transactions), mock-nodelay.patch (TCP_NODELAY
#           broker sockets, as real brokers have), mock-fetch-nearest.patch (a
#           Fetch finds its message set from the nearer end of the log),
#           mock-fetch-wake.patch (a waiting Fetch is answered when data
#           arrives), mock-describe-groups.patch (DescribeGroups, for
#           GET /pipeline). Minimal features: no TLS, SASL, zstd, lz4 or curl.
#   client  the daemons' where the system's librdkafka is older than 2.6.1
#           (third_party/librdkafka): main-loop-timeout.patch (upstream's fix
#           of rdk:main's busy loop), scram-client-final-nonce.patch (upstream's
#           fix of the SCRAM login Kafka 4.x refuses). Debian's features: TLS,
#           SASL, zstd, lz4, zlib (no curl, as Debian's package). CMake picks
#           it (PIZZA_RDKAFKA).
#
#   librdkafka.sh fetch                download the source package into .deps/
#                                      (network; scripts/deps.sh runs it)
#   librdkafka.sh FLAVOUR install DIR  build (or reuse) and copy lib/librdkafka.a
#                                      and include/librdkafka/*.h into DIR (the
#                                      build step of cmake/librdkafka.cmake)
#   librdkafka.sh FLAVOUR              build (or reuse) and print the install prefix
# Progress goes to stderr.
#
# Only fetch touches the network, so a build runs offline. Everything lives in
# .deps/ (gitignored; PIZZA_DEPS_DIR elsewhere): the source package once, and
# the builds keyed by flavour and the hash of the patches, their order and this
# script, so every build directory (release, sanitizer, other worktrees) reuses
# one build until a patch changes. Needs dpkg-dev (for dpkg-source), patch,
# zlib1g-dev and debian-archive-keyring, and for client libssl-dev,
# libsasl2-dev, libzstd-dev and liblz4-dev. The system's apt configuration is
# never touched: apt runs with private sources, lists and cache directories
# under .deps/apt.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
deps=${PIZZA_DEPS_DIR:-$root/.deps}
want_version=2.0.2
source_dir=$deps/librdkafka-source # the .dsc and its tarballs

log() { echo "librdkafka: $*" >&2; }
die() { log "$*"; exit 1; }
usage() { die "usage: $0 fetch | $0 {mock|client} [install DIR]"; }

flavour= mode=fetch
if [[ ${1:-} == fetch ]]; then
    [[ $# -eq 1 ]] || usage
else
    flavour=${1:-}
    mode=${2:-print}
    case $mode in
    print) [[ $# -eq 1 ]] || usage ;;
    install) [[ $# -eq 3 ]] || usage; dest=$3 ;;
    *) usage ;;
    esac
fi
case $flavour in
mock)
    patch_dir=$root/tools/devbroker
    headers=(rdkafka.h rdkafka_mock.h)
    # what the mock cluster needs: links -lm -lz -ldl -lpthread -lrt
    features=(--disable-ssl --disable-gssapi --disable-sasl --disable-zstd
              --disable-lz4-ext --disable-curl --disable-regex-ext)
    ;;
client)
    patch_dir=$root/third_party/librdkafka
    headers=(rdkafka.h)
    # Debian's package's features, required so none is silently left out:
    # cmake/librdkafka.cmake links what they need
    features=(--enable-ssl --enable-sasl --enable-zstd --enable-lz4-ext --enable-zlib
              --disable-curl --disable-regex-ext)
    ;;
'') patch_dir= ;;
*) usage ;;
esac
series=${patch_dir#"$root"/}/series

# The series file orders the patches (each applies on top of the ones before);
# a patch it does not name would silently be left out, so that is an error.
patch_files=()
if [[ -n $patch_dir ]]; then
    while read -r name _; do
        [[ -z $name || $name == \#* ]] && continue
        [[ -f $patch_dir/$name ]] || die "$series names $name, which does not exist"
        patch_files+=("$patch_dir/$name")
    done <"$patch_dir/series"
    for file in "$patch_dir"/*.patch; do
        [[ " ${patch_files[*]} " == *" $file "* ]] ||
            die "${file#"$root"/} is not in $series: add it there, after the patches it applies on"
    done
fi

# Names in order as well as contents: reordering the series changes the result.
key=$(for file in "${patch_files[@]}"; do echo "${file##*/}"; cat "$file"; done |
    cat - "${BASH_SOURCE[0]}" | sha256sum | cut -c1-16)
prefix=$deps/librdkafka-$flavour-$key

have() { [[ -f $prefix/lib/librdkafka.a && -f $prefix/include/librdkafka/${headers[-1]} ]]; }
have_source() { compgen -G "$source_dir/librdkafka_$want_version-*.dsc" >/dev/null; }

# The build is in $prefix: hand it over as the mode asks.
deliver() {
    touch "$prefix" # most recently used: kept by the pruning below
    case $mode in
    print) echo "$prefix" ;;
    install)
        mkdir -p "$dest/lib" "$dest/include/librdkafka"
        # via a temporary name: an interrupted copy never looks like a library
        cp "$prefix/lib/librdkafka.a" "$dest/lib/librdkafka.a.tmp"
        mv "$dest/lib/librdkafka.a.tmp" "$dest/lib/librdkafka.a"
        cp "$prefix"/include/librdkafka/*.h "$dest/include/librdkafka/"
        ;;
    esac
    exit 0
}
[[ $mode != fetch ]] && have && deliver
[[ $mode == fetch ]] && have_source && exit 0

mkdir -p "$deps"
# One fetch or build at a time (parallel build directories, other worktrees).
exec {lock}>"$deps/.lock"
flock "$lock"

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

if [[ $mode == fetch ]]; then
    have_source && exit 0
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
    mkdir "$work/source"
    (cd "$work/source" && run apt-get "${apt_opts[@]}" source --download-only librdkafka)
    dsc=$(ls "$work"/source/librdkafka_*.dsc)
    version=$(sed -n 's/^Version: //p' "$dsc")
    [[ $version == "$want_version"-* ]] ||
        die "Debian offers librdkafka $version; the patches are for $want_version"
    rm -rf "$source_dir"
    mv "$work/source" "$source_dir"
    log "fetched librdkafka $version into $source_dir"
    exit 0
fi

have && deliver
have_source || {
    fetch="bash scripts/deps.sh"
    [[ -n ${PIZZA_DEPS_DIR:-} ]] && fetch="PIZZA_DEPS_DIR=$deps $fetch"
    die "no librdkafka $want_version source in $source_dir: run \`$fetch\`" \
        "in $root (it fetches the source once), then build again"
}

dsc=$(compgen -G "$source_dir/librdkafka_$want_version-*.dsc" | head -n 1)
log "patching and building librdkafka $(sed -n 's/^Version: //p' "$dsc") ($flavour: ${patch_files[*]##*/})"
# apt verified the files against the signed Release file when fetching.
run dpkg-source --no-check -x "$dsc" "$work/src"
for patch_file in "${patch_files[@]}"; do
    (cd "$work/src" && run patch -p1 --batch <"$patch_file")
done
# Never sanitizer-instrumented (no CFLAGS passed).
(cd "$work/src" && run ./configure "${features[@]}" --enable-static)
run make -j "$(nproc)" -C "$work/src/src" librdkafka.a

stage=$work/out
mkdir -p "$stage/lib" "$stage/include/librdkafka"
cp "$work/src/src/librdkafka.a" "$stage/lib/"
for header in "${headers[@]}"; do cp "$work/src/src/$header" "$stage/include/librdkafka/"; done
rm -rf "$prefix"
mv "$stage" "$prefix"
log "built $prefix"
# Builds of other patch sets are dead weight, unless another worktree or branch
# sharing this .deps/ still uses one: keep the four most recently used.
ls -dt "$deps/librdkafka-$flavour"-*/ | tail -n +5 | xargs -r rm -rf
deliver
