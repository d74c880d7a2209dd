#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""
emulate.py: a numpy model of the CUDA encoder (bert-cuda.cu and
bert-kernels.cu) that follows the code step by step on flat buffers: the
packed id/position/sequence arrays, every cuBLAS call with its column-major
arguments (m, n, k, lda, ldb, ldc exactly as gemm() passes them), the layer
norm statistics in double, the attention kernel's blocks of 8 query rows,
tiles of 32 keys and online softmax, the fp16/bf16 roundings of the GEMM
inputs, and the pooling. It checks the design where no GPU is at hand (it
is not a substitute for tests/text/test-text-cuda, which runs the code):

  * against a plain dense BERT (full softmax, row-major, float64) on
    packed batches that mix short sentences with 33- to 300-token
    sequences (several key tiles and query blocks);
  * with --golden, against sentence-transformers' embeddings of
    tests/golden/text/sentences.txt (IDS must be that file's token ids,
    one sequence a line, [CLS] and [SEP] included, as bench/text's ids).

Usage: /usr/bin/python3 emulate.py MODEL_DIR IDS.txt [--golden NPY] [N]
Needs numpy (Debian's python3-numpy). Slow (pure Python loops): minutes.
"""
import json, struct, sys, numpy as np
args = [x for x in sys.argv[1:]]
gold_path = None
if '--golden' in args:
    i = args.index('--golden'); gold_path = args[i + 1]; del args[i:i + 2]
if len(args) < 2:
    sys.exit(__doc__)
M, IDS = args[0], args[1]
N = int(args[2]) if len(args) > 2 else 40
cfg = json.load(open(M + '/config.json'))
raw = open(M + '/model.safetensors', 'rb').read()
hl = struct.unpack('<Q', raw[:8])[0]
hdr = json.loads(raw[8:8 + hl])
def t(name):
    for pre in ('', 'bert.'):
        if pre + name in hdr:
            e = hdr[pre + name]; a, b = e['data_offsets']
            return np.frombuffer(raw[8 + hl + a: 8 + hl + b], dtype=np.float32).copy()
    raise KeyError(name)
H = cfg['hidden_size']; I = cfg['intermediate_size']; NH = cfg['num_attention_heads']; L = cfg['num_hidden_layers']
eps = cfg.get('layer_norm_eps', 1e-12); dh = H // NH
seqs = [list(map(int, l.split())) for l in open(IDS) if l.strip()]

def bf16(x):
    u = x.astype(np.float32).view(np.uint32).astype(np.uint64)
    u = (u + 0x7fff + ((u >> 16) & 1)) >> 16 << 16
    return u.astype(np.uint32).view(np.float32)
def narrow(x, prec):
    if prec == 'fp16': return x.astype(np.float16).astype(np.float32)
    if prec == 'bf16': return bf16(x)
    return x.astype(np.float32)

# cublasSgemm / cublasGemmEx(OP_T, OP_N, m, n, k, A, lda, B, ldb, C, ldc), column-major.
def gemm_TN(m, n, k, A, lda, B, ldb, C, ldc):
    Am = A[:m * lda].reshape(m, lda)[:, :k]        # A stored k x m col-major: column j = row j here; op_T(A) = this (m x k)
    Bm = B[:n * ldb].reshape(n, ldb)[:, :k].T      # B stored k x n col-major -> (k x n)
    Cm = (Am.astype(np.float64) @ Bm.astype(np.float64)).astype(np.float32)  # m x n
    Cv = C[:n * ldc].reshape(n, ldc)
    Cv[:, :m] = Cm.T                                 # C[i + j*ldc] = Cm[i, j]

def ln_row(v, g, b):
    mean = v.astype(np.float64).sum() / H
    var = ((v.astype(np.float64) - mean) ** 2).sum() / H
    inv = 1.0 / np.sqrt(var + eps)
    return (((v - mean) * inv).astype(np.float32) * g + b).astype(np.float32)

def attention(qkv, seq, B, maxl, ctx, prec_out):
    H3 = 3 * H; kT = 32; kW = 8
    for sq in range(B):
        off, ln = seq[sq], seq[B + sq]
        for head in range(NH):
            for bx in range((maxl + kW - 1) // kW):
                q0 = bx * kW
                if q0 >= ln: continue
                for w in range(kW):
                    row = q0 + w
                    if row >= ln: continue
                    base = (off + row) * H3 + head * dh
                    qs = qkv[base: base + dh]
                    acc = np.zeros(dh, np.float32); m = -np.inf; l = np.float32(0)
                    for t0 in range(0, ln, kT):
                        nk = min(ln - t0, kT)
                        ks = np.zeros((kT, dh), np.float32); vs = np.zeros((kT, dh), np.float32)
                        for j in range(nk):
                            r = (off + t0 + j) * H3 + head * dh
                            ks[j] = qkv[r + H: r + H + dh]; vs[j] = qkv[r + 2 * H: r + 2 * H + dh]
                        s = np.full(32, -np.inf, np.float32)
                        s[:nk] = (ks[:nk] @ qs).astype(np.float32) * np.float32(1 / np.sqrt(np.float32(dh)))
                        mt = s.max(); mn = max(m, mt)
                        c = np.float32(np.exp(m - mn)) if m != -np.inf else np.float32(0)
                        p = np.zeros(32, np.float32); p[:nk] = np.exp(s[:nk] - mn)
                        l = l * c + p.sum(); acc = acc * c
                        for j in range(nk): acc = acc + p[j] * vs[j]
                        m = mn
                    o = (off + row) * H + head * dh
                    ctx[o: o + dh] = narrow(acc / l, prec_out)

def forward(batch, prec):
    low = prec != 'fp32'
    T = sum(len(s) for s in batch); B = len(batch); maxl = max(len(s) for s in batch)
    ints = np.zeros(2 * T + 2 * B, np.int64); tc = 0
    for i, s in enumerate(batch):
        ints[2 * T + i] = tc; ints[2 * T + B + i] = len(s)
        for j, tok in enumerate(s):
            ints[tc] = tok; ints[T + tc] = j; tc += 1
    tok = ints[:2 * T]; seq = ints[2 * T:]
    word, pos, typ = t('embeddings.word_embeddings.weight'), t('embeddings.position_embeddings.weight'), t('embeddings.token_type_embeddings.weight')
    x = np.zeros(T * H, np.float32); xh = np.zeros(T * H, np.float32)
    for tt in range(T):
        v = word[tok[tt] * H: tok[tt] * H + H] + pos[tok[T + tt] * H: tok[T + tt] * H + H] + typ[:H]
        x[tt * H: tt * H + H] = ln_row(v.astype(np.float32), t('embeddings.LayerNorm.weight'), t('embeddings.LayerNorm.bias'))
    xh[:] = narrow(x, prec)
    qkv = np.zeros(T * 3 * H, np.float32); tmp = np.zeros(T * H, np.float32)
    inter = np.zeros(T * I, np.float32); ctx = np.zeros(T * H, np.float32)
    for li in range(L):
        p = 'encoder.layer.%d.' % li
        W = lambda n: narrow(t(p + n), prec)
        wqkv = np.concatenate([W('attention.self.query.weight'), W('attention.self.key.weight'), W('attention.self.value.weight')])
        bqkv = np.concatenate([t(p + 'attention.self.query.bias'), t(p + 'attention.self.key.bias'), t(p + 'attention.self.value.bias')])
        xin = xh if low else x
        gemm_TN(3 * H, T, H, wqkv, H, xin, H, qkv, 3 * H)
        qkv[:] = qkv + np.tile(bqkv, T)
        attention(qkv, seq, B, maxl, ctx, prec)
        gemm_TN(H, T, H, W('attention.output.dense.weight'), H, ctx, H, tmp, H)
        bo = t(p + 'attention.output.dense.bias')
        for tt in range(T):
            v = x[tt * H: tt * H + H] + (tmp[tt * H: tt * H + H] + bo)
            x[tt * H: tt * H + H] = ln_row(v, t(p + 'attention.output.LayerNorm.weight'), t(p + 'attention.output.LayerNorm.bias'))
        xh[:] = narrow(x, prec); xin = xh if low else x
        gemm_TN(I, T, H, W('intermediate.dense.weight'), H, xin, H, inter, I)
        v = inter + np.tile(t(p + 'intermediate.dense.bias'), T)
        from math import erf
        v = (0.5 * v * (1 + np.vectorize(erf)(v.astype(np.float64) / np.sqrt(2)))).astype(np.float32)
        inter_in = narrow(v, prec)
        gemm_TN(H, T, I, W('output.dense.weight'), I, inter_in, I, tmp, H)
        bo2 = t(p + 'output.dense.bias')
        for tt in range(T):
            v2 = x[tt * H: tt * H + H] + (tmp[tt * H: tt * H + H] + bo2)
            x[tt * H: tt * H + H] = ln_row(v2, t(p + 'output.LayerNorm.weight'), t(p + 'output.LayerNorm.bias'))
        xh[:] = narrow(x, prec)
    out = np.zeros((B, H), np.float32)
    for sq in range(B):
        off, ln = seq[sq], seq[B + sq]
        o = (x[off * H:(off + ln) * H].reshape(ln, H).astype(np.float64).sum(0) / ln).astype(np.float32)
        n = max(np.sqrt((o.astype(np.float64) ** 2).sum()), 1e-12)
        out[sq] = (o / n).astype(np.float32)
    return out

from math import erf
def plain(s):
    # Straightforward row-major BERT, full softmax, for one sequence.
    n = len(s)
    X = t('embeddings.word_embeddings.weight').reshape(-1, H)[s] + t('embeddings.position_embeddings.weight').reshape(-1, H)[:n] + t('embeddings.token_type_embeddings.weight').reshape(-1, H)[0]
    def LN(X, g, b):
        m = X.mean(1, keepdims=True); v = ((X - m) ** 2).mean(1, keepdims=True)
        return (X - m) / np.sqrt(v + eps) * g + b
    X = LN(X.astype(np.float64), t('embeddings.LayerNorm.weight'), t('embeddings.LayerNorm.bias'))
    for li in range(L):
        p = 'encoder.layer.%d.' % li
        Wm = lambda nme, r, c: t(p + nme).reshape(r, c).astype(np.float64)
        Q = X @ Wm('attention.self.query.weight', H, H).T + t(p + 'attention.self.query.bias')
        K = X @ Wm('attention.self.key.weight', H, H).T + t(p + 'attention.self.key.bias')
        V = X @ Wm('attention.self.value.weight', H, H).T + t(p + 'attention.self.value.bias')
        C = np.zeros_like(Q)
        for h in range(NH):
            sl = slice(h * dh, h * dh + dh)
            S = Q[:, sl] @ K[:, sl].T / np.sqrt(dh)
            S = np.exp(S - S.max(1, keepdims=True)); S /= S.sum(1, keepdims=True)
            C[:, sl] = S @ V[:, sl]
        A = C @ Wm('attention.output.dense.weight', H, H).T + t(p + 'attention.output.dense.bias')
        X = LN(X + A, t(p + 'attention.output.LayerNorm.weight'), t(p + 'attention.output.LayerNorm.bias'))
        Z = X @ Wm('intermediate.dense.weight', I, H).T + t(p + 'intermediate.dense.bias')
        Z = 0.5 * Z * (1 + np.vectorize(erf)(Z / np.sqrt(2)))
        O = Z @ Wm('output.dense.weight', H, I).T + t(p + 'output.dense.bias')
        X = LN(X + O, t(p + 'output.LayerNorm.weight'), t(p + 'output.LayerNorm.bias'))
    o = X.mean(0); return o / np.linalg.norm(o)


def cosine(a, b):
    return (a * b).sum(-1) / np.linalg.norm(a, axis=-1) / np.linalg.norm(b, axis=-1)

pieces = [x for s in seqs for x in s[1:-1]]
longs = [[seqs[0][0]] + pieces[k * 7: k * 7 + n - 2] + [seqs[0][-1]]
         for k, n in enumerate([33, 70, 129, 300])]
batch = longs + seqs[1:6]
ref = np.array([plain(s) for s in batch])
for prec in ['fp32', 'fp16', 'bf16']:
    out = forward(batch, prec)
    print('%s vs plain BERT, %d packed sequences of %s tokens: max abs %.3g, '
          'min cosine %.7f' % (prec, len(batch), [len(s) for s in batch],
                               np.abs(out - ref).max(), cosine(out, ref).min()),
          flush=True)
if gold_path:
    golden = np.load(gold_path)
    for prec in ['fp32', 'fp16', 'bf16']:
        md, mc, s0, k = 0, 1, 0, 0
        while s0 < min(N, len(seqs)):
            b = min([16, 1, 7, 5][k % 4], N - s0); k += 1
            out = forward(seqs[s0:s0 + b], prec)
            md = max(md, np.abs(out - golden[s0:s0 + b]).max())
            mc = min(mc, cosine(out, golden[s0:s0 + b]).min()); s0 += b
        print('%s vs sentence-transformers, %d sentences in mixed batches: '
              'max abs %.3g, min cosine %.7f' % (prec, s0, md, mc), flush=True)
