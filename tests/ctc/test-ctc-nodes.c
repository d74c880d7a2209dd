/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ctc.greedy and ctc.beam through the node harness, the plugin loaded from
 * the build tree: docs, negotiation against the vocabulary, streaming in
 * random chunks, partial results, word times and confidences, segments,
 * logits input, bad input and empty input, endpointing.
 */
#include <check.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <weft/harness.h>
#include <weft/registry.h>

#include "npy.h"

#define GOLDEN TOP_SRCDIR "/tests/golden/ctc/"

static weft_registry *reg;

static weft_harness *hnew(const char *cls, ...)
{
    weft_harness *h;
    va_list ap;
    int rc;

    ck_assert_int_eq(weft_harness_new(reg, cls, &h), 0);
    va_start(ap, cls);
    rc = weft_harness_set_props_v(h, ap);
    va_end(ap);
    ck_assert_msg(rc == 0, "%s", weft_harness_error(h));
    return h;
}

static void hstart(weft_harness *h, const char *fmt)
{
    ck_assert_int_eq(weft_harness_set_input_format(h, 0, fmt), 0);
    ck_assert_msg(weft_harness_start(h) == 0, "start: %s",
                  weft_harness_error(h));
}

static float *load_npy(const char *name, int64_t *t, int64_t *v)
{
    char path[512], err[256];
    npy_reader *r;
    float *x;

    snprintf(path, sizeof path, GOLDEN "%s", name);
    ck_assert_msg(npy_reader_open(path, &r, err, sizeof err) == 0, "%s", err);
    *t = npy_reader_info(r)->shape[0];
    *v = npy_reader_info(r)->shape[1];
    x = malloc((size_t)(*t * *v + 1) * sizeof *x);
    if (*t)
        ck_assert_int_eq(npy_reader_read_rows(r, 0, *t, x, err, sizeof err),
                         0);
    npy_reader_close(r);
    return x;
}

static weft_buf *rows(const float *x, int64_t r0, int64_t n, int64_t v,
                      bool end, int64_t frame_ns)
{
    int64_t shape[2] = { n, v };
    weft_buf *b = weft_buf_new_tensor(WEFT_DTYPE_F32, 2, shape,
                                      WEFT_DOMAIN_HOST, 0);
    ck_assert_ptr_nonnull(b);
    if (n)
        memcpy(weft_buf_data(b), x + r0 * v, (size_t)(n * v) * sizeof *x);
    weft_buf_set_pts(b, frame_ns ? r0 * frame_ns : WEFT_TIME_NONE);
    weft_buf_set_duration(b, frame_ns ? n * frame_ns : WEFT_TIME_NONE);
    weft_buf_set_segment(b, 7);
    if (end)
        weft_buf_set_flags(b, WEFT_BUF_SEGMENT_END);
    return b;
}

/* Push @x in chunks (random sizes from @seed; 0: one buffer). */
static void push_chunks(weft_harness *h, const float *x, int64_t t, int64_t v,
                        unsigned seed, int64_t frame_ns)
{
    int64_t f = 0;
    do {
        int64_t n = seed ? 1 + (int64_t)(rand_r(&seed) % 7) : t;
        if (n > t - f)
            n = t - f;
        ck_assert_msg(weft_harness_push(h, 0, rows(x, f, n, v, f + n == t,
                                                   frame_ns)) !=
                          WEFT_FLOW_ERROR,
                      "%s", weft_harness_error(h));
        f += n;
    } while (f < t);
}

#define FMT "tensor dtype=f32 shape=[T,29]"

START_TEST(test_classes)
{
    static const char *const names[] = { "ctc.greedy", "ctc.beam" };
    for (size_t i = 0; i < 2; i++) {
        const weft_node_class *c = weft_registry_find(reg, names[i]);
        ck_assert_msg(c != NULL, "%s missing", names[i]);
        ck_assert(c->summary && *c->summary);
        ck_assert(c->doc && strstr(c->doc, "node dec = "));
        ck_assert(strstr(c->doc, "fnv1a64"));
        for (size_t k = 0; k < weft_class_n_props(c); k++)
            ck_assert(weft_class_prop(c, k)->doc &&
                      *weft_class_prop(c, k)->doc);
        ck_assert_uint_eq(weft_class_n_outputs(c), 2);
        ck_assert(weft_class_output(c, 1)->flags & WEFT_PORT_OPTIONAL);
    }
}
END_TEST

START_TEST(test_negotiate_vocab)
{
    weft_harness *h = hnew("ctc.beam", "tokens", GOLDEN "tokens.txt", NULL);
    ck_assert_int_eq(weft_harness_set_input_format(h, 0,
                                                   "tensor dtype=f32 "
                                                   "shape=[T,30]"), 0);
    ck_assert_int_lt(weft_harness_start(h), 0);
    ck_assert_msg(strstr(weft_harness_error(h),
                         "input has 30 classes per frame but tokens.txt has "
                         "29 tokens"), "%s", weft_harness_error(h));
    weft_harness_free(h);

    h = hnew("ctc.greedy", "tokens", GOLDEN "tokens.txt", NULL);
    ck_assert_int_eq(weft_harness_set_input_format(h, 0, FMT " vocab="
                                                   "\"fnv1a64:0000000000000001\""),
                     0);
    ck_assert_int_lt(weft_harness_start(h), 0);
    ck_assert_msg(strstr(weft_harness_error(h), "input vocabulary "
                         "\"fnv1a64:0000000000000001\" is not tokens.txt's "
                         "(\"fnv1a64:5668996d775b6957\")"), "%s",
                  weft_harness_error(h));
    weft_harness_free(h);

    h = hnew("ctc.greedy", "tokens", GOLDEN "tokens.txt", NULL);
    hstart(h, FMT " vocab=\"fnv1a64:5668996d775b6957\"");
    weft_harness_free(h);

    h = hnew("ctc.beam", "tokens", GOLDEN "tokens.txt", "lexicon",
             GOLDEN "missing.txt", NULL);
    ck_assert_int_eq(weft_harness_set_input_format(h, 0, FMT), 0);
    ck_assert_int_lt(weft_harness_start(h), 0);
    ck_assert_msg(strstr(weft_harness_error(h), "missing.txt"), "%s",
                  weft_harness_error(h));
    weft_harness_free(h);
}
END_TEST

static char *final_text(weft_harness *h, char **score)
{
    weft_buf *b = weft_harness_pull(h, 0);
    char *t;
    ck_assert_ptr_nonnull(b);
    ck_assert(weft_buf_get_flags(b) & WEFT_BUF_SEGMENT_END);
    t = strdup(weft_buf_text(b, NULL));
    if (score)
        *score = strdup(weft_buf_get_meta(b, "score"));
    weft_buf_unref(b);
    return t;
}

START_TEST(test_greedy_stream)
{
    int64_t t, v;
    float *x = load_npy("case-06.npy", &t, &v);
    char *one;

    for (unsigned seed = 0; seed < 12; seed++) {
        weft_harness *h = hnew("ctc.greedy", "tokens", GOLDEN "tokens.txt",
                               NULL);
        char *txt;
        hstart(h, FMT);
        push_chunks(h, x, t, v, seed, 0);
        txt = final_text(h, NULL);
        if (seed == 0)
            one = strdup(txt);
        ck_assert_str_eq(txt, "switco on the kirxtchen lighgs");
        free(txt);
        weft_harness_push_eos(h, 0);
        ck_assert(weft_harness_finished(h));
        ck_assert_uint_eq(weft_harness_available(h, 0), 0);
        weft_harness_free(h);
    }
    free(one);
    free(x);
}
END_TEST

/* Beam search with lexicon and LM: any chunking gives the one-buffer
 * result, partials come at the interval, words carry times. */
START_TEST(test_beam_stream)
{
    int64_t t, v;
    float *x = load_npy("case-10.npy", &t, &v);
    char *one = NULL, *one_score = NULL;

    for (unsigned seed = 1; seed < 11; seed++) {
        weft_harness *h = hnew("ctc.beam", "tokens", GOLDEN "tokens.txt",
                               "lexicon", GOLDEN "lexicon.txt", "lm",
                               GOLDEN "commands.arpa", "lm_cache", "false",
                               "alpha", "0.8", "beta", "1.5", "nbest", "3",
                               "partial_interval", "0.1", NULL);
        weft_buf *b;
        char *txt, *score;
        size_t n;
        const weft_token_score *ts;
        size_t partials;
        hstart(h, FMT);
        push_chunks(h, x, t, v, seed, 20000000); /* 50 frames/s */
        partials = weft_harness_available(h, 1);
        /* One each time 5 frames (0.1 s) have come since the last; the
         * chunks are 1-7 frames, the last flagged segment-end. */
        ck_assert_msg(partials >= (size_t)(t / 12) && partials <= (size_t)t / 5,
                      "%zu partials for %lld frames", partials, (long long)t);
        for (size_t i = 0; i < partials; i++) {
            b = weft_harness_pull(h, 1);
            ck_assert(!(weft_buf_get_flags(b) & WEFT_BUF_SEGMENT_END));
            weft_buf_unref(b);
        }
        b = weft_harness_pull(h, 0);
        ck_assert_ptr_nonnull(b);
        txt = strdup(weft_buf_text(b, NULL));
        score = strdup(weft_buf_get_meta(b, "score"));
        ck_assert_str_eq(txt, "set a timer for ten minutes");
        ck_assert_int_eq(weft_buf_segment(b), 7);
        ck_assert_int_eq(weft_buf_pts(b), 0);
        ck_assert_int_eq(weft_buf_duration(b), t * 20000000);
        ck_assert_ptr_nonnull(strchr(weft_buf_get_meta(b, "nbest"), '\n'));
        ts = weft_buf_tokens(b, &n);
        ck_assert_uint_eq(n, 6);
        ck_assert_uint_eq(ts[1].offset, 4);
        ck_assert_uint_eq(ts[1].length, 1);
        for (size_t i = 0; i < n; i++) {
            ck_assert_int_lt(ts[i].start_ns, ts[i].end_ns);
            ck_assert_int_eq(ts[i].start_ns % 20000000, 0);
            ck_assert(ts[i].score > 0 && ts[i].score <= 1);
        }
        weft_buf_unref(b);
        if (!one) {
            one = txt;
            one_score = score;
        } else {
            ck_assert_str_eq(txt, one);
            ck_assert_str_eq(score, one_score);
            free(txt);
            free(score);
        }
        weft_harness_push_eos(h, 0);
        ck_assert(weft_harness_finished(h));
        ck_assert_uint_eq(weft_harness_available(h, 0), 0);
        weft_harness_free(h);
    }
    free(one);
    free(one_score);
    free(x);
}
END_TEST

/* Logits (log-probs plus any per-frame constant) decode the same. */
START_TEST(test_logits_and_segments)
{
    int64_t t, v;
    float *x = load_npy("case-07.npy", &t, &v);
    weft_harness *h = hnew("ctc.beam", "tokens", GOLDEN "tokens.txt",
                           "input", "logits", NULL);
    char *a, *b;

    for (int64_t f = 0; f < t; f++)
        for (int64_t c = 0; c < v; c++)
            x[f * v + c] += 3.0f + (float)f;
    hstart(h, FMT);
    push_chunks(h, x, t, v, 3, 0);
    push_chunks(h, x, t, v, 0, 0); /* a second segment */
    a = final_text(h, NULL);
    b = final_text(h, NULL);
    ck_assert_str_eq(a, "stop fthe husic");
    ck_assert_str_eq(b, a);
    free(a);
    free(b);
    weft_harness_push_eos(h, 0);
    ck_assert_uint_eq(weft_harness_available(h, 0), 0);
    weft_harness_free(h);
    free(x);
}
END_TEST

/* Metadata passes through both decoders: the final result and the
 * partials of a segment carry its input's `file` (set by audio.dir), with
 * the decoder's own keys (`score`, `frames`) winning over input keys of
 * the same name; a segment closed by end of stream keeps its file too,
 * and input flags other than segment-end do not leak onto results. */
START_TEST(test_metadata)
{
    static const char *const files[] = { "a.wav", "b.wav" };
    int64_t t, v;
    float *x = load_npy("case-06.npy", &t, &v);
    weft_harness *h = hnew(_i ? "ctc.beam" : "ctc.greedy",
                           "tokens", GOLDEN "tokens.txt",
                           "partial_interval", "0.1", NULL);
    weft_buf *b;
    int finals = 0, partials = 0;

    hstart(h, FMT);
    for (int seg = 0; seg < 2; seg++)
        for (int64_t f = 0; f < t; f += 5) {
            int64_t n = f + 5 > t ? t - f : 5;
            /* segment 0 ends on its flag, segment 1 at end of stream */
            b = rows(x, f, n, v, seg == 0 && f + n == t, 30000000);
            weft_buf_set_segment(b, (uint64_t)seg);
            weft_buf_set_flags(b, weft_buf_get_flags(b) |
                                      (f == 0 ? WEFT_BUF_DISCONT : 0));
            ck_assert_int_eq(weft_buf_set_meta(b, "file", files[seg]), 0);
            ck_assert_int_eq(weft_buf_set_meta(b, "score", "upstream"), 0);
            ck_assert_int_ne(weft_harness_push(h, 0, b), WEFT_FLOW_ERROR);
        }
    weft_harness_push_eos(h, 0);
    ck_assert(weft_harness_finished(h));
    for (uint32_t port = 0; port < 2; port++)
        while ((b = weft_harness_pull(h, port))) {
            uint64_t seg = weft_buf_segment(b);
            ck_assert_uint_lt(seg, 2);
            ck_assert_ptr_nonnull(weft_buf_get_meta(b, "file"));
            ck_assert_str_eq(weft_buf_get_meta(b, "file"), files[seg]);
            ck_assert_str_ne(weft_buf_get_meta(b, "score"), "upstream");
            ck_assert_ptr_nonnull(weft_buf_get_meta(b, "frames"));
            ck_assert_uint_eq(weft_buf_get_flags(b),
                              port ? 0 : WEFT_BUF_SEGMENT_END);
            if (port == 0)
                ck_assert_uint_eq(seg, (uint64_t)finals++);
            else
                partials++;
            weft_buf_unref(b);
        }
    ck_assert_int_eq(finals, 2);
    ck_assert_int_gt(partials, 1);
    weft_harness_free(h);
    free(x);
}
END_TEST

START_TEST(test_bad_and_empty)
{
    int64_t shape[2] = { 3, 29 };
    weft_buf *b = weft_buf_new_tensor(WEFT_DTYPE_F32, 2, shape,
                                      WEFT_DOMAIN_HOST, 0);
    float *p = weft_buf_data(b);
    weft_harness *h;

    for (int i = 0; i < 87; i++)
        p[i] = -3.0f;
    p[2 * 29 + 4] = NAN;
    h = hnew("ctc.beam", "tokens", GOLDEN "tokens.txt", NULL);
    hstart(h, FMT);
    ck_assert_int_eq(weft_harness_push(h, 0, weft_buf_ref(b)),
                     WEFT_FLOW_ERROR);
    ck_assert_msg(strstr(weft_harness_error(h), "frame 2, token 4: "
                         "log-probability is NaN"), "%s",
                  weft_harness_error(h));
    weft_harness_free(h);
    h = hnew("ctc.greedy", "tokens", GOLDEN "tokens.txt", NULL);
    hstart(h, FMT);
    ck_assert_int_eq(weft_harness_push(h, 0, b), WEFT_FLOW_ERROR);
    ck_assert_msg(strstr(weft_harness_error(h), "frame 2, token 4"), "%s",
                  weft_harness_error(h));
    weft_harness_free(h);

    /* T = 0: an empty result, from an empty buffer or from nothing. */
    for (int k = 0; k < 4; k++) {
        const char *cls = k & 1 ? "ctc.greedy" : "ctc.beam";
        weft_buf *o;
        h = hnew(cls, "tokens", GOLDEN "tokens.txt", NULL);
        hstart(h, FMT);
        if (k < 2) {
            int64_t s0[2] = { 0, 29 };
            weft_buf *e = weft_buf_new_tensor(WEFT_DTYPE_F32, 2, s0,
                                              WEFT_DOMAIN_HOST, 0);
            if (e) {
                weft_buf_set_flags(e, WEFT_BUF_SEGMENT_END);
                ck_assert_int_ne(weft_harness_push(h, 0, e), WEFT_FLOW_ERROR);
            }
        }
        weft_harness_push_eos(h, 0);
        ck_assert(weft_harness_finished(h));
        ck_assert_uint_eq(weft_harness_available(h, 0), 1);
        o = weft_harness_pull(h, 0);
        ck_assert_str_eq(weft_buf_text(o, NULL), "");
        weft_buf_unref(o);
        weft_harness_free(h);
    }
}
END_TEST

START_TEST(test_grammar_node)
{
    int64_t t, v;
    float *x = load_npy("case-06.npy", &t, &v);
    const char *path = "/tmp/test-ctc-nodes.grammar";
    FILE *f = fopen(path, "w");
    weft_harness *h;
    weft_buf *b;

    fputs("list room = kitchen | living room | bedroom | garage\n"
          "intent LightOn = (turn | switch) on [the] {room} [light | "
          "lights]\n", f);
    fclose(f);
    h = hnew("ctc.beam", "tokens", GOLDEN "tokens.txt", "grammar", path,
             "unk_score", "-15", "hotwords", "[\"kitchen:0.5\"]", NULL);
    hstart(h, FMT);
    push_chunks(h, x, t, v, 5, 0);
    b = weft_harness_pull(h, 0);
    ck_assert_str_eq(weft_buf_text(b, NULL), "switch on the kitchen lights");
    ck_assert_str_eq(weft_buf_get_meta(b, "grammar"), "accept");
    ck_assert_str_eq(weft_buf_get_meta(b, "intent"), "LightOn");
    weft_buf_unref(b);
    weft_harness_free(h);
    remove(path);
    free(x);
}
END_TEST

/* ------------------------------------------------------- endpointing */

#define EP_FRAME_NS 20000000 /* 50 frames/s */

/* Synthetic log-probabilities, one frame per character of @script: '_'
 * the blank, '|' the delimiter, a letter itself, nearly certain: the other
 * 28 tokens share 1e-6, below token_min_logp, so that the beam search
 * only follows the best path and word times are exact for both
 * decoders. */
static float *synth(const char *script, int64_t *t)
{
    const int64_t v = 29;
    float *x;

    *t = (int64_t)strlen(script);
    x = malloc((size_t)(*t * v + 1) * sizeof *x);
    ck_assert_ptr_nonnull(x);
    for (int64_t f = 0; f < *t; f++) {
        char c = script[f];
        int64_t k = c == '_' ? 0 : c == '|' ? 1 : 3 + (c - 'a');
        ck_assert(k >= 0 && k < v);
        for (int64_t j = 0; j < v; j++)
            x[f * v + j] = j == k ? logf(1 - 1e-6f) : logf(1e-6f / 28);
    }
    return x;
}

/* @a, @n blanks, @b into @buf: a script with a pause. */
static const char *pause_script(char *buf, size_t cap, const char *a, int n,
                                const char *b)
{
    size_t at = strlen(a);

    ck_assert_uint_lt(at + (size_t)n + strlen(b), cap);
    memcpy(buf, a, at);
    memset(buf + at, '_', (size_t)n);
    strcpy(buf + at + n, b);
    return buf;
}

/* Decode @script with @cls and the endpoint properties, in chunks from
 * @seed (0: one buffer), the last flagged segment-end when @seg_end, then
 * end of stream; the results into @out (at most 8), partials dropped. */
static size_t ep_run(const char *cls, const char *endpoint, const char *max,
                     const char *script, unsigned seed, bool seg_end,
                     weft_buf **out)
{
    int64_t t, f = 0;
    float *x = synth(script, &t);
    weft_harness *h = hnew(cls, "tokens", GOLDEN "tokens.txt", "endpoint",
                           endpoint, "max_utterance", max, NULL);
    weft_buf *b;
    size_t n = 0;

    hstart(h, FMT);
    do {
        int64_t k = seed ? 1 + (int64_t)(rand_r(&seed) % 9) : t;
        if (k > t - f)
            k = t - f;
        ck_assert_msg(weft_harness_push(h, 0, rows(x, f, k, 29,
                                                   seg_end && f + k == t,
                                                   EP_FRAME_NS)) !=
                          WEFT_FLOW_ERROR,
                      "%s", weft_harness_error(h));
        f += k;
    } while (f < t);
    weft_harness_push_eos(h, 0);
    ck_assert(weft_harness_finished(h));
    while ((b = weft_harness_pull(h, 0))) {
        ck_assert_uint_lt(n, 8);
        ck_assert(weft_buf_get_flags(b) & WEFT_BUF_SEGMENT_END);
        ck_assert_int_eq(weft_buf_segment(b), 7);
        out[n++] = b;
    }
    while ((b = weft_harness_pull(h, 1)))
        weft_buf_unref(b);
    weft_harness_free(h);
    free(x);
    return n;
}

static void ep_free(weft_buf **out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        weft_buf_unref(out[i]);
}

/* Word @i of @b: its text, start and end in frames. */
static void ep_word(const weft_buf *b, size_t i, const char *text,
                    int64_t start, int64_t end)
{
    size_t n;
    const weft_token_score *ts = weft_buf_tokens(b, &n);
    const char *s = weft_buf_text(b, NULL);

    ck_assert_uint_lt(i, n);
    ck_assert_uint_eq(ts[i].length, strlen(text));
    ck_assert(strncmp(s + ts[i].offset, text, ts[i].length) == 0);
    ck_assert_int_eq(ts[i].start_ns, start * EP_FRAME_NS);
    ck_assert_int_eq(ts[i].end_ns, end * EP_FRAME_NS);
}

/* Speech, a pause longer than `endpoint`, speech: two results, the first
 * marked as an endpoint, the second's pts and word times on the stream's
 * timeline; the same for any chunking and both decoders. Without
 * endpoint, or with a shorter pause, one result as before. */
START_TEST(test_endpoint)
{
    const char *cls = _i ? "ctc.beam" : "ctc.greedy";
    /* "go|" ends at frame 5; 0.5 s is 25 frames of silence, counted from
     * the delimiter: the endpoint is frame 29, the first utterance
     * frames 0-29, the second from 30, its "on" at frames 46-49. */
    char buf[256], buf2[256];
    const char *two = pause_script(buf, sizeof buf, "gg_oo|", 40,
                                   "oo_nn|_____");
    weft_buf *r[8];
    size_t n;

    for (unsigned seed = 0; seed < 6; seed++) {
        n = ep_run(cls, "0.5s", "0", two, seed, true, r);
        ck_assert_uint_eq(n, 2);
        ck_assert_str_eq(weft_buf_text(r[0], NULL), "go");
        ck_assert_str_eq(weft_buf_get_meta(r[0], "endpoint"), "silence");
        ck_assert_str_eq(weft_buf_get_meta(r[0], "frames"), "30");
        ck_assert_int_eq(weft_buf_pts(r[0]), 0);
        ck_assert_int_eq(weft_buf_duration(r[0]), 30 * EP_FRAME_NS);
        ep_word(r[0], 0, "go", 0, 4);
        ck_assert_str_eq(weft_buf_text(r[1], NULL), "on");
        ck_assert_ptr_null(weft_buf_get_meta(r[1], "endpoint"));
        ck_assert_str_eq(weft_buf_get_meta(r[1], "frames"), "27");
        ck_assert_int_eq(weft_buf_pts(r[1]), 30 * EP_FRAME_NS);
        ck_assert_int_eq(weft_buf_duration(r[1]), 27 * EP_FRAME_NS);
        ep_word(r[1], 0, "on", 46, 50);
        ep_free(r, n);
    }

    /* Off (the default): one result over the whole segment. */
    n = ep_run(cls, "0", "0", two, 3, true, r);
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(weft_buf_text(r[0], NULL), "go on");
    ck_assert_ptr_null(weft_buf_get_meta(r[0], "endpoint"));
    ep_word(r[0], 1, "on", 46, 50);
    ep_free(r, n);

    /* Pauses shorter than the endpoint (21 silent frames of 25). */
    n = ep_run(cls, "0.5s", "0",
               pause_script(buf, sizeof buf, "gg_oo|", 20,
                            pause_script(buf2, sizeof buf2, "oo_nn|", 20,
                                         "")),
               2, true, r);
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(weft_buf_text(r[0], NULL), "go on");
    ep_free(r, n);

    /* A stream that ends in silence after an endpoint gets no empty
     * result, at a segment end or at end of stream; leading silence
     * alone does not end an utterance. */
    for (int seg_end = 0; seg_end < 2; seg_end++) {
        n = ep_run(cls, "0.5s", "0",
                   pause_script(buf, sizeof buf, "", 60,
                                pause_script(buf2, sizeof buf2, "gg_oo|", 80,
                                             "")),
                   4, seg_end, r);
        ck_assert_uint_eq(n, 1);
        ck_assert_str_eq(weft_buf_text(r[0], NULL), "go");
        ck_assert_str_eq(weft_buf_get_meta(r[0], "endpoint"), "silence");
        ep_word(r[0], 0, "go", 60, 64);
        ep_free(r, n);
    }

    /* max_utterance: cut at 20 frames with the word; the silent ones
     * after it are dropped without results. */
    n = ep_run(cls, "0", "0.4s",
               pause_script(buf, sizeof buf, "gg_oo|", 100, ""), 1, true, r);
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(weft_buf_text(r[0], NULL), "go");
    ck_assert_str_eq(weft_buf_get_meta(r[0], "endpoint"), "length");
    ck_assert_str_eq(weft_buf_get_meta(r[0], "frames"), "20");
    ep_free(r, n);
    /* ... and the next utterance keeps the stream's times. */
    n = ep_run(cls, "0", "0.2s", "gg_oo|____nn_oo|", 0, true, r);
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(weft_buf_text(r[0], NULL), "go");
    ck_assert_str_eq(weft_buf_text(r[1], NULL), "no");
    ck_assert_ptr_null(weft_buf_get_meta(r[1], "endpoint"));
    ck_assert_int_eq(weft_buf_pts(r[1]), 10 * EP_FRAME_NS);
    ep_word(r[1], 0, "no", 10, 14);
    ep_free(r, n);

    /* The smallest positive endpoint is one frame: every blank after a
     * letter ends an utterance. */
    n = ep_run(cls, "1e-9", "0", "gg_oo|__oo_nn|", 0, true, r);
    ck_assert_uint_eq(n, 4);
    ck_assert_str_eq(weft_buf_text(r[0], NULL), "g");
    ck_assert_str_eq(weft_buf_text(r[3], NULL), "n");
    ep_free(r, n);
}
END_TEST

/* Out-of-range endpoint values fail with one line naming the property. */
START_TEST(test_endpoint_bad)
{
    static const char *const bad[][3] = {
        { "endpoint", "-1", "below the minimum 0" },
        { "endpoint", "1e9", "above the maximum 3600" },
        { "max_utterance", "1e300", "above the maximum 86400" },
        { "endpoint", "nan", "endpoint" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        weft_harness *h;
        ck_assert_int_eq(weft_harness_new(reg, "ctc.beam", &h), 0);
        ck_assert_int_lt(weft_harness_set_prop(h, bad[i][0], bad[i][1]), 0);
        ck_assert_msg(strstr(weft_harness_error(h), bad[i][0]) &&
                          strstr(weft_harness_error(h), bad[i][2]) &&
                          !strchr(weft_harness_error(h), '\n'),
                      "%s = %s: %s", bad[i][0], bad[i][1],
                      weft_harness_error(h));
        weft_harness_free(h);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ctc-nodes");
    TCase *tc = tcase_create("nodes");
    SRunner *sr;
    int failed;

    reg = weft_registry_new();
    if (weft_registry_scan_dir(reg, TOP_BUILDDIR "/plugins/.libs") < 1 ||
        !weft_registry_find(reg, "ctc.beam")) {
        fprintf(stderr, "ctc plugin not found in %s/plugins/.libs\n",
                TOP_BUILDDIR);
        for (size_t i = 0; i < weft_registry_n_problems(reg); i++)
            fprintf(stderr, "  %s\n", weft_registry_problem(reg, i));
        return 1;
    }
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_classes);
    tcase_add_test(tc, test_negotiate_vocab);
    tcase_add_test(tc, test_greedy_stream);
    tcase_add_test(tc, test_beam_stream);
    tcase_add_test(tc, test_logits_and_segments);
    tcase_add_test(tc, test_bad_and_empty);
    tcase_add_loop_test(tc, test_metadata, 0, 2);
    tcase_add_test(tc, test_grammar_node);
    tcase_add_loop_test(tc, test_endpoint, 0, 2);
    tcase_add_test(tc, test_endpoint_bad);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    weft_registry_free(reg);
    return failed ? 1 : 0;
}
