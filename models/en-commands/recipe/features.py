#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Stage `features`: Weft's own fbank node over every folder of WAVs.

    /usr/bin/python3 features.py --work ../work [--weft PATH] [--jobs 2]

Runs features.weft (audio.dir -> fbank -> tensor.sink with `lengths`) once
per folder of the manifests, two folders at a time, into
WORK/feats/<folder>.npy and .len.npy. Each manifest's rows are then found
by the file names, which audio.dir reads in sorted order. A folder whose
features exist is skipped.
"""
import argparse
import os
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
MANIFESTS = ["train.tsv", "dev.tsv", "test/commands.tsv", "test/general.tsv",
             "train2.tsv"]   # the last only once phase 2's data is made


def read_manifest(path):
    rows = []
    with open(path) as f:
        for line in f:
            uid, wav, voice, kind, text = line.rstrip("\n").split("\t")
            rows.append((uid, wav, voice, kind, text))
    return rows


def weft_env(weft):
    env = dict(os.environ)
    if "WEFT_PLUGIN_PATH" not in env:
        env["WEFT_PLUGIN_PATH"] = os.path.join(
            os.path.dirname(os.path.dirname(os.path.dirname(weft))),
            "plugins", ".libs")
    return env


def feat_name(work, d):
    rel = os.path.relpath(d, work).replace(os.sep, "_")
    return os.path.join(work, "feats", rel)


def run_dirs(work, dirs, weft, jobs):
    os.makedirs(os.path.join(work, "feats"), exist_ok=True)
    todo = [d for d in dirs if not os.path.exists(feat_name(work, d) + ".npy")]
    env = weft_env(weft)
    running = []
    graph = os.path.join(HERE, "features.weft")
    while todo or running:
        while todo and len(running) < jobs:
            d = todo.pop(0)
            base = feat_name(work, d)
            cmd = [weft, "run", graph, "dir=" + d, "out=" + base + ".npy",
                   "lengths=" + base + ".len.npy"]
            running.append((d, subprocess.Popen(cmd, env=env)))
        d, p = running.pop(0)
        if p.wait() != 0:
            sys.exit("features: weft failed on %s" % d)


def load(work, manifest):
    """{id: features [T, 40] float32} for a manifest's utterances."""
    rows = read_manifest(manifest)
    by_dir = {}
    for r in rows:
        by_dir.setdefault(os.path.dirname(r[1]), []).append(r)
    out = {}
    for d, rs in by_dir.items():
        base = feat_name(work, d)
        x = np.load(base + ".npy", mmap_mode="r")
        n = np.load(base + ".len.npy")
        names = sorted(f for f in os.listdir(d) if f.endswith(".wav"))
        if len(names) != len(n):
            sys.exit("features: %s has %d wavs but %d segments" %
                     (d, len(names), len(n)))
        off = np.concatenate([[0], np.cumsum(n)])
        index = {nm: i for i, nm in enumerate(names)}
        for r in rs:
            i = index[os.path.basename(r[1])]
            out[r[0]] = np.asarray(x[off[i]:off[i + 1]])
    return rows, out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--work", required=True)
    ap.add_argument("--weft", default=os.path.join(TOP, "build", "core",
                                                   "cli", "weft"))
    ap.add_argument("--jobs", type=int, default=2)
    a = ap.parse_args()
    work = os.path.abspath(a.work)
    t0 = time.time()
    dirs = []
    manifests = [m for m in MANIFESTS if m != "train2.tsv" or
                 os.path.exists(os.path.join(work, m))]
    for m in manifests:
        for r in read_manifest(os.path.join(work, m)):
            d = os.path.dirname(r[1])
            if d not in dirs:
                dirs.append(d)
    run_dirs(work, dirs, os.path.abspath(a.weft), a.jobs)
    n = 0
    for m in manifests:
        rows, feats = load(work, os.path.join(work, m))
        n += sum(len(v) for v in feats.values())
    print("features: %d folders, %d frames (%.1f h) in %.0f s" % (
        len(dirs), n, n / 360000.0, time.time() - t0))


if __name__ == "__main__":
    main()
