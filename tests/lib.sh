# shellcheck shell=bash
# tests/lib.sh: shared library for the end-to-end tests in tests/e2e/.
#
# Usage (from tests/e2e/NAME.sh, which runs with `set -euo pipefail`):
#   source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
#   lib_init NAME
#   start_pipeline            # or start_broker + start_daemon ...
#   assert_http 201 POST "http://127.0.0.1:$(port_of pizza-service)/order/3"
#   pass
#
# Environment (set by ctest; defaults suit a manual run from a build in build/):
#   PIZZA_BIN   directory holding every executable (pizza-devbroker, the daemons)
#   PIZZA_ROOT  repository root; daemon configs are $PIZZA_ROOT/config/<name>.ini
#   PIZZA_WRAPPER  optional command prefix for the daemons (e.g. valgrind ...)
#   LIB_KEEP    non-empty: keep $WORK (logs) after a passing test too
#   LIB_WAIT_SCALE  whole number (1) multiplying this library's waits for the
#               daemons (start, /ready, SIGTERM): daemons under valgrind are slow
#   PIZZA_BROKER  dev (default): pizza-devbroker; kafka: a real Apache Kafka
#               from scripts/kafka.sh, its data under $WORK/kafka. start_broker
#               takes the same options on both, and broker_cmd's "broker down
#               ID" / "broker up ID" become a kill -9 / restart of that node.
#   LIB_KAFKA_SECURE  non-empty (with PIZZA_BROKER=kafka): the cluster takes
#               SASL_SSL only, under ACLs (kafka.sh start --secure). Every
#               daemon logs in as its own SCRAM-SHA-512 user through
#               config/examples/sasl-scram.env and gets what
#               scripts/kafka-acls.sh grants it (LIB_KAFKA_ACLS=none: nothing;
#               lib_kafka_acls grants or revokes). kcat here is admin (KCAT_CONFIG).

#
# Rules for tests:
#   - Call start_*/stop_*/kill9_daemon/assert_http in the test's own shell, never
#     inside $(...): they record pids, ports and $BODY in shell variables, and
#     only the starting shell can `wait` for its children's exit codes.
#   - Everything started here is stopped by the EXIT trap; a background job the
#     test starts itself can be handed over with track_pid.
#   - Logs live in $WORK; on failure the last 40 lines of each are printed and
#     $WORK is kept.

PIZZA_ROOT=${PIZZA_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
PIZZA_BIN=${PIZZA_BIN:-$PIZZA_ROOT/build/bin}
export PIZZA_ROOT PIZZA_BIN

LIB_TEST_NAME=
WORK=
BODY=
HTTP_CODE=
declare -gA LIB_PIDS=()  # NAME -> pid of a running process we started
declare -gA LIB_PORTS=() # NAME -> HTTP port of a daemon
declare -gA LIB_LOGOFF=() # NAME -> byte offset in NAME.log where its current run starts
declare -gA LIB_LASTPORT=() # NAME -> HTTP port of its latest run (kept after it stops)
LIB_EXIT_CODE=            # exit code of the daemon reap_daemon last reaped
LIB_WAIT_SCALE=${LIB_WAIT_SCALE:-1}
[[ $LIB_WAIT_SCALE =~ ^[1-9][0-9]*$ ]] || {
    echo "lib.sh: LIB_WAIT_SCALE must be a whole number >= 1, got '$LIB_WAIT_SCALE'" >&2
    exit 1
}
declare -ga LIB_EXTRA_PIDS=()
LIB_BROKER_FD=
LIB_BROKER_OUT=
LIB_BROKER_KIND=${PIZZA_BROKER:-dev}
[[ $LIB_BROKER_KIND == dev || $LIB_BROKER_KIND == kafka ]] || {
    echo "lib.sh: PIZZA_BROKER must be dev or kafka, got '$LIB_BROKER_KIND'" >&2
    exit 1
}
LIB_KAFKA_DIR= # the running real-Kafka cluster's directory
LIB_KAFKA_SECURE=${LIB_KAFKA_SECURE:-}
[[ -z $LIB_KAFKA_SECURE || $LIB_BROKER_KIND == kafka ]] || {
    echo "lib.sh: LIB_KAFKA_SECURE needs PIZZA_BROKER=kafka" >&2
    exit 1
}

# ---------------------------------------------------------------- reporting

# fail MSG: prints MSG with the test's name and the test-script line that led
# here (the first caller outside this library), then exits 1; the EXIT trap
# then dumps the logs.
fail() {
    local i=0 frame where="?"
    while frame=$(caller "$i"); do
        if [[ ${frame##* } != "${BASH_SOURCE[0]}" ]]; then
            where="${frame##* }:${frame%% *}"
            break
        fi
        i=$((i + 1))
    done
    printf 'FAIL [%s] %s: %s\n' "${LIB_TEST_NAME:-?}" "${where##*/}" "$*" >&2
    # Inside $(...) or a pipeline, exiting the subshell alone would let the
    # test carry on with an empty value: make the test's own shell fail too.
    ((BASH_SUBSHELL == 0)) || kill -USR1 $$ 2>/dev/null
    exit 1
}

# pass: prints the final line and exits 0.
pass() {
    printf 'PASS [%s]\n' "$LIB_TEST_NAME"
    exit 0
}

lib_log() { printf 'lib [%s]: %s\n' "${LIB_TEST_NAME:-?}" "$*" >&2; }

# Milliseconds since the epoch, without forking date(1).
lib_now_ms() {
    local t=${EPOCHREALTIME/[.,]/}
    echo $((t / 1000))
}

# ---------------------------------------------------------------- lifecycle

# lib_init NAME: creates $WORK and installs the cleanup trap.
lib_init() {
    [[ $# -eq 1 ]] || fail "usage: lib_init NAME"
    LIB_TEST_NAME=$1
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/pizza-e2e-$1.XXXXXX")
    export WORK
    trap 'lib_cleanup $?' EXIT
    # INT/TERM become a failing exit so the EXIT trap runs exactly once.
    trap 'exit 130' INT
    trap 'exit 143' TERM
    trap 'exit 1' USR1 # sent by fail() from a subshell
    local tool
    for tool in curl jq kcat; do
        command -v "$tool" >/dev/null || fail "required tool '$tool' not found in PATH"
    done
}

# lib_alive PID: true while PID exists and is not a zombie (kill -0 succeeds
# on an unreaped child, which would make a dead daemon look alive).
lib_alive() {
    local stat
    { read -r stat </proc/"$1"/stat; } 2>/dev/null || return 1
    stat=${stat##*) }
    [[ ${stat%% *} != Z ]]
}

# lib_stop_pid PID TERM_WAIT_S: SIGTERM, wait, then SIGKILL; reaps it and
# returns its exit status (128+signal if killed).
lib_stop_pid() {
    local pid=$1 deadline rc=0
    deadline=$(($(lib_now_ms) + $2 * 1000))
    kill -TERM "$pid" 2>/dev/null || true
    while lib_alive "$pid" && (($(lib_now_ms) < deadline)); do sleep 0.05; done
    if lib_alive "$pid"; then
        lib_log "pid $pid ignored SIGTERM for $2 s; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || rc=$?
    return "$rc"
}

# lib_stop_all PID...: stops several processes in parallel (TERM, 5 s × scale, KILL).
lib_stop_all() {
    local pid deadline
    (($# > 0)) || return 0
    for pid in "$@"; do kill -TERM "$pid" 2>/dev/null || true; done
    deadline=$(($(lib_now_ms) + 5000 * LIB_WAIT_SCALE))
    for pid in "$@"; do
        while lib_alive "$pid" && (($(lib_now_ms) < deadline)); do sleep 0.05; done
        lib_alive "$pid" && kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null || true
    done
}

lib_dump_logs() {
    local f
    for f in "$WORK"/*.log "$WORK"/*.out "$WORK"/kafka/node-*/server.log; do
        [[ -f $f ]] || continue
        printf '\n===== %s (last 40 lines) =====\n' "${f#"$WORK"/}" >&2
        tail -n 40 "$f" >&2
    done
    printf '\n===== logs kept in %s =====\n' "$WORK" >&2
}

# EXIT trap: daemons stop first so they can still reach the broker while they
# flush and commit; then the broker and any tracked helpers.
lib_cleanup() {
    local rc=$1 name pids=()
    trap - EXIT INT TERM USR1
    set +e
    for name in "${!LIB_PIDS[@]}"; do
        [[ $name == broker ]] || pids+=("${LIB_PIDS[$name]}")
    done
    lib_stop_all "${pids[@]}"
    pids=("${LIB_EXTRA_PIDS[@]}")
    [[ -n ${LIB_PIDS[broker]:-} ]] && pids+=("${LIB_PIDS[broker]}")
    lib_stop_all "${pids[@]}"
    [[ -n $LIB_BROKER_FD ]] && exec {LIB_BROKER_FD}>&-
    # its data is thrown away with $WORK: no need for a slow clean shutdown
    [[ -n $LIB_KAFKA_DIR ]] && BROKER_STOP_S=2 bash "$PIZZA_ROOT/scripts/kafka.sh" stop "$LIB_KAFKA_DIR" 2>>"$WORK/broker.log"
    # Sanitizers and valgrind (-q) report memory errors and leaks in the
    # daemons' logs, often only at exit: any report fails the test.
    if [[ -n $WORK && -d $WORK ]] && ((rc == 0)) &&
        grep -lE 'ERROR: (Address|Leak)Sanitizer|runtime error:|^==[0-9]+== ' "$WORK"/*.log >/dev/null 2>&1; then
        printf 'FAIL [%s]: sanitizer report in %s\n' "$LIB_TEST_NAME" \
            "$(grep -lE 'ERROR: (Address|Leak)Sanitizer|runtime error:|^==[0-9]+== ' "$WORK"/*.log | tr '\n' ' ')" >&2
        rc=1
    fi
    if [[ -n $WORK && -d $WORK ]]; then

        if ((rc != 0)); then
            lib_dump_logs
        elif [[ -n ${LIB_KEEP:-} ]]; then
            lib_log "logs kept in $WORK (LIB_KEEP)"
        else
            rm -rf "$WORK"
        fi
    fi
    exit "$rc"
}

# track_pid PID: a background process the test started itself, stopped at exit.
track_pid() { LIB_EXTRA_PIDS+=("$1"); }

# pid_of NAME / port_of NAME: print the pid / HTTP port of a running daemon
# started by start_daemon (pid_of broker works too).
pid_of() {
    [[ -n ${LIB_PIDS[$1]:-} ]] || fail "pid_of: '$1' is not running"
    echo "${LIB_PIDS[$1]}"
}

port_of() {
    [[ -n ${LIB_PORTS[$1]:-} ]] || fail "port_of: '$1' is not running"
    echo "${LIB_PORTS[$1]}"
}

# ---------------------------------------------------------------- broker

# start_broker [pizza-devbroker args...]: starts the dev broker with its stdin
# on a fifo this shell keeps open (so broker_cmd can talk to it and EOF never
# reaches it), waits for its bootstrap line and exports KAFKA_BOOTSTRAP_SERVERS.
# With PIZZA_BROKER=kafka, starts a real Kafka instead (lib_kafka_start).
start_broker() {
    local bin=$PIZZA_BIN/pizza-devbroker fifo=$WORK/broker.in deadline pid
    [[ -n $WORK ]] || fail "start_broker: call lib_init first"
    [[ -z ${LIB_PIDS[broker]:-} && -z $LIB_KAFKA_DIR ]] || fail "start_broker: broker already running"
    if [[ $LIB_BROKER_KIND == kafka ]]; then
        lib_kafka_start "$@"
        return
    fi
    [[ -x $bin ]] || fail "start_broker: $bin not found or not executable (PIZZA_BIN=$PIZZA_BIN)"
    LIB_BROKER_OUT=$WORK/broker.out
    rm -f "$fifo" && mkfifo "$fifo"
    : >"$LIB_BROKER_OUT" # exists before the wait below greps it
    # Read-write open of a fifo never blocks on Linux, and holding a writer
    # here means the broker's own open for reading never blocks either.
    exec {LIB_BROKER_FD}<>"$fifo"
    (
        exec {LIB_BROKER_FD}>&- # the broker must see EOF once we close ours
        exec "$bin" "$@"
    ) <"$fifo" >"$LIB_BROKER_OUT" 2>>"$WORK/broker.log" &
    pid=$!
    LIB_PIDS[broker]=$pid
    deadline=$(($(lib_now_ms) + 10000))
    until grep -q '^bootstrap\.servers=' "$LIB_BROKER_OUT"; do
        lib_alive "$pid" || fail "pizza-devbroker exited before it was ready: $(tail -n 3 "$WORK/broker.log")"
        (($(lib_now_ms) < deadline)) || fail "pizza-devbroker printed no bootstrap line within 10 s"
        sleep 0.05
    done
    KAFKA_BOOTSTRAP_SERVERS=$(sed -n 's/^bootstrap\.servers=//p' "$LIB_BROKER_OUT" | head -n 1)
    export KAFKA_BOOTSTRAP_SERVERS
    lib_log "broker pid $pid at $KAFKA_BOOTSTRAP_SERVERS"
}

# broker_cmd COMMAND...: sends one control line ("broker down 1", "ping", ...)
# and prints the broker's one-line reply ("ok" or "error: reason"). Returns 0
# whenever a reply arrived, so assert on the text: assert_eq ok "$(broker_cmd ping)".
# Safe inside $(...): the reply is found by line count, not by shell state.
broker_cmd() {
    local seen deadline
    if [[ -n $LIB_KAFKA_DIR ]]; then
        lib_kafka_cmd "$@"
        return
    fi
    [[ -n $LIB_BROKER_FD && -n ${LIB_PIDS[broker]:-} ]] || fail "broker_cmd: broker not running"
    # stdout holds only the bootstrap line and replies, one per command, and
    # commands are strictly sequential: the reply is the line after those seen.
    seen=$(wc -l <"$LIB_BROKER_OUT")
    printf '%s\n' "$*" >&"$LIB_BROKER_FD"
    deadline=$(($(lib_now_ms) + 10000))
    while (($(wc -l <"$LIB_BROKER_OUT") <= seen)); do
        (($(lib_now_ms) < deadline)) || fail "broker_cmd: no reply to '$*' within 10 s"
        sleep 0.01
    done
    sed -n "$((seen + 1))p" "$LIB_BROKER_OUT"
}

# stop_broker: SIGTERM, waits up to 10 s (then SIGKILL); returns its exit code.
stop_broker() {
    local rc=0 pid=${LIB_PIDS[broker]:-}
    if [[ -n $LIB_KAFKA_DIR ]]; then
        bash "$PIZZA_ROOT/scripts/kafka.sh" stop "$LIB_KAFKA_DIR" 2>>"$WORK/broker.log" || rc=$?
        LIB_KAFKA_DIR=
        return "$rc"
    fi
    [[ -n $pid ]] || fail "stop_broker: broker not running"
    lib_stop_pid "$pid" 10 || rc=$?
    unset 'LIB_PIDS[broker]'
    exec {LIB_BROKER_FD}>&-
    LIB_BROKER_FD=
    ((rc == 0)) || lib_log "pizza-devbroker exited with code $rc"
    return "$rc"
}

# ---------------------------------------------------------------- real Kafka

# lib_kafka_start [--brokers N] [--partitions P] [--replication R]
#                 [--topic NAME[:P]]...: start_broker's options, on a real Kafka
# (scripts/kafka.sh) under $WORK/kafka that ends with this test's shell.
lib_kafka_start() {
    local nodes=1 partitions=6 rf="" topics=() t line
    while (($#)); do
        case $1 in
        --brokers | --partitions | --replication | --topic)
            (($# >= 2)) || fail "start_broker: $1 needs a value"
            case $1 in
            --brokers) nodes=$2 ;;
            --partitions) partitions=$2 ;;
            --replication) rf=$2 ;;
            --topic) topics+=("$2") ;;
            esac
            shift 2
            ;;
        *) fail "start_broker: option '$1' has no real-Kafka equivalent" ;;
        esac
    done
    LIB_KAFKA_DIR=$WORK/kafka
    line=$(bash "$PIZZA_ROOT/scripts/kafka.sh" start "$LIB_KAFKA_DIR" --brokers "$nodes" \
        --partitions "$partitions" ${rf:+--replication "$rf"} ${LIB_KAFKA_SECURE:+--secure} \
        --owner $$ 2>>"$WORK/broker.log") ||
        fail "scripts/kafka.sh start failed: $(tail -n 5 "$WORK/broker.log")"
    [[ $line == bootstrap.servers=* ]] || fail "scripts/kafka.sh start printed '$line'"
    KAFKA_BOOTSTRAP_SERVERS=${line#bootstrap.servers=}
    export KAFKA_BOOTSTRAP_SERVERS
    if [[ -n $LIB_KAFKA_SECURE ]]; then
        export KCAT_CONFIG=$LIB_KAFKA_DIR/cluster/admin.kcat
        [[ ${LIB_KAFKA_ACLS:-all} == none ]] || lib_kafka_acls grant "${LIB_DAEMONS[@]}"
    fi
    for t in "${topics[@]}"; do
        [[ $t == *:* ]] || t+=":$partitions"
        assert_eq ok "$(lib_kafka_cmd topic "${t%%:*}" "${t##*:}")" "creating topic $t"
    done
    lib_log "Apache Kafka ($nodes node(s)) at $KAFKA_BOOTSTRAP_SERVERS"
}

# lib_kafka_cmd COMMAND...: broker_cmd on real Kafka. "broker down ID" kills the
# node with SIGKILL (data kept), "broker up ID" starts it again and returns once
# it is back in the cluster's metadata; "topic NAME PARTITIONS" and "ping" as on
# the dev broker. Prints "ok" or "error: reason".
lib_kafka_cmd() {
    local kafka=$PIZZA_ROOT/scripts/kafka.sh err=$WORK/broker_cmd.err
    case "$*" in
    ping) echo ok; return 0 ;;
    "broker down "*) bash "$kafka" broker-kill "$LIB_KAFKA_DIR" "$3" 2>"$err" ;;
    "broker up "*) bash "$kafka" broker-start "$LIB_KAFKA_DIR" "$3" 2>"$err" ;;
    "topic "*) bash "$kafka" topic "$LIB_KAFKA_DIR" "${@:2}" 2>"$err" ;; # NAME PARTS [--config K=V]...
    *) echo "error: '$*' has no real-Kafka equivalent"; return 0 ;;
    esac && echo ok || echo "error: $(tail -n 1 "$err")"
}

# lib_kafka_acls ARGS...: scripts/kafka-acls.sh ARGS on the secured cluster,
# as its admin (e.g. lib_kafka_acls revoke meat-service --only group).
lib_kafka_acls() {
    [[ -n $LIB_KAFKA_SECURE && -n $LIB_KAFKA_DIR ]] || fail "lib_kafka_acls: no secured cluster"
    bash "$PIZZA_ROOT/scripts/kafka.sh" acls "$LIB_KAFKA_DIR" "$@" >>"$WORK/acls.log" 2>&1 ||
        fail "kafka-acls.sh $* failed: $(tail -n 5 "$WORK/acls.log")"
}

# lib_kafka_password NAME: a user's password on the secured cluster
lib_kafka_password() { cat "$LIB_KAFKA_DIR/cluster/users/$1"; }

# lib_kafka_client_env NAME: exports, in a daemon's subshell, what
# config/examples/sasl-scram.env gives daemon NAME: its own user, password and
# the cluster's CA (LIB_KAFKA_USER, LIB_KAFKA_PASSWORD, LIB_KAFKA_CA override
# them, e.g. a wrong password or a CA the brokers' certificate is not from).
# LIB_KAFKA_ENV=sasl-ssl: config/examples/sasl-ssl.env instead (PLAIN, as on
# Confluent Cloud), with the cluster's CA for the system bundle it names.
lib_kafka_client_env() {
    local user=${LIB_KAFKA_USER:-$1} password ca=${LIB_KAFKA_CA:-$LIB_KAFKA_DIR/cluster/tls/ca.pem}
    password=${LIB_KAFKA_PASSWORD:-$(lib_kafka_password "$user")}
    set -a
    if [[ ${LIB_KAFKA_ENV:-sasl-scram} == sasl-ssl ]]; then
        CONFLUENT_BOOTSTRAP=$KAFKA_BOOTSTRAP_SERVERS CONFLUENT_API_KEY=$user CONFLUENT_API_SECRET=$password
        # shellcheck source=/dev/null
        . "$PIZZA_ROOT/config/examples/sasl-ssl.env"
        KAFKA_SSL_CA_LOCATION=$ca
    else
        BOOTSTRAP=$KAFKA_BOOTSTRAP_SERVERS SASL_USERNAME=$user SASL_PASSWORD=$password CLUSTER_CA_FILE=$ca
        # shellcheck source=/dev/null
        . "$PIZZA_ROOT/config/examples/sasl-scram.env"
    fi
    set +a
}

# assert_no_secrets: no password of the secured cluster's users appears in any
# log of this test or in any running daemon's /metrics.
assert_no_secrets() {
    local f pw name
    for f in "$LIB_KAFKA_DIR"/cluster/users/*; do
        pw=$(cat "$f")
        for name in "${!LIB_PORTS[@]}"; do
            curl -sf --max-time 5 "http://127.0.0.1:${LIB_PORTS[$name]}/metrics" | grep -qF -- "$pw" &&
                fail "${f##*/}'s password is in $name's /metrics"
        done
        for name in "${LIB_DAEMONS[@]}"; do
            grep -lF -- "$pw" "$WORK/$name"*.log 2>/dev/null && fail "${f##*/}'s password is in a $name log"
        done
    done
    return 0
}

# ---------------------------------------------------------------- daemons

# lib_config_of NAME: config file name of a daemon binary.
lib_config_of() {
    case $1 in
    pizza-service) echo pizza.ini ;;
    sauce-service) echo sauce.ini ;;
    cheese-service) echo cheese.ini ;;
    meat-service) echo meat.ini ;;
    veggie-service) echo veggie.ini ;;
    cheese-reporter) echo cheese-reporter.ini ;;
    *) return 1 ;;
    esac
}

LIB_DAEMONS=(pizza-service sauce-service cheese-service meat-service veggie-service cheese-reporter)

# lib_launch NAME [args...]: starts the daemon in the background with cwd
# $PIZZA_ROOT, HTTP_PORT=0 (or $LIB_HTTP_PORT if set, as restart_daemon does),
# KAFKA_BOOTSTRAP_SERVERS and, for NAME@N, PIZZA_SERVICE_INSTANCE_ID=N (or
# $LIB_INSTANCE_ID if set); output appended to $WORK/NAME.log. Records the pid
# and the log offset this run starts at.
lib_launch() {
    local name=$1 cfg bin log
    shift
    # NAME@N is a further instance of daemon NAME, with its own pid, port and log
    cfg=$(lib_config_of "${name%@*}") || fail "start_daemon: unknown daemon '$name' (${LIB_DAEMONS[*]})"
    cfg=$PIZZA_ROOT/config/$cfg
    bin=$PIZZA_BIN/${name%@*}
    log=$WORK/$name.log
    [[ -z ${LIB_PIDS[$name]:-} ]] || fail "start_daemon: $name already running; stop_daemon first"
    [[ -x $bin ]] || fail "start_daemon: $bin not found or not executable (PIZZA_BIN=$PIZZA_BIN)"
    [[ -f $cfg ]] || fail "start_daemon: config $cfg not found"
    [[ -n ${KAFKA_BOOTSTRAP_SERVERS:-} ]] || fail "start_daemon: no KAFKA_BOOTSTRAP_SERVERS (start_broker first)"
    # Restarts append to the same log; only lines after this offset count.
    touch "$log"
    LIB_LOGOFF[$name]=$(stat -c %s "$log")
    (
        cd "$PIZZA_ROOT" || exit 127
        [[ -z $LIB_BROKER_FD ]] || exec {LIB_BROKER_FD}>&- # keep the control fifo ours
        export HTTP_PORT=${LIB_HTTP_PORT:-0} KAFKA_BOOTSTRAP_SERVERS
        # one host, many instances: what a container's own host name gives each
        # (NAME@N is instance N; LIB_INSTANCE_ID picks one instead)
        if [[ -n ${LIB_INSTANCE_ID:-} ]]; then
            export PIZZA_SERVICE_INSTANCE_ID=$LIB_INSTANCE_ID
        elif [[ $name == *@* ]]; then
            export PIZZA_SERVICE_INSTANCE_ID=${name#*@}
        fi
        [[ -z $LIB_KAFKA_SECURE ]] || lib_kafka_client_env "${name%@*}"
        # PIZZA_WRAPPER runs daemons under a tool, e.g. "valgrind --error-exitcode=99"
        # shellcheck disable=SC2086
        exec ${PIZZA_WRAPPER:-} "$bin" -c "$cfg" "$@"
    ) >>"$log" 2>&1 &
    LIB_PIDS[$name]=$!
}

# lib_died NAME WHAT: reaps a daemon that exited early and fails with its code.
lib_died() {
    local rc=0 pid=${LIB_PIDS[$1]}
    wait "$pid" 2>/dev/null || rc=$?
    unset "LIB_PIDS[$1]"
    fail "$1 (pid $pid) exited with code $rc $2; last lines of $1.log: $(tail -n 3 "$WORK/$1.log")"
}

# lib_await_listening NAME [soft]: waits for this run's "http listening" log
# line (15 s × LIB_WAIT_SCALE) and records the port. If the daemon exits first:
# fails, or with "soft" reaps it, sets LIB_EXIT_CODE and returns 1.
lib_await_listening() {
    local name=$1 pid=${LIB_PIDS[$1]} log=$WORK/$1.log off=${LIB_LOGOFF[$1]} port="" deadline
    deadline=$(($(lib_now_ms) + 15000 * LIB_WAIT_SCALE))
    while [[ -z $port ]]; do
        port=$(tail -c +"$((off + 1))" "$log" | grep -F '"http listening"' |
            jq -R -r 'fromjson? | select(.msg == "http listening") | .port' 2>/dev/null | head -n 1) || true
        [[ -n $port ]] && break
        if ! lib_alive "$pid"; then
            [[ ${2:-} == soft ]] || lib_died "$name" "before logging 'http listening'"
            LIB_EXIT_CODE=0
            wait "$pid" 2>/dev/null || LIB_EXIT_CODE=$?
            unset "LIB_PIDS[$name]"
            return 1
        fi
        (($(lib_now_ms) < deadline)) || fail "$name logged no 'http listening' line within $((15 * LIB_WAIT_SCALE)) s"
        sleep 0.05
    done
    [[ $port =~ ^[0-9]+$ ]] || fail "$name logged 'http listening' with a bad port: '$port'"
    LIB_PORTS[$name]=$port
    LIB_LASTPORT[$name]=$port
}

# lib_await_ready NAME: waits for GET /ready of a listening daemon to answer 200
# (30 s × LIB_WAIT_SCALE).
lib_await_ready() {
    local name=$1 pid=${LIB_PIDS[$1]} port=${LIB_PORTS[$1]} deadline code
    deadline=$(($(lib_now_ms) + 30000 * LIB_WAIT_SCALE))
    while :; do
        code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$port/ready") || true
        [[ $code == 200 ]] && break
        lib_alive "$pid" || lib_died "$name" "while waiting for /ready"
        (($(lib_now_ms) < deadline)) || fail "$name: GET /ready answered '$code', not 200, for $((30 * LIB_WAIT_SCALE)) s"
        sleep 0.05
    done
    lib_log "$name pid $pid ready on port $port"
}

# lib_await NAME: waits for this run's "http listening" log line (15 s × scale), records
# the port, then waits for GET /ready to answer 200 (30 s × scale).
lib_await() {
    lib_await_listening "$1"
    lib_await_ready "$1"
}

# start_daemon NAME [args...]: starts one daemon and waits until it is ready.
# NAME@N (e.g. pizza-service@2) starts a further instance of NAME; args after
# the default -c win, so "-c FILE" gives it its own config.
start_daemon() {
    [[ $# -ge 1 ]] || fail "usage: start_daemon NAME [args...]"
    lib_launch "$@"
    lib_await "$1"
}

# stop_daemon NAME: SIGTERM, waits up to 10 s × LIB_WAIT_SCALE (then SIGKILL);
# returns the exit code, so: rc=0; stop_daemon pizza-service || rc=$?; assert_eq 0 "$rc" "..."
stop_daemon() {
    local rc=0 pid=${LIB_PIDS[$1]:-}
    [[ -n $pid ]] || fail "stop_daemon: '$1' is not running"
    lib_stop_pid "$pid" $((10 * LIB_WAIT_SCALE)) || rc=$?
    unset "LIB_PIDS[$1]" "LIB_PORTS[$1]"
    ((rc == 0)) || lib_log "$1 exited with code $rc"
    return "$rc"
}

# kill9_daemon NAME: SIGKILL, reaped at once; NAME can then be started again.
kill9_daemon() {
    local pid=${LIB_PIDS[$1]:-}
    [[ -n $pid ]] || fail "kill9_daemon: '$1' is not running"
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    unset "LIB_PIDS[$1]" "LIB_PORTS[$1]"
    lib_log "$1 pid $pid killed with SIGKILL"
}

# reap_daemon NAME: if NAME (started here) has exited on its own, reaps it,
# forgets it as kill9_daemon does (restart_daemon can start it again), sets
# LIB_EXIT_CODE and returns 0; returns 1 while it runs.
reap_daemon() {
    local pid=${LIB_PIDS[$1]:-}
    [[ -n $pid ]] || fail "reap_daemon: '$1' is not running"
    lib_alive "$pid" && return 1
    LIB_EXIT_CODE=0
    wait "$pid" 2>/dev/null || LIB_EXIT_CODE=$?
    unset "LIB_PIDS[$1]" "LIB_PORTS[$1]"
    lib_log "$1 pid $pid had exited with code $LIB_EXIT_CODE"
}

# restart_daemon NAME [listening]: starts a stopped or killed daemon again on
# the HTTP port of its previous run (clients keep their URL) and waits until
# it is ready, or with "listening" only until it serves HTTP. If the port is
# briefly taken (e.g. by a client socket), retries for up to 5 s.
restart_daemon() {
    local name=$1 port=${LIB_LASTPORT[$1]:-} tries=0 off
    [[ -z ${LIB_PIDS[$name]:-} ]] || fail "restart_daemon: $name is running; kill9_daemon or stop_daemon first"
    [[ -n $port ]] || fail "restart_daemon: $name never listened on a port"
    while :; do
        LIB_HTTP_PORT=$port lib_launch "$name"
        off=${LIB_LOGOFF[$name]}
        lib_await_listening "$name" soft && break
        tries=$((tries + 1))
        if ((tries >= 25)) || ! tail -c +"$((off + 1))" "$WORK/$name.log" | grep -q 'cannot listen'; then
            fail "$name exited with code $LIB_EXIT_CODE on restart on port $port; last lines of $name.log: $(tail -n 3 "$WORK/$name.log")"
        fi
        sleep 0.2
    done
    [[ ${LIB_PORTS[$name]} == "$port" ]] || fail "restart_daemon: $name listens on ${LIB_PORTS[$name]}, not $port"
    if [[ ${2:-} == listening ]]; then
        lib_log "$name pid ${LIB_PIDS[$name]} restarted, listening on port $port"
    else
        lib_await_ready "$name"
    fi
}

# start_pipeline [pizza-devbroker args...]: the broker and all six daemons.
# The daemons start together and are then awaited one by one, so their
# consumer-group joins overlap instead of adding up.
start_pipeline() {
    local name
    start_broker "$@"
    for name in "${LIB_DAEMONS[@]}"; do lib_launch "$name"; done
    for name in "${LIB_DAEMONS[@]}"; do lib_await "$name"; done
}

# cheese_truth PIZZA_URL ID...: the report these orders make, {"<cheese>": count}
# over all their pizzas (sorted, compact), once every one is complete; returns
# 1 (printing nothing useful) while one is not.
cheese_truth() {
    local pizza=$1 id
    shift
    for id in "$@"; do
        curl -sf --max-time 5 "$pizza/order/$id" | jq -e 'select(.status == "complete")' || return 1
    done | jq -s -S -c '[.[].pizzas[].cheese] | group_by(.) | map({(.[0]): length}) | add // {}'
}

# ---------------------------------------------------------------- assertions

# assert_eq EXPECTED ACTUAL MSG
assert_eq() {
    [[ $# -eq 3 ]] || fail "usage: assert_eq EXPECTED ACTUAL MSG"
    [[ $1 == "$2" ]] || fail "$3: expected '$1', got '$2'"
}

# assert_http CODE METHOD URL [curl args...]: runs the request, checks the
# status code and leaves the body in $BODY (and the code in $HTTP_CODE).
# Extra args go to curl, e.g. -H 'Content-Type: application/json' -d '{}'.
assert_http() {
    [[ $# -ge 3 ]] || fail "usage: assert_http CODE METHOD URL [curl args...]"
    local want=$1 method=$2 url=$3 out=$WORK/http_body
    shift 3
    local how=(-X "$method")
    [[ $method == HEAD ]] && how=(--head) # -X HEAD would wait for a body
    HTTP_CODE=$(curl -s -o "$out" -w '%{http_code}' --max-time 10 "${how[@]}" "$@" "$url") || true
    BODY=$(cat "$out" 2>/dev/null) || BODY=
    [[ $HTTP_CODE == "$want" ]] ||
        fail "$method $url: expected HTTP $want, got ${HTTP_CODE:-none}; body: ${BODY:0:500}"
}

# wait_until TIMEOUT_S CMD...: runs CMD every 50 ms until it succeeds; fails
# after TIMEOUT_S seconds showing CMD's last output. CMD's output is hidden.
wait_until() {
    [[ $# -ge 2 ]] || fail "usage: wait_until TIMEOUT_S CMD..."
    local deadline out=$WORK/wait_until.out
    [[ $1 =~ ^[0-9]+$ ]] || fail "wait_until: TIMEOUT_S must be whole seconds, got '$1'"
    deadline=$(($(lib_now_ms) + $1 * 1000))
    shift
    while :; do
        if "$@" >"$out" 2>&1; then return 0; fi
        (($(lib_now_ms) < deadline)) || fail "timed out waiting for: $* (last output: $(tail -c 300 "$out"))"
        sleep 0.05
    done
}
