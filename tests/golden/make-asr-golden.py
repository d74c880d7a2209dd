#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Golden data for asr.acoustic (tests/asr/test-asr.c).

Builds two small random acoustic models in PyTorch that together cover
every layer type of doc/acoustic-model.md, writes each as a model
directory (config.json, model.safetensors, tokens.txt) with random input
features (input.npy) and PyTorch's output for them (expected.npy), and
each model as a seed of the config fuzzer (tests/fuzz/corpus-asr):

  conv-gru   normalize, conv1d stride 2 + batchnorm, sepconv1d residual +
             batchnorm, conv1d stride 3 without bias, dropout, GRU,
             layernorm, linear, log_softmax output.
  lstm       conv1d dilation 2, gelu, grouped dilated conv1d + batchnorm,
             silu, a batchnorm after an activation (not foldable),
             strided sepconv1d without bias, LSTM, linear, gelu, linear,
             logits output.

Run with Debian's python3 (torch 1.13, numpy): /usr/bin/python3
tests/golden/make-asr-golden.py. The safetensors writer is the format's
few lines, so the script needs no other package. Output is deterministic
for a given torch build.
"""
import json
import os
import struct

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "asr")


def write_safetensors(path, tensors):
    header, blobs, off = {}, [], 0
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name].detach().numpy(),
                                 dtype="<f4")
        b = a.tobytes()
        header[name] = {"dtype": "F32", "shape": list(a.shape),
                        "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


class CausalConv(nn.Module):
    """F.pad((k-1)*d, 0) then a plain Conv1d, as the doc prescribes."""

    def __init__(self, cin, cout, k, stride=1, groups=1, dilation=1,
                 bias=True):
        super().__init__()
        self.pad = (k - 1) * dilation
        self.conv = nn.Conv1d(cin, cout, k, stride=stride, groups=groups,
                              dilation=dilation, bias=bias)

    def forward(self, x):  # x: [B, C, T]
        return self.conv(F.pad(x, (self.pad, 0)))


class SepConv(nn.Module):
    def __init__(self, cin, cout, k, stride=1, dilation=1, bias=True,
                 residual=False):
        super().__init__()
        self.depthwise = CausalConv(cin, cin, k, stride, cin, dilation, bias)
        self.pointwise = nn.Conv1d(cin, cout, 1, bias=bias)
        self.residual = residual

    def forward(self, x):
        y = self.pointwise(self.depthwise(x))
        return y + x if self.residual else y


def randomize_bn(bn):
    with torch.no_grad():
        bn.weight.uniform_(0.5, 1.5)
        bn.bias.uniform_(-0.3, 0.3)
        bn.running_mean.uniform_(-0.5, 0.5)
        bn.running_var.uniform_(0.5, 2.0)
    bn.eval()


def build(spec, dim):
    """Modules and safetensors tensors for a layer list (config.json's)."""
    mods, tensors = [], {}
    for L in spec:
        t, name = L["type"], L.get("name")
        if t == "normalize":
            mean = torch.randn(L["dim"]) * 0.5
            std = torch.rand(L["dim"]) + 0.5
            tensors[name + ".mean"], tensors[name + ".std"] = mean, std
            mods.append(("normalize", (mean, std)))
        elif t == "conv1d":
            m = CausalConv(L["in"], L["out"], L["kernel"], L.get("stride", 1),
                           L.get("groups", 1), L.get("dilation", 1),
                           L.get("bias", True))
            tensors[name + ".weight"] = m.conv.weight
            if m.conv.bias is not None:
                tensors[name + ".bias"] = m.conv.bias
            mods.append(("conv", m))
        elif t == "sepconv1d":
            m = SepConv(L["in"], L["out"], L["kernel"], L.get("stride", 1),
                        L.get("dilation", 1), L.get("bias", True),
                        L.get("residual", False))
            tensors[name + ".depthwise.weight"] = m.depthwise.conv.weight
            tensors[name + ".pointwise.weight"] = m.pointwise.weight
            if L.get("bias", True):
                tensors[name + ".depthwise.bias"] = m.depthwise.conv.bias
                tensors[name + ".pointwise.bias"] = m.pointwise.bias
            mods.append(("conv", m))
        elif t == "batchnorm":
            m = nn.BatchNorm1d(L["dim"], eps=L.get("eps", 1e-5))
            randomize_bn(m)
            for k in ("weight", "bias", "running_mean", "running_var"):
                tensors[name + "." + k] = getattr(m, k)
            mods.append(("conv", m))
        elif t == "layernorm":
            m = nn.LayerNorm(L["dim"], eps=L.get("eps", 1e-5))
            with torch.no_grad():
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.3, 0.3)
            tensors[name + ".weight"], tensors[name + ".bias"] = m.weight, m.bias
            mods.append(("frame", m))
        elif t in ("gru", "lstm"):
            cls = nn.GRU if t == "gru" else nn.LSTM
            m = cls(L["in"], L["hidden"], batch_first=True)
            for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                tensors[name + "." + k] = getattr(m, k + "_l0")
            mods.append(("rnn", m))
        elif t == "linear":
            m = nn.Linear(L["in"], L["out"], bias=L.get("bias", True))
            tensors[name + ".weight"] = m.weight
            if m.bias is not None:
                tensors[name + ".bias"] = m.bias
            mods.append(("frame", m))
        elif t == "relu":
            mods.append(("frame", nn.ReLU()))
        elif t == "gelu":
            mods.append(("frame", nn.GELU()))
        elif t == "silu":
            mods.append(("frame", nn.SiLU()))
        elif t == "dropout":
            mods.append(("frame", nn.Dropout(L.get("p", 0.1)).eval()))
        else:
            raise ValueError(t)
    return mods, tensors


@torch.no_grad()
def run(mods, x, output):
    """x: [T, C] -> [T', V], frames along dim 0 as the node sees them."""
    y = x.unsqueeze(0)  # [1, T, C]
    for kind, m in mods:
        if kind == "normalize":
            y = (y - m[0]) / m[1]
        elif kind == "conv":
            y = m(y.transpose(1, 2)).transpose(1, 2)
        elif kind == "rnn":
            y = m(y)[0]
        else:
            y = m(y)
    y = y[0]
    return F.log_softmax(y, dim=-1) if output == "log_softmax" else y


def make(name, ftype, dim, tokens, layers, output, T, seed):
    torch.manual_seed(seed)
    cfg = {
        "format": "weft-acoustic", "version": 1,
        "features": {"type": ftype, "dim": dim, "rate": 16000,
                     "frame_shift_ms": 10,
                     "options": {"preset": "kaldi"}},
        "tokens": "tokens.txt", "blank": 0, "delimiter": "|",
        "output": output, "layers": layers,
    }
    mods, tensors = build(layers, dim)
    x = torch.randn(T, dim) * 2.0 + 0.5
    y = run(mods, x, output)
    d = os.path.join(OUT, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
        f.write("\n")
    write_safetensors(os.path.join(d, "model.safetensors"), tensors)
    with open(os.path.join(d, "tokens.txt"), "w") as f:
        f.write("".join(t + "\n" for t in tokens))
    # The fuzzer's seed (tests/fuzz/fuzz-asr-config.c): config length,
    # token count, config.json, model.safetensors.
    seeds = os.path.join(os.path.dirname(OUT), "..", "fuzz", "corpus-asr")
    os.makedirs(seeds, exist_ok=True)
    with open(os.path.join(d, "config.json"), "rb") as f:
        cfg_bytes = f.read()
    with open(os.path.join(d, "model.safetensors"), "rb") as f:
        st_bytes = f.read()
    with open(os.path.join(seeds, name), "wb") as f:
        f.write(struct.pack("<IB", len(cfg_bytes), len(tokens)))
        f.write(cfg_bytes + st_bytes)
    np.save(os.path.join(d, "input.npy"), x.numpy().astype("<f4"))
    np.save(os.path.join(d, "expected.npy"), y.numpy().astype("<f4"))
    print(f"{name}: input {tuple(x.shape)} -> output {tuple(y.shape)}, "
          f"{sum(t.numel() for t in tensors.values())} parameters")


def main():
    toks_a = ["<blank>", "|"] + [chr(ord("a") + i) for i in range(10)]
    make("conv-gru", "fbank", 20, toks_a, [
        {"type": "normalize", "name": "cmvn", "dim": 20},
        {"type": "conv1d", "name": "conv0", "in": 20, "out": 32, "kernel": 5,
         "stride": 2, "groups": 1, "bias": True},
        {"type": "batchnorm", "name": "bn0", "dim": 32, "eps": 1e-5},
        {"type": "relu"},
        {"type": "sepconv1d", "name": "block1", "in": 32, "out": 32,
         "kernel": 7, "residual": True, "bias": True},
        {"type": "batchnorm", "name": "block1.bn", "dim": 32, "eps": 1e-3},
        {"type": "relu"},
        {"type": "conv1d", "name": "conv2", "in": 32, "out": 32, "kernel": 3,
         "stride": 3, "bias": False},
        {"type": "dropout", "p": 0.1},
        {"type": "gru", "name": "rnn0", "in": 32, "hidden": 48},
        {"type": "layernorm", "name": "ln", "dim": 48, "eps": 1e-5},
        {"type": "linear", "name": "out", "in": 48, "out": 12},
    ], "log_softmax", 150, 1)
    toks_b = ["_", "|", "e", "t", "a", "o", "n", "'", "\u00e9", "s"]
    make("lstm", "mfcc", 13, toks_b, [
        {"type": "conv1d", "name": "conv0", "in": 13, "out": 24, "kernel": 3,
         "dilation": 2},
        {"type": "gelu"},
        {"type": "conv1d", "name": "conv1", "in": 24, "out": 24, "kernel": 5,
         "groups": 4, "dilation": 3},
        {"type": "batchnorm", "name": "bn1", "dim": 24},
        {"type": "silu"},
        {"type": "batchnorm", "name": "bn2", "dim": 24},
        {"type": "sepconv1d", "name": "sep", "in": 24, "out": 32, "kernel": 4,
         "stride": 2, "bias": False},
        {"type": "lstm", "name": "rnn", "in": 32, "hidden": 40},
        {"type": "linear", "name": "proj", "in": 40, "out": 16},
        {"type": "gelu"},
        {"type": "linear", "name": "out", "in": 16, "out": 10},
    ], "logits", 121, 2)


if __name__ == "__main__":
    main()
