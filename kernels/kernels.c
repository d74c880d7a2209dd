/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * kernels.c: device strings, contexts and the op entry points. Each entry
 * point validates its arguments once, here, so both backends see the same
 * contract, then hands the call to the CPU or the CUDA backend.
 */
#include <config.h>

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kinternal.h"

/* ------------------------------------------------------------- devices */

static pthread_once_t probe_once = PTHREAD_ONCE_INIT;
static int probe_count;
static const char *probe_why = "built without CUDA";

static void probe(void)
{
#ifdef WEFT_HAVE_CUDA
    int count = 0;
    if (weft__kcuda_probe(&count, &probe_why) == 0 && count > 0)
        probe_count = count;
#endif
}

bool weft_k_have_cuda_build(void)
{
#ifdef WEFT_HAVE_CUDA
    return true;
#else
    return false;
#endif
}

bool weft_k_cuda_available(const char **why)
{
    pthread_once(&probe_once, probe);
    if (why)
        *why = probe_why;
    return probe_count > 0;
}

int32_t weft_k_cuda_device_count(void)
{
    pthread_once(&probe_once, probe);
    return probe_count;
}

int weft_k_device_parse(const char *device, weft_k_backend *backend,
                        int32_t *index)
{
    weft_k_backend be;
    long idx = 0;

    if (!device || !strcmp(device, "auto")) {
        be = weft_k_cuda_available(NULL) ? WEFT_K_BACKEND_CUDA
                                         : WEFT_K_BACKEND_CPU;
    } else if (!strcmp(device, "cpu")) {
        be = WEFT_K_BACKEND_CPU;
    } else if (!strncmp(device, "cuda", 4)) {
        const char *p = device + 4;
        be = WEFT_K_BACKEND_CUDA;
        if (*p == ':') {
            char *end;
            /* Digits only: no sign, no spaces, no hex. */
            if (p[1] < '0' || p[1] > '9')
                return WEFT_EINVAL;
            errno = 0;
            idx = strtol(p + 1, &end, 10);
            if (*end || errno || idx > INT32_MAX)
                return WEFT_EINVAL;
        } else if (*p) {
            return WEFT_EINVAL;
        }
        if (idx >= weft_k_cuda_device_count())
            return WEFT_ENODEV;
    } else {
        return WEFT_EINVAL;
    }
    if (backend)
        *backend = be;
    if (index)
        *index = (int32_t)idx;
    return 0;
}

/* ------------------------------------------------------------- contexts */

int weft_kctx_new(const char *device, weft_kctx **out)
{
    weft_k_backend be;
    int32_t idx;
    weft_kctx *ctx;
    int rc;

    if (!out)
        return WEFT_EINVAL;
    *out = NULL;
    rc = weft_k_device_parse(device, &be, &idx);
    if (rc < 0)
        return rc;
    ctx = calloc(1, sizeof *ctx);
    if (!ctx)
        return WEFT_ENOMEM;
    ctx->backend = be;
    ctx->device = idx;
    if (be == WEFT_K_BACKEND_CPU) {
        snprintf(ctx->name, sizeof ctx->name, "cpu");
    } else {
        snprintf(ctx->name, sizeof ctx->name, "cuda:%d", (int)idx);
#ifdef WEFT_HAVE_CUDA
        rc = weft__kcuda_new(idx, &ctx->cuda, ctx->last_error);
#else
        rc = WEFT_ENODEV; /* unreachable: parse said ENODEV already */
#endif
        if (rc < 0) {
            free(ctx);
            return rc;
        }
    }
    *out = ctx;
    return 0;
}

void weft_kctx_free(weft_kctx *ctx)
{
    if (!ctx)
        return;
#ifdef WEFT_HAVE_CUDA
    if (ctx->cuda)
        weft__kcuda_free(ctx->cuda);
#endif
    free(ctx);
}

weft_k_backend weft_kctx_backend(const weft_kctx *ctx)
{
    return ctx ? ctx->backend : WEFT_K_BACKEND_CPU;
}

int32_t weft_kctx_device(const weft_kctx *ctx)
{
    return ctx ? ctx->device : 0;
}

const char *weft_kctx_name(const weft_kctx *ctx)
{
    return ctx ? ctx->name : "";
}

const char *weft_kctx_last_error(const weft_kctx *ctx)
{
    return ctx ? ctx->last_error : "";
}

/* Hand the call to the CUDA backend when ctx runs on CUDA. In builds
 * without CUDA the macro vanishes and every call takes the CPU path (a CPU
 * context is the only kind such a build can create). */
#ifdef WEFT_HAVE_CUDA
#define CUDA_CALL(ctx, call) \
    do { if ((ctx)->cuda) return call; } while (0)
#else
#define CUDA_CALL(ctx, call) do { (void)(ctx); } while (0)
#endif

void *weft_kctx_stream(const weft_kctx *ctx)
{
#ifdef WEFT_HAVE_CUDA
    if (ctx && ctx->cuda)
        return weft__kcuda_stream(ctx->cuda);
#endif
    return NULL;
}

int weft_kctx_set_stream(weft_kctx *ctx, void *stream)
{
    if (!ctx)
        return WEFT_EINVAL;
    CUDA_CALL(ctx, weft__kcuda_set_stream(ctx->cuda, stream, ctx->last_error));
    return stream ? WEFT_ENOTSUP : 0;
}

int weft_k_sync(weft_kctx *ctx)
{
    if (!ctx)
        return WEFT_EINVAL;
    CUDA_CALL(ctx, weft__kcuda_sync(ctx->cuda, ctx->last_error));
    return 0;
}

/* ------------------------------------------------------------- memory */

static void *host_aligned(size_t bytes)
{
    void *p = NULL;
    /* Round up so the size is a multiple of the alignment, as C11
     * aligned_alloc wants; posix_memalign does not but costs nothing. */
    if (bytes > SIZE_MAX - 63)
        return NULL;
    if (posix_memalign(&p, 64, (bytes + 63) & ~(size_t)63))
        return NULL;
    return p;
}

int weft_k_alloc(weft_kctx *ctx, size_t bytes, void **out)
{
    if (!ctx || !out)
        return WEFT_EINVAL;
    *out = NULL;
    if (!bytes)
        return 0;
    CUDA_CALL(ctx, weft__kcuda_alloc(ctx->cuda, bytes, out, ctx->last_error));
    *out = host_aligned(bytes);
    return *out ? 0 : WEFT_ENOMEM;
}

void weft_k_free(weft_kctx *ctx, void *ptr)
{
    if (!ctx || !ptr)
        return;
#ifdef WEFT_HAVE_CUDA
    if (ctx->cuda) {
        weft__kcuda_free_mem(ctx->cuda, ptr);
        return;
    }
#endif
    free(ptr);
}

int weft_k_host_alloc(weft_kctx *ctx, size_t bytes, void **out)
{
    if (!ctx || !out)
        return WEFT_EINVAL;
    *out = NULL;
    if (!bytes)
        return 0;
    CUDA_CALL(ctx,
              weft__kcuda_host_alloc(ctx->cuda, bytes, out, ctx->last_error));
    *out = host_aligned(bytes);
    return *out ? 0 : WEFT_ENOMEM;
}

void weft_k_host_free(weft_kctx *ctx, void *ptr)
{
    if (!ctx || !ptr)
        return;
#ifdef WEFT_HAVE_CUDA
    if (ctx->cuda) {
        weft__kcuda_host_free(ctx->cuda, ptr);
        return;
    }
#endif
    free(ptr);
}

int weft_k_copy(weft_kctx *ctx, void *dst, const void *src, size_t bytes,
                weft_k_copy_kind kind)
{
    if (!ctx || kind > WEFT_K_COPY_H2H)
        return WEFT_EINVAL;
    if (!bytes)
        return 0;
    if (!dst || !src)
        return WEFT_EINVAL;
    CUDA_CALL(ctx, weft__kcuda_copy(ctx->cuda, dst, src, bytes, kind,
                                    ctx->last_error));
    memcpy(dst, src, bytes);
    return 0;
}

int weft_k_memset(weft_kctx *ctx, void *dst, int value, size_t bytes)
{
    if (!ctx)
        return WEFT_EINVAL;
    if (!bytes)
        return 0;
    if (!dst)
        return WEFT_EINVAL;
    CUDA_CALL(ctx, weft__kcuda_memset(ctx->cuda, dst, value, bytes,
                                      ctx->last_error));
    memset(dst, value, bytes);
    return 0;
}

/* ------------------------------------------------------------- GEMM */

/* Shared argument check of both GEMM entry points. Leading dimensions must
 * be at least 1 even for empty matrices, as BLAS requires. Pointers may be
 * NULL where nothing is read or written (no_data: an empty batch). */
static int gemm_check(bool ta, bool tb, int64_t m, int64_t n, int64_t k,
                      const float *a, int64_t lda, const float *b, int64_t ldb,
                      const float *c, int64_t ldc, bool no_data)
{
    int64_t a_cols = ta ? m : k, b_cols = tb ? k : n;

    if (m < 0 || n < 0 || k < 0)
        return WEFT_EINVAL;
    if (lda < (a_cols > 1 ? a_cols : 1) || ldb < (b_cols > 1 ? b_cols : 1) ||
        ldc < (n > 1 ? n : 1))
        return WEFT_EINVAL;
    if (m > INT_MAX || n > INT_MAX || k > INT_MAX || lda > INT_MAX ||
        ldb > INT_MAX || ldc > INT_MAX)
        return WEFT_ERANGE;
    if (no_data)
        return 0;
    if (m && n && !c)
        return WEFT_EINVAL;
    if (m && n && k && (!a || !b))
        return WEFT_EINVAL;
    return 0;
}

int weft_k_gemm_f32(weft_kctx *ctx, bool trans_a, bool trans_b, int64_t m,
                    int64_t n, int64_t k, float alpha, const float *a,
                    int64_t lda, const float *b, int64_t ldb, float beta,
                    float *c, int64_t ldc)
{
    int rc;

    if (!ctx)
        return WEFT_EINVAL;
    rc = gemm_check(trans_a, trans_b, m, n, k, a, lda, b, ldb, c, ldc, false);
    if (rc < 0 || !m || !n)
        return rc;
    CUDA_CALL(ctx, weft__kcuda_gemm_f32(ctx->cuda, trans_a, trans_b, (int)m,
                                        (int)n, (int)k, alpha, a, (int)lda, 0,
                                        b, (int)ldb, 0, beta, c, (int)ldc, 0,
                                        1, ctx->last_error));
    weft__kcpu_gemm_f32(trans_a, trans_b, (int)m, (int)n, (int)k, alpha, a,
                        (int)lda, b, (int)ldb, beta, c, (int)ldc);
    return 0;
}

int weft_k_gemm_batched_f32(weft_kctx *ctx, bool trans_a, bool trans_b,
                            int64_t m, int64_t n, int64_t k, float alpha,
                            const float *a, int64_t lda, int64_t stride_a,
                            const float *b, int64_t ldb, int64_t stride_b,
                            float beta, float *c, int64_t ldc,
                            int64_t stride_c, int64_t batch)
{
    int rc;

    if (!ctx || batch < 0 || stride_a < 0 || stride_b < 0 || stride_c < 0)
        return WEFT_EINVAL;
    rc = gemm_check(trans_a, trans_b, m, n, k, a, lda, b, ldb, c, ldc,
                    batch == 0);
    if (rc < 0 || !m || !n || !batch)
        return rc;
    if (batch > INT_MAX)
        return WEFT_ERANGE;
    /* C matrices must not overlap: each needs (m-1)*ldc + n elements. */
    if (batch > 1 && stride_c < (m - 1) * ldc + n)
        return WEFT_EINVAL;
    CUDA_CALL(ctx, weft__kcuda_gemm_f32(ctx->cuda, trans_a, trans_b, (int)m,
                                        (int)n, (int)k, alpha, a, (int)lda,
                                        stride_a, b, (int)ldb, stride_b, beta,
                                        c, (int)ldc, stride_c, (int)batch,
                                        ctx->last_error));
    /* OpenBLAS threads each GEMM internally; a loop over the batch is what
     * its own batched entry point would do. */
    for (int64_t i = 0; i < batch; i++)
        weft__kcpu_gemm_f32(trans_a, trans_b, (int)m, (int)n, (int)k, alpha,
                            a ? a + i * stride_a : NULL, (int)lda,
                            b ? b + i * stride_b : NULL, (int)ldb, beta,
                            c + i * stride_c, (int)ldc);
    return 0;
}

/* ------------------------------------------------------------- elementwise */

int weft_k_add_f32(weft_kctx *ctx, const float *a, const float *b, float *out,
                   size_t n)
{
    if (!ctx || (n && (!a || !b || !out)))
        return WEFT_EINVAL;
    if (!n)
        return 0;
    CUDA_CALL(ctx, weft__kcuda_add_f32(ctx->cuda, a, b, out, n,
                                       ctx->last_error));
    weft__kcpu_add_f32(a, b, out, n);
    return 0;
}

int weft_k_mul_f32(weft_kctx *ctx, const float *a, const float *b, float *out,
                   size_t n)
{
    if (!ctx || (n && (!a || !b || !out)))
        return WEFT_EINVAL;
    if (!n)
        return 0;
    CUDA_CALL(ctx, weft__kcuda_mul_f32(ctx->cuda, a, b, out, n,
                                       ctx->last_error));
    weft__kcpu_mul_f32(a, b, out, n);
    return 0;
}

int weft_k_scale_f32(weft_kctx *ctx, const float *x, float alpha, float *out,
                     size_t n)
{
    if (!ctx || (n && (!x || !out)))
        return WEFT_EINVAL;
    if (!n)
        return 0;
    CUDA_CALL(ctx, weft__kcuda_scale_f32(ctx->cuda, x, alpha, out, n,
                                         ctx->last_error));
    weft__kcpu_scale_f32(x, alpha, out, n);
    return 0;
}
