/* SPDX-License-Identifier: MIT */
/*
 * test-gain.c: tests the gain node with Weft's node harness: load the
 * plugin, push buffers into one node, check what comes out (values,
 * timestamps, reference counts) and that bad property values are refused.
 *
 * Usage: test-gain [PATH-TO-gain.so]   (default ./gain.so)
 */
#include <stdio.h>

#include <weft/harness.h>

static int failures;

#define CHECK(cond)                                                          \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__,           \
                    __LINE__, #cond);                                        \
            failures++;                                                      \
        }                                                                    \
    } while (0)

static weft_buf *ramp(int64_t n, float start)
{
    weft_buf *b = weft_buf_new_tensor(WEFT_DTYPE_F32, 1, &n,
                                      WEFT_DOMAIN_HOST, 0);
    if (b) {
        float *x = weft_buf_data(b);
        for (int64_t i = 0; i < n; i++)
            x[i] = start + (float)i;
    }
    return b;
}

/* A shared input must be copied, not written through. */
static void test_scale(const weft_registry *reg)
{
    weft_harness *h = NULL;
    CHECK(weft_harness_new(reg, "gain", &h) == 0);
    if (!h)
        return;
    CHECK(weft_harness_set_prop(h, "gain", "2.5") == 0);
    CHECK(weft_harness_set_input_format(h, 0, "tensor dtype=f32 shape=[4]") == 0);
    CHECK(weft_harness_start(h) == 0);

    weft_buf *in = ramp(4, -1.0f);
    CHECK(in != NULL);
    if (!in)
        goto out;
    weft_buf_set_pts(in, 1000);
    weft_buf_ref(in); /* keep a reference: the node must not write into it */
    CHECK(weft_harness_push(h, 0, in) == WEFT_FLOW_OK);

    weft_buf *res = weft_harness_pull(h, 0);
    CHECK(res != NULL);
    if (res) {
        CHECK(res != in);
        CHECK(weft_buf_refcount(res) == 1);
        CHECK(weft_buf_numel(res) == 4);
        CHECK(weft_buf_pts(res) == 1000);
        const float *y = weft_buf_cdata(res);
        const float *x = weft_buf_cdata(in);
        for (int i = 0; i < 4; i++) {
            CHECK(y[i] == 2.5f * (float)(i - 1));
            CHECK(x[i] == (float)(i - 1));
        }
        weft_buf_unref(res);
    }
    CHECK(weft_buf_refcount(in) == 1);
    weft_buf_unref(in);

    /* End of stream: the node finishes and nothing else comes out. */
    weft_harness_push_eos(h, 0);
    CHECK(weft_harness_finished(h));
    CHECK(weft_harness_available(h, 0) == 0);
out:
    weft_harness_free(h);
}

/* The default gain (1.0) passes buffers through untouched. */
static void test_default(const weft_registry *reg)
{
    weft_harness *h = NULL;
    CHECK(weft_harness_new(reg, "gain", &h) == 0);
    if (!h)
        return;
    CHECK(weft_harness_set_input_format(h, 0, "tensor dtype=f32 shape=[3]") == 0);
    CHECK(weft_harness_start(h) == 0);
    CHECK(weft_harness_push(h, 0, ramp(3, 1.0f)) == WEFT_FLOW_OK);
    weft_buf *res = weft_harness_pull(h, 0);
    CHECK(res != NULL);
    if (res) {
        const float *y = weft_buf_cdata(res);
        CHECK(y[0] == 1.0f && y[1] == 2.0f && y[2] == 3.0f);
        weft_buf_unref(res);
    }
    weft_harness_free(h);
}

/* Values that do not parse or are out of range are refused. */
static void test_bad_props(const weft_registry *reg)
{
    static const char *const bad[] = { "loud", "1e7", "" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        weft_harness *h = NULL;
        CHECK(weft_harness_new(reg, "gain", &h) == 0);
        if (!h)
            continue;
        CHECK(weft_harness_set_prop(h, "gain", bad[i]) != 0);
        weft_harness_free(h);
    }
}

int main(int argc, char **argv)
{
    const char *plugin = argc > 1 ? argv[1] : "./gain.so";
    weft_registry *reg = weft_registry_new();
    if (!reg || weft_registry_load_file(reg, plugin) != 0) {
        fprintf(stderr, "test-gain: cannot load %s: %s\n", plugin,
                reg && weft_registry_n_problems(reg)
                    ? weft_registry_problem(reg, 0) : "out of memory");
        weft_registry_free(reg);
        return 1;
    }
    test_scale(reg);
    test_default(reg);
    test_bad_props(reg);
    weft_registry_free(reg);
    printf("test-gain: %s\n", failures ? "FAILED" : "ok");
    return failures ? 1 : 0;
}
