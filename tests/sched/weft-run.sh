#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# weft-run.sh: `weft run` end to end: exit codes (0 done, 1 node error,
# 2 usage/check error, 130 SIGINT), the error line, --stats in both
# forms, --trace as valid Chrome trace JSON, byte-identical outputs and
# traces with --threads 1, and SIGINT draining a running graph.
# No timing is asserted except a generous bound on how long SIGINT may take.
set -euo pipefail

here=$(cd "$(dirname "$0")/../.." && pwd)
: "${abs_top_builddir:=$here/build}"
weft=$abs_top_builddir/core/cli/weft
export WEFT_PLUGIN_PATH=${WEFT_PLUGIN_PATH:-$abs_top_builddir/plugins/.libs}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/weft-run.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

fail() { echo "weft-run: FAIL: $*" >&2; exit 1; }
expect_rc() { # expected, command...
    local want=$1 rc=0; shift
    "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
    [ "$rc" = "$want" ] || { cat "$tmp/err"; fail "'$*' exited $rc, not $want"; }
}

cat >"$tmp/chain.weft" <<'EOF'
weft 1
param n = 2000
node src = test.src { count = $n, shape = [8], pattern = random, seed = 3 }
node a   = identity
node b   = identity
node out = tensor.sink { path = "out.npy" }
node cnt = null.sink
src -> a -> b -> out
a -> cnt
EOF
cat >"$tmp/fail.weft" <<'EOF'
weft 1
node src = test.src { count = 1000 }
node dec = identity { fail_after = 10 }
node out = null.sink
src -> dec -> out
EOF
cat >"$tmp/endless.weft" <<'EOF'
weft 1
node src  = test.src { count = -1 }
node slow = identity { sleep_us = 2000 }
node out  = null.sink
src -> slow -> out
EOF
printf 'weft 1\nnode x = no.such.class\n' >"$tmp/bad.weft"

# 1. A clean run, with both kinds of statistics.
expect_rc 0 "$weft" run "$tmp/chain.weft" --stats -q
grep -q '^cnt .*null.sink .*2000' "$tmp/err" || { cat "$tmp/err"; fail "--stats table"; }
grep -q 'cnt.buffers=2000' "$tmp/err" || fail "--stats counters"
expect_rc 0 "$weft" run "$tmp/chain.weft" n=500 --stats=json --threads 2
python3 - "$tmp/err" <<'EOF' || fail "--stats=json is not the expected JSON"
import json, sys
d = json.loads(open(sys.argv[1]).read())
n = {x["name"]: x for x in d["nodes"]}
assert n["b"]["buffers_in"] == 500 and n["cnt"]["counters"]["buffers"] == 500
assert all("max_depth" in l for l in d["links"])
EOF

# 2. Deterministic with one thread: same bytes out, same trace.
for r in 1 2; do
    mkdir "$tmp/r$r"
    sed "s|out.npy|$tmp/r$r/out.npy|" "$tmp/chain.weft" >"$tmp/r$r/g.weft"
    expect_rc 0 "$weft" run "$tmp/r$r/g.weft" --threads 1 -q \
        --trace "$tmp/r$r/trace.json" --trace-clock=logical
done
cmp "$tmp/r1/out.npy" "$tmp/r2/out.npy" || fail "outputs differ between runs"
cmp "$tmp/r1/trace.json" "$tmp/r2/trace.json" || fail "traces differ between runs"
python3 - "$tmp/r1/trace.json" <<'EOF' || fail "the trace is not Chrome trace JSON"
import json, sys
ev = json.load(open(sys.argv[1]))["traceEvents"]
ph = {e["ph"] for e in ev}
assert {"X", "C", "M"} <= ph, ph
assert any(e["ph"] == "X" and e["name"] == "a" for e in ev)
EOF

# 3. A node error: exit 1 and the error line.
expect_rc 1 "$weft" run "$tmp/fail.weft"
grep -qx "error: node 'dec' (identity): failing after 10 buffers, as fail_after asks" \
    "$tmp/err" || { cat "$tmp/err"; fail "error line"; }

# 4. Usage and check errors: exit 2.
expect_rc 2 "$weft" run
expect_rc 2 "$weft" run "$tmp/chain.weft" --threads x
expect_rc 2 "$weft" run "$tmp/bad.weft"
grep -q 'no.such.class' "$tmp/err" || fail "check error not shown"

# 5. SIGINT drains and stops: exit 130. Wait for the trace file, which
# appears once the graph runs (the handler is installed by then).
"$weft" run "$tmp/endless.weft" --stats --trace "$tmp/int.json" \
    >"$tmp/out" 2>"$tmp/err" &
pid=$!
for _ in $(seq 200); do [ -e "$tmp/int.json" ] && break; sleep 0.05; done
[ -e "$tmp/int.json" ] || fail "the endless graph did not start"
sleep 0.2
kill -INT "$pid"
rc=0
for _ in $(seq 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
kill -0 "$pid" 2>/dev/null && { kill -KILL "$pid"; fail "SIGINT did not stop the run"; }
wait "$pid" || rc=$?
[ "$rc" = 130 ] || { cat "$tmp/err"; fail "SIGINT: exit $rc, not 130"; }
grep -q 'interrupted' "$tmp/err" || fail "SIGINT: no message"
# Drained: the sink got everything the slow node passed on.
python3 - "$tmp/err" <<'EOF' || { cat "$tmp/err"; fail "SIGINT did not drain"; }
import re, sys
t = open(sys.argv[1]).read()
rows = {l.split()[0]: l.split() for l in t.splitlines() if l[:4] in ("src ", "slow", "out ")}
assert int(rows["slow"][3]) == int(rows["out"][2]) > 0, rows
EOF
python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$tmp/int.json" ||
    fail "the trace of an interrupted run is not valid JSON"

echo "weft-run: ok"
