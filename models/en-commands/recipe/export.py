#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Stage `export`: a checkpoint to a model directory (doc/acoustic-model.md).

    /usr/bin/python3 export.py --work ../work --out ../model [--ckpt best]

Writes OUT/config.json, OUT/model.safetensors (F32, written here without
the safetensors module) and OUT/tokens.txt, and copies the decoder's files
beside them: lexicon.txt, commands.arpa, general.arpa, commands.grammar.
From the copied commands.arpa it writes commands.words, the LM's own words
(its unigrams less <s>, </s> and <unk>, sorted, one a line): the lexicon
ctc.beam takes with that LM (graphs/transcribe.weft's commands mode,
evaluate.py, bench/asr), so the search spells no word the LM only knows as
<unk>. Then reloads the directory, checks it reproduces the checkpoint's
output, and prints the greedy CER/WER on the held-out test sets (PyTorch).

    /usr/bin/python3 export.py --out ../model --words-only

rewrites commands.words alone from OUT/commands.arpa (no checkpoint, no
PyTorch needed).
"""
import argparse
import json
import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from configs import FEATURES  # noqa: E402

TEXT_FILES = ["lexicon.txt", "commands.arpa", "general.arpa",
              "commands.grammar"]
# The commands LM and the word list written from it.
COMMANDS_LM, COMMANDS_WORDS = "commands.arpa", "commands.words"


def arpa_words(path):
    """The words of an ARPA LM's unigrams, less <s>, </s> and <unk>,
    sorted."""
    words, on = [], False
    with open(path) as f:
        for line in f:
            s = line.strip()
            if s == "\\1-grams:":
                on = True
                continue
            if on and s.startswith("\\"):
                break
            if on and s:
                words.append(s.split()[1])
    return sorted(set(words) - {"<s>", "</s>", "<unk>"})


def write_lm_words(arpa, path):
    """Write @arpa's words, one a line, to @path (atomically: the shipped
    file is read by running graphs)."""
    with open(path + ".tmp", "w") as f:
        f.write("\n".join(arpa_words(arpa)) + "\n")
    os.replace(path + ".tmp", path)
    return path


def export(st, out, text_dir):
    import model as M
    net = M.LayerNet(st["layers"])
    net.load_state_dict(st["model"])
    net.eval()
    os.makedirs(out, exist_ok=True)
    cfg = {
        "format": "weft-acoustic",
        "version": 1,
        "features": FEATURES,
        "tokens": "tokens.txt",
        "blank": 0,
        "delimiter": "|",
        "output": "log_softmax",
        "layers": st["layers"],
    }
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
        f.write("\n")
    with open(os.path.join(out, "tokens.txt"), "w") as f:
        f.write("\n".join(M.TOKENS) + "\n")
    M.save_safetensors(os.path.join(out, "model.safetensors"),
                       net.named_tensors())
    for name in TEXT_FILES:
        p = os.path.join(text_dir, name)
        if os.path.exists(p):
            shutil.copyfile(p, os.path.join(out, name))
    lm = os.path.join(out, COMMANDS_LM)
    if os.path.exists(lm):
        write_lm_words(lm, os.path.join(out, COMMANDS_WORDS))
    return net


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--work")
    ap.add_argument("--out", required=True)
    ap.add_argument("--words-only", action="store_true",
                    help="only (re)write OUT/%s from OUT/%s" % (
                        COMMANDS_WORDS, COMMANDS_LM))
    ap.add_argument("--ckpt", default="best", help="best or last")
    ap.add_argument("--log", help="append the test results here too")
    ap.add_argument("--no-eval", action="store_true")
    a = ap.parse_args()
    if a.words_only:
        p = write_lm_words(os.path.join(a.out, COMMANDS_LM),
                           os.path.join(a.out, COMMANDS_WORDS))
        print("export: %s (%d words)" % (p, sum(1 for _ in open(p))))
        return
    if not a.work:
        ap.error("--work is required")
    import torch
    import model as M
    torch.set_num_threads(2)
    work = os.path.abspath(a.work)
    st = torch.load(os.path.join(work, "ckpt", a.ckpt + ".pt"))
    net = export(st, a.out, os.path.join(work, "text"))
    # The directory must give what the checkpoint gives.
    net2, _ = M.load_model_dir(a.out)
    x = torch.randn(2, 123, FEATURES["dim"]) * 3 - 5
    with torch.no_grad():
        d = (net(x) - net2(x)).abs().max().item()
    assert d < 1e-5, d
    size = os.path.getsize(os.path.join(a.out, "model.safetensors"))
    lines = ["export: %s checkpoint (step %d) -> %s, %.2f MB weights" % (
        a.ckpt, st["step"], a.out, size / 1e6)]
    if not a.no_eval:
        from features import load
        from train import evaluate
        stride = net.stride()
        for name in ("commands", "general"):
            rows, feats = load(work, os.path.join(work, "test",
                                                  name + ".tsv"))
            texts = {r[0]: r[4] for r in rows}
            (cer, wer), _ = evaluate(net, feats, [r[0] for r in rows],
                                     texts, stride)
            lines.append("test %s (%d utterances, held-out voices): greedy "
                         "CER %.2f%% WER %.2f%%" % (name, len(rows), cer,
                                                   wer))
    for ln in lines:
        print(ln)
    if a.log:
        with open(a.log, "a") as f:
            f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
