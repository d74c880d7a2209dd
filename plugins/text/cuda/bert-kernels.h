/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bert-kernels.h: launchers of the encoder's own CUDA kernels
 * (bert-kernels.cu), for bert-cuda.cu only (C++, nvcc).
 *
 * Every launcher queues one kernel on @s and returns cudaGetLastError()
 * (launch errors only; faults inside a kernel surface at the caller's
 * stream synchronization). Matrices are row-major and packed: row t of an
 * [T, N] matrix is token t of the batch, sequences back to back. "lp"
 * pointers are the low-precision copies (__half for TEXT_CUDA_FP16,
 * __nv_bfloat16 for TEXT_CUDA_BF16) that feed the next GEMM; NULL (and
 * always NULL in TEXT_CUDA_FP32) writes none.
 */
#ifndef WEFT_TEXT_BERT_KERNELS_H
#define WEFT_TEXT_BERT_KERNELS_H

#include <cstddef>
#include <cstdint>

#include <cuda_runtime.h>

#include "bert-cuda.h"

/* Largest head size the attention kernel takes. */
#define TCU_MAX_HEAD 128

/* out[i] = (lp) in[i] for i < n. */
cudaError_t tcu_convert(const float *in, void *out, size_t n,
                        text_cuda_prec p, cudaStream_t s);

/* x[t] = LayerNorm(word[id[t]] + pos[pos[t]] + type[0]) * g + b for the
 * T tokens (ids and positions in @tok: [2, T]); also xh when not NULL. */
cudaError_t tcu_embed_ln(const int32_t *tok, int T, const float *word,
                         const float *pos, const float *type, const float *g,
                         const float *b, int H, double eps, float *x, void *xh,
                         text_cuda_prec p, cudaStream_t s);

/* x[t] = LayerNorm(x[t] + (y[t] + bias)) * g + b per row of H; also xh. */
cudaError_t tcu_add_ln(float *x, const float *y, const float *bias,
                       const float *g, const float *b, int T, int H,
                       double eps, void *xh, text_cuda_prec p, cudaStream_t s);

/* v = act(y[t][n] + bias[n]) over [T, N] (act < 0: none): written to yh
 * when not NULL, else back to y. */
cudaError_t tcu_bias_act(float *y, const float *bias, int T, int N, int act,
                         void *yh, text_cuda_prec p, cudaStream_t s);

/* Scaled dot-product attention of every head of every sequence over that
 * sequence's own tokens: qkv is [T, 3H] (Q | K | V, head h at columns
 * h*dh .. h*dh+dh-1 of each), ctx [T, H] receives softmax(Q K^T * scale)
 * V per head, as fp32 (@ctx_lp false) or lp. @seq holds [2, batch] int32:
 * each sequence's first token and length; @max_len is the longest. */
cudaError_t tcu_attention(const float *qkv, const int32_t *seq, int batch,
                          int max_len, int H, int heads, float scale,
                          void *ctx, bool ctx_lp, text_cuda_prec p,
                          cudaStream_t s);

/* out[b] = mean over sequence b's rows of x (or its first row with @cls),
 * L2-normalised when @normalize (norm floored at 1e-12). */
cudaError_t tcu_pool(const float *x, const int32_t *seq, int batch, int H,
                     bool cls, bool normalize, float *out, cudaStream_t s);

#endif
