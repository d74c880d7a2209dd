/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cuda/kcuda.h: what the CUDA backend's translation units share (C++,
 * nvcc only): the per-context state and the error helpers that turn a
 * failed CUDA/cuBLAS call into WEFT_ECUDA plus a sentence in the context's
 * last-error buffer.
 */
#ifndef WEFT_KCUDA_H
#define WEFT_KCUDA_H

#include <cstdio>
#include <new>

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include "../kinternal.h"

struct weft__kcuda {
    int device;
    cudaStream_t own;    /* created and destroyed by the context */
    cudaStream_t stream; /* where ops go: own, or one the caller lent */
    cublasHandle_t blas;
};

static inline int weft__kcuda_fail(char *err, const char *what, cudaError_t e)
{
    if (err)
        snprintf(err, WEFT_K_ERRLEN, "%s: %s (%s)", what, cudaGetErrorName(e),
                 cudaGetErrorString(e));
    return e == cudaErrorMemoryAllocation ? WEFT_ENOMEM : WEFT_ECUDA;
}

static inline int weft__kcublas_fail(char *err, const char *what,
                                     cublasStatus_t s)
{
    if (err)
        snprintf(err, WEFT_K_ERRLEN, "%s: %s (%s)", what,
                 cublasGetStatusName(s), cublasGetStatusString(s));
    return s == CUBLAS_STATUS_ALLOC_FAILED ? WEFT_ENOMEM : WEFT_ECUDA;
}

/* Return from the calling function on failure; `err` must be in scope. */
#define WEFT_CK(what, call)                                   \
    do {                                                      \
        cudaError_t e_ = (call);                              \
        if (e_ != cudaSuccess)                                \
            return weft__kcuda_fail(err, (what), e_);         \
    } while (0)

#define WEFT_CKB(what, call)                                  \
    do {                                                      \
        cublasStatus_t s_ = (call);                           \
        if (s_ != CUBLAS_STATUS_SUCCESS)                      \
            return weft__kcublas_fail(err, (what), s_);       \
    } while (0)

/* Make the context's device current on the calling thread. Ops may run on
 * any worker thread, and a stream or cuBLAS handle works only on the device
 * it was made on; cudaGetDevice/cudaSetDevice touch no device state. */
static inline int weft__kcuda_enter(const weft__kcuda *cu, char *err)
{
    int cur = -1;
    WEFT_CK("cudaGetDevice", cudaGetDevice(&cur));
    if (cur != cu->device)
        WEFT_CK("cudaSetDevice", cudaSetDevice(cu->device));
    return 0;
}

/* Launch helpers (elementwise.cu) used by backend.cu. */
int weft__kcuda_scale_matrix(weft__kcuda *cu, float *c, int rows, int cols,
                             int ld, long long stride, int batch, float beta,
                             char *err);

#endif
