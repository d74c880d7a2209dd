/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The dense layers' GEMM: y[M,N] = x[M,K] W^T + b (optionally GELU), with
 * W repacked once into panels of NR output columns, each panel [K][NR]
 * contiguous, so the kernel streams the weights with unit stride and no
 * per-call packing (OpenBLAS repacks the whole weight matrix on every
 * call, which at 16 tokens costs as much as the arithmetic).
 *
 * Every output element is one fp32 FMA chain over k in order, starting
 * from the bias, like a BLAS microkernel, so results match OpenBLAS to
 * rounding. Blocking over k stores the partial sums to y and reloads
 * them, which keeps that chain (and the result) bit for bit.
 *
 * Blocking: at batch 1 the weights (~42 MB for MiniLM) do not fit in any
 * cache and memory bandwidth bounds the layer, so each weight must come
 * from memory once per call. The rows of x (up to GEMM_MC of them) are
 * all run against one panel before the next, with K cut into blocks small
 * enough that the block of x stays in L2; the panel block is then reused
 * from L1/L2 by every row tile. While one panel's row tiles run, they
 * prefetch the next panel block into L2 in equal shares, so that the
 * stream from memory overlaps the arithmetic (the hardware prefetcher
 * alone left ~20 % of the 16-token time on the table).
 *
 * Register tiles: MR rows by NR = NV vectors of VL floats; AVX-512 8x48
 * (24 accumulators of 32 registers), AVX2 4x24 (12 of 16), portable
 * 2x16. Per k the kernel loads NV weight vectors and broadcasts MR
 * scalars of x for MR*NV FMAs, so FMAs, not loads, bound it. The build
 * has no -march flags: the kernels are compiled through target attributes
 * and picked at load with __builtin_cpu_supports.
 */
#include "config.h"

#include "bert-cpu.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define GEMM_MC 512                /* rows of x per pass over the weights */
#define GEMM_XBYTES (384u << 10)   /* bytes of x kept in L2 per k block */

void text__gemm_pack(size_t panel, size_t parts, const float *const *w,
                     const float *const *b, const size_t *rows, size_t K,
                     float **cur, size_t *used, float **wp, float **bp)
{
    size_t N = 0;
    for (size_t i = 0; i < parts; i++)
        N += rows[i];
    size_t np = (N + panel - 1) / panel;
    *used += np * panel * (K + 1);
    if (!*cur)
        return;
    *wp = *cur;
    *bp = *wp + np * panel * K;
    *cur = *bp + np * panel;
    memset(*bp, 0, np * panel * sizeof(float));
    /* Row n of the stacked matrix (NULL past the end: zero padding). */
    const float *src[64];
    for (size_t p = 0, part = 0, r = 0; p < np; p++) {
        float *dst = *wp + p * panel * K;
        for (size_t j = 0; j < panel; j++, r++) {
            while (part < parts && r == rows[part])
                part++, r = 0;
            src[j] = part < parts ? w[part] + r * K : NULL;
            if (src[j])
                (*bp)[p * panel + j] = b[part][r];
        }
        /* Blocks of 16 k: one cache line of each source row. */
        for (size_t k0 = 0; k0 < K; k0 += 16) {
            size_t k1 = K - k0 < 16 ? K : k0 + 16;
            for (size_t j = 0; j < panel; j++)
                for (size_t k = k0; k < k1; k++)
                    dst[k * panel + j] = src[j] ? src[j][k] : 0.0f;
        }
    }
}

/* GELU with erf from the rational approximation Eigen and TensorFlow use
 * for float erf (x clamped to [-4, 4], where erf is 1 in float). */
#define GELU_VEC(VT, VI, v)                                                 \
    do {                                                                    \
        VT t_ = (v) * (float)M_SQRT1_2, z_ = (v) * 0.0f;                    \
        VI hi_ = t_ > z_ + 4.0f, lo_ = t_ < z_ - 4.0f;                      \
        t_ = (VT)(((VI)t_ & ~(hi_ | lo_)) | ((VI)(z_ + 4.0f) & hi_) |       \
                  ((VI)(z_ - 4.0f) & lo_));                                 \
        VT x2_ = t_ * t_;                                                   \
        VT p_ = x2_ * -2.72614225801306e-10f + 2.77068142495902e-08f;       \
        p_ = x2_ * p_ - 2.10102402082508e-06f;                              \
        p_ = x2_ * p_ - 5.69250639462346e-05f;                              \
        p_ = x2_ * p_ - 7.34990630326855e-04f;                              \
        p_ = x2_ * p_ - 2.95459980854025e-03f;                              \
        p_ = x2_ * p_ - 1.60960333262415e-02f;                              \
        p_ = t_ * p_;                                                       \
        VT q_ = x2_ * -1.45660718464996e-05f - 2.13374055278905e-04f;       \
        q_ = x2_ * q_ - 1.68282697438203e-03f;                              \
        q_ = x2_ * q_ - 7.37332916720468e-03f;                              \
        q_ = x2_ * q_ - 1.42647390514189e-02f;                              \
        (v) = 0.5f * (v) * (1.0f + p_ / q_);                                \
    } while (0)

enum { GEMM_FIRST = 1, GEMM_GELU = 2 };

/* One k of a tile: acc[r][:] += x[r][k] * w[k][:]. */
#define GEMM_KSTEP(SFX, VL, NV)                                              \
    do {                                                                     \
        vf_##SFX wv[NV];                                                     \
        TEXT_UNROLL for (int j = 0; j < NV; j++)                             \
            memcpy(&wv[j], w + j * VL, sizeof wv[j]);                        \
        TEXT_UNROLL for (int r = 0; r < mr; r++) {                           \
            const float a = x[(size_t)r * ldx + k];                          \
            TEXT_UNROLL for (int j = 0; j < NV; j++)                         \
                acc[r][j] += wv[j] * a;                                      \
        }                                                                    \
    } while (0)

/* One ISA's kernel. tile_SFX computes mr (<= MR) rows by one panel over
 * kc values of k and stores the sums; @flags says whether this k block is
 * the first (start from the bias, else from y) and whether to apply GELU
 * (the last block, when asked). */
#define DEFINE_GEMM(SFX, ATTR, VL, NV, MR)                                  \
    typedef float vf_##SFX __attribute__((vector_size(VL * 4)));            \
    typedef int32_t vi_##SFX __attribute__((vector_size(VL * 4)));          \
    ATTR static inline __attribute__((always_inline)) void tile_##SFX(      \
        const int mr, const float *x, size_t ldx, size_t kc, const float *w, \
        const float *b, unsigned flags, float *y, size_t ldy, size_t nc,    \
        const char *pf, const char *pf_end, int npf)                        \
    {                                                                       \
        enum { NR = VL * NV };                                              \
        vf_##SFX acc[MR][NV];                                               \
        if (flags & GEMM_FIRST) {                                           \
            TEXT_UNROLL for (int r = 0; r < mr; r++)                        \
                TEXT_UNROLL for (int j = 0; j < NV; j++)                    \
                    memcpy(&acc[r][j], b + j * VL, sizeof acc[r][j]);       \
        } else {                                                            \
            TEXT_UNROLL for (int r = 0; r < mr; r++) {                      \
                if (nc == NR) {                                             \
                    memcpy(acc[r], y + (size_t)r * ldy, sizeof acc[r]);     \
                } else {                                                    \
                    float tmp[NR] = { 0 };                                  \
                    memcpy(tmp, y + (size_t)r * ldy, nc * sizeof *tmp);     \
                    memcpy(acc[r], tmp, sizeof tmp);                        \
                }                                                           \
            }                                                               \
        }                                                                   \
        /* The first kpf steps also prefetch (npf lines each), the     \
         * rest do not test for it. */                                  \
        size_t kpf = (size_t)(pf_end - pf + 64 * npf - 1) / (64 * npf);     \
        size_t k = 0;                                                       \
        if (kpf > kc)                                                       \
            kpf = kc;                                                       \
        for (; k < kpf; k++, w += NR, pf += 64 * npf) {                     \
            __builtin_prefetch(pf, 0, 2);                                   \
            if (npf > 1)                                                    \
                __builtin_prefetch(pf + 64, 0, 2);                          \
            if (npf > 2)                                                    \
                __builtin_prefetch(pf + 128, 0, 2);                         \
            GEMM_KSTEP(SFX, VL, NV);                                        \
        }                                                                   \
        for (; k < kc; k++, w += NR)                                        \
            GEMM_KSTEP(SFX, VL, NV);                                        \
        TEXT_UNROLL for (int r = 0; r < mr; r++) {                          \
            if (flags & GEMM_GELU)                                          \
                TEXT_UNROLL for (int j = 0; j < NV; j++)                    \
                    GELU_VEC(vf_##SFX, vi_##SFX, acc[r][j]);                \
            if (nc == NR) {                                                 \
                memcpy(y + (size_t)r * ldy, acc[r], sizeof acc[r]);         \
            } else {                                                        \
                float tmp[NR];                                              \
                memcpy(tmp, acc[r], sizeof tmp);                            \
                memcpy(y + (size_t)r * ldy, tmp, nc * sizeof *tmp);         \
            }                                                               \
        }                                                                   \
    }                                                                       \
    ATTR static void gemm_##SFX(const float *x, size_t ldx, size_t M,       \
                                size_t K, const float *wp, const float *bp, \
                                size_t N, bool gelu, float *y, size_t ldy)  \
    {                                                                       \
        enum { NR = VL * NV };                                              \
        const size_t mc = M < GEMM_MC ? M : GEMM_MC;                        \
        size_t kc = GEMM_XBYTES / sizeof(float) / mc;                       \
        if (kc >= K) {                                                      \
            kc = K;                                                         \
        } else {                                                            \
            size_t nk = (K + kc - 1) / kc;                                  \
            kc = (K + nk - 1) / nk;                                         \
        }                                                                   \
        for (size_t m0 = 0; m0 < M; m0 += mc) {                             \
            size_t m1 = M - m0 < mc ? M : m0 + mc;                          \
            for (size_t k0 = 0; k0 < K; k0 += kc) {                         \
                size_t k1 = K - k0 < kc ? K : k0 + kc;                      \
                unsigned fl = (k0 == 0 ? GEMM_FIRST : 0) |                  \
                              (k1 == K && gelu ? GEMM_GELU : 0);            \
                for (size_t n0 = 0; n0 < N; n0 += NR) {                     \
                    const float *w = wp + n0 * K + k0 * NR, *b = bp + n0;   \
                    size_t nc = N - n0 < NR ? N - n0 : NR;                  \
                    /* The next panel block, prefetched into L2 in equal    \
                     * shares by this panel's row tiles. */                 \
                    const char *pf = (const char *)w, *pf_end = pf;         \
                    size_t share = 0, tiles = (m1 - m0 + MR - 1) / MR;      \
                    int npf = tiles == 1 ? 3 : tiles == 2 ? 2 : 1;          \
                    if (n0 + NR < N || k1 < K) {                            \
                        pf = (const char *)(n0 + NR < N ? w + NR * K        \
                                                        : wp + k1 * NR);    \
                        share = (k1 - k0) * NR * sizeof(float);             \
                        pf_end = pf + share;                                \
                        share = (share + tiles - 1) / tiles;                \
                    }                                                       \
                    for (size_t r = m0; r < m1; r += MR) {                  \
                        const float *xr = x + r * ldx + k0;                 \
                        float *yr = y + r * ldy + n0;                       \
                        const char *pe =                                    \
                            (size_t)(pf_end - pf) > share ? pf + share      \
                                                          : pf_end;         \
                        int left = m1 - r < MR ? (int)(m1 - r) : MR;        \
                        TEXT_SWITCH8(left, MR, GEMM_TILE_##SFX)             \
                        pf = pe;                                            \
                    }                                                       \
                }                                                           \
            }                                                               \
        }                                                                   \
    }

#define GEMM_TILE_generic(c)                                                \
    tile_generic(c, xr, ldx, k1 - k0, w, b, fl, yr, ldy, nc, pf, pe, npf)
DEFINE_GEMM(generic, , 4, 4, 2)
#ifdef TEXT_HAVE_X86_KERNELS
#define GEMM_TILE_avx2(c)                                                   \
    tile_avx2(c, xr, ldx, k1 - k0, w, b, fl, yr, ldy, nc, pf, pe, npf)
DEFINE_GEMM(avx2, __attribute__((target("avx2,fma"))), 8, 3, 4)
#define GEMM_TILE_avx512(c)                                                 \
    tile_avx512(c, xr, ldx, k1 - k0, w, b, fl, yr, ldy, nc, pf, pe, npf)
DEFINE_GEMM(avx512, __attribute__((target("avx512f"))), 16, 3, 8)
#endif

/* x = LayerNorm(x + y) * g + b per row of @n (@y may be NULL), the
 * statistics in double like the portable version in bert.c (two chains
 * of VL/2 lanes each), the normalisation in double, the affine part in
 * float. */
#define DEFINE_LN(SFX, ATTR, VL)                                            \
    typedef float vh_##SFX __attribute__((vector_size(VL * 2)));            \
    typedef double vd_##SFX __attribute__((vector_size(VL * 4)));           \
    ATTR static void ln_##SFX(float *x, const float *y, size_t rows,        \
                              size_t n, const float *g, const float *b,     \
                              double eps)                                   \
    {                                                                       \
        enum { HL = VL / 2 };                                               \
        for (size_t r = 0; r < rows; r++) {                                 \
            float *v = x + r * n;                                           \
            vd_##SFX s0 = { 0 }, s1 = { 0 };                                \
            vh_##SFX a, c;                                                  \
            double mean, var, tail = 0;                                     \
            size_t i;                                                       \
            if (y)                                                          \
                for (i = 0; i < n; i++)                                     \
                    v[i] += y[r * n + i];                                   \
            for (i = 0; i + 2 * HL <= n; i += 2 * HL) {                     \
                memcpy(&a, v + i, sizeof a);                                \
                memcpy(&c, v + i + HL, sizeof c);                           \
                s0 += __builtin_convertvector(a, vd_##SFX);                 \
                s1 += __builtin_convertvector(c, vd_##SFX);                 \
            }                                                               \
            for (; i < n; i++)                                              \
                tail += v[i];                                               \
            s0 += s1;                                                       \
            mean = tail;                                                    \
            for (int l = 0; l < HL; l++)                                    \
                mean += s0[l];                                              \
            mean /= (double)n;                                              \
            s0 = s1 = (vd_##SFX){ 0 };                                      \
            tail = 0;                                                       \
            for (i = 0; i + 2 * HL <= n; i += 2 * HL) {                     \
                memcpy(&a, v + i, sizeof a);                                \
                memcpy(&c, v + i + HL, sizeof c);                           \
                vd_##SFX d0 = __builtin_convertvector(a, vd_##SFX) - mean;  \
                vd_##SFX d1 = __builtin_convertvector(c, vd_##SFX) - mean;  \
                s0 += d0 * d0;                                              \
                s1 += d1 * d1;                                              \
            }                                                               \
            for (; i < n; i++)                                              \
                tail += (v[i] - mean) * (v[i] - mean);                      \
            s0 += s1;                                                       \
            var = tail;                                                     \
            for (int l = 0; l < HL; l++)                                    \
                var += s0[l];                                               \
            var /= (double)n;                                               \
            const double inv = 1.0 / sqrt(var + eps);                       \
            for (i = 0; i + HL <= n; i += HL) {                             \
                vh_##SFX gg, bb;                                            \
                memcpy(&a, v + i, sizeof a);                                \
                memcpy(&gg, g + i, sizeof gg);                              \
                memcpy(&bb, b + i, sizeof bb);                              \
                vd_##SFX d = __builtin_convertvector(a, vd_##SFX) - mean;    \
                d *= inv;                                                    \
                a = __builtin_convertvector(d, vh_##SFX) * gg + bb;         \
                memcpy(v + i, &a, sizeof a);                                \
            }                                                               \
            for (; i < n; i++)                                              \
                v[i] = (float)((v[i] - mean) * inv) * g[i] + b[i];          \
        }                                                                   \
    }

DEFINE_LN(generic, , 4)
#ifdef TEXT_HAVE_X86_KERNELS
DEFINE_LN(avx2, __attribute__((target("avx2,fma"))), 8)
DEFINE_LN(avx512, __attribute__((target("avx512f"))), 16)
#endif

void text__cpu_pick(text_bert *m)
{
    const char *cap = getenv("WEFT_TEXT_ISA");

    m->gemm = gemm_generic;
    m->ln = ln_generic;
    m->attn = text__attn_generic;
    m->panel = 16;
    m->gemm_isa = "generic";
    if (cap && !strcmp(cap, "generic"))
        return;
#ifdef TEXT_HAVE_X86_KERNELS
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && !(cap && !strcmp(cap, "avx2"))) {
        m->gemm = gemm_avx512;
        m->ln = ln_avx512;
        m->attn = text__attn_avx512;
        m->panel = 48;
        m->gemm_isa = "avx512";
    } else if (__builtin_cpu_supports("avx2") &&
               __builtin_cpu_supports("fma")) {
        m->gemm = gemm_avx2;
        m->ln = ln_avx2;
        m->attn = text__attn_avx2;
        m->panel = 24;
        m->gemm_isa = "avx2";
    }
#endif
}
