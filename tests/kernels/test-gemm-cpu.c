/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-gemm-cpu: the CPU backend's GEMM (OpenBLAS) and elementwise ops
 * against a naive reference in double precision, on fresh random inputs.
 * Runs everywhere (no GPU needed). Tolerances: see kutil.h.
 */
#include <config.h>

#include <check.h>
#include <weft/kernels.h>

#include "kutil.h"

static weft_kctx *cpu;

static void setup(void)
{
    ck_assert_int_eq(weft_kctx_new("cpu", &cpu), 0);
    ck_assert_int_eq(weft_kctx_backend(cpu), WEFT_K_BACKEND_CPU);
}

static void teardown(void)
{
    weft_kctx_free(cpu);
    cpu = NULL;
}

/* One GEMM (or a batch) on the CPU context, checked against kref_gemm. */
static void run_gemm(krng *r, int ta, int tb, int64_t m, int64_t n, int64_t k,
                     float alpha, float beta, int64_t pad, int64_t batch,
                     int share_a)
{
    int64_t lda = (ta ? m : k) + pad, ldb = (tb ? k : n) + pad, ldc = n + pad;
    size_t ea = kmat_elems(ta ? k : m, ta ? m : k, lda);
    size_t eb = kmat_elems(tb ? n : k, tb ? k : n, ldb);
    size_t ec = kmat_elems(m, n, ldc);
    int64_t sa = share_a ? 0 : (int64_t)ea + 5, sb = (int64_t)eb + 3,
            sc = (int64_t)ec + 7;
    int64_t nb = batch ? batch : 1;
    float *a = kalloc_f32((size_t)(sa * (nb - 1)) + ea);
    float *b = kalloc_f32((size_t)(sb * (nb - 1)) + eb);
    float *c = kalloc_f32((size_t)(sc * (nb - 1)) + ec);
    float *c0 = kalloc_f32((size_t)(sc * (nb - 1)) + ec);
    double *ref = malloc(((size_t)(m * n) + 1) * sizeof *ref);
    double *mag = malloc(((size_t)(m * n) + 1) * sizeof *mag);
    int rc;

    krng_fill(r, a, (size_t)(sa * (nb - 1)) + ea);
    krng_fill(r, b, (size_t)(sb * (nb - 1)) + eb);
    krng_fill(r, c0, (size_t)(sc * (nb - 1)) + ec);
    /* beta == 0 must not read C: poison it. */
    if (beta == 0)
        for (size_t i = 0; i < (size_t)(sc * (nb - 1)) + ec; i++)
            c0[i] = NAN;
    memcpy(c, c0, ((size_t)(sc * (nb - 1)) + ec) * sizeof *c);

    if (batch)
        rc = weft_k_gemm_batched_f32(cpu, ta, tb, m, n, k, alpha, a, lda, sa,
                                     b, ldb, sb, beta, c, ldc, sc, batch);
    else
        rc = weft_k_gemm_f32(cpu, ta, tb, m, n, k, alpha, a, lda, b, ldb,
                             beta, c, ldc);
    ck_assert_msg(rc == 0, "gemm rc %d (seed %llu)", rc,
                  (unsigned long long)ktest_seed);

    for (int64_t bi = 0; bi < nb; bi++) {
        int64_t where;
        kref_gemm(ta, tb, m, n, k, alpha, a + bi * sa, lda, b + bi * sb, ldb,
                  beta, c0 + bi * sc, ldc, ref, mag);
        double worst = kcheck_gemm(m, n, c + bi * sc, ldc, ref, mag,
                                   KTOL_F32, &where);
        ck_assert_msg(worst <= 1.0,
                      "gemm ta=%d tb=%d m=%lld n=%lld k=%lld alpha=%g beta=%g "
                      "pad=%lld batch=%lld/%lld: element %lld is off by %.3g "
                      "x tolerance (got %.9g, want %.9g) (seed %llu)",
                      ta, tb, (long long)m, (long long)n, (long long)k, alpha,
                      beta, (long long)pad, (long long)bi, (long long)nb,
                      (long long)where, worst,
                      where >= 0 ? c[bi * sc + (where / (n ? n : 1)) * ldc +
                                     where % (n ? n : 1)]
                                 : 0.0,
                      where >= 0 ? ref[where] : 0.0,
                      (unsigned long long)ktest_seed);
        /* Padding between rows and between matrices stays untouched. */
        for (int64_t i = 0; i < m; i++)
            for (int64_t j = n; j < ldc && i < m - 1; j++) {
                size_t o = (size_t)(bi * sc + i * ldc + j);
                ck_assert_msg(memcmp(&c[o], &c0[o], sizeof *c) == 0,
                              "gemm wrote into C's padding (seed %llu)",
                              (unsigned long long)ktest_seed);
            }
    }
    free(a);
    free(b);
    free(c);
    free(c0);
    free(ref);
    free(mag);
}

static const int64_t shapes[][3] = {
    {1, 1, 1},    {1, 7, 1},     {2, 3, 4},     {7, 5, 3},
    {16, 16, 16}, {17, 31, 9},   {33, 65, 17},  {64, 64, 64},
    {100, 1, 50}, {1, 100, 50},  {127, 129, 131}, {96, 80, 513},
};
static const float alphas_betas[][2] = {
    {1, 0}, {1, 1}, {-0.5f, 0.25f}, {2.5f, -1.5f}, {0.75f, 0},
};

START_TEST(gemm_shapes)
{
    krng r = krng_new(1);
    int idx = 0;
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++)
        for (int t = 0; t < 4; t++)
            for (int pad = 0; pad <= 3; pad += 3) {
                const float *ab = alphas_betas[idx++ % 5];
                run_gemm(&r, t & 1, t >> 1, shapes[s][0], shapes[s][1],
                         shapes[s][2], ab[0], ab[1], pad, 0, 0);
            }
}
END_TEST

/* A K large enough that a plain relative error would be meaningless:
 * results cancel to near zero while the terms summed are ~K/4. */
START_TEST(gemm_large_k)
{
    krng r = krng_new(2);
    run_gemm(&r, 0, 0, 8, 9, 4096, 1, 0, 0, 0, 0);
    run_gemm(&r, 1, 1, 5, 3, 3001, -1.25f, 0.5f, 1, 0, 0);
}
END_TEST

START_TEST(gemm_edges)
{
    krng r = krng_new(3);
    /* alpha == 0: C = beta * C. */
    run_gemm(&r, 0, 1, 9, 11, 13, 0, 0.5f, 2, 0, 0);
    run_gemm(&r, 0, 0, 9, 11, 13, 0, 0, 0, 0, 0);
    /* K == 0: C = beta * C; with beta == 0, C becomes 0 (NaNs erased). */
    run_gemm(&r, 0, 0, 6, 5, 0, 1, 2, 1, 0, 0);
    run_gemm(&r, 1, 0, 6, 5, 0, 1, 0, 0, 0, 0);
    /* M == 0 or N == 0: nothing happens, NULL pointers are fine. */
    ck_assert_int_eq(weft_k_gemm_f32(cpu, false, false, 0, 5, 3, 1, NULL, 3,
                                     NULL, 5, 0, NULL, 5), 0);
    ck_assert_int_eq(weft_k_gemm_f32(cpu, false, false, 4, 0, 3, 1, NULL, 3,
                                     NULL, 1, 0, NULL, 1), 0);
}
END_TEST

START_TEST(gemm_batched)
{
    krng r = krng_new(4);
    run_gemm(&r, 0, 0, 5, 7, 3, 1, 0, 0, 1, 0);
    run_gemm(&r, 1, 0, 33, 17, 65, -0.5f, 0.25f, 2, 3, 0);
    run_gemm(&r, 0, 1, 16, 24, 40, 1.5f, 1, 0, 8, 0);
    run_gemm(&r, 1, 1, 9, 13, 21, 1, 0, 1, 5, 1); /* A shared */
    run_gemm(&r, 0, 0, 4, 6, 0, 1, 0.5f, 1, 4, 0); /* K == 0 */
    ck_assert_int_eq(weft_k_gemm_batched_f32(cpu, false, false, 3, 3, 3, 1,
                                             NULL, 3, 9, NULL, 3, 9, 0, NULL,
                                             3, 9, 0), 0);
}
END_TEST

START_TEST(gemm_bad_args)
{
    float a[64] = {0}, b[64] = {0}, c[64] = {0};
    ck_assert_int_eq(weft_k_gemm_f32(NULL, 0, 0, 2, 2, 2, 1, a, 2, b, 2, 0, c, 2),
                     WEFT_EINVAL);
    ck_assert_int_eq(weft_k_gemm_f32(cpu, 0, 0, -1, 2, 2, 1, a, 2, b, 2, 0, c, 2),
                     WEFT_EINVAL);
    /* Short leading dimensions, for each operand and transpose. */
    ck_assert_int_eq(weft_k_gemm_f32(cpu, 0, 0, 3, 4, 5, 1, a, 4, b, 4, 0, c, 4),
                     WEFT_EINVAL);
    ck_assert_int_eq(weft_k_gemm_f32(cpu, 1, 0, 3, 4, 5, 1, a, 2, b, 4, 0, c, 4),
                     WEFT_EINVAL);
    ck_assert_int_eq(weft_k_gemm_f32(cpu, 0, 0, 3, 4, 5, 1, a, 5, b, 3, 0, c, 4),
                     WEFT_EINVAL);
    ck_assert_int_eq(weft_k_gemm_f32(cpu, 0, 1, 3, 4, 5, 1, a, 5, b, 4, 0, c, 4),
                     WEFT_EINVAL);
    ck_assert_int_eq(weft_k_gemm_f32(cpu, 0, 0, 3, 4, 5, 1, a, 5, b, 4, 0, c, 3),
                     WEFT_EINVAL);
    ck_assert_int_eq(weft_k_gemm_f32(cpu, 0, 0, 3, 4, 5, 1, NULL, 5, b, 4, 0, c, 4),
                     WEFT_EINVAL);
    ck_assert_int_eq(weft_k_gemm_f32(cpu, 0, 0, 3, 4, 5, 1, a, 5, b, 4, 0, NULL, 4),
                     WEFT_EINVAL);
    ck_assert_int_eq(weft_k_gemm_f32(cpu, 0, 0, (int64_t)1 << 33, 1, 1, 1, a,
                                     1, b, 1, 0, c, 1), WEFT_ERANGE);
    /* Overlapping C matrices in a batch. */
    ck_assert_int_eq(weft_k_gemm_batched_f32(cpu, 0, 0, 2, 2, 2, 1, a, 2, 4, b,
                                             2, 4, 0, c, 2, 3, 2), WEFT_EINVAL);
    ck_assert_int_eq(weft_k_gemm_batched_f32(cpu, 0, 0, 2, 2, 2, 1, a, 2, 4, b,
                                             2, 4, 0, c, 2, 4, -1), WEFT_EINVAL);
}
END_TEST

/* Elementwise ops against double; sizes cover the vector bodies and tails. */
START_TEST(elementwise)
{
    static const size_t sizes[] = {1, 3, 4, 5, 31, 1000, 4097};
    krng r = krng_new(5);
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
        size_t n = sizes[s], where;
        float *a = kalloc_f32(n), *b = kalloc_f32(n), *o = kalloc_f32(n);
        double *ref = malloc(n * sizeof *ref);
        float alpha = krng_float(&r) * 4;
        krng_fill(&r, a, n);
        krng_fill(&r, b, n);

        ck_assert_int_eq(weft_k_add_f32(cpu, a, b, o, n), 0);
        for (size_t i = 0; i < n; i++)
            ref[i] = (double)a[i] + b[i];
        ck_assert_msg(kcheck_rel(n, o, ref, KTOL_F32, &where) <= 1,
                      "add n=%zu at %zu (seed %llu)", n, where,
                      (unsigned long long)ktest_seed);

        ck_assert_int_eq(weft_k_mul_f32(cpu, a, b, o, n), 0);
        for (size_t i = 0; i < n; i++)
            ref[i] = (double)a[i] * b[i];
        ck_assert_msg(kcheck_rel(n, o, ref, KTOL_F32, &where) <= 1,
                      "mul n=%zu at %zu (seed %llu)", n, where,
                      (unsigned long long)ktest_seed);

        /* In place: out == x. */
        memcpy(o, a, n * sizeof *o);
        ck_assert_int_eq(weft_k_scale_f32(cpu, o, alpha, o, n), 0);
        for (size_t i = 0; i < n; i++)
            ref[i] = (double)alpha * a[i];
        ck_assert_msg(kcheck_rel(n, o, ref, KTOL_F32, &where) <= 1,
                      "scale n=%zu at %zu (seed %llu)", n, where,
                      (unsigned long long)ktest_seed);
        free(a);
        free(b);
        free(o);
        free(ref);
    }
    ck_assert_int_eq(weft_k_add_f32(cpu, NULL, NULL, NULL, 0), 0);
    ck_assert_int_eq(weft_k_add_f32(cpu, NULL, NULL, NULL, 1), WEFT_EINVAL);
    ck_assert_int_eq(weft_k_scale_f32(NULL, NULL, 1, NULL, 0), WEFT_EINVAL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kernels-cpu");
    TCase *tc = tcase_create("gemm");
    SRunner *sr;
    int failed;

    ktest_init_seed("test-gemm-cpu");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, gemm_shapes);
    tcase_add_test(tc, gemm_large_k);
    tcase_add_test(tc, gemm_edges);
    tcase_add_test(tc, gemm_batched);
    tcase_add_test(tc, gemm_bad_args);
    tcase_add_test(tc, elementwise);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    if (failed)
        printf("test-gemm-cpu: seed %llu\n", (unsigned long long)ktest_seed);
    return failed ? 1 : 0;
}
