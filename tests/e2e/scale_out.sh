#!/usr/bin/env bash
# Scale out on real Kafka: chaos.sh with CHAOS_SCALE=1 (read its header):
# 3 instances of every topping stage, 2 of pizza-service and of cheese-reporter,
# all on the shipped configs; random kill -9s and a stage scaled from 3
# instances to 1 and back under load; then 0 orders lost, 0 pizzas doubled,
# GET right on both pizza-services and /report exact on both reporters.
set -euo pipefail
CHAOS_SCALE=1 exec bash "$(dirname "${BASH_SOURCE[0]}")/chaos.sh"
