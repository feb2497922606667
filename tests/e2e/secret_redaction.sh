#!/usr/bin/env bash
# A secret set the way operators set it (KAFKA_SASL_PASSWORD, KAFKA_SSL_KEY_PASSWORD)
# never shows in a daemon's log, not even at debug level where every Kafka
# property is logged and librdkafka dumps its configuration (debug=conf), nor
# in /metrics.
set -euo pipefail
# shellcheck source=SCRIPTDIR/../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
lib_init secret_redaction
start_broker
secret=planted-Secret-4711
export KAFKA_SASL_PASSWORD=$secret KAFKA_SSL_KEY_PASSWORD=$secret
LOG_LEVEL=debug KAFKA_DEBUG=conf start_daemon sauce-service
assert_http 200 GET "http://127.0.0.1:$(port_of sauce-service)/metrics"
grep -qF "$secret" <<<"$BODY" && fail "the secret is in /metrics"
grep -qF '"msg":"kafka property sasl.password = [redacted]"' "$WORK/sauce-service.log" ||
    fail "no redacted sasl.password line at debug level: the test would prove nothing"
stop_daemon sauce-service
grep -qF "$secret" "$WORK/sauce-service.log" && fail "the secret is in sauce-service's log"

pass
