/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Attention of one sequence, fused per head: S = scale * Q K^T, softmax
 * over each row, ctx = P V, written straight into the heads' interleaved
 * columns of ctx. Replaces one batched and nh single OpenBLAS calls per
 * layer (each packing its small operands) and a scalar expf softmax.
 *
 * K is transposed per head into a [dh][np] block (np: n rounded up to a
 * multiple of 16, zero padded), so a row of scores is a few vectors of
 * FMA chains over d in order, like the GEMM. The exponential is Cephes'
 * expf (range reduction by ln 2 in two parts, degree-6 polynomial, within
 * about 1 ulp), vectorised. P V runs several query rows at once so that
 * independent FMA chains hide the FMA latency. fp32 throughout, like the
 * GEMMs it replaces.
 */
#include "config.h"

#include "bert-cpu.h"

#include <float.h>
#include <math.h>
#include <string.h>

#define ATTN_PAD 16
#define ATTN_ROWS 8 /* a multiple of every P V row block */

size_t text__attn_scratch(size_t n, size_t dh)
{
    size_t np = (n + ATTN_PAD - 1) / ATTN_PAD * ATTN_PAD;
    return (dh + ATTN_ROWS) * np;
}

/* out = exp(x) for x >= -87.34 (below it, exp(-87.34) ~ 1e-38: callers
 * only feed x - max(x), where such terms vanish next to the 1 at the
 * maximum). */
#define EXP_VEC(VT, VI, x)                                                  \
    ({                                                                      \
        VT x_ = (x), lo_ = (VT){ 0 } - 87.336544f,                          \
           hi_ = (VT){ 0 } + 88.376263f;                                    \
        VI m_ = x_ < lo_;                                                   \
        x_ = (VT)(((VI)x_ & ~m_) | ((VI)lo_ & m_));                         \
        m_ = x_ > hi_;                                                      \
        x_ = (VT)(((VI)x_ & ~m_) | ((VI)hi_ & m_));                         \
        VT n_ = (x_ * 1.44269504088896341f + 12582912.0f) - 12582912.0f;    \
        VT r_ = x_ - n_ * 0.693359375f;                                     \
        r_ = r_ - n_ * -2.12194440e-4f;                                     \
        VT y_ = r_ * 1.9875691500e-4f + 1.3981999507e-3f;                   \
        y_ = y_ * r_ + 8.3334519073e-3f;                                    \
        y_ = y_ * r_ + 4.1665795894e-2f;                                    \
        y_ = y_ * r_ + 1.6666665459e-1f;                                    \
        y_ = y_ * r_ + 5.0000001201e-1f;                                    \
        y_ = y_ * (r_ * r_) + r_ + 1.0f;                                    \
        VI e_ = (__builtin_convertvector(n_, VI) + 127) << 23;              \
        y_ * (VT)e_;                                                        \
    })

#define DEFINE_ATTN(SFX, ATTR, VL, SR, ACC)                                 \
    typedef float vf_##SFX __attribute__((vector_size(VL * 4)));            \
    typedef int32_t vi_##SFX __attribute__((vector_size(VL * 4)));          \
    /* nb vectors of scores of sr query rows (@ld apart). */                \
    ATTR static inline __attribute__((always_inline)) void score_##SFX(     \
        const int nb, const int sr, const float *qi, size_t ld, size_t dh,  \
        const float *kt, size_t np, float scale, float *out)                \
    {                                                                       \
        vf_##SFX acc[2][8];                                                 \
        TEXT_UNROLL for (int r = 0; r < sr; r++)                            \
            TEXT_UNROLL for (int b = 0; b < nb; b++)                        \
                acc[r][b] = (vf_##SFX){ 0 };                                \
        for (size_t d = 0; d < dh; d++) {                                   \
            TEXT_UNROLL for (int b = 0; b < nb; b++) {                      \
                vf_##SFX kv;                                                \
                memcpy(&kv, kt + d * np + b * VL, sizeof kv);               \
                TEXT_UNROLL for (int r = 0; r < sr; r++)                    \
                    acc[r][b] += kv * qi[r * ld + d];                       \
            }                                                               \
        }                                                                   \
        TEXT_UNROLL for (int r = 0; r < sr; r++)                            \
            TEXT_UNROLL for (int b = 0; b < nb; b++) {                      \
                acc[r][b] *= scale;                                         \
                memcpy(out + r * np + b * VL, &acc[r][b], sizeof acc[r][b]); \
            }                                                               \
    }                                                                       \
    /* rb query rows of P V, dh = nv vectors. */                            \
    ATTR static inline __attribute__((always_inline)) void pv_##SFX(        \
        const int rb, const int nv, const float *p, size_t np,              \
        const float *v, size_t ld, size_t n, float *c, size_t ldc)          \
    {                                                                       \
        vf_##SFX acc[8][8];                                                 \
        TEXT_UNROLL for (int r = 0; r < rb; r++)                            \
            TEXT_UNROLL for (int t = 0; t < nv; t++)                        \
                acc[r][t] = (vf_##SFX){ 0 };                                \
        for (size_t j = 0; j < n; j++) {                                    \
            vf_##SFX vv[8];                                                 \
            TEXT_UNROLL for (int t = 0; t < nv; t++)                        \
                memcpy(&vv[t], v + j * ld + t * VL, sizeof vv[t]);          \
            TEXT_UNROLL for (int r = 0; r < rb; r++) {                      \
                const float a = p[r * np + j];                              \
                TEXT_UNROLL for (int t = 0; t < nv; t++)                    \
                    acc[r][t] += vv[t] * a;                                 \
            }                                                               \
        }                                                                   \
        TEXT_UNROLL for (int r = 0; r < rb; r++)                            \
            TEXT_UNROLL for (int t = 0; t < nv; t++)                        \
                memcpy(c + r * ldc + t * VL, &acc[r][t], sizeof acc[r][t]); \
    }                                                                       \
    ATTR static void pv_rows_##SFX(const float *p, size_t np,               \
                                   const float *v, size_t ld, size_t n,     \
                                   size_t rows, size_t dh, float *c,        \
                                   size_t ldc)                              \
    {                                                                       \
        size_t nv = dh / VL, i = 0;                                         \
        if (dh % VL || nv > 8) {                                            \
            for (; i < rows; i++)                                           \
                for (size_t d = 0; d < dh; d++) {                           \
                    float s = 0;                                            \
                    for (size_t j = 0; j < n; j++)                          \
                        s += p[i * np + j] * v[j * ld + d];                 \
                    c[i * ldc + d] = s;                                     \
                }                                                           \
            return;                                                         \
        }                                                                   \
        /* ACC accumulators: rb = ACC / nv rows at a time (at most 8). */   \
        size_t nvp = nv > 4 ? 8 : nv > 2 ? 4 : nv > 1 ? 2 : 1;              \
        size_t rb = ACC / nvp > 8 ? 8 : ACC / nvp;                          \
        for (; i + rb <= rows; i += rb) {                                   \
            const float *pi = p + i * np;                                   \
            float *ci = c + i * ldc;                                        \
            switch (nv) {                                                   \
            case 1: pv_##SFX(8, 1, pi, np, v, ld, n, ci, ldc); break;       \
            case 2: pv_##SFX(ACC / 2, 2, pi, np, v, ld, n, ci, ldc); break; \
            case 3: pv_##SFX(ACC / 4, 3, pi, np, v, ld, n, ci, ldc); break; \
            case 4: pv_##SFX(ACC / 4, 4, pi, np, v, ld, n, ci, ldc); break; \
            default: pv_##SFX(ACC / 8, 8, pi, np, v, ld, n, ci, ldc); break; \
            }                                                               \
        }                                                                   \
        for (; i < rows; i++) {                                             \
            const float *pi = p + i * np;                                   \
            float *ci = c + i * ldc;                                        \
            switch (nv) {                                                   \
            case 1: pv_##SFX(1, 1, pi, np, v, ld, n, ci, ldc); break;       \
            case 2: pv_##SFX(1, 2, pi, np, v, ld, n, ci, ldc); break;       \
            case 3: pv_##SFX(1, 3, pi, np, v, ld, n, ci, ldc); break;       \
            case 4: pv_##SFX(1, 4, pi, np, v, ld, n, ci, ldc); break;       \
            default: pv_##SFX(1, 8, pi, np, v, ld, n, ci, ldc); break;      \
            }                                                               \
        }                                                                   \
    }                                                                       \
    /* Softmax of one row of n scores (np, padded, allocated). The          \
     * padding is set to -FLT_MAX, so its exponentials (exp(-87.34),        \
     * ~1e-38 each) add nothing to the sum in float; P V never reads        \
     * them. Lane reductions run as trees, not one long chain. */           \
    ATTR static void softmax_##SFX(float *s, size_t n, size_t np)           \
    {                                                                       \
        for (size_t j = n; j < np; j++)                                     \
            s[j] = -FLT_MAX;                                                \
        vf_##SFX mx, e, sum = { 0 };                                        \
        float t[VL];                                                        \
        double u[VL];                                                       \
        memcpy(&mx, s, sizeof mx);                                          \
        for (size_t j = VL; j < np; j += VL) {                              \
            memcpy(&e, s + j, sizeof e);                                    \
            vi_##SFX gt = e > mx;                                           \
            mx = (vf_##SFX)(((vi_##SFX)mx & ~gt) | ((vi_##SFX)e & gt));     \
        }                                                                   \
        memcpy(t, &mx, sizeof t);                                           \
        TEXT_UNROLL for (int h = VL / 2; h; h /= 2)                         \
            TEXT_UNROLL for (int l = 0; l < h; l++)                         \
                t[l] = t[l + h] > t[l] ? t[l + h] : t[l];                   \
        const float m = t[0];                                               \
        for (size_t j = 0; j < np; j += VL) {                               \
            memcpy(&e, s + j, sizeof e);                                    \
            e = EXP_VEC(vf_##SFX, vi_##SFX, e - m);                         \
            sum += e;                                                       \
            memcpy(s + j, &e, sizeof e);                                    \
        }                                                                   \
        TEXT_UNROLL for (int l = 0; l < VL; l++)                            \
            u[l] = sum[l];                                                  \
        TEXT_UNROLL for (int h = VL / 2; h; h /= 2)                         \
            TEXT_UNROLL for (int l = 0; l < h; l++)                         \
                u[l] += u[l + h];                                           \
        const float inv = (float)(1.0 / u[0]);                              \
        for (size_t j = 0; j < np; j += VL) {                               \
            memcpy(&e, s + j, sizeof e);                                    \
            e *= inv;                                                       \
            memcpy(s + j, &e, sizeof e);                                    \
        }                                                                   \
    }                                                                       \
    ATTR void text__attn_##SFX(const float *q, const float *k,              \
                               const float *v, size_t ld, size_t n,         \
                               size_t nh, size_t dh, float scale,           \
                               float *ctx, size_t ldc, float *work)         \
    {                                                                       \
        const size_t np = (n + ATTN_PAD - 1) / ATTN_PAD * ATTN_PAD;         \
        float *kt = work, *p = work + dh * np;                              \
        for (size_t h = 0; h < nh; h++) {                                   \
            const float *kh = k + h * dh;                                   \
            for (size_t j = 0; j < n; j++)                                  \
                for (size_t d = 0; d < dh; d++)                             \
                    kt[d * np + j] = kh[j * ld + d];                        \
            for (size_t d = 0; d < dh; d++)                                 \
                memset(kt + d * np + n, 0, (np - n) * sizeof *kt);          \
            /* Blocks of ATTN_ROWS query rows: their scores stay in L1      \
             * from QK^T through the softmax to P V. */                     \
            for (size_t i0 = 0; i0 < n; i0 += ATTN_ROWS) {                  \
                size_t rows = n - i0 < ATTN_ROWS ? n - i0 : ATTN_ROWS;      \
                for (size_t i = 0; i < rows; i += SR) {                     \
                    const float *qi = q + (i0 + i) * ld + h * dh;           \
                    float *pi = p + i * np;                                 \
                    for (size_t j = 0; j < np; j += 8 * VL) {               \
                        size_t left = (np - j) / VL;                        \
                        const float *ktj = kt + j;                          \
                        float *pj = pi + j;                                 \
                        if (SR > 1 && i + 1 < rows) {                       \
                            TEXT_SWITCH8(left, 8, ATTN_SCORE2_##SFX)        \
                        } else {                                            \
                            TEXT_SWITCH8(left, 8, ATTN_SCORE_##SFX)         \
                        }                                                   \
                    }                                                       \
                    for (size_t r = 0; r < SR && i + r < rows; r++)         \
                        softmax_##SFX(pi + r * np, n, np);                  \
                }                                                           \
                pv_rows_##SFX(p, np, v + h * dh, ld, n, rows, dh,           \
                              ctx + i0 * ldc + h * dh, ldc);                \
            }                                                               \
        }                                                                   \
    }

/* SR query rows per pass over K^T, ACC accumulators in P V: as many as
 * the ISA's vector registers hold. */
#define ATTN_SCORE_generic(c)                                                \
    score_generic(c, 1, qi, ld, dh, ktj, np, scale, pj)
#define ATTN_SCORE2_generic(c) ATTN_SCORE_generic(c)
DEFINE_ATTN(generic, , 4, 1, 8)
#ifdef TEXT_HAVE_X86_KERNELS
#define ATTN_SCORE_avx2(c) score_avx2(c, 1, qi, ld, dh, ktj, np, scale, pj)
#define ATTN_SCORE2_avx2(c) ATTN_SCORE_avx2(c)
DEFINE_ATTN(avx2, __attribute__((target("avx2,fma"))), 8, 1, 8)
#define ATTN_SCORE_avx512(c)                                                \
    score_avx512(c, 1, qi, ld, dh, ktj, np, scale, pj)
#define ATTN_SCORE2_avx512(c)                                               \
    score_avx512(c, 2, qi, ld, dh, ktj, np, scale, pj)
DEFINE_ATTN(avx512, __attribute__((target("avx512f"))), 16, 2, 16)
#endif
