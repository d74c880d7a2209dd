/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * asr.acoustic's CUDA path against its CPU path (the reference, itself
 * checked against PyTorch by test-asr): both golden models, which cover
 * every layer type, on fresh random features, whole and in chunks of 1, 7
 * and 100 frames with a segment reset in between; max abs diff <= 1e-4.
 * Exits 77 (skip) where there is no usable GPU.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "asr.h"

#define GOLDEN TOP_SRCDIR "/tests/golden/asr"
#define TOL 1e-4

static uint64_t rng;

static float frand(void)
{
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    return (float)((rng >> 40) & 0xffffff) / 16777216.0f * 4.0f - 2.0f;
}

/* Run @t frames through @s in chunks of @chunk; output rows to @out. */
static int run(asr_state *s, const float *x, int64_t t, int64_t d,
               int64_t chunk, float *out, int64_t v, int64_t *rows)
{
    *rows = 0;
    asr_state_reset(s);
    for (int64_t r = 0; r < t; r += chunk) {
        int64_t n = r + chunk > t ? t - r : chunk;
        int64_t o = asr_out_frames(s, n);
        int ret = asr_forward(s, x + r * d, n, out + *rows * v);
        if (ret < 0)
            return ret;
        *rows += o;
    }
    return 0;
}

int main(void)
{
    static const char *const models[] = { "conv-gru", "lstm" };
    static const int64_t chunks[] = { 0, 1, 7, 100 };
    const char *why = NULL;
    int failed = 0, checks = 0;

    if (!weft_k_cuda_available(&why)) {
        printf("SKIP: %s\n", why);
        return 77;
    }
    rng = (uint64_t)time(NULL);
    printf("seed %llu\n", (unsigned long long)rng);
    for (int mi = 0; mi < 2; mi++) {
        char dir[512], err[1024];
        asr_model *m;
        weft_kctx *kc, *kg;
        asr_state *sc, *sg;
        asr_weights *w;
        const int64_t T = 500;
        float *x, *yc, *yg;

        snprintf(dir, sizeof dir, GOLDEN "/%s", models[mi]);
        if (asr_model_load(dir, &m, err, sizeof err) < 0) {
            fprintf(stderr, "%s\n", err);
            return 1;
        }
        /* the CUDA state reads weights shared through another context,
         * as every node on one device does */
        if (weft_kctx_new("cpu", &kc) < 0 || weft_kctx_new("cuda", &kg) < 0 ||
            asr_weights_new(m, "cuda", &w) < 0 ||
            asr_state_new(m, NULL, kc, &sc) < 0 ||
            asr_state_new(m, w, kg, &sg) < 0) {
            fprintf(stderr, "%s: cannot set up the states\n", models[mi]);
            return 1;
        }
        x = malloc((size_t)(T * m->in_dim) * sizeof *x);
        yc = calloc((size_t)((T + 1) * m->n_tokens), sizeof *yc);
        yg = calloc((size_t)((T + 1) * m->n_tokens), sizeof *yg);
        for (int64_t i = 0; i < T * m->in_dim; i++)
            x[i] = frand();
        for (size_t c = 0; c < 4; c++) {
            int64_t ch = chunks[c] ? chunks[c] : T, rc_rows, rg_rows;
            double md = 0;
            int r1 = run(sc, x, T, m->in_dim, ch, yc, m->n_tokens, &rc_rows);
            int r2 = run(sg, x, T, m->in_dim, ch, yg, m->n_tokens, &rg_rows);
            checks++;
            if (r1 < 0 || r2 < 0 || rc_rows != rg_rows) {
                printf("FAIL %s chunk %lld: cpu %d (%lld rows), cuda %d "
                       "(%lld rows) %s\n", models[mi], (long long)ch, r1,
                       (long long)rc_rows, r2, (long long)rg_rows,
                       weft_kctx_last_error(kg));
                failed++;
                continue;
            }
            for (int64_t i = 0; i < rc_rows * m->n_tokens; i++) {
                double d = fabs((double)yc[i] - yg[i]);
                if (!(d <= md))
                    md = isnan(d) ? INFINITY : d;
            }
            printf("%s %s chunk %lld: %lld frames, max abs diff %.3g\n",
                   md <= TOL ? "ok  " : "FAIL", models[mi], (long long)ch,
                   (long long)rc_rows, md);
            failed += !(md <= TOL);
        }
        free(x);
        free(yc);
        free(yg);
        asr_state_free(sc);
        asr_state_free(sg);
        asr_weights_free(w);
        weft_kctx_free(kc);
        weft_kctx_free(kg);
        asr_model_free(m);
    }
    printf("Checks: %d, Failures: %d, Errors: 0\n", checks, failed);
    return failed ? 1 : 0;
}
