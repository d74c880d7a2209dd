#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# End to end: `weft run graphs/convert.weft` turns an MP3 into a 16 kHz
# mono 16-bit WAV identical, sample for sample, to FFmpeg's own conversion.
set -eu
top=${abs_top_builddir:?} src=${abs_top_srcdir:?}
T=$(mktemp -d "${TMPDIR:-/tmp}/weft-convert-XXXXXX")
trap 'rm -rf "$T"' EXIT
ffmpeg -nostdin -v error -y -f lavfi -i "sine=frequency=440:sample_rate=44100:duration=2" \
    -f lavfi -i "anoisesrc=r=44100:a=0.1:d=2" -filter_complex amerge=inputs=2 \
    -c:a libmp3lame -b:a 128k "$T/in.mp3"
"$top/core/cli/weft" run "$src/graphs/convert.weft" infile="$T/in.mp3" outfile="$T/ours.wav"
ffmpeg -nostdin -v error -y -i "$T/in.mp3" -ar 16000 -ac 1 -fflags +bitexact \
    -flags:a +bitexact "$T/ref.wav"
cmp "$T/ours.wav" "$T/ref.wav"
echo "convert.weft: $(wc -c < "$T/ours.wav") bytes, identical to ffmpeg's conversion"
