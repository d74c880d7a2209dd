/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-kernels-api: device strings, contexts, CUDA detection and memory
 * calls, on whatever this machine has. On a machine without a GPU (or a
 * build without CUDA) it checks that every CUDA request fails cleanly with
 * WEFT_ENODEV and that "auto" falls back to the CPU; with a GPU it checks
 * that "auto" picks it.
 */
#include <config.h>

#include <check.h>
#include <weft/kernels.h>

#include "kutil.h"

START_TEST(detection)
{
    const char *why = NULL;
    bool avail = weft_k_cuda_available(&why);
    ck_assert_ptr_nonnull(why);
    ck_assert_int_gt((int)strlen(why), 0);
    ck_assert_int_eq(avail, weft_k_cuda_device_count() > 0);
    ck_assert_int_eq(weft_k_cuda_available(NULL), avail);
    if (!weft_k_have_cuda_build()) {
        ck_assert(!avail);
        ck_assert_str_eq(why, "built without CUDA");
    }
    printf("CUDA: %s (%s)\n", avail ? "available" : "not available", why);
}
END_TEST

START_TEST(device_strings)
{
    static const char *bad[] = {"", "gpu", "CPU", "cpu:0", "cuda:", "cuda:-1",
                                "cuda:+1", "cuda: 1", "cuda:x", "cuda:1x",
                                "cuda0", "cudax", "auto:0",
                                "cuda:99999999999999999999"};
    weft_k_backend be = 99;
    int32_t idx = -1;
    int ndev = weft_k_cuda_device_count();

    ck_assert_int_eq(weft_k_device_parse("cpu", &be, &idx), 0);
    ck_assert_int_eq(be, WEFT_K_BACKEND_CPU);
    ck_assert_int_eq(idx, 0);
    ck_assert_int_eq(weft_k_device_parse("auto", &be, &idx), 0);
    ck_assert_int_eq(be, ndev ? WEFT_K_BACKEND_CUDA : WEFT_K_BACKEND_CPU);
    ck_assert_int_eq(weft_k_device_parse(NULL, NULL, NULL), 0);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        ck_assert_msg(weft_k_device_parse(bad[i], &be, &idx) == WEFT_EINVAL,
                      "\"%s\" accepted", bad[i]);
    ck_assert_int_eq(weft_k_device_parse("cuda", NULL, NULL),
                     ndev ? 0 : WEFT_ENODEV);
    ck_assert_int_eq(weft_k_device_parse("cuda:0", &be, &idx),
                     ndev ? 0 : WEFT_ENODEV);
    ck_assert_int_eq(weft_k_device_parse("cuda:4096", NULL, NULL), WEFT_ENODEV);
}
END_TEST

START_TEST(contexts)
{
    weft_kctx *k = (weft_kctx *)&k; /* must be reset to NULL on failure */
    int ndev = weft_k_cuda_device_count();

    ck_assert_int_eq(weft_kctx_new("nope", &k), WEFT_EINVAL);
    ck_assert_ptr_null(k);
    ck_assert_int_eq(weft_kctx_new("cpu", NULL), WEFT_EINVAL);
    ck_assert_int_eq(weft_kctx_new("cuda:4096", &k), WEFT_ENODEV);
    ck_assert_ptr_null(k);
    if (!ndev) {
        ck_assert_int_eq(weft_kctx_new("cuda", &k), WEFT_ENODEV);
        ck_assert_int_eq(weft_kctx_new("cuda:0", &k), WEFT_ENODEV);
    }

    ck_assert_int_eq(weft_kctx_new("cpu", &k), 0);
    ck_assert_str_eq(weft_kctx_name(k), "cpu");
    ck_assert_int_eq(weft_kctx_backend(k), WEFT_K_BACKEND_CPU);
    ck_assert_int_eq(weft_kctx_device(k), 0);
    ck_assert_ptr_null(weft_kctx_stream(k));
    ck_assert_int_eq(weft_kctx_set_stream(k, NULL), 0);
    ck_assert_int_eq(weft_kctx_set_stream(k, (void *)k), WEFT_ENOTSUP);
    ck_assert_int_eq(weft_k_sync(k), 0);
    ck_assert_str_eq(weft_kctx_last_error(k), "");
    weft_kctx_free(k);

    ck_assert_int_eq(weft_kctx_new("auto", &k), 0);
    ck_assert_str_eq(weft_kctx_name(k), ndev ? "cuda:0" : "cpu");
    ck_assert_int_eq(weft_k_sync(k), 0);
    weft_kctx_free(k);
    weft_kctx_free(NULL);
    ck_assert_int_eq(weft_k_sync(NULL), WEFT_EINVAL);
}
END_TEST

START_TEST(cpu_memory)
{
    weft_kctx *k;
    unsigned char *p, *q, *h;
    unsigned char src[100];
    void *big;

    ck_assert_int_eq(weft_kctx_new("cpu", &k), 0);
    ck_assert_int_eq(weft_k_alloc(k, 0, (void **)&p), 0);
    ck_assert_ptr_null(p);
    ck_assert_int_eq(weft_k_alloc(k, 100, NULL), WEFT_EINVAL);
    ck_assert_int_eq(weft_k_alloc(k, 100, (void **)&p), 0);
    ck_assert_int_eq(weft_k_alloc(k, 100, (void **)&q), 0);
    ck_assert_int_eq(weft_k_host_alloc(k, 100, (void **)&h), 0);
    ck_assert_int_eq((int)((uintptr_t)p % 64), 0);
    ck_assert_int_eq((int)((uintptr_t)h % 64), 0);
    ck_assert_int_eq(weft_k_alloc(k, SIZE_MAX, &big), WEFT_ENOMEM);
    ck_assert_ptr_null(big);

    for (int i = 0; i < 100; i++)
        src[i] = (unsigned char)(i * 7 + 1);
    ck_assert_int_eq(weft_k_copy(k, p, src, 100, WEFT_K_COPY_H2D), 0);
    ck_assert_int_eq(weft_k_copy(k, q, p, 100, WEFT_K_COPY_D2D), 0);
    ck_assert_int_eq(weft_k_copy(k, h, q, 100, WEFT_K_COPY_D2H), 0);
    ck_assert_int_eq(weft_k_sync(k), 0);
    ck_assert_int_eq(memcmp(h, src, 100), 0);
    ck_assert_int_eq(weft_k_copy(k, h, src, 0, WEFT_K_COPY_H2H), 0);
    ck_assert_int_eq(weft_k_copy(k, h, src, 10, 7), WEFT_EINVAL);
    ck_assert_int_eq(weft_k_copy(k, NULL, src, 10, WEFT_K_COPY_H2D),
                     WEFT_EINVAL);
    ck_assert_int_eq(weft_k_memset(k, p, 0xab, 100), 0);
    for (int i = 0; i < 100; i++)
        ck_assert_int_eq(p[i], 0xab);

    weft_k_free(k, p);
    weft_k_free(k, q);
    weft_k_free(k, NULL);
    weft_k_host_free(k, h);
    weft_k_host_free(k, NULL);
    weft_kctx_free(k);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kernels-api");
    TCase *tc = tcase_create("api");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, detection);
    tcase_add_test(tc, device_strings);
    tcase_add_test(tc, contexts);
    tcase_add_test(tc, cpu_memory);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    /* With a GPU, the CUDA runtime must not be initialised before fork:
     * run in-process so detection and contexts share one process. */
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
