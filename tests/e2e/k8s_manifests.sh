#!/usr/bin/env bash
# deploy/k8s (kustomize base, overlays dev and prod) without a cluster:
#   1. `kubectl kustomize --load-restrictor LoadRestrictionsNone` renders the base
#      and each overlay (tests/tools/k8s/setup.sh finds a kubectl that can, or
#      fetches one into .deps/);
#   2. every rendered object validates against the Kubernetes and KEDA schemas
#      (tests/tools/k8s/validate.js: npm kubernetes-models and
#      @kubernetes-models/keda, installed with npm ci into .deps/), unknown fields
#      included;
#   3. tests/tools/k8s_check.py checks each overlay against what the project
#      builds and reads: commands, config files and their content, ports, probes,
#      environment names (each daemon's -h), security, the topics Job's script
#      (run against a stub kafka-topics.sh), KEDA's groups, topics and bootstrap.
# Each step is shown to fail on a broken copy, so a checker that passes
# everything fails. The first run fetches the npm packages (network); later runs
# reuse them offline.
set -euo pipefail
# shellcheck source=SCRIPTDIR/../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
lib_init k8s_manifests

PY=/usr/bin/python3 # Debian's, where python3-yaml is installed
K8S=$PIZZA_ROOT/deploy/k8s
TOOLS=$PIZZA_ROOT/tests/tools
"$PY" -c 'import yaml' 2>/dev/null || fail "$PY has no yaml module (package python3-yaml)"
command -v node >/dev/null || fail "node not found (scripts/deps.sh installs nodejs)"
for d in "${PIZZA_BIN:?}"/{pizza-service,cheese-reporter,sauce-service,cheese-service,meat-service,veggie-service}; do
    [[ -x $d ]] || fail "$d not built (k8s_check.py reads the environment names from its -h)"
done

bash "$TOOLS/k8s/setup.sh" render >"$WORK/render.cmd" 2>"$WORK/setup.log" ||
    fail "no kubectl to render with: $(cat "$WORK/setup.log")"
mapfile -t RENDER <"$WORK/render.cmd"
((${#RENDER[@]} == 2)) || fail "setup.sh render printed '${RENDER[*]}': $(cat "$WORK/setup.log")"
MODELS=$(bash "$TOOLS/k8s/setup.sh" models 2>>"$WORK/setup.log") ||
    fail "could not install the schema packages: $(cat "$WORK/setup.log")"
lib_log "rendering with ${RENDER[*]}"

render() { # render DIR OUT
    "${RENDER[@]}" --load-restrictor LoadRestrictionsNone "$1" >"$2" 2>"$2.err"
}
validate() { # validate YAML...: validate.js's report on stdout (YAML.json beside each)
    "$PY" -c 'import json, sys, yaml
for f in sys.argv[1:]:
    json.dump([d for d in yaml.safe_load_all(open(f)) if d], open(f + ".json", "w"))' "$@" &&
        NODE_PATH=$MODELS node "$TOOLS/k8s/validate.js" "${@/%/.json}"
}

# ---------------------------------------------------------------- 1. render
for o in base overlays/dev overlays/prod; do
    out=$WORK/${o##*/}.yaml
    render "$K8S/$o" "$out" || fail "deploy/k8s/$o does not render: $(cat "$out.err")"
    [[ -s $out ]] || fail "deploy/k8s/$o renders nothing"
done

# A broken copy of the tree (config/ beside it, as in the repository) must not render.
expect_no_render() { # expect_no_render WHAT FILE SED_EXPR PATTERN
    local what=$1 file=$2 expr=$3 pattern=$4 tree=$WORK/tree
    rm -rf "$tree" && mkdir -p "$tree/deploy" && cp -r "$K8S" "$tree/deploy/k8s"
    ln -s "$PIZZA_ROOT/config" "$tree/config"
    sed -i -e "$expr" "$tree/deploy/k8s/$file"
    cmp -s "$tree/deploy/k8s/$file" "$K8S/$file" && fail "mutation '$what' changed nothing: update the test"
    render "$tree/deploy/k8s/overlays/prod" "$WORK/broken-render.yaml" &&
        fail "a tree with $what rendered"
    grep -q -- "$pattern" "$WORK/broken-render.yaml.err" ||
        fail "rendering $what failed, but not for it: $(cat "$WORK/broken-render.yaml.err")"
}
expect_no_render "a config file that does not exist" base/kustomization.yaml \
    's#config/meat.ini#config/meats.ini#' "meats.ini"
expect_no_render "a patch that does not exist" overlays/prod/kustomization.yaml \
    's#path: topics-job.yaml#path: topic-job.yaml#' "topic-job.yaml"

# ---------------------------------------------------------------- 2. schemas
for o in base dev prod; do
    validate "$WORK/$o.yaml" >"$WORK/validate-$o.out" 2>&1 ||
        fail "deploy/k8s $o: objects the schemas refuse:
$(cat "$WORK/validate-$o.out")"
    lib_log "$o: $(tail -n 1 "$WORK/validate-$o.out")"
done
grep -q "ScaledObject" "$WORK/validate-prod.out" || fail "prod: no ScaledObject was validated"

# Broken copies of the prod rendering, validated in one run: each must be refused
# for its own fault.
declare -a INVALID=()
declare -A INVALID_PATTERN=() INVALID_WHAT=()
invalid() { # invalid WHAT SED_EXPR PATTERN
    local what=$1 expr=$2 pattern=$3 file=$WORK/invalid-$((${#INVALID[@]} + 1)).yaml
    sed -e "$expr" "$WORK/prod.yaml" >"$file"
    cmp -s "$file" "$WORK/prod.yaml" && fail "mutation '$what' changed nothing: update the test"
    INVALID+=("$file")
    INVALID_PATTERN[$file]=$pattern
    INVALID_WHAT[$file]=$what
}
invalid "a port that is no number" 's#containerPort: 5002#containerPort: "5002"#' \
    "containerPort must be integer"
invalid "a misspelt field" 's#livenessProbe:#livenesProbe:#' "livenesProbe: unknown field"
invalid "a kind the API lacks" 's#kind: PodDisruptionBudget#kind: PodDisruptionBudgets#' \
    "no schema for policy/v1 PodDisruptionBudgets"
invalid "a KEDA field of another name" 's#maxReplicaCount: 6#maxReplicas: 6#' \
    "ScaledObject .*/spec/maxReplicas: unknown field"
invalid "a KEDA trigger setting that is no string" \
    's#lagThreshold: "5000"#lagThreshold: 5000#' "lagThreshold must be string"
validate "${INVALID[@]}" >"$WORK/invalid.out" 2>&1 && fail "validate.js accepted every broken copy"
for file in "${INVALID[@]}"; do
    grep -q "^$file.json: validate: .*, 0 problems$" "$WORK/invalid.out" &&
        fail "validate.js accepted ${INVALID_WHAT[$file]}"
    grep -q -- "^$file.json: .*${INVALID_PATTERN[$file]}" "$WORK/invalid.out" ||
        fail "validate.js rejected ${INVALID_WHAT[$file]} but not for it: $(grep "^$file.json: " "$WORK/invalid.out")"
done

# ---------------------------------------------------------------- 3. cross-check
check() { # check PROFILE FILE...: k8s_check.py's report on stdout
    PIZZA_BIN=$PIZZA_BIN "$PY" "$TOOLS/k8s_check.py" "$PIZZA_ROOT" "$@"
}
for o in dev prod; do
    check "$o" "$WORK/$o.yaml" >"$WORK/check-$o.out" 2>&1 ||
        fail "k8s_check found problems in $o:
$(cat "$WORK/check-$o.out")"
    lib_log "$(tail -n 1 "$WORK/check-$o.out")"
done

# Broken copies are written first and checked in one run per profile (one
# Python start-up instead of one each); each must draw a matching problem.
declare -A BROKEN_PATTERN=() BROKEN_WHAT=()
declare -a BROKEN_dev=() BROKEN_prod=()
n_broken=0
broken() { # broken PROFILE WHAT SED_EXPR PATTERN
    local profile=$1 what=$2 expr=$3 pattern=$4 file
    n_broken=$((n_broken + 1))
    file=$WORK/broken-$profile-$n_broken.yaml
    sed -e "$expr" "$WORK/$profile.yaml" >"$file"
    cmp -s "$file" "$WORK/$profile.yaml" && fail "mutation '$what' changed nothing: update the test"
    BROKEN_PATTERN[$file]=$pattern
    BROKEN_WHAT[$file]=$what
    if [[ $profile == dev ]]; then BROKEN_dev+=("$file"); else BROKEN_prod+=("$file"); fi
}

# the daemon, its config and its environment
broken dev "a binary the project does not build" \
    's#^\( *\)- veggie-service$#\1- veggies-service#' "no StatefulSet runs veggie-service"
broken dev "a config file the daemon is not given" \
    's#/etc/pizza/meat.ini#/etc/pizza/meats.ini#' "has no meats.ini"
broken dev "a daemon given another daemon's config" \
    's#/etc/pizza/sauce.ini#/etc/pizza/cheese.ini#; s#^  sauce.ini: |#  cheese.ini: |#' \
    "sauce-service reads config/sauce.ini"
broken dev "a config that is not the repository's" 's#^    port = 5002$#    port = 5012#' \
    "differs from config/sauce.ini"
broken dev "an environment variable no daemon reads" 's#^  LOG_LEVEL: debug#  LOG_LEVL: debug#' \
    "LOG_LEVL: not a variable the daemons read"
broken dev "a log level the daemons refuse" 's#^  LOG_LEVEL: debug#  LOG_LEVEL: verbose#' \
    "LOG_LEVEL=verbose: expected one of"
broken dev "a PIZZA_ setting for a key nobody has" \
    's#^  LOG_LEVEL: debug#  PIZZA_ORDERS_MAX_CUONT: "5"#' "PIZZA_ORDERS_MAX_CUONT"
broken dev "a Kafka property librdkafka lacks" \
    's#KAFKA_SESSION_TIMEOUT_MS:#KAFKA_SESION_TIMEOUT_MS:#' "no property sesion.timeout.ms"
broken dev "a secret in a ConfigMap" 's#^  LOG_LEVEL: debug#  KAFKA_SASL_PASSWORD: hunter2#' \
    "KAFKA_SASL_PASSWORD: a secret belongs in a Secret"
broken dev "one transactional.id for every replica" \
    's#^  LOG_LEVEL: debug#  KAFKA_TRANSACTIONAL_ID: pizza#' "fence each other"
broken dev "plaintext dev talking SSL" 's#^  LOG_LEVEL: debug#  KAFKA_SECURITY_PROTOCOL: SSL#' \
    "not plaintext"
broken dev "an HTTP_PORT the pods do not expose" 's#^  LOG_LEVEL: debug#  HTTP_PORT: "6000"#' \
    "no containerPort 6000, the daemon's \\[http\\] port"
broken dev "Kafka settings through PIZZA_" 's#^  LOG_LEVEL: debug#  PIZZA_KAFKA_ACKS: all#' \
    "the daemons refuse PIZZA_KAFKA"
broken dev "daemons on different images" \
    '0,/image: pizza-pipeline:local/s//image: pizza-pipline:local/' "should share one pizza-pipeline image"
# ports, probes, scraping
broken dev "a container port the daemon does not listen on" \
    's#containerPort: 5003#containerPort: 5013#' "no containerPort 5003"
broken dev "a readiness probe on another path" 's#path: /ready#path: /readyz#' \
    "readinessProbe asks /readyz, not /ready"
broken dev "a liveness probe that waits for Kafka" 's#path: /health#path: /ready#' \
    "livenessProbe asks /ready, not /health"
broken dev "Prometheus scraping another port" \
    's#prometheus.io/port: "5004"#prometheus.io/port: "5014"#' "prometheus.io/port 5014 is not"
broken dev "Prometheus asking another path" 's#prometheus.io/path: /metrics#prometheus.io/path: /metric#' \
    "prometheus.io/path /metric"
broken dev "pods Prometheus skips" 's#prometheus.io/scrape: "true"#prometheus.io/scrape: "false"#' \
    "no prometheus.io/scrape"
# lifecycle, security, resources
broken dev "service links" 's#enableServiceLinks: false#enableServiceLinks: true#' \
    "enableServiceLinks should be false"
broken dev "a grace period within the shutdown budget" \
    's#terminationGracePeriodSeconds: 30#terminationGracePeriodSeconds: 10#' "leaves no margin"
broken dev "another user than the image's" 's#runAsUser: 10001#runAsUser: 1001#' \
    "the image's user has uid 10001"
broken dev "pods that may run as root" 's#runAsNonRoot: true#runAsNonRoot: false#' \
    "runAsNonRoot should be true"
broken dev "a writable root file system" \
    's#readOnlyRootFilesystem: true#readOnlyRootFilesystem: false#' "readOnlyRootFilesystem should be true"
broken dev "privilege escalation" \
    's#allowPrivilegeEscalation: false#allowPrivilegeEscalation: true#' "allowPrivilegeEscalation should be false"
broken dev "a request above its limit" 's#memory: 32Mi#memory: 256Mi#' "request 256Mi > limit 128Mi"
broken dev "no CPU request" 's#^            cpu: 50m$##' "requests and limits for cpu"
broken dev "pizza-service with less memory than its orders take" 's#memory: 1Gi#memory: 256Mi#' \
    "pizza-service: memory limit 256Mi is below"
# the StatefulSet, Services, budgets
broken dev "pods started one by one" 's#podManagementPolicy: Parallel#podManagementPolicy: OrderedReady#' \
    "podManagementPolicy should be Parallel"
broken dev "a StatefulSet without its headless Service" \
    's#serviceName: meat-service-headless#serviceName: meat-service#' "no headless Service"
broken dev "a Service to a port the pods lack" 's#targetPort: http#targetPort: htp#' \
    "targetPort htp is no port of its pods"
broken dev "no Service for clients" 's#^  type: ClusterIP#  clusterIP: None#' \
    "no ClusterIP Service for its clients on port 5000"
broken dev "a budget that blocks every drain" 's#maxUnavailable: 1#minAvailable: 1#' \
    "blocks every drain"
broken dev "two instances in dev" 's#^  replicas: 1#  replicas: 2#' "dev runs one"
# the topics Job and the dev broker
broken dev "a missing pipeline topic" \
    's#value: pizza pizza-with-sauce pizza-with-cheese pizza-with-meats#value: pizza pizza-with-sauce pizza-with-cheese#' \
    "does not create pizza-with-meats"
broken dev "a changelog that is not compacted" \
    's#create cheese-report-changelog --config cleanup.policy=compact#create cheese-report-changelog#' \
    "cheese-report-changelog: cleanup.policy should be compact"
broken dev "a changelog that expires orders GET must find" 's#value: "7200000"#value: "600000"#' \
    "retention.ms 600000 < \\[orders\\] retention_s 3600"
broken dev "a topic the next run cannot create again" 's#--create --if-not-exists#--create#' \
    "not created with --create --if-not-exists"
broken dev "topics with another partition count" 's#--partitions "$PARTITIONS"#--partitions 3#' \
    "3 partitions, PARTITIONS is 6"
broken dev "topics on another cluster" 's#--bootstrap-server "$BOOTSTRAP"#--bootstrap-server localhost:9092#' \
    "bootstrap localhost:9092, the daemons use kafka:9092"
broken dev "a script tied to one image layout" 's#"$BIN_DIR/kafka-topics.sh"#/opt/kafka/bin/kafka-topics.sh#' \
    "names /opt/kafka/bin itself"
broken dev "more topic replicas than brokers" 's#REPLICATION: "1"#REPLICATION: "3"#' \
    "asks replication 3 of 1 broker"
broken dev "internal topics with more replicas than brokers" \
    '/KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR/{n;s#"1"#"3"#}' "above its 1 broker"
broken dev "another Kafka than docker-compose's" 's#image: apache/kafka:4.4.0#image: apache/kafka:latest#' \
    "docker-compose's topics job uses apache/kafka"
broken dev "a broker that creates topics by itself" \
    '/KAFKA_AUTO_CREATE_TOPICS_ENABLE/{n;s#"false"#"true"#}' "KAFKA_AUTO_CREATE_TOPICS_ENABLE should be false"
broken dev "a broker advertising another address" 's#PLAINTEXT://kafka:9092#PLAINTEXT://broker:9092#' \
    "not the daemons' bootstrap kafka:9092"
broken dev "KEDA in dev" 's#^kind: PodDisruptionBudget#kind: ScaledObject#' "dev runs one instance each"
# prod: SASL_SSL, the Secret, KEDA
broken prod "prod without TLS" 's#KAFKA_SECURITY_PROTOCOL: SASL_SSL#KAFKA_SECURITY_PROTOCOL: SASL_PLAINTEXT#' \
    "not SASL_SSL"
broken prod "an optional Secret in prod" 's#optional: false#optional: true#' \
    "prod needs it from the Secret, not optional"
broken prod "a topics Job without the SASL mechanism" \
    's#key: KAFKA_SASL_MECHANISMS#key: KAFKA_SASL_MECHANISM#' "client config lacks sasl.mechanism=PLAIN"
broken prod "topics with one replica in prod" 's#REPLICATION: "3"#REPLICATION: "1"#' \
    "production topics need 3 replicas"
broken prod "more partitions than KEDA scales to" 's#PARTITIONS: "6"#PARTITIONS: "12"#' \
    "maxReplicaCount 6 is not the partition count 12"
broken prod "a stage KEDA does not scale" 's#^    name: cheese-service$#    name: cheese-servic#' \
    "cheese-service: no ScaledObject"
broken prod "KEDA watching another group" 's#consumerGroup: meat-service#consumerGroup: meat#' \
    "meat-service's group is meat-service"
broken prod "KEDA watching another topic" 's#topic: pizza-with-meats#topic: pizza-with-veggies#' \
    "veggie-service reads pizza-with-meats"
broken prod "KEDA on another bootstrap" \
    's#bootstrapServersFromEnv: KAFKA_BOOTSTRAP_SERVERS#bootstrapServersFromEnv: KAFKA_BOOTSTRAP_SERVER#' \
    "the daemon's bootstrap is kafka.example.com:9092"
broken prod "KEDA with another SASL mechanism" 's#sasl: plaintext#sasl: scram_sha512#' \
    "the daemons use PLAIN (plaintext)"
broken prod "KEDA without TLS" 's#tls: enable#tls: disable#' "tls disable, the daemons use SASL_SSL"
broken prod "KEDA with other credentials" 's#parameter: password#parameter: passwd#' \
    "TriggerAuthentication password is None"
broken prod "KEDA without credentials" 's#^      name: pizza-kafka$#      name: pizza-kafk#' \
    "no TriggerAuthentication for the daemons' SASL credentials"
broken prod "idle consumers" 's#offsetResetPolicy: earliest#allowIdleConsumers: "true"#' \
    "allowIdleConsumers: an instance beyond the partitions only idles"
broken prod "a replica count KEDA owns" 's#podManagementPolicy: Parallel#replicas: 3#' \
    "replicas is set, and KEDA owns it"
broken prod "KEDA scaling to zero" 's#minReplicaCount: 2#minReplicaCount: 0#' "minReplicaCount 0"
broken prod "a lag threshold of nothing" 's#lagThreshold: "5000"#lagThreshold: "0"#' "lagThreshold 0"
broken prod "KEDA counting lag from the end" 's#offsetResetPolicy: earliest#offsetResetPolicy: latest#' \
    "auto.offset.reset is earliest"

for profile in dev prod; do
    declare -n files=BROKEN_$profile
    check "$profile" "${files[@]}" >"$WORK/broken-$profile.out" 2>&1 || true
    for file in "${files[@]}"; do
        grep -q "^$file: k8s_check: $profile: .*, 0 problems$" "$WORK/broken-$profile.out" &&
            fail "k8s_check accepted ${BROKEN_WHAT[$file]}"
        grep -q -- "^$file: .*${BROKEN_PATTERN[$file]}" "$WORK/broken-$profile.out" ||
            fail "k8s_check rejected ${BROKEN_WHAT[$file]} but not for it: $(grep "^$file: " "$WORK/broken-$profile.out")"
    done
    unset -n files
done
lib_log "$n_broken broken copies rejected"

pass
