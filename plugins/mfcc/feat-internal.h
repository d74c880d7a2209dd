/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * feat-internal.h: the plan's layout, shared by the files of the feature
 * pipeline. Internal to the mfcc plugin.
 */
#ifndef WEFT_PLUGIN_MFCC_FEAT_INTERNAL_H
#define WEFT_PLUGIN_MFCC_FEAT_INTERNAL_H

#include <weft/common.h>

#include "feat.h"

#define FEAT_MAX_DELTAS 2
#define FEAT_MAX_DELTA_TAPS 41

struct feat_plan {
    feat_opts o;
    double rate;
    int64_t win_len;   /* window length (samples) */
    int64_t fl;        /* frame span (samples): win_len, or n_fft centred */
    int64_t shift, nfft, nbins, nmel, nceps, first;
    int64_t base_dim, static_dim, dim;
    bool needs_finish, pow2;
    float log_floor, log_energy_floor;
    /* Tables in double: the per-frame work runs in double (feat-compute.c). */
    double *window;                    /* fl */
    double *fft_tw;                    /* per radix-4 stage of span n, for
                                          j < n/4: w^j, w^2j, w^3j (re, im),
                                          w = exp(-2 pi i / n) */
    int32_t *fft_pos;                  /* bin k of the FFT is in slot
                                          fft_pos[k] (digit reversal) */
    double *post_re, *post_im;         /* exp(-2 pi i k / nfft) */
    double *dft_cos, *dft_sin;         /* [nbins, fl] when not a power of 2 */
    int64_t *mel_lo, *mel_len, *mel_off;
    double *mel_w;
    double *dct;                       /* [nceps, nmel], lifter folded in */
    int64_t delta_n[FEAT_MAX_DELTAS + 1];
    void (*batch)(const struct feat_plan *p, const float *const *frames,
                  const int64_t *frame_index, int n, float *out,
                  void *scratch);
    const char *isa;                   /* the batch function's name */
    float delta_scale[FEAT_MAX_DELTAS + 1][FEAT_MAX_DELTA_TAPS];
};

/* Choose p->batch for this CPU (feat-compute.c). */
void feat__plan_select_isa(struct feat_plan *p);

#endif /* WEFT_PLUGIN_MFCC_FEAT_INTERNAL_H */
