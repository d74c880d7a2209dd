/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * mfcc.c: the batched feature op (weft/features.h): argument checks, the
 * plan's tables, and the CPU backend, a straightforward double-precision
 * reference that follows the mfcc plugin's per-frame order of operations
 * (so the two agree to double rounding), frame after frame. The CUDA
 * backend is cuda/mfcc.cu.
 */
#include <config.h>

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kmfcc.h"

struct weft_k_mfcc_plan {
    weft_kctx *ctx;
    int32_t max_frames;
    weft__kmfcc_spec s;
    weft__kmfcc_cuda *cuda; /* NULL on the CPU */
    /* CPU backend: FFT tables and one frame's scratch (the plan is used by
     * one thread at a time). */
    bool pow2;
    double *tw_re, *tw_im; /* exp(-2 pi i t / nfft), t < nfft */
    int32_t *rev;          /* bit reversal of nfft (pow2 only) */
    double *re, *im, *spec, *lmel;
};

static bool finite_table(const double *t, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(t[i]))
            return false;
    return true;
}

static int spec_init(weft__kmfcc_spec *s, const weft_k_mfcc_desc *d)
{
    size_t nb;

    if (d->struct_size < sizeof *d || d->frame_length < 1 ||
        d->fft_size < d->frame_length || d->fft_size > (1 << 24) ||
        d->num_mel_bins < 1 || d->num_ceps < 0 ||
        d->num_ceps > d->num_mel_bins || !d->window || !d->mel ||
        (d->num_ceps && !d->dct) || d->spectrum > WEFT_K_MFCC_POWER_SCALED ||
        d->log_type > WEFT_K_MFCC_LOG_DB ||
        d->energy > WEFT_K_MFCC_ENERGY_SPECTRUM ||
        !isfinite(d->sample_scale) || !isfinite(d->preemphasis) ||
        !(d->log_floor <= FLT_MAX) || isnan(d->energy_floor))
        return WEFT_EINVAL;
    s->fl = d->frame_length;
    s->nfft = d->fft_size;
    s->nbins = d->fft_size / 2 + 1;
    s->nmel = d->num_mel_bins;
    s->nceps = d->num_ceps;
    s->dim = s->nceps ? s->nceps
                      : s->nmel + (d->energy != WEFT_K_MFCC_ENERGY_NONE);
    s->scale = d->sample_scale;
    s->pre = d->preemphasis;
    s->dc = d->remove_dc_offset;
    s->energy_last = d->energy_last;
    s->spectrum = d->spectrum;
    s->log_type = d->log_type;
    s->energy = d->energy;
    s->floor = (float)(d->log_floor > 0 ? d->log_floor : FLT_MIN);
    s->log_energy_floor = d->energy_floor > 0 ? (float)log(d->energy_floor)
                                              : -INFINITY;
    nb = (size_t)s->nbins;
    if (!finite_table(d->window, (size_t)s->fl) ||
        !finite_table(d->mel, (size_t)s->nmel * nb) ||
        (s->nceps && !finite_table(d->dct, (size_t)(s->nceps * s->nmel))) ||
        (s->nceps && d->lifter && !finite_table(d->lifter, (size_t)s->nceps)))
        return WEFT_EINVAL;
    s->window = malloc((size_t)s->fl * sizeof(double));
    s->mel = malloc((size_t)s->nmel * nb * sizeof(double));
    s->dct = s->nceps ? malloc((size_t)(s->nceps * s->nmel) * sizeof(double))
                      : NULL;
    if (!s->window || !s->mel || (s->nceps && !s->dct))
        return WEFT_ENOMEM;
    memcpy(s->window, d->window, (size_t)s->fl * sizeof(double));
    memcpy(s->mel, d->mel, (size_t)s->nmel * nb * sizeof(double));
    for (int i = 0; i < s->nceps; i++)
        for (int j = 0; j < s->nmel; j++)
            s->dct[i * s->nmel + j] =
                d->dct[i * s->nmel + j] * (d->lifter ? d->lifter[i] : 1.0);
    return 0;
}

static int cpu_init(weft_k_mfcc_plan *p)
{
    int n = p->s.nfft;

    p->pow2 = (n & (n - 1)) == 0;
    p->tw_re = malloc((size_t)n * sizeof(double));
    p->tw_im = malloc((size_t)n * sizeof(double));
    p->rev = p->pow2 ? malloc((size_t)n * sizeof(int32_t)) : NULL;
    p->re = malloc((size_t)n * sizeof(double));
    p->im = malloc((size_t)n * sizeof(double));
    p->spec = malloc((size_t)p->s.nbins * sizeof(double));
    p->lmel = malloc((size_t)p->s.nmel * sizeof(double));
    if (!p->tw_re || !p->tw_im || (p->pow2 && !p->rev) || !p->re || !p->im ||
        !p->spec || !p->lmel)
        return WEFT_ENOMEM;
    for (int t = 0; t < n; t++) {
        double a = 2.0 * M_PI * (double)t / (double)n;
        p->tw_re[t] = cos(a);
        p->tw_im[t] = -sin(a);
    }
    if (p->pow2) {
        int bits = 0;
        while ((1 << bits) < n)
            bits++;
        for (int t = 0; t < n; t++) {
            int r = 0;
            for (int b = 0; b < bits; b++)
                r |= ((t >> b) & 1) << (bits - 1 - b);
            p->rev[t] = r;
        }
    }
    return 0;
}

int weft_k_mfcc_plan_new(weft_kctx *ctx, const weft_k_mfcc_desc *desc,
                         int32_t max_frames, weft_k_mfcc_plan **out)
{
    weft_k_mfcc_plan *p;
    int rc;

    if (!out)
        return WEFT_EINVAL;
    *out = NULL;
    if (!ctx || !desc || max_frames < 1)
        return WEFT_EINVAL;
    p = calloc(1, sizeof *p);
    if (!p)
        return WEFT_ENOMEM;
    p->ctx = ctx;
    p->max_frames = max_frames;
    rc = spec_init(&p->s, desc);
    if (rc < 0)
        goto fail;
#ifdef WEFT_HAVE_CUDA
    if (ctx->cuda) {
        rc = weft__kmfcc_cuda_new(ctx->cuda, &p->s, max_frames, &p->cuda,
                                  ctx->last_error);
        if (rc < 0)
            goto fail;
        *out = p;
        return 0;
    }
#endif
    rc = cpu_init(p);
    if (rc < 0)
        goto fail;
    *out = p;
    return 0;
fail:
    weft_k_mfcc_plan_free(p);
    return rc;
}

void weft_k_mfcc_plan_free(weft_k_mfcc_plan *p)
{
    if (!p)
        return;
#ifdef WEFT_HAVE_CUDA
    if (p->cuda)
        weft__kmfcc_cuda_free(p->ctx->cuda, p->cuda);
#endif
    free(p->s.window);
    free(p->s.mel);
    free(p->s.dct);
    free(p->tw_re);
    free(p->tw_im);
    free(p->rev);
    free(p->re);
    free(p->im);
    free(p->spec);
    free(p->lmel);
    free(p);
}

int32_t weft_k_mfcc_plan_dim(const weft_k_mfcc_plan *p)
{
    return p ? p->s.dim : 0;
}

int32_t weft_k_mfcc_plan_max_frames(const weft_k_mfcc_plan *p)
{
    return p ? p->max_frames : 0;
}

/* ------------------------------------------------------------- CPU */

/* In-place radix-2 complex FFT of nfft points (nfft a power of two). */
static void fft_pow2(const weft_k_mfcc_plan *p, double *re, double *im)
{
    int n = p->s.nfft;

    for (int t = 0; t < n; t++) {
        int r = p->rev[t];
        if (r > t) {
            double a = re[t], b = im[t];
            re[t] = re[r], im[t] = im[r];
            re[r] = a, im[r] = b;
        }
    }
    for (int len = 2; len <= n; len *= 2) {
        int half = len / 2, step = n / len;
        for (int b = 0; b < n; b += len)
            for (int j = 0; j < half; j++) {
                double wr = p->tw_re[j * step], wi = p->tw_im[j * step];
                double xr = re[b + j + half], xi = im[b + j + half];
                double tr = xr * wr - xi * wi, ti = xr * wi + xi * wr;
                re[b + j + half] = re[b + j] - tr;
                im[b + j + half] = im[b + j] - ti;
                re[b + j] += tr;
                im[b + j] += ti;
            }
    }
}

static void cpu_frame(weft_k_mfcc_plan *p, const float *x, float *row)
{
    const weft__kmfcc_spec *s = &p->s;
    int fl = s->fl, nb = s->nbins, nm = s->nmel;
    double *re = p->re, *im = p->im, *S = p->spec, *L = p->lmel;
    double sum = 0, mean, prev, energy = 0;
    float scale = (float)s->scale;

    /* Scale in float, as the plugin does when samples arrive. */
    for (int t = 0; t < fl; t++) {
        re[t] = (double)(x[t] * scale);
        sum += re[t];
    }
    mean = s->dc ? sum / (double)fl : 0;
    prev = re[0] - mean;
    for (int t = 0; t < fl; t++) {
        double v = re[t] - mean, y = v;
        if (s->energy == WEFT_K_MFCC_ENERGY_RAW)
            energy += v * v;
        if (s->pre != 0)
            y = v - s->pre * prev;
        prev = v;
        y *= s->window[t];
        if (s->energy == WEFT_K_MFCC_ENERGY_WINDOWED)
            energy += y * y;
        re[t] = y;
    }
    for (int t = fl; t < s->nfft; t++)
        re[t] = 0;
    if (p->pow2) {
        memset(im, 0, (size_t)s->nfft * sizeof *im);
        fft_pow2(p, re, im);
        for (int k = 0; k < nb; k++)
            S[k] = re[k] * re[k] + im[k] * im[k];
    } else {
        for (int k = 0; k < nb; k++) {
            double a = 0, b = 0;
            for (int t = 0; t < fl; t++) {
                int i = (int)(((int64_t)k * t) % s->nfft);
                a += re[t] * p->tw_re[i];
                b += re[t] * p->tw_im[i];
            }
            S[k] = a * a + b * b;
        }
    }
    for (int k = 0; k < nb; k++) {
        if (s->spectrum == WEFT_K_MFCC_MAGNITUDE)
            S[k] = sqrt(S[k]);
        else if (s->spectrum == WEFT_K_MFCC_POWER_SCALED)
            S[k] *= 1.0 / (double)s->nfft;
        if (s->energy == WEFT_K_MFCC_ENERGY_SPECTRUM)
            energy += S[k];
    }
    for (int j = 0; j < nm; j++) {
        const double *w = s->mel + (size_t)j * nb;
        double acc = 0;
        for (int k = 0; k < nb; k++)
            if (w[k] != 0)
                acc += w[k] * S[k];
        L[j] = s->log_type == WEFT_K_MFCC_LOG_DB
                   ? 10.0 * log10(fmax(acc, s->floor))
                   : log(fmax(acc, s->floor));
    }
    energy = fmax(log(fmax(energy, s->floor)), s->log_energy_floor);
    if (!s->nceps) {
        int off = s->energy && !s->energy_last ? 1 : 0;
        for (int j = 0; j < nm; j++)
            row[off + j] = (float)L[j];
        if (s->energy)
            row[s->energy_last ? nm : 0] = (float)energy;
        return;
    }
    for (int i = 0; i < s->nceps; i++) {
        const double *d = s->dct + (size_t)i * nm;
        double acc = 0;
        for (int j = 0; j < nm; j++)
            acc += d[j] * L[j];
        row[i] = (float)acc;
    }
    if (s->energy)
        row[0] = (float)energy;
    if (s->energy_last) {
        float c0 = row[0];
        memmove(row, row + 1, (size_t)(s->nceps - 1) * sizeof *row);
        row[s->nceps - 1] = c0;
    }
}

int weft_k_mfcc_run(weft_k_mfcc_plan *p, const float *samples,
                    const int64_t *offsets, int32_t n_frames, float *out,
                    int64_t ldo)
{
    if (!p || n_frames < 0 || n_frames > p->max_frames)
        return WEFT_EINVAL;
    if (!n_frames)
        return 0;
    if (!samples || !offsets || !out || ldo < p->s.dim)
        return WEFT_EINVAL;
#ifdef WEFT_HAVE_CUDA
    if (p->cuda)
        return weft__kmfcc_cuda_run(p->ctx->cuda, p->cuda, &p->s, samples,
                                    offsets, n_frames, out, (long long)ldo,
                                    p->ctx->last_error);
#endif
    for (int32_t f = 0; f < n_frames; f++)
        cpu_frame(p, samples + offsets[f], out + (int64_t)f * ldo);
    return 0;
}
