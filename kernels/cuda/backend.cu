/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cuda/backend.cu: the CUDA backend's host side: device probe, contexts
 * (device, stream, cuBLAS handle), memory, copies and GEMM through cuBLAS.
 *
 * Nothing here synchronizes the device on an op path: ops and copies are
 * queued on the context's stream, and only weft__kcuda_sync waits for it.
 */
#include <config.h>

#include "kcuda.h"

/* Written once, under the dispatch layer's pthread_once. */
static char probe_why[WEFT_K_ERRLEN];

extern "C" int weft__kcuda_probe(int *count, const char **why)
{
    /* Without a driver cudaGetDeviceCount fails (cudaErrorInsufficientDriver
     * or cudaErrorNoDevice) and leaves the count alone: start from 0. */
    int n = 0;
    cudaError_t e = cudaGetDeviceCount(&n);
    if (e != cudaSuccess) {
        (void)cudaGetLastError(); /* clear it so later calls start clean */
        snprintf(probe_why, sizeof probe_why,
                 "no usable CUDA driver or device: cudaGetDeviceCount: %s (%s)",
                 cudaGetErrorName(e), cudaGetErrorString(e));
        *count = 0;
    } else if (n <= 0) {
        snprintf(probe_why, sizeof probe_why, "no CUDA device");
        *count = 0;
    } else {
        snprintf(probe_why, sizeof probe_why, "%d CUDA device%s", n,
                 n == 1 ? "" : "s");
        *count = n;
    }
    *why = probe_why;
    return 0;
}

extern "C" int weft__kcuda_new(int device, weft__kcuda **out, char *err)
{
    weft__kcuda *cu = new (std::nothrow) weft__kcuda();
    cublasStatus_t s;
    cudaError_t e;
    int rc;

    *out = NULL;
    if (!cu)
        return WEFT_ENOMEM;
    cu->device = device;
    if ((e = cudaSetDevice(device)) != cudaSuccess) {
        rc = weft__kcuda_fail(err, "cudaSetDevice", e);
        goto fail;
    }
    if ((e = cudaStreamCreateWithFlags(&cu->own, cudaStreamNonBlocking)) !=
        cudaSuccess) {
        rc = weft__kcuda_fail(err, "cudaStreamCreateWithFlags", e);
        goto fail;
    }
    cu->stream = cu->own;
    if ((s = cublasCreate(&cu->blas)) != CUBLAS_STATUS_SUCCESS) {
        rc = weft__kcublas_fail(err, "cublasCreate", s);
        goto fail;
    }
    if ((s = cublasSetStream(cu->blas, cu->stream)) != CUBLAS_STATUS_SUCCESS) {
        rc = weft__kcublas_fail(err, "cublasSetStream", s);
        goto fail;
    }
    /* FP32 stays FP32: the default math mode never uses TF32 tensor ops
     * (only CUBLAS_TF32_TENSOR_OP_MATH would), so results match the CPU
     * within fp32 rounding. The parity test's 1e-5 bound would catch TF32
     * (its unit roundoff is 2^-11, about 5e-4). */
    if ((s = cublasSetMathMode(cu->blas, CUBLAS_DEFAULT_MATH)) !=
        CUBLAS_STATUS_SUCCESS) {
        rc = weft__kcublas_fail(err, "cublasSetMathMode", s);
        goto fail;
    }
    *out = cu;
    return 0;
fail:
    if (cu->blas)
        cublasDestroy(cu->blas);
    if (cu->own)
        cudaStreamDestroy(cu->own);
    delete cu;
    return rc;
}

extern "C" void weft__kcuda_free(weft__kcuda *cu)
{
    if (!cu)
        return;
    /* Errors here have nowhere to go: the context is going away. Work on a
     * borrowed stream is its owner's to wait for. */
    if (cudaSetDevice(cu->device) == cudaSuccess) {
        if (cu->own)
            (void)cudaStreamSynchronize(cu->own);
        if (cu->blas)
            cublasDestroy(cu->blas);
        if (cu->own)
            cudaStreamDestroy(cu->own);
    }
    delete cu;
}

extern "C" void *weft__kcuda_stream(const weft__kcuda *cu)
{
    return (void *)cu->stream;
}

extern "C" int weft__kcuda_set_stream(weft__kcuda *cu, void *stream, char *err)
{
    cudaStream_t s = stream ? (cudaStream_t)stream : cu->own;
    int rc = weft__kcuda_enter(cu, err);
    if (rc < 0)
        return rc;
    WEFT_CKB("cublasSetStream", cublasSetStream(cu->blas, s));
    cu->stream = s;
    return 0;
}

extern "C" int weft__kcuda_sync(weft__kcuda *cu, char *err)
{
    int rc = weft__kcuda_enter(cu, err);
    if (rc < 0)
        return rc;
    WEFT_CK("cudaStreamSynchronize", cudaStreamSynchronize(cu->stream));
    return 0;
}

/* ------------------------------------------------------------- memory */

extern "C" int weft__kcuda_alloc(weft__kcuda *cu, size_t bytes, void **out,
                                 char *err)
{
    int rc = weft__kcuda_enter(cu, err);
    if (rc < 0)
        return rc;
    WEFT_CK("cudaMalloc", cudaMalloc(out, bytes));
    return 0;
}

extern "C" void weft__kcuda_free_mem(weft__kcuda *cu, void *ptr)
{
    if (weft__kcuda_enter(cu, NULL) == 0)
        (void)cudaFree(ptr);
}

extern "C" int weft__kcuda_host_alloc(weft__kcuda *cu, size_t bytes,
                                      void **out, char *err)
{
    int rc = weft__kcuda_enter(cu, err);
    if (rc < 0)
        return rc;
    WEFT_CK("cudaHostAlloc", cudaHostAlloc(out, bytes, cudaHostAllocPortable));
    return 0;
}

extern "C" void weft__kcuda_host_free(weft__kcuda *cu, void *ptr)
{
    (void)cu;
    (void)cudaFreeHost(ptr);
}

extern "C" int weft__kcuda_copy(weft__kcuda *cu, void *dst, const void *src,
                                size_t bytes, weft_k_copy_kind kind, char *err)
{
    static const cudaMemcpyKind kinds[] = {
        cudaMemcpyHostToDevice, cudaMemcpyDeviceToHost,
        cudaMemcpyDeviceToDevice, cudaMemcpyHostToHost};
    int rc = weft__kcuda_enter(cu, err);
    if (rc < 0)
        return rc;
    WEFT_CK("cudaMemcpyAsync",
            cudaMemcpyAsync(dst, src, bytes, kinds[kind], cu->stream));
    return 0;
}

extern "C" int weft__kcuda_memset(weft__kcuda *cu, void *dst, int value,
                                  size_t bytes, char *err)
{
    int rc = weft__kcuda_enter(cu, err);
    if (rc < 0)
        return rc;
    WEFT_CK("cudaMemsetAsync", cudaMemsetAsync(dst, value, bytes, cu->stream));
    return 0;
}

/* ------------------------------------------------------------- GEMM */

/*
 * Row-major C (M x N, ldc) is, read column-major, C^T (N x M, ldc), and
 * C^T = op(B)^T op(A)^T. A row-major operand read column-major is already
 * transposed, so cuBLAS gets B first, A second, with the same transpose flags
 * and the sizes N, M, K. Sizes and leading dimensions were checked by the
 * dispatch layer and m, n, batch are positive.
 */
extern "C" int weft__kcuda_gemm_f32(weft__kcuda *cu, bool ta, bool tb, int m,
                                    int n, int k, float alpha, const float *a,
                                    int lda, long long sa, const float *b,
                                    int ldb, long long sb, float beta,
                                    float *c, int ldc, long long sc, int batch,
                                    char *err)
{
    cublasOperation_t opa = ta ? CUBLAS_OP_T : CUBLAS_OP_N;
    cublasOperation_t opb = tb ? CUBLAS_OP_T : CUBLAS_OP_N;
    int rc = weft__kcuda_enter(cu, err);
    if (rc < 0)
        return rc;
    /* K == 0: C = beta * C (no product to add). BLAS defines it, but we do
     * not depend on every cuBLAS version accepting k == 0 with NULL A/B. */
    if (k == 0)
        return weft__kcuda_scale_matrix(cu, c, m, n, ldc, sc, batch, beta,
                                        err);
    if (batch == 1)
        WEFT_CKB("cublasSgemm", cublasSgemm(cu->blas, opb, opa, n, m, k,
                                            &alpha, b, ldb, a, lda, &beta, c,
                                            ldc));
    else
        WEFT_CKB("cublasSgemmStridedBatched",
                 cublasSgemmStridedBatched(cu->blas, opb, opa, n, m, k, &alpha,
                                           b, ldb, sb, a, lda, sa, &beta, c,
                                           ldc, sc, batch));
    return 0;
}
