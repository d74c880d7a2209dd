#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The en-commands acoustic-model recipe end to end, in its tiny
# configuration, into a temporary directory: synthesise a few dozen
# utterances (espeak-ng, flite), compute their features with Weft's fbank
# node, train a small CTC model with PyTorch, export it as a model directory
# (doc/acoustic-model.md), then load it in Weft with asr.acoustic and decode
# the held-out test WAVs with ctc.greedy. Checks that every test file gave a
# line and that the model spoke (some line holds a letter). Skips (77)
# without espeak-ng, flite or Debian's python3-torch (./quickstart installs
# them).
set -eu
top=${abs_top_builddir:?} src=${abs_top_srcdir:?}
PY=/usr/bin/python3
for tool in espeak-ng flite; do
    command -v "$tool" >/dev/null 2>&1 || {
        echo "recipe-tiny.sh: $tool is missing; skipped"; exit 77; }
done
"$PY" -c "import torch, scipy, numpy" 2>/dev/null || {
    echo "recipe-tiny.sh: $PY with torch, scipy and numpy is missing; skipped"
    exit 77; }
T=$(mktemp -d "${TMPDIR:-/tmp}/weft-recipe-XXXXXX")
trap 'rm -rf "$T"' EXIT
start=$(date +%s)
"$src/models/en-commands/recipe/run.sh" --config tiny --work "$T/work" \
    --weft "$top/core/cli/weft" > "$T/log" 2>&1 || {
    cat "$T/log"; exit 1; }
secs=$(( $(date +%s) - start ))
out=$T/work/decode.txt
n=$(wc -l < "$out")
want=$(cat "$T/work/test/commands.tsv" "$T/work/test/general.tsv" | wc -l)
[ "$n" -eq "$want" ] || {
    cat "$T/log"; echo "recipe-tiny.sh: $n decoded lines, want $want"
    exit 1; }
grep -q '[a-z]' "$out" || {
    cat "$T/log" "$out"; echo "recipe-tiny.sh: the model decoded no text"
    exit 1; }
[ -s "$T/work/model/model.safetensors" ] && [ -s "$T/work/model/config.json" ]
echo "recipe-tiny.sh: tiny recipe in $secs s; decoded:"
cat "$out"
