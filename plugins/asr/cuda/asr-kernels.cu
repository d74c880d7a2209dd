/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cuda/asr-kernels.cu: the acoustic model's element-wise, convolution
 * gather, recurrent gate, layer norm and log-softmax kernels. ops.c holds
 * the CPU reference of each; tests/asr/test-asr-cuda.c compares whole
 * models on both backends. GEMMs are cuBLAS through libweft-kernels.
 *
 * Element-wise kernels use a grid-stride loop over n*d values; the row
 * reductions (layer norm, log-softmax) use one 256-thread block per row
 * with a shared-memory tree, accumulating in float as PyTorch does.
 * Everything is queued on the caller's stream; nothing synchronizes.
 */
#include <cstdint>

#include <cuda_runtime.h>

#include "asr-cuda.h"

namespace {

constexpr int kThreads = 256;
constexpr int kECuda = -15; /* WEFT_ECUDA */

int grid_for(int64_t n)
{
    int64_t g = (n + kThreads - 1) / kThreads;
    if (g < 1)
        g = 1;
    return (int)(g > 65535 ? 65535 : g);
}

int launched()
{
    return cudaGetLastError() == cudaSuccess ? 0 : kECuda;
}

#define GRID_LOOP(i, n)                                                      \
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < (n); \
         i += (int64_t)blockDim.x * gridDim.x)

__device__ float sigm(float x)
{
    return 1.0f / (1.0f + expf(-x));
}

__global__ void bias_rows_k(float *y, const float *b, int64_t n, int64_t d)
{
    GRID_LOOP(i, n * d)
    y[i] = b ? b[i % d] : 0.0f;
}

__global__ void normalize_k(float *x, const float *mean, const float *std,
                            int64_t n, int64_t d)
{
    GRID_LOOP(i, n * d)
    x[i] = (x[i] - mean[i % d]) / std[i % d];
}

__global__ void affine_k(float *x, const float *a, const float *b, int64_t n,
                         int64_t d)
{
    GRID_LOOP(i, n * d)
    x[i] = x[i] * a[i % d] + b[i % d];
}

__global__ void act_k(int kind, float *x, int64_t n)
{
    GRID_LOOP(i, n)
    {
        float v = x[i];
        if (kind == 0)
            x[i] = v > 0.0f ? v : 0.0f;
        else if (kind == 1)
            x[i] = 0.5f * v * (1.0f + erff(v * 0.70710678118654752f));
        else
            x[i] = v * sigm(v);
    }
}

__global__ void im2col_k(float *col, const float *ext, int64_t n_out,
                         int64_t t0, int64_t s, int64_t kw, int64_t dil,
                         int64_t c)
{
    GRID_LOOP(idx, n_out * c * kw)
    {
        int64_t i = idx / (c * kw), r = idx % (c * kw);
        int64_t ch = r / kw, tap = r % kw;
        col[idx] = ext[(t0 + i * s + tap * dil) * c + ch];
    }
}

__global__ void depthwise_k(float *y, const float *ext, const float *w,
                            const float *b, int64_t n_out, int64_t t0,
                            int64_t s, int64_t kw, int64_t dil, int64_t c)
{
    GRID_LOOP(idx, n_out * c)
    {
        int64_t i = idx / c, ch = idx % c;
        float acc = b ? b[ch] : 0.0f;
        for (int64_t tap = 0; tap < kw; tap++)
            acc += w[ch * kw + tap] * ext[(t0 + i * s + tap * dil) * c + ch];
        y[idx] = acc;
    }
}

__global__ void residual_k(float *y, const float *x, const float *rs,
                           int64_t n, int64_t d)
{
    GRID_LOOP(i, n * d)
    y[i] += rs ? rs[i % d] * x[i] : x[i];
}

__global__ void gru_k(const float *gi, const float *gh, float *h, float *y,
                      int64_t hid)
{
    GRID_LOOP(j, hid)
    {
        float r = sigm(gi[j] + gh[j]);
        float z = sigm(gi[hid + j] + gh[hid + j]);
        float nn = tanhf(gi[2 * hid + j] + r * gh[2 * hid + j]);
        float v = (1.0f - z) * nn + z * h[j];
        h[j] = v;
        y[j] = v;
    }
}

__global__ void lstm_k(const float *g, const float *bh, float *c, float *h,
                       float *y, int64_t hid)
{
    GRID_LOOP(j, hid)
    {
        float i = sigm(g[j] + bh[j]);
        float f = sigm(g[hid + j] + bh[hid + j]);
        float gg = tanhf(g[2 * hid + j] + bh[2 * hid + j]);
        float o = sigm(g[3 * hid + j] + bh[3 * hid + j]);
        float cc = f * c[j] + i * gg;
        c[j] = cc;
        h[j] = o * tanhf(cc);
        y[j] = h[j];
    }
}

/* Block-wide reduction of @v (sum, or max when @is_max). */
__device__ float block_reduce(float v, bool is_max, float *sh)
{
    sh[threadIdx.x] = v;
    __syncthreads();
    for (int o = kThreads / 2; o > 0; o >>= 1) {
        if ((int)threadIdx.x < o)
            sh[threadIdx.x] = is_max ? fmaxf(sh[threadIdx.x],
                                             sh[threadIdx.x + o])
                                     : sh[threadIdx.x] + sh[threadIdx.x + o];
        __syncthreads();
    }
    float r = sh[0];
    __syncthreads();
    return r;
}

__global__ void layernorm_k(float *x, const float *g, const float *b,
                            float eps, int64_t d)
{
    __shared__ float sh[kThreads];
    float *r = x + (int64_t)blockIdx.x * d;
    float s = 0.0f, v = 0.0f;
    for (int64_t j = threadIdx.x; j < d; j += kThreads)
        s += r[j];
    float mu = block_reduce(s, false, sh) / (float)d;
    for (int64_t j = threadIdx.x; j < d; j += kThreads)
        v += (r[j] - mu) * (r[j] - mu);
    float inv = rsqrtf(block_reduce(v, false, sh) / (float)d + eps);
    for (int64_t j = threadIdx.x; j < d; j += kThreads)
        r[j] = ((r[j] - mu) * inv) * g[j] + b[j];
}

__global__ void log_softmax_k(float *x, int64_t d)
{
    __shared__ float sh[kThreads];
    float *r = x + (int64_t)blockIdx.x * d;
    float mx = -INFINITY, s = 0.0f;
    for (int64_t j = threadIdx.x; j < d; j += kThreads)
        mx = fmaxf(mx, r[j]);
    mx = block_reduce(mx, true, sh);
    for (int64_t j = threadIdx.x; j < d; j += kThreads)
        s += expf(r[j] - mx);
    float lse = mx + logf(block_reduce(s, false, sh));
    for (int64_t j = threadIdx.x; j < d; j += kThreads)
        r[j] -= lse;
}

} // namespace

#define ST(s) ((cudaStream_t)(s))

extern "C" int asr_cu_bias_rows(void *stream, float *y, const float *b,
                                int64_t n, int64_t d)
{
    if (n * d == 0)
        return 0;
    bias_rows_k<<<grid_for(n * d), kThreads, 0, ST(stream)>>>(y, b, n, d);
    return launched();
}

extern "C" int asr_cu_normalize(void *stream, float *x, const float *mean,
                                const float *std, int64_t n, int64_t d)
{
    if (n * d == 0)
        return 0;
    normalize_k<<<grid_for(n * d), kThreads, 0, ST(stream)>>>(x, mean, std,
                                                              n, d);
    return launched();
}

extern "C" int asr_cu_affine(void *stream, float *x, const float *a,
                             const float *b, int64_t n, int64_t d)
{
    if (n * d == 0)
        return 0;
    affine_k<<<grid_for(n * d), kThreads, 0, ST(stream)>>>(x, a, b, n, d);
    return launched();
}

extern "C" int asr_cu_layernorm(void *stream, float *x, const float *g,
                                const float *b, float eps, int64_t n,
                                int64_t d)
{
    if (n == 0)
        return 0;
    if (n > 0x7fffffff)
        return -6;
    layernorm_k<<<(unsigned)n, kThreads, 0, ST(stream)>>>(x, g, b, eps, d);
    return launched();
}

extern "C" int asr_cu_act(void *stream, int kind, float *x, int64_t count)
{
    if (count == 0)
        return 0;
    act_k<<<grid_for(count), kThreads, 0, ST(stream)>>>(kind, x, count);
    return launched();
}

extern "C" int asr_cu_im2col(void *stream, float *col, const float *ext,
                             int64_t n_out, int64_t t0, int64_t s, int64_t kw,
                             int64_t dil, int64_t c)
{
    if (n_out * c * kw == 0)
        return 0;
    im2col_k<<<grid_for(n_out * c * kw), kThreads, 0, ST(stream)>>>(
        col, ext, n_out, t0, s, kw, dil, c);
    return launched();
}

extern "C" int asr_cu_depthwise(void *stream, float *y, const float *ext,
                                const float *w, const float *b, int64_t n_out,
                                int64_t t0, int64_t s, int64_t kw, int64_t dil,
                                int64_t c)
{
    if (n_out * c == 0)
        return 0;
    depthwise_k<<<grid_for(n_out * c), kThreads, 0, ST(stream)>>>(
        y, ext, w, b, n_out, t0, s, kw, dil, c);
    return launched();
}

extern "C" int asr_cu_residual(void *stream, float *y, const float *x,
                               const float *rs, int64_t n, int64_t d)
{
    if (n * d == 0)
        return 0;
    residual_k<<<grid_for(n * d), kThreads, 0, ST(stream)>>>(y, x, rs, n, d);
    return launched();
}

extern "C" int asr_cu_gru_gates(void *stream, const float *gi,
                                const float *gh, float *h, float *y,
                                int64_t hid)
{
    gru_k<<<grid_for(hid), kThreads, 0, ST(stream)>>>(gi, gh, h, y, hid);
    return launched();
}

extern "C" int asr_cu_lstm_gates(void *stream, const float *g,
                                 const float *bh, float *c, float *h,
                                 float *y, int64_t hid)
{
    lstm_k<<<grid_for(hid), kThreads, 0, ST(stream)>>>(g, bh, c, h, y, hid);
    return launched();
}

extern "C" int asr_cu_log_softmax(void *stream, float *x, int64_t n,
                                  int64_t d)
{
    if (n == 0)
        return 0;
    if (n > 0x7fffffff)
        return -6;
    log_softmax_k<<<(unsigned)n, kThreads, 0, ST(stream)>>>(x, d);
    return launched();
}
