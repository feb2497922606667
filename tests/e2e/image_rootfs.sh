#!/usr/bin/env bash
# The Docker image, proven without a Docker engine: its runtime stage built with
# debootstrap (tests/tools/image/rootfs.sh: the Dockerfile's FROM release,
# --variant=minbase, then the stage's own steps, deploy/image/setup-runtime.sh
# and the COPYs, read from the Dockerfile), the daemons copied in where the
# Dockerfile puts them (see PIZZA_IMAGE_BUILD below). Then, in that root (chroot):
#   - every shared library of every daemon resolves (ldd) to a file of a Debian
#     package installed there, and nothing else is mapped by the running daemons;
#   - all six daemons run as the image's user (pizza, uid/gid 10001), in its
#     WORKDIR, with docker-compose.yml's command and environment, each with its
#     own host name as a container has, against a real Apache Kafka;
#   - compose's healthcheck commands fail before the daemons are up and pass
#     once they are ready;
#   - an order of 3 completes, topped by every stage, and the report counts it;
#   - every daemon stops on SIGTERM with exit 0.
# What it proves: the image's packages, libraries, paths, user and healthchecks.
# What needs an engine (docker build itself, compose networking): README.
#
# Which daemons (PIZZA_IMAGE_BUILD):
#   unset   host's on a host of the image's Debian release, stage's on another
#   host    the release build's ($PIZZA_BIN, as ctest runs this test): binaries
#           built on this host link its libraries, so only on the image's release
#   stage   as the Dockerfile's build stage makes them (tests/tools/image/
#           rootfs.sh build): in a debootstrapped root of the build stage's
#           release, with its packages, COPYs and RUNs (librdkafka's source
#           package is the host's .deps/librdkafka-source, fetched if missing).
#           What a Debian 13 host needs: its own binaries want libssl3t64 and
#           other libraries a bookworm image lacks.
# Root only (chroot, mount), and never a skip: without root or without a
# reachable Debian mirror it fails saying so, as with PIZZA_IMAGE_BUILD=host on
# another release. The roots are built once into .deps/ ($PIZZA_DEPS_DIR) and
# reused: the runtime's in 2-3 min; the build stage's in 3-6 min, then the
# daemons in it, 4-5 min (on two busy cores), again only when the files that
# stage copies change.
# shellcheck disable=SC2317 # functions that only a trap or wait_until calls
set -euo pipefail
# shellcheck source=SCRIPTDIR/../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
lib_init image_rootfs

PY=/usr/bin/python3 # Debian's, where python3-yaml is installed
TOOLS=$PIZZA_ROOT/tests/tools/image
IMAGE_ROOT=

# ------------------------------------------------------------------ cleanup

# Every process in the image root and its /proc mount go before lib_cleanup
# (which stops the broker and deletes $WORK): the root is outside $WORK, and
# is deleted only once nothing is mounted in it.
image_exit() {
    local rc=$1 name pid left
    trap - EXIT
    set +e
    for name in "${LIB_DAEMONS[@]}"; do
        # lib.sh's own table: stop_daemon fails on a daemon not running
        [[ -n ${LIB_PIDS[$name]:-} ]] && stop_daemon "$name" >/dev/null 2>&1
    done
    if [[ -n $IMAGE_ROOT && -d $IMAGE_ROOT ]]; then
        # any process whose root is the image's (/proc/PID/root)
        while IFS= read -r pid; do
            pid=${pid#/proc/} pid=${pid%/root}
            printf 'FAIL [%s]: pid %s still runs in the image root: %s\n' "$LIB_TEST_NAME" \
                "$pid" "$(tr '\0' ' ' <"/proc/$pid/cmdline")" >&2
            kill -KILL "$pid"
            rc=1
        done < <(find /proc -mindepth 2 -maxdepth 2 -name root -lname "$IMAGE_ROOT" 2>/dev/null)
        image_umount
        left=$(findmnt -rn -o TARGET | grep -F "$IMAGE_ROOT/")
        if [[ -n $left ]]; then
            printf 'FAIL [%s]: still mounted, %s kept: %s\n' "$LIB_TEST_NAME" "$IMAGE_ROOT" "$left" >&2
            rc=1
        else
            rm -rf --one-file-system "$IMAGE_ROOT"
        fi
    fi
    lib_cleanup "$rc"
}
trap 'image_exit $?' EXIT

image_umount() {
    local m
    for m in $(findmnt -rn -o TARGET | grep -F "$IMAGE_ROOT/" | sort -r); do
        umount "$m" 2>/dev/null || umount -l "$m"
    done
}

# ------------------------------------------------------------------ preconditions

[[ $(id -u) -eq 0 ]] || fail "must run as root: debootstrap, chroot and mount need it (this test never skips)"
[[ $LIB_BROKER_KIND == kafka ]] ||
    fail "runs on a real Apache Kafka only: PIZZA_BROKER=kafka (ctest: kafka_image_rootfs)"
command -v docker-compose >/dev/null || fail "docker-compose not found (scripts/deps.sh installs it)"
"$PY" -c 'import yaml' 2>/dev/null || fail "$PY has no yaml module (package python3-yaml)"

release=$("$PY" "$TOOLS/image_facts.py" dockerfile "$PIZZA_ROOT" | sed -n 's/^release //p')
[[ -n $release ]] || fail "cannot read the Dockerfile's runtime release"
host=$(sed -n 's/^VERSION_CODENAME=//p' /etc/os-release)
build=${PIZZA_IMAGE_BUILD:-}
case $build in
'') if [[ $host == "$release" ]]; then build=host; else build=stage; fi ;;
host)
    [[ $host == "$release" ]] ||
        fail "PIZZA_IMAGE_BUILD=host, but this host is Debian ${host:-(no VERSION_CODENAME)} and the \
image (Dockerfile FROM) Debian $release: the daemons in $PIZZA_BIN link this host's libraries, not \
the image's. Unset PIZZA_IMAGE_BUILD (or set it to stage) to build them in a Debian $release root"
    ;;
stage) ;;
*) fail "PIZZA_IMAGE_BUILD is host, stage or unset, not '$build'" ;;
esac
if [[ $build == host ]]; then
    for name in "${LIB_DAEMONS[@]}"; do
        [[ -x $PIZZA_BIN/$name ]] || fail "$PIZZA_BIN/$name not found: build first (PIZZA_BIN)"
    done
    # (clang links the sanitizers in statically: look for them in the binary)
    ! grep -q -a __asan_init "$PIZZA_BIN/pizza-service" ||
        fail "$PIZZA_BIN holds a sanitizer build: the image runs release binaries (ctest runs this in the release build)"
fi

# ------------------------------------------------------------------ the daemons

if [[ $build == stage ]]; then
    lib_log "building the daemons as the Dockerfile's build stage does, in a Debian root of its release" \
        "(PIZZA_IMAGE_BUILD=${PIZZA_IMAGE_BUILD:-unset}; host Debian ${host:-unknown}, image $release)"
    t0=$SECONDS
    # from here on the stage's: lib_launch checks $PIZZA_BIN/NAME, the wrapper runs its copy in the root
    PIZZA_BIN=$(bash "$TOOLS/rootfs.sh" build 2>"$WORK/build-stage.log") ||
        fail "building the daemons in the build stage's root failed: $(tail -n 15 "$WORK/build-stage.log")"
    # what was built now (the stage's root, the daemons), or nothing: both cached
    built=$(sed -n 's#^image-rootfs: built .*/\([^/]*\) in \([0-9]* s\)$#\1 in \2#p' "$WORK/build-stage.log" |
        paste -sd ';' | sed 's/;/; /g')
    lib_log "the build stage's daemons: $PIZZA_BIN, in $((SECONDS - t0)) s (built: ${built:-nothing, all cached})"
else
    lib_log "the daemons of this host's build: $PIZZA_BIN (host Debian $host;" \
        "PIZZA_IMAGE_BUILD=${PIZZA_IMAGE_BUILD:-unset})"
fi

# ------------------------------------------------------------------ the image root

t0=$SECONDS
tarball=$(bash "$TOOLS/rootfs.sh" tarball 2>"$WORK/rootfs.log") ||
    fail "building the image root failed: $(tail -n 5 "$WORK/rootfs.log")"
t_tarball=$((SECONDS - t0))
IMAGE_ROOT=$(realpath "$(mktemp -d "${TMPDIR:-/tmp}/pizza-image-root.XXXXXX")")
tar --numeric-owner -C "$IMAGE_ROOT" -xf "$tarball" || fail "cannot unpack $tarball"
chmod 755 "$IMAGE_ROOT" # as a container's /: the image user must traverse it
# the rest of the runtime stage: the daemons ($PIZZA_BIN), config/*.ini, WORKDIR, USER
bash "$TOOLS/rootfs.sh" finish "$IMAGE_ROOT" "$PIZZA_BIN" >"$WORK/image.facts" 2>>"$WORK/rootfs.log" ||
    fail "the runtime stage's last steps failed: $(tail -n 5 "$WORK/rootfs.log")"
workdir='' user=''
IMAGE_ENV=()
while IFS= read -r line; do
    eval "set -- $line"
    case $1 in
    workdir) workdir=$2 ;;
    user) user=$2 ;;
    env) IMAGE_ENV+=("$2") ;;
    esac
done <"$WORK/image.facts"
[[ -n $workdir && -n $user ]] || fail "rootfs.sh finish told no workdir or user: $(cat "$WORK/image.facts")"
lib_log "image root $IMAGE_ROOT: Debian $release, user $user, workdir $workdir" \
    "(root tarball ${t_tarball} s, unpacked and finished in $((SECONDS - t0 - t_tarball)) s)"

# The image's user, as Docker's USER resolves it: the root's /etc/passwd.
IFS=: read -r _ _ uid gid _ home _ < <(grep "^${user%%:*}:" "$IMAGE_ROOT/etc/passwd") ||
    fail "user ${user%%:*} is not in the image's /etc/passwd"
assert_eq "10001 10001" "$uid $gid" "uid and gid of the image's user $user (deploy/k8s runs as 10001:10001)"

# What an engine gives each container and the image does not hold: a /etc/hosts
# (Docker's own lines for localhost) and /proc. /dev's nodes are debootstrap's.
printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$IMAGE_ROOT/etc/hosts"
mount -t proc proc "$IMAGE_ROOT/proc" || fail "cannot mount /proc in $IMAGE_ROOT"

# ------------------------------------------------------------------ libraries

# Every daemon's libraries, as the image's dynamic loader finds them: none
# missing, each a file some installed package owns (not one left by chance).
mkdir "$WORK/ldd"
for name in "${LIB_DAEMONS[@]}"; do
    chroot "$IMAGE_ROOT" /usr/bin/ldd "/usr/local/bin/$name" >"$WORK/ldd/$name" 2>&1 ||
        fail "ldd /usr/local/bin/$name in the image failed: $(cat "$WORK/ldd/$name")"
    ! grep -q 'not found' "$WORK/ldd/$name" ||
        fail "$name: libraries missing from the image: $(grep 'not found' "$WORK/ldd/$name" | tr -s '\t\n' '  ')"
done
mapfile -t libs < <(sed -n 's#^.* => \(/[^ ]*\) (0x.*#\1#p; s#^\t\(/[^ ]*\) (0x.*#\1#p' "$WORK"/ldd/* | sort -u)
((${#libs[@]} >= 10)) || fail "ldd listed only ${#libs[@]} libraries: $(cat "$WORK/ldd/pizza-service")"
owners=()
for lib in "${libs[@]}"; do
    # dpkg knows a library by the path its package ships (/lib or /usr/lib:
    # merged /usr makes both work for the loader)
    owner=$(chroot "$IMAGE_ROOT" dpkg -S "$lib" 2>/dev/null ||
        chroot "$IMAGE_ROOT" dpkg -S "$(chroot "$IMAGE_ROOT" realpath "$lib")" 2>/dev/null ||
        chroot "$IMAGE_ROOT" dpkg -S "${lib#/usr}" 2>/dev/null) ||
        fail "$lib: in the image, but no installed package owns it"
    owners+=("${owner%%:*}")
done
lib_log "${#libs[@]} libraries, all resolved in the image, from: $(printf '%s\n' "${owners[@]}" | sort -u | tr '\n' ' ')"

# ------------------------------------------------------------------ compose

# The compose file as compose reads it (anchors merged, .env's ${...} filled),
# with only .env feeding the ${...}, as compose_config.sh does.
(cd "$PIZZA_ROOT" && env -i PATH="$PATH" HOME="${HOME:-/tmp}" \
    docker-compose -f "$PIZZA_ROOT/docker-compose.yml" config) >"$WORK/compose.yml" 2>"$WORK/compose.err" ||
    fail "docker-compose config failed: $(cat "$WORK/compose.err")"
"$PY" "$TOOLS/image_facts.py" compose "$WORK/compose.yml" "$IMAGE_ROOT" >"$WORK/compose.facts" ||
    fail "cannot read the daemons from docker-compose.yml"

declare -A SVC_CMD=() SVC_PORT=() SVC_ENV=() SVC_HEALTH=() SVC_TIMEOUT=() BIN_SVC=()
svc=
while IFS= read -r line; do
    eval "set -- $line"
    case $1 in
    daemon) svc=$2 ;;
    command) SVC_CMD[$svc]=${line#command } BIN_SVC[$2]=$svc ;;
    port) SVC_PORT[$svc]=$2 ;;
    env) SVC_ENV[$svc]+=" $(printf %q "$2")" ;;
    health) SVC_HEALTH[$svc]=${line#health } ;;
    timeout) SVC_TIMEOUT[$svc]=$2 ;;
    esac
done <"$WORK/compose.facts"
for name in "${LIB_DAEMONS[@]}"; do
    [[ -n ${BIN_SVC[$name]:-} ]] || fail "no compose service runs $name"
done
assert_eq "${#LIB_DAEMONS[@]}" "${#SVC_CMD[@]}" "daemon services in docker-compose.yml"

# The local Kafka first: the daemons' environment names it.
t1=$SECONDS
start_broker
t_broker=$((SECONDS - t1))

# N free loopback ports, held together while chosen (kafka.sh's helper)
free_ports() { "$PY" "$PIZZA_ROOT/scripts/free_ports.py" "$1"; }
read -ra ports <<<"$(free_ports "${#LIB_DAEMONS[@]}")"
assert_eq "${#LIB_DAEMONS[@]}" "${#ports[@]}" "free ports found"

# argv files, read by the wrapper below: how each daemon and its healthcheck
# run in the image, as a container of its compose service would.
mkdir "$WORK/image"
declare -A PORT=()
i=0
for name in "${LIB_DAEMONS[@]}"; do
    svc=${BIN_SVC[$name]}
    PORT[$name]=${ports[i]}
    i=$((i + 1))
    # a container's host name: its id, 12 hex digits
    hostid=$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
    # The container's environment: the image's PATH and ENV, HOSTNAME, HOME of
    # its user, then compose's. Two overrides: this chroot shares the host's
    # network, so Kafka is the local one (not kafka:9092) and the daemons, each
    # alone in its container on its [http] port under compose, need ports of
    # their own here (HTTP_PORT, free ones).
    compose_env=()
    eval "compose_env=(${SVC_ENV[$svc]})"
    env=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOSTNAME="$hostid" HOME="$home"
        "${IMAGE_ENV[@]}")
    seen_bootstrap=0
    for e in "${compose_env[@]}"; do
        [[ $e == KAFKA_BOOTSTRAP_SERVERS=* ]] && { seen_bootstrap=1; continue; }
        [[ $e == HTTP_PORT=* ]] && continue
        env+=("$e")
    done
    ((seen_bootstrap)) || fail "compose gives $svc no KAFKA_BOOTSTRAP_SERVERS to override"
    env+=(KAFKA_BOOTSTRAP_SERVERS="$KAFKA_BOOTSTRAP_SERVERS" HTTP_PORT="${PORT[$name]}")
    # unshare --uts: the host name is the container's own; every exec keeps the
    # pid, so lib.sh's pid is the daemon's
    # shellcheck disable=SC2016 # for the inner sh
    in_container=(unshare --uts -- /bin/sh -c 'hostname "$1" && shift && exec "$@"' sh "$hostid"
        chroot --userspec="$user" "$IMAGE_ROOT" /usr/bin/env -i --chdir="$workdir" "${env[@]}")
    cmd=()
    eval "cmd=(${SVC_CMD[$svc]})"
    printf '%s\0' "${in_container[@]}" "${cmd[@]}" >"$WORK/image/$name.argv"
    printf '%s\n' "${env[@]}" | sort >"$WORK/image/$name.env"
    # the healthcheck: compose's test, the daemon's container port made its port here
    eval "health=(${SVC_HEALTH[$svc]})"
    hits=0
    for j in "${!health[@]}"; do
        if [[ ${health[j]} == *":${SVC_PORT[$svc]}/"* ]]; then
            health[j]=${health[j]//":${SVC_PORT[$svc]}/"/":${PORT[$name]}/"}
            hits=$((hits + 1))
        fi
    done
    assert_eq 1 "$hits" "$svc healthcheck words naming its port ${SVC_PORT[$svc]}"
    printf '%s\0' timeout "${SVC_TIMEOUT[$svc]}" "${in_container[@]}" "${health[@]}" \
        >"$WORK/image/$name.health"
done

# PIZZA_WRAPPER for lib_launch, whose "$PIZZA_BIN/NAME -c $PIZZA_ROOT/config/FILE"
# becomes NAME's compose command in the image (the same FILE, copied to where
# the Dockerfile puts config/*.ini).
cat >"$WORK/image/wrapper" <<'EOF'
#!/usr/bin/env bash
set -euo pipefail
mapfile -d '' -t argv <"$WORK/image/${1##*/}.argv"
[[ $2 == -c && ${argv[-1]##*/} == "${3##*/}" ]] || {
    echo "image wrapper: lib.sh runs $* but compose ${argv[*]: -3}" >&2
    exit 127
}
exec "${argv[@]}"
EOF
chmod 755 "$WORK/image/wrapper"

# healthcheck NAME: compose's healthcheck of NAME's service, in the image.
healthcheck() {
    local argv
    mapfile -d '' -t argv <"$WORK/image/$1.health"
    "${argv[@]}"
}

# ------------------------------------------------------------------ run

# Before anything listens, every healthcheck must fail (so it can fail).
for name in "${LIB_DAEMONS[@]}"; do
    if healthcheck "$name" >"$WORK/health-$name.out" 2>&1; then
        fail "$name's healthcheck passed with no daemon on port ${PORT[$name]}"
    fi
done
lib_log "healthchecks fail with no daemon up: $(head -c 120 "$WORK/health-pizza-service.out")"

t1=$SECONDS
for name in "${LIB_DAEMONS[@]}"; do
    PIZZA_WRAPPER=$WORK/image/wrapper LIB_HTTP_PORT=${PORT[$name]} lib_launch "$name"
done
for name in "${LIB_DAEMONS[@]}"; do lib_await "$name"; done
lib_log "six daemons ready in the image in $((SECONDS - t1)) s (Kafka started in ${t_broker} s)"

for name in "${LIB_DAEMONS[@]}"; do
    pid=$(pid_of "$name")
    assert_eq "${PORT[$name]}" "$(port_of "$name")" "$name's HTTP port"
    # the image's binary, root, working directory and user
    assert_eq "$IMAGE_ROOT/usr/local/bin/$name" "$(readlink "/proc/$pid/exe")" "$name's executable"
    assert_eq "$IMAGE_ROOT" "$(readlink "/proc/$pid/root")" "$name's root"
    assert_eq "$IMAGE_ROOT$workdir" "$(readlink "/proc/$pid/cwd")" "$name's working directory"
    assert_eq "$uid $uid $uid $uid" "$(awk '$1 == "Uid:" { print $2, $3, $4, $5 }' "/proc/$pid/status")" \
        "$name's uids"
    assert_eq "$gid $gid $gid $gid" "$(awk '$1 == "Gid:" { print $2, $3, $4, $5 }' "/proc/$pid/status")" \
        "$name's gids"
    # every file it has mapped (its libraries) is the image's
    outside=$(awk -v root="$IMAGE_ROOT/" '$6 ~ /^\// && index($6, root) != 1 { print $6 }' "/proc/$pid/maps" |
        sort -u)
    [[ -z $outside ]] || fail "$name maps files from outside the image: $outside"
    # compose's command and environment
    assert_eq "$(tr '\0' ' ' <"$WORK/image/$name.argv" | awk '{ print $(NF-2), $(NF-1), $NF }')" \
        "$(tr '\0' ' ' <"/proc/$pid/cmdline" | sed 's/ $//')" "$name's command"
    tr '\0' '\n' <"/proc/$pid/environ" | sort >"$WORK/environ-$name"
    cmp -s "$WORK/image/$name.env" "$WORK/environ-$name" ||
        fail "$name's environment is not the container's: $(diff "$WORK/image/$name.env" "$WORK/environ-$name" | tr '\n' ' ')"
    if ! healthcheck "$name" >"$WORK/health-$name.out" 2>&1; then
        fail "$name's compose healthcheck failed once ready: $(cat "$WORK/health-$name.out")"
    fi
done
lib_log "every daemon runs as $user ($uid:$gid) in $workdir with compose's command and environment; every healthcheck passes"

# ------------------------------------------------------------------ an order

pizza=http://127.0.0.1:$(port_of pizza-service)
report_url=http://127.0.0.1:$(port_of cheese-reporter)/report
assert_http 201 POST "$pizza/order/3"
id=$(jq -r .order_id <<<"$BODY")
[[ $id =~ ^[0-9a-f-]{36}$ ]] || fail "order_id is not a UUID: '$id'"
order_complete() {
    curl -sf --max-time 5 "$pizza/order/$id" | jq -e '.status == "complete"' >/dev/null
}
t1=$(lib_now_ms)
wait_until 30 order_complete
lib_log "order of 3 complete in $(($(lib_now_ms) - t1)) ms"
assert_http 200 GET "$pizza/order/$id"
assert_eq 3 "$(jq '.pizzas | length' <<<"$BODY")" "pizzas in the order"
assert_eq 0 "$(jq '[.pizzas[] | select(.sauce == "" or .cheese == "" or .meats == "" or .veggies == "")] | length' \
    <<<"$BODY")" "pizzas missing a topping"
truth=$(cheese_truth "$pizza" "$id") || fail "cheese_truth of a complete order failed"
report_is() { [[ $(curl -sf --max-time 5 "$report_url" | jq -S -c .) == "$truth" ]]; }
wait_until 30 report_is
lib_log "report $truth"

# docker compose stop: SIGTERM, and each daemon exits 0
for name in "${LIB_DAEMONS[@]}"; do
    rc=0
    stop_daemon "$name" || rc=$?
    assert_eq 0 "$rc" "$name's exit code after SIGTERM"
done
lib_log "total $((SECONDS - t0)) s"
pass
