/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ops.h: the acoustic model's element-wise and gate operations, on the
 * context's backend: plain C loops for a CPU context, the kernels of
 * cuda/asr-kernels.cu queued on the context's stream for a CUDA context.
 * GEMMs go through libweft-kernels (weft_k_gemm_f32) instead.
 *
 * All matrices are row-major [n, d] in the context's memory domain. Every
 * function returns 0, WEFT_ENOTSUP (a CUDA context in a build without
 * CUDA) or WEFT_ECUDA (a failed launch). [worker]
 */
#ifndef WEFT_ASR_OPS_H
#define WEFT_ASR_OPS_H

#include "asr.h"

/* y[i][j] = b ? b[j] : 0 */
int asr_op_bias_rows(weft_kctx *k, float *y, const float *b, int64_t n,
                     int64_t d);
/* x = (x - mean) / std per column */
int asr_op_normalize(weft_kctx *k, float *x, const float *mean,
                     const float *std, int64_t n, int64_t d);
/* x = x * a + b per column */
int asr_op_affine(weft_kctx *k, float *x, const float *a, const float *b,
                  int64_t n, int64_t d);
/* per row: (x - mean) / sqrt(var + eps) * g + b (biased variance) */
int asr_op_layernorm(weft_kctx *k, float *x, const float *g, const float *b,
                     float eps, int64_t n, int64_t d);
/* relu, gelu (erf form), silu over @count values */
int asr_op_act(weft_kctx *k, asr_op op, float *x, int64_t count);
/*
 * im2col for a causal convolution over @ext ([*, c]): output row i takes
 * the taps at frames t0 + i*s + tap*dil, tap < kw, as
 * col[i][ch * kw + tap] (PyTorch's [out, in, kernel] weight order, so
 * groups are column blocks of in/groups * kw).
 */
int asr_op_im2col(weft_kctx *k, float *col, const float *ext, int64_t n_out,
                  int64_t t0, int64_t s, int64_t kw, int64_t dil, int64_t c);
/* depthwise causal convolution, one filter w[ch][tap] per channel */
int asr_op_depthwise(weft_kctx *k, float *y, const float *ext,
                     const float *w, const float *b, int64_t n_out,
                     int64_t t0, int64_t s, int64_t kw, int64_t dil,
                     int64_t c);
/* y += rs ? rs * x : x, per column */
int asr_op_residual(weft_kctx *k, float *y, const float *x, const float *rs,
                    int64_t n, int64_t d);
/*
 * One GRU step: @gi = W_ih x + b_ih and @gh = W_hh h + b_hh ([3h], gates
 * r, z, n); updates @h and writes it to @y too.
 */
int asr_op_gru_gates(weft_kctx *k, const float *gi, const float *gh,
                     float *h, float *y, int64_t hid);
/*
 * One LSTM step: @g = W_ih x + b_ih + W_hh h ([4h], gates i, f, g, o),
 * @bh = b_hh; updates @c and @h and writes h to @y.
 */
int asr_op_lstm_gates(weft_kctx *k, const float *g, const float *bh,
                      float *c, float *h, float *y, int64_t hid);
/* per row: x - log(sum(exp(x))) */
int asr_op_log_softmax(weft_kctx *k, float *x, int64_t n, int64_t d);

#endif /* WEFT_ASR_OPS_H */
