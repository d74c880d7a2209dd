#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# End to end: graphs/embed.weft writes one embedding row per line of the
# golden sentences ([232, 384] float32, equal to what test-text checks
# against sentence-transformers), and graphs/similar.weft maps a weather
# question to the weather intent. Needs models/all-minilm-l6-v2 (fetched by
# ./quickstart); its absence is a failure, not a skip.
set -eu
top=${abs_top_builddir:?} src=${abs_top_srcdir:?}
model=${WEFT_TEST_MODELS:-$src/models}/all-minilm-l6-v2
[ -s "$model/model.safetensors" ] || {
    echo "embed-graph.sh: run models/all-minilm-l6-v2/fetch first" >&2; exit 1; }
T=$(mktemp -d "${TMPDIR:-/tmp}/weft-embed-XXXXXX")
trap 'rm -rf "$T"' EXIT
"$top/core/cli/weft" run "$src/graphs/embed.weft" model="$model" out="$T/e.npy" 2>"$T/err"
head -c 128 "$T/e.npy" | grep -q "'shape': (232, 384)" || {
    echo "embed.weft: unexpected header:"; head -c 128 "$T/e.npy"; exit 1; }
[ "$(wc -c < "$T/e.npy")" -eq $((128 + 232 * 384 * 4)) ]
"$top/core/cli/weft" run "$src/graphs/similar.weft" model="$model" k=1 > "$T/sim.txt"
head -n 1 "$T/sim.txt" | grep -q "	what is the weather$"
echo "embed.weft: 232 x 384 embeddings; similar.weft: $(head -n 1 "$T/sim.txt")"
