#!/usr/bin/env bash
# The runtime image's system setup, run as root inside it: by the Dockerfile's
# runtime stage (RUN), and by tests/e2e/image_rootfs.sh in a debootstrapped
# root of the same Debian release, so the image and its test cannot drift.
# Installs runtime-packages (beside this file), creates the user the daemons
# run as and the working directory whose config/ is /etc/pizza (the daemons'
# default -c is config/<name>.ini relative to it). The binaries and config/*.ini
# are the Dockerfile's COPYs.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

packages=()
while read -r line; do
    line=${line%%#*}
    read -ra words <<<"$line"
    packages+=("${words[@]}")
done <"$here/runtime-packages"
((${#packages[@]} > 0)) || { echo "setup-runtime: no package in $here/runtime-packages" >&2; exit 1; }

apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${packages[@]}"
# the image needs no package index
rm -rf /var/lib/apt/lists/*

# uid and gid 10001: what deploy/k8s runs as, and fixed (a system group's
# number would otherwise depend on the groups the packages above created)
groupadd --system --gid 10001 pizza
useradd --system --uid 10001 --gid pizza --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin pizza
mkdir /opt/pizza
ln -s /etc/pizza /opt/pizza/config
