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
            if [[ $what == COPY_BUILD ]]; then src=$bin/$src; else src=$root/$src; fi
            [[ -f $src ]] || die "COPY $src: not a file (this script copies files only)"
            target=$dir$dest
            [[ $dest == */ ]] && target+=${src##*/}
            cp --preserve=mode,timestamps "$src" "$target"
            chown 0:0 "$target"
        done
        ;;
    RUN)
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

# steps PHASE DIR BIN_DIR: runs the steps of PHASE (base, image); the state
# steps of the base phase are replayed before the image phase (their files are
# in the tarball already).
steps() {
    local phase=$1 dir=$2 bin=$3 line facts
    facts=$("$PY" "$FACTS" dockerfile "$root") || die "cannot read the Dockerfile's runtime stage"
    while IFS= read -r line; do
        eval "set -- $line"
        [[ $1 == base || $1 == image ]] || continue
        if [[ $1 == "$phase" ]]; then
            step "$dir" "$bin" "${@:2}"
        elif [[ $1 == base && $phase == image && $2 =~ ^(WORKDIR|USER|ENV)$ ]]; then
            step "$dir" "$bin" "${@:2}"
        fi
    done <<<"$facts"
}

# ------------------------------------------------------------------ the base

release() {
    "$PY" "$FACTS" dockerfile "$root" | sed -n 's/^release //p'
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

# build_base TARBALL: debootstrap, the base steps, the tarball.
build_base() {
    local tarball=$1 rel tmp dir mirror lines proxy start=$SECONDS
    rel=$(release)
    ensure_debootstrap
    lines=$(sources "$rel")
    mirror=$(awk -v rel="$rel" '$2 == rel { print $1; exit }' <<<"$lines")
    [[ -n $mirror ]] || die "no apt source of this host serves Debian $rel main (apt-get indextargets); set PIZZA_IMAGE_MIRROR"
    tmp=$(mktemp -d "$deps/.image-rootfs.XXXXXX")
    dir=$tmp/root
    # never leave a mount or a half-built root behind
    trap 'umount_all "'"$tmp"'"; rm -rf --one-file-system "'"$tmp"'"' EXIT
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
    log "runtime stage's steps before its COPY --from (Dockerfile)"
    steps base "$dir" ""
    rm -f "$dir/etc/apt/apt.conf.d/00image-rootfs-host"
    # as the Debian image's apt configuration does after every install
    in_root "$dir" apt-get clean
    tar --numeric-owner -C "$dir" -cf "$tmp/rootfs.tar" .
    mv "$tmp/rootfs.tar" "$tarball"
    log "built $tarball in $((SECONDS - start)) s"
}

# shellcheck disable=SC2120 # the "$@" below is a COPY line's, not the function's
tarball() {
    local key tarball old lock
    key=$(
        "$PY" "$FACTS" dockerfile "$root" | grep -E '^(release|base) '
        # the content of what the base steps copy, and these scripts
        "$PY" "$FACTS" dockerfile "$root" | sed -n 's/^base COPY //p' | while read -r line; do
            eval "set -- $line"
            (cd "$root" && cat "${@:1:$#-1}")
        done
        cat "$here/rootfs.sh" "$FACTS"
    )
    key=$(sha256sum <<<"$key" | cut -c1-16)
    tarball=$deps/image-rootfs-$key.tar
    if [[ ! -f $tarball ]]; then
        mkdir -p "$deps"
        exec {lock}>"$deps/.image-rootfs.lock"
        flock "$lock" # parallel tests: one builds, the others wait for it
        if [[ ! -f $tarball ]]; then
            build_base "$tarball"
            # keep the two most recently used
            # shellcheck disable=SC2012 # the names are ours: image-rootfs-<hex>.tar
            for old in $(ls -t "$deps"/image-rootfs-*.tar | tail -n +3); do rm -f "$old"; done
        fi
        exec {lock}>&-
    fi
    touch "$tarball"
    echo "$tarball"
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
*) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//' >&2 && exit 2 ;;
esac
