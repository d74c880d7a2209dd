/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * kernels/kinternal.h: what the dispatch layer (kernels.c) and the backends
 * share. Not installed. The CUDA backend is C++ (nvcc), so this header is
 * also valid C++ and its functions have C linkage.
 */
#ifndef WEFT_KINTERNAL_H
#define WEFT_KINTERNAL_H

#include <weft/kernels.h>

WEFT_BEGIN_DECLS

#define WEFT_K_ERRLEN 256

/* The CUDA backend's per-context state (stream, cuBLAS handle); opaque here. */
typedef struct weft__kcuda weft__kcuda;

struct weft_kctx {
    weft_k_backend backend;
    int32_t device;
    char name[16];
    char last_error[WEFT_K_ERRLEN];
    weft__kcuda *cuda; /* NULL for CPU */
};

/* ---- CPU backend (kernels/cpu/). Sizes are already validated. */
void weft__kcpu_gemm_f32(bool ta, bool tb, int m, int n, int k, float alpha,
                         const float *a, int lda, const float *b, int ldb,
                         float beta, float *c, int ldc);
void weft__kcpu_add_f32(const float *a, const float *b, float *out, size_t n);
void weft__kcpu_mul_f32(const float *a, const float *b, float *out, size_t n);
void weft__kcpu_scale_f32(const float *x, float alpha, float *out, size_t n);

/* ---- CUDA backend (kernels/cuda/), only in builds with WEFT_HAVE_CUDA.
 * Each returns 0 or a WEFT_E* code and, on WEFT_ECUDA, writes a sentence
 * into err (WEFT_K_ERRLEN bytes). */
int weft__kcuda_probe(int *count, const char **why);
int weft__kcuda_new(int device, weft__kcuda **out, char *err);
void weft__kcuda_free(weft__kcuda *cu);
void *weft__kcuda_stream(const weft__kcuda *cu);
int weft__kcuda_set_stream(weft__kcuda *cu, void *stream, char *err);
int weft__kcuda_sync(weft__kcuda *cu, char *err);
int weft__kcuda_alloc(weft__kcuda *cu, size_t bytes, void **out, char *err);
void weft__kcuda_free_mem(weft__kcuda *cu, void *ptr);
int weft__kcuda_host_alloc(weft__kcuda *cu, size_t bytes, void **out,
                           char *err);
void weft__kcuda_host_free(weft__kcuda *cu, void *ptr);
int weft__kcuda_copy(weft__kcuda *cu, void *dst, const void *src, size_t bytes,
                     weft_k_copy_kind kind, char *err);
int weft__kcuda_memset(weft__kcuda *cu, void *dst, int value, size_t bytes,
                       char *err);
int weft__kcuda_gemm_f32(weft__kcuda *cu, bool ta, bool tb, int m, int n,
                         int k, float alpha, const float *a, int lda,
                         long long sa, const float *b, int ldb, long long sb,
                         float beta, float *c, int ldc, long long sc,
                         int batch, char *err);
int weft__kcuda_add_f32(weft__kcuda *cu, const float *a, const float *b,
                        float *out, size_t n, char *err);
int weft__kcuda_mul_f32(weft__kcuda *cu, const float *a, const float *b,
                        float *out, size_t n, char *err);
int weft__kcuda_scale_f32(weft__kcuda *cu, const float *x, float alpha,
                          float *out, size_t n, char *err);

WEFT_END_DECLS
#endif
