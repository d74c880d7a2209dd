#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The encoder picks AVX-512, AVX2+FMA or portable code at load; test-text
# covers the path this CPU takes. Rerun it on each lower path the CPU can
# run, so every variant is held to the same parity with sentence-transformers.
set -eu
top=${abs_top_builddir:?}
for isa in avx2 generic; do
    if [ "$isa" = avx2 ] && ! grep -q ' avx2 ' /proc/cpuinfo; then
        continue
    fi
    echo "test-text with WEFT_TEXT_ISA=$isa"
    WEFT_TEXT_ISA=$isa "$top/tests/text/test-text"
done
