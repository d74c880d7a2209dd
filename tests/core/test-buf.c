/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Buffers: payload kinds, refcounts, copies, metadata and the pools. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <weft/weft.h>

START_TEST(tensor_basics)
{
    int64_t shape[] = {3, 4};
    weft_buf *b = weft_buf_new_tensor(WEFT_DTYPE_F32, 2, shape,
                                      WEFT_DOMAIN_HOST, 0);
    ck_assert_ptr_nonnull(b);
    ck_assert_int_eq(weft_buf_kind(b), WEFT_KIND_TENSOR);
    ck_assert_int_eq(weft_buf_numel(b), 12);
    ck_assert_uint_eq(weft_buf_nbytes(b), 48);
    ck_assert_int_eq(weft_buf_stride(b, 0), 16);
    ck_assert_int_eq(weft_buf_stride(b, 1), 4);
    ck_assert(weft_buf_is_contiguous(b));
    ck_assert_uint_eq((uintptr_t)weft_buf_data(b) % 64, 0);
    ck_assert_int_eq(weft_buf_pts(b), WEFT_TIME_NONE);
    int64_t flat[] = {12};
    ck_assert_int_eq(weft_buf_reshape(b, 1, flat), 0);
    ck_assert_int_eq(weft_buf_dim(b, 0), 12);
    int64_t wrong[] = {5};
    ck_assert_int_eq(weft_buf_reshape(b, 1, wrong), WEFT_EINVAL);
    ck_assert_int_eq(weft_buf_shrink(b, 5), 0);
    ck_assert_uint_eq(weft_buf_nbytes(b), 20);
    ck_assert_int_eq(weft_buf_shrink(b, 6), WEFT_EINVAL);
    weft_buf_unref(b);
}
END_TEST

START_TEST(tensor_invalid)
{
    int64_t neg[] = {-1};
    ck_assert_ptr_null(weft_buf_new_tensor(WEFT_DTYPE_F32, 1, neg,
                                           WEFT_DOMAIN_HOST, 0));
    int64_t huge[] = {INT64_MAX / 2, 4};
    ck_assert_ptr_null(weft_buf_new_tensor(WEFT_DTYPE_F32, 2, huge,
                                           WEFT_DOMAIN_HOST, 0));
    int64_t one[] = {1};
    ck_assert_ptr_null(weft_buf_new_tensor(WEFT_DTYPE_INVALID, 1, one,
                                           WEFT_DOMAIN_HOST, 0));
    ck_assert_ptr_null(weft_buf_new_tensor(WEFT_DTYPE_F32, 9, one,
                                           WEFT_DOMAIN_HOST, 0));
    /* No GPU here (or no CUDA build): the device domain is unavailable and
     * says so by failing, not by crashing. */
    if (!getenv("WEFT_TEST_HAVE_GPU"))
        ck_assert_ptr_null(weft_buf_new_tensor(WEFT_DTYPE_F32, 1, one,
                                               WEFT_DOMAIN_CUDA, 0));
    /* A zero-sized tensor is legal (an empty chunk). */
    int64_t zero[] = {0, 13};
    weft_buf *z = weft_buf_new_tensor(WEFT_DTYPE_F32, 2, zero,
                                      WEFT_DOMAIN_HOST, 0);
    ck_assert_ptr_nonnull(z);
    ck_assert_uint_eq(weft_buf_nbytes(z), 0);
    weft_buf_unref(z);
}
END_TEST

START_TEST(dtypes)
{
    ck_assert_uint_eq(weft_dtype_size(WEFT_DTYPE_BF16), 2);
    ck_assert_uint_eq(weft_dtype_size(WEFT_DTYPE_I64), 8);
    ck_assert_str_eq(weft_dtype_name(WEFT_DTYPE_F16), "f16");
    for (weft_dtype d = 1; d < WEFT_DTYPE_COUNT_; d++)
        ck_assert_uint_eq(weft_dtype_from_name(weft_dtype_name(d)), d);
    ck_assert_uint_eq(weft_dtype_from_name("float"), WEFT_DTYPE_INVALID);
    ck_assert_uint_eq(weft_dtype_size(999), 0);
}
END_TEST

START_TEST(refcount_and_writable)
{
    int64_t shape[] = {4};
    weft_buf *b = weft_buf_new_tensor(WEFT_DTYPE_I32, 1, shape,
                                      WEFT_DOMAIN_HOST, 0);
    int32_t *x = weft_buf_data(b);
    for (int i = 0; i < 4; i++)
        x[i] = i * 10;
    weft_buf_set_pts(b, 1000);
    weft_buf_set_segment(b, 7);
    weft_buf_set_flags(b, WEFT_BUF_SEGMENT_END);
    ck_assert_int_eq(weft_buf_set_meta(b, "file", "a.wav"), 0);
    ck_assert(weft_buf_is_writable(b));
    weft_buf *r = weft_buf_ref(b);
    ck_assert_ptr_eq(r, b);
    ck_assert_int_eq(weft_buf_refcount(b), 2);
    ck_assert(!weft_buf_is_writable(b));
    weft_buf *w = weft_buf_make_writable(r); /* drops r's reference */
    ck_assert_ptr_ne(w, b);
    ck_assert_int_eq(weft_buf_refcount(b), 1);
    ck_assert_int_eq(weft_buf_refcount(w), 1);
    ck_assert_int_eq(memcmp(weft_buf_data(w), x, 16), 0);
    ck_assert_int_eq(weft_buf_pts(w), 1000);
    ck_assert_uint_eq(weft_buf_segment(w), 7);
    ck_assert_uint_eq(weft_buf_get_flags(w), WEFT_BUF_SEGMENT_END);
    ck_assert_str_eq(weft_buf_get_meta(w, "file"), "a.wav");
    ck_assert_ptr_eq(weft_buf_make_writable(w), w);
    ck_assert_int_eq(weft_buf_set_meta(w, "file", NULL), 0);
    ck_assert_ptr_null(weft_buf_get_meta(w, "file"));
    weft_buf_unref(w);
    weft_buf_unref(b);
    weft_buf_unref(NULL);
}
END_TEST

/* A carrier keeps an input's metadata after the input is gone, and a new
 * input replaces the old carrier. */
START_TEST(keep_meta_carrier)
{
    weft_buf *carrier = NULL;
    weft_buf *a = weft_buf_new_text("x", 1);
    ck_assert_int_eq(weft_buf_set_meta(a, "file", "a.wav"), 0);
    weft_buf_set_pts(a, 5);
    weft_buf_set_segment(a, 3);
    ck_assert_int_eq(weft_buf_keep_meta(&carrier, a), 0);
    weft_buf_unref(a);
    ck_assert_ptr_nonnull(carrier);
    ck_assert_str_eq(weft_buf_get_meta(carrier, "file"), "a.wav");
    ck_assert_int_eq(weft_buf_pts(carrier), 5);
    ck_assert_uint_eq(weft_buf_segment(carrier), 3);

    weft_buf *b = weft_buf_new_text("y", 1);
    ck_assert_int_eq(weft_buf_set_meta(b, "file", "b.wav"), 0);
    ck_assert_int_eq(weft_buf_keep_meta(&carrier, b), 0);
    weft_buf_unref(b);
    ck_assert_str_eq(weft_buf_get_meta(carrier, "file"), "b.wav");

    weft_buf *out = weft_buf_new_text("z", 1);
    ck_assert_int_eq(weft_buf_copy_meta(out, carrier), 0);
    ck_assert_str_eq(weft_buf_get_meta(out, "file"), "b.wav");
    weft_buf_unref(out);
    ck_assert_int_eq(weft_buf_keep_meta(NULL, carrier), WEFT_EINVAL);
    weft_buf_unref(carrier);
}
END_TEST

START_TEST(text_and_tokens)
{
    weft_buf *t = weft_buf_new_text("turn on the lights", SIZE_MAX);
    size_t len;
    ck_assert_str_eq(weft_buf_text(t, &len), "turn on the lights");
    ck_assert_uint_eq(len, 18);
    ck_assert_ptr_null(weft_buf_data(t)); /* not a tensor */
    weft_token_score tok[] = {{0, 4, -0.5f, 0, 100}, {5, 2, -0.1f, 100, 150}};
    ck_assert_int_eq(weft_buf_set_tokens(t, tok, 2), 0);
    weft_buf *c = weft_buf_copy(t, WEFT_DOMAIN_HOST, 0);
    size_t n;
    const weft_token_score *ct = weft_buf_tokens(c, &n);
    ck_assert_uint_eq(n, 2);
    ck_assert_int_eq(ct[1].end_ns, 150);
    weft_buf_unref(c);
    weft_buf_unref(t);
    /* Embedded NULs survive with an explicit length. */
    weft_buf *z = weft_buf_new_text("a\0b", 3);
    ck_assert_int_eq(memcmp(weft_buf_text(z, &len), "a\0b", 4), 0);
    ck_assert_uint_eq(len, 3);
    weft_buf_unref(z);
    weft_buf *e = weft_buf_new_text("", 0);
    ck_assert_str_eq(weft_buf_text(e, NULL), "");
    weft_buf_unref(e);
}
END_TEST

START_TEST(messages)
{
    weft_buf *m = weft_buf_new_message("intent");
    ck_assert_str_eq(weft_msg_schema(m), "intent");
    ck_assert_int_eq(weft_msg_set_string(m, "name", "lights_on"), 0);
    ck_assert_int_eq(weft_msg_set_float(m, "score", 0.9), 0);
    ck_assert_int_eq(weft_msg_set_int(m, "room", 3), 0);
    ck_assert_int_eq(weft_msg_set_bool(m, "confirmed", true), 0);
    ck_assert_int_eq(weft_msg_set_int(m, "room", 4), 0); /* replaces */
    ck_assert_uint_eq(weft_msg_n_fields(m), 4);
    int64_t i;
    double f;
    const char *s;
    bool b;
    ck_assert_int_eq(weft_msg_get_int(m, "room", &i), 0);
    ck_assert_int_eq(i, 4);
    ck_assert_int_eq(weft_msg_get_float(m, "room", &f), 0); /* widens */
    ck_assert_int_eq(weft_msg_get_string(m, "name", &s), 0);
    ck_assert_str_eq(s, "lights_on");
    ck_assert_int_eq(weft_msg_get_bool(m, "confirmed", &b), 0);
    ck_assert(b);
    ck_assert_int_eq(weft_msg_get_int(m, "name", &i), WEFT_ETYPE);
    ck_assert_int_eq(weft_msg_get_int(m, "nope", &i), WEFT_ENOENT);
    weft_field_type ft;
    ck_assert_str_eq(weft_msg_field_key(m, 1, &ft), "score");
    ck_assert_uint_eq(ft, WEFT_FIELD_FLOAT);
    weft_buf *c = weft_buf_copy(m, WEFT_DOMAIN_HOST, 0);
    ck_assert_int_eq(weft_msg_get_string(c, "name", &s), 0);
    ck_assert_str_eq(s, "lights_on");
    ck_assert_int_eq(weft_msg_set_string(c, "name", "lights_off"), 0);
    ck_assert_int_eq(weft_msg_get_string(m, "name", &s), 0);
    ck_assert_str_eq(s, "lights_on"); /* a deep copy */
    weft_buf_unref(c);
    weft_buf_unref(m);
    weft_buf *t = weft_buf_new_text("x", 1);
    ck_assert_int_eq(weft_msg_set_int(t, "k", 1), WEFT_EINVAL);
    weft_buf_unref(t);
}
END_TEST

START_TEST(steady_state_allocates_nothing)
{
    int64_t shape[] = {160, 1};
    /* Warm the pools, as the first buffers of a stream do. */
    weft_buf *warm[4];
    for (int i = 0; i < 4; i++)
        warm[i] = weft_buf_new_tensor(WEFT_DTYPE_F32, 2, shape,
                                      WEFT_DOMAIN_HOST, 0);
    for (int i = 0; i < 4; i++)
        weft_buf_unref(warm[i]);
    weft_mem_stats before, after;
    weft_mem_stats_get(&before);
    for (int i = 0; i < 10000; i++) {
        weft_buf *a = weft_buf_new_tensor(WEFT_DTYPE_F32, 2, shape,
                                          WEFT_DOMAIN_HOST, 0);
        weft_buf *b = weft_buf_new_tensor(WEFT_DTYPE_F32, 2, shape,
                                          WEFT_DOMAIN_HOST, 0);
        weft_buf_unref(a);
        weft_buf_unref(b);
    }
    weft_mem_stats_get(&after);
    ck_assert_uint_eq(after.sys_allocs, before.sys_allocs);
    ck_assert_uint_ge(after.pool_hits - before.pool_hits, 40000);
    ck_assert_uint_eq(after.live_bufs, before.live_bufs);
    weft_mem_trim();
    weft_mem_stats_get(&after);
    ck_assert_uint_eq(after.pooled_bytes, 0);
}
END_TEST

START_TEST(shrunk_copy)
{
    /* A shrunk tensor copies only the rows it still has. */
    int64_t shape[] = {4, 3};
    weft_buf *b = weft_buf_new_tensor(WEFT_DTYPE_F64, 2, shape,
                                      WEFT_DOMAIN_HOST, 0);
    double *x = weft_buf_data(b);
    for (int i = 0; i < 12; i++)
        x[i] = i;
    ck_assert_int_eq(weft_buf_shrink(b, 2), 0);
    weft_buf *c = weft_buf_copy(b, WEFT_DOMAIN_HOST, 0);
    ck_assert_int_eq(weft_buf_dim(c, 0), 2);
    ck_assert_uint_eq(weft_buf_nbytes(c), 48);
    ck_assert_int_eq(memcmp(weft_buf_cdata(c), x, 48), 0);
    weft_buf_unref(c);
    weft_buf_unref(b);
}
END_TEST

START_TEST(errors_and_names)
{
    ck_assert_str_eq(weft_strerror(WEFT_EINVAL), "invalid argument");
    ck_assert_str_eq(weft_strerror(0), "success");
    ck_assert_str_eq(weft_strerror(-999), "unknown error");
    ck_assert_str_eq(weft_errname(WEFT_EABI), "EABI");
    for (int c = -1; c > WEFT_ELAST; c--)
        ck_assert_str_ne(weft_strerror(c), "unknown error");
    ck_assert_str_eq(weft_flow_name(WEFT_FLOW_EOS), "eos");
    ck_assert_str_eq(weft_kind_name(WEFT_KIND_MESSAGE), "message");
    ck_assert_str_eq(weft_domain_name(WEFT_DOMAIN_PINNED), "pinned");
    ck_assert_str_eq(weft_version(), WEFT_VERSION_STRING);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("buf");
    TCase *tc = tcase_create("buf");
    tcase_add_test(tc, tensor_basics);
    tcase_add_test(tc, tensor_invalid);
    tcase_add_test(tc, dtypes);
    tcase_add_test(tc, refcount_and_writable);
    tcase_add_test(tc, keep_meta_carrier);
    tcase_add_test(tc, text_and_tokens);
    tcase_add_test(tc, messages);
    tcase_add_test(tc, steady_state_allocates_nothing);
    tcase_add_test(tc, shrunk_copy);
    tcase_add_test(tc, errors_and_names);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
