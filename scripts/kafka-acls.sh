#!/usr/bin/env bash
# Least-privilege ACLs for the pipeline's daemons, with Apache Kafka's own
# kafka-acls, on a cluster whose authorizer denies what no ACL allows.
#
#   kafka-acls.sh [OPTIONS] grant|revoke DAEMON[=PRINCIPAL]... [--only PART[,PART]...]
#   kafka-acls.sh [OPTIONS] show DAEMON[=PRINCIPAL]...   (every ACL of the principal)
#
# Each daemon gets exactly what it does, read from its ini file ([stage],
# [orders] or [reporter]):
#   input       Read, Describe on its input topic
#   group       Read on its consumer group
#   output      Write, Describe on the topic it writes
#   dlq         Write on <input>.dlq (dead letters)
#   txn         Write, Describe on transactional ids starting <daemon>- (prefixed:
#               every instance's id is <daemon>-<instance id>)
#   idempotent  IdempotentWrite on the cluster
#   changelog   Read, Write, Describe on its changelog (pizza-service,
#               cheese-reporter); Describe on the group <daemon>.<changelog>.reader
#               its changelog reader names (assign only: it never joins)
# and DescribeConfigs on every topic it writes (output, dlq, changelog), for
# the start-up check of their max.message.bytes.
#   observer    pizza-service's GET /pipeline: Describe on every hop's group,
#               Read on every hop's input topic and its .dlq (lag, dead letters)
# Without --only every part is granted, revoked or shown.
#
# PRINCIPAL defaults to User:DAEMON (e.g. sauce-service=User:svc-sauce).
# Options:
#   --bootstrap-server HOST:PORT   the cluster (or $KAFKA_BOOTSTRAP_SERVERS)
#   --command-config FILE          kafka-acls' client settings (an admin's SASL/TLS)
#   --config-dir DIR               the daemons' ini files (default: config/ here)
#   --dry-run                      print the kafka-acls commands, run nothing
# The kafka-acls command is $KAFKA_ACLS, else kafka-acls.sh (or kafka-acls, as
# Confluent's packages name it) on PATH. scripts/kafka.sh acls DIR ... runs this
# as that local cluster's admin.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

die() {
    echo "kafka-acls.sh: $*" >&2
    exit 1
}

usage() {
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//' >&2
    exit 2
}

PARTS=(input group output dlq txn idempotent changelog observer)
DAEMONS=(pizza-service sauce-service cheese-service meat-service veggie-service cheese-reporter)

# ini_get FILE SECTION KEY: the value, or nothing (comments and blanks skipped)
ini_get() {
    awk -v want="[$2]" -v key="$3" '
        /^[ \t]*[;#]/ { next }
        /^[ \t]*\[/ { gsub(/[ \t]/, ""); section = $0; next }
        section == want {
            i = index($0, "=")
            if (i == 0) next
            k = substr($0, 1, i - 1); v = substr($0, i + 1)
            gsub(/^[ \t]+|[ \t]+$/, "", k); gsub(/^[ \t]+|[ \t]+$/, "", v)
            if (k == key) { print v; exit }
        }' "$1"
}

config_of() {
    case $1 in
    pizza-service) echo pizza.ini ;;
    cheese-reporter) echo cheese-reporter.ini ;;
    *-service) echo "${1%-service}.ini" ;;
    esac
}

# read_daemon NAME: sets input, output (array), group and changelog from its ini
read_daemon() {
    local name=$1 ini
    ini=$config_dir/$(config_of "$name")
    [[ -f $ini ]] || die "$name: no $ini (--config-dir?)"
    input="" group="" changelog="" output=()
    case $name in
    pizza-service)
        input=$(ini_get "$ini" orders completed_topic)
        output=("$(ini_get "$ini" orders order_topic)")
        group=$(ini_get "$ini" orders group_id)
        changelog=$(ini_get "$ini" orders changelog_topic)
        ;;
    cheese-reporter)
        input=$(ini_get "$ini" reporter input_topic)
        group=$(ini_get "$ini" reporter group_id)
        changelog=$(ini_get "$ini" reporter changelog_topic)
        ;;
    *)
        input=$(ini_get "$ini" stage input_topic)
        output=("$(ini_get "$ini" stage output_topic)")
        group=$(ini_get "$ini" stage group_id)
        ;;
    esac
    group=${group:-$name} # as the daemons default it
    [[ -n $input && ( $name == cheese-reporter || -n ${output[0]} ) ]] ||
        die "$name: $ini names no input or output topic"
}

# observer_resources groups|topics: GET /pipeline's default hops (the seed
# topology, where every daemon but pizza-service reads one): their groups, or
# their input topics and those topics' .dlq
observer_resources() {
    local name
    for name in "${DAEMONS[@]}"; do
        read_daemon "$name"
        if [[ $1 == groups ]]; then
            [[ $name == pizza-service ]] || printf -- '--group\n%s\n' "$group"
        else
            printf -- '--topic\n%s\n--topic\n%s.dlq\n' "$input" "$input"
        fi
    done
}

# acl PRINCIPAL OPERATION... -- RESOURCE...: one kafka-acls run
acl() {
    local principal=$1 ops=() res=() cmd
    shift
    while [[ $1 != -- ]]; do ops+=(--operation "$1"); shift; done
    shift
    res=("$@")
    case $action in
    grant) cmd=(--add --force --allow-principal "$principal" "${ops[@]}" "${res[@]}") ;;
    revoke) cmd=(--remove --force --allow-principal "$principal" "${ops[@]}" "${res[@]}") ;;
    esac
    cmd=("${kafka_acls[@]}" --bootstrap-server "$bootstrap" "${command_config[@]}" "${cmd[@]}")
    if [[ -n $dry_run ]]; then
        printf '%q ' "${cmd[@]}"
        echo
    else
        "${cmd[@]}" >/dev/null || die "kafka-acls failed: $action ${ops[*]} for $principal on ${res[*]}"
    fi
}

# apply NAME PRINCIPAL PART
apply() {
    local name=$1 p=$2 part=$3 t res=()
    read_daemon "$name"
    case $part in
    input) acl "$p" Read Describe -- --topic "$input" ;;
    group) acl "$p" Read -- --group "$group" ;;
    output)
        ((${#output[@]})) || return 0
        for t in "${output[@]}"; do res+=(--topic "$t"); done
        acl "$p" Write Describe DescribeConfigs -- "${res[@]}"
        ;;
    dlq) acl "$p" Write DescribeConfigs -- --topic "$input.dlq" ;;
    txn) acl "$p" Write Describe -- --transactional-id "$name-" --resource-pattern-type prefixed ;;
    idempotent) acl "$p" IdempotentWrite -- --cluster ;;
    changelog)
        [[ -n $changelog ]] || return 0
        acl "$p" Read Write Describe DescribeConfigs -- --topic "$changelog"
        acl "$p" Describe -- --group "$name.$changelog.reader"
        ;;
    observer)
        [[ $name == pizza-service ]] || return 0
        mapfile -t res < <(observer_resources groups)
        acl "$p" Describe -- "${res[@]}"
        mapfile -t res < <(observer_resources topics)
        acl "$p" Read Describe -- "${res[@]}"
        ;;
    esac
}

bootstrap=${KAFKA_BOOTSTRAP_SERVERS:-}
command_config=()
config_dir=$root/config
dry_run=""
action=""
targets=()
parts=()
while (($#)); do
    case $1 in
    --bootstrap-server) bootstrap=${2:-}; shift 2 ;;
    --command-config) command_config=(--command-config "${2:-}"); shift 2 ;;
    --config-dir) config_dir=${2:-}; shift 2 ;;
    --dry-run) dry_run=1; shift ;;
    --only) IFS=, read -r -a parts <<<"${2:-}"; shift 2 ;;
    -h | --help) usage ;;
    grant | revoke | show) [[ -z $action ]] || usage; action=$1; shift ;;
    -*) die "unknown option '$1' (-h for help)" ;;
    *) targets+=("$1"); shift ;;
    esac
done
[[ -n $action && ${#targets[@]} -gt 0 ]] || usage
[[ -n $bootstrap ]] || die "no cluster: --bootstrap-server or KAFKA_BOOTSTRAP_SERVERS"
((${#parts[@]})) || parts=("${PARTS[@]}")
for part in "${parts[@]}"; do
    [[ " ${PARTS[*]} " == *" $part "* ]] || die "unknown part '$part' (${PARTS[*]})"
done
if [[ -n ${KAFKA_ACLS:-} ]]; then
    kafka_acls=("$KAFKA_ACLS")
elif command -v kafka-acls.sh >/dev/null; then
    kafka_acls=(kafka-acls.sh)
elif command -v kafka-acls >/dev/null; then
    kafka_acls=(kafka-acls)
elif [[ -n $dry_run ]]; then
    kafka_acls=(kafka-acls.sh)
else
    die "no kafka-acls: set KAFKA_ACLS or put Kafka's bin/ on PATH"
fi

# Each daemon's ACLs are one kafka-acls run (a JVM) per part: the daemons'
# runs go side by side, each daemon's parts in order.
pids=()
for target in "${targets[@]}"; do
    name=${target%%=*}
    principal=User:$name
    [[ $target == *=* ]] && principal=${target#*=}
    [[ " ${DAEMONS[*]} " == *" $name "* ]] || die "unknown daemon '$name' (${DAEMONS[*]})"
    [[ $principal == *:?* ]] || die "$name: principal '$principal' is not TYPE:NAME"
    if [[ $action == show ]]; then
        cmd=("${kafka_acls[@]}" --bootstrap-server "$bootstrap" "${command_config[@]}" --list --principal "$principal")
        if [[ -n $dry_run ]]; then printf '%q ' "${cmd[@]}"; echo; else "${cmd[@]}"; fi
        continue
    fi
    if [[ -n $dry_run ]]; then
        for part in "${parts[@]}"; do apply "$name" "$principal" "$part"; done
        continue
    fi
    (for part in "${parts[@]}"; do apply "$name" "$principal" "$part"; done) &
    pids+=($!)
done
rc=0
for pid in "${pids[@]}"; do wait "$pid" || rc=1; done
exit "$rc"
