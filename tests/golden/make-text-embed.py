#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Golden sentence embeddings of all-MiniLM-L6-v2 from sentence-transformers.

Writes OUT_DIR/sentences.txt (one sentence per line, >= 200 varied ones:
commands, questions, long and short, punctuation, accents, CJK, emoji,
numbers, an empty line, a text longer than the model's 256 tokens) and
OUT_DIR/embeddings.npy (float32 [N, 384], mean pooling + L2 norm, the
model's own modules.json pipeline with max_seq_length 256).

The reference is sentence-transformers 2.2.2 with transformers 4.30.2 on
Debian's python3-torch 1.13 (CPU), run under /usr/bin/python3 in a venv with
--system-site-packages (see scripts/requirements-dev.txt).

Usage: make-text-embed.py MODEL_DIR OUT_DIR
"""
import random
import sys

import numpy as np
import torch
from sentence_transformers import SentenceTransformer

model_dir, out_dir = sys.argv[1], sys.argv[2]
torch.set_num_threads(1)
rng = random.Random(7)

BASE = [
    "", "Hello!", "Turn on the lights in the kitchen.",
    "Set a timer for ten minutes.", "What's the weather like tomorrow?",
    "Remind me to call mom at 6 pm.", "Add milk and eggs to my shopping list.",
    "Play some relaxing jazz music.", "How far is the moon from the earth?",
    "Cancel that.", "yes", "no", "help", "Stop the alarm!",
    "A man is eating food.", "A man is eating a piece of bread.",
    "The girl is carrying a baby.", "A man is riding a horse.",
    "A woman is playing violin.", "Two men pushed carts through the woods.",
    "A man is riding a white horse on an enclosed ground.",
    "A monkey is playing drums.", "A cheetah is running behind its prey.",
    "The new movie is awesome.", "The cat sits outside.",
    "I love pasta.", "Do you like pizza?", "The new movie is so great!",
    "Python is a programming language.", "Weft is a dataflow framework in C.",
    "naïve café résumé jalapeño", "İstanbul is in Türkiye.",
    "Straße und Größe", "日本語の文章です。", "我爱北京天安门。",
    "한국어 문장입니다.", "Привет, как дела?", "emoji 😀🥺👍 everywhere",
    "!!!???...", "1,000,000 dollars and 3.14159 cents",
    "e-mail me at user@example.org or visit http://example.com",
    "THIS IS ALL CAPS", "tab\tseparated\ttext", "   leading and trailing   ",
    "supercalifragilisticexpialidocious antidisestablishmentarianism",
]
SUBJ = ["the dog", "my neighbour", "a scientist", "the committee", "our team",
        "the old man", "a child", "the robot", "the teacher", "my sister"]
VERB = ["found", "wrote", "painted", "ignored", "repaired", "described",
        "celebrated", "questioned", "sold", "discovered"]
OBJ = ["a strange letter", "the broken bicycle", "an ancient map",
       "the red door", "a quiet song", "the final report", "a blue whale",
       "the kitchen lights", "a new algorithm", "the mountain trail"]
ADV = ["yesterday", "quickly", "in the morning", "without a word",
       "after the storm", "with great care", "for no reason", "again"]

sents = list(BASE)
while len(sents) < 230:
    s = "%s %s %s %s." % (rng.choice(SUBJ), rng.choice(VERB), rng.choice(OBJ),
                          rng.choice(ADV))
    if rng.random() < 0.3:
        s += " " + s.capitalize()
    sents.append(s[0].upper() + s[1:])
# Longer than 256 tokens: truncated by both.
sents.append(" ".join(rng.choice(OBJ) for _ in range(120)))
sents.append("word " * 300)

model = SentenceTransformer(model_dir, device="cpu")
assert model.max_seq_length == 256, model.max_seq_length
emb = model.encode(sents, batch_size=32, convert_to_numpy=True,
                   normalize_embeddings=False)
# The model's own modules.json ends with Normalize: check it did.
assert np.allclose(np.linalg.norm(emb, axis=1), 1.0, atol=1e-5)
with open(out_dir + "/sentences.txt", "w", encoding="utf-8", newline="") as f:
    f.write("\n".join(s.replace("\n", " ") for s in sents) + "\n")
np.save(out_dir + "/embeddings.npy", emb.astype(np.float32))
print("%d sentences, dim %d" % emb.shape, file=sys.stderr)
