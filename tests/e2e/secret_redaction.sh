#!/usr/bin/env bash
# A secret set the way operators set it (KAFKA_SASL_PASSWORD, KAFKA_SSL_KEY_PASSWORD,
# or in the config file) never shows in a daemon's log, not even at debug level
# where every Kafka property is logged and librdkafka dumps its configuration
# (debug=conf), nor in /metrics, nor in the errors of a start that fails on it
# or of a broker that refuses the credentials.
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
unset KAFKA_SASL_PASSWORD KAFKA_SSL_KEY_PASSWORD

# In the config file, under other secret-bearing names.
awk -v s="$secret" '{ print } $0 == "[kafka]" {
    print "sasl.password = " s; print "ssl.keystore.password = " s
    print "ssl.key.password = " s }' "$PIZZA_ROOT/config/sauce.ini" >"$WORK/sauce.ini"
grep -qF "ssl.keystore.password = $secret" "$WORK/sauce.ini" || fail "config/sauce.ini has no [kafka] line"
LOG_LEVEL=debug KAFKA_DEBUG=conf start_daemon sauce-service -c "$WORK/sauce.ini"
assert_http 200 GET "http://127.0.0.1:$(port_of sauce-service)/metrics"
grep -qF "$secret" <<<"$BODY" && fail "the secret from the config file is in /metrics"
stop_daemon sauce-service
grep -qF "$secret" "$WORK/sauce-service.log" && fail "the secret from the config file is in the log"

# A start that fails on the secret itself: a private key that is not one.
: >"$WORK/sauce-service.log"
KAFKA_SECURITY_PROTOCOL=ssl KAFKA_SSL_KEY_PASSWORD=$secret LOG_LEVEL=debug \
    KAFKA_SSL_KEY_PEM=$'-----BEGIN PRIVATE KEY-----\n'"$secret"$'\n-----END PRIVATE KEY-----' \
    lib_launch sauce-service
exited() { reap_daemon sauce-service; }
wait_until 15 exited
((LIB_EXIT_CODE != 0)) || fail "sauce-service started with a key that is not one"
grep -q '"level":"error"' "$WORK/sauce-service.log" || fail "no error logged for the bad key"
grep -qF "$secret" "$WORK/sauce-service.log" && fail "the secret is in the error of a failed start"

# A broker that refuses the credentials (the dev broker takes no SASL):
# librdkafka's connection errors must not carry them.
: >"$WORK/sauce-service.log"
KAFKA_SECURITY_PROTOCOL=sasl_plaintext KAFKA_SASL_MECHANISMS=PLAIN KAFKA_SASL_USERNAME=pizza \
    KAFKA_SASL_PASSWORD=$secret LOG_LEVEL=debug KAFKA_DEBUG=security,broker lib_launch sauce-service
lib_await_listening sauce-service
refused() { grep -q '"level":"error"' "$WORK/sauce-service.log"; }
wait_until 15 refused
stop_daemon sauce-service || true
grep -qF "$secret" "$WORK/sauce-service.log" && fail "the secret is in a refused connection's errors"

pass
