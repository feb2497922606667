#!/usr/bin/env bash
# A local Apache Kafka (KRaft) for the tests, the benchmark and local runs.
#
#   kafka.sh start DIR [--brokers N] [--partitions P] [--replication R] [--owner PID]
#                [--secure [--user NAME]...]
#       Formats N nodes under DIR and starts them on free loopback ports (N=1:
#       one combined controller+broker; N>1: every node is both, an N-voter
#       quorum), then creates every topic the daemons use by running the
#       `topics` job's own script from docker-compose.yml with the fetched
#       kafka-topics. Prints one line, bootstrap.servers=HOST:PORT[,...], once
#       the cluster is ready. --owner PID: the cluster stops itself when PID ends
#       (a test killed by its runner leaves no broker behind).
#       --secure: clients speak SASL_SSL only (a CA and broker certificate made
#       now, under DIR/cluster/tls; SCRAM-SHA-512 users admin and each --user
#       NAME, default the six daemons, with random passwords), and the
#       StandardAuthorizer denies what no ACL allows (admin is the super user;
#       grant the daemons theirs with scripts/kafka-acls.sh). DIR/cluster/
#       holds the CA (tls/ca.pem), each user's password (users/NAME) and
#       admin's client settings for kcat (admin.kcat) and Kafka's tools
#       (admin.properties); the bin/ tools use them.
#   kafka.sh stop DIR                 SIGTERM every node, SIGKILL after BROKER_STOP_S (10)
#   kafka.sh broker-kill DIR ID       kill -9 one node; its data stays
#   kafka.sh broker-stop DIR ID       SIGTERM one node (controlled shutdown), then SIGKILL
#   kafka.sh broker-start DIR ID      start a stopped or killed node on its old ports
#                                     and data; returns once it is back in the cluster
#   kafka.sh topic DIR NAME PARTITIONS [--config K=V]...   create one more topic
#   kafka.sh bootstrap DIR            print the bootstrap.servers line again
#   kafka.sh acls DIR ARGS...         scripts/kafka-acls.sh ARGS as admin, with
#                                     this cluster's kafka-acls
#   kafka.sh pids DIR                 the running nodes' pids, one per line
#   kafka.sh fetch                    only fetch the pinned Kafka (prints its jar dir)
#
# The version is the docker-compose.yml `kafka` image's tag, fetched once with
# mvn into ${PIZZA_KAFKA_CACHE:-~/.cache/pizza-kafka}/VERSION. Environment:
# BROKER_HEAP (512m) heap of each node; BROKER_JVM_OPTS (-XX:TieredStopAtLevel=1)
# more JVM options for the nodes; BROKER_STOP_S (10) SIGTERM-to-SIGKILL bound;
# BROKER_READY_S (90) how long start waits for the cluster; BROKER_CLUSTER_ID
# a KRaft cluster id (default: a random one).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
compose_file=$root/docker-compose.yml

die() {
    echo "kafka.sh: $*" >&2
    exit 1
}

usage() {
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//' >&2
    exit 2
}

now_ms() {
    local t=${EPOCHREALTIME/[.,]/}
    echo $((t / 1000))
}

# ------------------------------------------------------------------ fetching

kafka_version() {
    local v
    v=$(sed -n 's#^ *image: *apache/kafka:\([0-9][0-9.]*\) *$#\1#p' "$compose_file" | sort -u)
    [[ $v =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] ||
        die "expected one apache/kafka:X.Y.Z image tag in $compose_file, found '${v//$'\n'/ }'"
    echo "$v"
}

# What this script runs, installed here rather than by deps.sh so the
# dev-broker path never needs Java: java and mvn for the broker, kcat and jq
# for readiness, Debian's python3 with yaml for the compose topics job.
ensure_packages() {
    local missing=()
    command -v java >/dev/null || missing+=(default-jre-headless)
    command -v mvn >/dev/null || missing+=(maven)
    command -v kcat >/dev/null || missing+=(kcat)
    command -v jq >/dev/null || missing+=(jq)
    command -v openssl >/dev/null || missing+=(openssl) # --secure
    /usr/bin/python3 -c 'import yaml' 2>/dev/null || missing+=(python3-yaml)
    ((${#missing[@]} == 0)) && return 0
    local as_root=()
    [[ $(id -u) -eq 0 ]] || as_root=(sudo)
    echo "kafka.sh: installing ${missing[*]}" >&2
    "${as_root[@]}" apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >&2
}

# kafka_libs: prints the directory of the pinned version's jars, fetching them
# the first time. Concurrent callers (parallel tests) wait on one lock.
kafka_libs() {
    local version cache libs tmp
    version=$(kafka_version)
    cache=${PIZZA_KAFKA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pizza-kafka}/$version
    libs=$cache/libs
    ensure_packages
    if [[ ! -f $libs/.complete ]]; then
        mkdir -p "$cache"
        exec {lock}>"$cache/.lock"
        flock "$lock"
        if [[ ! -f $libs/.complete ]]; then
            echo "kafka.sh: fetching Apache Kafka $version with mvn into $cache" >&2
            tmp=$(mktemp -d "$cache/libs.XXXXXX")
            # -f: the pom is a fixed file; `cd` keeps mvn's own files out of the tree
            (cd "$tmp" && mvn -B -q -Dstyle.color=never -f "$root/scripts/kafka/pom.xml" -Dkafka.version="$version" \
                dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp") >&2 ||
                { rm -rf "$tmp"; die "mvn could not fetch org.apache.kafka:kafka_2.13:$version"; }
            [[ -f $tmp/kafka_2.13-$version.jar ]] || die "mvn fetched no kafka_2.13-$version.jar"
            touch "$tmp/.complete"
            rm -rf "$libs"
            mv "$tmp" "$libs"
        fi
        exec {lock}>&-
    fi
    echo "$libs"
}

# ------------------------------------------------------------------ one cluster

# DIR/cluster holds: nodes, ports (one "ID BROKER_PORT CONTROLLER_PORT" line per
# node), libs, and bootstrap; DIR/node-ID/ holds server.properties, data/, pid,
# server.log (Kafka's log4j) and stdout.log (the JVM's own output).

cluster_get() { # DIR KEY
    [[ -f $1/cluster/$2 ]] || die "$1: no cluster here (start one with 'kafka.sh start $1')"
    cat "$1/cluster/$2"
}

node_pid() { # DIR ID: the pid if the node runs, else nothing
    local pid
    pid=$(cat "$1/node-$2/pid" 2>/dev/null) || return 0
    [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null && grep -q 'kafka\.Kafka' "/proc/$pid/cmdline" 2>/dev/null &&
        echo "$pid"
    return 0
}

# free_ports N: N distinct free loopback ports (held together while chosen).
free_ports() { /usr/bin/python3 "$root/scripts/free_ports.py" "$1"; }

write_node_config() { # DIR ID NODES REPLICATION
    local dir=$1 id=$2 nodes=$3 rf=$4 voters="" n bport cport min_isr=1
    while read -r n bport cport; do
        voters+="${voters:+,}$n@127.0.0.1:$cport"
    done <"$dir/cluster/ports"
    read -r _ bport cport < <(awk -v id="$id" '$1 == id' "$dir/cluster/ports")
    ((rf >= 3)) && min_isr=2
    local client=PLAINTEXT
    is_secure "$dir" && client=SASL_SSL
    cat >"$dir/node-$id/server.properties" <<EOF
# written by scripts/kafka.sh start
process.roles=broker,controller
node.id=$id
controller.quorum.voters=$voters
listeners=$client://127.0.0.1:$bport,CONTROLLER://127.0.0.1:$cport
advertised.listeners=$client://127.0.0.1:$bport
listener.security.protocol.map=$client:$client,CONTROLLER:PLAINTEXT
inter.broker.listener.name=$client
controller.listener.names=CONTROLLER
log.dirs=$dir/node-$id/data
# as the compose broker: topics come from the topics job, never from a client
auto.create.topics.enable=false
group.initial.rebalance.delay.ms=0
# internal topics replicated like the pipeline's; min.insync.replicas=2 on three
# or more replicas, so an acknowledged write survives one broker's loss
default.replication.factor=$rf
min.insync.replicas=$min_isr
offsets.topic.replication.factor=$rf
transaction.state.log.replication.factor=$rf
transaction.state.log.min.isr=$min_isr
# fewer coordinator partitions than the default 50: a test cluster starts and
# fails over faster, and the coordinators behave the same
offsets.topic.num.partitions=6
transaction.state.log.num.partitions=6
EOF
    is_secure "$dir" || return 0
    local tls=$dir/cluster/tls f plain=""
    for f in "$dir"/cluster/users/*; do plain+=" user_${f##*/}=\"$(cat "$f")\""; done
    cat >>"$dir/node-$id/server.properties" <<EOF
# --secure: clients and brokers authenticate over TLS with SCRAM-SHA-512 (the
# brokers as admin), or PLAIN with the same users and passwords (what the
# system's kcat can use: librdkafka before 2.6.1 cannot log in to Kafka 4 with
# SCRAM); the controller listener stays plaintext on loopback, and its
# principal, ANONYMOUS, is the controllers' and brokers' own
sasl.enabled.mechanisms=SCRAM-SHA-512,PLAIN
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="$(user_password "$dir" admin)";
listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="$(user_password "$dir" admin)"$plain;
ssl.keystore.type=PEM
ssl.keystore.location=$tls/broker.pem
ssl.truststore.type=PEM
ssl.truststore.location=$tls/ca.pem
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=false
super.users=User:admin;User:ANONYMOUS
EOF
}

# ------------------------------------------------------------------ --secure

is_secure() { [[ -f $1/cluster/secure ]]; }

user_password() { # DIR NAME
    [[ -f $1/cluster/users/$2 ]] || die "$1: no user '$2' (start --secure --user $2)"
    cat "$1/cluster/users/$2"
}

# make_tls DIR: a CA and the brokers' certificate (127.0.0.1 and localhost),
# made for this cluster, so no key is ever committed or reused.
make_tls() {
    local tls=$1/cluster/tls
    mkdir -p "$tls"
    chmod 700 "$tls"
    (
        cd "$tls"
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 \
            -subj "/CN=pizza test CA" -keyout ca.key -out ca.pem
        openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=localhost" \
            -keyout broker.key -out broker.csr
        openssl x509 -req -in broker.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 -out broker.crt \
            -extfile <(printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n')
        # Kafka's PEM keystore: the PKCS#8 key, then the certificate
        cat broker.key broker.crt >broker.pem
    ) >"$1/cluster/tls.log" 2>&1 || { cat "$1/cluster/tls.log" >&2; die "openssl could not make the certificates"; }
}

# make_users DIR NAME...: admin and NAME..., each with a random password in
# DIR/cluster/users/NAME, and admin's client settings.
make_users() {
    local dir=$1 name tls=$1/cluster/tls
    shift
    mkdir -p "$dir/cluster/users"
    chmod 700 "$dir/cluster/users"
    for name in admin "$@"; do
        [[ $name =~ ^[A-Za-z0-9._-]+$ ]] || die "--user: '$name' is not a plain user name"
        (umask 077 && head -c 18 /dev/urandom | base64 | tr '+/' '-_' >"$dir/cluster/users/$name")
    done
    (
        umask 077
        cat >"$dir/cluster/admin.kcat" <<EOF
security.protocol=SASL_SSL
sasl.mechanisms=PLAIN
sasl.username=admin
sasl.password=$(user_password "$dir" admin)
ssl.ca.location=$tls/ca.pem
EOF
        cat >"$dir/cluster/admin.properties" <<EOF
security.protocol=SASL_SSL
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="$(user_password "$dir" admin)";
ssl.truststore.type=PEM
ssl.truststore.location=$tls/ca.pem
EOF
    )
}

# scram_args DIR: kafka-storage format's --add-scram for every user (the
# brokers need admin's before they can talk to each other), one per line
scram_args() {
    local f
    is_secure "$1" || return 0
    for f in "$1"/cluster/users/*; do
        printf -- '--add-scram\nSCRAM-SHA-512=[name="%s",password="%s"]\n' "${f##*/}" "$(cat "$f")"
    done
}

# kcat_conf DIR: kcat's arguments to reach the cluster as admin
kcat_conf() {
    if is_secure "$1"; then printf -- '-F\n%s\n' "$1/cluster/admin.kcat"; fi
}

# admin_conf DIR: a Kafka tool's arguments to reach the cluster as admin
admin_conf() {
    if is_secure "$1"; then printf -- '--command-config\n%s\n' "$1/cluster/admin.properties"; fi
}

# node_launch DIR ID: starts one formatted node in its own session, detached.
node_launch() {
    local dir=$1 id=$2 libs heap=${BROKER_HEAP:-512m}
    libs=$(cluster_get "$dir" libs)
    (
        cd "$dir/node-$id"
        # Kafka's own kafka-run-class.sh GC settings and a fixed, bounded heap.
        # BROKER_JVM_OPTS (split on spaces) defaults to C1 only: these brokers
        # live minutes, and C2's compiling cost them more CPU than it saved
        # (one broker at 20 orders/s: 16 s against 22 s of CPU; p50 387 / 417 ms).
        # shellcheck disable=SC2086
        exec setsid java -Xms"$heap" -Xmx"$heap" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
            -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent \
            -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
            ${BROKER_JVM_OPTS--XX:TieredStopAtLevel=1} \
            -Dlog4j2.configurationFile="$dir/cluster/log4j2.properties" \
            -Dkafka.logs.dir="$dir/node-$id" \
            -cp "$libs/*" kafka.Kafka server.properties
    ) </dev/null >>"$dir/node-$id/stdout.log" 2>&1 &
    echo $! >"$dir/node-$id/pid"
}

# tool DIR CLASS ARGS...: runs a Kafka command-line tool (a short-lived JVM:
# C1 only and the serial collector start it fastest).
# The first run records the classes it loads in a CDS archive beside the jars
# (dumped to a private name, then renamed into place); every later run maps it,
# which halves a tool's start (1.2 -> 0.55 s), and start runs a dozen of them.
tool() {
    local dir=$1 class=$2 libs jsa cds rc=0
    shift 2
    libs=$(cluster_get "$dir" libs)
    jsa=$libs/../$class.jsa # one per tool: each loads its own classes
    if [[ -f $jsa ]]; then
        cds=(-XX:SharedArchiveFile="$jsa")
    else
        cds=(-XX:ArchiveClassesAtExit="$jsa.$$")
    fi
    java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xshare:auto -Xlog:cds=off -Xlog:cds+dynamic=off \
        "${cds[@]}" -Dlog4j2.configurationFile="$dir/cluster/tools-log4j2.properties" \
        -cp "$libs/*" "$class" "$@" || rc=$?
    [[ ! -f $jsa.$$ ]] || mv -f "$jsa.$$" "$jsa"
    return "$rc"
}

write_log_configs() { # DIR
    cat >"$1/cluster/log4j2.properties" <<'EOF'
# Kafka's log, one file per node (-Dkafka.logs.dir)
status = warn
appender.file.type = File
appender.file.name = FILE
appender.file.fileName = ${sys:kafka.logs.dir}/server.log
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = FILE
logger.request.name = kafka.request.logger
logger.request.level = WARN
logger.state.name = state.change.logger
logger.state.level = WARN
EOF
    cat >"$1/cluster/tools-log4j2.properties" <<'EOF'
status = warn
appender.err.type = Console
appender.err.name = STDERR
appender.err.target = SYSTEM_ERR
appender.err.layout.type = PatternLayout
appender.err.layout.pattern = %p %m%n
rootLogger.level = WARN
rootLogger.appenderRef.err.ref = STDERR
EOF
}

# The topics job's kafka-topics.sh (the fetched tool behind the name the
# compose script calls), kafka-acls.sh and kafka-configs.sh; on a --secure
# cluster they connect as admin.
write_tools() { # DIR
    local name class conf
    mkdir -p "$1/bin"
    conf=$(admin_conf "$1" | tr '\n' ' ')
    for name in kafka-topics:TopicCommand kafka-acls:AclCommand kafka-configs:ConfigCommand; do
        class=${name#*:}
        cat >"$1/bin/${name%:*}.sh" <<EOF
#!/usr/bin/env bash
exec bash "$root/scripts/kafka.sh" tool "$1" org.apache.kafka.tools.$class "\$@" $conf
EOF
        chmod +x "$1/bin/${name%:*}.sh"
    done
}

# brokers_up DIR WANT: the cluster's metadata lists at least WANT brokers.
brokers_up() {
    local n conf
    mapfile -t conf < <(kcat_conf "$1")
    n=$(kcat "${conf[@]}" -L -J -m 5 -b "$(cluster_get "$1" bootstrap)" 2>/dev/null |
        jq '.brokers | length' 2>/dev/null)
    ((${n:-0} >= $2))
}

# node_back DIR ID: node ID answers a metadata request on its own port and
# lists itself (a restarted broker does once it has caught up with the
# cluster's metadata and registered again).
node_back() {
    local port conf
    port=$(awk -v id="$2" '$1 == id { print $2 }' "$1/cluster/ports")
    mapfile -t conf < <(kcat_conf "$1")
    kcat "${conf[@]}" -L -J -m 5 -b "127.0.0.1:$port" 2>/dev/null |
        jq -e --argjson id "$2" 'any(.brokers[]; .id == $id)' >/dev/null 2>&1
}

# await DIR WHAT "IDS" CHECK...: runs CHECK every 200 ms until it succeeds, for
# BROKER_READY_S (90); fails at once, with its log's last lines, if a node of
# IDS exits meanwhile.
await() {
    local dir=$1 what=$2 ids=$3 id deadline
    shift 3
    deadline=$(($(now_ms) + ${BROKER_READY_S:-90} * 1000))
    until "$@"; do
        for id in $ids; do
            [[ -n $(node_pid "$dir" "$id") ]] && continue
            echo "kafka.sh: node $id exited; last lines of $dir/node-$id:" >&2
            tail -n 5 "$dir/node-$id/stdout.log" "$dir/node-$id/server.log" >&2 2>/dev/null || true
            return 1
        done
        (($(now_ms) < deadline)) || { echo "kafka.sh: $what not within ${BROKER_READY_S:-90} s" >&2; return 1; }
        sleep 0.2
    done
}

# The compose `topics` job's script and environment, as docker-compose would
# run them ($$ is compose's escaped $), with what differs here overridden.
run_topics_job() { # DIR PARTITIONS REPLICATION
    local dir=$1 partitions=$2 rf=$3 job
    job=$(/usr/bin/python3 - "$compose_file" <<'PY'
import shlex, sys, yaml
svc = yaml.safe_load(open(sys.argv[1]))["services"]["topics"]
for k, v in (svc.get("environment") or {}).items():
    print(f"export {k}={shlex.quote(str(v))}")
argv = [str(a).replace("$$", "$") for a in (svc.get("entrypoint") or []) + (svc.get("command") or [])]
print("set -- " + " ".join(shlex.quote(a) for a in argv))
PY
    ) || die "cannot read the topics job from $compose_file (python3-yaml installed?)"
    grep -q '^export BIN_DIR=' <<<"$job" && grep -q '^export BOOTSTRAP=' <<<"$job" ||
        die "the compose topics job no longer names BIN_DIR and BOOTSTRAP: update kafka.sh"
    (
        eval "$job"
        BOOTSTRAP=$(cluster_get "$dir" bootstrap)
        export BIN_DIR=$dir/bin BOOTSTRAP PARTITIONS=$partitions REPLICATION=$rf
        exec "$@"
    ) >"$dir/cluster/topics.log" 2>&1 || {
        tail -n 20 "$dir/cluster/topics.log" >&2
        die "the compose topics job failed (log: $dir/cluster/topics.log)"
    }
}

start_owner_watch() { # DIR OWNER_PID
    local dir=$1 owner=$2
    setsid bash -c '
        while kill -0 "$1" 2>/dev/null && [[ -f $2/cluster/ports ]]; do sleep 1; done
        [[ -f $2/cluster/ports ]] && exec bash "$3" stop "$2"
    ' _ "$owner" "$dir" "${BASH_SOURCE[0]}" </dev/null >/dev/null 2>&1 &
    echo $! >"$dir/cluster/watch.pid"
}

cmd_start() {
    local dir="" nodes=1 partitions=6 rf="" owner="" id ports=() i libs attempt secure="" users=()
    while (($#)); do
        case $1 in
        --secure) secure=1; shift ;;
        --user) users+=("${2:-}"); shift 2 ;;
        --brokers) nodes=${2:-}; shift 2 ;;
        --partitions) partitions=${2:-}; shift 2 ;;
        --replication) rf=${2:-}; shift 2 ;;
        --owner) owner=${2:-}; shift 2 ;;
        -*) die "start: unknown option '$1'" ;;
        *) [[ -z $dir ]] || die "start: one DIR"; dir=$1; shift ;;
        esac
    done
    [[ -n $dir ]] || usage
    [[ $nodes =~ ^[1-9]$ ]] || die "--brokers must be 1..9"
    [[ $partitions =~ ^[1-9][0-9]{0,3}$ ]] || die "--partitions must be 1..9999"
    rf=${rf:-$((nodes < 3 ? nodes : 3))}
    [[ $rf =~ ^[1-9]$ ]] && ((rf <= nodes)) || die "--replication must be 1..$nodes"
    [[ -z $owner || $owner =~ ^[0-9]+$ ]] || die "--owner must be a pid"
    [[ -n $secure || ${#users[@]} -eq 0 ]] || die "--user needs --secure"
    ((${#users[@]})) || users=(pizza-service sauce-service cheese-service meat-service veggie-service cheese-reporter)
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    [[ ! -f $dir/cluster/ports ]] || die "$dir already holds a cluster (kafka.sh stop $dir)"
    libs=$(kafka_libs)
    for attempt in 1 2 3; do
        rm -rf "$dir/cluster" "$dir"/node-* "$dir/bin"
        mkdir -p "$dir/cluster"
        echo "$libs" >"$dir/cluster/libs"
        echo "$nodes" >"$dir/cluster/nodes"
        read -r -a ports < <(free_ports $((2 * nodes)))
        local bootstrap=""
        for ((i = 0; i < nodes; i++)); do
            echo "$((i + 1)) ${ports[2 * i]} ${ports[2 * i + 1]}" >>"$dir/cluster/ports"
            bootstrap+="${bootstrap:+,}127.0.0.1:${ports[2 * i]}"
        done
        echo "$bootstrap" >"$dir/cluster/bootstrap"
        if [[ -n $secure ]]; then
            touch "$dir/cluster/secure"
            make_tls "$dir"
            make_users "$dir" "${users[@]}"
        fi
        write_log_configs "$dir"
        write_tools "$dir"
        local cluster_id
        # a KRaft cluster id: 16 random bytes, URL-safe base64 without padding
        cluster_id=${BROKER_CLUSTER_ID:-$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')}
        local formats=() logs=() scram=()
        mapfile -t scram < <(scram_args "$dir")
        for ((id = 1; id <= nodes; id++)); do
            mkdir -p "$dir/node-$id"
            write_node_config "$dir" "$id" "$nodes" "$rf"
            logs+=("$dir/node-$id/format.log")
            # --cluster-id=ID: an id may start with '-', which the tool would
            # take for an option
            tool "$dir" kafka.tools.StorageTool format --cluster-id="$cluster_id" "${scram[@]}" \
                -c "$dir/node-$id/server.properties" >"${logs[-1]}" 2>&1 &
            formats+=($!)
        done
        for i in "${!formats[@]}"; do
            wait "${formats[i]}" || { tail -n 5 "${logs[i]}" >&2; die "formatting ${logs[i]%/*} failed"; }
        done
        [[ -n $owner ]] && start_owner_watch "$dir" "$owner"
        for ((id = 1; id <= nodes; id++)); do node_launch "$dir" "$id"; done
        if await "$dir" "$nodes broker(s) up" "$(seq 1 "$nodes")" brokers_up "$dir" "$nodes"; then
            # a failed job must not leave the nodes running
            (run_topics_job "$dir" "$partitions" "$rf") || { cmd_stop "$dir" >/dev/null 2>&1 || true; exit 1; }
            echo "bootstrap.servers=$bootstrap"
            return 0
        fi
        # a port taken between choosing and binding: choose again
        if grep -qs 'Address already in use' "$dir"/node-*/server.log "$dir"/node-*/stdout.log &&
            ((attempt < 3)); then
            echo "kafka.sh: a port was taken meanwhile; starting again on other ports" >&2
            cmd_stop "$dir" >/dev/null 2>&1 || true
            continue
        fi
        cmd_stop "$dir" >/dev/null 2>&1 || true
        die "the cluster in $dir did not start"
    done
}

# stop_pids BOUND_S PID...: SIGTERM, then SIGKILL whatever still runs after BOUND_S.
stop_pids() {
    local bound=$1 pid deadline
    shift
    (($#)) || return 0
    kill -TERM "$@" 2>/dev/null || true
    deadline=$(($(now_ms) + bound * 1000))
    for pid in "$@"; do
        while kill -0 "$pid" 2>/dev/null && (($(now_ms) < deadline)); do sleep 0.1; done
    done
    for pid in "$@"; do
        if kill -0 "$pid" 2>/dev/null; then
            echo "kafka.sh: pid $pid still running after ${bound} s: SIGKILL" >&2
            kill -KILL "$pid" 2>/dev/null || true
        fi
    done
    for pid in "$@"; do
        while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
    done
}

cmd_stop() {
    local dir=$1 nodes id pids=() pid
    [[ -d $dir/cluster ]] || die "$dir: no cluster here"
    nodes=$(cluster_get "$dir" nodes)
    for ((id = 1; id <= nodes; id++)); do
        pid=$(node_pid "$dir" "$id")
        [[ -z $pid ]] || pids+=("$pid")
    done
    # the watch sees cluster/ports gone and ends; kill it too in case it sleeps
    rm -f "$dir/cluster/ports"
    pid=$(cat "$dir/cluster/watch.pid" 2>/dev/null) || pid=
    [[ -z $pid || $pid == "$$" ]] || kill "$pid" 2>/dev/null || true
    stop_pids "${BROKER_STOP_S:-10}" "${pids[@]}"
}

node_arg() { # DIR ID: checks ID names a node of DIR
    local nodes
    nodes=$(cluster_get "$1" nodes)
    [[ $2 =~ ^[0-9]+$ ]] && (($2 >= 1 && $2 <= nodes)) || die "no node '$2' (nodes are 1..$nodes)"
}

cmd_broker_kill() {
    local pid
    node_arg "$1" "$2"
    pid=$(node_pid "$1" "$2")
    [[ -n $pid ]] || die "node $2 is not running"
    kill -KILL "$pid"
    while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
}

cmd_broker_stop() {
    local pid
    node_arg "$1" "$2"
    pid=$(node_pid "$1" "$2")
    [[ -n $pid ]] || die "node $2 is not running"
    stop_pids "${BROKER_STOP_S:-10}" "$pid"
}

# Every node is a controller too: while fewer than a majority of them run, the
# quorum has no leader and no broker can rejoin, so a node started then is only
# checked to be running; the one that restores the majority waits for them all.
cmd_broker_start() {
    local dir=$1 id=$2 nodes running=0 n
    node_arg "$dir" "$id"
    [[ -z $(node_pid "$dir" "$id") ]] || die "node $id is already running"
    nodes=$(cluster_get "$dir" nodes)
    node_launch "$dir" "$id"
    for ((n = 1; n <= nodes; n++)); do [[ -z $(node_pid "$dir" "$n") ]] || running=$((running + 1)); done
    if ((running > nodes / 2)); then
        await "$dir" "node $id back" "$id" node_back "$dir" "$id" || die "node $id did not come back"
    else
        sleep 0.5
        [[ -n $(node_pid "$dir" "$id") ]] || die "node $id exited at once: $(tail -n 3 "$dir/node-$id/stdout.log")"
    fi
}

cmd_topic() { # DIR NAME PARTITIONS [--config K=V]...
    local dir=$1 name=$2 parts=$3 conf
    shift 3
    mapfile -t conf < <(admin_conf "$dir")
    tool "$dir" org.apache.kafka.tools.TopicCommand --bootstrap-server "$(cluster_get "$dir" bootstrap)" \
        "${conf[@]}" --create --topic "$name" --partitions "$parts" "$@" >/dev/null
}

cmd_acls() { # DIR ARGS...
    local dir=$1
    shift
    [[ -d $dir/bin ]] || die "$dir: no cluster here"
    KAFKA_ACLS=$dir/bin/kafka-acls.sh exec bash "$root/scripts/kafka-acls.sh" \
        --bootstrap-server "$(cluster_get "$dir" bootstrap)" "$@"
}

cmd_pids() {
    local dir=$1 nodes id
    nodes=$(cluster_get "$dir" nodes)
    for ((id = 1; id <= nodes; id++)); do node_pid "$dir" "$id"; done
}

(($#)) || usage
cmd=$1
shift
case $cmd in
start) cmd_start "$@" ;;
stop) (($# == 1)) || usage; cmd_stop "$1" ;;
broker-kill) (($# == 2)) || usage; cmd_broker_kill "$@" ;;
broker-stop) (($# == 2)) || usage; cmd_broker_stop "$@" ;;
broker-start) (($# == 2)) || usage; cmd_broker_start "$@" ;;
topic) (($# >= 3)) || usage; cmd_topic "$@" ;;
bootstrap) (($# == 1)) || usage; echo "bootstrap.servers=$(cluster_get "$1" bootstrap)" ;;
acls) (($# >= 2)) || usage; cmd_acls "$@" ;;
pids) (($# == 1)) || usage; cmd_pids "$1" ;;
fetch) (($# == 0)) || usage; kafka_libs ;;
tool) (($# >= 2)) || usage; tool "$@" ;; # internal: the bin/ wrappers
-h | --help | help) usage ;;
*) die "unknown command '$cmd' (kafka.sh -h)" ;;
esac
