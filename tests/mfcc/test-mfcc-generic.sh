#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The mfcc suite again with the per-frame code forced to its baseline
# build (no AVX2/FMA), so both builds the dispatcher chooses from are held
# to the same parity and streaming tests.
set -eu
WEFT_MFCC_ISA=generic exec "${abs_top_builddir:?}/tests/mfcc/test-mfcc"
