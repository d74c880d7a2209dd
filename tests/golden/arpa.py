# SPDX-License-Identifier: LGPL-2.1-or-later
"""A small ARPA n-gram writer shared by tests/golden/make-ctc-golden.py and
the acoustic-model recipe (models/en-commands/recipe/)."""
import math


def train_arpa(sentences, order=3, D=0.7):
    """Interpolated absolute discounting, stored as a backoff model:
    p(w|h) = max(c(h,w) - D, 0) / c(h) + gamma(h) p(w|h'), gamma(h) = D
    N1+(h .) / c(h); ARPA holds p for seen (h, w) and log10 gamma(h) as h's
    backoff, which normalises exactly."""
    counts = [dict() for _ in range(order + 1)]
    for s in sentences:
        w = ["<s>"] + s.split() + ["</s>"]
        for n in range(1, order + 1):
            for i in range(len(w) - n + 1):
                g = tuple(w[i:i + n])
                if n == 1 and g == ("<s>",):
                    continue
                counts[n][g] = counts[n].get(g, 0) + 1
    vocab = sorted({g[0] for g in counts[1]} | {"<unk>"})
    total = sum(counts[1].values())
    n1 = len(counts[1])
    prob = [dict() for _ in range(order + 1)]
    # Unigrams: discounted, the mass spread uniformly (gives <unk> some).
    for w in vocab:
        c = counts[1].get((w,), 0)
        prob[1][(w,)] = max(c - D, 0) / total + D * n1 / total / len(vocab)
    ctx_count = [dict() for _ in range(order + 1)]
    ctx_types = [dict() for _ in range(order + 1)]
    for n in range(2, order + 1):
        for g, c in counts[n].items():
            h = g[:-1]
            ctx_count[n][h] = ctx_count[n].get(h, 0) + c
            ctx_types[n][h] = ctx_types[n].get(h, 0) + 1

    def p(g):
        n = len(g)
        if n == 1:
            return prob[1][g if g in prob[1] else ("<unk>",)]
        h = g[:-1]
        if h not in ctx_count[n]:
            return p(g[1:])
        gamma = D * ctx_types[n][h] / ctx_count[n][h]
        return max(counts[n].get(g, 0) - D, 0) / ctx_count[n][h] + \
            gamma * p(g[1:])

    for n in range(2, order + 1):
        for g in counts[n]:
            prob[n][g] = p(g)
    backoff = [dict() for _ in range(order + 1)]
    for n in range(1, order):
        for h in ctx_count[n + 1]:
            backoff[n][h] = D * ctx_types[n + 1][h] / ctx_count[n + 1][h]
    lines = ["\\data\\"]
    grams = []
    for n in range(1, order + 1):
        keys = sorted(prob[n])
        if n == 1:
            keys = sorted(set(keys) | {("<s>",)})
        grams.append(keys)
        lines.append("ngram %d=%d" % (n, len(keys)))
    for n in range(1, order + 1):
        lines += ["", "\\%d-grams:" % n]
        for g in grams[n - 1]:
            lp = -99.0 if g == ("<s>",) else math.log10(prob[n][g])
            line = "%.6f\t%s" % (lp, " ".join(g))
            if n < order and g in backoff[n]:
                line += "\t%.6f" % math.log10(backoff[n][g])
            lines.append(line)
    lines += ["", "\\end\\", ""]
    return "\n".join(lines)
