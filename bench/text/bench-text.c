/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench-text: time Weft's BERT sentence encoder (plugins/text/bert*.c, the
 * code text.embed runs) on token ids prepared elsewhere, single thread.
 * bench/text/run.py drives it side by side with sentence-transformers and
 * onnxruntime on the same ids.
 *
 *   bench-text --model DIR --ids IDS.txt [--batch 1] [--iters 200]
 *              [--warmup 20] [--out EMB.f32]
 *
 * IDS.txt holds one sequence a line (token ids separated by spaces, [CLS]
 * and [SEP] included). Each timed call embeds the next --batch sequences
 * (cycling over the file): mean pooling, L2 normalisation. Prints
 * `BENCH text-b<batch> cpu p50 <ms> p99 <ms> rate <sequences/s>`; --out
 * writes the embedding of every sequence of the file once, as raw float32
 * [lines, hidden], for the parity check.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bert.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double pct(const double *sorted, size_t n, double p)
{
    size_t i = (size_t)(p * (double)(n - 1) + 0.5);
    return sorted[i < n ? i : n - 1];
}

int main(int argc, char **argv)
{
    const char *model = NULL, *idpath = NULL, *outpath = NULL;
    size_t batch = 1, iters = 200, warmup = 20;
    char err[512];

    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--model"))
            model = argv[i + 1];
        else if (!strcmp(argv[i], "--ids"))
            idpath = argv[i + 1];
        else if (!strcmp(argv[i], "--out"))
            outpath = argv[i + 1];
        else if (!strcmp(argv[i], "--batch"))
            batch = strtoul(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--iters"))
            iters = strtoul(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--warmup"))
            warmup = strtoul(argv[i + 1], NULL, 10);
        else
            goto usage;
    }
    if (!model || !idpath || !batch || !iters)
        goto usage;

    /* Read the sequences. */
    FILE *f = fopen(idpath, "r");
    if (!f) {
        perror(idpath);
        return 1;
    }
    size_t n = 0, cap = 0, ncap = 0, nids = 0;
    int32_t *ids = NULL;
    size_t *start = NULL, *lens = NULL;
    char line[65536];
    while (fgets(line, sizeof line, f)) {
        if (n == ncap) {
            ncap = ncap ? 2 * ncap : 64;
            start = realloc(start, ncap * sizeof *start);
            lens = realloc(lens, ncap * sizeof *lens);
        }
        start[n] = nids;
        for (char *p = line, *e;; p = e) {
            long v = strtol(p, &e, 10);
            if (e == p)
                break;
            if (nids == cap) {
                cap = cap ? 2 * cap : 4096;
                ids = realloc(ids, cap * sizeof *ids);
            }
            ids[nids++] = (int32_t)v;
        }
        lens[n] = nids - start[n];
        if (lens[n])
            n++;
    }
    fclose(f);
    if (!n) {
        fprintf(stderr, "%s: no sequences\n", idpath);
        return 1;
    }

    text_bert *m;
    weft_kctx *k;
    text_bert_ws ws = { 0 };
    if (text_bert_load(model, &m, err, sizeof err) < 0) {
        fprintf(stderr, "bench-text: %s\n", err);
        return 1;
    }
    if (weft_kctx_new("cpu", &k) < 0)
        return 1;
    const size_t H = (size_t)m->hidden;
    float *out = malloc((n > batch ? n : batch) * H * sizeof *out);
    const int32_t **ptr = malloc(batch * sizeof *ptr);
    size_t *bl = malloc(batch * sizeof *bl);

    if (outpath) {
        for (size_t s = 0; s < n; s++) {
            const int32_t *p = ids + start[s];
            if (text_bert_embed(m, &ws, k, &p, &lens[s], 1, TEXT_POOL_MEAN,
                                true, out + s * H) < 0) {
                fprintf(stderr, "bench-text: embed failed\n");
                return 1;
            }
        }
        FILE *o = fopen(outpath, "wb");
        if (!o || fwrite(out, sizeof *out * H, n, o) != n || fclose(o)) {
            perror(outpath);
            return 1;
        }
    }

    double *lat = malloc(iters * sizeof *lat), total = 0;
    size_t next = 0;
    for (size_t it = 0; it < warmup + iters; it++) {
        for (size_t b = 0; b < batch; b++, next = (next + 1) % n) {
            ptr[b] = ids + start[next];
            bl[b] = lens[next];
        }
        double t0 = now();
        if (text_bert_embed(m, &ws, k, ptr, bl, batch, TEXT_POOL_MEAN, true,
                            out) < 0) {
            fprintf(stderr, "bench-text: embed failed\n");
            return 1;
        }
        double dt = now() - t0;
        if (it >= warmup) {
            lat[it - warmup] = dt * 1e3;
            total += dt;
        }
    }
    qsort(lat, iters, sizeof *lat, cmp_d);
    printf("BENCH text-b%zu cpu p50 %.3f p99 %.3f rate %.1f\n", batch,
           pct(lat, iters, 0.5), pct(lat, iters, 0.99),
           (double)(iters * batch) / total);

    free(lat);
    free(out);
    free(ptr);
    free(bl);
    free(ids);
    free(start);
    free(lens);
    text_bert_ws_clear(&ws);
    weft_kctx_free(k);
    text_bert_free(m);
    return 0;
usage:
    fprintf(stderr, "usage: bench-text --model DIR --ids IDS.txt [--batch N] "
            "[--iters N] [--warmup N] [--out EMB.f32]\n");
    return 2;
}
