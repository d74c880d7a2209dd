/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * feat-compute.c: the per-frame work, FEAT_LANES frames at a time with one
 * frame per SIMD lane (GCC vector extensions): DC removal, energy,
 * pre-emphasis, window, a real FFT (a complex Stockham FFT of half the
 * size plus the split step), power, mel filters as sparse ranges, log, and
 * the DCT with the lifter folded in.
 *
 * Every lane runs the same instruction sequence, so a frame's result does
 * not depend on its lane or on the other frames of the batch: that is what
 * keeps the node's output bit-identical for any chunking. On x86-64 the
 * batch function is built twice (AVX2+FMA and baseline) and picked once per
 * process by the loader (ifunc), so one process always uses one of them.
 */
#include "feat-internal.h"

#include <math.h>
#include <string.h>

/* Double lanes: a float32 FFT loses bins lying 60 dB or more below the
 * frame's loudest (Kaldi's low mel bins on voiced speech) to rounding, by
 * more than the 1e-4 parity tolerance; in double the error stays near
 * float's own rounding. Inputs and outputs stay float. */
typedef double v8 __attribute__((vector_size(64), aligned(64)));

#define ALWAYS_INLINE static inline __attribute__((always_inline))

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && \
    !defined(__SANITIZE_ADDRESS__)
#define FEAT_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define FEAT_CLONES
#endif

/* Scratch layout (in v8 units): x[nfft], re/im ping-pong [4 * nfft/2 + 4],
 * power[nbins], logmel[nmel]. */
size_t feat_plan_scratch_size(const feat_plan *p)
{
    size_t n = (size_t)p->nfft + 2 * (size_t)p->nfft + 8 +
               (size_t)p->nbins + (size_t)p->nmel + 8;
    return n * sizeof(v8);
}

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* Gaussian dither from a generator seeded by (seed, frame index): the noise
 * of a frame is the same whatever the chunking. */
static void add_dither(const feat_plan *p, double *x, int lane,
                       int64_t frame_index)
{
    uint64_t s = p->o.seed ^ ((uint64_t)frame_index * 0xd1b54a32d192ed03u);
    for (int64_t t = 0; t < p->fl; t += 2) {
        double u1 = ((double)(splitmix(&s) >> 11) + 1.0) * 0x1p-53;
        double u2 = (double)(splitmix(&s) >> 11) * 0x1p-53;
        double r = sqrt(-2.0 * log(u1)), a = 2.0 * M_PI * u2;
        x[t * FEAT_LANES + lane] += p->o.dither * r * cos(a);
        if (t + 1 < p->fl)
            x[(t + 1) * FEAT_LANES + lane] += p->o.dither * r * sin(a);
    }
}

/* Complex FFT of m points by Stockham autosort, radix 2: no bit reversal,
 * every pass reads x and writes y with unit-stride inner loops. Returns the
 * array holding the result (x or y). */
ALWAYS_INLINE v8 *cfft(const feat_plan *p, int64_t m, v8 *xr, v8 *xi, v8 *yr,
                       v8 *yi, v8 **res_im)
{
    int64_t s = 1;
    for (int64_t n = m; n > 1; n /= 2) {
        int64_t h = n / 2;
        if (s == 1) {
            for (int64_t q = 0; q < h; q++) {
                v8 ar = xr[q], ai = xi[q], br = xr[q + h], bi = xi[q + h];
                double wr = p->tw_re[q], wi = p->tw_im[q];
                v8 dr = ar - br, di = ai - bi;
                yr[2 * q] = ar + br;
                yi[2 * q] = ai + bi;
                yr[2 * q + 1] = dr * wr - di * wi;
                yi[2 * q + 1] = dr * wi + di * wr;
            }
        } else {
            for (int64_t q = 0; q < h; q++) {
                double wr = p->tw_re[q * s], wi = p->tw_im[q * s];
                const v8 *ar = xr + s * q, *ai = xi + s * q;
                const v8 *br = xr + s * (q + h), *bi = xi + s * (q + h);
                v8 *y0r = yr + s * 2 * q, *y0i = yi + s * 2 * q;
                v8 *y1r = y0r + s, *y1i = y0i + s;
                for (int64_t k = 0; k < s; k++) {
                    v8 dr = ar[k] - br[k], di = ai[k] - bi[k];
                    y0r[k] = ar[k] + br[k];
                    y0i[k] = ai[k] + bi[k];
                    y1r[k] = dr * wr - di * wi;
                    y1i[k] = dr * wi + di * wr;
                }
            }
        }
        s *= 2;
        v8 *t = xr;
        xr = yr;
        yr = t;
        t = xi;
        xi = yi;
        yi = t;
    }
    *res_im = xi;
    return xr;
}

/* Power spectrum of the real frames in x (nfft samples each). */
ALWAYS_INLINE void power_spectrum(const feat_plan *p, v8 *x, v8 *work,
                                  v8 *pw)
{
    int64_t n = p->nfft, m = n / 2;

    if (p->pow2) {
        v8 *xr = work, *xi = work + m, *yr = work + 2 * m, *yi = work + 3 * m;
        v8 *zr, *zi;
        for (int64_t k = 0; k < m; k++) {
            xr[k] = x[2 * k];
            xi[k] = x[2 * k + 1];
        }
        zr = cfft(p, m, xr, xi, yr, yi, &zi);
        pw[0] = (zr[0] + zi[0]) * (zr[0] + zi[0]);
        pw[m] = (zr[0] - zi[0]) * (zr[0] - zi[0]);
        for (int64_t k = 1; k < m; k++) {
            v8 ar = zr[k], ai = zi[k], br = zr[m - k], bi = -zi[m - k];
            v8 er = (ar + br) * 0.5, ei = (ai + bi) * 0.5;
            v8 orr = (ai - bi) * 0.5, oi = (br - ar) * 0.5;
            double cr = p->post_re[k], ci = p->post_im[k];
            v8 re = er + cr * orr - ci * oi;
            v8 im = ei + cr * oi + ci * orr;
            pw[k] = re * re + im * im;
        }
        return;
    }
    for (int64_t k = 0; k < p->nbins; k++) {
        const double *c = p->dft_cos + k * p->fl, *s = p->dft_sin + k * p->fl;
        v8 re = { 0 }, im = { 0 };
        for (int64_t t = 0; t < p->fl; t++) {
            re += x[t] * c[t];
            im += x[t] * s[t];
        }
        pw[k] = re * re + im * im;
    }
}

FEAT_CLONES
static void compute_batch(const feat_plan *p, const float *const *frames,
                          const int64_t *frame_index, int n, float *out,
                          void *scratch)
{
    const feat_opts *o = &p->o;
    int64_t fl = p->fl, nfft = p->nfft, nb = p->nbins, nm = p->nmel;
    v8 *x = scratch, *work = x + nfft, *pw = work + 2 * nfft + 8;
    v8 *lm = pw + nb;
    v8 energy = { 0 };
    double pre = o->preemphasis;
    double *xf = (double *)x;

    /* Gather, transposed: sample t of lane l at x[t][l]. */
    for (int l = 0; l < FEAT_LANES; l++) {
        const float *f = l < n ? frames[l] : NULL;
        for (int64_t t = 0; t < fl; t++)
            xf[t * FEAT_LANES + l] = f ? f[t] : 0.0f;
    }
    if (o->dither != 0)
        for (int l = 0; l < n; l++)
            add_dither(p, xf, l, frame_index[l]);
    if (o->remove_dc_offset) {
        v8 sum = { 0 };
        for (int64_t t = 0; t < fl; t++)
            sum += x[t];
        sum = sum / (double)fl;
        for (int64_t t = 0; t < fl; t++)
            x[t] -= sum;
    }
    if (o->use_energy && o->raw_energy && !o->energy_from_spectrum)
        for (int64_t t = 0; t < fl; t++)
            energy += x[t] * x[t];
    if (pre != 0 && !o->preemph_signal) {
        for (int64_t t = fl - 1; t > 0; t--)
            x[t] -= pre * x[t - 1];
        x[0] -= pre * x[0];
    }
    for (int64_t t = 0; t < fl; t++)
        x[t] *= (double)p->window[t];
    if (o->use_energy && !o->raw_energy && !o->energy_from_spectrum)
        for (int64_t t = 0; t < fl; t++)
            energy += x[t] * x[t];
    for (int64_t t = fl; t < nfft; t++)
        x[t] = (v8){ 0 };

    power_spectrum(p, x, work, pw);
    if (o->spectrum == FEAT_SPEC_MAGNITUDE) {
        double *q = (double *)pw;
        for (int64_t k = 0; k < nb * FEAT_LANES; k++)
            q[k] = sqrt(q[k]);
    } else if (o->spectrum == FEAT_SPEC_POWER_SCALED) {
        double sc = 1.0 / (double)nfft;
        for (int64_t k = 0; k < nb; k++)
            pw[k] *= sc;
    }
    if (o->use_energy && o->energy_from_spectrum)
        for (int64_t k = 0; k < nb; k++)
            energy += pw[k];

    for (int64_t j = 0; j < nm; j++) {
        const double *w = p->mel_w + p->mel_off[j];
        const v8 *src = pw + p->mel_lo[j];
        v8 acc = { 0 };
        for (int64_t k = 0; k < p->mel_len[j]; k++)
            acc += w[k] * src[k];
        lm[j] = acc;
    }
    {
        double *q = (double *)lm, fl0 = p->log_floor;
        if (o->log_type == FEAT_LOG_DB)
            for (int64_t k = 0; k < nm * FEAT_LANES; k++)
                q[k] = 10.0 * log10(fmax(q[k], fl0));
        else
            for (int64_t k = 0; k < nm * FEAT_LANES; k++)
                q[k] = log(fmax(q[k], fl0));
    }
    {
        double *e = (double *)&energy;
        for (int l = 0; l < FEAT_LANES; l++) {
            double v = log(fmax(e[l], p->log_floor));
            e[l] = fmax(v, p->log_energy_floor);
        }
    }

    if (p->needs_finish) {
        /* Held for the top_db clamp at the segment's end: log-mel, then
         * the log energy. */
        const double *q = (const double *)lm, *e = (const double *)&energy;
        for (int l = 0; l < n; l++) {
            float *r = out + (int64_t)l * p->static_dim;
            for (int64_t j = 0; j < nm; j++)
                r[j] = (float)q[j * FEAT_LANES + l];
            r[nm] = (float)e[l];
        }
        return;
    }
    if (!o->mfcc) {
        const double *q = (const double *)lm, *e = (const double *)&energy;
        int64_t off = o->use_energy && !o->htk_compat ? 1 : 0;
        for (int l = 0; l < n; l++) {
            float *r = out + (int64_t)l * p->static_dim;
            for (int64_t j = 0; j < nm; j++)
                r[off + j] = (float)q[j * FEAT_LANES + l];
            if (o->use_energy)
                r[o->htk_compat ? nm : 0] = (float)e[l];
        }
        return;
    }
    {
        int64_t nc = p->nceps;
        v8 *cc = pw; /* the power spectrum is no longer needed */
        const double *q, *e = (const double *)&energy;
        for (int64_t i = 0; i < nc; i++) {
            const double *d = p->dct + i * nm;
            v8 acc = { 0 };
            for (int64_t j = 0; j < nm; j++)
                acc += d[j] * lm[j];
            cc[i] = acc;
        }
        q = (const double *)cc;
        for (int l = 0; l < n; l++) {
            float *r = out + (int64_t)l * p->static_dim;
            for (int64_t i = 0; i < nc; i++)
                r[i] = (float)q[i * FEAT_LANES + l];
            if (o->use_energy)
                r[0] = (float)e[l];
            if (o->htk_compat) {
                float c0 = r[0];
                memmove(r, r + 1, (size_t)(nc - 1) * sizeof *r);
                r[nc - 1] = c0;
            }
        }
    }
}

void feat_frames_compute(const feat_plan *p, const float *const *frames,
                         const int64_t *frame_index, int n, float *out,
                         void *scratch)
{
    compute_batch(p, frames, frame_index, n, out, scratch);
}

void feat_rows_finish(const feat_plan *p, const float *in, int64_t rows,
                      float max_db, float *out)
{
    const feat_opts *o = &p->o;
    int64_t nm = p->nmel, sd = p->static_dim, bd = p->base_dim;
    float lo = max_db - (float)o->top_db;
    float tmp[4096];

    for (int64_t r = 0; r < rows; r++) {
        const float *src = in + r * sd;
        float *dst = out + r * bd, e = src[nm];
        const float *lm = tmp;
        for (int64_t j = 0; j < nm && j < 4096; j++)
            tmp[j] = fmaxf(src[j], lo);
        if (!o->mfcc) {
            int64_t off = o->use_energy && !o->htk_compat ? 1 : 0;
            memcpy(dst + off, lm, (size_t)nm * sizeof *dst);
            if (o->use_energy)
                dst[o->htk_compat ? nm : 0] = e;
            continue;
        }
        for (int64_t i = 0; i < p->nceps; i++) {
            const double *d = p->dct + i * nm;
            double acc = 0;
            for (int64_t j = 0; j < nm; j++)
                acc += d[j] * lm[j];
            dst[i] = (float)acc;
        }
        if (o->use_energy)
            dst[0] = e;
        if (o->htk_compat) {
            float c0 = dst[0];
            memmove(dst, dst + 1, (size_t)(p->nceps - 1) * sizeof *dst);
            dst[p->nceps - 1] = c0;
        }
    }
}
