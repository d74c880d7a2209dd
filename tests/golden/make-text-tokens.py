#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Generate the tokenizer parity corpus and its golden token ids.

Writes tests/golden/text/corpus.txt (one sentence per line, LF only; lines
may hold CR, tabs and other control characters) and corpus.ids (the ids the
reference gives for each line, space separated, untruncated, with [CLS] and
[SEP]). The reference is the PyPI `tokenizers` package (pinned in
scripts/requirements-dev.txt) loading the model's own tokenizer.json with
its truncation turned off.

Usage: make-text-tokens.py MODEL_DIR OUT_DIR
"""
import random
import sys

from tokenizers import Tokenizer

model_dir, out_dir = sys.argv[1], sys.argv[2]
tok = Tokenizer.from_file(model_dir + "/tokenizer.json")
tok.no_truncation()
tok.no_padding()
rng = random.Random(20240609)

WORDS = ("the quick brown fox jumps over lazy dog a an of to in is was for on "
         "with as by at from that this it he she they we you i be are were "
         "have has had not but or and if then than so very much many more "
         "most some any each every other another such what which who whom "
         "whose where when why how all both few own same just also now only "
         "timer alarm minutes seconds hours lights kitchen bedroom volume "
         "weather tomorrow today calendar meeting remind shopping list milk "
         "unbelievable antidisestablishmentarianism tokenization embeddings "
         "transformer neural network hugging face sentence similarity "
         "pneumonoultramicroscopicsilicovolcanoconiosis supercalifragilistic "
         "Paris London NEW YORK McDonald's O'Brien e-mail co-operate x-ray "
         "naïve café résumé façade jalapeño über Straße Ærøskøbing Ångström "
         "İstanbul ıstakoz DİYARBAKIR Iğdır şçğüöı ĞÜŞİÖÇ Ὀδυσσεύς ΣΊΣΥΦΟΣ "
         "Москва привет ЁЛКА Київ עברית العربية हिन्दी ภาษาไทย 한국어 日本語 "
         "中文 東京 北京 カタカナ ひらがな 𠀀𠀁 ﬁ ﬂ Ⅻ ① ² ½ ㎏ ＡＢＣ ｶﾀｶﾅ").split()
EMOJI = ["😀", "🥺", "👍🏽", "👨‍👩‍👧", "🇫🇷", "❤️", "🫠", "🧑🏿‍🚀", "✨", "🤖"]
PUNCT = list("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~") + \
    ["…", "—", "–", "«", "»", "“", "”", "‘", "’", "¿", "¡", "·", "•", "‰",
     "†", "§", "¶", "、", "。", "「", "」", "【", "】", "〜", "‽", "⁂", "꙳"]
CONTROL = ["\t", "\r", "\x0b", "\x0c", "\x00", "\x01", "\x1b", "\x1f", "\x7f",
           "\x85", "\xa0", "\u00ad", "\u200b", "\u200c", "\u200d", "\u200e",
           "\u2028", "\u2029", "\u202f", "\u3000", "\ufeff", "\ufffd",
           "\ue000", "\U000e0001", "\u0301", "\u0308", "\u0327", "\u2060"]
NUMBERS = ["0", "7", "42", "3.14159", "1,000,000", "2024-06-09", "12:30",
           "-5", "+1e10", "0x1F", "100%", "$9.99", "€5", "1st", "2nd", "٣",
           "१२३", "一二三", "Ⅻ", "³", "⅞", "12345678901234567890"]

HAND = [
    "", " ", "   ", "\t", "Hello, world!", "HELLO WORLD", "hello   world",
    "Turn on the lights in the kitchen.", "Set a timer for 5 minutes.",
    "What's the weather like tomorrow in Zürich?", "I can't believe it's not butter!!!",
    "İstanbul İİİ iİi", "DİYARBAKIR ve IĞDIR", "ıııIII", "Ǆ ǅ ǆ ǈ",
    "ﬁnance ﬂight ǲ", "Ⅻ ⅻ ① ⑳ ²³", "ＡＢＣ ｱｲｳ", "Ὀδυσσεύς ΣΊΣΥΦΟΣ ς",
    "naïve café résumé", "e\u0301 a\u0308 n\u0303 c\u0327", "ä\u0308\u0308",
    "日本語のテキストです。", "我爱北京天安门", "한국어 문장입니다", "漢字かな交じり文",
    "emoji 😀🥺👍🏽 mix", "👨‍👩‍👧 family", "🇫🇷🇩🇪", "!!!???...",
    "(((nested)))", "a.b.c.d", "x--y__z", "$$$100.00", "...", "—–-",
    "\u200b\u200b", "\x00\x01\x02", "tab\tseparated\tvalues", "cr\rinside",
    "ends with space ", " starts with space", "\ufeffBOM start",
    "a" * 99, "b" * 100, "c" * 101, "supercalifragilisticexpialidocious" * 3,
    "UNAFFABLE unaffable", "don't won't shan't", "U.S.A. vs. U.K.",
    "http://example.com/path?q=1&r=2#frag", "user@example.org",
    "C++ C# F# .NET node.js", "3.14159 2.71828 1.41421", "1,000,000 people",
    "\u0130", "\u0131", "\u1e9e\u00df", "\u2126\u212b\u212a",
]


def rand_word():
    r = rng.random()
    if r < 0.70:
        return rng.choice(WORDS)
    if r < 0.76:
        return rng.choice(EMOJI)
    if r < 0.86:
        return rng.choice(PUNCT) * rng.randint(1, 4)
    if r < 0.94:
        return rng.choice(NUMBERS)
    if r < 0.97:
        return "".join(rng.choice("abcdefghijklmnopqrstuvwxyzéüß")
                       for _ in range(rng.randint(20, 140)))
    # a random code point from anywhere in the BMP or the CJK extensions
    while True:
        cp = rng.choice([rng.randint(0x20, 0x2FFF), rng.randint(0x3000, 0xFFFD),
                         rng.randint(0x10000, 0x2FFFF)])
        if not 0xD800 <= cp <= 0xDFFF:
            return chr(cp)


def rand_line(n):
    parts = []
    for _ in range(n):
        parts.append(rand_word())
        r = rng.random()
        if r < 0.80:
            parts.append(" ")
        elif r < 0.90:
            parts.append("")
        else:
            parts.append(rng.choice(CONTROL))
    s = "".join(parts)
    r = rng.random()
    if r < 0.3:
        s = s.capitalize()
    elif r < 0.4:
        s = s.upper()
    return s


lines = list(HAND)
for _ in range(40):
    lines.append("")
while len(lines) < 1950:
    lines.append(rand_line(rng.choice([1, 2, 3, 5, 8, 12, 20, 40])))
for _ in range(60):
    lines.append(rand_line(1000))
lines = [l.replace("\n", " ") for l in lines]
rng.shuffle(lines)

with open(out_dir + "/corpus.txt", "w", encoding="utf-8", newline="") as f:
    f.write("\n".join(lines) + "\n")
with open(out_dir + "/corpus.ids", "w") as f:
    for l in lines:
        f.write(" ".join(str(i) for i in tok.encode(l).ids) + "\n")
print("%d lines" % len(lines), file=sys.stderr)
