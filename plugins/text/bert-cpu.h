/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The encoder's CPU kernels (bert-gemm.c: the dense layers' packed GEMM;
 * bert-attn.c: fused attention), each compiled for AVX-512, AVX2+FMA and
 * portable 16-byte vectors and picked at load (text__cpu_pick). Private to
 * bert*.c.
 */
#ifndef WEFT_TEXT_BERT_CPU_H
#define WEFT_TEXT_BERT_CPU_H

#include "bert.h"

#include <stdbool.h>
#include <stddef.h>

/* Set m->gemm, m->attn, m->panel and m->gemm_isa for this CPU, capped by
 * WEFT_TEXT_ISA ("avx512", "avx2", "generic"). */
void text__cpu_pick(text_bert *m);

/* Pack the row-major [N,K] weights (@parts stacked matrices of rows[i]
 * rows each) and their biases into panels of @panel output columns at
 * *@cur (advanced past them), or, when *@cur is NULL, only add to *@used
 * the floats needed. */
void text__gemm_pack(size_t panel, size_t parts, const float *const *w,
                     const float *const *b, const size_t *rows, size_t K,
                     float **cur, size_t *used, float **wp, float **bp);

/* Floats of attention scratch for sequences up to @n tokens, head size
 * @dh (see text_attn_fn in bert.h). */
size_t text__attn_scratch(size_t n, size_t dh);

/* The kernels of bert-attn.c, one per ISA. */
void text__attn_generic(const float *q, const float *k, const float *v,
                        size_t ld, size_t n, size_t nh, size_t dh,
                        float scale, float *ctx, size_t ldc, float *work);
#if defined(__GNUC__) && defined(__x86_64__)
#define TEXT_HAVE_X86_KERNELS 1
void text__attn_avx2(const float *q, const float *k, const float *v,
                     size_t ld, size_t n, size_t nh, size_t dh, float scale,
                     float *ctx, size_t ldc, float *work);
void text__attn_avx512(const float *q, const float *k, const float *v,
                       size_t ld, size_t n, size_t nh, size_t dh,
                       float scale, float *ctx, size_t ldc, float *work);
#endif

#define TEXT_UNROLL _Pragma("GCC unroll 16")

/* Dispatch a runtime count 1..8 to an always-inline body with it as a
 * compile-time constant (capped at MAX), so loops over it unroll into
 * registers. */
#define TEXT_SWITCH8(cnt, MAX, CALL)                                         \
    switch (cnt) {                                                           \
    case 1: CALL(1 < (MAX) ? 1 : (MAX)); break;                              \
    case 2: CALL(2 < (MAX) ? 2 : (MAX)); break;                              \
    case 3: CALL(3 < (MAX) ? 3 : (MAX)); break;                              \
    case 4: CALL(4 < (MAX) ? 4 : (MAX)); break;                              \
    case 5: CALL(5 < (MAX) ? 5 : (MAX)); break;                              \
    case 6: CALL(6 < (MAX) ? 6 : (MAX)); break;                              \
    case 7: CALL(7 < (MAX) ? 7 : (MAX)); break;                              \
    default: CALL(MAX); break;                                               \
    }

#endif /* WEFT_TEXT_BERT_CPU_H */
