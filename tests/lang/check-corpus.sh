#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Runs `weft check` over every graph in tests/graphs/{good,bad} and the
# design sketch, and compares what it prints (stdout and stderr together)
# with the .expected file beside each graph, exactly. Graphs in good/ must
# exit 0, graphs in bad/ must exit 1. A line `# args: a=1 b=2` in a graph
# gives its command-line overrides.
#
# The design sketch (shared/DESIGN.md) names classes that plugins are
# still adding; its expected output records today's set, and while the
# set grows any output whose only errors are unknown classes also passes.
#
#   WEFT_REGEN=1 tests/lang/check-corpus.sh   rewrite the .expected files
set -u
srcdir=${abs_top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
builddir=${abs_top_builddir:-$srcdir/build}
weft=$builddir/core/cli/weft
: "${WEFT_PLUGIN_PATH:=$builddir/plugins/.libs}"
export WEFT_PLUGIN_PATH
unset WEFT_DEBUG WEFT_GRAPH_PATH
cd "$srcdir/tests/graphs" || exit 99

fail=0 n=0
out=$(mktemp) || exit 99
trap 'rm -f "$out"' EXIT
for f in good/*.weft bad/*.weft design-sketch.weft; do
    n=$((n + 1))
    args=$(sed -n 's/^# args: //p' "$f")
    # shellcheck disable=SC2086
    "$weft" check --color=never "$f" $args >"$out" 2>&1
    rc=$?
    case $f in
    good/*) want=0 ;;
    *) want=1 ;;
    esac
    exp=${f%.weft}.expected
    if [ -n "${WEFT_REGEN:-}" ]; then
        cp "$out" "$exp"
    fi
    if [ "$rc" != "$want" ]; then
        echo "FAIL: $f: exit status $rc, expected $want"
        cat "$out"
        fail=$((fail + 1))
    elif [ "$f" = design-sketch.weft ] && ! cmp -s "$exp" "$out" &&
        ! grep ': error: ' "$out" | grep -qv 'error: class `[a-z.]*` does not exist$'; then
        echo "note: $f: the set of missing classes changed; regenerate $exp"
    elif ! diff -u "$exp" "$out"; then
        echo "FAIL: $f: output differs from $exp"
        fail=$((fail + 1))
    fi
done
echo "check-corpus: $n graphs, $fail failed"
[ "$fail" = 0 ]
