/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The text plugin with the real all-MiniLM-L6-v2 (models/all-minilm-l6-v2,
 * laid out by its fetch script, which ./quickstart runs):
 *   - token ids identical to Hugging Face tokenizers on the committed
 *     corpus (tests/golden/make-text-tokens.py);
 *   - embeddings within 1e-5 (max abs) and cosine >= 0.99999 of
 *     sentence-transformers (tests/golden/make-text-embed.py);
 *   - cold start (map, validate, ready) under 100 ms;
 *   - the nodes through the harness, the shared model, bad input.
 * A missing model is a failure, not a skip: run the fetch script.
 */
#include "config.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <weft/harness.h>
#include <weft/registry.h>

#include "bert.h"
#include "npy.h"
#include "wordpiece.h"

#define MODEL WEFT_TEST_MODELS "/all-minilm-l6-v2"
#define GOLDEN TOP_SRCDIR "/tests/golden/text"

static weft_registry *reg;

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
    ck_assert_ptr_nonnull(buf);
    ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* Split @buf in place at '\n' (only): the lines of a corpus file. */
static size_t split_lines(char *buf, size_t len, char ***out, size_t **lens)
{
    size_t n = 0, cap = 1024;
    char **l = malloc(cap * sizeof *l);
    size_t *ll = malloc(cap * sizeof *ll);
    char *p = buf, *end = buf + len;

    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            nl = end;
        if (n == cap) {
            cap *= 2;
            l = realloc(l, cap * sizeof *l);
            ll = realloc(ll, cap * sizeof *ll);
        }
        *nl = '\0';
        l[n] = p;
        ll[n++] = (size_t)(nl - p);
        p = nl + 1;
    }
    *out = l;
    *lens = ll;
    return n;
}

START_TEST(test_tokenizer_parity)
{
    size_t clen, ilen, n_lines, n_ids;
    char *corpus = slurp(GOLDEN "/corpus.txt", &clen);
    char *ids = slurp(GOLDEN "/corpus.ids", &ilen);
    char **lines, **idl;
    size_t *ll, *idll;
    text_vocab *v;
    text_tok tok = { 0 };
    char err[512];
    size_t mismatches = 0, n_tokens = 0;

    ck_assert_int_eq(text_vocab_load(MODEL "/vocab.txt", &v, err, sizeof err),
                     0);
    n_lines = split_lines(corpus, clen, &lines, &ll);
    n_ids = split_lines(ids, ilen, &idl, &idll);
    ck_assert_uint_eq(n_lines, n_ids);
    ck_assert_uint_ge(n_lines, 2000);
    for (size_t i = 0; i < n_lines; i++) {
        const int32_t *got;
        size_t n;
        ck_assert_int_eq(text_tokenize(v, &tok, lines[i], ll[i], 0, &got, &n,
                                       NULL), 0);
        char *p = idl[i];
        size_t j = 0;
        bool same = true;
        while (*p) {
            long want = strtol(p, &p, 10);
            if (j >= n || got[j] != want)
                same = false;
            j++;
        }
        if (j != n)
            same = false;
        n_tokens += n;
        if (!same && mismatches++ < 5) {
            fprintf(stderr, "line %zu differs: %s\n  want:", i + 1, lines[i]);
            fprintf(stderr, " %s\n  got: ", idl[i]);
            for (size_t k = 0; k < n; k++)
                fprintf(stderr, " %d", got[k]);
            fprintf(stderr, "\n");
        }
    }
    fprintf(stderr, "tokenizer: %zu lines, %zu tokens, %zu differ\n", n_lines,
            n_tokens, mismatches);
    ck_assert_uint_eq(mismatches, 0);
    /* Truncation keeps [CLS] ... [SEP]; invalid UTF-8 is replaced. */
    const int32_t *got;
    size_t n;
    text_tok_info info;
    ck_assert_int_eq(text_tokenize(v, &tok, "a b c d e", 9, 4, &got, &n,
                                   &info), 0);
    ck_assert(info.truncated && info.n_full == 7 && n == 4);
    ck_assert_int_eq(got[0], text_vocab_cls(v));
    ck_assert_int_eq(got[3], text_vocab_sep(v));
    ck_assert_int_eq(got[1], text_vocab_find(v, "a", 1));
    ck_assert_int_eq(text_tokenize(v, &tok, "a\xff\xc3(b\xed\xa0\x80", 8, 0,
                                   &got, &n, &info), 0);
    ck_assert_uint_eq(info.n_invalid, 3);
    ck_assert_uint_eq(n, 5); /* [CLS] a ( b [SEP] */
    text_tok_clear(&tok);
    text_vocab_free(v);
    free(lines);
    free(ll);
    free(idl);
    free(idll);
    free(corpus);
    free(ids);
}
END_TEST

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

START_TEST(test_embed_parity)
{
    size_t slen, glen, n;
    char *sents = slurp(GOLDEN "/sentences.txt", &slen);
    char *golden = slurp(GOLDEN "/embeddings.npy", &glen);
    char **lines, err[512];
    size_t *ll;
    npy_info info;
    text_bert *m;
    text_bert_ws ws = { 0 };
    text_tok tok = { 0 };
    weft_kctx *k;
    double t0, t1, max_diff = 0, min_cos = 1;

    n = split_lines(sents, slen, &lines, &ll);
    ck_assert_int_eq(npy_parse(golden, glen, &info, err, sizeof err), 0);
    ck_assert_uint_eq(info.ndim, 2);
    ck_assert_int_eq(info.shape[0], (int64_t)n);
    ck_assert_uint_ge(n, 200);
    const float *g = (const float *)(golden + info.data_offset);

    t0 = now_ms();
    ck_assert_msg(text_bert_load(MODEL, &m, err, sizeof err) == 0, "%s", err);
    t1 = now_ms();
    fprintf(stderr, "cold start (map, validate, vocab): %.2f ms\n", t1 - t0);
    ck_assert_double_lt(t1 - t0, 100.0);
    ck_assert_int_eq(m->hidden, info.shape[1]);
    ck_assert_int_eq(m->max_len, 256);
    ck_assert_int_eq(weft_kctx_new("cpu", &k), 0);

    /* Mixed-length batches of 16, packed. */
    const size_t B = 16, H = (size_t)m->hidden;
    float *out = malloc(B * H * sizeof *out);
    int32_t *ids = malloc(B * 256 * sizeof *ids);
    const int32_t *ptr[16];
    size_t lens[16];
    double tt = now_ms();
    for (size_t s0 = 0; s0 < n; s0 += B) {
        size_t b = n - s0 < B ? n - s0 : B;
        for (size_t i = 0; i < b; i++) {
            const int32_t *t;
            ck_assert_int_eq(text_tokenize(m->vocab, &tok, lines[s0 + i],
                                           ll[s0 + i], (size_t)m->max_len, &t,
                                           &lens[i], NULL), 0);
            memcpy(ids + i * 256, t, lens[i] * sizeof *t);
            ptr[i] = ids + i * 256;
        }
        ck_assert_int_eq(text_bert_embed(m, &ws, k, ptr, lens, b,
                                         TEXT_POOL_MEAN, true, out), 0);
        for (size_t i = 0; i < b; i++) {
            const float *e = out + i * H, *r = g + (s0 + i) * H;
            double dot = 0, na = 0, nb = 0, md = 0;
            for (size_t j = 0; j < H; j++) {
                double d = fabs((double)e[j] - r[j]);
                md = d > md ? d : md;
                dot += (double)e[j] * r[j];
                na += (double)e[j] * e[j];
                nb += (double)r[j] * r[j];
            }
            double cos = dot / sqrt(na * nb);
            ck_assert_msg(md <= 1e-5 && cos >= 0.99999,
                          "sentence %zu '%s': max diff %g, cosine %.7f",
                          s0 + i + 1, lines[s0 + i], md, cos);
            max_diff = md > max_diff ? md : max_diff;
            min_cos = cos < min_cos ? cos : min_cos;
        }
    }
    fprintf(stderr, "embeddings: %zu sentences, max abs diff %.3g, min "
            "cosine %.8f, %.1f ms\n", n, max_diff, min_cos, now_ms() - tt);
    free(out);
    free(ids);
    weft_kctx_free(k);
    text_tok_clear(&tok);
    text_bert_ws_clear(&ws);
    text_bert_free(m);
    free(lines);
    free(ll);
    free(sents);
    free(golden);
}
END_TEST

START_TEST(test_bad_model)
{
    text_bert *m;
    char err[512];

    ck_assert_int_eq(text_bert_load("/nonexistent/model", &m, err, sizeof err),
                     WEFT_ENOENT);
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent/model"));
    /* The config says something the weights do not: a copy of the real
     * config with another intermediate size over the real weights. */
    char dir[] = "/tmp/weft-text-XXXXXX", path[256], cmd[768];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(cmd, sizeof cmd,
             "sed 's/\"intermediate_size\": 1536/\"intermediate_size\": 1024/'"
             " '%s/config.json' > '%s/config.json' && ln -s '%s/model."
             "safetensors' '%s/model.safetensors' && cp '%s/vocab.txt' '%s/'",
             MODEL, dir, MODEL, dir, MODEL, dir);
    ck_assert_int_eq(system(cmd), 0);
    ck_assert_int_eq(text_bert_load(dir, &m, err, sizeof err), WEFT_ERANGE);
    ck_assert_msg(strstr(err, "tensor 'encoder.layer.0.intermediate.dense."
                              "weight': shape [1536,384] in the file, "
                              "[1024,384] expected"), "%s", err);
    snprintf(path, sizeof path, "%s/vocab.txt", dir);
    remove(path);
    snprintf(cmd, sizeof cmd, "cp '%s/config.json' '%s/'", MODEL, dir);
    ck_assert_int_eq(system(cmd), 0);
    ck_assert_int_eq(text_bert_load(dir, &m, err, sizeof err), WEFT_ENOENT);
    ck_assert_ptr_nonnull(strstr(err, "vocab.txt"));
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

START_TEST(test_nodes)
{
    weft_harness *h, *h2;
    weft_buf *b;
    const weft_format *f;
    char *s;

    /* text.embed: a batch pushed together, shared weights. */
    ck_assert_int_eq(weft_harness_new(reg, "text.embed", &h), 0);
    ck_assert_int_eq(weft_harness_set_prop(h, "model", MODEL), 0);
    ck_assert_int_eq(weft_harness_set_input_format(h, 0, "text"), 0);
    ck_assert_msg(weft_harness_start(h) == 0, "%s", weft_harness_error(h));
    f = weft_harness_output_format(h, 0);
    s = weft_format_to_string(f);
    ck_assert_str_eq(s, "tensor dtype=f32 shape=[384]");
    free(s);
    ck_assert_int_eq(weft_harness_new(reg, "text.embed", &h2), 0);
    ck_assert_int_eq(weft_harness_set_prop(h2, "model", MODEL "/"), 0);
    ck_assert_int_eq(weft_harness_set_input_format(h2, 0, "text"), 0);
    ck_assert_int_eq(weft_harness_start(h2), 0);
    const char *in[] = { "Turn on the lights.", "", "Switch the lamp on." };
    for (int i = 0; i < 3; i++) {
        b = weft_buf_new_text(in[i], SIZE_MAX);
        weft_buf_set_segment(b, (uint64_t)i + 1);
        ck_assert_int_eq(weft_harness_push(h, 0, b), WEFT_FLOW_OK);
    }
    ck_assert_uint_eq(weft_harness_available(h, 0), 3);
    weft_buf *o[3];
    for (int i = 0; i < 3; i++) {
        o[i] = weft_harness_pull(h, 0);
        ck_assert_int_eq(weft_buf_dim(o[i], 0), 384);
        ck_assert_uint_eq(weft_buf_segment(o[i]), (uint64_t)i + 1);
        ck_assert_int_eq(weft_buf_refcount(o[i]), 1);
    }
    const float *a = weft_buf_cdata(o[0]), *c = weft_buf_cdata(o[2]);
    double dot = 0, n2 = 0;
    for (int j = 0; j < 384; j++) {
        dot += a[j] * c[j];
        n2 += a[j] * a[j];
    }
    ck_assert_double_lt(fabs(n2 - 1.0), 1e-5);
    ck_assert_double_gt(dot, 0.6);
    for (int i = 0; i < 3; i++)
        weft_buf_unref(o[i]);
    weft_harness_free(h2);
    weft_harness_free(h);

    /* text.tokenize. */
    ck_assert_int_eq(weft_harness_new(reg, "text.tokenize", &h), 0);
    ck_assert_int_eq(weft_harness_set_prop(h, "model", MODEL), 0);
    ck_assert_int_eq(weft_harness_set_input_format(h, 0, "text"), 0);
    ck_assert_int_eq(weft_harness_start(h), 0);
    weft_harness_push(h, 0, weft_buf_new_text("Hello, world!", SIZE_MAX));
    b = weft_harness_pull(h, 0);
    ck_assert_int_eq(weft_buf_dtype(b), WEFT_DTYPE_I64);
    const int64_t want[] = { 101, 7592, 1010, 2088, 999, 102 };
    ck_assert_int_eq(weft_buf_dim(b, 0), 6);
    ck_assert_mem_eq(weft_buf_cdata(b), want, sizeof want);
    weft_buf_unref(b);
    weft_harness_free(h);

    /* text.nearest. */
    char ex[] = "/tmp/weft-nearest-XXXXXX";
    int fd = mkstemp(ex);
    ck_assert_int_ge(fd, 0);
    FILE *fp = fdopen(fd, "w");
    fputs("set a timer\nwhat is the weather\nturn on the lights\n"
          "play music\n", fp);
    fclose(fp);
    ck_assert_int_eq(weft_harness_new(reg, "text.nearest", &h), 0);
    ck_assert_int_eq(weft_harness_set_prop(h, "model", MODEL), 0);
    ck_assert_int_eq(weft_harness_set_prop(h, "examples", ex), 0);
    ck_assert_int_eq(weft_harness_set_prop(h, "k", "2"), 0);
    ck_assert_int_eq(weft_harness_set_input_format(h, 0, "text"), 0);
    ck_assert_msg(weft_harness_start(h) == 0, "%s", weft_harness_error(h));
    weft_harness_push(h, 0, weft_buf_new_text("will it rain tomorrow?",
                                              SIZE_MAX));
    b = weft_harness_pull(h, 0);
    ck_assert_str_eq(weft_buf_get_meta(b, "match"), "what is the weather");
    ck_assert_ptr_nonnull(strchr(weft_buf_text(b, NULL), '\n'));
    weft_buf_unref(b);
    weft_harness_free(h);
    remove(ex);

    /* A bad model directory fails init with its name. */
    ck_assert_int_eq(weft_harness_new(reg, "text.embed", &h), 0);
    ck_assert_int_eq(weft_harness_set_prop(h, "model", "/nonexistent"), 0);
    ck_assert_int_eq(weft_harness_set_input_format(h, 0, "text"), 0);
    ck_assert_int_ne(weft_harness_start(h), 0);
    ck_assert_ptr_nonnull(strstr(weft_harness_error(h), "/nonexistent"));
    weft_harness_free(h);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("text");
    TCase *tc = tcase_create("text");
    SRunner *sr;
    int failed;
    FILE *f = fopen(MODEL "/model.safetensors", "rb");

    if (!f) {
        fprintf(stderr, "test-text: %s/model.safetensors is missing: run "
                "models/all-minilm-l6-v2/fetch (./quickstart does)\n", MODEL);
        return 1;
    }
    fclose(f);
    reg = weft_registry_new();
    if (weft_registry_scan_dir(reg, TOP_BUILDDIR "/plugins/.libs") < 1 ||
        !weft_registry_find(reg, "text.embed")) {
        fprintf(stderr, "test-text: the text plugin did not load\n");
        return 1;
    }
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_tokenizer_parity);
    tcase_add_test(tc, test_embed_parity);
    tcase_add_test(tc, test_bad_model);
    tcase_add_test(tc, test_nodes);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    weft_registry_free(reg);
    return failed ? 1 : 0;
}
