/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench-text-cuda: sentence embeddings per second of the BERT encoder on
 * CUDA (plugins/text/cuda, what text.embed device=cuda:N runs) with
 * all-MiniLM-L6-v2, in batches of --batch sequences (default 256).
 *
 * Input: the golden sentences' word pieces (tests/golden/text), cut and
 * concatenated into sequences of about 16 and about 128 tokens ([CLS] and
 * [SEP] included; lengths spread over +-25% so that a batch mixes them,
 * as real input does). Each timed call is text_cuda_embed on one batch:
 * ids up, the encoder, mean pooling and L2 normalisation, embeddings down
 * and a stream synchronization; tokenization is not timed. Calls repeat
 * after 3 warm-up calls until --min-time seconds and at least 5 calls.
 *
 * With --cpu it times the CPU encoder (bert.c, one thread) on the same
 * batches first, so that scripts/gpu-check prints the ratio (slow: seconds
 * per batch of 128-token sequences).
 *
 * Usage: bench-text-cuda [--model DIR] [--precision all|fp32|fp16|bf16]
 *                        [--batch N] [--min-time S] [--cpu]
 * Prints `BENCH text-embed-cuda-<L>tok <precision> <value> sentences/s`
 * (and `... cpu ...` with --cpu). Exits 77 without a CUDA device.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <weft/kernels.h>

#include "bert.h"
#include "wordpiece.h"

#ifdef WEFT_HAVE_CUDA
#include "cuda/bert-cuda.h"

#ifndef WEFT_BENCH_MODEL
#define WEFT_BENCH_MODEL "models/all-minilm-l6-v2"
#endif
#ifndef WEFT_BENCH_SENTENCES
#define WEFT_BENCH_SENTENCES "tests/golden/text/sentences.txt"
#endif

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Word pieces of every sentence, back to back (no [CLS]/[SEP]). */
static int32_t *pieces;
static size_t n_pieces;

static int load_pieces(const text_bert *m, const char *path)
{
    FILE *f = fopen(path, "r");
    char line[8192];
    text_tok tok = { 0 };
    size_t cap = 0;

    if (!f) {
        perror(path);
        return -1;
    }
    while (fgets(line, sizeof line, f)) {
        const int32_t *ids;
        size_t n;
        line[strcspn(line, "\n")] = '\0';
        if (text_tokenize(m->vocab, &tok, line, strlen(line), 0, &ids, &n,
                          NULL) < 0 || n < 2)
            continue;
        if (n_pieces + n > cap) {
            cap = 2 * (n_pieces + n) + 4096;
            int32_t *p = realloc(pieces, cap * sizeof *p);
            if (!p) {
                fclose(f);
                return -1;
            }
            pieces = p;
        }
        memcpy(pieces + n_pieces, ids + 1, (n - 2) * sizeof *ids);
        n_pieces += n - 2;
    }
    fclose(f);
    text_tok_clear(&tok);
    return n_pieces ? 0 : -1;
}

/* @batch sequences around @target tokens, from the pieces at a running
 * offset. (transfer full) ids[batch] malloc'd; lens filled. */
static int32_t **make_batch(const text_bert *m, size_t batch, size_t target,
                            size_t *lens)
{
    int32_t **ids = calloc(batch, sizeof *ids);
    int32_t cls = text_vocab_cls(m->vocab), sep = text_vocab_sep(m->vocab);
    size_t at = 0;

    if (!ids)
        return NULL;
    for (size_t b = 0; b < batch; b++) {
        /* target * [0.75, 1.25], deterministic. */
        size_t spread = target / 2 + 1;
        size_t L = target - target / 4 + (b * 7919) % spread;
        if (L < 3)
            L = 3;
        if (L > (size_t)m->max_pos)
            L = (size_t)m->max_pos;
        if (!(ids[b] = malloc(L * sizeof **ids)))
            return NULL;
        ids[b][0] = cls;
        for (size_t j = 1; j + 1 < L; j++, at = (at + 1) % n_pieces)
            ids[b][j] = pieces[at];
        ids[b][L - 1] = sep;
        lens[b] = L;
    }
    return ids;
}

int main(int argc, char **argv)
{
    const char *model = WEFT_BENCH_MODEL, *prec_arg = "all";
    size_t batch = 256;
    double min_time = 1.0;
    bool do_cpu = false;
    char err[512];

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--model") && i + 1 < argc)
            model = argv[++i];
        else if (!strcmp(argv[i], "--precision") && i + 1 < argc)
            prec_arg = argv[++i];
        else if (!strcmp(argv[i], "--batch") && i + 1 < argc)
            batch = strtoul(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--min-time") && i + 1 < argc)
            min_time = strtod(argv[++i], NULL);
        else if (!strcmp(argv[i], "--cpu"))
            do_cpu = true;
        else {
            fprintf(stderr, "usage: bench-text-cuda [--model DIR] "
                    "[--precision all|fp32|fp16|bf16] [--batch N] "
                    "[--min-time S] [--cpu]\n");
            return 2;
        }
    }
    if (!batch || batch > 65536) {
        fprintf(stderr, "bench-text-cuda: --batch 1 to 65536\n");
        return 2;
    }
    const char *why;
    if (!weft_k_cuda_available(&why)) {
        printf("bench-text-cuda: SKIP: %s\n", why);
        return 77;
    }
    text_bert *m;
    if (text_bert_load(model, &m, err, sizeof err) < 0) {
        fprintf(stderr, "bench-text-cuda: %s\n", err);
        return 1;
    }
    if (load_pieces(m, WEFT_BENCH_SENTENCES) < 0) {
        fprintf(stderr, "bench-text-cuda: no sentences in %s\n",
                WEFT_BENCH_SENTENCES);
        return 1;
    }
    const size_t H = (size_t)m->hidden;
    float *out = malloc(batch * H * sizeof *out);
    static const size_t targets[] = { 16, 128 };
    static const char *const names[] = { "fp32", "fp16", "bf16" };
    weft_kctx *gpu = NULL, *cpu = NULL;
    int rc = 0;

    if (weft_kctx_new("cuda:0", &gpu) < 0 || weft_kctx_new("cpu", &cpu) < 0) {
        fprintf(stderr, "bench-text-cuda: cannot create contexts\n");
        return 1;
    }
    printf("bench-text-cuda: %s, batch %zu\n", why, batch);
    for (size_t t = 0; t < 2; t++) {
        size_t *lens = malloc(batch * sizeof *lens), tokens = 0;
        int32_t **ids = make_batch(m, batch, targets[t], lens);
        char name[64];
        if (!ids || !out || !lens) {
            fprintf(stderr, "bench-text-cuda: out of memory\n");
            return 1;
        }
        for (size_t b = 0; b < batch; b++)
            tokens += lens[b];
        snprintf(name, sizeof name, "text-embed-cuda-%zutok", targets[t]);
        printf("# %s: %zu sequences, %.1f tokens on average\n", name, batch,
               (double)tokens / (double)batch);
        if (do_cpu) {
            text_bert_ws ws = { 0 };
            double t0 = now();
            size_t calls = 0;
            do {
                if (text_bert_embed(m, &ws, cpu, (const int32_t *const *)ids,
                                    lens, batch, TEXT_POOL_MEAN, true,
                                    out) < 0) {
                    fprintf(stderr, "bench-text-cuda: CPU embed failed\n");
                    return 1;
                }
                calls++;
            } while (now() - t0 < min_time);
            printf("BENCH %s cpu %.1f sentences/s\n", name,
                   (double)(calls * batch) / (now() - t0));
            text_bert_ws_clear(&ws);
        }
        for (int p = 0; p < 3; p++) {
            if (strcmp(prec_arg, "all") && strcmp(prec_arg, names[p]))
                continue;
            text_cuda_model *cm;
            text_cuda_ws *ws;
            if (text_cuda_model_from_bert(m, 0, (text_cuda_prec)p, &cm, err,
                                          sizeof err) < 0 ||
                text_cuda_ws_new(cm, weft_kctx_stream(gpu), &ws, err,
                                 sizeof err) < 0) {
                fprintf(stderr, "bench-text-cuda: %s: %s\n", names[p], err);
                return 1;
            }
            size_t calls = 0;
            double t0 = 0;
            for (size_t it = 0;; it++) {
                if (it == 3)
                    t0 = now();
                if (text_cuda_embed(cm, ws, (const int32_t *const *)ids,
                                    lens, batch, false, true, out, err,
                                    sizeof err) < 0) {
                    fprintf(stderr, "bench-text-cuda: %s: %s\n", names[p],
                            err);
                    return 1;
                }
                if (it >= 3 && ++calls >= 5 && now() - t0 >= min_time)
                    break;
            }
            double el = now() - t0;
            printf("BENCH %s %s %.1f sentences/s\n", name, names[p],
                   (double)(calls * batch) / el);
            printf("# %s %s: %.3f ms per batch, %.0f tokens/s, %.1f MB of "
                   "weights\n", name, names[p], 1e3 * el / (double)calls,
                   (double)(calls * tokens) / el,
                   (double)text_cuda_model_bytes(cm) / 1e6);
            text_cuda_ws_free(ws);
            text_cuda_model_free(cm);
        }
        for (size_t b = 0; b < batch; b++)
            free(ids[b]);
        free(ids);
        free(lens);
    }
    weft_kctx_free(gpu);
    weft_kctx_free(cpu);
    free(out);
    free(pieces);
    text_bert_free(m);
    return rc;
}
#else
int main(void)
{
    printf("bench-text-cuda: SKIP: built without CUDA\n");
    return 77;
}
#endif
