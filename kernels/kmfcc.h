/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * kernels/kmfcc.h: what the batched feature op's dispatch layer (mfcc.c)
 * and its CUDA backend (cuda/mfcc.cu) share. Not installed; valid C++.
 */
#ifndef WEFT_KMFCC_H
#define WEFT_KMFCC_H

#include <weft/features.h>

#include "kinternal.h"

WEFT_BEGIN_DECLS

/* A checked weft_k_mfcc_desc with its tables copied (double, host), the
 * lifter folded into the DCT and the floors resolved. */
typedef struct weft__kmfcc_spec {
    int fl, nfft, nbins, nmel, nceps, dim;
    double scale, pre;
    bool dc, energy_last;
    uint32_t spectrum, log_type, energy;
    float floor;             /* log floor, rounded to float as the plugin */
    double log_energy_floor; /* -INFINITY: none */
    double *window;          /* [fl] */
    double *mel;             /* [nmel][nbins] */
    double *dct;             /* [nceps][nmel], lifter folded in; NULL: fbank */
} weft__kmfcc_spec;

/* The CUDA backend's state of a plan (device tables, cuFFT plans, work
 * buffers); opaque here. */
typedef struct weft__kmfcc_cuda weft__kmfcc_cuda;

int weft__kmfcc_cuda_new(weft__kcuda *cu, const weft__kmfcc_spec *s,
                         int max_frames, weft__kmfcc_cuda **out, char *err);
void weft__kmfcc_cuda_free(weft__kcuda *cu, weft__kmfcc_cuda *m);
int weft__kmfcc_cuda_run(weft__kcuda *cu, weft__kmfcc_cuda *m,
                         const weft__kmfcc_spec *s, const float *samples,
                         const int64_t *offsets, int n, float *out,
                         long long ldo, char *err);

WEFT_END_DECLS
#endif
