/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tests/kernels/kutil.h: what the kernel tests share: a seeded random
 * generator, a double-precision GEMM reference and the comparison criteria.
 *
 * Seeds: every run draws a fresh seed from the clock unless WEFT_TEST_SEED
 * is set; the seed is printed at start and in every failure message, so
 * `WEFT_TEST_SEED=<seed> ./test-...` repeats a failing run exactly.
 *
 * Tolerances (fp32, as DESIGN.md states: 1e-5 relative):
 *   elementwise  |got - ref| <= 1e-5 * |ref|. One IEEE operation per
 *                element, so backends agree exactly in practice.
 *   GEMM         |got - ref|_ij <= 1e-5 * (|alpha| (|A| |B|)_ij
 *                                         + |beta| |C0_ij|)
 *                i.e. the error is measured against the size of the terms
 *                that were summed, not against the result, which can cancel
 *                to near zero and make a plain relative error meaningless
 *                once K is large. This is the componentwise backward-error
 *                form of the classic bound |fl(AB) - AB| <= gamma_K |A||B|.
 *                With random signs the errors cancel too: the observed
 *                worst ratio is ~2e-7 at K = 64 and falls like 1/sqrt(K)
 *                (5e-9 at K = 65536), while a plain relative error reaches
 *                3e-2 on elements that cancel. So 1e-5 leaves a margin of
 *                ~50x for two backends' errors, yet catches reduced
 *                precision: TF32 inputs (unit roundoff 2^-11) give ~1e-4 at
 *                K = 64, so the small-K shapes would fail with TF32 on.
 *                Where the bound is 0 (alpha or K zero and beta zero) the
 *                result must be exactly 0.
 */
#ifndef WEFT_TEST_KUTIL_H
#define WEFT_TEST_KUTIL_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define KTOL_F32 1e-5

static uint64_t ktest_seed __attribute__((unused));

/* Fresh per run, or WEFT_TEST_SEED. Call once from main before forking. */
static inline void ktest_init_seed(const char *prog)
{
    const char *env = getenv("WEFT_TEST_SEED");
    if (env && *env) {
        ktest_seed = strtoull(env, NULL, 0);
    } else {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ktest_seed = (uint64_t)ts.tv_sec * 1000000007u ^ (uint64_t)ts.tv_nsec ^
                     ((uint64_t)getpid() << 32);
    }
    printf("%s: seed %llu (set WEFT_TEST_SEED to repeat)\n", prog,
           (unsigned long long)ktest_seed);
    fflush(stdout);
}

/* splitmix64: small, good enough for test data, identical everywhere. */
typedef struct { uint64_t s; } krng;

static inline krng krng_new(uint64_t stream)
{
    krng r = {ktest_seed ^ (stream * 0x9e3779b97f4a7c15ull)};
    return r;
}

static inline uint64_t krng_next(krng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Uniform in [-1, 1). */
static inline float krng_float(krng *r)
{
    return (float)((double)(krng_next(r) >> 40) / (double)(1ull << 23) - 1.0);
}

static inline void krng_fill(krng *r, float *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = krng_float(r);
}

static inline float *kalloc_f32(size_t n)
{
    float *p = malloc((n ? n : 1) * sizeof *p);
    if (!p) {
        fprintf(stderr, "out of memory\n");
        abort();
    }
    return p;
}

/* Elements a row-major matrix of rows x cols with leading dimension ld
 * occupies (0 when empty). */
static inline size_t kmat_elems(int64_t rows, int64_t cols, int64_t ld)
{
    return rows && cols ? (size_t)((rows - 1) * ld + cols) : 0;
}

/*
 * Reference GEMM in double, row-major, same contract as weft_k_gemm_f32.
 * ref gets alpha * op(A) op(B) + beta * C0 (C0 not read when beta == 0);
 * mag gets the bound |alpha| (|A||B|)_ij + |beta| |C0_ij|. Both are M x N
 * dense (ld N).
 */
static inline void kref_gemm(int ta, int tb, int64_t m, int64_t n, int64_t k,
                      double alpha, const float *a, int64_t lda,
                      const float *b, int64_t ldb, double beta,
                      const float *c0, int64_t ldc, double *ref, double *mag)
{
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) {
            double s = 0, sa = 0;
            for (int64_t p = 0; p < k; p++) {
                double x = ta ? a[p * lda + i] : a[i * lda + p];
                double y = tb ? b[j * ldb + p] : b[p * ldb + j];
                s += x * y;
                sa += fabs(x * y);
            }
            double cv = beta != 0 ? c0[i * ldc + j] : 0;
            ref[i * n + j] = alpha * s + beta * cv;
            mag[i * n + j] = fabs(alpha) * sa + fabs(beta) * fabs(cv);
        }
}

/*
 * Worst ratio |got - ref| / (tol * mag) over the M x N matrix (got has ld
 * ldc): <= 1 passes. A NaN or a nonzero difference where mag is 0 gives
 * INFINITY. *where gets the worst element's index (i * n + j).
 */
static inline double kcheck_gemm(int64_t m, int64_t n, const float *got, int64_t ldc,
                          const double *ref, const double *mag, double tol,
                          int64_t *where)
{
    double worst = 0;
    *where = -1;
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) {
            double g = got[i * ldc + j], d = fabs(g - ref[i * n + j]);
            double bound = tol * mag[i * n + j];
            double r = isnan(g) ? INFINITY
                       : d == 0 ? 0
                       : bound > 0 ? d / bound
                                   : INFINITY;
            if (r > worst || (*where < 0 && r == worst)) {
                worst = r;
                *where = i * n + j;
            }
        }
    return worst;
}

/* Worst |got - ref| / (tol |ref|) over n elements: <= 1 passes. */
static inline double kcheck_rel(size_t n, const float *got, const double *ref,
                         double tol, size_t *where)
{
    double worst = 0;
    *where = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)got[i] - ref[i]);
        double r = isnan(got[i]) ? INFINITY
                   : d == 0      ? 0
                   : ref[i] != 0 ? d / (tol * fabs(ref[i]))
                                 : INFINITY;
        if (r > worst) {
            worst = r;
            *where = i;
        }
    }
    return worst;
}

#endif
