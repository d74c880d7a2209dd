#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# graphs/features.weft end to end: `weft run` on a WAV made here (speech-like
# tones and noise, f32 at 16 kHz so decoding is exact) writes a .npy
# identical, byte for byte, to the mfcc node's output for the same samples
# through the node harness (tests/mfcc/test-mfcc --features).
set -eu
top=${abs_top_builddir:?} src=${abs_top_srcdir:?}
T=$(mktemp -d "${TMPDIR:-/tmp}/weft-features-XXXXXX")
trap 'rm -rf "$T"' EXIT
ffmpeg -nostdin -v error -y -f lavfi -i "sine=frequency=220:sample_rate=16000:duration=2.37" \
    -f lavfi -i "anoisesrc=r=16000:a=0.05:d=2.37:seed=7" -filter_complex amix=inputs=2 \
    -ac 1 -ar 16000 -c:a pcm_f32le "$T/in.wav"
ffmpeg -nostdin -v error -y -i "$T/in.wav" -f f32le -c:a pcm_f32le "$T/in.f32"
"$top/core/cli/weft" run "$src/graphs/features.weft" audio="$T/in.wav" out="$T/ours.npy"
"$top/tests/mfcc/test-mfcc" --features kaldi "$T/in.f32" "$T/ref.npy"
cmp "$T/ours.npy" "$T/ref.npy"
rows=$(( ($(wc -c < "$T/ours.npy") - 128) / 52 ))
echo "features.weft: $rows rows of 13, identical to the node's output"
