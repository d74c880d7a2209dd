# SPDX-License-Identifier: LGPL-2.1-or-later
"""The recipe's configurations: data sizes, model and training budget."""

FEATURES = {
    "type": "fbank",
    "dim": 40,
    "rate": 16000,
    "frame_shift_ms": 10,
    "options": {"preset": "kaldi", "num_mel_bins": 40, "dither": 0},
}

CONFIGS = {
    # The shipped model (models/en-commands/model/).
    "full": {
        "commands": 16000, "general": 14000, "dev": 200, "test": 400,
        "shard": 2000, "lm_all_general": True,
        "model": {"channels": 256, "blocks": 6, "kernel": 9, "stride": 3,
                  "rnn": 256},
        "minutes": 72, "batch_seconds": 110.0, "lr": 2e-3,
        "eval_every": 500, "ckpt_every": 250,
        # A second phase, warm-started from phase 1's best checkpoint: more
        # flite and festival speech at varied pitch (the held-out flite
        # voice was phase 1's weak spot: 31% WER against 2% for the
        # held-out espeak-ng voices), mixed with phase 1's data, with the
        # new utterances seen `repeat` times per epoch. The two phases'
        # budgets add up to under the 2-hour limit (68.1 + 50 minutes).
        "phase2": {"utterances": 5000, "commands": 0.6, "seed": 7000000,
                   "repeat": 2, "minutes": 50, "lr": 1e-3},
    },
    # The whole pipeline in under three minutes: a few dozen utterances and
    # a small model, overfitted.
    "tiny": {
        "commands": 24, "general": 8, "dev": 4, "test": 4,
        "shard": 2000,
        "model": {"channels": 96, "blocks": 2, "kernel": 5, "stride": 3,
                  "rnn": 96},
        "minutes": 2.0, "steps": 300, "batch_seconds": 30.0, "lr": 4e-3,
        "eval_every": 150, "ckpt_every": 50,
    },
}
