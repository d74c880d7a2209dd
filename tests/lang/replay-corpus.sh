#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Replays every graph file of the tree and every fuzz crasher
# (tests/fuzz/crashers/graph-*) through the fuzz target's entry point.
set -u
srcdir=${abs_top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
builddir=${abs_top_builddir:-$srcdir/build}
files=$(find "$srcdir/tests/graphs" "$srcdir/graphs" -name '*.weft' | sort)
crashers=$(find "$srcdir/tests/fuzz/crashers" -name 'graph-*' 2>/dev/null | sort)
# shellcheck disable=SC2086
exec "$builddir/tests/fuzz/replay-graph" $files $crashers
