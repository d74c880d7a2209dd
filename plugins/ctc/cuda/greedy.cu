/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cuda/greedy.cu: batched CTC greedy decoding on the GPU, for many streams
 * at once (a batch of B utterances of up to T frames over V tokens).
 *
 *   argmax_kernel    one warp per frame: each lane scans V/32 tokens, then
 *                    a shuffle reduction; ties go to the lowest index, as
 *                    ctc_greedy() does on the CPU.
 *   collapse_kernel  one block per utterance: keep frame t when its best is
 *                    not the blank and differs from frame t-1's; a block
 *                    scan over chunks of blockDim frames compacts the kept
 *                    tokens (and their frames) in order.
 *
 * Everything is queued on the caller's stream; nothing synchronizes.
 * ctc_greedy() (decoder.c) is the reference; tests/ctc/test-ctc-cuda.c
 * compares them on random batches.
 */
#include <cstdint>

#include <cuda_runtime.h>

#include "greedy-cuda.h"

namespace {

constexpr int kWarps = 8;
constexpr int kScan = 256;

__global__ void argmax_kernel(const float *x, int64_t rows, int64_t v,
                              int32_t *best)
{
    int64_t row = (int64_t)blockIdx.x * kWarps + threadIdx.x / 32;
    int lane = threadIdx.x % 32;
    if (row >= rows)
        return;
    const float *r = x + row * v;
    float bv = -INFINITY;
    int32_t bi = 0x7fffffff;
    /* Ascending per lane: a tie keeps the lower index. */
    for (int64_t c = lane; c < v; c += 32) {
        float y = r[c];
        if (bi == 0x7fffffff || y > bv) {
            bv = y;
            bi = (int32_t)c;
        }
    }
    for (int off = 16; off; off >>= 1) {
        float ov = __shfl_down_sync(0xffffffffu, bv, off);
        int32_t oi = __shfl_down_sync(0xffffffffu, bi, off);
        if (ov > bv || (ov == bv && oi < bi)) {
            bv = ov;
            bi = oi;
        }
    }
    if (lane == 0)
        best[row] = bi == 0x7fffffff ? 0 : bi;
}

__global__ void collapse_kernel(const int32_t *best, const int32_t *len,
                                int64_t t_max, int32_t blank, int32_t *tok,
                                int32_t *frame, int32_t *count)
{
    __shared__ int32_t scan[kScan];
    __shared__ int32_t base;
    int64_t b = blockIdx.x;
    int32_t n = len ? len[b] : (int32_t)t_max;
    const int32_t *bb = best + b * t_max;
    if (threadIdx.x == 0)
        base = 0;
    __syncthreads();
    for (int32_t t0 = 0; t0 < n; t0 += kScan) {
        int32_t t = t0 + (int32_t)threadIdx.x;
        int32_t keep = 0, cur = 0;
        if (t < n) {
            cur = bb[t];
            keep = cur != blank && (t == 0 || bb[t - 1] != cur);
        }
        scan[threadIdx.x] = keep;
        __syncthreads();
        for (int off = 1; off < kScan; off <<= 1) {
            int32_t add = threadIdx.x >= (unsigned)off
                              ? scan[threadIdx.x - off] : 0;
            __syncthreads();
            scan[threadIdx.x] += add;
            __syncthreads();
        }
        if (keep) {
            int32_t at = base + scan[threadIdx.x] - 1;
            tok[b * t_max + at] = cur;
            frame[b * t_max + at] = t;
        }
        __syncthreads();
        if (threadIdx.x == kScan - 1)
            base += scan[kScan - 1];
        __syncthreads();
    }
    if (threadIdx.x == 0)
        count[b] = base;
}

} // namespace

extern "C" int ctc_cuda_greedy(const float *logp, int64_t batch,
                               int64_t t_max, int64_t v, const int32_t *len,
                               int32_t blank, int32_t *best, int32_t *tok,
                               int32_t *frame, int32_t *count, void *stream)
{
    cudaStream_t s = (cudaStream_t)stream;
    int64_t rows = batch * t_max;

    if (batch < 0 || t_max < 0 || v < 1 || v > INT32_MAX)
        return -2; /* WEFT_EINVAL */
    if (batch == 0)
        return 0;
    if (rows > 0) {
        int64_t blocks = (rows + kWarps - 1) / kWarps;
        if (blocks > INT32_MAX)
            return -6; /* WEFT_ERANGE */
        argmax_kernel<<<(unsigned)blocks, kWarps * 32, 0, s>>>(logp, rows, v,
                                                               best);
    }
    collapse_kernel<<<(unsigned)batch, kScan, 0, s>>>(best, len, t_max, blank,
                                                      tok, frame, count);
    return cudaGetLastError() == cudaSuccess ? 0 : -15; /* WEFT_ECUDA */
}
