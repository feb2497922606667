#!/usr/bin/env bash
# The Dockerfile's runtime stage, done in a directory instead of by a Docker
# engine (for tests/e2e/image_rootfs.sh). Root only: debootstrap, chroot, mount.
#
#   rootfs.sh tarball
#       Prints the path of a tarball of the runtime stage's root before its
#       first COPY --from: its FROM (debian:<release>) as `debootstrap
#       --variant=minbase` (what the Debian images are made from), then each of
#       its steps up to there (COPY of the repository's files, RUN in a chroot)
#       as tests/tools/image/image_facts.py reads them from the Dockerfile.
#       Built once into .deps/image-rootfs-<hash>.tar ($PIZZA_DEPS_DIR
#       elsewhere; the hash covers those steps, the files they copy and these
#       scripts), then reused: a changed runtime-packages builds a new one.
#   rootfs.sh finish DIR BIN_DIR
#       DIR holds that tarball unpacked: applies the remaining steps (the
#       daemons from BIN_DIR for COPY --from, config/*.ini, ...), then prints
#       how a container of the image runs, one fact a line as shell words:
#       `workdir DIR`, `user NAME[:GROUP]`, `env NAME=VALUE` (the image's ENV).
#   rootfs.sh build
#       Prints a directory holding the daemons as the Dockerfile's build stage
#       makes them, for a host whose Debian release is not the image's (its
#       binaries would need its own, newer libraries). The stage is replayed
#       the same way: its FROM debootstrapped, its steps before its first COPY
#       (the packages) cached in .deps/image-build-root-<hash>.tar; then, in a
#       fresh copy of that root, its COPYs of the repository's files (with
#       .dockerignore applied) and its RUNs, which fetch librdkafka's source
#       and run cmake. The daemons its COPY --from names are kept in
#       .deps/image-build-bin-<hash>/, reused until those steps, the files they
#       copy, the root or these scripts change.
#
# Debian packages come from the mirrors this host's apt uses (its sources for
# the image's release, or for its own release with the codename swapped), with
# its apt proxy and date-check settings for the time of the build: what the
# host can reach. PIZZA_IMAGE_MIRROR (and PIZZA_IMAGE_SECURITY_MIRROR) name
# others. The tarball's /etc/apt sources are those mirrors, in the layout of the
# Debian image's; the image's package lists are deleted anyway.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../../.." && pwd)
deps=${PIZZA_DEPS_DIR:-$root/.deps}
PY=/usr/bin/python3 # Debian's, where python3-yaml is installed
FACTS=$here/image_facts.py
# the PATH of the Debian images (their ENV), which RUN and the daemons get
IMAGE_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
# The build stage's RUN `bash scripts/librdkafka.sh fetch` downloads Debian's
# librdkafka source package into WORKDIR/.deps/librdkafka-source unless it is
# there (the script's own check). rootfs.sh build puts the host's copy (the
# same script's, apt-verified) there first, so the build needs no deb-src
# access in the root. Empty: no seeding (the runtime stage).
SEED_SOURCE=

log() { echo "image-rootfs: $*" >&2; }
die() {
    log "$*"
    exit 1
}

[[ $(id -u) -eq 0 ]] || die "must run as root (debootstrap, chroot and mount need it)"

# ------------------------------------------------------------------ the steps

# The state the steps change, as Docker keeps it through a stage.
STAGE_WORKDIR=/
STAGE_USER=root
declare -a STAGE_ENV=()

# mount_proc DIR / umount_all DIR: /proc in the root, as a container has it.
# umount_all also takes anything else mounted below DIR (deepest first) and
# fails if it cannot: DIR must never be deleted with a mount inside.
mount_proc() {
    mount -t proc proc "$1/proc" || die "cannot mount /proc in $1"
}
umount_all() {
    local dir m left
    dir=$(realpath "$1")
    for m in $(findmnt -rn -o TARGET | grep -F "$dir/" | sort -r); do
        umount "$m" 2>/dev/null || umount -l "$m" || true
    done
    left=$(findmnt -rn -o TARGET | grep -F "$dir/" || true)
    [[ -z $left ]] || die "still mounted under $dir: $left"
}

# clean_up_root TMP: on exit, unmount everything under TMP and delete it: never
# a mount or a half-built root left behind. A signal exits through that trap
# too (bash runs no EXIT trap for a signal it does not trap, and a subshell
# such as $(tarball build-) does not inherit the traps).
clean_up_root() {
    local q
    q=$(printf %q "$1")
    # shellcheck disable=SC2064 # TMP now
    trap "umount_all $q; rm -rf --one-file-system $q" EXIT
    trap 'exit 129' HUP
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

# in_root DIR CMD...: CMD in the root as the stage's USER, in its WORKDIR, with the
# environment Docker gives a RUN: the image's PATH and ENV, HOME of the user.
in_root() {
    local dir=$1 home
    shift
    home=$(awk -F: -v u="${STAGE_USER%%:*}" '$1 == u || $3 == u { print $6 }' "$dir/etc/passwd")
    chroot --userspec="$STAGE_USER" "$dir" /usr/bin/env -i --chdir="$STAGE_WORKDIR" PATH="$IMAGE_PATH" \
        HOME="${home:-/}" HOSTNAME=image-build "${STAGE_ENV[@]}" "$@"
}

# step DIR BIN_DIR STEP ARGS...: one step of image_facts.py's list.
step() {
    local dir=$1 bin=$2 what=$3 dest src target
    shift 3
    case $what in
    COPY | COPY_BUILD)
        # COPY: root-owned, modes kept; DEST/ is a directory (made, with parents)
        dest=${*: -1}
        [[ $dest == /* ]] || dest=${STAGE_WORKDIR%/}/$dest
        set -- "${@:1:$#-1}"
        if [[ $dest == */ ]]; then mkdir -p "$dir$dest"; else mkdir -p "$(dirname "$dir$dest")"; fi
        for src in "$@"; do
            # COPY_BUILD names a path in the build stage: BIN_DIR holds its files
            if [[ $what == COPY_BUILD ]]; then src=$bin/${src##*/}; else src=$root/$src; fi
            [[ -f $src ]] || die "COPY $src: not a file (this script copies files only)"
            target=$dir$dest
            [[ $dest == */ ]] && target+=${src##*/}
            cp --preserve=mode,timestamps "$src" "$target"
            chown 0:0 "$target"
        done
        ;;
    RUN)
        if [[ -n $SEED_SOURCE && $1 == *"scripts/librdkafka.sh fetch"* ]]; then
            mkdir -p "$dir$STAGE_WORKDIR/.deps"
            cp -R "$SEED_SOURCE" "$dir$STAGE_WORKDIR/.deps/librdkafka-source"
        fi
        # /bin/sh -c, as the shell form is run; /proc mounted meanwhile
        mount_proc "$dir"
        if ! in_root "$dir" /bin/sh -c "$1" >&2; then
            umount_all "$dir"
            die "RUN $1: failed in $dir"
        fi
        umount_all "$dir"
        ;;
    WORKDIR)
        if [[ $1 == /* ]]; then STAGE_WORKDIR=$1; else STAGE_WORKDIR=${STAGE_WORKDIR%/}/$1; fi
        mkdir -p "$dir$STAGE_WORKDIR"
        ;;
    USER) STAGE_USER=$1 ;;
    ENV) STAGE_ENV+=("$1=$2") ;;
    *) die "unknown step $what (image_facts.py and rootfs.sh disagree)" ;;
    esac
}

# steps PHASE DIR BIN_DIR: runs the steps of PHASE (base, image of the runtime
# stage; build-base, build of the build stage); the state steps of a stage's
# cached phase are replayed before its next one (their files are in the
# tarball already).
steps() {
    local phase=$1 dir=$2 bin=$3 line facts cached=
    case $phase in
    image) cached=base ;;
    build) cached=build-base ;;
    esac
    facts=$("$PY" "$FACTS" dockerfile "$root") || die "cannot read the Dockerfile's stages"
    while IFS= read -r line; do
        eval "set -- $line"
        if [[ $1 == "$phase" ]]; then
            step "$dir" "$bin" "${@:2}"
        elif [[ -n $cached && $1 == "$cached" && $2 =~ ^(WORKDIR|USER|ENV)$ ]]; then
            step "$dir" "$bin" "${@:2}"
        fi
    done <<<"$facts"
}

# ------------------------------------------------------------------ the base

# release [build-]: the Debian release of the runtime (or build) stage's FROM
release() {
    "$PY" "$FACTS" dockerfile "$root" | sed -n "s/^${1:-}release //p"
}

ensure_debootstrap() {
    command -v debootstrap >/dev/null && return 0
    log "installing debootstrap"
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >&2
}

# sources RELEASE: "URI SUITE" lines, the image's suites (RELEASE,
# RELEASE-updates, RELEASE-security) from the host's apt sources.
sources() {
    local rel=$1 host
    if [[ -n ${PIZZA_IMAGE_MIRROR:-} ]]; then
        echo "$PIZZA_IMAGE_MIRROR $rel"
        echo "$PIZZA_IMAGE_MIRROR $rel-updates"
        [[ -z ${PIZZA_IMAGE_SECURITY_MIRROR:-} ]] || echo "$PIZZA_IMAGE_SECURITY_MIRROR $rel-security"
        return
    fi
    host=$(sed -n 's/^VERSION_CODENAME=//p' /etc/os-release)
    # shellcheck disable=SC2016 # apt-get's $(FIELD)s, not the shell's
    apt-get indextargets --format '$(REPO_URI) $(RELEASE) $(COMPONENT) $(TARGET_OF) $(IDENTIFIER)' |
        awk -v rel="$rel" -v host="$host" '
            $3 == "main" && $4 == "deb" && $5 == "Packages" {
                s = $2
                if (host != "" && index(s, host) == 1) s = rel substr(s, length(host) + 1)
                if (s == rel || s == rel "-updates" || s == rel "-security") print $1, s
            }' | sort -u
}

# apt_access: the host's apt settings that make its mirrors reachable (proxy,
# date checks of a snapshot mirror), as an apt.conf fragment.
apt_access() {
    apt-config dump | grep -E '^Acquire::(https?::Proxy|Check-Valid-Until|Check-Date)' || true
}

# build_base TARBALL [build-]: debootstrap, the cached steps (base or
# build-base), the tarball.
build_base() {
    local tarball=$1 stage=${2:-} rel tmp dir mirror lines proxy start=$SECONDS
    rel=$(release "$stage")
    [[ -n $rel ]] || die "cannot read the Dockerfile's ${stage:+build }release"
    ensure_debootstrap
    lines=$(sources "$rel")
    mirror=$(awk -v rel="$rel" '$2 == rel { print $1; exit }' <<<"$lines")
    [[ -n $mirror ]] || die "no apt source of this host serves Debian $rel main (apt-get indextargets); set PIZZA_IMAGE_MIRROR"
    tmp=$(mktemp -d "$deps/.image-${stage}rootfs.XXXXXX")
    dir=$tmp/root
    clean_up_root "$tmp"
    log "debootstrap --variant=minbase $rel from $mirror (once; cached in $tarball)"
    proxy=$(apt-config dump | sed -n 's/^Acquire::http::Proxy "\(.*\)";$/\1/p')
    if ! http_proxy=${http_proxy:-$proxy} debootstrap --variant=minbase "$rel" "$dir" "$mirror" \
        >"$tmp/debootstrap.log" 2>&1; then
        tail -n 15 "$tmp/debootstrap.log" >&2
        die "debootstrap of Debian $rel from $mirror failed (log above): is the mirror reachable?"
    fi
    # The Debian image's apt sources (deb822, main), from the mirrors reached here
    rm -f "$dir/etc/apt/sources.list"
    awk '{ s[$1] = s[$1] " " $2 } END { for (u in s) {
            printf "Types: deb\nURIs: %s\nSuites:%s\nComponents: main\n", u, s[u]
            print "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n" } }' \
        <<<"$lines" >"$dir/etc/apt/sources.list.d/debian.sources"
    apt_access >"$dir/etc/apt/apt.conf.d/00image-rootfs-host"
    cp /etc/resolv.conf "$dir/etc/resolv.conf" # a build container's is the host's too
    in_root "$dir" apt-get clean
    if [[ -z $stage ]]; then
        log "runtime stage's steps before its COPY --from (Dockerfile)"
    else
        log "build stage's steps before its first COPY (Dockerfile)"
    fi
    steps "${stage}base" "$dir" ""
    rm -f "$dir/etc/apt/apt.conf.d/00image-rootfs-host"
    # as the Debian image's apt configuration does after every install
    in_root "$dir" apt-get clean
    tar --numeric-owner -C "$dir" -cf "$tmp/rootfs.tar" .
    mv "$tmp/rootfs.tar" "$tarball"
    log "built $tarball in $((SECONDS - start)) s"
}

# tarball_path [build-]: where the cached root of the runtime (or build) stage
# is, or goes.
tarball_path() {
    local stage=${1:-} key name=image-rootfs
    [[ -z $stage ]] || name=image-build-root
    key=$(
        "$PY" "$FACTS" dockerfile "$root" | grep -E "^(${stage}release|${stage}base) "
        # the content of what the cached steps copy, and these scripts
        "$PY" "$FACTS" dockerfile "$root" | sed -n "s/^${stage}base COPY //p" | while read -r line; do
            eval "set -- $line"
            (cd "$root" && cat "${@:1:$#-1}")
        done
        cat "$here/rootfs.sh" "$FACTS"
    )
    echo "$deps/$name-$(sha256sum <<<"$key" | cut -c1-16).tar"
}

# tarball [build-]: that root, built if missing; prints its path.
tarball() {
    local stage=${1:-} tarball old lock name
    tarball=$(tarball_path "$stage")
    name=${tarball##*/} name=${name%-*}
    if [[ ! -f $tarball ]]; then
        mkdir -p "$deps"
        exec {lock}>"$deps/.$name.lock"
        flock "$lock" # parallel tests: one builds, the others wait for it
        if [[ ! -f $tarball ]]; then
            build_base "$tarball" "$stage"
            # keep the two most recently used
            # shellcheck disable=SC2012 # the names are ours: NAME-<hex>.tar
            for old in $(ls -t "$deps/$name"-*.tar | tail -n +3); do rm -f "$old"; done
        fi
        exec {lock}>&-
    fi
    touch "$tarball"
    echo "$tarball"
}

# ------------------------------------------------------------------ the build stage

# librdkafka_source: the host's copy of the source package the build stage's
# fetch downloads, fetched now if missing (by the same script, on the host:
# its network and apt settings are the ones that reach Debian's mirrors).
librdkafka_source() {
    local src=$deps/librdkafka-source
    if ! compgen -G "$src/librdkafka_*.dsc" >/dev/null; then
        log "fetching librdkafka's source package on the host (scripts/librdkafka.sh fetch)"
        PIZZA_DEPS_DIR=$deps bash "$root/scripts/librdkafka.sh" fetch >&2 ||
            die "scripts/librdkafka.sh fetch failed: the build stage needs Debian's librdkafka source"
    fi
    echo "$src"
}

# build_bin: the build stage's daemons, built if missing; prints their directory.
# shellcheck disable=SC2120 # the "$@" below is a fact line's, not the function's
build_bin() {
    local facts root_tar src key out lock tmp dir line path start
    local -a outputs=() files=()
    facts=$("$PY" "$FACTS" dockerfile "$root") || die "cannot read the Dockerfile's stages"
    # (only its path: cached daemons need no root)
    root_tar=$(tarball_path build-)
    src=$(librdkafka_source) || exit 1
    while IFS= read -r line; do
        eval "set -- $line"
        case "$1 $2" in
        "image COPY_BUILD") outputs+=("${@:3:$#-3}") ;;
        "build COPY") files+=("${@:3:$#-3}") ;;
        esac
    done <<<"$facts"
    ((${#outputs[@]} > 0)) || die "the runtime stage copies nothing from the build stage"
    ((${#files[@]} > 0)) || die "the build stage copies no file of the repository"
    # The inputs of the build, cheaply: the root (its key is in its name), the
    # steps, the content of the files they copy and of the source package.
    key=$(
        echo "${root_tar##*/}"
        grep -E '^(build|image COPY_BUILD) ' <<<"$facts"
        (cd "$root" && sha256sum -- "${files[@]}")
        cat "$src"/librdkafka_*.dsc
    )
    key=$(sha256sum <<<"$key" | cut -c1-16)
    out=$deps/image-build-bin-$key
    if [[ ! -d $out ]]; then
        exec {lock}>"$deps/.image-build-bin.lock"
        flock "$lock" # parallel tests: one builds, the others wait for it
        if [[ ! -d $out ]]; then
            root_tar=$(tarball build-) || exit 1
            start=$SECONDS
            tmp=$(mktemp -d "$deps/.image-build.XXXXXX")
            dir=$tmp/root
            clean_up_root "$tmp"
            mkdir "$dir"
            tar --numeric-owner -C "$dir" -xf "$root_tar" || die "cannot unpack $root_tar"
            # a RUN may need the mirrors, as a build container has the network
            apt_access >"$dir/etc/apt/apt.conf.d/00image-rootfs-host"
            SEED_SOURCE=$src
            log "build stage's steps from its first COPY (Dockerfile), in a Debian $(release build-) root"
            steps build "$dir" ""
            mkdir "$tmp/bin"
            for path in "${outputs[@]}"; do
                [[ -f $dir$path && -x $dir$path ]] || die "the build stage made no $path"
                cp --preserve=mode,timestamps "$dir$path" "$tmp/bin/"
            done
            mv "$tmp/bin" "$out"
            log "built the daemons into $out in $((SECONDS - start)) s"
            # keep the two most recently used
            # shellcheck disable=SC2012 # the names are ours: image-build-bin-<hex>
            ls -dt "$deps"/image-build-bin-*/ | tail -n +3 | xargs -r rm -rf
        fi
        exec {lock}>&-
    fi
    touch "$out"
    echo "$out"
}

finish() {
    local dir=$1 bin=$2 e
    [[ -d $dir/etc && -d $bin ]] || die "usage: rootfs.sh finish DIR BIN_DIR"
    steps image "$dir" "$bin"
    echo "workdir $(printf %q "$STAGE_WORKDIR")"
    echo "user $(printf %q "$STAGE_USER")"
    for e in "${STAGE_ENV[@]}"; do echo "env $(printf %q "$e")"; done
}

case ${1:-} in
tarball) tarball ;;
finish) finish "${2:-}" "${3:-}" ;;
build) build_bin ;;
*) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//' >&2 && exit 2 ;;
esac
