/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bert-kernels.cu: the BERT encoder's own kernels (see bert-kernels.h).
 *
 *   embed_ln   one block per token: word + position + type embedding, then
 *              layer norm (two passes over the row, statistics in double).
 *   add_ln     one block per token: residual + GEMM output + bias, then
 *              layer norm, in place on the fp32 residual stream.
 *   bias_act   grid-stride over [T, N]: bias add and activation (exact erf
 *              GELU, tanh GELU or ReLU), optionally narrowed for the next
 *              GEMM.
 *   attention  grid (query groups, heads, sequences) over packed
 *              sequences: a block of kWarps warps owns kWarps query rows
 *              of one head of one sequence; the sequence's keys and values
 *              stream through shared memory in tiles of 32 tokens, and each
 *              warp keeps an online softmax (running max and sum, rescaled
 *              per tile) so the [len, len] score matrix never exists. Only
 *              the sequence's own tokens are read: no padding, no mask.
 *   pool       one block per sequence: mean (or first token) over its rows,
 *              then L2 normalisation.
 *
 * Reductions run in a fixed order (warp shuffles, then the warps' partial
 * sums in index order), so results do not depend on scheduling.
 */
#include <cmath>

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "bert-kernels.h"

namespace {

constexpr int kRowThreads = 128; /* layer norm and pooling blocks */
constexpr int kWarps = 8;        /* attention: query rows per block */
constexpr int kTile = 32;        /* attention: keys per shared tile */

template <typename T> __device__ __forceinline__ T narrow(float v);
template <> __device__ __forceinline__ float narrow<float>(float v)
{
    return v;
}
template <> __device__ __forceinline__ __half narrow<__half>(float v)
{
    return __float2half_rn(v);
}
template <>
__device__ __forceinline__ __nv_bfloat16 narrow<__nv_bfloat16>(float v)
{
    return __float2bfloat16_rn(v);
}

/* The sum of @v over the block, the same value in every thread. @sh holds
 * one double per warp; the leading barrier lets consecutive calls reuse it. */
__device__ double block_sum(double v, double *sh)
{
    for (int o = 16; o; o >>= 1)
        v += __shfl_xor_sync(0xffffffffu, v, o);
    __syncthreads();
    if (threadIdx.x % 32 == 0)
        sh[threadIdx.x / 32] = v;
    __syncthreads();
    double t = 0;
    for (int w = 0; w < (int)(blockDim.x / 32); w++)
        t += sh[w];
    return t;
}

/* Layer norm of row @v (H values this block wrote, each thread the
 * indices j = tid + k * blockDim it reads back, so no barrier is needed
 * between writing and reading), as bert.c: statistics in double, the
 * normalised value rounded to float, then the affine part in float. */
template <typename LP>
__device__ void ln_row(float *v, int H, const float *g, const float *b,
                       double eps, LP *vh, double *sh)
{
    double s = 0;
    for (int j = threadIdx.x; j < H; j += blockDim.x)
        s += v[j];
    const double mean = block_sum(s, sh) / H;
    double q = 0;
    for (int j = threadIdx.x; j < H; j += blockDim.x) {
        double d = v[j] - mean;
        q += d * d;
    }
    const double var = block_sum(q, sh) / H;
    const double inv = 1.0 / sqrt(var + (double)eps);
    for (int j = threadIdx.x; j < H; j += blockDim.x) {
        float o = (float)((v[j] - mean) * inv) * g[j] + b[j];
        v[j] = o;
        if (vh)
            vh[j] = narrow<LP>(o);
    }
}

template <typename LP>
__global__ void __launch_bounds__(kRowThreads)
embed_ln_kernel(const int32_t *tok, int T, const float *word,
                const float *pos, const float *type, const float *g,
                const float *b, int H, double eps, float *x, LP *xh)
{
    __shared__ double sh[kRowThreads / 32];
    const int t = blockIdx.x;
    if (t >= T)
        return;
    const float *we = word + (size_t)tok[t] * H;
    const float *pe = pos + (size_t)tok[T + t] * H;
    float *v = x + (size_t)t * H;
    for (int j = threadIdx.x; j < H; j += blockDim.x)
        v[j] = we[j] + pe[j] + type[j];
    ln_row<LP>(v, H, g, b, eps, xh ? xh + (size_t)t * H : nullptr, sh);
}

template <typename LP>
__global__ void __launch_bounds__(kRowThreads)
add_ln_kernel(float *x, const float *y, const float *bias, const float *g,
              const float *b, int T, int H, double eps, LP *xh)
{
    __shared__ double sh[kRowThreads / 32];
    const int t = blockIdx.x;
    if (t >= T)
        return;
    float *v = x + (size_t)t * H;
    const float *yr = y + (size_t)t * H;
    for (int j = threadIdx.x; j < H; j += blockDim.x)
        v[j] += yr[j] + bias[j];
    ln_row<LP>(v, H, g, b, eps, xh ? xh + (size_t)t * H : nullptr, sh);
}

__device__ __forceinline__ float activate(float v, int act)
{
    switch (act) {
    case TEXT_CUDA_GELU:
        return 0.5f * v * (1.0f + erff(v * 0.7071067811865475f));
    case TEXT_CUDA_GELU_TANH:
        return 0.5f * v *
               (1.0f + tanhf(0.7978845608028654f *
                             (v + 0.044715f * v * v * v)));
    case TEXT_CUDA_RELU:
        return v > 0.0f ? v : 0.0f;
    default:
        return v;
    }
}

template <typename LP>
__global__ void bias_act_kernel(float *y, const float *bias, size_t n,
                                int N, int act, LP *yh)
{
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x) {
        float v = activate(y[i] + bias[i % (size_t)N], act);
        if (yh)
            yh[i] = narrow<LP>(v);
        else
            y[i] = v;
    }
}

template <typename LP>
__global__ void convert_kernel(const float *in, LP *out, size_t n)
{
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x)
        out[i] = narrow<LP>(in[i]);
}

/*
 * Attention for kWarps query rows of head blockIdx.y of sequence
 * blockIdx.z. DPL = ceil(dh / 32) output dimensions per lane (lane l holds
 * dimensions l, l + 32, ...). Shared memory: the key tile [kTile][dh + 1]
 * (padded so that lane j reading key j, dimension d hits bank (j + d) % 32),
 * the value tile [kTile][dh] and each warp's query row [dh].
 *
 * Per tile, lane j scores key t0 + j; the warp's running max m and sum l
 * are updated as m' = max(m, max_j s_j), l' = l e^(m - m') + sum_j
 * e^(s_j - m'), and the accumulator is rescaled by e^(m - m') before the
 * tile's values are added with weights e^(s_j - m') (broadcast by
 * shuffles). The output is acc / l: exactly softmax(s) V, in another
 * rounding order than the CPU's (one max over the row first).
 */
template <int DPL, typename OT>
__global__ void __launch_bounds__(kWarps * 32)
attention_kernel(const float *qkv, const int32_t *seq, int batch, int H,
                 int dh, float scale, OT *ctx)
{
    extern __shared__ float sm[];
    const int sq = blockIdx.z, head = blockIdx.y;
    const int off = seq[sq], len = seq[batch + sq];
    const int q0 = blockIdx.x * kWarps;
    if (q0 >= len) /* the whole block: the grid covers the longest */
        return;
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    const int row = q0 + warp;
    const bool active = row < len; /* uniform over the warp */
    const size_t H3 = 3 * (size_t)H;
    float *ks = sm, *vs = ks + kTile * (dh + 1), *qs = vs + kTile * dh;
    qs += warp * dh;

    if (active)
        for (int d = lane; d < dh; d += 32)
            qs[d] = qkv[(size_t)(off + row) * H3 + (size_t)head * dh + d];
    float acc[DPL];
#pragma unroll
    for (int i = 0; i < DPL; i++)
        acc[i] = 0.0f;
    float m = -INFINITY, l = 0.0f;

    for (int t0 = 0; t0 < len; t0 += kTile) {
        const int nk = len - t0 < kTile ? len - t0 : kTile;
        __syncthreads(); /* the previous tile is consumed; qs is written */
        for (int i = threadIdx.x; i < kTile * dh; i += blockDim.x) {
            const int j = i / dh, d = i % dh;
            float kv = 0.0f, vv = 0.0f;
            if (j < nk) {
                const float *r = qkv + (size_t)(off + t0 + j) * H3 +
                                 (size_t)head * dh + d;
                kv = r[H];
                vv = r[2 * (size_t)H];
            }
            ks[j * (dh + 1) + d] = kv;
            vs[j * dh + d] = vv;
        }
        __syncthreads();
        if (!active)
            continue;
        float s = -INFINITY;
        if (lane < nk) {
            const float *kr = ks + lane * (dh + 1);
            float dot = 0.0f;
            for (int d = 0; d < dh; d++)
                dot = fmaf(qs[d], kr[d], dot);
            s = dot * scale;
        }
        float mt = s;
        for (int o = 16; o; o >>= 1)
            mt = fmaxf(mt, __shfl_xor_sync(0xffffffffu, mt, o));
        /* mt is finite: lane 0 always holds a key (nk >= 1). */
        const float mn = fmaxf(m, mt);
        const float c = expf(m - mn); /* 0 on the first tile */
        const float p = lane < nk ? expf(s - mn) : 0.0f;
        float ps = p;
        for (int o = 16; o; o >>= 1)
            ps += __shfl_xor_sync(0xffffffffu, ps, o);
        l = l * c + ps;
#pragma unroll
        for (int i = 0; i < DPL; i++)
            acc[i] *= c;
        for (int j = 0; j < nk; j++) {
            const float pj = __shfl_sync(0xffffffffu, p, j);
            const float *vr = vs + j * dh;
#pragma unroll
            for (int i = 0; i < DPL; i++) {
                const int d = lane + 32 * i;
                if (d < dh)
                    acc[i] = fmaf(pj, vr[d], acc[i]);
            }
        }
        m = mn;
    }
    if (!active)
        return;
    const float inv = 1.0f / l;
    OT *o = ctx + (size_t)(off + row) * H + (size_t)head * dh;
#pragma unroll
    for (int i = 0; i < DPL; i++) {
        const int d = lane + 32 * i;
        if (d < dh)
            o[d] = narrow<OT>(acc[i] * inv);
    }
}

__global__ void __launch_bounds__(kRowThreads)
pool_kernel(const float *x, const int32_t *seq, int batch, int H, bool cls,
            bool normalize, float *out)
{
    __shared__ double sh[kRowThreads / 32];
    const int sq = blockIdx.x;
    if (sq >= batch)
        return;
    const int off = seq[sq], len = seq[batch + sq];
    float *o = out + (size_t)sq * H;
    double nrm = 0;
    for (int j = threadIdx.x; j < H; j += blockDim.x) {
        double acc;
        if (cls) {
            acc = x[(size_t)off * H + j];
        } else {
            acc = 0;
            for (int i = 0; i < len; i++)
                acc += x[(size_t)(off + i) * H + j];
            acc /= len;
        }
        const float v = (float)acc;
        o[j] = v;
        nrm += (double)v * v;
    }
    if (!normalize)
        return;
    double n = sqrt(block_sum(nrm, sh));
    if (n < 1e-12)
        n = 1e-12;
    for (int j = threadIdx.x; j < H; j += blockDim.x)
        o[j] = (float)(o[j] / n);
}

/* Blocks for a grid-stride loop over @n elements of 256 threads. */
unsigned stride_blocks(size_t n)
{
    size_t b = (n + 255) / 256;
    return b > 65535 * 8 ? 65535 * 8 : (b ? (unsigned)b : 1u);
}

template <int DPL, typename OT>
cudaError_t attention_launch(const float *qkv, const int32_t *seq, int batch,
                             int max_len, int H, int dh, float scale, OT *ctx,
                             cudaStream_t s)
{
    const size_t smem =
        ((size_t)kTile * (dh + 1) + (size_t)kTile * dh + (size_t)kWarps * dh) *
        sizeof(float);
    const int heads = H / dh;
    /* grid.z stops at 65535: sequences go in chunks; a chunk passes the
     * pointer to its first start and keeps @batch as the stride to the
     * lengths (seq[sq] is the start and seq[batch + sq] the length). */
    for (int b0 = 0; b0 < batch; b0 += 65535) {
        const int nb = batch - b0 < 65535 ? batch - b0 : 65535;
        dim3 grid((unsigned)((max_len + kWarps - 1) / kWarps),
                  (unsigned)heads, (unsigned)nb);
        attention_kernel<DPL, OT><<<grid, kWarps * 32, smem, s>>>(
            qkv, seq + b0, batch, H, dh, scale, ctx);
        cudaError_t e = cudaGetLastError();
        if (e != cudaSuccess)
            return e;
    }
    return cudaSuccess;
}

template <typename OT>
cudaError_t attention_dpl(const float *qkv, const int32_t *seq, int batch,
                          int max_len, int H, int dh, float scale, OT *ctx,
                          cudaStream_t s)
{
    if (dh <= 32)
        return attention_launch<1, OT>(qkv, seq, batch, max_len, H, dh,
                                       scale, ctx, s);
    if (dh <= 64)
        return attention_launch<2, OT>(qkv, seq, batch, max_len, H, dh,
                                       scale, ctx, s);
    if (dh <= TCU_MAX_HEAD)
        return attention_launch<4, OT>(qkv, seq, batch, max_len, H, dh,
                                       scale, ctx, s);
    return cudaErrorInvalidValue;
}

} // namespace

cudaError_t tcu_convert(const float *in, void *out, size_t n,
                        text_cuda_prec p, cudaStream_t s)
{
    if (!n)
        return cudaSuccess;
    switch (p) {
    case TEXT_CUDA_FP16:
        convert_kernel<__half><<<stride_blocks(n), 256, 0, s>>>(
            in, (__half *)out, n);
        break;
    case TEXT_CUDA_BF16:
        convert_kernel<__nv_bfloat16><<<stride_blocks(n), 256, 0, s>>>(
            in, (__nv_bfloat16 *)out, n);
        break;
    default:
        convert_kernel<float><<<stride_blocks(n), 256, 0, s>>>(
            in, (float *)out, n);
        break;
    }
    return cudaGetLastError();
}

cudaError_t tcu_embed_ln(const int32_t *tok, int T, const float *word,
                         const float *pos, const float *type, const float *g,
                         const float *b, int H, double eps, float *x, void *xh,
                         text_cuda_prec p, cudaStream_t s)
{
    if (T <= 0)
        return cudaSuccess;
    switch (p) {
    case TEXT_CUDA_FP16:
        embed_ln_kernel<__half><<<T, kRowThreads, 0, s>>>(
            tok, T, word, pos, type, g, b, H, eps, x, (__half *)xh);
        break;
    case TEXT_CUDA_BF16:
        embed_ln_kernel<__nv_bfloat16><<<T, kRowThreads, 0, s>>>(
            tok, T, word, pos, type, g, b, H, eps, x, (__nv_bfloat16 *)xh);
        break;
    default:
        embed_ln_kernel<float><<<T, kRowThreads, 0, s>>>(
            tok, T, word, pos, type, g, b, H, eps, x, (float *)xh);
        break;
    }
    return cudaGetLastError();
}

cudaError_t tcu_add_ln(float *x, const float *y, const float *bias,
                       const float *g, const float *b, int T, int H,
                       double eps, void *xh, text_cuda_prec p, cudaStream_t s)
{
    if (T <= 0)
        return cudaSuccess;
    switch (p) {
    case TEXT_CUDA_FP16:
        add_ln_kernel<__half><<<T, kRowThreads, 0, s>>>(
            x, y, bias, g, b, T, H, eps, (__half *)xh);
        break;
    case TEXT_CUDA_BF16:
        add_ln_kernel<__nv_bfloat16><<<T, kRowThreads, 0, s>>>(
            x, y, bias, g, b, T, H, eps, (__nv_bfloat16 *)xh);
        break;
    default:
        add_ln_kernel<float><<<T, kRowThreads, 0, s>>>(
            x, y, bias, g, b, T, H, eps, (float *)xh);
        break;
    }
    return cudaGetLastError();
}

cudaError_t tcu_bias_act(float *y, const float *bias, int T, int N, int act,
                         void *yh, text_cuda_prec p, cudaStream_t s)
{
    const size_t n = (size_t)T * (size_t)N;
    if (!n)
        return cudaSuccess;
    switch (p) {
    case TEXT_CUDA_FP16:
        bias_act_kernel<__half><<<stride_blocks(n), 256, 0, s>>>(
            y, bias, n, N, act, (__half *)yh);
        break;
    case TEXT_CUDA_BF16:
        bias_act_kernel<__nv_bfloat16><<<stride_blocks(n), 256, 0, s>>>(
            y, bias, n, N, act, (__nv_bfloat16 *)yh);
        break;
    default:
        bias_act_kernel<float><<<stride_blocks(n), 256, 0, s>>>(
            y, bias, n, N, act, (float *)yh);
        break;
    }
    return cudaGetLastError();
}

cudaError_t tcu_attention(const float *qkv, const int32_t *seq, int batch,
                          int max_len, int H, int heads, float scale,
                          void *ctx, bool ctx_lp, text_cuda_prec p,
                          cudaStream_t s)
{
    if (batch <= 0 || max_len <= 0)
        return cudaSuccess;
    if (heads <= 0 || H % heads)
        return cudaErrorInvalidValue;
    const int dh = H / heads;
    if (!ctx_lp || p == TEXT_CUDA_FP32)
        return attention_dpl<float>(qkv, seq, batch, max_len, H, dh, scale,
                                    (float *)ctx, s);
    if (p == TEXT_CUDA_FP16)
        return attention_dpl<__half>(qkv, seq, batch, max_len, H, dh, scale,
                                     (__half *)ctx, s);
    return attention_dpl<__nv_bfloat16>(qkv, seq, batch, max_len, H, dh,
                                        scale, (__nv_bfloat16 *)ctx, s);
}

cudaError_t tcu_pool(const float *x, const int32_t *seq, int batch, int H,
                     bool cls, bool normalize, float *out, cudaStream_t s)
{
    if (batch <= 0)
        return cudaSuccess;
    pool_kernel<<<batch, kRowThreads, 0, s>>>(x, seq, batch, H, cls,
                                               normalize, out);
    return cudaGetLastError();
}
