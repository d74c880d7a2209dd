/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The BERT encoder on CUDA (plugins/text/cuda) against the CPU encoder
 * (bert.c, itself within 3.5e-7 of sentence-transformers), with the real
 * all-MiniLM-L6-v2 and the golden sentences test-text uses:
 *   - fp32: every embedding within 1e-5 (max abs) and cosine >= 0.99999 of
 *     the CPU's (and of sentence-transformers'), over the 200+ sentences in
 *     batches of mixed sizes and lengths, one batch of all of them, batch 1,
 *     and long sequences (33 to 512 tokens: several attention tiles);
 *   - fp16 and bf16: cosine >= 0.999 to the CPU's fp32;
 *   - [CLS] pooling and unnormalised output in fp32;
 *   - bad input (empty or too long sequence, id out of range) is refused
 *     and the workspace still works afterwards;
 *   - text.embed with device=cuda:0 (fp32 and fp16) through the harness
 *     against device=cpu, and two nodes sharing one upload of the weights.
 * Exits 77 (SKIP) without a CUDA build or device; scripts/gpu-check runs
 * it on a GPU machine, where a skip counts as a failure.
 *
 * Check runs in-process (CK_NOFORK): the CUDA runtime does not survive
 * fork() once initialised, and main() initialises it to decide whether to
 * skip.
 */
#include "config.h"

#include <stdio.h>

#ifdef WEFT_HAVE_CUDA
#include <check.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <weft/harness.h>
#include <weft/kernels.h>
#include <weft/registry.h>

#include "bert.h"
#include "cuda/bert-cuda.h"
#include "npy.h"
#include "wordpiece.h"

#define MODEL WEFT_TEST_MODELS "/all-minilm-l6-v2"
#define GOLDEN TOP_SRCDIR "/tests/golden/text"

static weft_registry *reg;
static text_bert *bert;
static weft_kctx *cpu, *gpu;

/* The corpus: the golden sentences' ids, then long sequences made by
 * concatenating sentences' word pieces, each with its CPU embedding. */
static size_t n_seq, n_golden;
static int32_t **seq_ids;
static size_t *seq_len;
static float *ref;    /* CPU, mean pooling, normalised: [n_seq, H] */
static float *golden; /* sentence-transformers: [n_golden, H] */
static char **lines;
static size_t H;

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

static void cpu_embed(size_t first, size_t count, bool cls, bool normalize,
                      float *out)
{
    text_bert_ws ws = { 0 };
    for (size_t i = 0; i < count; i++)
        ck_assert_int_eq(text_bert_embed(bert, &ws, cpu,
                                         (const int32_t *const *)&seq_ids[first + i],
                                         &seq_len[first + i], 1,
                                         cls ? TEXT_POOL_CLS : TEXT_POOL_MEAN,
                                         normalize, out + i * H), 0);
    text_bert_ws_clear(&ws);
}

/* Load the model, tokenize the golden sentences, add long sequences and
 * compute the CPU reference once. */
static void setup_corpus(void)
{
    size_t slen, glen;
    char *sents, *gold, err[512];
    npy_info info;
    text_tok tok = { 0 };
    static const size_t long_lens[] = { 33, 64, 100, 128, 200, 255, 256,
                                        511, 512 };
    const size_t n_long = sizeof long_lens / sizeof long_lens[0];

    ck_assert_msg(text_bert_load(MODEL, &bert, err, sizeof err) == 0, "%s",
                  err);
    H = (size_t)bert->hidden;
    sents = slurp(GOLDEN "/sentences.txt", &slen);
    gold = slurp(GOLDEN "/embeddings.npy", &glen);
    ck_assert_int_eq(npy_parse(gold, glen, &info, err, sizeof err), 0);
    n_golden = (size_t)info.shape[0];
    ck_assert_uint_ge(n_golden, 200);
    ck_assert_int_eq(info.shape[1], (int64_t)H);
    golden = malloc(n_golden * H * sizeof *golden);
    memcpy(golden, gold + info.data_offset, n_golden * H * sizeof *golden);
    free(gold);

    n_seq = n_golden + n_long;
    seq_ids = calloc(n_seq, sizeof *seq_ids);
    seq_len = calloc(n_seq, sizeof *seq_len);
    lines = calloc(n_golden, sizeof *lines);
    char *p = sents;
    for (size_t i = 0; i < n_golden; i++) {
        char *nl = strchr(p, '\n');
        ck_assert_ptr_nonnull(nl);
        *nl = '\0';
        lines[i] = strdup(p);
        const int32_t *t;
        ck_assert_int_eq(text_tokenize(bert->vocab, &tok, p, strlen(p),
                                       (size_t)bert->max_len, &t,
                                       &seq_len[i], NULL), 0);
        seq_ids[i] = malloc(seq_len[i] * sizeof *t);
        memcpy(seq_ids[i], t, seq_len[i] * sizeof *t);
        p = nl + 1;
    }
    free(sents);
    text_tok_clear(&tok);
    /* [CLS] + word pieces of consecutive sentences + [SEP]. */
    for (size_t k = 0, src = 0; k < n_long; k++) {
        size_t L = long_lens[k], i = n_golden + k;
        ck_assert_uint_le(L, (size_t)bert->max_pos);
        seq_ids[i] = malloc(L * sizeof **seq_ids);
        seq_len[i] = L;
        seq_ids[i][0] = seq_ids[0][0];
        for (size_t j = 1; j + 1 < L;) {
            const int32_t *s = seq_ids[src % n_golden];
            size_t n = seq_len[src % n_golden] - 2;
            for (size_t q = 0; q < n && j + 1 < L; q++)
                seq_ids[i][j++] = s[1 + q];
            src++;
        }
        seq_ids[i][L - 1] = seq_ids[0][seq_len[0] - 1];
    }
    ref = malloc(n_seq * H * sizeof *ref);
    cpu_embed(0, n_seq, false, true, ref);
}

typedef struct stats {
    double max_diff, min_cos;
} stats;

static void compare(const float *got, const float *want, size_t n,
                    size_t first, double tol, double min_cos, stats *st,
                    const char *what)
{
    for (size_t i = 0; i < n; i++) {
        const float *e = got + i * H, *r = want + i * H;
        double dot = 0, na = 0, nb = 0, md = 0;
        for (size_t j = 0; j < H; j++) {
            double d = fabs((double)e[j] - r[j]);
            md = d > md ? d : md;
            dot += (double)e[j] * r[j];
            na += (double)e[j] * e[j];
            nb += (double)r[j] * r[j];
        }
        double cos = dot / sqrt(na * nb);
        ck_assert_msg(cos >= min_cos && md <= tol,
                      "%s: sequence %zu (%zu tokens): max diff %g, cosine "
                      "%.7f", what, first + i + 1, seq_len[first + i], md,
                      cos);
        st->max_diff = md > st->max_diff ? md : st->max_diff;
        st->min_cos = cos < st->min_cos ? cos : st->min_cos;
    }
}

static text_cuda_model *upload(text_cuda_prec prec)
{
    text_cuda_model *m;
    char err[512];
    int rc = text_cuda_model_from_bert(bert, 0, prec, &m, err, sizeof err);
    ck_assert_msg(rc == 0, "upload: %d %s", rc, err);
    ck_assert_int_eq(text_cuda_model_hidden(m), (int64_t)H);
    ck_assert_int_eq(text_cuda_model_prec(m), prec);
    return m;
}

/* Embed sequences [first, first + n) on the GPU in one call. */
static void gpu_embed(text_cuda_model *m, text_cuda_ws *ws, size_t first,
                      size_t n, bool cls, bool normalize, float *out)
{
    char err[512];
    int rc = text_cuda_embed(m, ws, (const int32_t *const *)&seq_ids[first],
                             &seq_len[first], n, cls, normalize, out, err,
                             sizeof err);
    ck_assert_msg(rc == 0, "text_cuda_embed: %d %s", rc, err);
}

/* Every sequence through batches of cycling sizes (mixed lengths within
 * each), then one batch of everything, then batch 1 for some; against the
 * CPU within @tol / @min_cos. */
static void run_precision(text_cuda_prec prec, double tol, double min_cos,
                          const char *name)
{
    static const size_t sizes[] = { 16, 1, 7, 64, 3, 32, 2, 100 };
    text_cuda_model *m = upload(prec);
    text_cuda_ws *ws;
    char err[512];
    float *out = malloc(n_seq * H * sizeof *out);
    stats st = { 0, 1 }, st1 = { 0, 1 }, sta = { 0, 1 };

    ck_assert_msg(text_cuda_ws_new(m, weft_kctx_stream(gpu), &ws, err,
                                   sizeof err) == 0, "%s", err);
    for (size_t s0 = 0, k = 0; s0 < n_seq; k++) {
        size_t b = sizes[k % (sizeof sizes / sizeof sizes[0])];
        b = n_seq - s0 < b ? n_seq - s0 : b;
        gpu_embed(m, ws, s0, b, false, true, out);
        compare(out, ref + s0 * H, b, s0, tol, min_cos, &st, name);
        s0 += b;
    }
    gpu_embed(m, ws, 0, n_seq, false, true, out);
    compare(out, ref, n_seq, 0, tol, min_cos, &sta, name);
    /* Batch 1: short sentences and every long sequence. */
    for (size_t i = 0; i < n_seq; i += i < 20 || i >= n_golden ? 1 : 17) {
        gpu_embed(m, ws, i, 1, false, true, out);
        compare(out, ref + i * H, 1, i, tol, min_cos, &st1, name);
    }
    if (prec == TEXT_CUDA_FP32) {
        /* Against sentence-transformers too (the CPU is 3.5e-7 away). */
        stats sg = { 0, 1 };
        gpu_embed(m, ws, 0, n_golden, false, true, out);
        compare(out, golden, n_golden, 0, tol, min_cos, &sg, name);
        fprintf(stderr, "%s vs sentence-transformers: max abs %.3g, min "
                "cosine %.8f\n", name, sg.max_diff, sg.min_cos);
    }
    fprintf(stderr, "%s vs CPU fp32 (%zu sequences, %.1f MB of weights): "
            "mixed batches max abs %.3g min cos %.8f; one batch %.3g / "
            "%.8f; batch 1 %.3g / %.8f\n", name, n_seq,
            (double)text_cuda_model_bytes(m) / 1e6, st.max_diff, st.min_cos,
            sta.max_diff, sta.min_cos, st1.max_diff, st1.min_cos);
    text_cuda_ws_free(ws);
    text_cuda_model_free(m);
    free(out);
}

START_TEST(test_fp32)
{
    run_precision(TEXT_CUDA_FP32, 1e-5, 0.99999, "fp32");
}
END_TEST

START_TEST(test_fp16)
{
    run_precision(TEXT_CUDA_FP16, 1.0, 0.999, "fp16");
}
END_TEST

START_TEST(test_bf16)
{
    run_precision(TEXT_CUDA_BF16, 1.0, 0.999, "bf16");
}
END_TEST

/* [CLS] pooling and unnormalised means, fp32, on a mixed batch. */
START_TEST(test_pooling)
{
    const size_t first = n_golden - 20, n = 20 + 4; /* some long ones */
    text_cuda_model *m = upload(TEXT_CUDA_FP32);
    text_cuda_ws *ws;
    char err[512];
    float *want = malloc(n * H * sizeof *want), *got = malloc(n * H * 4);
    stats st = { 0, 1 };

    ck_assert_msg(text_cuda_ws_new(m, weft_kctx_stream(gpu), &ws, err,
                                   sizeof err) == 0, "%s", err);
    for (int mode = 0; mode < 3; mode++) {
        bool cls = mode == 1 || mode == 2, normalize = mode == 2;
        cpu_embed(first, n, cls, normalize, want);
        gpu_embed(m, ws, first, n, cls, normalize, got);
        compare(got, want, n, first, 1e-5, 0.99999, &st,
                cls ? "cls" : "mean, unnormalised");
    }
    fprintf(stderr, "pooling variants: max abs %.3g, min cosine %.8f\n",
            st.max_diff, st.min_cos);
    text_cuda_ws_free(ws);
    text_cuda_model_free(m);
    free(want);
    free(got);
}
END_TEST

START_TEST(test_bad_input)
{
    text_cuda_model *m = upload(TEXT_CUDA_FP32);
    text_cuda_ws *ws;
    char err[512];
    float *out = malloc(3 * H * sizeof *out);
    int32_t bad[3] = { 101, (int32_t)bert->vocab_size, 102 };
    const int32_t *p[3] = { seq_ids[0], bad, seq_ids[1] };
    size_t lens[3] = { seq_len[0], 3, seq_len[1] };

    ck_assert_msg(text_cuda_ws_new(m, weft_kctx_stream(gpu), &ws, err,
                                   sizeof err) == 0, "%s", err);
    ck_assert_int_eq(text_cuda_embed(m, ws, p, lens, 3, false, true, out,
                                     err, sizeof err), WEFT_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "out of range"));
    bad[1] = -1;
    ck_assert_int_eq(text_cuda_embed(m, ws, p, lens, 3, false, true, out,
                                     err, sizeof err), WEFT_EINVAL);
    bad[1] = 2000;
    lens[1] = 0;
    ck_assert_int_eq(text_cuda_embed(m, ws, p, lens, 3, false, true, out,
                                     err, sizeof err), WEFT_EINVAL);
    lens[1] = (size_t)bert->max_pos + 1;
    ck_assert_int_eq(text_cuda_embed(m, ws, p, lens, 3, false, true, out,
                                     err, sizeof err), WEFT_EINVAL);
    ck_assert_int_eq(text_cuda_embed(m, ws, p, lens, 0, false, true, out,
                                     err, sizeof err), 0);
    /* Still fine. */
    stats st = { 0, 1 };
    gpu_embed(m, ws, 0, 2, false, true, out);
    compare(out, ref, 2, 0, 1e-5, 0.99999, &st, "after bad input");
    text_cuda_ws_free(ws);
    text_cuda_model_free(m);
    free(out);
}
END_TEST

static int no_create(void *arg, void **obj)
{
    (void)arg;
    *obj = NULL;
    return WEFT_ENOENT;
}

static void no_destroy(void *obj)
{
    (void)obj;
}

/* Start text.embed on @device/@precision, push the first @n golden
 * sentences (the harness runs process after each push, so the node sees
 * batches of one; batching is checked on the API above) and collect the
 * embeddings in @out. */
static weft_harness *node_embed(const char *device, const char *precision,
                                size_t n, float *out)
{
    weft_harness *h;

    ck_assert_int_eq(weft_harness_new(reg, "text.embed", &h), 0);
    ck_assert_int_eq(weft_harness_set_prop(h, "model", MODEL), 0);
    ck_assert_int_eq(weft_harness_set_prop(h, "device", device), 0);
    ck_assert_int_eq(weft_harness_set_prop(h, "precision", precision), 0);
    ck_assert_int_eq(weft_harness_set_input_format(h, 0, "text"), 0);
    ck_assert_msg(weft_harness_start(h) == 0, "%s", weft_harness_error(h));
    for (size_t i = 0; i < n; i++)
        ck_assert_int_eq(weft_harness_push(h, 0, weft_buf_new_text(
                                                     lines[i], SIZE_MAX)),
                         WEFT_FLOW_OK);
    for (size_t i = 0; i < n; i++) {
        weft_buf *b = weft_harness_pull(h, 0);
        ck_assert_ptr_nonnull(b);
        ck_assert_int_eq(weft_buf_dim(b, 0), (int64_t)H);
        memcpy(out + i * H, weft_buf_cdata(b), H * sizeof *out);
        weft_buf_unref(b);
    }
    return h;
}

START_TEST(test_node)
{
    const size_t n = 150;
    float *c = malloc(n * H * sizeof *c), *g = malloc(n * H * sizeof *g);
    char key[PATH_MAX + 64], real[PATH_MAX];
    void *obj = NULL;
    stats st = { 0, 1 }, sh = { 0, 1 };

    weft_harness_free(node_embed("cpu", "fp32", n, c));
    weft_harness *h1 = node_embed("cuda:0", "fp32", n, g);
    compare(g, c, n, 0, 1e-5, 0.99999, &st, "node fp32");
    /* The node's upload is registered under its key; a second node finds
     * it (no_create would fail the acquire if it were not there). */
    ck_assert_ptr_nonnull(realpath(MODEL, real));
    snprintf(key, sizeof key, "text.bert.cuda:0:fp32:%s", real);
    ck_assert_int_eq(weft_shared_acquire(key, no_create, no_destroy, NULL,
                                         &obj), 0);
    ck_assert_ptr_nonnull(obj);
    weft_harness *h2 = node_embed("cuda", "fp32", n, g);
    void *obj2 = NULL;
    ck_assert_int_eq(weft_shared_acquire(key, no_create, no_destroy, NULL,
                                         &obj2), 0);
    ck_assert_ptr_eq(obj, obj2);
    weft_shared_release(obj2);
    weft_shared_release(obj);
    weft_harness_free(h2);
    weft_harness_free(h1);
    /* fp16 through the node. */
    weft_harness_free(node_embed("cuda:0", "fp16", n, g));
    compare(g, c, n, 0, 1.0, 0.999, &sh, "node fp16");
    fprintf(stderr, "node: fp32 max abs %.3g min cos %.8f; fp16 min cos "
            "%.6f\n", st.max_diff, st.min_cos, sh.min_cos);
    free(c);
    free(g);
}
END_TEST

int main(void)
{
    const char *why;
    Suite *s;
    TCase *tc;
    SRunner *sr;
    int failed, rc;
    FILE *f;

    if (!weft_k_cuda_available(&why)) {
        printf("test-text-cuda: SKIP: %s\n", why);
        return 77;
    }
    if (!(f = fopen(MODEL "/model.safetensors", "rb"))) {
        fprintf(stderr, "test-text-cuda: %s/model.safetensors is missing: "
                "run models/all-minilm-l6-v2/fetch\n", MODEL);
        return 1;
    }
    fclose(f);
    printf("test-text-cuda: %s\n", why);
    if ((rc = weft_kctx_new("cpu", &cpu)) < 0 ||
        (rc = weft_kctx_new("cuda:0", &gpu)) < 0) {
        printf("test-text-cuda: cannot create contexts: %d\n", rc);
        return 1;
    }
    reg = weft_registry_new();
    if (weft_registry_scan_dir(reg, TOP_BUILDDIR "/plugins/.libs") < 1 ||
        !weft_registry_find(reg, "text.embed")) {
        fprintf(stderr, "test-text-cuda: the text plugin did not load\n");
        return 1;
    }
    s = suite_create("text-cuda");
    tc = tcase_create("text-cuda");
    tcase_set_timeout(tc, 240);
    tcase_add_unchecked_fixture(tc, setup_corpus, NULL);
    tcase_add_test(tc, test_fp32);
    tcase_add_test(tc, test_fp16);
    tcase_add_test(tc, test_bf16);
    tcase_add_test(tc, test_pooling);
    tcase_add_test(tc, test_bad_input);
    tcase_add_test(tc, test_node);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    weft_registry_free(reg);
    weft_kctx_free(gpu);
    weft_kctx_free(cpu);
    return failed ? 1 : 0;
}
#else
int main(void)
{
    printf("test-text-cuda: SKIP: built without CUDA\n");
    return 77;
}
#endif
