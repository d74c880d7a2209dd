/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tests/kernels/mfcc-util.h: what the batched feature op's tests share:
 * a weft_k_mfcc_desc made from the mfcc plugin's plan (so the op runs with
 * exactly the tables the node uses), test signals, and the comparison.
 *
 * Tolerance. Both references (the plugin, the op's CPU backend) work in
 * double; the CUDA backend in float. A float FFT's error is bounded by the
 * size of the frame's whole spectrum, not by each bin's: with
 * S = fft_size * sum_t y[t]^2 (= sum_k |Y[k]|^2 over the full spectrum,
 * Parseval; its square root for a magnitude spectrum, S / fft_size when the
 * power is scaled), |dS_k| <= tau_e * S, so a mel energy
 * E_j = sum_k w_jk S_k moves by at most tau_e * S * W_j (W_j = sum_k w_jk)
 * and its log by
 *   bL_j = kappa * log1p(tau_e * S * W_j / max(E_j, floor))
 *          + tau_r |L_j| + tau_a                  (kappa: 1, or 10/ln 10)
 * where the last two terms cover the float log and the rounding of the
 * rows to float. A cepstrum c_i = sum_j D_ij L_j gets
 * sum_j |D_ij| (bL_j + tau_r |L_j|) + tau_a (the second term for the
 * GEMM's own rounding, as kutil.h's GEMM bound). An energy column gets
 * tau_r |e| + tau_a, plus log1p(tau_e * S * nbins / max(e_lin, floor))
 * when it is summed from the spectrum.
 *
 * Values: float32 FFTs (cuFFT) keep ||dY|| / ||Y|| to a few times 1e-7 for
 * these sizes, so |dS_k| <= 2 |Y_k| |dY_k| stays below ~1e-6 S: tau_e =
 * 1e-5 leaves a margin of ~10x, yet a loud bin of white noise
 * (E_j ~ S W_j / fft_size) must agree to ~5e-3 in the log and a tonal bin
 * far closer, which catches a wrong window, scale, bin or filter. Quiet
 * bins (60 dB and more below the frame's total) get a wide bound: that is
 * float arithmetic, not a bug, and why the plugin's CPU path is double.
 * Between two double paths tau_e is 1e-12.
 */
#ifndef WEFT_TEST_MFCC_UTIL_H
#define WEFT_TEST_MFCC_UTIL_H

#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <weft/features.h>

#include "feat-internal.h"
#include "kutil.h"

typedef struct mtest_case {
    const char *name;
    int preset;
    bool mfcc;
    bool pow2; /* round the FFT to a power of two */
} mtest_case;

static const mtest_case mtest_cases[] = {
    { "kaldi-mfcc", FEAT_PRESET_KALDI, true, true },
    { "kaldi-fbank", FEAT_PRESET_KALDI, false, true },
    { "kaldi-mfcc-fft400", FEAT_PRESET_KALDI, true, false },
    { "htk-mfcc", FEAT_PRESET_HTK, true, true },
    { "psf-mfcc", FEAT_PRESET_PSF, true, true },
    { "librosa-fbank-db", FEAT_PRESET_LIBROSA, false, true },
};
#define MTEST_NCASES (int)(sizeof mtest_cases / sizeof mtest_cases[0])

/* The plugin's plan and the matching desc (tables owned by *mel_out). */
typedef struct mtest_setup {
    feat_plan *fp;
    weft_k_mfcc_desc d;
    double *mel;
    double *wsum; /* [nmel]: sum_k |w_jk| */
} mtest_setup;

static inline void mtest_setup_new(const mtest_case *c, mtest_setup *m)
{
    feat_opts o;
    char err[256];
    feat_plan *p;

    feat_opts_preset(&o, c->preset, c->mfcc);
    o.top_db = 0; /* a whole-signal clamp: not part of the op */
    o.round_to_power_of_two = c->pow2;
    if (feat_plan_new(&o, 16000, &p, err, sizeof err) < 0) {
        fprintf(stderr, "feat_plan_new(%s): %s\n", c->name, err);
        abort();
    }
    memset(m, 0, sizeof *m);
    m->fp = p;
    m->mel = calloc((size_t)(p->nmel * p->nbins), sizeof(double));
    m->wsum = calloc((size_t)p->nmel, sizeof(double));
    for (int64_t j = 0; j < p->nmel; j++)
        for (int64_t k = 0; k < p->mel_len[j]; k++) {
            double w = p->mel_w[p->mel_off[j] + k];
            m->mel[j * p->nbins + p->mel_lo[j] + k] = w;
            m->wsum[j] += fabs(w);
        }
    m->d.struct_size = sizeof m->d;
    m->d.frame_length = (int32_t)p->fl;
    m->d.fft_size = (int32_t)p->nfft;
    m->d.num_mel_bins = (int32_t)p->nmel;
    m->d.num_ceps = (int32_t)p->nceps;
    m->d.sample_scale = o.sample_scale;
    m->d.remove_dc_offset = o.remove_dc_offset;
    m->d.preemphasis = o.preemph_signal ? 0 : o.preemphasis;
    m->d.window = p->window;
    m->d.spectrum = o.spectrum == FEAT_SPEC_MAGNITUDE ? WEFT_K_MFCC_MAGNITUDE
                    : o.spectrum == FEAT_SPEC_POWER_SCALED
                        ? WEFT_K_MFCC_POWER_SCALED
                        : WEFT_K_MFCC_POWER;
    m->d.mel = m->mel;
    m->d.log_type = o.log_type == FEAT_LOG_DB ? WEFT_K_MFCC_LOG_DB
                                              : WEFT_K_MFCC_LOG_LN;
    m->d.log_floor = o.log_floor;
    m->d.dct = c->mfcc ? p->dct : NULL;
    m->d.lifter = NULL; /* folded into the plugin's DCT */
    m->d.energy = !o.use_energy ? WEFT_K_MFCC_ENERGY_NONE
                  : o.energy_from_spectrum ? WEFT_K_MFCC_ENERGY_SPECTRUM
                  : o.raw_energy ? WEFT_K_MFCC_ENERGY_RAW
                                 : WEFT_K_MFCC_ENERGY_WINDOWED;
    m->d.energy_floor = o.energy_floor;
    m->d.energy_last = o.htk_compat;
}

static inline void mtest_setup_free(mtest_setup *m)
{
    feat_plan_free(m->fp);
    free(m->mel);
    free(m->wsum);
}

/*
 * A sample buffer of @len floats in [-1, 1] made of regions of different
 * kinds (white noise of random level, a sine over a -100 dB noise floor,
 * silence, a DC offset with faint noise, a clipped sine, three sines), and
 * @n frame offsets drawn in it (frames overlap and cross regions).
 */
static inline void mtest_signal(krng *r, float *x, int64_t len, int64_t fl,
                                int64_t *off, int32_t n)
{
    int64_t region = 4000;
    for (int64_t s = 0; s < len; s += region) {
        int kind = (int)(krng_next(r) % 6);
        double amp = pow(10.0, -4.0 * (krng_float(r) + 1) / 2); /* 1e-4..1 */
        double f1 = 50 + 7000 * (krng_float(r) + 1) / 2, f2 = f1 * 1.37,
               f3 = f1 * 0.41, ph = krng_float(r) * M_PI;
        for (int64_t t = s; t < s + region && t < len; t++) {
            double w = 2 * M_PI * (double)t / 16000, v;
            switch (kind) {
            case 0: v = amp * krng_float(r); break;
            case 1: v = 0.5 * sin(f1 * w + ph) + 1e-5 * krng_float(r); break;
            case 2: v = 0; break;
            case 3: v = 0.5 + 1e-4 * krng_float(r); break;
            case 4: v = fmax(-1, fmin(1, 4 * sin(f1 * w + ph))); break;
            default:
                v = 0.3 * sin(f1 * w) + 0.2 * sin(f2 * w + ph) +
                    0.1 * sin(f3 * w) + 1e-6 * krng_float(r);
                break;
            }
            x[t] = (float)v;
        }
    }
    for (int32_t f = 0; f < n; f++)
        off[f] = (int64_t)(krng_next(r) % (uint64_t)(len - fl + 1));
}

/* S of frame @x as the tolerance above defines it (double, from the
 * unscaled float samples as the op reads them). */
static inline double mtest_scale(const weft_k_mfcc_desc *d, const float *x)
{
    double sum = 0, mean, prev, e = 0;
    float sc = (float)d->sample_scale;
    for (int t = 0; t < d->frame_length; t++)
        sum += (double)(x[t] * sc);
    mean = d->remove_dc_offset ? sum / d->frame_length : 0;
    prev = (double)(x[0] * sc) - mean;
    for (int t = 0; t < d->frame_length; t++) {
        double v = (double)(x[t] * sc) - mean;
        double y = (v - d->preemphasis * prev) * d->window[t];
        prev = v;
        e += y * y;
    }
    e *= d->fft_size;
    if (d->spectrum == WEFT_K_MFCC_MAGNITUDE)
        return sqrt(e);
    if (d->spectrum == WEFT_K_MFCC_POWER_SCALED)
        return e / d->fft_size;
    return e;
}

typedef struct mtest_tol {
    double e, r, a; /* tau_e, tau_r, tau_a */
} mtest_tol;

/*
 * Compare @n rows of @got (ld @ldg) with @ref (ld dim) within the bound
 * above. @lmel: the reference log-mel rows [n][nmel] (an fbank run without
 * energy). Returns the worst |got - ref| / bound (<= 1 passes) and its
 * frame and column in *wf, *wc.
 */
static inline double mtest_compare(const mtest_setup *m, const float *x,
                                   const int64_t *off, int32_t n,
                                   const float *got, int64_t ldg,
                                   const float *ref, const float *lmel,
                                   mtest_tol tol, int32_t *wf, int32_t *wc)
{
    const weft_k_mfcc_desc *d = &m->d;
    int nm = d->num_mel_bins, nc = d->num_ceps;
    int nb = d->fft_size / 2 + 1;
    bool has_e = d->energy != WEFT_K_MFCC_ENERGY_NONE;
    int dim = nc ? nc : nm + has_e;
    double kappa = d->log_type == WEFT_K_MFCC_LOG_DB ? 10 / log(10.0) : 1;
    double floor_ = (float)(d->log_floor > 0 ? d->log_floor : FLT_MIN);
    double worst = 0, *bl = malloc((size_t)nm * sizeof *bl);

    *wf = *wc = -1;
    for (int32_t f = 0; f < n; f++) {
        const float *l = lmel + (size_t)f * nm;
        double S = mtest_scale(d, x + off[f]);
        for (int j = 0; j < nm; j++) {
            double ej = kappa == 1 ? exp(l[j]) : pow(10.0, l[j] / 10);
            ej = fmax(ej, floor_);
            bl[j] = kappa * log1p(tol.e * S * m->wsum[j] / ej) +
                    tol.r * fabs(l[j]) + tol.a;
        }
        for (int c = 0; c < dim; c++) {
            /* Which quantity column c holds (see weft/features.h). */
            int src = c;
            bool energy;
            double b;
            if (nc) {
                if (d->energy_last)
                    src = c == nc - 1 ? 0 : c + 1;
                energy = has_e && src == 0;
            } else if (has_e) {
                energy = d->energy_last ? c == nm : c == 0;
                src = d->energy_last ? c : c - 1;
            } else {
                energy = false;
            }
            double g = got[(size_t)f * ldg + c], rv = ref[(size_t)f * dim + c];
            if (energy) {
                b = tol.r * fabs(rv) + tol.a;
                if (d->energy == WEFT_K_MFCC_ENERGY_SPECTRUM)
                    b += log1p(tol.e * S * nb / fmax(exp(rv), floor_));
            } else if (nc) {
                const double *D = d->dct + (size_t)src * nm;
                b = tol.a;
                for (int j = 0; j < nm; j++)
                    b += fabs(D[j]) * (bl[j] + tol.r * fabs(l[j]));
            } else {
                b = bl[src];
            }
            double dd = fabs(g - rv);
            double q = isnan(g) || isnan(rv) ? INFINITY : dd == 0 ? 0 : dd / b;
            if (q > worst || *wf < 0) {
                worst = q;
                *wf = f;
                *wc = c;
            }
        }
    }
    free(bl);
    return worst;
}

/* The log-mel rows the bound needs, from the op's CPU backend. */
static inline float *mtest_lmel(weft_kctx *cpu, const mtest_setup *m,
                                const float *x, const int64_t *off, int32_t n)
{
    weft_k_mfcc_desc d = m->d;
    weft_k_mfcc_plan *p;
    float *l = kalloc_f32((size_t)n * (size_t)d.num_mel_bins);
    d.num_ceps = 0;
    d.dct = NULL;
    d.energy = WEFT_K_MFCC_ENERGY_NONE;
    if (weft_k_mfcc_plan_new(cpu, &d, n, &p) < 0 ||
        weft_k_mfcc_run(p, x, off, n, l, d.num_mel_bins) < 0)
        abort();
    weft_k_mfcc_plan_free(p);
    return l;
}

#endif
