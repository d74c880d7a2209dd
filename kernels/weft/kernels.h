/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * weft/kernels.h: libweft-kernels, numeric ops behind one API with a CPU
 * backend (OpenBLAS and own code) and a CUDA backend (cuBLAS and own kernels).
 *
 * A kernel context (weft_kctx) names where ops run: the CPU, or one CUDA
 * device with a stream and a cuBLAS handle. Create it from the device string
 * a node's `device` property holds:
 *
 *   "auto"      CUDA device 0 when the build has CUDA and a device is present
 *               at run time, else the CPU. Never fails for lack of a GPU.
 *   "cpu"       the CPU backend.
 *   "cuda"      CUDA device 0 ("cuda:0"); WEFT_ENODEV without one.
 *   "cuda:N"    CUDA device N; WEFT_ENODEV when N does not exist.
 *
 * Anything else is WEFT_EINVAL. A build without CUDA keeps every entry point;
 * asking it for a CUDA device gives WEFT_ENODEV, so callers need no #ifdefs.
 * weft_k_cuda_available() says whether CUDA is usable and, if not, why.
 *
 * Memory: every op takes pointers in the context's memory domain: host
 * memory for a CPU context, device memory of the context's device for a CUDA
 * context (from weft_k_alloc or the core's CUDA pool). Nothing checks this;
 * passing host pointers to a CUDA context is undefined behaviour.
 *
 * Asynchrony: on CUDA every op and copy is queued on the context's stream
 * and returns before it completes; host memory handed to a copy must stay
 * valid and untouched until weft_k_sync() returns. Only weft_k_sync()
 * waits for the stream; no op ever synchronizes the device. On the CPU every
 * call completes before it returns and weft_k_sync() does nothing.
 * Argument errors are reported at once; a CUDA fault inside a queued kernel
 * may surface only at the next weft_k_sync() (as WEFT_ECUDA).
 *
 * Threads: a context is used by one thread at a time (the worker that runs
 * its node). Distinct contexts may be used concurrently, also on one device.
 * Functions that take no context are [any-thread]. A call on a CUDA context
 * makes the context's device current on the calling thread (cudaSetDevice)
 * and leaves it so.
 *
 * Errors: 0 or a negative WEFT_E* code from <weft/common.h>. After
 * WEFT_ECUDA, weft_kctx_last_error() names the CUDA/cuBLAS call and status.
 *
 * Layout: matrices are row-major (C convention): element (i, j) of a matrix
 * with leading dimension ld is at p[i * ld + j]; ld counts elements and is
 * at least the number of columns stored.
 *
 * Example:
 *
 *   weft_kctx *k;
 *   if (weft_kctx_new("auto", &k) < 0) return -1;
 *   float *a, *b, *c;                       // device memory on CUDA
 *   weft_k_alloc(k, 4 * 6 * sizeof(float), (void **)&a); ...
 *   weft_k_copy(k, a, host_a, 4 * 6 * sizeof(float), WEFT_K_COPY_H2D);
 *   weft_k_gemm_f32(k, false, false, 4, 5, 6, 1.0f, a, 6, b, 5, 0.0f, c, 5);
 *   weft_k_copy(k, host_c, c, 4 * 5 * sizeof(float), WEFT_K_COPY_D2H);
 *   weft_k_sync(k);                         // host_c is ready now
 *   weft_k_free(k, a); ...
 *   weft_kctx_free(k);
 */
#ifndef WEFT_KERNELS_H
#define WEFT_KERNELS_H

#include <weft/common.h>

WEFT_BEGIN_DECLS

/** Backends. Values are part of the ABI; never renumber. */
typedef uint32_t weft_k_backend;
enum {
    WEFT_K_BACKEND_CPU = 0,
    WEFT_K_BACKEND_CUDA = 1
};

/** Directions of weft_k_copy. Values are part of the ABI. */
typedef uint32_t weft_k_copy_kind;
enum {
    WEFT_K_COPY_H2D = 0, /* host (pageable or pinned) to device */
    WEFT_K_COPY_D2H = 1, /* device to host */
    WEFT_K_COPY_D2D = 2, /* device to device, same device */
    WEFT_K_COPY_H2H = 3  /* host to host (queued in stream order on CUDA) */
};

/** An opaque kernel context: backend, device, stream, library handles. */
typedef struct weft_kctx weft_kctx;

/* ------------------------------------------------------------- devices */

/**
 * weft_k_cuda_available: whether the CUDA backend can run here: the build
 * has it and at least one device answers. The first call probes the driver
 * (once per process); later calls return the cached answer.
 * @why: (out) (optional) (transfer none) a static sentence: the device count
 * when available, else the reason ("built without CUDA", "no CUDA driver
 * (cudaErrorInsufficientDriver)", "no CUDA device", ...). Never NULL.
 * [any-thread]
 */
WEFT_API bool weft_k_cuda_available(const char **why);

/** Number of usable CUDA devices; 0 without CUDA. [any-thread] */
WEFT_API int32_t weft_k_cuda_device_count(void);

/** Whether the library was built with the CUDA backend. [any-thread] */
WEFT_API bool weft_k_have_cuda_build(void);

/**
 * weft_k_device_parse: check a device string and resolve it without creating
 * anything: "auto" resolves to what weft_kctx_new would pick.
 * @device: (transfer none) "auto", "cpu", "cuda" or "cuda:N"; NULL is "auto".
 * @backend, @index: (out) (optional) the backend and device index (0 for CPU).
 * Returns 0, WEFT_EINVAL for a malformed string, WEFT_ENODEV when the device
 * named does not exist (or the build has no CUDA). [any-thread]
 */
WEFT_API int weft_k_device_parse(const char *device, weft_k_backend *backend,
                                 int32_t *index);

/* ------------------------------------------------------------- contexts */

/**
 * weft_kctx_new: create a context for @device (see weft_k_device_parse). A
 * CUDA context creates its own non-blocking stream and cuBLAS handle (FP32
 * math stays FP32: TF32 tensor-op math is never enabled).
 * @out: (out) (transfer full) the context; free with weft_kctx_free. Set to
 * NULL on failure.
 * Returns 0, WEFT_EINVAL, WEFT_ENODEV, WEFT_ENOMEM, or WEFT_ECUDA when the
 * device exists but its stream or cuBLAS handle cannot be created.
 * [any-thread]
 */
WEFT_API int weft_kctx_new(const char *device, weft_kctx **out);

/**
 * weft_kctx_free: free a context, its own stream and its cuBLAS handle after
 * waiting for the work queued on its own stream (work on a stream lent by
 * weft_kctx_set_stream is the lender's to wait for). On CUDA this may
 * synchronize the device (destroying a cuBLAS handle does): create and free
 * contexts when a node starts and stops, not per buffer. NULL does nothing.
 * [any-thread], not concurrently with other calls on @ctx.
 */
WEFT_API void weft_kctx_free(weft_kctx *ctx);

/** The context's backend. [any-thread] */
WEFT_API weft_k_backend weft_kctx_backend(const weft_kctx *ctx);
/** The CUDA device index; 0 for the CPU. [any-thread] */
WEFT_API int32_t weft_kctx_device(const weft_kctx *ctx);
/** (transfer none) "cpu" or "cuda:N", valid while @ctx lives. [any-thread] */
WEFT_API const char *weft_kctx_name(const weft_kctx *ctx);

/**
 * weft_kctx_stream: (transfer none) the cudaStream_t ops are queued on, as
 * void*; NULL for a CPU context. Record events on it to hand readiness to
 * other streams. [worker]
 */
WEFT_API void *weft_kctx_stream(const weft_kctx *ctx);

/**
 * weft_kctx_set_stream: queue later ops on @stream (a cudaStream_t of the
 * context's device, (transfer none): the caller keeps it alive and frees it
 * after the context stops using it); NULL goes back to the context's own
 * stream. Work already queued is not moved: order it with an event if the
 * streams differ. Returns 0, WEFT_ENOTSUP on a CPU context (unless @stream is
 * NULL), WEFT_ECUDA. [worker]
 */
WEFT_API int weft_kctx_set_stream(weft_kctx *ctx, void *stream);

/**
 * weft_kctx_last_error: (transfer none) a sentence describing the last
 * WEFT_ECUDA from this context ("cublasSgemm_v2: CUBLAS_STATUS_...");
 * "" when none. Valid until the next call on @ctx. [worker]
 */
WEFT_API const char *weft_kctx_last_error(const weft_kctx *ctx);

/**
 * weft_k_sync: wait until every op queued on the context's stream has
 * finished (cudaStreamSynchronize; never a device-wide sync). Returns 0 or
 * WEFT_ECUDA (also for an earlier asynchronous fault). Does nothing on the
 * CPU. [worker]
 */
WEFT_API int weft_k_sync(weft_kctx *ctx);

/* ------------------------------------------------------------- memory */

/**
 * weft_k_alloc: allocate @bytes in the context's domain: device memory on
 * CUDA (cudaMalloc), 64-byte aligned host memory on the CPU. @bytes == 0
 * gives a NULL pointer and 0.
 * @out: (out) (transfer full) free with weft_k_free on a context of the
 * same backend and device.
 * Returns 0, WEFT_EINVAL, WEFT_ENOMEM. On CUDA it may synchronize the device
 * (cudaMalloc does): allocate up front or from the core's pools, never per
 * buffer on the data path. [any-thread], not concurrently on one @ctx.
 */
WEFT_API int weft_k_alloc(weft_kctx *ctx, size_t bytes, void **out);

/**
 * weft_k_free: free memory from weft_k_alloc (transfer full). NULL does
 * nothing. On CUDA it waits for work using the memory (cudaFree
 * synchronizes the device). [any-thread], not concurrently on one @ctx.
 */
WEFT_API void weft_k_free(weft_kctx *ctx, void *ptr);

/**
 * weft_k_host_alloc: allocate @bytes of host memory that copies can use
 * asynchronously: page-locked (cudaHostAlloc, portable) on a CUDA context,
 * 64-byte aligned ordinary memory on the CPU.
 * @out: (out) (transfer full) free with weft_k_host_free on a context of the
 * same backend. Returns 0, WEFT_EINVAL, WEFT_ENOMEM. [any-thread], not
 * concurrently on one @ctx.
 */
WEFT_API int weft_k_host_alloc(weft_kctx *ctx, size_t bytes, void **out);

/** weft_k_host_free: free memory from weft_k_host_alloc. NULL does nothing. */
WEFT_API void weft_k_host_free(weft_kctx *ctx, void *ptr);

/**
 * weft_k_copy: copy @bytes from @src to @dst in direction @kind, queued on
 * the context's stream (cudaMemcpyAsync). On a CPU context every kind is a
 * plain memcpy. Host buffers: (transfer none), keep them valid until
 * weft_k_sync returns; only pinned host memory gives a truly asynchronous
 * copy. Regions must not overlap. Returns 0, WEFT_EINVAL, WEFT_ECUDA.
 * [worker]
 */
WEFT_API int weft_k_copy(weft_kctx *ctx, void *dst, const void *src,
                         size_t bytes, weft_k_copy_kind kind);

/**
 * weft_k_memset: set @bytes at @dst (context domain) to the byte @value,
 * queued on the stream. Returns 0, WEFT_EINVAL, WEFT_ECUDA. [worker]
 */
WEFT_API int weft_k_memset(weft_kctx *ctx, void *dst, int value, size_t bytes);

/* ------------------------------------------------------------- ops */

/*
 * All op pointers are (transfer none), in the context's domain; all ops are
 * [worker] (the context's thread), asynchronous on CUDA.
 */

/**
 * weft_k_gemm_f32: C = alpha * op(A) * op(B) + beta * C, fp32, row-major.
 * op(A) is M x K: A is stored M x K (lda >= K) or, when @trans_a, K x M
 * (lda >= M). op(B) is K x N: B is stored K x N (ldb >= N) or, when
 * @trans_b, N x K (ldb >= K). C is M x N (ldc >= N).
 * As in BLAS, beta == 0 means C is not read (NaNs in C are overwritten), and
 * K == 0 gives C = beta * C. M == 0 or N == 0 does nothing.
 * The CPU backend calls OpenBLAS cblas_sgemm; the CUDA backend calls
 * cublasSgemm with FP32 math (no TF32) by swapping the operands, since a
 * row-major C is the column-major C^T = op(B)^T op(A)^T.
 * Returns 0, WEFT_EINVAL (negative size, short leading dimension, NULL
 * pointer with non-empty data), WEFT_ERANGE (a size above INT32_MAX),
 * WEFT_ECUDA.
 */
WEFT_API int weft_k_gemm_f32(weft_kctx *ctx, bool trans_a, bool trans_b,
                             int64_t m, int64_t n, int64_t k, float alpha,
                             const float *a, int64_t lda, const float *b,
                             int64_t ldb, float beta, float *c, int64_t ldc);

/**
 * weft_k_gemm_batched_f32: @batch independent GEMMs as weft_k_gemm_f32, the
 * i-th on A + i*stride_a, B + i*stride_b, C + i*stride_c (strides in
 * elements). stride_a or stride_b may be 0 to share one operand across the
 * batch; C matrices must not overlap. @batch == 0 does nothing.
 * Returns as weft_k_gemm_f32.
 */
WEFT_API int weft_k_gemm_batched_f32(weft_kctx *ctx, bool trans_a,
                                     bool trans_b, int64_t m, int64_t n,
                                     int64_t k, float alpha, const float *a,
                                     int64_t lda, int64_t stride_a,
                                     const float *b, int64_t ldb,
                                     int64_t stride_b, float beta, float *c,
                                     int64_t ldc, int64_t stride_c,
                                     int64_t batch);

/**
 * weft_k_add_f32: out[i] = a[i] + b[i] for i < @n. @out may alias @a or
 * @b exactly (in place), but not partly overlap them. Returns 0,
 * WEFT_EINVAL, WEFT_ECUDA.
 */
WEFT_API int weft_k_add_f32(weft_kctx *ctx, const float *a, const float *b,
                            float *out, size_t n);

/** weft_k_mul_f32: out[i] = a[i] * b[i]; as weft_k_add_f32. */
WEFT_API int weft_k_mul_f32(weft_kctx *ctx, const float *a, const float *b,
                            float *out, size_t n);

/**
 * weft_k_scale_f32: out[i] = alpha * x[i]; @out may be @x. Returns 0,
 * WEFT_EINVAL, WEFT_ECUDA.
 */
WEFT_API int weft_k_scale_f32(weft_kctx *ctx, const float *x, float alpha,
                              float *out, size_t n);

WEFT_END_DECLS
#endif /* WEFT_KERNELS_H */
