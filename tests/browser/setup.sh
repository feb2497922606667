#!/usr/bin/env bash
# What tests/browser/page.sh needs beyond Debian's packages (chromium, nodejs,
# npm): npm ci of package.json/package-lock.json here (playwright-core and
# axe-core at exact versions) into .deps/browser-<hash> (gitignored;
# $PIZZA_DEPS_DIR elsewhere), once, then reused offline. Prints its
# node_modules. npm runs with --ignore-scripts (playwright-core downloads no
# browser: the tests drive Debian's chromium) and its cache in .deps/.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
deps=${PIZZA_DEPS_DIR:-$root/.deps}

die() {
    echo "browser-setup: $*" >&2
    exit 1
}

command -v node >/dev/null || die "node not found (scripts/deps.sh installs Debian's nodejs)"
command -v npm >/dev/null || die "npm not found (scripts/deps.sh installs Debian's npm)"
key=$(cat "$here/package.json" "$here/package-lock.json" "${BASH_SOURCE[0]}" | sha256sum | cut -c1-16)
dir=$deps/browser-$key
if [[ ! -d $dir/node_modules ]]; then
    mkdir -p "$deps"
    tmp=$(mktemp -d "$deps/.browser.XXXXXX")
    chmod 755 "$tmp"
    cp "$here/package.json" "$here/package-lock.json" "$tmp/"
    echo "browser-setup: npm ci tests/browser/package.json into $dir" >&2
    if ! (cd "$tmp" && npm ci --no-audit --no-fund --ignore-scripts --prefer-offline \
        --cache "$deps/npm-cache" >&2); then
        rm -rf "$tmp"
        die "npm ci of $here/package.json failed"
    fi
    # another run may have got there first: then its tree is used
    mv -T "$tmp" "$dir" 2>/dev/null || rm -rf "$tmp"
    # keep the two most recently used trees
    for old in $(ls -dt "$deps"/browser-* | tail -n +3); do rm -rf "$old"; done
fi
touch "$dir"
echo "$dir/node_modules"
