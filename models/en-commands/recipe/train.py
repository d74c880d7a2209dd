#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Stage `train`: CTC training of the recipe's model on Weft's features.

    /usr/bin/python3 train.py --config full --work ../work [--minutes M]
        [--log ../TRAINING.log] [--resume] [--phase 2]

PyTorch on one CPU thread (--threads). Utterances are bucketed by length
into batches of about `batch_seconds` of audio; SpecAugment-style masks; AdamW with a
learning rate that warms up and then follows a cosine to zero over the
wall-clock budget (--minutes), so the run ends on time by itself. Every
`ckpt_every` steps WORK/ckpt/last.pt is replaced; every `eval_every` steps
the dev set is decoded greedily and WORK/ckpt/best.pt keeps the best dev
WER. The log (loss, learning rate, dev CER/WER) goes to --log.

--phase 2 (configs.py "phase2") starts from phase 1's WORK/ckpt/best.pt
(weights and normalisation; a fresh optimizer) and trains on train.tsv plus
train2.tsv, the latter `repeat` times per epoch, with its own budget and
peak learning rate, into WORK/ckpt/p2-last.pt and p2-best.pt. Its dev
decode at step 0 is phase 1's model, so p2-best.pt is never worse on dev.
"""
import argparse
import json
import math
import os
import random
import sys
import time

# One BLAS thread per torch thread: OpenBLAS's own threads on top of
# torch's oversubscribe two cores and made a step 20x slower here.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import model as M  # noqa: E402
from configs import CONFIGS, FEATURES  # noqa: E402
from features import load  # noqa: E402


def edit_distance(a, b):
    prev = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        cur = [i]
        for j, y in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1,
                           prev[j - 1] + (x != y)))
        prev = cur
    return prev[-1]


def error_rates(pairs):
    """(CER, WER) in percent over (reference, hypothesis) pairs."""
    ce = cn = we = wn = 0
    for ref, hyp in pairs:
        ce += edit_distance(ref, hyp)
        cn += len(ref)
        we += edit_distance(ref.split(), hyp.split())
        wn += len(ref.split())
    return 100.0 * ce / max(cn, 1), 100.0 * we / max(wn, 1)


def batches(lengths, seconds, rng):
    """Index batches of about `seconds` of audio (padded), similar lengths
    together, in random order."""
    order = sorted(range(len(lengths)),
                   key=lambda i: lengths[i] + rng.random() * 30)
    out, cur, longest = [], [], 0
    for i in order:
        longest2 = max(longest, lengths[i])
        if cur and longest2 * (len(cur) + 1) > seconds * 100:
            out.append(cur)
            cur, longest2 = [], lengths[i]
        cur.append(i)
        longest = longest2
    if cur:
        out.append(cur)
    rng.shuffle(out)
    return out


def collate(feats, ids, texts, spec_rng=None):
    T = max(len(feats[i]) for i in ids)
    x = np.zeros((len(ids), T, feats[ids[0]].shape[1]), np.float32)
    for b, i in enumerate(ids):
        x[b, :len(feats[i])] = feats[i]
    lens = torch.tensor([len(feats[i]) for i in ids])
    x = torch.from_numpy(x)
    tg = [torch.tensor(M.text_to_ids(texts[i])) for i in ids]
    return x, lens, tg


def spec_augment(x, lens, mean, rng):
    """Frequency and time masks, set to the training mean (normalised 0)."""
    B, T, C = x.shape
    for b in range(B):
        for _ in range(2):
            w = rng.randint(0, 6)
            f0 = rng.randint(0, C - w)
            x[b, :, f0:f0 + w] = mean[f0:f0 + w]
        n = int(lens[b]) // 120 + 1
        for _ in range(n):
            w = rng.randint(0, 15)
            t0 = rng.randint(0, max(int(lens[b]) - w, 1))
            x[b, t0:t0 + w, :] = mean
    return x


def out_lens(lens, stride):
    return (lens + stride - 1) // stride


def evaluate(net, feats, ids, texts, stride, bs_seconds=200):
    net.eval()
    pairs = []
    rng = random.Random(0)
    with torch.no_grad():
        for bi in batches([len(feats[i]) for i in ids], bs_seconds, rng):
            sel = [ids[k] for k in bi]
            x, lens, _ = collate(feats, sel, texts)
            y = net(x).argmax(-1)
            ol = out_lens(lens, stride)
            for b, i in enumerate(sel):
                pairs.append((texts[i], M.ids_to_text(
                    y[b, :ol[b]].tolist())))
    net.train()
    return error_rates(pairs), pairs


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--config", default="full", choices=sorted(CONFIGS))
    ap.add_argument("--work", required=True)
    ap.add_argument("--minutes", type=float)
    ap.add_argument("--log")
    ap.add_argument("--resume", action="store_true")
    # One thread: on this shared 2-core machine a step took 0.6 s with one
    # torch thread and 2.3 s with two (OpenMP barriers against other
    # processes' load); --threads 2 pays off only on an idle machine.
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--phase", type=int, default=1, choices=[1, 2])
    a = ap.parse_args()
    cfg = dict(CONFIGS[a.config])
    pre = ""
    if a.phase == 2:
        cfg.update(lr=cfg["phase2"]["lr"], minutes=cfg["phase2"]["minutes"])
        pre = "p2-"
    minutes = a.minutes if a.minutes is not None else cfg["minutes"]
    work = os.path.abspath(a.work)
    ck = os.path.join(work, "ckpt")
    os.makedirs(ck, exist_ok=True)
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    rng = random.Random(1)
    logf = open(a.log or os.path.join(work, "train.log"), "a")

    def log(msg):
        line = "%s %s" % (time.strftime("%H:%M:%S"), msg)
        print(line, flush=True)
        logf.write(line + "\n")
        logf.flush()

    t_load = time.time()
    tr_rows, tr_feats = load(work, os.path.join(work, "train.tsv"))
    dv_rows, dv_feats = load(work, os.path.join(work, "dev.tsv"))
    feats = {**tr_feats, **dv_feats}
    texts = {r[0]: r[4] for r in tr_rows + dv_rows}
    tr_ids = [r[0] for r in tr_rows]
    if a.phase == 2:
        p2_rows, p2_feats = load(work, os.path.join(work, "train2.tsv"))
        feats.update(p2_feats)
        texts.update({r[0]: r[4] for r in p2_rows})
        tr_ids += [r[0] for r in p2_rows] * cfg["phase2"]["repeat"]
    dv_ids = [r[0] for r in dv_rows]
    # Global CMVN from (a sample of) the training features.
    sample = np.concatenate([feats[i] for i in tr_ids[::max(
        1, len(tr_ids) // 3000)]])
    mean = sample.mean(0)
    std = np.maximum(sample.std(0), 1e-3)
    hours = sum(len(feats[i]) for i in tr_ids) / 360000.0
    layers = M.layer_spec(cfg["model"], FEATURES["dim"])
    net = M.LayerNet(layers)
    net.mods[0].mean.copy_(torch.from_numpy(mean))
    net.mods[0].std.copy_(torch.from_numpy(std))
    stride = net.stride()
    n_params = sum(p.numel() for p in net.parameters())
    opt = torch.optim.AdamW(net.parameters(), lr=cfg["lr"],
                            weight_decay=0.01)
    step, spent, best = 0, 0.0, None
    if a.phase == 2:
        st = torch.load(os.path.join(ck, "best.pt"))
        net.load_state_dict(st["model"])
        mean = net.mods[0].mean.numpy().copy()   # for the masks
        log("phase 2 starts from phase 1's best.pt (step %d)" % st["step"])
    if a.resume and os.path.exists(os.path.join(ck, pre + "last.pt")):
        st = torch.load(os.path.join(ck, pre + "last.pt"))
        net.load_state_dict(st["model"])
        opt.load_state_dict(st["opt"])
        step, spent, best = st["step"], st["spent"], st.get("best")
        log("resumed at step %d (%.1f min spent)" % (step, spent / 60))
    log("config %s%s: %d train utterances (%.2f h), %d dev, %d parameters, "
        "budget %.1f min, data loaded in %.0f s" % (
            a.config, " phase 2" if a.phase == 2 else "", len(tr_ids), hours, len(dv_ids), n_params, minutes,
            time.time() - t_load))
    log("layers: " + json.dumps(layers))
    mean_t = torch.zeros(FEATURES["dim"])  # masks after normalisation
    norm_mean = torch.from_numpy(mean)
    budget = minutes * 60.0
    warm = 0.04
    t0 = time.time() - spent
    tr_len = [len(feats[i]) for i in tr_ids]
    epoch, run_loss, run_n, done = 0, 0.0, 0, False

    def save(name, extra=None):
        st = {"model": net.state_dict(), "opt": opt.state_dict(),
              "step": step, "spent": time.time() - t0, "best": best,
              "layers": layers, "config": a.config}
        if extra:
            st.update(extra)
        torch.save(st, os.path.join(ck, pre + name + ".tmp"))
        os.replace(os.path.join(ck, pre + name + ".tmp"),
                   os.path.join(ck, pre + name))

    def do_eval():
        nonlocal best
        (cer, wer), pairs = evaluate(net, feats, dv_ids, texts, stride)
        mark = ""
        if best is None or wer < best["wer"] or (
                wer == best["wer"] and cer < best["cer"]):
            best = {"wer": wer, "cer": cer, "step": step}
            save("best.pt")
            mark = " (best)"
        log("step %d dev greedy CER %.2f%% WER %.2f%%%s" % (
            step, cer, wer, mark))
        for ref, hyp in pairs[:2]:
            log("  ref: %s\n           hyp: %s" % (ref, hyp))

    if a.phase == 2 and step == 0:
        net.eval()
        do_eval()
    net.train()
    while not done:
        epoch += 1
        for bi in batches(tr_len, cfg["batch_seconds"], rng):
            # The schedule runs over the wall-clock budget, or over a fixed
            # number of steps (tiny: the same result on any machine),
            # stopping at the budget either way.
            frac = (time.time() - t0) / budget
            if cfg.get("steps"):
                frac = max(step / cfg["steps"], 0.0) if frac < 1.0 else 1.0
            if frac >= 1.0:
                done = True
                break
            lr = cfg["lr"] * (frac / warm if frac < warm else
                              0.5 * (1 + math.cos(math.pi * (frac - warm) /
                                                  (1 - warm))))
            for g in opt.param_groups:
                g["lr"] = lr
            sel = [tr_ids[k] for k in bi]
            x, lens, tg = collate(feats, sel, texts)
            # Normalisation is the model's first layer, so masks use the
            # raw mean: they become zeros after it.
            x = spec_augment(x, lens, norm_mean, rng)
            logits = net(x)
            lp = F.log_softmax(logits, -1).transpose(0, 1)
            ol = out_lens(lens, stride)
            loss = F.ctc_loss(lp, torch.cat(tg), ol,
                              torch.tensor([len(t) for t in tg]),
                              blank=0, reduction="mean", zero_infinity=True)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), 5.0)
            opt.step()
            step += 1
            run_loss += float(loss)
            run_n += 1
            if step % 100 == 0 or (a.config == "tiny" and step % 10 == 0):
                log("step %d epoch %d loss %.3f lr %.2e %.1f min" % (
                    step, epoch, run_loss / run_n, lr,
                    (time.time() - t0) / 60))
                run_loss, run_n = 0.0, 0
            if step % cfg["ckpt_every"] == 0:
                save("last.pt")
            if step % cfg["eval_every"] == 0:
                do_eval()
    del mean_t
    save("last.pt")
    if step == 0 or step % cfg["eval_every"]:   # else just evaluated
        do_eval()
    log("done: %d steps, %d epochs, %.1f min; best dev WER %.2f%% CER "
        "%.2f%% at step %d" % (step, epoch, (time.time() - t0) / 60,
                               best["wer"], best["cer"], best["step"]))
    with open(os.path.join(work, "train.done" if a.phase == 1 else
                           "train2.done"), "w") as f:
        json.dump({"steps": step, "minutes": (time.time() - t0) / 60,
                   "best": best, "params": n_params, "hours": hours,
                   "utterances": len(tr_ids)}, f)


if __name__ == "__main__":
    main()
