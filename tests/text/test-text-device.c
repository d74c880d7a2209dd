/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * text.embed's `device` and `precision` properties on any machine (no GPU
 * needed; this test never skips):
 *   - a CUDA device that is not there (a build without CUDA, a machine
 *     without a driver or GPU, or an index past the last device) fails
 *     init with one line naming the device and the reason;
 *   - fp16/bf16 on the CPU fail naming the `precision` property;
 *   - a malformed device string fails naming the device;
 *   - cpu (the default) and auto without a GPU run on the CPU.
 * The CUDA encoder itself is tests/text/test-text-cuda (GPU only).
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <weft/harness.h>
#include <weft/kernels.h>
#include <weft/registry.h>

#define MODEL WEFT_TEST_MODELS "/all-minilm-l6-v2"

static weft_registry *reg;

/* Start text.embed with @device and @precision (NULL: the default). 0 or
 * the start error; the error message is copied to @msg. */
static int start(const char *device, const char *precision, char *msg,
                 size_t cap, weft_harness **out)
{
    weft_harness *h;
    int rc;

    ck_assert_int_eq(weft_harness_new(reg, "text.embed", &h), 0);
    ck_assert_int_eq(weft_harness_set_prop(h, "model", MODEL), 0);
    if (device)
        ck_assert_int_eq(weft_harness_set_prop(h, "device", device), 0);
    if (precision)
        ck_assert_int_eq(weft_harness_set_prop(h, "precision", precision),
                         0);
    ck_assert_int_eq(weft_harness_set_input_format(h, 0, "text"), 0);
    rc = weft_harness_start(h);
    snprintf(msg, cap, "%s", weft_harness_error(h) ? weft_harness_error(h)
                                                   : "");
    if (out && rc == 0) {
        *out = h;
    } else {
        weft_harness_free(h);
        if (out)
            *out = NULL;
    }
    return rc;
}

/* One line: no newline anywhere in the message. */
static void assert_one_line(const char *msg)
{
    ck_assert_msg(msg[0] != '\0', "empty error message");
    ck_assert_msg(strchr(msg, '\n') == NULL, "not one line: '%s'", msg);
}

START_TEST(test_no_cuda_device)
{
    char msg[1024];
    const char *why;

    if (weft_k_cuda_available(&why)) {
        fprintf(stderr, "CUDA is available here (%s): only the index past "
                "the last device is checked\n", why);
    } else {
        ck_assert_int_eq(start("cuda:0", NULL, msg, sizeof msg, NULL),
                         WEFT_ENODEV);
        fprintf(stderr, "device=cuda:0: %s\n", msg);
        assert_one_line(msg);
        ck_assert_msg(strstr(msg, "device 'cuda:0'") &&
                      strstr(msg, "CUDA is not available") &&
                      strstr(msg, why), "%s", msg);
        /* "cuda" is device 0; fp16 on a missing GPU is the device's
         * fault, not the precision's. */
        ck_assert_int_eq(start("cuda", "fp16", msg, sizeof msg, NULL),
                         WEFT_ENODEV);
        assert_one_line(msg);
        ck_assert_ptr_nonnull(strstr(msg, "device 'cuda'"));
    }
    /* No machine has 1000 GPUs. */
    ck_assert_int_eq(start("cuda:999", NULL, msg, sizeof msg, NULL),
                     WEFT_ENODEV);
    assert_one_line(msg);
    ck_assert_msg(strstr(msg, "device 'cuda:999'") != NULL, "%s", msg);
}
END_TEST

START_TEST(test_precision_on_cpu)
{
    char msg[1024];
    weft_harness *h;

    ck_assert_int_eq(start("cpu", "fp16", msg, sizeof msg, NULL),
                     WEFT_EINVAL);
    fprintf(stderr, "device=cpu precision=fp16: %s\n", msg);
    assert_one_line(msg);
    ck_assert_msg(strstr(msg, "precision 'fp16'") != NULL, "%s", msg);
    ck_assert_int_eq(start(NULL, "bf16", msg, sizeof msg, NULL),
                     WEFT_EINVAL);
    assert_one_line(msg);
    ck_assert_msg(strstr(msg, "precision 'bf16'") != NULL, "%s", msg);
    /* Not one of the choices: the core refuses the value when it is set,
     * naming the property. */
    ck_assert_int_eq(weft_harness_new(reg, "text.embed", &h), 0);
    ck_assert_int_lt(weft_harness_set_prop(h, "precision", "fp8"), 0);
    ck_assert_msg(strstr(weft_harness_error(h), "precision") != NULL, "%s",
                  weft_harness_error(h));
    fprintf(stderr, "precision=fp8: %s\n", weft_harness_error(h));
    weft_harness_free(h);
    /* fp32 on the CPU, explicit or default, runs. */
    ck_assert_msg(start("cpu", "fp32", msg, sizeof msg, &h) == 0, "%s", msg);
    weft_buf *b = weft_buf_new_text("Turn on the lights.", SIZE_MAX);
    ck_assert_int_eq(weft_harness_push(h, 0, b), WEFT_FLOW_OK);
    b = weft_harness_pull(h, 0);
    ck_assert_ptr_nonnull(b);
    ck_assert_int_eq(weft_buf_dim(b, 0), 384);
    weft_buf_unref(b);
    weft_harness_free(h);
    ck_assert_msg(start(NULL, NULL, msg, sizeof msg, NULL) == 0, "%s", msg);
}
END_TEST

START_TEST(test_bad_device)
{
    char msg[1024];

    ck_assert_int_eq(start("gpu0", NULL, msg, sizeof msg, NULL),
                     WEFT_EINVAL);
    assert_one_line(msg);
    ck_assert_msg(strstr(msg, "device 'gpu0'") != NULL, "%s", msg);
    ck_assert_int_eq(start("cuda:-1", NULL, msg, sizeof msg, NULL),
                     WEFT_EINVAL);
    assert_one_line(msg);
    /* auto never fails for lack of a GPU. */
    if (!weft_k_cuda_available(NULL))
        ck_assert_msg(start("auto", NULL, msg, sizeof msg, NULL) == 0, "%s",
                      msg);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("text-device");
    TCase *tc = tcase_create("text-device");
    SRunner *sr;
    int failed;

    reg = weft_registry_new();
    if (weft_registry_scan_dir(reg, TOP_BUILDDIR "/plugins/.libs") < 1 ||
        !weft_registry_find(reg, "text.embed")) {
        fprintf(stderr, "test-text-device: the text plugin did not load\n");
        return 1;
    }
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_no_cuda_device);
    tcase_add_test(tc, test_precision_on_cpu);
    tcase_add_test(tc, test_bad_device);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    /* In process: the CUDA runtime (probed for `auto`) does not survive
     * fork() once initialised. */
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    weft_registry_free(reg);
    return failed ? 1 : 0;
}
