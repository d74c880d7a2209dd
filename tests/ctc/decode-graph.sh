#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# graphs/decode.weft end to end through `weft check` and `weft run`: the
# noisy fixture decodes to its sentence, and a vocabulary of the wrong size
# fails at check time naming both sides.
set -u
top=${abs_top_srcdir:?}
weft=${abs_top_builddir:?}/core/cli/weft
g=$top/graphs/decode.weft
fail() { echo "FAIL: $*"; exit 1; }

tmp=${TMPDIR:-/tmp}/decode-graph.$$
mkdir -p "$tmp" && trap 'rm -rf "$tmp"' EXIT

"$weft" check "$g" >"$tmp/err" 2>&1 || fail "weft check $g: $(cat "$tmp/err")"
out=$("$weft" run "$g" 2>"$tmp/err") || fail "weft run: $(cat "$tmp/err")"
[ "$out" = "set a timer for ten minutes" ] || fail "got '$out'"
out=$("$weft" run "$g" lexicon="" lm="" 2>"$tmp/err") ||
    fail "weft run (plain): $(cat "$tmp/err")"
[ "$out" = "sct ga rbimern ford tetn mixnutesg" ] || fail "plain: got '$out'"
head -n 28 "$top/tests/golden/ctc/tokens.txt" >"$tmp/short.txt"
msg=$("$weft" check "$g" tokens="$tmp/short.txt" 2>&1) && fail "check passed a 28-token vocabulary"
echo "$msg" | grep -q "input has 29 classes per frame but short.txt has 28 tokens" ||
    fail "check message: $msg"
echo "PASS: decode.weft"
