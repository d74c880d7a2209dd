#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# run.sh: the en-commands acoustic-model recipe, stage by stage.
#
#   models/en-commands/recipe/run.sh --config full            # everything
#   models/en-commands/recipe/run.sh --config tiny --work /tmp/t
#   models/en-commands/recipe/run.sh --config full --stage train --minutes 60
#
# Stages, in order: data (speech synthesis, augmentation, manifests, LMs),
# features (Weft's fbank node), train (PyTorch, CTC), for full then data2,
# features2 and train2 (phase 2: more voices, warm start), export (model
# directory), and for tiny also decode (Weft: fbank -> asr.acoustic ->
# ctc.greedy over the test WAVs). Each stage leaves a stamp in the work
# directory and is skipped when it is there, so a rerun continues where the
# last one stopped; --force redoes the named stage. --stage S runs only S.
#
# Options:
#   --config tiny|full   sizes and model (recipe/configs.py); default full
#   --work DIR           work directory (default models/en-commands/work for
#                        full, models/en-commands/work/tiny for tiny)
#   --out DIR            model directory (default models/en-commands/model
#                        for full, WORK/model for tiny)
#   --weft PATH          the weft binary (default build/core/cli/weft; its
#                        plugins are taken from ../../plugins/.libs beside
#                        it unless WEFT_PLUGIN_PATH is set)
#   --minutes M          training budget (default: the config's)
#   --python PATH        default /usr/bin/python3 (Debian's torch)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../../.." && pwd)
CONFIG=full WORK= OUT= WEFT= MINUTES= STAGE= FORCE=0
PY=${PYTHON:-/usr/bin/python3}
while [ $# -gt 0 ]; do
    case $1 in
        --config) CONFIG=$2; shift 2 ;;
        --work) WORK=$2; shift 2 ;;
        --out) OUT=$2; shift 2 ;;
        --weft) WEFT=$2; shift 2 ;;
        --minutes) MINUTES=$2; shift 2 ;;
        --stage) STAGE=$2; shift 2 ;;
        --python) PY=$2; shift 2 ;;
        --force) FORCE=1; shift ;;
        -h|--help) sed -n '3,30p' "$0"; exit 0 ;;
        *) echo "run.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
case $CONFIG in
    full) WORK=${WORK:-$TOP/models/en-commands/work}
          OUT=${OUT:-$TOP/models/en-commands/model}
          LOG=$TOP/models/en-commands/TRAINING.log ;;
    tiny) WORK=${WORK:-$TOP/models/en-commands/work/tiny}
          OUT=${OUT:-$WORK/model}
          LOG=$WORK/train.log ;;
    *) echo "run.sh: --config is tiny or full" >&2; exit 2 ;;
esac
WEFT=${WEFT:-$TOP/build/core/cli/weft}
PLUGINS=$(cd "$(dirname "$WEFT")/../.." && pwd)/plugins/.libs
export WEFT_PLUGIN_PATH=${WEFT_PLUGIN_PATH:-$PLUGINS}
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)

want() {  # want STAGE STAMP: run the stage?
    if [ -n "$STAGE" ] && [ "$STAGE" != "$1" ]; then return 1; fi
    if [ "$FORCE" = 1 ] || [ ! -e "$2" ]; then return 0; fi
    echo "run.sh: $1 already done ($2)"
    return 1
}
t0=$(date +%s)
say() { echo "run.sh: [$(( $(date +%s) - t0 )) s] $*"; }

if want data "$WORK/data.done"; then
    say "data ($CONFIG) -> $WORK"
    "$PY" "$HERE/gen.py" --config "$CONFIG" --work "$WORK"
fi
if want features "$WORK/features.done"; then
    say "features with $WEFT"
    "$PY" "$HERE/features.py" --work "$WORK" --weft "$WEFT"
    touch "$WORK/features.done"
fi
if want train "$WORK/train.done"; then
    say "train ($CONFIG)"
    "$PY" "$HERE/train.py" --config "$CONFIG" --work "$WORK" --log "$LOG" \
        --resume ${MINUTES:+--minutes "$MINUTES"}
fi
# Phase 2 (full only): more flite and festival voices at varied pitch,
# warm-started from phase 1's best checkpoint (configs.py "phase2").
CKPT=best
[ "$CONFIG" = tiny ] && CKPT=last
if [ "$CONFIG" = full ]; then
    CKPT=p2-best
    if want data2 "$WORK/data2.done"; then
        say "data, phase 2 -> $WORK"
        "$PY" "$HERE/gen.py" --config "$CONFIG" --work "$WORK" --phase 2
    fi
    if want features2 "$WORK/features2.done"; then
        say "features, phase 2, with $WEFT"
        "$PY" "$HERE/features.py" --work "$WORK" --weft "$WEFT"
        touch "$WORK/features2.done"
    fi
    if want train2 "$WORK/train2.done"; then
        say "train, phase 2"
        "$PY" "$HERE/train.py" --config "$CONFIG" --work "$WORK" --log "$LOG" \
            --phase 2 --resume
    fi
fi
if want export "$WORK/export.done"; then
    say "export -> $OUT"
    "$PY" "$HERE/export.py" --work "$WORK" --out "$OUT" --log "$LOG" \
        --ckpt "$CKPT"
    touch "$WORK/export.done"
fi
if [ "$CONFIG" = tiny ] && { [ -z "$STAGE" ] || [ "$STAGE" = decode ]; }; then
    say "decode the test WAVs with Weft"
    cat > "$WORK/decode.weft" <<EOG
weft 1
node src  = audio.dir    { path = "$WORK/test/wav", rate = 16000 }
node feat = fbank        { preset = "kaldi", num_mel_bins = 40, dither = 0 }
node am   = asr.acoustic { model = "$OUT" }
node dec  = ctc.greedy   { tokens = "$OUT/tokens.txt" }
node out  = text.file    { path = "$WORK/decode.txt" }
src -> feat -> am -> dec -> out
EOG
    "$WEFT" run "$WORK/decode.weft"
    n=$(wc -l < "$WORK/decode.txt")
    say "decoded $n test files into $WORK/decode.txt"
fi
say "done"
