/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Tests of the mfcc plugin (`mfcc`, `fbank`) through the node harness:
 * parity per preset with the reference implementations' golden data
 * (tests/golden/make-mfcc.py), bit-identical streaming for any chunking,
 * NaN/Inf samples, a wrong rate at negotiation, and an empty stream; the
 * per-frame code's dispatch (AVX2+FMA where the CPU has it, the baseline
 * otherwise) and the agreement of the two builds.
 *
 * `test-mfcc --features PRESET IN.f32 OUT.npy` instead writes the node's
 * output for raw f32 mono 16 kHz samples through the harness, in one
 * buffer (tests/mfcc/features-graph.sh compares `weft run` with it).
 */
#include <check.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <weft/harness.h>
#include <weft/registry.h>

#include "feat.h"
#include "npy.h"

#define GOLDEN TOP_SRCDIR "/tests/golden/mfcc"

static weft_registry *reg;

typedef struct feats {
    float *d;
    int64_t rows, cols;
} feats;

static float *load_npy(const char *path, int64_t *rows, int64_t *cols)
{
    npy_reader *r;
    char err[256];
    const npy_info *in;
    float *d;

    ck_assert_msg(npy_reader_open(path, &r, err, sizeof err) == 0, "%s", err);
    in = npy_reader_info(r);
    ck_assert_int_eq(in->dtype, WEFT_DTYPE_F32);
    *rows = in->ndim >= 1 ? in->shape[0] : 0;
    *cols = in->ndim == 2 ? in->shape[1] : 1;
    d = malloc((size_t)(*rows * *cols + 1) * sizeof *d);
    if (*rows > 0)
        ck_assert_msg(npy_reader_read_rows(r, 0, *rows, d, err, sizeof err) == 0,
                      "%s", err);
    npy_reader_close(r);
    return d;
}

static weft_harness *hnew(const char *cls, const char *rate_fmt,
                          const char *const *props)
{
    weft_harness *h;
    ck_assert_int_eq(weft_harness_new(reg, cls, &h), 0);
    for (size_t i = 0; props && props[i]; i += 2)
        ck_assert_msg(weft_harness_set_prop(h, props[i], props[i + 1]) == 0,
                      "%s=%s: %s", props[i], props[i + 1],
                      weft_harness_error(h));
    ck_assert_int_eq(weft_harness_set_input_format(h, 0, rate_fmt), 0);
    return h;
}

static weft_buf *audio_buf(const float *x, int64_t n, int64_t s0)
{
    int64_t shape[2] = { n, 1 };
    weft_buf *b = weft_buf_new_tensor(WEFT_DTYPE_F32, 2, shape,
                                      WEFT_DOMAIN_HOST, 0);
    ck_assert_ptr_nonnull(b);
    if (n)
        memcpy(weft_buf_data(b), x, (size_t)n * sizeof *x);
    weft_buf_set_pts(b, s0 * 62500);
    weft_buf_set_duration(b, n * 62500);
    return b;
}

static void collect(weft_harness *h, feats *f)
{
    weft_buf *b;
    while ((b = weft_harness_pull(h, 0))) {
        int64_t r = weft_buf_dim(b, 0), c = weft_buf_dim(b, 1);
        ck_assert_int_eq(weft_buf_ndim(b), 2);
        if (f->cols == 0)
            f->cols = c;
        ck_assert_int_eq(c, f->cols);
        f->d = realloc(f->d, (size_t)((f->rows + r) * c + 1) * sizeof(float));
        memcpy(f->d + f->rows * c, weft_buf_cdata(b), (size_t)(r * c) * 4);
        f->rows += r;
        weft_buf_unref(b);
    }
}

/* Run @cls over @x in chunks: @chunk > 0 fixed size, 0 whole, < 0 random
 * sizes from 1 sample to 1 s (seeded by -chunk). */
static feats run(const char *cls, const char *const *props, const float *x,
                 int64_t n, int64_t chunk)
{
    weft_harness *h = hnew(cls, "audio/pcm rate=16000 channels=1 dtype=f32",
                           props);
    feats f = { NULL, 0, 0 };
    uint64_t rng = (uint64_t)(-chunk) * 0x9e3779b97f4a7c15u + 1;
    int64_t i = 0;

    ck_assert_msg(weft_harness_start(h) == 0, "start: %s",
                  weft_harness_error(h));
    while (i < n) {
        int64_t k = chunk > 0 ? chunk : chunk == 0 ? n : 0;
        if (chunk < 0) {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            /* Mostly small chunks, some up to a second. */
            k = (rng >> 33) % 4 == 0 ? 1 + (int64_t)((rng >> 8) % 16000)
                                     : 1 + (int64_t)((rng >> 8) % 200);
        }
        if (k > n - i)
            k = n - i;
        ck_assert_int_ne(weft_harness_push(h, 0, audio_buf(x + i, k, i)),
                         WEFT_FLOW_ERROR);
        collect(h, &f);
        i += k;
    }
    ck_assert_int_ne(weft_harness_push_eos(h, 0), WEFT_FLOW_ERROR);
    collect(h, &f);
    ck_assert(weft_harness_finished(h));
    weft_harness_free(h);
    return f;
}

static const char *const inputs[] = { "espeak", "flite", "noise", "sines",
                                      "silence", "clipped", "short", NULL };

/* kaldi-native-fbank computes everything in float32 (FFT, mel weights):
 * its own distance from the float64 torchaudio reference reaches 4e-4 on
 * mel bins far below a frame's peak and 5e-3 beside pure tones, so it is
 * held to 1e-2. Every other reference computes in float64 (librosa: float32
 * only after the FFT) and is held to the rtol = atol = 1e-4. */
typedef struct pcase {
    const char *cls, *preset, *ref;
    double tol;
} pcase;

static const pcase cases[] = {
    { "mfcc", "kaldi", "kaldi-mfcc.torchaudio", 1e-4 },
    { "mfcc", "kaldi", "kaldi-mfcc.knf", 1e-2 },
    { "fbank", "kaldi", "kaldi-fbank.torchaudio", 1e-4 },
    { "fbank", "kaldi", "kaldi-fbank.knf", 1e-2 },
    { "mfcc", "htk", "htk-mfcc.htk", 1e-4 },
    { "mfcc", "librosa", "librosa-mfcc.librosa", 1e-4 },
    { "fbank", "librosa", "librosa-fbank.librosa", 1e-4 },
    { "mfcc", "python_speech_features", "psf-mfcc.psf", 1e-4 },
    { "fbank", "python_speech_features", "psf-fbank.psf", 1e-4 },
};

START_TEST(test_parity)
{
    const pcase *c = &cases[_i];
    double worst_abs = 0, worst_rel = 0;

    for (size_t k = 0; inputs[k]; k++) {
        char path[512];
        int64_t n, one, rows, cols;
        float *x, *want;
        const char *props[] = { "preset", c->preset, NULL };
        feats got;

        snprintf(path, sizeof path, GOLDEN "/%s.npy", inputs[k]);
        x = load_npy(path, &n, &one);
        snprintf(path, sizeof path, GOLDEN "/%s.%s.npy", inputs[k], c->ref);
        want = load_npy(path, &rows, &cols);
        got = run(c->cls, props, x, n, 0);
        ck_assert_msg(got.rows == rows, "%s %s on %s: %lld rows, want %lld",
                      c->cls, c->preset, inputs[k], (long long)got.rows,
                      (long long)rows);
        if (rows > 0)
            ck_assert_msg(got.cols == cols, "%s: %lld cols, want %lld",
                          c->ref, (long long)got.cols, (long long)cols);
        for (int64_t i = 0; i < rows * cols; i++) {
            double a = got.d[i], b = want[i], e = fabs(a - b);
            ck_assert_msg(e <= c->tol + c->tol * fabs(b),
                          "%s (%s %s) on %s: row %lld col %lld: %.7g, want "
                          "%.7g", c->ref, c->cls, c->preset, inputs[k],
                          (long long)(i / cols), (long long)(i % cols), a, b);
            if (e > worst_abs)
                worst_abs = e;
            if (fabs(b) > 1e-3 && e / fabs(b) > worst_rel)
                worst_rel = e / fabs(b);
        }
        free(got.d);
        free(x);
        free(want);
    }
    printf("parity %-6s %-23s vs %-24s max abs %.2e, max rel %.2e\n",
           c->cls, c->preset, c->ref, worst_abs, worst_rel);
}
END_TEST

static const char *const presets[] = { "kaldi", "htk", "librosa",
                                       "python_speech_features", NULL };

START_TEST(test_streaming)
{
    int64_t n, one;
    float *x = load_npy(GOLDEN "/espeak.npy", &n, &one);
    const char *cls = _i % 2 ? "fbank" : "mfcc";
    const char *props[] = { "preset", presets[_i / 2], "deltas", "2", NULL };
    feats whole = run(cls, props, x, n, 0);

    ck_assert_int_gt(whole.rows, 10);
    for (int64_t chunk = -1; chunk >= -3; chunk--) {
        feats part = run(cls, props, x, n, chunk);
        ck_assert_int_eq(part.rows, whole.rows);
        ck_assert_msg(memcmp(part.d, whole.d, (size_t)(whole.rows * whole.cols) *
                                                  sizeof(float)) == 0,
                      "%s %s: chunked output differs", cls, presets[_i / 2]);
        free(part.d);
    }
    {
        feats one_by_one = run(cls, props, x, 8000, 1);
        feats half = run(cls, props, x, 8000, 0);
        ck_assert_int_eq(one_by_one.rows, half.rows);
        ck_assert(memcmp(one_by_one.d, half.d,
                         (size_t)(half.rows * half.cols) * 4) == 0);
        free(one_by_one.d);
        free(half.d);
    }
    free(whole.d);
    free(x);
}
END_TEST

/* Sliding CMVN and deltas stream too; utterance CMVN matches a whole run. */
START_TEST(test_streaming_cmvn)
{
    int64_t n, one;
    float *x = load_npy(GOLDEN "/flite.npy", &n, &one);
    const char *props[] = { "preset", "kaldi", "cmvn", _i ? "utterance" :
                            "sliding", "cmvn_window", "50", "deltas", "1",
                            NULL };
    feats whole = run("mfcc", props, x, n, 0), part = run("mfcc", props, x, n,
                                                           -7);
    ck_assert_int_eq(part.rows, whole.rows);
    ck_assert(memcmp(part.d, whole.d, (size_t)(whole.rows * whole.cols) * 4) ==
              0);
    free(part.d);
    free(whole.d);
    free(x);
}
END_TEST

START_TEST(test_nan)
{
    float x[3000];
    weft_harness *h = hnew("mfcc", "audio/pcm rate=16000 channels=1 dtype=f32",
                           NULL);
    const char *e;
    for (int i = 0; i < 3000; i++)
        x[i] = 0.01f * (float)(i % 7);
    x[2345] = _i ? INFINITY : NAN;
    ck_assert_int_eq(weft_harness_start(h), 0);
    ck_assert_int_ne(weft_harness_push(h, 0, audio_buf(x, 2000, 0)),
                     WEFT_FLOW_ERROR);
    ck_assert_int_eq(weft_harness_push(h, 0, audio_buf(x + 2000, 1000, 2000)),
                     WEFT_FLOW_ERROR);
    e = weft_harness_error(h);
    ck_assert_msg(strstr(e, "sample 2345") && strstr(e, "mfcc") &&
                  strstr(e, _i ? "infinite" : "NaN"), "got '%s'", e);
    weft_harness_free(h);
}
END_TEST

START_TEST(test_wrong_rate)
{
    weft_harness *h = hnew("mfcc", "audio/pcm rate=44100 channels=1 dtype=f32",
                           NULL);
    const char *e;
    ck_assert_int_lt(weft_harness_start(h), 0);
    e = weft_harness_error(h);
    ck_assert_msg(strstr(e, "44100") && strstr(e, "rate=16000"), "got '%s'", e);
    weft_harness_free(h);
    /* rate=0 accepts it. */
    {
        const char *props[] = { "rate", "0", NULL };
        h = hnew("fbank", "audio/pcm rate=44100 channels=1 dtype=f32", props);
        ck_assert_int_eq(weft_harness_start(h), 0);
        weft_harness_free(h);
    }
}
END_TEST

START_TEST(test_empty)
{
    weft_harness *h = hnew(_i ? "fbank" : "mfcc",
                           "audio/pcm rate=16000 channels=1 dtype=f32", NULL);
    ck_assert_int_eq(weft_harness_start(h), 0);
    ck_assert_int_ne(weft_harness_push_eos(h, 0), WEFT_FLOW_ERROR);
    ck_assert(weft_harness_finished(h));
    ck_assert_uint_eq(weft_harness_available(h, 0), 0);
    weft_harness_free(h);
}
END_TEST

/* Segments: a segment-end buffer flushes its rows, the next restarts. */
START_TEST(test_segments)
{
    int64_t n, one;
    float *x = load_npy(GOLDEN "/espeak.npy", &n, &one);
    weft_harness *h = hnew("mfcc", "audio/pcm rate=16000 channels=1 dtype=f32",
                           NULL);
    feats a = { NULL, 0, 0 }, b = { NULL, 0, 0 };
    const char *props[] = { "preset", "kaldi", NULL };
    feats ref = run("mfcc", props, x, 16000, 0);
    weft_buf *buf;

    ck_assert_int_eq(weft_harness_start(h), 0);
    for (int seg = 0; seg < 2; seg++) {
        buf = audio_buf(x, 16000, 0);
        weft_buf_set_segment(buf, (uint64_t)seg + 1);
        weft_buf_set_flags(buf, WEFT_BUF_SEGMENT_END);
        ck_assert_int_ne(weft_harness_push(h, 0, buf), WEFT_FLOW_ERROR);
        collect(h, seg ? &b : &a);
    }
    ck_assert_int_eq(a.rows, ref.rows);
    ck_assert_int_eq(b.rows, ref.rows);
    ck_assert(memcmp(a.d, ref.d, (size_t)(a.rows * a.cols) * 4) == 0);
    ck_assert(memcmp(b.d, ref.d, (size_t)(b.rows * b.cols) * 4) == 0);
    free(a.d);
    free(b.d);
    free(ref.d);
    free(x);
    weft_harness_free(h);
}
END_TEST

/* Metadata passes through: every output buffer of a segment carries the
 * `file` of its input (set by audio.dir), also the rows held to the
 * segment's end (utterance CMVN) and the segment closed by a new segment
 * id or by end of stream; input flags other than segment-end do not leak
 * onto rows. */
START_TEST(test_metadata)
{
    static const char *const files[] = { "a.wav", "b.wav" };
    int64_t n, one, rows[2] = { 0, 0 };
    float *x = load_npy(GOLDEN "/espeak.npy", &n, &one);
    const char *props[] = { "preset", "kaldi", "cmvn", _i ? "utterance" : "none",
                            NULL };
    weft_harness *h = hnew(_i ? "mfcc" : "fbank",
                           "audio/pcm rate=16000 channels=1 dtype=f32", props);
    weft_buf *buf;
    int ends = 0;

    ck_assert_int_eq(weft_harness_start(h), 0);
    for (int seg = 0; seg < 2; seg++)
        for (int64_t i = 0; i < 16000; i += 1000) {
            buf = audio_buf(x + i, 1000, i);
            weft_buf_set_segment(buf, (uint64_t)seg);
            weft_buf_set_flags(buf, i == 0 ? WEFT_BUF_DISCONT : 0);
            ck_assert_int_eq(weft_buf_set_meta(buf, "file", files[seg]), 0);
            ck_assert_int_ne(weft_harness_push(h, 0, buf), WEFT_FLOW_ERROR);
        }
    ck_assert_int_ne(weft_harness_push_eos(h, 0), WEFT_FLOW_ERROR);
    while ((buf = weft_harness_pull(h, 0))) {
        uint64_t seg = weft_buf_segment(buf);
        ck_assert_uint_lt(seg, 2);
        ck_assert_ptr_nonnull(weft_buf_get_meta(buf, "file"));
        ck_assert_str_eq(weft_buf_get_meta(buf, "file"), files[seg]);
        ck_assert_uint_eq(weft_buf_get_flags(buf) & ~WEFT_BUF_SEGMENT_END, 0);
        ends += (weft_buf_get_flags(buf) & WEFT_BUF_SEGMENT_END) != 0;
        rows[seg] += weft_buf_dim(buf, 0);
        weft_buf_unref(buf);
    }
    ck_assert_int_eq(ends, 2);
    ck_assert_int_eq(rows[0], 98);
    ck_assert_int_eq(rows[1], 98);
    free(x);
    weft_harness_free(h);
}
END_TEST

START_TEST(test_classes_documented)
{
    static const char *const names[] = { "mfcc", "fbank" };
    for (size_t i = 0; i < 2; i++) {
        const weft_node_class *c = weft_registry_find(reg, names[i]);
        ck_assert_ptr_nonnull(c);
        ck_assert(c->doc && strstr(c->doc, "node "));
        for (size_t k = 0; k < weft_class_n_props(c); k++)
            ck_assert(weft_class_prop(c, k)->doc &&
                      *weft_class_prop(c, k)->doc);
    }
}
END_TEST

/* The per-frame code is dispatched to AVX2+FMA when the CPU has both
 * (unless WEFT_MFCC_ISA=generic), and the two builds agree to float
 * rounding (they differ only in FMA contraction). */
static float *feat_all(const char *isa, const float *x, int64_t n,
                       int64_t *rows, const char **isa_used)
{
    feat_opts o;
    feat_plan *p;
    feat_stream *s;
    char err[256];
    int64_t bad, dim;
    float *out;

    if (isa)
        setenv("WEFT_MFCC_ISA", isa, 1);
    else
        unsetenv("WEFT_MFCC_ISA");
    feat_opts_preset(&o, FEAT_PRESET_KALDI, true);
    ck_assert_int_eq(feat_plan_new(&o, 16000, &p, err, sizeof err), 0);
    ck_assert_int_eq(feat_stream_new(p, &s), 0);
    *isa_used = feat_plan_isa(p);
    ck_assert_int_eq(feat_stream_feed(s, x, (size_t)n, &bad), 0);
    ck_assert_int_eq(feat_stream_end(s), 0);
    *rows = feat_stream_ready(s);
    dim = feat_plan_dim(p);
    out = malloc((size_t)(*rows * dim + 1) * sizeof *out);
    feat_stream_take(s, out, *rows);
    feat_stream_free(s);
    feat_plan_free(p);
    return out;
}

START_TEST(test_isa)
{
    int64_t n, one, ra, rg;
    float *x = load_npy(GOLDEN "/espeak.npy", &n, &one);
    const char *env = getenv("WEFT_MFCC_ISA"), *ia, *ig;
    char *saved = env ? strdup(env) : NULL;
    float *a = feat_all(NULL, x, n, &ra, &ia);
    float *g = feat_all("generic", x, n, &rg, &ig);
    double worst = 0;

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        ck_assert_str_eq(ia, "avx2+fma");
    else
#endif
        ck_assert_str_eq(ia, "generic");
    ck_assert_str_eq(ig, "generic");
    ck_assert_int_eq(ra, rg);
    for (int64_t i = 0; i < ra * 13; i++) {
        double e = fabs((double)a[i] - g[i]);
        ck_assert_msg(e <= 1e-5 * (1 + fabs((double)g[i])),
                      "%s vs generic: element %lld: %.9g vs %.9g", ia,
                      (long long)i, a[i], g[i]);
        worst = e > worst ? e : worst;
    }
    printf("isa %s vs generic: %lld rows, max abs %.2e\n", ia, (long long)ra,
           worst);
    if (saved)
        setenv("WEFT_MFCC_ISA", saved, 1);
    else
        unsetenv("WEFT_MFCC_ISA");
    free(saved);
    free(a);
    free(g);
    free(x);
}
END_TEST

/* --features PRESET IN.f32 OUT.npy: the node's rows for the whole file
 * (a Check test of its own, since the harness helpers assert). */
static const char *feat_args[3];

START_TEST(test_features)
{
    FILE *f = fopen(feat_args[1], "rb");
    long n;
    float *x;
    feats r;
    const char *props[] = { "preset", feat_args[0], NULL };
    char err[256];
    int64_t shape[2];

    ck_assert_msg(f && fseek(f, 0, SEEK_END) == 0 && (n = ftell(f) / 4) >= 0 &&
                  fseek(f, 0, SEEK_SET) == 0, "%s: cannot read", feat_args[1]);
    x = malloc((size_t)n * 4 + 4);
    ck_assert(x && fread(x, 4, (size_t)n, f) == (size_t)n);
    fclose(f);
    r = run("mfcc", props, x, n, 0);
    shape[0] = r.rows;
    shape[1] = r.cols;
    ck_assert_msg(npy_write_file(feat_args[2], WEFT_DTYPE_F32, 2, shape, r.d,
                                 err, sizeof err) == 0, "%s: %s",
                  feat_args[2], err);
    free(r.d);
    free(x);
}
END_TEST

int main(int argc, char **argv)
{
    Suite *s = suite_create("mfcc");
    TCase *tc = tcase_create("mfcc");
    SRunner *sr;
    int failed;

    reg = weft_registry_new();
    if (weft_registry_scan_dir(reg, TOP_BUILDDIR "/plugins/.libs") < 1 ||
        !weft_registry_find(reg, "mfcc")) {
        fprintf(stderr, "mfcc plugin not found in %s/plugins/.libs\n",
                TOP_BUILDDIR);
        return 1;
    }
    tcase_set_timeout(tc, 300);
    if (argc == 5 && strcmp(argv[1], "--features") == 0) {
        memcpy(feat_args, argv + 2, sizeof feat_args);
        tcase_add_test(tc, test_features);
        goto run;
    }
    tcase_add_test(tc, test_isa);
    tcase_add_test(tc, test_classes_documented);
    tcase_add_loop_test(tc, test_parity, 0,
                        (int)(sizeof cases / sizeof cases[0]));
    tcase_add_loop_test(tc, test_streaming, 0, 8);
    tcase_add_loop_test(tc, test_streaming_cmvn, 0, 2);
    tcase_add_loop_test(tc, test_nan, 0, 2);
    tcase_add_test(tc, test_wrong_rate);
    tcase_add_loop_test(tc, test_empty, 0, 2);
    tcase_add_test(tc, test_segments);
    tcase_add_loop_test(tc, test_metadata, 0, 2);
run:
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    weft_registry_free(reg);
    return failed ? 1 : 0;
}
