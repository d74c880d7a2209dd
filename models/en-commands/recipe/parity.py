#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Check that Weft's asr.acoustic computes what PyTorch computes.

    /usr/bin/python3 parity.py --model ../model --work ../work
        [--weft build/core/cli/weft] [--n 8] [--chunk 7] [--tol 1e-4]

For a few test utterances' features (Weft's own fbank output), runs the
exported model directory in PyTorch (model.py, log-softmax) and in Weft
(tensor.src -> asr.acoustic -> tensor.sink, fed in chunks of --chunk rows
so streaming is checked too), and compares the log-probabilities.
Exits 0 when every utterance agrees within --tol, 1 otherwise, 77 when no
asr plugin is found.
"""
import argparse
import glob
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, HERE)
import model as M  # noqa: E402

GRAPH = """weft 1
node src  = tensor.src   { path = "%s", chunk = %d }
node am   = asr.acoustic { model = "%s" }
node sink = tensor.sink  { path = "%s" }
src -> am -> sink
"""


def find_weft(arg):
    """(weft binary, plugin dir holding asr.so) or None."""
    cands = [arg] if arg else [
        os.path.join(TOP, b, "core", "cli", "weft")
        for b in ("build", "build-asr")]
    for w in cands:
        libs = os.environ.get("WEFT_PLUGIN_PATH") or os.path.join(
            os.path.dirname(os.path.dirname(os.path.dirname(w))),
            "plugins", ".libs")
        if os.path.exists(w) and any(os.path.exists(os.path.join(p,
                                                                 "asr.so"))
                                     for p in libs.split(":")):
            return w, libs
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--weft")
    ap.add_argument("--n", type=int, default=8)
    ap.add_argument("--chunk", type=int, default=7)
    ap.add_argument("--tol", type=float, default=1e-4)
    a = ap.parse_args()
    found = find_weft(a.weft)
    if not found:
        print("parity: no weft with an asr plugin found; skipped")
        sys.exit(77)
    weft, libs = found
    env = dict(os.environ, WEFT_PLUGIN_PATH=libs)
    torch.set_num_threads(2)
    net, _ = M.load_model_dir(a.model)
    feats = sorted(glob.glob(os.path.join(os.path.abspath(a.work), "feats",
                                          "test_wav.npy")))
    if not feats:
        sys.exit("parity: no test features in %s/feats" % a.work)
    x = np.load(feats[0], mmap_mode="r")
    lens = np.load(feats[0].replace(".npy", ".len.npy"))
    off = np.concatenate([[0], np.cumsum(lens)])
    idx = np.linspace(0, len(lens) - 1, min(a.n, len(lens))).astype(int)
    worst = 0.0
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        for k in idx:
            u = np.array(x[off[k]:off[k + 1]], dtype=np.float32)
            inp = os.path.join(tmp, "in.npy")
            out = os.path.join(tmp, "out.npy")
            np.save(inp, u)
            g = os.path.join(tmp, "parity.weft")
            with open(g, "w") as f:
                f.write(GRAPH % (inp, a.chunk, os.path.abspath(a.model),
                                 out))
            r = subprocess.run([weft, "run", g], env=env,
                               stderr=subprocess.PIPE, text=True)
            if r.returncode != 0:
                print(r.stderr)
                sys.exit("parity: weft failed")
            w = np.load(out)
            with torch.no_grad():
                p = F.log_softmax(net(torch.from_numpy(u)[None]), -1)[0]
            p = p.numpy()
            if w.shape != p.shape:
                print("utterance %d: shape %s from Weft, %s from PyTorch" % (
                    k, w.shape, p.shape))
                ok = False
                continue
            d = float(np.abs(w - p).max()) if w.size else 0.0
            worst = max(worst, d)
            print("utterance %d: %d frames -> %d, max |diff| %.3g" % (
                k, len(u), len(w), d))
            ok = ok and d <= a.tol
    print("parity: %s, max |diff| %.3g over %d utterances (tolerance %g, "
          "chunks of %d rows, %s)" % ("OK" if ok else "FAILED", worst,
                                      len(idx), a.tol, a.chunk, weft))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
