#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Regenerate the bundled samples: a few short command phrases and one
general sentence, spoken only by the recipe's held-out voices (espeak-ng
variants f4 and m5, flite's rms), with the recipe's own synthesis function
and the same treatment as its test set (0.1 s of silence each side, peak
0.9, no augmentation). The texts come from the recipe's test split, so no
sample text is a training sentence either.

    /usr/bin/python3 models/en-commands/samples/make-samples.py

Writes NAME.wav (16 kHz mono 16-bit) and samples.tsv (file, voice, kind,
text) beside this script.
"""
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "recipe"))
import gen  # noqa: E402

# name, engine, voice, speed (wpm), pitch, kind, text
SAMPLES = [
    ("alarm", "espeak", "en-us+f4", 175, 50, "command",
     "set an alarm for ten o'clock"),
    ("dog-food", "espeak", "en-gb+m5", 175, 45, "command",
     "take dog food from the grocery list"),
    ("remind", "espeak", "en-gb-x-rp+f4", 175, 55, "command",
     "remind me to check the car friday"),
    ("tv-on", "flite", "rms", 180, 0, "command",
     "turn on the kitchen television"),
    ("shopping", "flite", "rms", 180, 0, "general",
     "when the going gets tough the tough go shopping"),
]


def main():
    held = set(gen.HELD_OUT_FLITE)
    with open(os.path.join(HERE, "samples.tsv"), "w") as tsv:
        tsv.write("file\tvoice\tkind\ttext\n")
        for name, engine, voice, speed, pitch, kind, text in SAMPLES:
            var = voice.split("+")[-1] if "+" in voice else ""
            assert (voice in held if engine == "flite"
                    else var in gen.HELD_OUT_ESPEAK_VARIANTS), voice
            x = gen.synth(engine, voice, text, speed, pitch)
            pad = np.zeros(int(0.1 * gen.RATE), np.float32)
            x = np.concatenate([pad, x, pad])
            x = x * min(1.0, 0.9 / (np.max(np.abs(x)) + 1e-9))
            gen.write_wav(os.path.join(HERE, name + ".wav"), x)
            tsv.write("%s.wav\t%s %s\t%s\t%s\n" % (
                name, "espeak-ng" if engine == "espeak" else "flite", voice,
                kind, text))
            print("%s.wav: %.2f s, %s: %s" % (name, len(x) / gen.RATE,
                                              voice, text))


if __name__ == "__main__":
    main()
