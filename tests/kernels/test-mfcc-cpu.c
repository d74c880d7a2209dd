/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-mfcc-cpu: the batched feature op (weft/features.h) on the CPU
 * backend against the mfcc plugin's per-frame code (feat_frames_compute,
 * what the node runs), on fresh random signals of several kinds, for the
 * Kaldi, HTK, python_speech_features and librosa conventions, a power of
 * two FFT and not. Both are double precision: the bound of mfcc-util.h
 * with tau_e = 1e-12, tau_r = tau_a = 1e-6 (float rounding of the rows).
 * Also the argument checks. Runs everywhere (no GPU needed).
 */
#include <config.h>

#include <check.h>

#include "mfcc-util.h"

#define SEED (unsigned long long)ktest_seed

static weft_kctx *cpu;

static void run_case(int ci, int32_t n)
{
    const mtest_case *c = &mtest_cases[ci];
    mtest_setup m;
    krng r = krng_new(100 + (uint64_t)ci);
    mtest_setup_new(c, &m);
    int64_t fl = m.d.frame_length, len = fl + 20000;
    int32_t dim, wf, wc;
    float *x = kalloc_f32((size_t)len), *xs = kalloc_f32((size_t)len);
    int64_t *off = malloc((size_t)n * sizeof *off);
    weft_k_mfcc_plan *p;
    float sc = (float)m.d.sample_scale;
    void *scratch;

    mtest_signal(&r, x, len, fl, off, n);
    for (int64_t i = 0; i < len; i++)
        xs[i] = x[i] * sc; /* the plugin takes scaled frames */
    ck_assert_int_eq(weft_k_mfcc_plan_new(cpu, &m.d, n, &p), 0);
    dim = weft_k_mfcc_plan_dim(p);
    ck_assert_int_eq(dim, (int32_t)feat_plan_static_dim(m.fp));
    float *got = kalloc_f32((size_t)n * dim), *ref = kalloc_f32((size_t)n * dim);
    ck_assert_int_eq(weft_k_mfcc_run(p, x, off, n, got, dim), 0);

    scratch = aligned_alloc(64, (feat_plan_scratch_size(m.fp) + 63) & ~(size_t)63);
    for (int32_t f = 0; f < n; f += FEAT_LANES) {
        const float *fr[FEAT_LANES];
        int64_t idx[FEAT_LANES];
        int k = n - f < FEAT_LANES ? n - f : FEAT_LANES;
        for (int l = 0; l < k; l++) {
            fr[l] = xs + off[f + l];
            idx[l] = f + l;
        }
        feat_frames_compute(m.fp, fr, idx, k, ref + (size_t)f * dim, scratch);
    }
    float *lm = mtest_lmel(cpu, &m, x, off, n);
    mtest_tol tol = { 1e-12, 1e-6, 1e-6 };
    double q = mtest_compare(&m, x, off, n, got, dim, ref, lm, tol, &wf, &wc);
    printf("%-20s %d frames, fft %d: worst %.3g x bound (frame %d col %d)\n",
           c->name, n, m.d.fft_size, q, wf, wc);
    ck_assert_msg(q <= 1.0,
                  "%s: frame %d (offset %lld) col %d: op %.9g plugin %.9g, "
                  "%.3g x bound (seed %llu)", c->name, wf,
                  (long long)off[wf], wc, got[(size_t)wf * dim + wc],
                  ref[(size_t)wf * dim + wc], q, SEED);
    free(scratch);
    free(lm);
    free(got);
    free(ref);
    free(off);
    free(x);
    free(xs);
    weft_k_mfcc_plan_free(p);
    mtest_setup_free(&m);
}

START_TEST(test_parity_plugin)
{
    run_case(_i, 203);
}
END_TEST

START_TEST(test_args)
{
    mtest_setup m;
    weft_k_mfcc_desc d;
    weft_k_mfcc_plan *p = (weft_k_mfcc_plan *)1;
    float x[1000] = { 0 }, out[64];
    int64_t off[2] = { 0, 100 };

    mtest_setup_new(&mtest_cases[0], &m);
    d = m.d;
    ck_assert_int_eq(weft_k_mfcc_plan_new(cpu, &d, 0, &p), WEFT_EINVAL);
    ck_assert_ptr_null(p);
    ck_assert_int_eq(weft_k_mfcc_plan_new(NULL, &d, 1, &p), WEFT_EINVAL);
    ck_assert_int_eq(weft_k_mfcc_plan_new(cpu, NULL, 1, &p), WEFT_EINVAL);
    d.struct_size = 8;
    ck_assert_int_eq(weft_k_mfcc_plan_new(cpu, &d, 1, &p), WEFT_EINVAL);
    d = m.d;
    d.fft_size = d.frame_length - 1;
    ck_assert_int_eq(weft_k_mfcc_plan_new(cpu, &d, 1, &p), WEFT_EINVAL);
    d = m.d;
    d.num_ceps = d.num_mel_bins + 1;
    ck_assert_int_eq(weft_k_mfcc_plan_new(cpu, &d, 1, &p), WEFT_EINVAL);
    d = m.d;
    d.dct = NULL;
    ck_assert_int_eq(weft_k_mfcc_plan_new(cpu, &d, 1, &p), WEFT_EINVAL);
    d = m.d;
    d.energy = 9;
    ck_assert_int_eq(weft_k_mfcc_plan_new(cpu, &d, 1, &p), WEFT_EINVAL);

    ck_assert_int_eq(weft_k_mfcc_plan_new(cpu, &m.d, 2, &p), 0);
    ck_assert_int_eq(weft_k_mfcc_plan_dim(p), 13);
    ck_assert_int_eq(weft_k_mfcc_plan_max_frames(p), 2);
    ck_assert_int_eq(weft_k_mfcc_run(p, x, off, 3, out, 13), WEFT_EINVAL);
    ck_assert_int_eq(weft_k_mfcc_run(p, x, off, 2, out, 12), WEFT_EINVAL);
    ck_assert_int_eq(weft_k_mfcc_run(p, NULL, off, 2, out, 13), WEFT_EINVAL);
    ck_assert_int_eq(weft_k_mfcc_run(p, x, off, 0, NULL, 0), 0);
    /* Silence: every mel bin at the floor, energy at log(FLT_EPSILON). */
    ck_assert_int_eq(weft_k_mfcc_run(p, x, off, 2, out, 13), 0);
    ck_assert(fabsf(out[0] - logf(FLT_EPSILON)) < 1e-5f);
    ck_assert(fabsf(out[13] - logf(FLT_EPSILON)) < 1e-5f);
    weft_k_mfcc_plan_free(p);
    weft_k_mfcc_plan_free(NULL);
    mtest_setup_free(&m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("mfcc-cpu");
    TCase *tc = tcase_create("core");
    SRunner *sr;
    int failed;

    ktest_init_seed("test-mfcc-cpu");
    if (weft_kctx_new("cpu", &cpu) < 0)
        return 1;
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_parity_plugin, 0, MTEST_NCASES);
    tcase_add_test(tc, test_args);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    weft_kctx_free(cpu);
    return failed ? 1 : 0;
}
