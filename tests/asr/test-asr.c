/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * asr.acoustic against PyTorch (tests/golden/make-asr-golden.py): two small
 * random models that cover every layer type, whole and chunked (1, 7 and
 * 100 frames), within 1e-5 max abs; segment resets, state per node, timing
 * and flags; the vocabulary id the ctc decoders check; and every bad model
 * and bad input with its exact one-line error.
 */
#include "config.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <weft/graph.h>
#include <weft/harness.h>
#include <weft/registry.h>

#include "npy.h"

#define GOLDEN TOP_SRCDIR "/tests/golden/asr"
#define TOL 1e-5

static weft_registry *reg;

typedef struct arr {
    float *d;
    int64_t rows, cols;
} arr;

static arr load_npy(const char *path)
{
    npy_reader *r;
    char err[256];
    arr a;

    ck_assert_msg(npy_reader_open(path, &r, err, sizeof err) == 0, "%s", err);
    ck_assert_uint_eq(npy_reader_info(r)->ndim, 2);
    a.rows = npy_reader_info(r)->shape[0];
    a.cols = npy_reader_info(r)->shape[1];
    a.d = malloc((size_t)(a.rows * a.cols) * sizeof(float) + 1);
    ck_assert_int_eq(npy_reader_read_rows(r, 0, a.rows, a.d, err, sizeof err),
                     0);
    npy_reader_close(r);
    return a;
}

static weft_buf *frames(const arr *x, int64_t r0, int64_t n, uint64_t seg,
                        bool end)
{
    const int64_t shape[2] = { n, x->cols };
    weft_buf *b = weft_buf_new_tensor(WEFT_DTYPE_F32, 2, shape,
                                      WEFT_DOMAIN_HOST, 0);
    ck_assert_ptr_nonnull(b);
    memcpy(weft_buf_data(b), x->d + r0 * x->cols,
           (size_t)(n * x->cols) * sizeof(float));
    weft_buf_set_pts(b, r0 * 10000000);          /* 10 ms frames */
    weft_buf_set_duration(b, n * 10000000);
    weft_buf_set_segment(b, seg);
    weft_buf_set_flags(b, end ? WEFT_BUF_SEGMENT_END : 0);
    return b;
}

static weft_harness *start(const char *model, const char *fmt)
{
    weft_harness *h;

    ck_assert_int_eq(weft_harness_new(reg, "asr.acoustic", &h), 0);
    ck_assert_int_eq(weft_harness_set_prop(h, "model", model), 0);
    ck_assert_int_eq(weft_harness_set_input_format(h, 0, fmt), 0);
    ck_assert_msg(weft_harness_start(h) == 0, "%s", weft_harness_error(h));
    return h;
}

/* Pull every output buffer into @out (rows appended at *@n); returns the
 * flags of the last buffer pulled. Checks segment, pts and duration. */
static weft_buf_flags drain(weft_harness *h, float *out, int64_t *n,
                            int64_t v, uint64_t seg, int64_t stride)
{
    weft_buf_flags fl = 0;
    weft_buf *b;

    while ((b = weft_harness_pull(h, 0))) {
        int64_t t = weft_buf_dim(b, 0);
        ck_assert_int_eq(weft_buf_dim(b, 1), v);
        ck_assert_uint_eq(weft_buf_segment(b), seg);
        ck_assert_int_eq(weft_buf_refcount(b), 1);
        if (t > 0) {
            /* output frame j is at input frame j*stride (10 ms each) */
            ck_assert_int_eq(weft_buf_pts(b), *n * stride * 10000000);
            ck_assert_int_eq(weft_buf_duration(b), t * stride * 10000000);
        }
        memcpy(out + *n * v, weft_buf_cdata(b),
               (size_t)(t * v) * sizeof(float));
        *n += t;
        fl = weft_buf_get_flags(b);
        weft_buf_unref(b);
    }
    return fl;
}

static double max_diff(const float *a, const float *b, int64_t n)
{
    double m = 0;
    for (int64_t i = 0; i < n; i++)
        if (fabs((double)a[i] - b[i]) > m || isnan(a[i]))
            m = isnan(a[i]) ? INFINITY : fabs((double)a[i] - b[i]);
    return m;
}

static const char *const models[] = { "conv-gru", "lstm" };
static const int64_t strides[] = { 6, 2 };
static const char *const in_fmts[] = {
    "tensor dtype=f32 shape=[T,20] features=fbank frame_rate=100.0",
    "tensor dtype=f32 shape=[T,13]"
};

/* The golden input in chunks of @chunk frames (0: whole), one segment. */
static void check_chunked(int mi, int64_t chunk)
{
    char path[512];
    arr x, y;
    weft_harness *h;
    float *got;
    int64_t n = 0;
    weft_buf_flags fl = 0;
    double d;

    snprintf(path, sizeof path, GOLDEN "/%s/input.npy", models[mi]);
    x = load_npy(path);
    snprintf(path, sizeof path, GOLDEN "/%s/expected.npy", models[mi]);
    y = load_npy(path);
    snprintf(path, sizeof path, GOLDEN "/%s", models[mi]);
    h = start(path, in_fmts[mi]);
    got = calloc((size_t)(y.rows + 1) * (size_t)y.cols, sizeof *got);
    if (chunk == 0)
        chunk = x.rows;
    for (int64_t r = 0; r < x.rows; r += chunk) {
        int64_t k = r + chunk > x.rows ? x.rows - r : chunk;
        ck_assert_int_eq(weft_harness_push(h, 0, frames(&x, r, k, 7,
                                                        r + k == x.rows)),
                         WEFT_FLOW_OK);
        fl = drain(h, got, &n, y.cols, 7, strides[mi]);
        ck_assert_int_le(n, y.rows);
    }
    ck_assert_int_eq(n, y.rows);
    ck_assert_msg(fl & WEFT_BUF_SEGMENT_END, "SEGMENT_END not passed on");
    d = max_diff(got, y.d, y.rows * y.cols);
    ck_assert_msg(d <= TOL, "%s, chunks of %lld: max abs diff %g > %g",
                  models[mi], (long long)chunk, d, TOL);
    weft_harness_free(h);
    free(got);
    free(x.d);
    free(y.d);
}

START_TEST(test_golden)
{
    static const int64_t chunks[] = { 0, 1, 7, 100 };
    for (int mi = 0; mi < 2; mi++)
        for (size_t c = 0; c < 4; c++)
            check_chunked(mi, chunks[c]);
}
END_TEST

/* Two segments back to back (the first ended by a new id, the second by
 * a flag, a third reusing an id after the flag): each equals the golden
 * output, so the state was reset. */
START_TEST(test_segments)
{
    arr x = load_npy(GOLDEN "/conv-gru/input.npy");
    arr y = load_npy(GOLDEN "/conv-gru/expected.npy");
    weft_harness *h = start(GOLDEN "/conv-gru", in_fmts[0]);
    float *got = calloc((size_t)(y.rows + 1) * (size_t)y.cols, sizeof *got);
    const uint64_t segs[3] = { 1, 2, 2 };
    weft_buf *b;

    for (int s = 0; s < 3; s++) {
        int64_t n = 0;
        weft_buf_flags fl = 0;
        /* segment 1 has no end flag: segment 2's first buffer ends it */
        for (int64_t r = 0; r < x.rows; r += 40) {
            int64_t k = r + 40 > x.rows ? x.rows - r : 40;
            weft_harness_push(h, 0, frames(&x, r, k, segs[s],
                                           s > 0 && r + k == x.rows));
            if (s == 1 && r == 0) {
                /* the end of segment 1, on an empty buffer */
                b = weft_harness_pull(h, 0);
                ck_assert_ptr_nonnull(b);
                ck_assert_uint_eq(weft_buf_segment(b), 1);
                ck_assert_int_eq(weft_buf_dim(b, 0), 0);
                ck_assert(weft_buf_get_flags(b) & WEFT_BUF_SEGMENT_END);
                weft_buf_unref(b);
            }
            fl = drain(h, got, &n, y.cols, segs[s], 6);
        }
        ck_assert_int_eq(n, y.rows);
        ck_assert_int_eq(!!(fl & WEFT_BUF_SEGMENT_END), s > 0);
        ck_assert_double_le(max_diff(got, y.d, y.rows * y.cols), TOL);
    }
    /* end of stream with nothing open: nothing more */
    weft_harness_push_eos(h, 0);
    ck_assert_ptr_null(weft_harness_pull(h, 0));
    ck_assert(weft_harness_finished(h));
    weft_harness_free(h);

    /* end of stream closes an open segment with an empty END buffer */
    h = start(GOLDEN "/conv-gru", in_fmts[0]);
    weft_harness_push(h, 0, frames(&x, 0, 12, 5, false));
    weft_buf_unref(weft_harness_pull(h, 0));
    weft_harness_push_eos(h, 0);
    b = weft_harness_pull(h, 0);
    ck_assert_ptr_nonnull(b);
    ck_assert_int_eq(weft_buf_dim(b, 0), 0);
    ck_assert_uint_eq(weft_buf_segment(b), 5);
    ck_assert(weft_buf_get_flags(b) & WEFT_BUF_SEGMENT_END);
    weft_buf_unref(b);
    /* a flush drops the state: the next segment is golden again */
    weft_harness_free(h);
    free(got);
    free(x.d);
    free(y.d);
}
END_TEST

/* Metadata passes through: each output buffer has its input's `file`
 * (set by audio.dir), also the empty buffer that closes a segment ended
 * by a new segment id or by end of stream, whose input is gone. */
START_TEST(test_metadata)
{
    static const char *const files[] = { "a.wav", "b.wav" };
    arr x = load_npy(GOLDEN "/conv-gru/input.npy");
    weft_harness *h = start(GOLDEN "/conv-gru", in_fmts[0]);
    weft_buf *b;
    int n = 0, empty = 0;

    for (int s = 0; s < 2; s++)
        for (int64_t r = 0; r < x.rows; r += 40) {
            int64_t k = r + 40 > x.rows ? x.rows - r : 40;
            weft_buf *in = frames(&x, r, k, (uint64_t)s, false);
            ck_assert_int_eq(weft_buf_set_meta(in, "file", files[s]), 0);
            weft_harness_push(h, 0, in);
        }
    weft_harness_push_eos(h, 0);
    while ((b = weft_harness_pull(h, 0))) {
        uint64_t seg = weft_buf_segment(b);
        ck_assert_uint_lt(seg, 2);
        ck_assert_ptr_nonnull(weft_buf_get_meta(b, "file"));
        ck_assert_str_eq(weft_buf_get_meta(b, "file"), files[seg]);
        empty += weft_buf_dim(b, 0) == 0;
        n++;
        weft_buf_unref(b);
    }
    /* both segments closed on an empty buffer: by the new id, by EOS */
    ck_assert_int_eq(empty, 2);
    ck_assert_int_gt(n, 4);
    ck_assert(weft_harness_finished(h));
    weft_harness_free(h);
    free(x.d);
}
END_TEST

/* Two nodes on the same (shared) model, fed interleaved chunks: each
 * keeps its own state. A flush mid-segment resets one of them. */
START_TEST(test_state_per_node)
{
    arr x = load_npy(GOLDEN "/lstm/input.npy");
    arr y = load_npy(GOLDEN "/lstm/expected.npy");
    weft_harness *h[2] = { start(GOLDEN "/lstm", in_fmts[1]),
                           start(GOLDEN "/lstm/", in_fmts[1]) };
    float *got[2];
    int64_t n[2] = { 0, 0 };

    for (int i = 0; i < 2; i++)
        got[i] = calloc((size_t)(y.rows + 1) * (size_t)y.cols, sizeof(float));
    /* node 1 first sees some junk, then a flush: it must start over */
    weft_harness_push(h[1], 0, frames(&x, 50, 30, 3, false));
    weft_buf_unref(weft_harness_pull(h[1], 0));
    ck_assert_int_eq(weft_harness_flush(h[1]), 0);
    for (int64_t r = 0; r < x.rows; r += 9) {
        int64_t k = r + 9 > x.rows ? x.rows - r : 9;
        for (int i = 0; i < 2; i++) {
            weft_harness_push(h[i], 0, frames(&x, r, k, 3, r + k == x.rows));
            drain(h[i], got[i], &n[i], y.cols, 3, 2);
        }
    }
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(n[i], y.rows);
        ck_assert_double_le(max_diff(got[i], y.d, y.rows * y.cols), TOL);
        weft_harness_free(h[i]);
        free(got[i]);
    }
    free(x.d);
    free(y.d);
}
END_TEST

/* A buffer longer than the forward pass's slice (4096 frames) gives what
 * small chunks give. */
START_TEST(test_long_buffer)
{
    arr x = { NULL, 9001, 20 };
    weft_harness *h[2] = { start(GOLDEN "/conv-gru", in_fmts[0]),
                           start(GOLDEN "/conv-gru", in_fmts[0]) };
    const int64_t rows = (9001 + 5) / 6;
    float *got[2];
    int64_t n[2] = { 0, 0 };
    uint64_t r = 12345;

    x.d = malloc((size_t)(x.rows * x.cols) * sizeof(float));
    for (int64_t i = 0; i < x.rows * x.cols; i++) {
        r = r * 6364136223846793005ull + 1442695040888963407ull;
        x.d[i] = (float)((r >> 40) & 0xffff) / 16384.0f - 2.0f;
    }
    for (int i = 0; i < 2; i++)
        got[i] = calloc((size_t)(rows + 1) * 12, sizeof(float));
    weft_harness_push(h[0], 0, frames(&x, 0, x.rows, 1, true));
    drain(h[0], got[0], &n[0], 12, 1, 6);
    for (int64_t q = 0; q < x.rows; q += 333) {
        int64_t k = q + 333 > x.rows ? x.rows - q : 333;
        weft_harness_push(h[1], 0, frames(&x, q, k, 1, q + k == x.rows));
        drain(h[1], got[1], &n[1], 12, 1, 6);
    }
    ck_assert_int_eq(n[0], rows);
    ck_assert_int_eq(n[1], rows);
    ck_assert_double_le(max_diff(got[0], got[1], rows * 12), TOL);
    for (int i = 0; i < 2; i++) {
        weft_harness_free(h[i]);
        free(got[i]);
    }
    free(x.d);
}
END_TEST

/* The output format: the vocabulary id as ctc computes it (FNV-1a 64 of
 * each token and '\n', here spelled out independently) and the frame
 * rate. */
START_TEST(test_format)
{
    weft_harness *h = start(GOLDEN "/conv-gru", in_fmts[0]);
    const weft_format *f = weft_harness_output_format(h, 0);
    const char *v;
    const char *toks = "<blank>\n|\na\nb\nc\nd\ne\nf\ng\nh\ni\nj\n";
    uint64_t x = 0xcbf29ce484222325ull;
    char want[32];
    double rate;
    int32_t nd;
    int64_t dims[2];

    for (const char *p = toks; *p; p++) {
        x ^= (uint8_t)*p;
        x *= 0x100000001b3ull;
    }
    snprintf(want, sizeof want, "fnv1a64:%016llx", (unsigned long long)x);
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(weft_format_get_string(f, "vocab", &v), 0);
    ck_assert_str_eq(v, want);
    ck_assert_int_eq(weft_format_get_float(f, "frame_rate", &rate), 0);
    ck_assert_double_eq_tol(rate, 100.0 / 6.0, 1e-9);
    ck_assert_int_eq(weft_format_get_shape(f, &nd, dims, NULL, 2), 0);
    ck_assert_int_eq(nd, 2);
    ck_assert_int_eq(dims[1], 12);
    weft_harness_free(h);
}
END_TEST

/* ------------------------------------------------------------ bad input */

static char tmp[256];

static void put(const char *dir, const char *name, const void *data,
                size_t len)
{
    char p[512];
    FILE *f;

    snprintf(p, sizeof p, "%s/%s", dir, name);
    f = fopen(p, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, len, f), len);
    fclose(f);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;

    ck_assert_msg(f != NULL, "%s: cannot open", path);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)n + 1);
    ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = 0;
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* A copy of golden model @src in a fresh directory, with @file (if any)
 * left out, config.json's @from replaced by @to, and the weights cut to
 * @st_len bytes (0: whole). Returns the directory. */
static const char *variant(const char *src, const char *skip,
                           const char *from, const char *to, size_t st_len)
{
    static int counter;
    static const char *const files[] = { "config.json", "model.safetensors",
                                         "tokens.txt" };
    static char dir[300];

    snprintf(dir, sizeof dir, "%s/m%d", tmp, counter++);
    ck_assert_int_eq(mkdir(dir, 0700), 0);
    for (int i = 0; i < 3; i++) {
        char p[512];
        size_t len;
        char *data;
        if (skip && !strcmp(skip, files[i]))
            continue;
        snprintf(p, sizeof p, GOLDEN "/%s/%s", src, files[i]);
        data = slurp(p, &len);
        if (i == 0 && from) {
            char *at = strstr(data, from), *nd;
            ck_assert_msg(at != NULL, "'%s' not in %s", from, p);
            nd = malloc(len + strlen(to) + 1);
            memcpy(nd, data, (size_t)(at - data));
            strcpy(nd + (at - data), to);
            strcat(nd, at + strlen(from));
            free(data);
            data = nd;
            len = strlen(nd);
        }
        if (i == 1 && st_len)
            len = st_len;
        put(dir, files[i], data, len);
        free(data);
    }
    return dir;
}

/* Starting a node on @dir fails with exactly "<dir>/" @msg (or @msg when
 * it starts with '!': no directory prefix). */
static void expect_error(const char *dir, const char *fmt, const char *msg)
{
    weft_harness *h;
    char want[1024];

    ck_assert_int_eq(weft_harness_new(reg, "asr.acoustic", &h), 0);
    ck_assert_int_eq(weft_harness_set_prop(h, "model", dir), 0);
    ck_assert_int_eq(weft_harness_set_input_format(h, 0, fmt), 0);
    ck_assert_int_lt(weft_harness_start(h), 0);
    if (msg[0] == '!')
        snprintf(want, sizeof want, "%s", msg + 1);
    else
        snprintf(want, sizeof want, "%s/%s", dir, msg);
    ck_assert_msg(strstr(weft_harness_error(h), want) != NULL,
                  "got   \"%s\"\nwant \"%s\"", weft_harness_error(h), want);
    ck_assert_ptr_null(strchr(weft_harness_error(h), '\n'));
    weft_harness_free(h);
}

static const char *const F20 = "tensor dtype=f32 shape=[T,20]";

START_TEST(test_bad_models)
{
    const char *d;

    d = variant("conv-gru", "config.json", NULL, NULL, 0);
    expect_error(d, F20, "config.json: cannot open: No such file or "
                 "directory");
    d = variant("conv-gru", "model.safetensors", NULL, NULL, 0);
    expect_error(d, F20, "model.safetensors: cannot open: No such file or "
                 "directory");
    d = variant("conv-gru", "tokens.txt", NULL, NULL, 0);
    expect_error(d, F20, "tokens.txt: cannot open the tokens file");
    d = variant("conv-gru", NULL, NULL, NULL, 5000);
    expect_error(d, F20, "model.safetensors: tensor "
                 "'block1.pointwise.weight': data_offsets [1664, 5760] reach "
                 "past the end of the data (3128 bytes; file truncated?)");
    d = variant("conv-gru", NULL, "\"kernel\": 5", "\"kernel\": 4", 0);
    expect_error(d, F20, "model.safetensors: tensor 'conv0.weight': shape "
                 "[32,20,5] in the file, [32,20,4] expected (config.json "
                 "layers[1] 'conv0', conv1d)");
    d = variant("conv-gru", NULL, "\"hidden\": 48", "\"hidden\": 40", 0);
    expect_error(d, F20, "model.safetensors: tensor 'rnn0.weight_ih': shape "
                 "[144,32] in the file, [120,32] expected (config.json "
                 "layers[9] 'rnn0', gru)");
    d = variant("conv-gru", NULL, "\"dim\": 48", "\"dim\": 40", 0);
    expect_error(d, F20, "config.json: layers[10] 'ln' (layernorm): dim is 40 "
                 "but the previous layer's output size is 48");
    d = variant("conv-gru", NULL, "\"in\": 32,\n      \"hidden\"",
                "\"in\": 30,\n      \"hidden\"", 0);
    expect_error(d, F20, "config.json: layers[9] 'rnn0' (gru): in is 30 but "
                 "the previous layer's output size is 32");
    d = variant("conv-gru", NULL, "\"dim\": 20,\n    \"rate\"",
                "\"dim\": 21,\n    \"rate\"", 0);
    expect_error(d, F20, "config.json: layers[0] 'cmvn' (normalize): dim is "
                 "20 but the previous input (features.dim) is 21");
    d = variant("conv-gru", NULL, "\"stride\": 3,", "\"strid\": 3,", 0);
    expect_error(d, F20, "config.json: layers[7] 'conv2' (conv1d): unknown "
                 "field 'strid'");
    d = variant("conv-gru", NULL, "\"type\": \"gru\"", "\"type\": \"rnn\"",
                0);
    expect_error(d, F20, "config.json: layers[9] 'rnn0' (rnn): unknown layer "
                 "type");
    {
        /* V != the token count: one token fewer */
        char p[512];
        d = variant("conv-gru", NULL, NULL, NULL, 0);
        snprintf(p, sizeof p, "%s", d);
        put(p, "tokens.txt", "<blank>\n|\na\nb\n", 14);
        expect_error(p, F20, "config.json: layers[11] 'out': the model's "
                     "output size is 12 but tokens.txt has 4 tokens");
    }
    expect_error(TOP_SRCDIR "/tests/golden/no-such-model", F20,
                 "!" TOP_SRCDIR "/tests/golden/no-such-model: no such model "
                 "directory");
}
END_TEST

START_TEST(test_bad_input)
{
    /* feature size, type and frame rate at negotiate */
    expect_error(GOLDEN "/conv-gru", "tensor dtype=f32 shape=[T,13]",
                 "!input has 13 features per frame but model " GOLDEN
                 "/conv-gru takes 20 (config.json features.dim)");
    expect_error(GOLDEN "/conv-gru",
                 "tensor dtype=f32 shape=[T,20] features=mfcc",
                 "!input features are mfcc but model " GOLDEN "/conv-gru "
                 "takes fbank (config.json features.type)");
    expect_error(GOLDEN "/conv-gru",
                 "tensor dtype=f32 shape=[T,20] frame_rate=50.0",
                 "!input frame rate is 50 Hz but model " GOLDEN "/conv-gru "
                 "takes 100 Hz (config.json features.frame_shift_ms 10)");
    {
        weft_harness *h;
        ck_assert_int_eq(weft_harness_new(reg, "asr.acoustic", &h), 0);
        ck_assert_int_eq(weft_harness_set_props(h, "model", GOLDEN
                                                "/lstm", "device", "gpu0",
                                                NULL), 0);
        ck_assert_int_eq(weft_harness_set_input_format(h, 0, F20), 0);
        ck_assert_int_eq(weft_harness_start(h), WEFT_EINVAL);
        ck_assert_str_eq(weft_harness_error(h), "node 'asr.acoustic' "
                         "(asr.acoustic): device 'gpu0': invalid argument "
                         "(cpu, auto, cuda or cuda:N)");
        weft_harness_free(h);
    }
    /* the core refuses another dtype before the node sees it */
    expect_error(GOLDEN "/conv-gru", "tensor dtype=f64 shape=[T,20]",
                 "!input 'in' accepts \"tensor dtype=f32 shape=[T,C]\", got "
                 "\"tensor dtype=f64 shape=[T,20]\" (dtype: f64 vs f32)");
}
END_TEST

/* A whole graph checked with the weft_graph API: mfcc -> asr.acoustic ->
 * ctc.greedy is accepted with the mfcc model, and rejected in one line
 * naming the node and both values with an fbank model or another
 * vocabulary. */
static char *check_graph(const char *feat, const char *model,
                         const char *tokens)
{
    char text[2048];
    weft_graph *g = NULL;
    char *diags;
    int ret;

    snprintf(text, sizeof text,
             "weft 1\n"
             "node src = test.src { kind = \"audio\", count = 3 }\n"
             "node feat = %s\n"
             "node am = asr.acoustic { model = \"%s\" }\n"
             "node dec = ctc.greedy { tokens = \"%s\" }\n"
             "node out = null.sink\n"
             "src -> feat -> am -> dec -> out\n", feat, model, tokens);
    ck_assert_int_eq(weft_graph_parse_string(reg, text, "t.weft", NULL, &g),
                     0);
    ret = weft_graph_check(g);
    diags = weft_graph_render_diags(g, false);
    weft_graph_free(g);
    if (ret == 0) {
        free(diags);
        return NULL;
    }
    return diags;
}

START_TEST(test_graph_check)
{
    static const char *const mfcc = "mfcc { preset = \"kaldi\" }";
    char *d = check_graph(mfcc, GOLDEN "/lstm", GOLDEN "/lstm/tokens.txt");

    ck_assert_msg(d == NULL, "%s", d);
    d = check_graph(mfcc, GOLDEN "/conv-gru", GOLDEN "/conv-gru/tokens.txt");
    ck_assert_ptr_nonnull(d);
    ck_assert_msg(strstr(d, "error: node `am` (asr.acoustic): input has 13 "
                         "features "
                         "per frame but model " GOLDEN "/conv-gru takes 20 "
                         "(config.json features.dim)"), "%s", d);
    free(d);
    {
        /* as many tokens as the model's, but other ones */
        char p[300];
        snprintf(p, sizeof p, "%s/tokens-other.txt", tmp);
        put(tmp, "tokens-other.txt", "_\n|\na\nb\nc\nd\ne\nf\ng\nh\n", 20);
        d = check_graph(mfcc, GOLDEN "/lstm", p);
        ck_assert_ptr_nonnull(d);
        ck_assert_msg(strstr(d, "error: node `dec` (ctc.greedy): input "
                             "vocabulary \"fnv1a64:") &&
                      strstr(d, "\" is not tokens-other.txt's (\"fnv1a64:"),
                      "%s", d);
    }
    free(d);
    /* the producer's feature type and frame rate, from mfcc/fbank */
    d = check_graph("fbank { preset = \"kaldi\", num_mel_bins = 13 }",
                    GOLDEN "/lstm", GOLDEN "/lstm/tokens.txt");
    ck_assert_ptr_nonnull(d);
    ck_assert_msg(strstr(d, "error: node `am` (asr.acoustic): input features "
                         "are fbank but model " GOLDEN "/lstm takes mfcc "
                         "(config.json features.type)"), "%s", d);
    free(d);
    d = check_graph("mfcc { preset = \"kaldi\", frame_shift = 0.02 }",
                    GOLDEN "/lstm", GOLDEN "/lstm/tokens.txt");
    ck_assert_ptr_nonnull(d);
    ck_assert_msg(strstr(d, "error: node `am` (asr.acoustic): input frame "
                         "rate is 50 Hz but model " GOLDEN "/lstm takes 100 "
                         "Hz (config.json features.frame_shift_ms 10)"),
                  "%s", d);
    free(d);
}
END_TEST

/* The fuzzer's seeds and any crasher it found, through its entry point. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_dir(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;

    if (!d)
        return 0;
    while ((e = readdir(d))) {
        char p[600];
        size_t len;
        char *data;
        if (e->d_name[0] == '.' || strncmp(e->d_name, prefix, strlen(prefix)))
            continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        data = slurp(p, &len);
        LLVMFuzzerTestOneInput((const uint8_t *)data, len);
        free(data);
        n++;
    }
    closedir(d);
    return n;
}

START_TEST(test_fuzz_seeds)
{
    ck_assert_int_ge(replay_dir(TOP_SRCDIR "/tests/fuzz/corpus-asr", ""), 2);
    replay_dir(TOP_SRCDIR "/tests/fuzz/crashers", "asr-");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("asr");
    TCase *tc = tcase_create("asr");
    SRunner *sr;
    int failed;

    snprintf(tmp, sizeof tmp, "%s/test-asr-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(tmp)) {
        perror("mkdtemp");
        return 1;
    }
    reg = weft_registry_new();
    if (weft_registry_scan_dir(reg, TOP_BUILDDIR "/plugins/.libs") < 1 ||
        !weft_registry_find(reg, "asr.acoustic")) {
        fprintf(stderr, "test-asr: the asr plugin did not load\n");
        return 1;
    }
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_golden);
    tcase_add_test(tc, test_segments);
    tcase_add_test(tc, test_metadata);
    tcase_add_test(tc, test_state_per_node);
    tcase_add_test(tc, test_long_buffer);
    tcase_add_test(tc, test_format);
    tcase_add_test(tc, test_bad_models);
    tcase_add_test(tc, test_bad_input);
    tcase_add_test(tc, test_graph_check);
    tcase_add_test(tc, test_fuzz_seeds);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    weft_registry_free(reg);
    {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
        if (system(cmd) != 0)
            fprintf(stderr, "test-asr: could not remove %s\n", tmp);
    }
    return failed ? 1 : 0;
}
