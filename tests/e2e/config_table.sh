#!/usr/bin/env bash
# README's "Our sections" table says what the daemons read: every key, default,
# range and environment name, in order, as tests/tools/cfg_tables prints them from
# the settings tables the daemons parse with and check against. The section column's
# "(which daemons)" note is README's own. A mutated README must fail the
# comparison, so a check that passes everything fails.
set -euo pipefail
# shellcheck source=SCRIPTDIR/../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
lib_init config_table

# One row per line, cells trimmed, the "(all)"-style note dropped.
normalize() {
    sed -E -e 's/ *\| */|/g' -e 's/^\|(`\[[a-z.]+\]`) \([^)]*\)\|/|\1|/'
}

# readme_rows FILE: the table's body rows, under "### Our sections" up to its end.
readme_rows() {
    awk '/^### Our sections/ { on = 1; next }
         on && /^\|/ { if (++row > 2) print; next }
         on && row { exit }' "$1" | normalize
}

"$PIZZA_BIN/cfg_tables" | normalize >"$WORK/tables"
[[ -s $WORK/tables ]] || fail "cfg_tables printed nothing"

# compare FILE: 0 when FILE's table matches the C tables, else the diff on stdout.
compare() {
    readme_rows "$1" >"$WORK/readme"
    diff -u --label "C tables (cfg_tables)" --label "README Our sections" "$WORK/tables" "$WORK/readme"
}

compare "$PIZZA_ROOT/README.md" >"$WORK/diff" || fail "README's \"Our sections\" table disagrees with the settings tables:
$(cat "$WORK/diff")"

# expect_mismatch WHAT SED_EXPR: README broken by SED_EXPR must not pass.
expect_mismatch() {
    local what=$1 expr=$2
    sed -e "$expr" "$PIZZA_ROOT/README.md" >"$WORK/README.md"
    cmp -s "$WORK/README.md" "$PIZZA_ROOT/README.md" && fail "mutation '$what' changed nothing: update the test"
    if compare "$WORK/README.md" >/dev/null; then fail "the check accepted $what"; fi
}
expect_mismatch "a wrong default" 's#| `max_batch_ms` | 100 |#| `max_batch_ms` | 200 |#'
expect_mismatch "a wrong range" 's#| 1–3600 | `PIZZA_SERVICE_SHUTDOWN_TIMEOUT_S`#| 1–600 | `PIZZA_SERVICE_SHUTDOWN_TIMEOUT_S`#'
expect_mismatch "a misspelt key" 's#`max_wait_s`#`max_wait_ms`#'
expect_mismatch "a wrong environment name" 's#`PIZZA_REPORTER_GROUP_ID`#`PIZZA_REPORTER_GROUP`#'
expect_mismatch "a missing row" '/`max_header_bytes`/d'
expect_mismatch "a wrong section" 's#`\[service\]` (all)#`[services]` (all)#'
pass
