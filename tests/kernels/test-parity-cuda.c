/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-parity-cuda: every op on the CUDA backend against the CPU backend,
 * on fresh random inputs, within the tolerances kutil.h states (fp32:
 * 1e-5 relative elementwise; GEMM: 1e-5 of |alpha||A||B| + |beta||C0| per
 * element). Exits 77 (automake SKIP) when the build has no CUDA or the
 * machine no GPU. To add an op: write a START_TEST that runs it on `cpu` and
 * `gpu` and compares, and add it to main().
 *
 * Check runs these tests in-process (CK_NOFORK): the CUDA runtime does not
 * survive fork() once initialised, and main() initialises it to decide
 * whether to skip.
 */
#include <config.h>

#include <check.h>
#include <weft/kernels.h>

#include "kutil.h"

static weft_kctx *cpu, *gpu;

#define SEED (unsigned long long)ktest_seed

/* ------------------------------------------------------------- helpers */

static float *dev_upload(const float *h, size_t n)
{
    void *d = NULL;
    int rc = weft_k_alloc(gpu, n * sizeof(float), &d);
    ck_assert_msg(rc == 0, "weft_k_alloc(%zu floats): %d %s", n, rc,
                  weft_kctx_last_error(gpu));
    if (n)
        ck_assert_int_eq(weft_k_copy(gpu, d, h, n * sizeof(float),
                                     WEFT_K_COPY_H2D), 0);
    return d;
}

static void dev_download(float *h, const float *d, size_t n)
{
    if (n)
        ck_assert_int_eq(weft_k_copy(gpu, h, d, n * sizeof(float),
                                     WEFT_K_COPY_D2H), 0);
    int rc = weft_k_sync(gpu);
    ck_assert_msg(rc == 0, "weft_k_sync: %d %s", rc, weft_kctx_last_error(gpu));
}

/* ------------------------------------------------------------- GEMM */

static void parity_gemm(krng *r, int ta, int tb, int64_t m, int64_t n,
                        int64_t k, float alpha, float beta, int64_t pad,
                        int64_t batch, int share_a)
{
    int64_t lda = (ta ? m : k) + pad, ldb = (tb ? k : n) + pad, ldc = n + pad;
    size_t ea = kmat_elems(ta ? k : m, ta ? m : k, lda);
    size_t eb = kmat_elems(tb ? n : k, tb ? k : n, ldb);
    size_t ec = kmat_elems(m, n, ldc);
    int64_t sa = share_a ? 0 : (int64_t)ea + 5, sb = (int64_t)eb + 3,
            sc = (int64_t)ec + 7;
    int64_t nb = batch ? batch : 1;
    size_t na = (size_t)(sa * (nb - 1)) + ea, nbb = (size_t)(sb * (nb - 1)) + eb,
           nc = (size_t)(sc * (nb - 1)) + ec;
    float *a = kalloc_f32(na), *b = kalloc_f32(nbb), *c0 = kalloc_f32(nc);
    float *ccpu = kalloc_f32(nc), *cgpu = kalloc_f32(nc), *cmag = kalloc_f32(nc);
    float *absa = kalloc_f32(na), *absb = kalloc_f32(nbb);
    float *da, *db, *dc;
    int rc;

    krng_fill(r, a, na);
    krng_fill(r, b, nbb);
    krng_fill(r, c0, nc);
    if (beta == 0) /* beta == 0 must not read C: poison it */
        for (size_t i = 0; i < nc; i++)
            c0[i] = NAN;
    memcpy(ccpu, c0, nc * sizeof *c0);
    for (size_t i = 0; i < na; i++)
        absa[i] = fabsf(a[i]);
    for (size_t i = 0; i < nbb; i++)
        absb[i] = fabsf(b[i]);
    for (size_t i = 0; i < nc; i++)
        cmag[i] = beta == 0 ? 0 : fabsf(c0[i]);

    da = dev_upload(a, na);
    db = dev_upload(b, nbb);
    dc = dev_upload(c0, nc);
    /* The bound |alpha| |A||B| + |beta| |C0|, computed by the CPU backend
     * on absolute values: a magnitude needs no more than fp32. */
    if (batch) {
        rc = weft_k_gemm_batched_f32(cpu, ta, tb, m, n, k, alpha, a, lda, sa,
                                     b, ldb, sb, beta, ccpu, ldc, sc, batch);
        ck_assert_int_eq(rc, 0);
        rc = weft_k_gemm_batched_f32(cpu, ta, tb, m, n, k, fabsf(alpha), absa,
                                     lda, sa, absb, ldb, sb, fabsf(beta), cmag,
                                     ldc, sc, batch);
        ck_assert_int_eq(rc, 0);
        rc = weft_k_gemm_batched_f32(gpu, ta, tb, m, n, k, alpha, da, lda, sa,
                                     db, ldb, sb, beta, dc, ldc, sc, batch);
    } else {
        rc = weft_k_gemm_f32(cpu, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta,
                             ccpu, ldc);
        ck_assert_int_eq(rc, 0);
        rc = weft_k_gemm_f32(cpu, ta, tb, m, n, k, fabsf(alpha), absa, lda,
                             absb, ldb, fabsf(beta), cmag, ldc);
        ck_assert_int_eq(rc, 0);
        rc = weft_k_gemm_f32(gpu, ta, tb, m, n, k, alpha, da, lda, db, ldb,
                             beta, dc, ldc);
    }
    ck_assert_msg(rc == 0, "cuda gemm rc %d: %s (seed %llu)", rc,
                  weft_kctx_last_error(gpu), SEED);
    dev_download(cgpu, dc, nc);

    for (int64_t bi = 0; bi < nb; bi++) {
        double worst = 0, got = 0, want = 0;
        int64_t wi = -1, wj = -1;
        for (int64_t i = 0; i < m; i++) {
            for (int64_t j = 0; j < n; j++) {
                size_t o = (size_t)(bi * sc + i * ldc + j);
                double g = cgpu[o], c = ccpu[o], d = fabs(g - c);
                double bound = KTOL_F32 * cmag[o];
                double q = isnan(g) || isnan(c) ? INFINITY
                           : d == 0             ? 0
                           : bound > 0          ? d / bound
                                                : INFINITY;
                if (q > worst || wi < 0) {
                    worst = q, wi = i, wj = j, got = g, want = c;
                }
            }
            for (int64_t j = n; j < ldc && i < m - 1; j++) {
                size_t o = (size_t)(bi * sc + i * ldc + j);
                ck_assert_msg(memcmp(&cgpu[o], &c0[o], sizeof *c0) == 0,
                              "cuda gemm wrote into C's padding (seed %llu)",
                              SEED);
            }
        }
        ck_assert_msg(worst <= 1.0,
                      "gemm ta=%d tb=%d m=%lld n=%lld k=%lld alpha=%g beta=%g "
                      "pad=%lld batch %lld/%lld: C[%lld][%lld] cuda %.9g cpu "
                      "%.9g, %.3g x tolerance (seed %llu)",
                      ta, tb, (long long)m, (long long)n, (long long)k, alpha,
                      beta, (long long)pad, (long long)bi, (long long)nb,
                      (long long)wi, (long long)wj, got, want, worst, SEED);
    }
    weft_k_free(gpu, da);
    weft_k_free(gpu, db);
    weft_k_free(gpu, dc);
    free(a);
    free(b);
    free(c0);
    free(ccpu);
    free(cgpu);
    free(cmag);
    free(absa);
    free(absb);
}

static const int64_t shapes[][3] = {
    {1, 1, 1},       {1, 7, 1},      {2, 3, 4},       {7, 5, 3},
    {16, 16, 16},    {17, 31, 9},    {33, 65, 17},    {64, 64, 64},
    {100, 1, 50},    {1, 100, 50},   {127, 129, 131}, {255, 257, 63},
    {256, 384, 512}, {513, 257, 1025}, {1, 1024, 1024}, {1024, 1, 1024},
};
static const float alphas_betas[][2] = {
    {1, 0}, {1, 1}, {-0.5f, 0.25f}, {2.5f, -1.5f}, {0.75f, 0},
};

START_TEST(gemm_shapes)
{
    krng r = krng_new(101);
    int idx = 0;
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++)
        for (int t = 0; t < 4; t++)
            for (int pad = 0; pad <= 3; pad += 3) {
                const float *ab = alphas_betas[idx++ % 5];
                parity_gemm(&r, t & 1, t >> 1, shapes[s][0], shapes[s][1],
                            shapes[s][2], ab[0], ab[1], pad, 0, 0);
            }
}
END_TEST

START_TEST(gemm_large_k)
{
    krng r = krng_new(102);
    parity_gemm(&r, 0, 0, 64, 64, 4096, 1, 0, 0, 0, 0);
    parity_gemm(&r, 1, 1, 33, 17, 8191, -1.25f, 0.5f, 1, 0, 0);
    parity_gemm(&r, 0, 1, 128, 96, 16384, 0.5f, 1, 0, 0, 0);
}
END_TEST

START_TEST(gemm_edges)
{
    krng r = krng_new(103);
    parity_gemm(&r, 0, 1, 9, 11, 13, 0, 0.5f, 2, 0, 0); /* alpha == 0 */
    parity_gemm(&r, 0, 0, 9, 11, 13, 0, 0, 0, 0, 0);
    parity_gemm(&r, 0, 0, 6, 5, 0, 1, 2, 1, 0, 0); /* K == 0 */
    parity_gemm(&r, 1, 0, 6, 5, 0, 1, 0, 0, 0, 0);
    parity_gemm(&r, 0, 0, 4, 6, 0, 1, 0.5f, 1, 4, 0);
    ck_assert_int_eq(weft_k_gemm_f32(gpu, false, false, 0, 5, 3, 1, NULL, 3,
                                     NULL, 5, 0, NULL, 5), 0);
    ck_assert_int_eq(weft_k_gemm_f32(gpu, false, false, 3, 4, 5, 1, NULL, 4,
                                     NULL, 4, 0, NULL, 4), WEFT_EINVAL);
}
END_TEST

START_TEST(gemm_batched)
{
    krng r = krng_new(104);
    parity_gemm(&r, 0, 0, 5, 7, 3, 1, 0, 0, 1, 0);
    parity_gemm(&r, 1, 0, 33, 17, 65, -0.5f, 0.25f, 2, 3, 0);
    parity_gemm(&r, 0, 1, 64, 48, 96, 1.5f, 1, 0, 8, 0);
    parity_gemm(&r, 1, 1, 9, 13, 21, 1, 0, 1, 5, 1); /* A shared */
    parity_gemm(&r, 0, 0, 128, 64, 256, 1, 0, 3, 37, 0);
}
END_TEST

/* ------------------------------------------------------------- elementwise */

enum { OP_ADD, OP_MUL, OP_SCALE };

static int run_op(weft_kctx *k, int op, const float *a, const float *b,
                  float alpha, float *o, size_t n)
{
    switch (op) {
    case OP_ADD: return weft_k_add_f32(k, a, b, o, n);
    case OP_MUL: return weft_k_mul_f32(k, a, b, o, n);
    default: return weft_k_scale_f32(k, a, alpha, o, n);
    }
}

/* One op at element offset `off` (1 makes device pointers unaligned for
 * float4), optionally in place (out == a). */
static void parity_elementwise(krng *r, int op, size_t n, size_t off,
                               int in_place)
{
    static const char *names[] = {"add", "mul", "scale"};
    size_t tot = n + off, where;
    float *a = kalloc_f32(tot), *b = kalloc_f32(tot), *o = kalloc_f32(tot);
    float *g = kalloc_f32(tot);
    double *ref = malloc((n ? n : 1) * sizeof *ref);
    float alpha = krng_float(r) * 8;
    float *da, *db, *dout;
    int rc;

    krng_fill(r, a, tot);
    krng_fill(r, b, tot);
    da = dev_upload(a, tot);
    db = dev_upload(b, tot);
    dout = in_place ? da : dev_upload(a, tot);

    memcpy(o, a, tot * sizeof *o);
    ck_assert_int_eq(run_op(cpu, op, (in_place ? o : a) + off, b + off, alpha,
                            o + off, n), 0);
    rc = run_op(gpu, op, da + off, db + off, alpha, dout + off, n);
    ck_assert_msg(rc == 0, "cuda %s: %d %s", names[op], rc,
                  weft_kctx_last_error(gpu));
    dev_download(g, dout, tot);
    for (size_t i = 0; i < n; i++)
        ref[i] = o[off + i];
    ck_assert_msg(kcheck_rel(n, g + off, ref, KTOL_F32, &where) <= 1,
                  "%s n=%zu off=%zu in_place=%d: [%zu] cuda %.9g cpu %.9g "
                  "(seed %llu)", names[op], n, off, in_place, where,
                  g[off + where], o[off + where], SEED);
    ck_assert_msg(memcmp(g, a, off * sizeof *g) == 0,
                  "%s wrote before its output (seed %llu)", names[op], SEED);
    weft_k_free(gpu, da);
    weft_k_free(gpu, db);
    if (!in_place)
        weft_k_free(gpu, dout);
    free(a);
    free(b);
    free(o);
    free(g);
    free(ref);
}

START_TEST(elementwise)
{
    static const size_t sizes[] = {1, 3, 4, 5, 31, 1000, 4097, 65536 * 5 + 3,
                                   (1u << 24) + 1};
    krng r = krng_new(105);
    for (int op = OP_ADD; op <= OP_SCALE; op++)
        for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++)
            for (size_t off = 0; off <= 1; off++)
                for (int ip = 0; ip <= 1; ip++)
                    parity_elementwise(&r, op, sizes[s], off, ip);
    ck_assert_int_eq(weft_k_add_f32(gpu, NULL, NULL, NULL, 0), 0);
    ck_assert_int_eq(weft_k_mul_f32(gpu, NULL, NULL, NULL, 4), WEFT_EINVAL);
}
END_TEST

/* ------------------------------------------------------------- memory */

START_TEST(memory_and_streams)
{
    krng r = krng_new(106);
    size_t n = (16u << 20) + 7, where; /* 64 MiB and change */
    float *h = kalloc_f32(n), *back, *d1, *d2;
    double *ref = malloc(n * sizeof *ref);
    void *z = (void *)1;
    weft_kctx *other;

    krng_fill(&r, h, n);
    ck_assert_int_eq(weft_k_alloc(gpu, 0, &z), 0);
    ck_assert_ptr_null(z);
    ck_assert_int_eq(weft_k_host_alloc(gpu, n * sizeof *h, (void **)&back), 0);
    ck_assert_int_eq(weft_k_alloc(gpu, n * sizeof *h, (void **)&d1), 0);
    ck_assert_int_eq(weft_k_alloc(gpu, n * sizeof *h, (void **)&d2), 0);

    /* H2D, D2D, D2H (into pinned memory) queued back to back, one sync. */
    ck_assert_int_eq(weft_k_copy(gpu, d1, h, n * sizeof *h, WEFT_K_COPY_H2D), 0);
    ck_assert_int_eq(weft_k_copy(gpu, d2, d1, n * sizeof *h, WEFT_K_COPY_D2D), 0);
    ck_assert_int_eq(weft_k_memset(gpu, d1, 0, n * sizeof *h), 0);
    ck_assert_int_eq(weft_k_copy(gpu, back, d2, n * sizeof *h,
                                 WEFT_K_COPY_D2H), 0);
    ck_assert_int_eq(weft_k_sync(gpu), 0);
    ck_assert_int_eq(memcmp(back, h, n * sizeof *h), 0);
    ck_assert_int_eq(weft_k_copy(gpu, back, d1, n * sizeof *h,
                                 WEFT_K_COPY_D2H), 0);
    ck_assert_int_eq(weft_k_sync(gpu), 0);
    for (size_t i = 0; i < n; i++)
        ck_assert(back[i] == 0.0f);

    /* A chain of ops on one stream with a single sync at the end: stream
     * order alone makes each op see the previous one's result. */
    ck_assert_int_eq(weft_k_copy(gpu, d1, h, n * sizeof *h, WEFT_K_COPY_H2D), 0);
    ck_assert_int_eq(weft_k_add_f32(gpu, d1, d2, d1, n), 0);
    ck_assert_int_eq(weft_k_mul_f32(gpu, d1, d2, d1, n), 0);
    ck_assert_int_eq(weft_k_scale_f32(gpu, d1, -0.5f, d1, n), 0);
    ck_assert_int_eq(weft_k_copy(gpu, back, d1, n * sizeof *h,
                                 WEFT_K_COPY_D2H), 0);
    ck_assert_int_eq(weft_k_sync(gpu), 0);
    for (size_t i = 0; i < n; i++)
        ref[i] = -0.5f * ((h[i] + h[i]) * h[i]);
    ck_assert_msg(kcheck_rel(n, back, ref, KTOL_F32, &where) <= 1,
                  "op chain at %zu (seed %llu)", where, SEED);

    /* A second context on the same device, borrowing the first's stream. */
    ck_assert_int_eq(weft_kctx_new("cuda:0", &other), 0);
    ck_assert_ptr_nonnull(weft_kctx_stream(other));
    ck_assert_ptr_ne(weft_kctx_stream(other), weft_kctx_stream(gpu));
    ck_assert_int_eq(weft_kctx_set_stream(other, weft_kctx_stream(gpu)), 0);
    ck_assert_ptr_eq(weft_kctx_stream(other), weft_kctx_stream(gpu));
    ck_assert_int_eq(weft_k_scale_f32(other, d2, 2, d2, n), 0);
    ck_assert_int_eq(weft_kctx_set_stream(other, NULL), 0);
    ck_assert_int_eq(weft_k_copy(gpu, back, d2, n * sizeof *h,
                                 WEFT_K_COPY_D2H), 0);
    ck_assert_int_eq(weft_k_sync(gpu), 0);
    for (size_t i = 0; i < n; i++)
        ck_assert(back[i] == 2 * h[i]);
    weft_kctx_free(other);

    weft_k_free(gpu, d1);
    weft_k_free(gpu, d2);
    weft_k_host_free(gpu, back);
    free(h);
    free(ref);
}
END_TEST

START_TEST(devices)
{
    weft_kctx *k;
    char name[32];
    int n = weft_k_cuda_device_count();
    ck_assert_int_gt(n, 0);
    ck_assert_str_eq(weft_kctx_name(gpu), "cuda:0");
    ck_assert_int_eq(weft_kctx_backend(gpu), WEFT_K_BACKEND_CUDA);
    snprintf(name, sizeof name, "cuda:%d", n);
    ck_assert_int_eq(weft_kctx_new(name, &k), WEFT_ENODEV);
    snprintf(name, sizeof name, "cuda:%d", n - 1);
    ck_assert_int_eq(weft_kctx_new(name, &k), 0);
    ck_assert_int_eq(weft_kctx_device(k), n - 1);
    weft_kctx_free(k);
    ck_assert_int_eq(weft_kctx_new("auto", &k), 0);
    ck_assert_int_eq(weft_kctx_backend(k), WEFT_K_BACKEND_CUDA);
    weft_kctx_free(k);
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
        printf("test-parity-cuda: SKIP: %s\n", why);
        return 77;
    }
    ktest_init_seed("test-parity-cuda");
    printf("test-parity-cuda: %s\n", why);
    if ((rc = weft_kctx_new("cpu", &cpu)) < 0 ||
        (rc = weft_kctx_new("cuda:0", &gpu)) < 0) {
        printf("test-parity-cuda: cannot create contexts: %d %s\n", rc,
               gpu ? weft_kctx_last_error(gpu) : "");
        return 1;
    }

    s = suite_create("kernels-parity");
    tc = tcase_create("parity");
    tcase_add_test(tc, devices);
    tcase_add_test(tc, gemm_shapes);
    tcase_add_test(tc, gemm_large_k);
    tcase_add_test(tc, gemm_edges);
    tcase_add_test(tc, gemm_batched);
    tcase_add_test(tc, elementwise);
    tcase_add_test(tc, memory_and_streams);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    weft_kctx_free(gpu);
    weft_kctx_free(cpu);
    if (failed)
        printf("test-parity-cuda: seed %llu\n", SEED);
    return failed ? 1 : 0;
}
