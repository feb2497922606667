#!/usr/bin/env bash
# docker-compose.yml, the Dockerfile and config/examples/*.env agree with what the
# project builds and reads, without a Docker engine: `docker-compose config`
# validates and normalizes the file, then tests/tools/compose_check.py checks every
# daemon's binary, -c file, ports, healthcheck and environment, the image's COPYs,
# and runs the topics job's script against a stub kafka-topics.sh to compare the
# topics it creates with those the configs name. Each check is shown to fail on a
# broken copy of the normalized file, so a checker that passes everything fails.
set -euo pipefail
# shellcheck source=SCRIPTDIR/../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
lib_init compose_config

PY=/usr/bin/python3 # Debian's, where python3-yaml is installed
CHECK=$PIZZA_ROOT/tests/tools/compose_check.py
command -v docker-compose >/dev/null || fail "docker-compose not found (scripts/deps.sh installs it)"
"$PY" -c 'import yaml' 2>/dev/null || fail "$PY has no yaml module (package python3-yaml)"

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

# expect_problem WHAT SED_EXPR PATTERN: the checker must reject the normalized
# file broken by SED_EXPR with a line matching PATTERN.
expect_problem() {
    local what=$1 expr=$2 pattern=$3 broken=$WORK/broken.yml
    sed -e "$expr" "$WORK/compose.yml" >"$broken"
    cmp -s "$broken" "$WORK/compose.yml" && fail "mutation '$what' changed nothing: update the test"
    if "$PY" "$CHECK" "$PIZZA_ROOT" "$broken" >"$WORK/broken.out" 2>&1; then
        fail "compose_check accepted $what"
    fi
    grep -q -- "$pattern" "$WORK/broken.out" ||
        fail "compose_check rejected $what but not for it: $(cat "$WORK/broken.out")"
}
expect_problem "a healthcheck on the wrong port" \
    's#localhost:5003/ready#localhost:5009/ready#' "healthcheck port 5009 is not .* 5003"
expect_problem "a published port the daemon does not listen on" \
    's#target: 5001#target: 5011#' "publishes container port 5011"
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
