/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cpu/gemm.c: fp32 GEMM through OpenBLAS (row-major CBLAS). */
#include <config.h>

#include <cblas.h>

#include "kinternal.h"

void weft__kcpu_gemm_f32(bool ta, bool tb, int m, int n, int k, float alpha,
                         const float *a, int lda, const float *b, int ldb,
                         float beta, float *c, int ldc)
{
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans,
                tb ? CblasTrans : CblasNoTrans, m, n, k, alpha, a, lda, b, ldb,
                beta, c, ldc);
}
