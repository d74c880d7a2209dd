# SPDX-License-Identifier: LGPL-2.1-or-later
"""The acoustic model as doc/acoustic-model.md defines it: a list of causal
layers (config.json's `layers`) run by one generic PyTorch module, so that
training, export and the parity check share one definition.

Tensors flow as [batch, frames, channels]; a model maps features [B, T, F]
to per-frame logits [B, ceil(T / prod(strides)), V].
"""
import json
import math
import struct

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

TOKENS = ["<blank>", "|", "'"] + [chr(c) for c in range(ord("a"),
                                                          ord("z") + 1)]


def text_to_ids(text):
    return [1 if c == " " else TOKENS.index(c) for c in text]


def ids_to_text(ids):
    """Greedy CTC collapse: merge repeats, drop blanks, | is a space."""
    out, prev = [], -1
    for i in ids:
        if i != prev and i != 0:
            out.append(" " if i == 1 else TOKENS[i])
        prev = i
    return " ".join("".join(out).split())


def layer_spec(cfg, feat_dim, vocab=len(TOKENS)):
    """config.json `layers` for a recipe model configuration."""
    C, K, H = cfg["channels"], cfg["kernel"], cfg["rnn"]
    s = cfg["stride"]
    layers = [
        {"type": "normalize", "name": "cmvn", "dim": feat_dim},
        {"type": "conv1d", "name": "conv0", "in": feat_dim, "out": C,
         "kernel": 2 * s, "stride": s, "groups": 1, "bias": True},
        {"type": "layernorm", "name": "conv0.ln", "dim": C, "eps": 1e-5},
        {"type": "relu"},
    ]
    for b in range(1, cfg["blocks"] + 1):
        layers += [
            {"type": "sepconv1d", "name": "block%d" % b, "in": C, "out": C,
             "kernel": K, "residual": True, "bias": True},
            {"type": "layernorm", "name": "block%d.ln" % b, "dim": C,
             "eps": 1e-5},
            {"type": "relu"},
        ]
    layers += [
        {"type": "gru", "name": "rnn0", "in": C, "hidden": H},
        {"type": "layernorm", "name": "rnn0.ln", "dim": H, "eps": 1e-5},
        {"type": "dropout"},
        {"type": "linear", "name": "out", "in": H, "out": vocab},
    ]
    return layers


class CausalConv(nn.Module):
    def __init__(self, cin, cout, k, stride=1, groups=1, bias=True,
                 dilation=1):
        super().__init__()
        self.pad = (k - 1) * dilation
        self.conv = nn.Conv1d(cin, cout, k, stride=stride, groups=groups,
                              bias=bias, dilation=dilation)

    def forward(self, x):               # [B, C, T]
        return self.conv(F.pad(x, (self.pad, 0)))


class SepConv(nn.Module):
    def __init__(self, L):
        super().__init__()
        k, d, s = L["kernel"], L.get("dilation", 1), L.get("stride", 1)
        b = L.get("bias", True)
        self.residual = L.get("residual", False)
        self.depthwise = CausalConv(L["in"], L["in"], k, s, L["in"], b, d)
        self.pointwise = nn.Conv1d(L["in"], L["out"], 1, bias=b)

    def forward(self, x):
        y = self.pointwise(self.depthwise(x))
        return y + x if self.residual else y


class LayerNet(nn.Module):
    def __init__(self, layers, dropout=0.1):
        super().__init__()
        self.layers = layers
        self.mods = nn.ModuleList()
        for L in layers:
            t = L["type"]
            if t == "normalize":
                m = nn.Module()
                m.register_buffer("mean", torch.zeros(L["dim"]))
                m.register_buffer("std", torch.ones(L["dim"]))
            elif t == "conv1d":
                m = CausalConv(L["in"], L["out"], L["kernel"],
                               L.get("stride", 1), L.get("groups", 1),
                               L.get("bias", True), L.get("dilation", 1))
            elif t == "sepconv1d":
                m = SepConv(L)
            elif t == "batchnorm":
                m = nn.BatchNorm1d(L["dim"], eps=L.get("eps", 1e-5))
            elif t == "layernorm":
                m = nn.LayerNorm(L["dim"], eps=L.get("eps", 1e-5))
            elif t == "gru":
                m = nn.GRU(L["in"], L["hidden"], batch_first=True)
            elif t == "lstm":
                m = nn.LSTM(L["in"], L["hidden"], batch_first=True)
            elif t == "linear":
                m = nn.Linear(L["in"], L["out"], bias=L.get("bias", True))
            elif t == "dropout":
                m = nn.Dropout(dropout)
            elif t in ("relu", "gelu", "silu"):
                m = {"relu": nn.ReLU(), "gelu": nn.GELU(),
                     "silu": nn.SiLU()}[t]
            else:
                raise ValueError("unknown layer type %r" % t)
            self.mods.append(m)

    def stride(self):
        return math.prod(L.get("stride", 1) for L in self.layers
                         if L["type"] in ("conv1d", "sepconv1d"))

    def forward(self, x):               # [B, T, F] -> [B, T', V] logits
        for L, m in zip(self.layers, self.mods):
            t = L["type"]
            if t == "normalize":
                x = (x - m.mean) / m.std
            elif t in ("conv1d", "sepconv1d", "batchnorm"):
                x = m(x.transpose(1, 2)).transpose(1, 2)
            elif t in ("gru", "lstm"):
                x = m(x)[0]
            else:
                x = m(x)
        return x

    # ---------------------------------------------------------- export

    def named_tensors(self):
        """{safetensors name: tensor} in the doc's names and layouts."""
        return {k: v.detach().float().contiguous()
                for k, v in self._refs().items()}

    def load_named(self, tensors):
        own = self._refs()
        if set(own) != set(tensors):
            raise ValueError("tensor names differ: missing %s, extra %s" % (
                sorted(set(own) - set(tensors)),
                sorted(set(tensors) - set(own))))
        with torch.no_grad():
            refs = self._refs()
            for k, v in tensors.items():
                if tuple(refs[k].shape) != tuple(v.shape):
                    raise ValueError("%s: shape %s, want %s" % (
                        k, tuple(v.shape), tuple(refs[k].shape)))
                refs[k].copy_(torch.as_tensor(v))

    def _refs(self):
        """{safetensors name: the live parameter or buffer}, for loading
        (named_tensors gives detached copies)."""
        out = {}
        for L, m in zip(self.layers, self.mods):
            t, n = L["type"], L.get("name")
            if t == "normalize":
                out[n + ".mean"], out[n + ".std"] = m.mean, m.std
            elif t == "conv1d":
                out[n + ".weight"] = m.conv.weight
                if m.conv.bias is not None:
                    out[n + ".bias"] = m.conv.bias
            elif t == "sepconv1d":
                for part in ("depthwise", "pointwise"):
                    c = getattr(m, part)
                    c = c.conv if part == "depthwise" else c
                    out["%s.%s.weight" % (n, part)] = c.weight
                    if c.bias is not None:
                        out["%s.%s.bias" % (n, part)] = c.bias
            elif t == "batchnorm":
                for k in ("weight", "bias", "running_mean", "running_var"):
                    out[n + "." + k] = getattr(m, k)
            elif t == "layernorm":
                out[n + ".weight"], out[n + ".bias"] = m.weight, m.bias
            elif t in ("gru", "lstm"):
                for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                    out[n + "." + k] = getattr(m, k + "_l0")
            elif t == "linear":
                out[n + ".weight"] = m.weight
                if m.bias is not None:
                    out[n + ".bias"] = m.bias
        return out


# -------------------------------------------------------------- safetensors

def save_safetensors(path, tensors, metadata=None):
    """Write F32 tensors in the safetensors format (8-byte header length,
    JSON header, data), sorted by name, without the safetensors module."""
    header, blobs, off = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name].numpy() if torch.is_tensor(
            tensors[name]) else tensors[name], dtype="<f4")
        b = a.tobytes()
        header[name] = {"dtype": "F32", "shape": list(a.shape),
                        "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path + ".tmp", "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
    import os
    os.replace(path + ".tmp", path)


def load_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, h in header.items():
        if name == "__metadata__":
            continue
        if h["dtype"] != "F32":
            raise ValueError("%s: dtype %s" % (name, h["dtype"]))
        a, b = h["data_offsets"]
        out[name] = torch.from_numpy(np.frombuffer(
            data[a:b], dtype="<f4").reshape(h["shape"]).copy())
    return out


def load_model_dir(d):
    """(LayerNet in eval mode, config dict) from an exported directory."""
    import os
    with open(os.path.join(d, "config.json")) as f:
        cfg = json.load(f)
    net = LayerNet(cfg["layers"])
    net.load_named(load_safetensors(os.path.join(d, "model.safetensors")))
    net.eval()
    return net, cfg
