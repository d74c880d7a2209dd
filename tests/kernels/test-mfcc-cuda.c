/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-mfcc-cuda: the batched feature op (weft/features.h) on CUDA against
 * its CPU backend (which test-mfcc-cpu checks against the mfcc plugin), on
 * fresh random signals, for every convention of mfcc-util.h, within the
 * bound mfcc-util.h derives: tau_e = 1e-5 of the frame's whole spectrum
 * per bin (a float32 FFT), tau_r = tau_a = 1e-5 (float log and GEMMs).
 * Batches of several sizes on one plan (each cuFFT batch bucket, frames
 * past n), rows with padding (ldo > dim: padding must stay untouched),
 * and a run on a lent stream. Exits 77 (automake SKIP) without CUDA or a
 * GPU; runs in-process (CK_NOFORK): CUDA does not survive fork().
 */
#include <config.h>

#include <check.h>

#include "mfcc-util.h"

#define SEED (unsigned long long)ktest_seed

static weft_kctx *cpu, *gpu;

static void *dev_upload(const void *h, size_t bytes)
{
    void *d = NULL;
    int rc = weft_k_alloc(gpu, bytes, &d);
    ck_assert_msg(rc == 0, "weft_k_alloc(%zu): %d %s", bytes, rc,
                  weft_kctx_last_error(gpu));
    ck_assert_int_eq(weft_k_copy(gpu, d, h, bytes, WEFT_K_COPY_H2D), 0);
    return d;
}

static void run_case(int ci)
{
    const mtest_case *c = &mtest_cases[ci];
    mtest_setup m;
    krng r = krng_new(200 + (uint64_t)ci);
    int32_t max = 1000 + (int32_t)(krng_next(&r) % 400), dim, wf, wc;
    mtest_setup_new(c, &m);
    int64_t fl = m.d.frame_length, len = fl + 60000;
    float *x = kalloc_f32((size_t)len);
    int64_t *off = malloc((size_t)max * sizeof *off);
    weft_k_mfcc_plan *pc, *pg;
    mtest_tol tol = { 1e-5, 1e-5, 1e-5 };

    mtest_signal(&r, x, len, fl, off, max);
    ck_assert_int_eq(weft_k_mfcc_plan_new(cpu, &m.d, max, &pc), 0);
    int rc = weft_k_mfcc_plan_new(gpu, &m.d, max, &pg);
    ck_assert_msg(rc == 0, "%s: plan on cuda: %d %s", c->name, rc,
                  weft_kctx_last_error(gpu));
    dim = weft_k_mfcc_plan_dim(pg);
    ck_assert_int_eq(dim, weft_k_mfcc_plan_dim(pc));
    int64_t ldo = dim + 3;
    float *ref = kalloc_f32((size_t)max * dim);
    float *got = kalloc_f32((size_t)max * ldo);
    float *dx = dev_upload(x, (size_t)len * sizeof *x);
    int64_t *doff = dev_upload(off, (size_t)max * sizeof *off);
    float *dout;
    ck_assert_int_eq(weft_k_alloc(gpu, (size_t)max * ldo * sizeof(float),
                                  (void **)&dout), 0);
    float *lm = mtest_lmel(cpu, &m, x, off, max);
    ck_assert_int_eq(weft_k_mfcc_run(pc, x, off, max, ref, dim), 0);

    /* Sizes: the whole plan, one frame, a power of two and one past it. */
    int32_t sizes[] = { max, 1, 256, 257, max - 1 };
    for (size_t si = 0; si < sizeof sizes / sizeof *sizes; si++) {
        int32_t n = sizes[si];
        ck_assert_int_eq(weft_k_memset(gpu, dout, 0x7f, (size_t)max * ldo *
                                       sizeof(float)), 0);
        rc = weft_k_mfcc_run(pg, dx, doff, n, dout, ldo);
        ck_assert_msg(rc == 0, "%s n=%d: run: %d %s", c->name, n, rc,
                      weft_kctx_last_error(gpu));
        ck_assert_int_eq(weft_k_copy(gpu, got, dout, (size_t)max * ldo *
                                     sizeof(float), WEFT_K_COPY_D2H), 0);
        rc = weft_k_sync(gpu);
        ck_assert_msg(rc == 0, "%s n=%d: sync: %d %s (seed %llu)", c->name, n,
                      rc, weft_kctx_last_error(gpu), SEED);
        double q = mtest_compare(&m, x, off, n, got, ldo, ref, lm, tol, &wf,
                                 &wc);
        printf("%-20s n=%-5d fft %d: worst %.3g x bound (frame %d col %d)\n",
               c->name, n, m.d.fft_size, q, wf, wc);
        ck_assert_msg(q <= 1.0,
                      "%s n=%d: frame %d (offset %lld) col %d: cuda %.9g cpu "
                      "%.9g, %.3g x bound (seed %llu)", c->name, n, wf,
                      (long long)off[wf], wc, got[(size_t)wf * ldo + wc],
                      ref[(size_t)wf * dim + wc], q, SEED);
        uint32_t pat;
        memset(&pat, 0x7f, sizeof pat);
        for (int64_t i = 0; i < (int64_t)max * ldo; i++) {
            bool written = i / ldo < n && i % ldo < dim;
            if (!written)
                ck_assert_msg(memcmp(&got[i], &pat, sizeof pat) == 0,
                              "%s n=%d: wrote element %lld outside the rows "
                              "(seed %llu)", c->name, n, (long long)i, SEED);
        }
    }
    weft_k_free(gpu, dout);
    weft_k_free(gpu, doff);
    weft_k_free(gpu, dx);
    weft_k_mfcc_plan_free(pg);
    weft_k_mfcc_plan_free(pc);
    free(lm);
    free(ref);
    free(got);
    free(off);
    free(x);
    mtest_setup_free(&m);
}

START_TEST(test_parity)
{
    run_case(_i);
}
END_TEST

int main(void)
{
    const char *why;
    Suite *s;
    TCase *tc;
    SRunner *sr;
    int failed, rc;

    if (!weft_k_cuda_available(&why)) {
        printf("test-mfcc-cuda: SKIP: %s\n", why);
        return 77;
    }
    ktest_init_seed("test-mfcc-cuda");
    printf("test-mfcc-cuda: %s\n", why);
    if ((rc = weft_kctx_new("cpu", &cpu)) < 0 ||
        (rc = weft_kctx_new("cuda:0", &gpu)) < 0) {
        printf("test-mfcc-cuda: cannot create contexts: %d\n", rc);
        return 1;
    }
    s = suite_create("mfcc-cuda");
    tc = tcase_create("parity");
    tcase_set_timeout(tc, 240);
    tcase_add_loop_test(tc, test_parity, 0, MTEST_NCASES);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    weft_kctx_free(gpu);
    weft_kctx_free(cpu);
    if (failed)
        printf("test-mfcc-cuda: seed %llu\n", SEED);
    return failed ? 1 : 0;
}
