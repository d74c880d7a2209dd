#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""bench/text: Weft's BERT sentence encoder vs sentence-transformers and
onnxruntime, one thread each, same machine, same token ids, one invocation.

    python3 bench/text/run.py --build build [--iters 300] [--iters-long 100]

Runs all-MiniLM-L6-v2 (models/all-minilm-l6-v2) in

  weft     bench-text (plugins/text/bert*.c, what text.embed runs)
  torch    sentence-transformers 2.2.2 on Debian's python3-torch 1.13
           (torch.set_num_threads(1))
  ort      onnxruntime (intra/inter-op threads 1, ORT_ENABLE_ALL) on an
           ONNX export of the same sentence-transformers module (mean
           pooling and normalisation included)

with OPENBLAS_NUM_THREADS=OMP_NUM_THREADS=1, and prints p50/p99 latency at
batch 1 for 16- and 128-token inputs, sentences/s at batch 32 (the first 64
sentences of tests/golden/text/sentences.txt, mixed lengths: the peers pad
each batch to its longest sequence, Weft packs), the ratios, and the max
abs difference of Weft's embeddings to each peer. Tokenisation is outside
the timings for all three (the same ids go in).

First run: makes a venv (default BUILD/bench-text-venv) with
`/usr/bin/python3 -m venv --system-site-packages` (Debian's python3-torch
must be installed: apt-get install python3-torch), installs the pinned
packages below into it, exports the ONNX model into it, and re-runs itself
there. Not part of `make check`.
"""
import argparse
import os
import subprocess
import sys
import time

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
NODEPS = ["sentence-transformers==2.2.2", "transformers==4.30.2",
          "tokenizers==0.13.3", "huggingface-hub==0.16.4",
          "safetensors==0.3.3", "nltk==3.8.1"]
# What transformers and sentence-transformers import at start-up beyond
# Debian's packages, and onnxruntime with its own dependencies.
DEPS = ["onnxruntime==1.19.2", "regex==2026.11.19", "tqdm==4.70.1",
        "filelock==4.3.1", "fsspec==2026.9.0", "packaging==26.4",
        "joblib==1.6.0"]
THREAD_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
              "MKL_NUM_THREADS": "1"}


def bootstrap(args):
    """Re-run inside the bench venv (made on first use), one thread."""
    venv = os.path.abspath(args.venv)
    py = os.path.join(venv, "bin", "python")
    if os.path.realpath(sys.prefix) == os.path.realpath(venv):
        return
    if not os.path.exists(os.path.join(venv, ".bench-text-ready")):
        print("bench/text: making %s (first run)" % venv, file=sys.stderr)
        subprocess.check_call(["/usr/bin/python3", "-m", "venv",
                               "--system-site-packages", venv])
        pip = [py, "-m", "pip", "install", "-q"]
        subprocess.check_call(pip + ["--no-deps"] + NODEPS)
        subprocess.check_call(pip + DEPS)
        open(os.path.join(venv, ".bench-text-ready"), "w").close()
    env = dict(os.environ, **THREAD_ENV)
    os.execve(py, [py] + sys.argv, env)


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p * (len(xs) - 1) + 0.5))]


def time_calls(fn, batches, iters, warmup):
    lat = []
    total = 0.0
    for i in range(warmup + iters):
        b = batches[i % len(batches)]
        t0 = time.perf_counter()
        fn(b)
        dt = time.perf_counter() - t0
        if i >= warmup:
            lat.append(dt * 1e3)
            total += dt
    n = sum(len(batches[i % len(batches)]) for i in range(warmup,
                                                          warmup + iters))
    return {"p50": pct(lat, 0.5), "p99": pct(lat, 0.99), "rate": n / total}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(TOP, "build"))
    ap.add_argument("--model", default=os.path.join(TOP, "models",
                                                    "all-minilm-l6-v2"))
    ap.add_argument("--venv", default=None)
    ap.add_argument("--iters", type=int, default=300,
                    help="timed calls at batch 1, 16 tokens")
    ap.add_argument("--iters-long", type=int, default=100,
                    help="timed calls at batch 1, 128 tokens")
    ap.add_argument("--iters-batch", type=int, default=10,
                    help="timed calls at batch 32")
    ap.add_argument("--only", default="weft,torch,ort")
    args = ap.parse_args()
    args.build = os.path.abspath(args.build)
    if args.venv is None:
        args.venv = os.path.join(args.build, "bench-text-venv")
    bootstrap(args)

    import numpy as np
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    model = SentenceTransformer(args.model, device="cpu")
    tok = model.tokenizer
    cls, sep = tok.cls_token_id, tok.sep_token_id
    with open(os.path.join(TOP, "tests", "golden", "text", "sentences.txt"),
              encoding="utf-8") as f:
        sents = f.read().split("\n")[:-1]
    # Fixed-length inputs from real text: the word pieces of consecutive
    # sentences, between [CLS] and [SEP].
    stream = []
    for s in sents:
        stream += tok(s, add_special_tokens=False)["input_ids"]
    fixed = {}
    for L in (16, 128):
        fixed[L] = [[cls] + stream[i * (L - 2):(i + 1) * (L - 2)] + [sep]
                    for i in range(8)]
    mixed = [tok(s, truncation=True, max_length=model.max_seq_length)
             ["input_ids"] for s in sents[:64]]
    cases = [("b1-16", [[x] for x in fixed[16]], args.iters),
             ("b1-128", [[x] for x in fixed[128]], args.iters_long),
             ("b32", [mixed[:32], mixed[32:64]], args.iters_batch)]

    def pad(batch):
        n = max(len(x) for x in batch)
        ids = np.zeros((len(batch), n), np.int64)
        mask = np.zeros((len(batch), n), np.int64)
        for i, x in enumerate(batch):
            ids[i, :len(x)] = x
            mask[i, :len(x)] = 1
        return ids, mask, np.zeros_like(ids)

    res, emb = {}, {}
    work = os.path.join(args.build, "bench-text-work")
    os.makedirs(work, exist_ok=True)
    only = args.only.split(",")

    if "weft" in only:
        exe = os.path.join(args.build, "bench", "text", "bench-text")
        if not os.path.exists(exe):
            sys.exit("bench/text: build %s first (make -C %s "
                     "bench/text/bench-text)" % (exe, args.build))
        for name, batches, iters in cases:
            path = os.path.join(work, name + ".ids")
            seqs = [x for b in batches for x in b]
            with open(path, "w") as f:
                f.write("".join(" ".join(map(str, x)) + "\n" for x in seqs))
            out = os.path.join(work, name + ".f32")
            r = subprocess.run(
                [exe, "--model", args.model, "--ids", path, "--batch",
                 str(len(batches[0])), "--iters", str(iters), "--warmup",
                 str(max(2, iters // 10)), "--out", out],
                check=True, capture_output=True, text=True,
                env=dict(os.environ, **THREAD_ENV)).stdout.split()
            res[("weft", name)] = {"p50": float(r[4]), "p99": float(r[6]),
                                   "rate": float(r[8])}
            emb[("weft", name)] = np.fromfile(out, np.float32).reshape(
                len(seqs), -1)

    if "torch" in only:
        def run_torch(batch):
            ids, mask, tt = (torch.from_numpy(a) for a in pad(batch))
            with torch.inference_mode():
                return model({"input_ids": ids, "attention_mask": mask,
                              "token_type_ids": tt})[
                    "sentence_embedding"].numpy()
        for name, batches, iters in cases:
            res[("torch", name)] = time_calls(run_torch, batches, iters,
                                              max(2, iters // 10))
            emb[("torch", name)] = np.concatenate(
                [run_torch([x]) for b in batches for x in b])

    if "ort" in only:
        import onnxruntime as ort
        onnx_path = os.path.join(args.venv, "all-minilm-l6-v2.onnx")
        if not os.path.exists(onnx_path):
            class Wrap(torch.nn.Module):
                def __init__(self, st):
                    super().__init__()
                    self.st = st

                def forward(self, input_ids, attention_mask, token_type_ids):
                    return self.st({"input_ids": input_ids,
                                    "attention_mask": attention_mask,
                                    "token_type_ids": token_type_ids})[
                        "sentence_embedding"]
            ids, mask, tt = (torch.from_numpy(a) for a in pad(fixed[16][:2]))
            dyn = {"input_ids": {0: "b", 1: "t"},
                   "attention_mask": {0: "b", 1: "t"},
                   "token_type_ids": {0: "b", 1: "t"},
                   "embedding": {0: "b"}}
            torch.onnx.export(Wrap(model).eval(), (ids, mask, tt),
                              onnx_path + ".tmp",
                              input_names=list(dyn)[:3],
                              output_names=["embedding"], dynamic_axes=dyn,
                              opset_version=14, do_constant_folding=True)
            os.rename(onnx_path + ".tmp", onnx_path)
        so = ort.SessionOptions()
        so.intra_op_num_threads = 1
        so.inter_op_num_threads = 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        so.graph_optimization_level = \
            ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        sess = ort.InferenceSession(onnx_path, so,
                                    providers=["CPUExecutionProvider"])

        def run_ort(batch):
            ids, mask, tt = pad(batch)
            return sess.run(None, {"input_ids": ids, "attention_mask": mask,
                                   "token_type_ids": tt})[0]
        for name, batches, iters in cases:
            res[("ort", name)] = time_calls(run_ort, batches, iters,
                                            max(2, iters // 10))
            emb[("ort", name)] = np.concatenate(
                [run_ort([x]) for b in batches for x in b])

    la = os.getloadavg()
    print("bench/text: all-MiniLM-L6-v2, 1 thread, torch %s, onnxruntime %s, "
          "load %.1f %.1f %.1f" % (torch.__version__,
                                   ort.__version__ if "ort" in only else "-",
                                   *la))
    engines = [e for e in ("weft", "torch", "ort") if e in only]
    rows = [("b1-16", "p50"), ("b1-16", "p99"), ("b1-128", "p50"),
            ("b1-128", "p99"), ("b32", "rate")]
    hdr = "%-16s" % "figure" + "".join("%12s" % e for e in engines)
    if "weft" in only:
        hdr += "".join("%12s" % ("weft/" + e) for e in engines if e != "weft")
    print(hdr)
    for name, key in rows:
        unit = "sent/s" if key == "rate" else "ms"
        line = "%-16s" % ("%s %s %s" % (name, key, unit))
        line += "".join("%12.2f" % res[(e, name)][key] for e in engines)
        if "weft" in only:
            for e in engines:
                if e != "weft":
                    line += "%12.3f" % (res[("weft", name)][key] /
                                        res[(e, name)][key])
        print(line)
    if "weft" in only:
        for e in engines:
            if e == "weft":
                continue
            d = max(float(np.abs(emb[("weft", n)] - emb[(e, n)]).max())
                    for n, _, _ in cases)
            print("max abs diff weft vs %s (all inputs, one at a time): %.2g"
                  % (e, d))
    for name, _, _ in cases:
        for e in engines:
            r = res[(e, name)]
            print("BENCH text-%s %s p50 %.3f p99 %.3f rate %.1f"
                  % (name, e, r["p50"], r["p99"], r["rate"]))


if __name__ == "__main__":
    main()
