/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The node runtime through the harness, with test-local classes: property
 * defaults and errors, negotiation, readiness, end of stream, errors,
 * flush, counters and the fake clock. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <weft/weft.h>

/* ---- "acc": sums f32 tensors; emits the sum at segment end or EOS. */
typedef struct acc {
    double sum;
    int64_t scale;
    int flushed;
} acc;

static int acc_init(weft_node *n)
{
    acc *a = calloc(1, sizeof *a);
    if (!a)
        return weft_node_error(n, WEFT_ENOMEM, "out of memory");
    a->scale = weft_node_prop_int(n, "scale");
    weft_node_set_priv(n, a);
    if (!strcmp(weft_node_prop_string(n, "mode"), "fail"))
        return weft_node_error(n, WEFT_EINVAL, "mode 'fail' asked to fail");
    return 0;
}

static weft_flow emit(weft_node *n, acc *a)
{
    int64_t one = 1;
    weft_buf *o = weft_buf_new_tensor(WEFT_DTYPE_F32, 1, &one,
                                      WEFT_DOMAIN_HOST, 0);
    if (!o)
        return WEFT_FLOW_ERROR;
    *(float *)weft_buf_data(o) = (float)(a->sum * (double)a->scale);
    weft_buf_set_pts(o, weft_node_clock_ns(n));
    a->sum = 0;
    return weft_node_push(n, 0, o);
}

static weft_flow acc_process(weft_node *n)
{
    acc *a = weft_node_priv(n);
    weft_buf *b;
    weft_flow f;
    while ((f = weft_node_pop(n, 0, &b)) == WEFT_FLOW_OK) {
        const float *x = weft_buf_cdata(b);
        for (int64_t i = 0; i < weft_buf_numel(b); i++) {
            if (x[i] < 0) {
                weft_node_error(n, WEFT_ERANGE, "negative sample %g", x[i]);
                weft_buf_unref(b);
                return WEFT_FLOW_ERROR;
            }
            a->sum += x[i];
        }
        weft_node_count(n, "seen", 1);
        bool end = weft_buf_get_flags(b) & WEFT_BUF_SEGMENT_END;
        weft_buf_unref(b);
        if (end && emit(n, a) != WEFT_FLOW_OK)
            return WEFT_FLOW_ERROR;
    }
    if (f == WEFT_FLOW_EOS && a->sum != 0)
        return emit(n, a) == WEFT_FLOW_OK ? WEFT_FLOW_EOS : WEFT_FLOW_ERROR;
    return f == WEFT_FLOW_AGAIN ? WEFT_FLOW_OK : f;
}

static int acc_flush(weft_node *n)
{
    acc *a = weft_node_priv(n);
    a->sum = 0;
    a->flushed++;
    return 0;
}

static void acc_fini(weft_node *n)
{
    free(weft_node_priv(n));
}

static const weft_port_desc acc_in[] = {
    WEFT_PORT("in", "tensor dtype=f32", "Values to sum."), WEFT_PORT_END};
static const weft_port_desc acc_out[] = {
    WEFT_PORT("out", "tensor dtype=f32 shape=[1]", "The sum."), WEFT_PORT_END};
static const char *const modes[] = {"sum", "fail", NULL};
static const weft_prop_desc acc_props[] = {
    WEFT_PROP_INT("scale", "1", 1, 100, NULL, "Multiply the sum."),
    WEFT_PROP_ENUM("mode", "sum", modes, "What to do."),
    WEFT_PROP_END};
static const weft_node_class acc_class = {
    .struct_size = sizeof acc_class,
    .name = "test.acc",
    .summary = "Sum tensors per segment",
    .flags = WEFT_NODE_STATEFUL,
    .inputs = acc_in,
    .outputs = acc_out,
    .props = acc_props,
    .init = acc_init,
    .process = acc_process,
    .flush = acc_flush,
    .fini = acc_fini,
};

static weft_buf *vec(float v, int n, bool end)
{
    int64_t shape[] = {n};
    weft_buf *b = weft_buf_new_tensor(WEFT_DTYPE_F32, 1, shape,
                                      WEFT_DOMAIN_HOST, 0);
    for (int i = 0; i < n; i++)
        ((float *)weft_buf_data(b))[i] = v;
    if (end)
        weft_buf_set_flags(b, WEFT_BUF_SEGMENT_END);
    return b;
}

static float pull_value(weft_harness *h)
{
    weft_buf *o = weft_harness_pull(h, 0);
    ck_assert_ptr_nonnull(o);
    float v = *(const float *)weft_buf_cdata(o);
    weft_buf_unref(o);
    return v;
}

START_TEST(segments_eos_and_counters)
{
    weft_harness *h;
    ck_assert_int_eq(weft_harness_new_class(&acc_class, &h), 0);
    ck_assert_int_eq(weft_harness_set_prop(h, "scale", "2"), 0);
    ck_assert_int_eq(weft_harness_set_input_format(h, 0,
                                                   "tensor dtype=f32 shape=[4]"),
                     0);
    ck_assert_int_eq(weft_harness_start(h), 0);
    ck_assert_int_eq(weft_harness_push(h, 0, vec(1, 4, false)), WEFT_FLOW_OK);
    ck_assert_uint_eq(weft_harness_available(h, 0), 0);
    weft_harness_set_clock(h, 5000);
    weft_harness_push(h, 0, vec(2, 4, true));
    ck_assert_uint_eq(weft_harness_available(h, 0), 1);
    weft_buf *o = weft_harness_pull(h, 0);
    ck_assert_float_eq(*(const float *)weft_buf_cdata(o), 24.0f);
    ck_assert_int_eq(weft_buf_pts(o), 5000);
    ck_assert_int_eq(weft_buf_refcount(o), 1);
    weft_buf_unref(o);
    weft_harness_push(h, 0, vec(3, 1, false));
    ck_assert(!weft_harness_finished(h));
    weft_harness_push_eos(h, 0);
    ck_assert(weft_harness_finished(h));
    ck_assert_float_eq(pull_value(h), 6.0f);
    ck_assert_int_eq(weft_node_counter(weft_harness_node(h), "seen"), 3);
    ck_assert_int_eq(weft_node_counter(weft_harness_node(h), "other"), 0);
    weft_harness_free(h);
}
END_TEST

START_TEST(properties_are_checked)
{
    weft_harness *h;
    ck_assert_int_eq(weft_harness_new_class(&acc_class, &h), 0);
    ck_assert_int_lt(weft_harness_set_prop(h, "scale", "1000"), 0);
    ck_assert_ptr_nonnull(strstr(weft_harness_error(h), "scale"));
    ck_assert_int_lt(weft_harness_set_prop(h, "mode", "loud"), 0);
    ck_assert_ptr_nonnull(strstr(weft_harness_error(h), "sum"));
    ck_assert_int_eq(weft_harness_set_prop(h, "nope", "1"), WEFT_ENOENT);
    ck_assert_ptr_nonnull(strstr(weft_harness_error(h), "no property 'nope'"));
    ck_assert_int_eq(weft_harness_set_props(h, "scale", "2", "mode", "sum",
                                            NULL), 0);
    ck_assert_int_lt(weft_harness_set_props(h, "scale", "3", "mode", "x",
                                            NULL), 0);
    ck_assert_ptr_nonnull(strstr(weft_harness_error(h), "property 'mode'"));
    ck_assert_int_eq(weft_harness_set_props(h, "scale", "1", NULL), 0);
    /* Defaults apply. */
    ck_assert_int_eq(weft_harness_start(h), 0);
    ck_assert_int_eq(weft_node_prop_int(weft_harness_node(h), "scale"), 1);
    ck_assert_int_eq(weft_node_prop_enum(weft_harness_node(h), "mode"), 0);
    ck_assert_int_eq(weft_harness_set_prop(h, "scale", "3"), WEFT_ESTATE);
    weft_harness_free(h);
}
END_TEST

START_TEST(init_failure_is_reported_and_fini_runs)
{
    weft_harness *h;
    ck_assert_int_eq(weft_harness_new_class(&acc_class, &h), 0);
    weft_harness_set_prop(h, "mode", "fail");
    ck_assert_int_eq(weft_harness_start(h), WEFT_EINVAL);
    ck_assert_str_eq(weft_harness_error(h),
                     "node 'test.acc' (test.acc): mode 'fail' asked to fail");
    weft_harness_free(h); /* fini frees priv: valgrind/ASan check the leak */
}
END_TEST

START_TEST(format_mismatch_names_both)
{
    weft_harness *h;
    ck_assert_int_eq(weft_harness_new_class(&acc_class, &h), 0);
    weft_harness_set_input_format(h, 0, "tensor dtype=i64 shape=[4]");
    ck_assert_int_eq(weft_harness_start(h), WEFT_EFORMAT);
    ck_assert_ptr_nonnull(strstr(weft_harness_error(h), "input 'in'"));
    ck_assert_ptr_nonnull(strstr(weft_harness_error(h), "dtype"));
    weft_harness_free(h);
}
END_TEST

START_TEST(process_error_stops)
{
    weft_harness *h;
    ck_assert_int_eq(weft_harness_new_class(&acc_class, &h), 0);
    ck_assert_int_eq(weft_harness_start(h), 0);
    ck_assert_int_eq(weft_harness_push(h, 0, vec(-1, 2, false)),
                     WEFT_FLOW_ERROR);
    ck_assert_str_eq(weft_harness_error(h),
                     "node 'test.acc' (test.acc): negative sample -1");
    ck_assert(weft_harness_finished(h));
    /* Pushing after the end is refused without leaking the buffer. */
    ck_assert_int_eq(weft_harness_push(h, 0, vec(1, 1, false)),
                     WEFT_FLOW_EOS);
    weft_harness_free(h);
}
END_TEST

START_TEST(flush_drops_state)
{
    weft_harness *h;
    ck_assert_int_eq(weft_harness_new_class(&acc_class, &h), 0);
    ck_assert_int_eq(weft_harness_start(h), 0);
    weft_harness_push(h, 0, vec(5, 2, false));
    ck_assert_int_eq(weft_harness_flush(h), 0);
    weft_harness_push(h, 0, vec(1, 2, true));
    ck_assert_float_eq(pull_value(h), 2.0f);
    acc *a = weft_node_priv(weft_harness_node(h));
    ck_assert_int_eq(a->flushed, 1);
    weft_harness_free(h);
}
END_TEST

/* ---- "count": a source of n text buffers. */
static weft_flow count_process(weft_node *n)
{
    intptr_t i = (intptr_t)weft_node_priv(n);
    if (i >= weft_node_prop_int(n, "n"))
        return WEFT_FLOW_EOS;
    char s[32];
    snprintf(s, sizeof s, "%d", (int)i);
    weft_buf *b = weft_buf_new_text(s, SIZE_MAX);
    weft_buf_set_segment(b, (uint64_t)i);
    weft_node_set_priv(n, (void *)(i + 1));
    return weft_node_push(n, 0, b);
}

static const weft_port_desc count_out[] = {
    WEFT_PORT("out", "text", "Numbers."),
    WEFT_PORT_F("debug", "text", WEFT_PORT_OPTIONAL, "Unused."),
    WEFT_PORT_END};
static const weft_prop_desc count_props[] = {
    WEFT_PROP_INT("n", NULL, 0, 1000, NULL, "How many."), WEFT_PROP_END};
static weft_prop_desc count_props_required[2];
static weft_node_class count_class = {
    .struct_size = sizeof count_class,
    .name = "test.count",
    .summary = "Count",
    .flags = WEFT_NODE_SOURCE,
    .outputs = count_out,
    .process = count_process,
};

static weft_flow eos_only(weft_node *n)
{
    (void)n;
    return WEFT_FLOW_EOS;
}

START_TEST(optional_property_may_stay_unset)
{
    static const weft_port_desc out[] = {WEFT_PORT("out", "text", "T."),
                                         WEFT_PORT_END};
    static const weft_prop_desc props[] = {
        WEFT_PROP_PATH_OPTIONAL("lexicon", "An optional word list."),
        WEFT_PROP_PATH("model", "m.bin", "A model."), WEFT_PROP_END};
    static const weft_node_class c = {.struct_size = sizeof c,
                                      .name = "test.optional",
                                      .flags = WEFT_NODE_SOURCE,
                                      .outputs = out,
                                      .props = props,
                                      .process = eos_only};
    weft_harness *h;
    ck_assert_int_eq(weft_harness_new_class(&c, &h), 0);
    ck_assert_int_eq(weft_harness_start(h), 0);
    ck_assert_ptr_null(weft_node_prop(weft_harness_node(h), "lexicon"));
    ck_assert_ptr_null(weft_node_prop_string(weft_harness_node(h), "lexicon"));
    ck_assert_str_eq(weft_node_prop_string(weft_harness_node(h), "model"),
                     "m.bin");
    weft_harness_free(h);
}
END_TEST

START_TEST(source_and_required_property)
{
    memcpy(count_props_required, count_props, sizeof count_props);
    count_props_required[0].flags |= WEFT_PROP_REQUIRED;
    count_class.props = count_props_required;
    weft_harness *h;
    ck_assert_int_eq(weft_harness_new_class(&count_class, &h), 0);
    ck_assert_int_lt(weft_harness_start(h), 0);
    ck_assert_ptr_nonnull(strstr(weft_harness_error(h),
                                 "property 'n' is required and not set"));
    weft_harness_free(h);

    ck_assert_int_eq(weft_harness_new_class(&count_class, &h), 0);
    weft_harness_set_prop(h, "n", "3");
    weft_harness_unlink_output(h, 1);
    ck_assert_int_eq(weft_harness_start(h), 0);
    ck_assert(!weft_node_output_linked(weft_harness_node(h), 1));
    ck_assert_int_eq(weft_harness_run(h, 100), WEFT_FLOW_EOS);
    ck_assert_uint_eq(weft_harness_available(h, 0), 3);
    weft_buf *b = weft_harness_pull(h, 0);
    ck_assert_str_eq(weft_buf_text(b, NULL), "0");
    weft_buf_unref(b);
    ck_assert_str_eq(weft_format_media(weft_harness_output_format(h, 0)),
                     "text");
    weft_harness_free(h);
}
END_TEST

/* ---- shared objects */
static int creations;
static int make_obj(void *arg, void **obj)
{
    creations++;
    *obj = weft_buf_new_text(arg, SIZE_MAX);
    return *obj ? 0 : WEFT_ENOMEM;
}
static void free_obj(void *obj)
{
    weft_buf_unref(obj);
}

START_TEST(shared_objects_are_built_once)
{
    void *a, *b, *c;
    ck_assert_int_eq(weft_shared_acquire("m1", make_obj, free_obj, "one", &a), 0);
    ck_assert_int_eq(weft_shared_acquire("m1", make_obj, free_obj, "one", &b), 0);
    ck_assert_int_eq(weft_shared_acquire("m2", make_obj, free_obj, "two", &c), 0);
    ck_assert_ptr_eq(a, b);
    ck_assert_ptr_ne(a, c);
    ck_assert_int_eq(creations, 2);
    weft_shared_release(a);
    weft_shared_release(b);
    weft_shared_release(c);
    ck_assert_int_eq(weft_shared_acquire("m1", make_obj, free_obj, "one", &a), 0);
    ck_assert_int_eq(creations, 3); /* the last release destroyed it */
    weft_shared_release(a);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("node");
    TCase *tc = tcase_create("harness");
    tcase_add_test(tc, segments_eos_and_counters);
    tcase_add_test(tc, properties_are_checked);
    tcase_add_test(tc, init_failure_is_reported_and_fini_runs);
    tcase_add_test(tc, format_mismatch_names_both);
    tcase_add_test(tc, process_error_stops);
    tcase_add_test(tc, flush_drops_state);
    tcase_add_test(tc, source_and_required_property);
    tcase_add_test(tc, optional_property_may_stay_unset);
    tcase_add_test(tc, shared_objects_are_built_once);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
