/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ops.c: the CPU reference of every ops.h operation, and the dispatch to
 * the CUDA kernels for a CUDA context. The loops are written so that the
 * compiler vectorises the inner ones (contiguous columns, no aliasing).
 */
#include "config.h"

#include "ops.h"

#include <math.h>

#ifdef WEFT_HAVE_CUDA
#include "cuda/asr-cuda.h"
#define ON_CUDA(k, call)                                                     \
    do {                                                                     \
        if (weft_kctx_backend(k) == WEFT_K_BACKEND_CUDA)                     \
            return (call);                                                   \
    } while (0)
#else
#define ON_CUDA(k, call)                                                     \
    do {                                                                     \
        if (weft_kctx_backend(k) == WEFT_K_BACKEND_CUDA)                     \
            return WEFT_ENOTSUP;                                             \
    } while (0)
#endif
#define STREAM(k) weft_kctx_stream(k)

static inline float sigm(float x)
{
    return 1.0f / (1.0f + expf(-x));
}

int asr_op_bias_rows(weft_kctx *k, float *y, const float *b, int64_t n,
                     int64_t d)
{
    ON_CUDA(k, asr_cu_bias_rows(STREAM(k), y, b, n, d));
    for (int64_t i = 0; i < n; i++) {
        float *restrict r = y + i * d;
        for (int64_t j = 0; j < d; j++)
            r[j] = b ? b[j] : 0.0f;
    }
    return 0;
}

int asr_op_normalize(weft_kctx *k, float *x, const float *mean,
                     const float *std, int64_t n, int64_t d)
{
    ON_CUDA(k, asr_cu_normalize(STREAM(k), x, mean, std, n, d));
    for (int64_t i = 0; i < n; i++) {
        float *restrict r = x + i * d;
        for (int64_t j = 0; j < d; j++)
            r[j] = (r[j] - mean[j]) / std[j];
    }
    return 0;
}

int asr_op_affine(weft_kctx *k, float *x, const float *a, const float *b,
                  int64_t n, int64_t d)
{
    ON_CUDA(k, asr_cu_affine(STREAM(k), x, a, b, n, d));
    for (int64_t i = 0; i < n; i++) {
        float *restrict r = x + i * d;
        for (int64_t j = 0; j < d; j++)
            r[j] = r[j] * a[j] + b[j];
    }
    return 0;
}

int asr_op_layernorm(weft_kctx *k, float *x, const float *g, const float *b,
                     float eps, int64_t n, int64_t d)
{
    ON_CUDA(k, asr_cu_layernorm(STREAM(k), x, g, b, eps, n, d));
    for (int64_t i = 0; i < n; i++) {
        float *restrict r = x + i * d;
        double mu = 0, var = 0;
        float inv;
        for (int64_t j = 0; j < d; j++)
            mu += r[j];
        mu /= (double)d;
        for (int64_t j = 0; j < d; j++)
            var += (r[j] - mu) * (r[j] - mu);
        var /= (double)d;
        inv = (float)(1.0 / sqrt(var + eps));
        for (int64_t j = 0; j < d; j++)
            r[j] = ((r[j] - (float)mu) * inv) * g[j] + b[j];
    }
    return 0;
}

int asr_op_act(weft_kctx *k, asr_op op, float *x, int64_t count)
{
    ON_CUDA(k, asr_cu_act(STREAM(k), (int)op - (int)ASR_RELU, x, count));
    switch (op) {
    case ASR_RELU:
        for (int64_t i = 0; i < count; i++)
            x[i] = x[i] > 0.0f ? x[i] : 0.0f;
        break;
    case ASR_GELU:
        for (int64_t i = 0; i < count; i++)
            x[i] = 0.5f * x[i] * (1.0f + erff(x[i] * (float)M_SQRT1_2));
        break;
    default:
        for (int64_t i = 0; i < count; i++)
            x[i] = x[i] * sigm(x[i]);
        break;
    }
    return 0;
}

int asr_op_im2col(weft_kctx *k, float *col, const float *ext, int64_t n_out,
                  int64_t t0, int64_t s, int64_t kw, int64_t dil, int64_t c)
{
    ON_CUDA(k, asr_cu_im2col(STREAM(k), col, ext, n_out, t0, s, kw, dil, c));
    for (int64_t i = 0; i < n_out; i++) {
        float *restrict row = col + i * c * kw;
        for (int64_t tap = 0; tap < kw; tap++) {
            const float *restrict src = ext + (t0 + i * s + tap * dil) * c;
            for (int64_t ch = 0; ch < c; ch++)
                row[ch * kw + tap] = src[ch];
        }
    }
    return 0;
}

int asr_op_depthwise(weft_kctx *k, float *y, const float *ext,
                     const float *w, const float *b, int64_t n_out,
                     int64_t t0, int64_t s, int64_t kw, int64_t dil,
                     int64_t c)
{
    ON_CUDA(k, asr_cu_depthwise(STREAM(k), y, ext, w, b, n_out, t0, s, kw,
                                dil, c));
    for (int64_t i = 0; i < n_out; i++) {
        float *restrict r = y + i * c;
        for (int64_t ch = 0; ch < c; ch++)
            r[ch] = b ? b[ch] : 0.0f;
        for (int64_t tap = 0; tap < kw; tap++) {
            const float *restrict src = ext + (t0 + i * s + tap * dil) * c;
            for (int64_t ch = 0; ch < c; ch++)
                r[ch] += w[ch * kw + tap] * src[ch];
        }
    }
    return 0;
}

int asr_op_residual(weft_kctx *k, float *y, const float *x, const float *rs,
                    int64_t n, int64_t d)
{
    ON_CUDA(k, asr_cu_residual(STREAM(k), y, x, rs, n, d));
    for (int64_t i = 0; i < n; i++) {
        float *restrict r = y + i * d;
        const float *restrict a = x + i * d;
        for (int64_t j = 0; j < d; j++)
            r[j] += rs ? rs[j] * a[j] : a[j];
    }
    return 0;
}

int asr_op_gru_gates(weft_kctx *k, const float *gi, const float *gh,
                     float *h, float *y, int64_t hid)
{
    ON_CUDA(k, asr_cu_gru_gates(STREAM(k), gi, gh, h, y, hid));
    for (int64_t j = 0; j < hid; j++) {
        float r = sigm(gi[j] + gh[j]);
        float z = sigm(gi[hid + j] + gh[hid + j]);
        float nn = tanhf(gi[2 * hid + j] + r * gh[2 * hid + j]);
        h[j] = (1.0f - z) * nn + z * h[j];
        y[j] = h[j];
    }
    return 0;
}

int asr_op_lstm_gates(weft_kctx *k, const float *g, const float *bh,
                      float *c, float *h, float *y, int64_t hid)
{
    ON_CUDA(k, asr_cu_lstm_gates(STREAM(k), g, bh, c, h, y, hid));
    for (int64_t j = 0; j < hid; j++) {
        float i = sigm(g[j] + bh[j]);
        float f = sigm(g[hid + j] + bh[hid + j]);
        float gg = tanhf(g[2 * hid + j] + bh[2 * hid + j]);
        float o = sigm(g[3 * hid + j] + bh[3 * hid + j]);
        c[j] = f * c[j] + i * gg;
        h[j] = o * tanhf(c[j]);
        y[j] = h[j];
    }
    return 0;
}

int asr_op_log_softmax(weft_kctx *k, float *x, int64_t n, int64_t d)
{
    ON_CUDA(k, asr_cu_log_softmax(STREAM(k), x, n, d));
    for (int64_t i = 0; i < n; i++) {
        float *restrict r = x + i * d, mx = r[0];
        double sum = 0;
        float lse;
        for (int64_t j = 1; j < d; j++)
            mx = r[j] > mx ? r[j] : mx;
        for (int64_t j = 0; j < d; j++)
            sum += exp((double)(r[j] - mx));
        lse = mx + (float)log(sum);
        for (int64_t j = 0; j < d; j++)
            r[j] -= lse;
    }
    return 0;
}
