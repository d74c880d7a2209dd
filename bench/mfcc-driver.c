/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * mfcc-driver: times Weft's feature pipeline (the mfcc plugin's DSP, the
 * code the node runs) on a raw f32 file, Kaldi preset, one thread, fed in
 * 1 s chunks as the node would be. Prints seconds, frames, a checksum,
 * the flops per frame and the instruction set the plan picked.
 * Built and run by bench/mfcc.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "feat.h"

int main(int argc, char **argv)
{
    feat_opts o;
    feat_plan *p;
    feat_stream *s;
    char err[256];
    FILE *f;
    long n;
    float *x, *rows;
    int64_t bad, total = 0, dim;
    double sum = 0, t0, t1;
    struct timespec ts;

    if (argc < 2 || !(f = fopen(argv[1], "rb")))
        return 2;
    fseek(f, 0, SEEK_END);
    n = ftell(f) / 4;
    fseek(f, 0, SEEK_SET);
    x = malloc((size_t)n * 4);
    if (!x || fread(x, 4, (size_t)n, f) != (size_t)n)
        return 2;
    fclose(f);
    feat_opts_preset(&o, FEAT_PRESET_KALDI, true);
    if (feat_plan_new(&o, 16000, &p, err, sizeof err) < 0 ||
        feat_stream_new(p, &s) < 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    dim = feat_plan_dim(p);
    rows = malloc((size_t)(dim * 200) * sizeof *rows);
    clock_gettime(CLOCK_MONOTONIC, &ts);
    t0 = (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
    for (long i = 0; i < n; i += 16000) {
        long k = n - i < 16000 ? n - i : 16000;
        int64_t r;
        feat_stream_feed(s, x + i, (size_t)k, &bad);
        if (i + k >= n)
            feat_stream_end(s);
        r = feat_stream_ready(s);
        feat_stream_take(s, rows, r);
        sum += rows[0];
        total += r;
    }
    clock_gettime(CLOCK_MONOTONIC, &ts);
    t1 = (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
    printf("%.4f %lld %.6g %.0f %s\n", t1 - t0, (long long)total, sum,
           feat_plan_flops_per_frame(p), feat_plan_isa(p));
    feat_stream_free(s);
    feat_plan_free(p);
    free(rows);
    free(x);
    return 0;
}
