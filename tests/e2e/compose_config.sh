#!/usr/bin/env bash
# docker-compose.yml, the Dockerfile and config/examples/*.env agree with what the
# project builds and reads, without a Docker engine: `docker-compose config`
# validates and normalizes the file, then tests/tools/compose_check.py checks every
# daemon's binary, -c file, ports, healthcheck and environment, the image's COPYs,
# and runs the topics job's script against a stub kafka-topics.sh to compare the
# topics it creates with those the configs name. Each check is shown to fail on a
# broken copy of the normalized file, so a checker that passes everything fails.
#
# Scaling (`up --scale DAEMON=N`), without an engine: `config` has no --scale
# (v1 nor v2), so an override gives every daemon `scale: 3` and `config` must
# still pass (compose v2 refuses a container_name there; v1 checks nothing), and
# compose_check must find nothing that stops a second replica: no
# container_name, fixed hostname, published host port or shared per-instance
# setting on a daemon. The proxy that publishes 5000/5001 instead is checked
# against the daemons' service names and ports, and its nginx.conf by `nginx -t`.
# With --profile observability, Prometheus and Grafana are there and mount what
# the repository has. Works with docker-compose v1 (Debian 12) and v2 (13).
set -euo pipefail
# shellcheck source=SCRIPTDIR/../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
lib_init compose_config

PY=/usr/bin/python3 # Debian's, where python3-yaml is installed
CHECK=$PIZZA_ROOT/tests/tools/compose_check.py
command -v docker-compose >/dev/null || fail "docker-compose not found (scripts/deps.sh installs it)"
command -v nginx >/dev/null || PATH=$PATH:/usr/sbin
command -v nginx >/dev/null || fail "nginx not found (scripts/deps.sh installs it)"
"$PY" -c 'import yaml' 2>/dev/null || fail "$PY has no yaml module (package python3-yaml)"
lib_log "docker-compose $(docker-compose version --short 2>/dev/null), $(nginx -v 2>&1)"

# Only .env and what a test sets may feed the ${...}: not the caller's LOG_LEVEL etc.
compose() {
    env -i PATH="$PATH" HOME="${HOME:-/tmp}" "$@"
}

compose docker-compose -f "$PIZZA_ROOT/docker-compose.yml" config >"$WORK/compose.yml" \
    2>"$WORK/compose.err" || fail "docker-compose config failed: $(cat "$WORK/compose.err")"

"$PY" "$CHECK" "$PIZZA_ROOT" "$WORK/compose.yml" >"$WORK/check.out" 2>&1 ||
    fail "compose_check found problems:
$(cat "$WORK/check.out")"
lib_log "$(tail -n 1 "$WORK/check.out")"

# The partition count comes from .env and can be overridden from the shell.
compose PIZZA_PARTITIONS=12 docker-compose -f "$PIZZA_ROOT/docker-compose.yml" config \
    >"$WORK/compose12.yml" 2>"$WORK/compose.err" || fail "docker-compose config failed: $(cat "$WORK/compose.err")"
PIZZA_PARTITIONS=12 "$PY" "$CHECK" "$PIZZA_ROOT" "$WORK/compose12.yml" >"$WORK/check12.out" 2>&1 ||
    fail "with PIZZA_PARTITIONS=12: $(cat "$WORK/check12.out")"

# The observability profile adds Prometheus and Grafana (v1's config shows them
# with or without it; v2's only with it).
compose docker-compose -f "$PIZZA_ROOT/docker-compose.yml" --profile observability config \
    >"$WORK/compose-obs.yml" 2>"$WORK/compose.err" ||
    fail "docker-compose --profile observability config failed: $(cat "$WORK/compose.err")"
"$PY" "$CHECK" "$PIZZA_ROOT" "$WORK/compose-obs.yml" --profile observability \
    >"$WORK/check-obs.out" 2>&1 || fail "with --profile observability: $(cat "$WORK/check-obs.out")"
lib_log "--profile observability: $(tail -n 1 "$WORK/check-obs.out")"

# Every daemon (a service built from the Dockerfile) at scale 3.
daemons=$("$PY" -c '
import sys, yaml
s = yaml.safe_load(open(sys.argv[1]))["services"]
print(" ".join(n for n, v in s.items() if "build" in v))
' "$WORK/compose.yml")
[[ $(wc -w <<<"$daemons") -eq 6 ]] || fail "expected 6 daemon services, got: $daemons"
scale_override() { # EXTRA_YAML: every daemon at scale 3, plus EXTRA_YAML under the first
    echo "services:"
    local d extra=$1
    for d in $daemons; do
        echo "  $d:"
        echo "    scale: 3"
        [[ -n $extra ]] && echo "$extra"
        extra=
    done
}
scale_override "" >"$WORK/scale.yml"
compose docker-compose -f "$PIZZA_ROOT/docker-compose.yml" -f "$WORK/scale.yml" config \
    >"$WORK/compose-scaled.yml" 2>"$WORK/compose.err" ||
    fail "docker-compose config with every daemon at scale 3 failed: $(cat "$WORK/compose.err")"
[[ $(grep -c '^    scale: 3$' "$WORK/compose-scaled.yml") -eq 6 ]] ||
    fail "the scale override did not reach the 6 daemons"
"$PY" "$CHECK" "$PIZZA_ROOT" "$WORK/compose-scaled.yml" >"$WORK/check-scaled.out" 2>&1 ||
    fail "at scale 3: $(cat "$WORK/check-scaled.out")"
# ... and a container_name at scale 3 is refused: by compose v2 itself, or else
# (v1) by compose_check.
scale_override "    container_name: one-name" >"$WORK/scale-named.yml"
if compose docker-compose -f "$PIZZA_ROOT/docker-compose.yml" -f "$WORK/scale-named.yml" config \
    >"$WORK/compose-named.yml" 2>"$WORK/compose.err"; then
    if "$PY" "$CHECK" "$PIZZA_ROOT" "$WORK/compose-named.yml" >"$WORK/check-named.out" 2>&1; then
        fail "a container_name at scale 3 was accepted by docker-compose config and compose_check"
    fi
    grep -q "container_name one-name" "$WORK/check-named.out" ||
        fail "compose_check rejected the container_name, but not for it: $(cat "$WORK/check-named.out")"
else
    grep -q "container_name" "$WORK/compose.err" ||
        fail "docker-compose config refused the container_name, but not for it: $(cat "$WORK/compose.err")"
fi

# The proxy's nginx.conf, as nginx itself reads it (Debian's nginx; the resolver
# and the variables parse without a DNS server).
proxy_conf=$("$PY" -B -c '
import sys
sys.path.insert(0, sys.argv[2])
import yaml, compose_check as c
s = yaml.safe_load(open(sys.argv[1]))["services"]
print(c.host_path(s["proxy"], "/etc/nginx/nginx.conf"))
' "$WORK/compose.yml" "$PIZZA_ROOT/tests/tools")
[[ -f $proxy_conf ]] || fail "the proxy mounts no nginx.conf: $proxy_conf"
nginx_test() { # FILE: nginx -t, its own prefix, no log files
    mkdir -p "$WORK/nginx"
    nginx -t -q -e stderr -p "$WORK/nginx/" -c "$1"
}
nginx_test "$proxy_conf" 2>"$WORK/nginx.err" || fail "nginx -t $proxy_conf: $(cat "$WORK/nginx.err")"
sed 's#proxy_read_timeout 75s;#proxy_read_timeout 75s#' "$proxy_conf" >"$WORK/nginx-broken.conf"
cmp -s "$proxy_conf" "$WORK/nginx-broken.conf" && fail "nginx.conf mutation changed nothing"
if nginx_test "$WORK/nginx-broken.conf" 2>"$WORK/nginx.err"; then
    fail "nginx -t accepted a directive without its ';'"
fi

# expect_problem WHAT SED_EXPR PATTERN [BASE [FILE]]: the checker must reject the
# normalized file BASE (compose.yml; BASE=compose-obs.yml is checked with
# --profile observability) broken by SED_EXPR with a line matching PATTERN. With
# FILE, SED_EXPR breaks a copy of the repository's FILE instead, which the
# normalized file then mounts in its place. The broken files are checked
# together, in one compose_check process, by check_problems.
declare -a MUTATIONS=()
expect_problem() {
    local what=$1 expr=$2 pattern=$3 base=$WORK/${4:-compose.yml} file=${5:-}
    local n=${#MUTATIONS[@]}
    local broken=$WORK/broken$n.yml
    local args=""
    [[ $base == */compose-obs.yml ]] && args="--profile observability"
    if [[ -n $file ]]; then
        mkdir -p "$WORK/copy$n"
        cp -r "$PIZZA_ROOT/$file" "$WORK/copy$n/"
        local target=$WORK/copy$n/${file##*/}
        if [[ -d $target ]]; then
            local f changed=0
            while IFS= read -r f; do
                [[ -f $f ]] || continue
                sed -i.orig -e "$expr" "$f"
                cmp -s "$f" "$f.orig" || changed=1
                rm "$f.orig"
            done < <(find "$target" -type f)
            ((changed)) || fail "mutation '$what' changed nothing in $file: update the test"
        else
            sed -i -e "$expr" "$target"
            cmp -s "$target" "$PIZZA_ROOT/$file" && fail "mutation '$what' changed nothing in $file"
        fi
        sed -e "s#$PIZZA_ROOT/$file#$target#" "$base" >"$broken"
    else
        sed -e "$expr" "$base" >"$broken"
    fi
    cmp -s "$broken" "$base" && fail "mutation '$what' changed nothing: update the test"
    echo "$WORK/broken$n.out $broken $args" >>"$WORK/mutations"
    MUTATIONS+=("$what"$'\t'"$pattern")
}
check_problems() {
    "$PY" "$CHECK" --batch "$PIZZA_ROOT" "$WORK/mutations" >"$WORK/batch.out" 2>&1 ||
        fail "compose_check --batch: $(cat "$WORK/batch.out")"
    local n what pattern out
    for n in "${!MUTATIONS[@]}"; do
        what=${MUTATIONS[$n]%%$'\t'*}
        pattern=${MUTATIONS[$n]#*$'\t'}
        out=$WORK/broken$n.out
        [[ $(tail -n 1 "$out") == "exit 1" ]] || fail "compose_check accepted $what: $(cat "$out")"
        grep -q -- "$pattern" "$out" ||
            fail "compose_check rejected $what but not for it: $(cat "$out")"
    done
    lib_log "compose_check rejected all ${#MUTATIONS[@]} broken copies, each for its fault"
}
expect_problem "a healthcheck on the wrong port" \
    's#localhost:5003/ready#localhost:5009/ready#' "healthcheck port 5009 is not .* 5003"
expect_problem "a daemon port the daemon does not listen on" \
    's#^  sauce-service:$#&\n    ports:\n    - "5012"#' "publishes container port 5012, the daemon listens on 5002"
expect_problem "an environment variable no daemon reads" \
    's#^\(      \)LOG_LEVEL:#\1LOG_LEVL:#' "LOG_LEVL: not a variable the daemons read"
expect_problem "a PIZZA_ setting for a key nobody has" \
    's#^\(      \)LOG_LEVEL:.*#\1PIZZA_ORDERS_MAX_CUONT: "5"#' "PIZZA_ORDERS_MAX_CUONT"
expect_problem "a Kafka property librdkafka lacks" \
    's#KAFKA_SESSION_TIMEOUT_MS:#KAFKA_SESION_TIMEOUT_MS:#' "no property sesion.timeout.ms"
expect_problem "a config file the image lacks" \
    's#/etc/pizza/meat.ini#/etc/pizza/meats.ini#' "meats.ini: no such file in the image"
expect_problem "a daemon given another daemon's config" \
    's#/etc/pizza/sauce.ini#/etc/pizza/cheese.ini#' "sauce-service reads config/sauce.ini"
expect_problem "a binary the project does not build" \
    's#^\( *\)- veggie-service$#\1- veggies-service#' "veggies-service: not a daemon the project builds"
expect_problem "a missing pipeline topic" \
    's#pizza-with-cheese pizza-with-meats#pizza-with-cheese#' "does not create pizza-with-meats"
expect_problem "a changelog that is not compacted" \
    's#cheese-report-changelog --config cleanup.policy=compact#cheese-report-changelog#' \
    "cheese-report-changelog: cleanup.policy should be compact"
expect_problem "a changelog that expires orders GET must find" \
    's#ORDERS_CHANGELOG_RETENTION_MS: .*#ORDERS_CHANGELOG_RETENTION_MS: "600000"#' \
    "retention.ms 600000 < \\[orders\\] retention_s 3600"
expect_problem "a dev-broker-only dependency" \
    's#condition: service_completed_successfully#condition: service_started#' \
    "depends_on topics should have condition service_completed_successfully"
expect_problem "a session timeout Kafka refuses" \
    's#KAFKA_SESSION_TIMEOUT_MS: .*#KAFKA_SESSION_TIMEOUT_MS: "3000"#' \
    "KAFKA_SESSION_TIMEOUT_MS 3000: Kafka refuses"

# What would stop `--scale`.
expect_problem "a daemon with a container_name" \
    's#^  meat-service:$#&\n    container_name: meat#' "meat-service: container_name meat"
expect_problem "a daemon with a fixed hostname" \
    's#^  veggie-service:$#&\n    hostname: veggie#' "veggie-service: hostname veggie"
expect_problem "a daemon publishing a host port" \
    's#^  sauce-service:$#&\n    ports:\n    - "5002:5002"#' "sauce-service: publishes host port 5002"
expect_problem "one transactional.id for every replica" \
    's#^\(      \)LOG_LEVEL:#\1KAFKA_TRANSACTIONAL_ID: sauce\n&#' \
    "KAFKA_TRANSACTIONAL_ID is set for every replica alike"
expect_problem "one instance id for every replica" \
    's#^\(      \)LOG_LEVEL:#\1PIZZA_SERVICE_INSTANCE_ID: one\n&#' \
    "PIZZA_SERVICE_INSTANCE_ID is set for every replica alike"

# The proxy.
expect_problem "the proxy publishing pizza-service on another host port" \
    's#published: "\?5000"\?$#published: 8000#' "host port 8000"
expect_problem "a proxy port nginx does not listen on" \
    's#target: 5001$#target: 5011#' "publishes container port 5011, where nginx.conf proxies nothing"
expect_problem "cheese-reporter not on the host's port 5001" \
    's#\(published\|target\): "\?5001"\?$#\1: 5011#' \
    "cheese-reporter is not reachable on host port 5001"
expect_problem "a proxy leading to the wrong port" \
    's#proxy_pass http://$daemon:5001;#proxy_pass http://$daemon:5011;#' \
    "cheese-reporter listens on 5001, not 5011" compose.yml deploy/compose/nginx.conf
expect_problem "a proxy leading to no daemon" \
    's#set $daemon cheese-reporter;#set $daemon cheese-reporters;#' \
    "cheese-reporters is not a daemon service" compose.yml deploy/compose/nginx.conf
expect_problem "a proxy resolving the replicas once" \
    's#proxy_pass http://$daemon:5000;#proxy_pass http://pizza-service:5000;#' \
    "resolves a literal name once" compose.yml deploy/compose/nginx.conf
expect_problem "a proxy without Docker's DNS" \
    's#resolver 127.0.0.11 valid=5s#resolver 127.0.0.53 valid=5s#' \
    "no resolver 127.0.0.11" compose.yml deploy/compose/nginx.conf
expect_problem "a proxy that cuts long polls" \
    's#proxy_read_timeout 75s;#proxy_read_timeout 30s;#' \
    "proxy_read_timeout 30 s is not longer than \[orders\] max_wait_s 30" \
    compose.yml deploy/compose/nginx.conf
expect_problem "a proxy hiding the client's address" \
    's#proxy_set_header X-Forwarded-For#proxy_set_header X-Client#' \
    "no proxy_set_header X-Forwarded-For" compose.yml deploy/compose/nginx.conf

# The observability profile.
expect_problem "Prometheus started by plain up" \
    's#- observability$#- monitoring#' "profiles \['monitoring'\]" compose-obs.yml
expect_problem "a scrape on the wrong port" \
    's#port: 5003#port: 5009#' "scrapes cheese-service on port 5009" compose-obs.yml deploy/prometheus
expect_problem "a daemon Prometheus does not scrape" \
    's#names: \[meat-service\]#names: [meat]#' "does not scrape meat-service" compose-obs.yml \
    deploy/prometheus
expect_problem "a Prometheus without its rules" \
    's#^  - alerts.yml#  - alert.yml#' "rule_files alert.yml" compose-obs.yml deploy/prometheus
expect_problem "a Grafana datasource on another host" \
    's#url: http://prometheus:9090#url: http://prom:9090#' "http://prom:9090" compose-obs.yml \
    deploy/grafana
expect_problem "dashboards Grafana does not find" \
    's#path: /etc/grafana/dashboards#path: /var/lib/grafana/dashboards#' \
    "holds no dashboard" compose-obs.yml deploy/grafana
expect_problem "a mount of a file the repository lacks" \
    's#/deploy/grafana/dashboards:\?#/deploy/grafana/dashbords#' "no such file in the repository" \
    compose-obs.yml
check_problems

# The SASL_SSL example works as a compose env_file: and with `set -a; .`, its
# secrets filled in from the environment.
cat >"$WORK/override.yml" <<EOF
services:
  pizza-service:
    env_file: $PIZZA_ROOT/config/examples/sasl-ssl.env
EOF
compose CONFLUENT_BOOTSTRAP=cc.example:9092 CONFLUENT_API_KEY=key-123 CONFLUENT_API_SECRET=secret-456 \
    docker-compose -f "$PIZZA_ROOT/docker-compose.yml" -f "$WORK/override.yml" config \
    >"$WORK/sasl.yml" 2>"$WORK/compose.err" || fail "env_file sasl-ssl.env: $(cat "$WORK/compose.err")"
got=$("$PY" -c '
import sys, yaml
env = yaml.safe_load(open(sys.argv[1]))["services"]["pizza-service"]["environment"]
print(env["KAFKA_SASL_USERNAME"], env["KAFKA_SASL_PASSWORD"], env["KAFKA_SECURITY_PROTOCOL"])
' "$WORK/sasl.yml")
assert_eq "key-123 secret-456 SASL_SSL" "$got" "sasl-ssl.env as env_file"
# shellcheck disable=SC2016 # expanded by the inner bash, after sourcing
got=$(env -i CONFLUENT_API_KEY=key-123 CONFLUENT_API_SECRET=secret-456 bash -c \
    'set -a; . "$1"; set +a; echo "$KAFKA_SASL_USERNAME $KAFKA_SASL_PASSWORD"' _ \
    "$PIZZA_ROOT/config/examples/sasl-ssl.env")
assert_eq "key-123 secret-456" "$got" "sasl-ssl.env sourced with set -a"

pass
