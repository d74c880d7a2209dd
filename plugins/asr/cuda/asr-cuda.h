/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * asr-cuda.h: the acoustic model's own CUDA kernels (asr-kernels.cu), one
 * per ops.h operation, with the same arguments and meaning; @stream is a
 * cudaStream_t (NULL: the default stream). Each launch is queued and
 * nothing synchronizes. Returns 0 or WEFT_ECUDA (-15) for a failed launch.
 * [worker]
 */
#ifndef WEFT_ASR_CUDA_H
#define WEFT_ASR_CUDA_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

int asr_cu_bias_rows(void *stream, float *y, const float *b, int64_t n,
                     int64_t d);
int asr_cu_normalize(void *stream, float *x, const float *mean,
                     const float *std, int64_t n, int64_t d);
int asr_cu_affine(void *stream, float *x, const float *a, const float *b,
                  int64_t n, int64_t d);
int asr_cu_layernorm(void *stream, float *x, const float *g, const float *b,
                     float eps, int64_t n, int64_t d);
/* @kind: 0 relu, 1 gelu (erf), 2 silu */
int asr_cu_act(void *stream, int kind, float *x, int64_t count);
int asr_cu_im2col(void *stream, float *col, const float *ext, int64_t n_out,
                  int64_t t0, int64_t s, int64_t kw, int64_t dil, int64_t c);
int asr_cu_depthwise(void *stream, float *y, const float *ext,
                     const float *w, const float *b, int64_t n_out,
                     int64_t t0, int64_t s, int64_t kw, int64_t dil,
                     int64_t c);
int asr_cu_residual(void *stream, float *y, const float *x, const float *rs,
                    int64_t n, int64_t d);
int asr_cu_gru_gates(void *stream, const float *gi, const float *gh,
                     float *h, float *y, int64_t hid);
int asr_cu_lstm_gates(void *stream, const float *g, const float *bh,
                      float *c, float *h, float *y, int64_t hid);
int asr_cu_log_softmax(void *stream, float *x, int64_t n, int64_t d);

#ifdef __cplusplus
}
#endif
#endif /* WEFT_ASR_CUDA_H */
