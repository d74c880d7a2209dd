#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""bench/ctc: Weft's CTC beam search vs pyctcdecode and flashlight-text.

    .venv/bin/python bench/ctc/run.py --build build [--utts 2000] [--beam 16]

Generates a corpus of noisy CTC log-probabilities for command sentences
(the generator of tests/golden/make-ctc-golden.py), then decodes the same
logits with the same ARPA LM (tests/golden/ctc/commands.arpa), the same
lexicon and the same beam width, single-threaded, in one invocation:

  weft          bench-ctc (plugins/ctc's decoder), median of --repeat runs
  pyctcdecode   build_ctcdecoder(..., kenlm ARPA, unigrams = lexicon)
  flashlight    flashlight-text's LexiconDecoder with its KenLM (what
                torchaudio's ctc_decoder wraps), when installed

and prints utterances per second, Weft's speed ratio to each, and each
decoder's WER against the sentences. Needs scripts/requirements-dev.txt.
"""
import argparse
import importlib.util
import math
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
GOLD = os.path.join(TOP, "tests", "golden", "ctc")


def load_generator():
    path = os.path.join(TOP, "tests", "golden", "make-ctc-golden.py")
    spec = importlib.util.spec_from_file_location("make_ctc_golden", path)
    mod = importlib.util.module_from_spec(spec)
    sys.path.insert(0, os.path.dirname(path))
    spec.loader.exec_module(mod)
    return mod


def wer(refs, hyps):
    err = words = 0
    for r, h in zip(refs, hyps):
        r, h = r.split(), h.split()
        d = list(range(len(h) + 1))
        for i in range(1, len(r) + 1):
            prev, d[0] = d[0], i
            for j in range(1, len(h) + 1):
                cur = min(d[j] + 1, d[j - 1] + 1, prev + (r[i - 1] != h[j - 1]))
                prev, d[j] = d[j], cur
        err += d[len(h)]
        words += len(r)
    return 100.0 * err / max(words, 1)


def median_rate(fn, n, repeat):
    rates = []
    out = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        rates.append(n / (time.perf_counter() - t0))
    rates.sort()
    return rates[len(rates) // 2], rates[0], rates[-1], out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--utts", type=int, default=2000)
    ap.add_argument("--beam", type=int, default=16)
    ap.add_argument("--alpha", type=float, default=0.5)
    ap.add_argument("--beta", type=float, default=1.0)
    ap.add_argument("--noise", type=float, default=1.5)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--peer-repeat", type=int, default=1)
    a = ap.parse_args()

    gen = load_generator()
    rng = np.random.default_rng(1)
    sents = gen.corpus()
    pick = np.random.default_rng(2)
    refs = [sents[int(pick.integers(len(sents)))] for _ in range(a.utts)]
    logits = [gen.peaked_logits(rng, s, noise=a.noise) for s in refs]
    tokens = gen.TOKENS
    arpa = os.path.join(GOLD, "commands.arpa")
    lexicon = os.path.join(GOLD, "lexicon.txt")
    words = sorted({w for s in sents for w in s.split()})
    frames = sum(len(x) for x in logits)
    print("corpus: %d utterances, %d frames (%.1f s at 50 frames/s), V=%d, "
          "beam %d, alpha %g, beta %g, noise %g" %
          (a.utts, frames, frames / 50, len(tokens), a.beam, a.alpha, a.beta,
           a.noise))

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        np.save(os.path.join(tmp, "all.npy"), np.concatenate(logits))
        with open(os.path.join(tmp, "len.txt"), "w") as f:
            f.write("\n".join(str(len(x)) for x in logits) + "\n")
        exe = os.path.join(os.path.abspath(a.build), "bench", "ctc",
                           "bench-ctc")
        cmd = [exe, "--logits", os.path.join(tmp, "all.npy"), "--lengths",
               os.path.join(tmp, "len.txt"), "--tokens",
               os.path.join(GOLD, "tokens.txt"), "--lexicon", lexicon,
               "--lm", arpa, "--beam", str(a.beam), "--alpha", str(a.alpha),
               "--beta", str(a.beta), "--threshold", "25",
               "--token-min-logp", "-10", "--repeat", str(a.repeat),
               "--out", os.path.join(tmp, "hyp.txt")]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True)
        print(out.stdout.strip())
        rate = float(out.stdout.split()[3])
        with open(os.path.join(tmp, "hyp.txt")) as f:
            hyps = [l.rstrip("\n") for l in f]
        rows.append(("weft ctc.beam", rate, wer(refs, hyps)))
        g = subprocess.run(cmd[:-2] + ["--greedy", "--out",
                                       os.path.join(tmp, "greedy.txt")],
                           check=True, capture_output=True, text=True)
        grate = float(g.stdout.split()[3])
        with open(os.path.join(tmp, "greedy.txt")) as f:
            gwer = wer(refs, [l.rstrip("\n") for l in f])

    # pyctcdecode: labels "" for blank, " " for the delimiter.
    from pyctcdecode import build_ctcdecoder

    labels = [""] + [" "] + tokens[2:]
    dec = build_ctcdecoder(labels, kenlm_model_path=arpa, unigrams=words,
                           alpha=a.alpha, beta=a.beta)
    rate, lo, hi, hyps = median_rate(
        lambda: [dec.decode(x, beam_width=a.beam, beam_prune_logp=-25,
                            token_min_logp=-10) for x in logits],
        a.utts, a.peer_repeat)
    rows.append(("pyctcdecode 0.5.0", rate,
                 wer(refs, hyps)))

    try:
        from flashlight.lib.text.decoder import (
            CriterionType, KenLM, LexiconDecoder, LexiconDecoderOptions,
            SmearingMode, Trie)
        from flashlight.lib.text.dictionary import Dictionary, create_word_dict
    except ImportError:
        print("flashlight-text not installed: skipped")
    else:
        tdict = Dictionary()
        for t in tokens:
            tdict.add_entry(t)
        lex = {w: [list(w) + ["|"]] for w in words}
        wdict = create_word_dict(dict(lex, **{"<unk>": []}))
        lm = KenLM(arpa, wdict)
        sil = tdict.get_index("|")
        trie = Trie(len(tokens), sil)
        start = lm.start(False)
        for w, spellings in lex.items():
            wi = wdict.get_index(w)
            _, sc = lm.score(start, wi)
            for sp in spellings:
                trie.insert([tdict.get_index(t) for t in sp], wi, sc)
        trie.smear(SmearingMode.MAX)
        # flashlight's KenLM scores are log10: lm_weight = alpha * ln 10
        # makes its LM term the same as Weft's alpha * ln p.
        opts = LexiconDecoderOptions(
            beam_size=a.beam, beam_size_token=len(tokens),
            beam_threshold=25.0, lm_weight=a.alpha * math.log(10),
            word_score=a.beta, unk_score=-math.inf, sil_score=0.0,
            log_add=False, criterion_type=CriterionType.CTC)
        fl = LexiconDecoder(opts, trie, lm, sil, 0, wdict.get_index("<unk>"),
                            [], False)

        def fl_decode():
            out = []
            for x in logits:
                x = np.ascontiguousarray(x, dtype=np.float32)
                r = fl.decode(x.ctypes.data, x.shape[0], x.shape[1])[0]
                out.append(" ".join(wdict.get_entry(w) for w in r.words
                                    if w >= 0))
            return out

        rate, lo, hi, hyps = median_rate(fl_decode, a.utts, a.repeat)
        rows.append(("flashlight-text LexiconDecoder", rate, wer(refs, hyps)))

    base = rows[0][1]
    print("\n%-32s %12s %10s %8s" % ("decoder", "utt/s", "weft x", "WER %"))
    for name, rate, w in rows:
        print("%-32s %12.1f %10.2f %8.2f" % (name, rate, base / rate, w))
    print("%-32s %12.1f %10s %8.2f" % ("(weft greedy, no LM)", grate, "",
                                        gwer))


if __name__ == "__main__":
    main()
