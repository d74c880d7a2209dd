/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * feat-plan.c: presets, option checks and the read-only tables of the
 * feature pipeline (window, FFT twiddles, mel filters, DCT, lifter).
 * Tables are computed in double and stored as float.
 */
#include "feat-internal.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const feat_preset_names[] = { "kaldi", "htk", "librosa",
                                          "python_speech_features", NULL };

void feat_opts_preset(feat_opts *o, int preset, bool mfcc)
{
    memset(o, 0, sizeof *o);
    o->mfcc = mfcc;
    o->frame_length = 0.025;
    o->frame_shift = 0.010;
    o->blackman_coeff = 0.42;
    o->round_to_power_of_two = true;
    o->spectrum = FEAT_SPEC_POWER;
    o->mel_scale = FEAT_MEL_HTK;
    o->mel_shape = FEAT_SHAPE_MEL;
    o->mel_norm = FEAT_NORM_NONE;
    o->log_type = FEAT_LOG_LN;
    o->dct_norm = FEAT_DCT_ORTHO;
    o->lifter_style = FEAT_LIFTER_KALDI;
    o->delta_window = 2;
    o->cmvn = FEAT_CMVN_NONE;
    o->cmvn_window = 600;
    o->sample_scale = 32768.0;
    o->preemphasis = 0.97;
    o->cepstral_lifter = 22;
    o->num_ceps = 13;
    switch (preset) {
    case FEAT_PRESET_HTK:
        o->edges = FEAT_EDGES_SNIP;
        o->window = FEAT_WIN_HAMMING;
        o->spectrum = FEAT_SPEC_MAGNITUDE;
        o->num_mel_bins = 26;
        o->log_floor = 1.0;
        o->dct_norm = FEAT_DCT_HTK;
        o->raw_energy = true;
        o->use_energy = false; /* MFCC_0: C0, not the energy */
        o->htk_compat = true;
        break;
    case FEAT_PRESET_LIBROSA:
        o->sample_scale = 1.0;
        o->frame_length_n = 2048;
        o->frame_shift_n = 512;
        o->edges = FEAT_EDGES_CENTER;
        o->preemphasis = 0;
        o->window = FEAT_WIN_HANN;
        o->window_periodic = true;
        o->num_mel_bins = 128;
        o->mel_scale = FEAT_MEL_SLANEY;
        o->mel_shape = FEAT_SHAPE_HZ;
        o->mel_norm = FEAT_NORM_SLANEY;
        o->log_type = FEAT_LOG_DB;
        o->log_floor = 1e-10;
        o->top_db = 80;
        o->num_ceps = 20;
        o->cepstral_lifter = 0;
        o->lifter_style = FEAT_LIFTER_LIBROSA;
        break;
    case FEAT_PRESET_PSF:
        o->edges = FEAT_EDGES_PAD_END;
        o->preemph_signal = true;
        o->window = FEAT_WIN_RECTANGULAR;
        o->spectrum = FEAT_SPEC_POWER_SCALED;
        o->num_mel_bins = 26;
        o->mel_shape = FEAT_SHAPE_FFT_BINS;
        o->log_floor = DBL_EPSILON;
        o->use_energy = mfcc;
        o->energy_from_spectrum = true;
        break;
    default: /* kaldi */
        o->edges = FEAT_EDGES_SNIP;
        o->remove_dc_offset = true;
        o->window = FEAT_WIN_POVEY;
        o->num_mel_bins = 23;
        o->low_freq = 20;
        o->log_floor = FLT_EPSILON;
        o->use_energy = mfcc; /* compute-mfcc-feats: true; -fbank-feats: false */
        o->raw_energy = true;
        break;
    }
}

static double mel_of(int scale, double f)
{
    if (scale == FEAT_MEL_HTK)
        return 1127.0 * log(1.0 + f / 700.0);
    /* Slaney's Auditory Toolbox, as librosa writes it: linear below 1 kHz,
     * logarithmic above. */
    if (f < 1000.0)
        return f / (200.0 / 3);
    return 15.0 + log(f / 1000.0) / (log(6.4) / 27.0);
}

static double hz_of(int scale, double m)
{
    if (scale == FEAT_MEL_HTK)
        return 700.0 * (exp(m / 1127.0) - 1.0);
    if (m < 15.0)
        return m * (200.0 / 3);
    return 1000.0 * exp((log(6.4) / 27.0) * (m - 15.0));
}

/* numpy.linspace, element by element as numpy computes it, so that
 * python_speech_features' floor() of the filter edges lands on the same
 * bins. */
static double linspace_at(double a, double b, int64_t num, int64_t i)
{
    if (i == num - 1)
        return b;
    return a + (double)i * ((b - a) / (double)(num - 1));
}

static int build_window(feat_plan *p)
{
    const feat_opts *o = &p->o;
    int64_t wl = p->win_len, off = (p->fl - wl) / 2;
    double denom = o->window_periodic ? (double)wl : (double)(wl - 1);

    p->window = calloc((size_t)p->fl, sizeof *p->window);
    if (!p->window)
        return WEFT_ENOMEM;
    for (int64_t i = 0; i < wl; i++) {
        double a = denom > 0 ? 2.0 * M_PI * (double)i / denom : 0, w;
        switch (o->window) {
        case FEAT_WIN_POVEY:
            w = pow(0.5 - 0.5 * cos(a), 0.85);
            break;
        case FEAT_WIN_HAMMING:
            w = 0.54 - 0.46 * cos(a);
            break;
        case FEAT_WIN_HANN:
            w = 0.5 - 0.5 * cos(a);
            break;
        case FEAT_WIN_BLACKMAN:
            w = o->blackman_coeff - 0.5 * cos(a) +
                (0.5 - o->blackman_coeff) * cos(2 * a);
            break;
        default:
            w = 1.0;
            break;
        }
        p->window[off + i] = w;
    }
    return 0;
}

/* Mel filters as one dense matrix in double first (easy to get right), then
 * stored as sparse ranges [lo, lo + len) per filter. */
static int build_mel(feat_plan *p, char *err, size_t errlen)
{
    const feat_opts *o = &p->o;
    int64_t nb = p->nbins, nm = p->nmel;
    double nyq = p->rate / 2, lo = o->low_freq;
    double hi = o->high_freq <= 0 ? nyq + o->high_freq : o->high_freq;
    double *w = calloc((size_t)(nb * nm), sizeof *w);
    size_t total = 0;
    int ret = 0;

    if (!w)
        return WEFT_ENOMEM;
    if (!(lo >= 0 && lo < hi && hi <= nyq)) {
        snprintf(err, errlen, "need 0 <= low_freq < high_freq <= Nyquist "
                 "(%g Hz); got low %g Hz, high %g Hz", nyq, lo, hi);
        ret = WEFT_ERANGE;
        goto out;
    }
    if (o->mel_shape == FEAT_SHAPE_MEL) {
        /* Kaldi (MelBanks) and HTK: triangles linear in mel, over the bins
         * below Nyquist. */
        double ml = mel_of(o->mel_scale, lo), mh = mel_of(o->mel_scale, hi);
        double d = (mh - ml) / (double)(nm + 1);
        double bw = p->rate / (double)p->nfft;
        for (int64_t j = 0; j < nm; j++) {
            double l = ml + (double)j * d, c = ml + (double)(j + 1) * d;
            double r = ml + (double)(j + 2) * d;
            for (int64_t k = 0; k < p->nfft / 2; k++) {
                double m = mel_of(o->mel_scale, bw * (double)k);
                if (m > l && m < r)
                    w[j * nb + k] = m <= c ? (m - l) / (c - l)
                                           : (r - m) / (r - c);
            }
        }
    } else if (o->mel_shape == FEAT_SHAPE_HZ) {
        /* librosa.filters.mel: triangles linear in Hz between mel-spaced
         * corner frequencies, over every bin up to Nyquist. */
        double ml = mel_of(o->mel_scale, lo), mh = mel_of(o->mel_scale, hi);
        double *f = malloc((size_t)(nm + 2) * sizeof *f);
        if (!f) {
            ret = WEFT_ENOMEM;
            goto out;
        }
        for (int64_t i = 0; i < nm + 2; i++)
            f[i] = hz_of(o->mel_scale, linspace_at(ml, mh, nm + 2, i));
        for (int64_t j = 0; j < nm; j++) {
            double enorm = o->mel_norm == FEAT_NORM_SLANEY
                               ? 2.0 / (f[j + 2] - f[j]) : 1.0;
            for (int64_t k = 0; k < nb; k++) {
                double fk = linspace_at(0, nyq, nb, k);
                double lower = (fk - f[j]) / (f[j + 1] - f[j]);
                double upper = (f[j + 2] - fk) / (f[j + 2] - f[j + 1]);
                double v = fmin(lower, upper);
                w[j * nb + k] = v > 0 ? v * enorm : 0;
            }
        }
        free(f);
    } else {
        /* python_speech_features.get_filterbanks: corners rounded down to
         * FFT bins, with its own mel formula (2595 log10). */
        double ml = 2595.0 * log10(1.0 + lo / 700.0);
        double mh = 2595.0 * log10(1.0 + hi / 700.0);
        int64_t *bin = malloc((size_t)(nm + 2) * sizeof *bin);
        if (!bin) {
            ret = WEFT_ENOMEM;
            goto out;
        }
        for (int64_t i = 0; i < nm + 2; i++) {
            double hz = 700.0 *
                        (pow(10.0, linspace_at(ml, mh, nm + 2, i) / 2595.0) - 1);
            bin[i] = (int64_t)floor((double)(p->nfft + 1) * hz / p->rate);
        }
        for (int64_t j = 0; j < nm; j++) {
            for (int64_t k = bin[j]; k < bin[j + 1] && k < nb; k++)
                w[j * nb + k] = (double)(k - bin[j]) /
                                (double)(bin[j + 1] - bin[j]);
            for (int64_t k = bin[j + 1]; k < bin[j + 2] && k < nb; k++)
                w[j * nb + k] = (double)(bin[j + 2] - k) /
                                (double)(bin[j + 2] - bin[j + 1]);
        }
        free(bin);
    }
    if (o->mel_norm == FEAT_NORM_SLANEY && o->mel_shape != FEAT_SHAPE_HZ) {
        /* Area normalisation for the other shapes: each filter sums to 1
         * per Hz of its support, as Slaney's does. */
        for (int64_t j = 0; j < nm; j++) {
            int64_t a = -1, b = -1;
            for (int64_t k = 0; k < nb; k++)
                if (w[j * nb + k] != 0) {
                    if (a < 0)
                        a = k;
                    b = k;
                }
            if (a >= 0) {
                double width = (double)(b - a + 2) * p->rate / (double)p->nfft;
                for (int64_t k = 0; k < nb; k++)
                    w[j * nb + k] *= 2.0 / width;
            }
        }
    }
    p->mel_lo = calloc((size_t)nm, sizeof *p->mel_lo);
    p->mel_len = calloc((size_t)nm, sizeof *p->mel_len);
    p->mel_off = calloc((size_t)nm, sizeof *p->mel_off);
    if (!p->mel_lo || !p->mel_len || !p->mel_off) {
        ret = WEFT_ENOMEM;
        goto out;
    }
    for (int64_t j = 0; j < nm; j++) {
        int64_t a = nb, b = -1;
        for (int64_t k = 0; k < nb; k++)
            if (w[j * nb + k] != 0) {
                if (a == nb)
                    a = k;
                b = k;
            }
        if (b < 0) {
            snprintf(err, errlen, "mel filter %lld is empty: too many mel "
                     "bins (%lld) for an FFT of %lld points",
                     (long long)j, (long long)nm, (long long)p->nfft);
            ret = WEFT_ERANGE;
            goto out;
        }
        p->mel_lo[j] = a;
        p->mel_len[j] = b - a + 1;
        p->mel_off[j] = (int64_t)total;
        total += (size_t)(b - a + 1);
    }
    p->mel_w = malloc(total * sizeof *p->mel_w);
    if (!p->mel_w) {
        ret = WEFT_ENOMEM;
        goto out;
    }
    for (int64_t j = 0; j < nm; j++)
        for (int64_t k = 0; k < p->mel_len[j]; k++)
            p->mel_w[p->mel_off[j] + k] = w[j * nb + p->mel_lo[j] + k];
out:
    free(w);
    return ret;
}

static int build_dct(feat_plan *p)
{
    const feat_opts *o = &p->o;
    int64_t nc = p->nceps, nm = p->nmel;

    p->dct = malloc((size_t)(nc * nm) * sizeof *p->dct);
    if (!p->dct)
        return WEFT_ENOMEM;
    for (int64_t i = 0; i < nc; i++) {
        double s, lift = 1.0, q = o->cepstral_lifter;
        switch (o->dct_norm) {
        case FEAT_DCT_ORTHO:
            s = i == 0 ? sqrt(1.0 / (double)nm) : sqrt(2.0 / (double)nm);
            break;
        case FEAT_DCT_HTK:
            s = sqrt(2.0 / (double)nm);
            break;
        default:
            s = 2.0;
            break;
        }
        if (q != 0) {
            double n = o->lifter_style == FEAT_LIFTER_LIBROSA ? (double)(i + 1)
                                                              : (double)i;
            lift = 1.0 + 0.5 * q * sin(M_PI * n / q);
        }
        for (int64_t j = 0; j < nm; j++)
            p->dct[i * nm + j] = (lift * s *
                cos(M_PI * (double)i * ((double)j + 0.5) / (double)nm));
    }
    return 0;
}

static int build_fft(feat_plan *p)
{
    int64_t n = p->nfft, m = n / 2;

    p->pow2 = n >= 4 && (n & (n - 1)) == 0;
    if (p->pow2) {
        double *w;
        p->fft_tw = malloc((size_t)(2 * m + 6) * sizeof(double));
        p->fft_pos = malloc((size_t)m * sizeof *p->fft_pos);
        p->post_re = malloc((size_t)(m + 1) * sizeof(double));
        p->post_im = malloc((size_t)(m + 1) * sizeof(double));
        if (!p->fft_tw || !p->fft_pos || !p->post_re || !p->post_im)
            return WEFT_ENOMEM;
        /* Radix-4 stages of span m, m/4, ... (feat-compute.c's fft_inplace):
         * their twiddles one after the other, 6 per butterfly. */
        w = p->fft_tw;
        for (int64_t s = m; s >= 4; s /= 4)
            for (int64_t j = 0; j < s / 4; j++)
                for (int r = 1; r <= 3; r++) {
                    double a = 2.0 * M_PI * (double)(r * j) / (double)s;
                    *w++ = cos(a);
                    *w++ = -sin(a);
                }
        /* The decimation in frequency leaves bin k at a digit-reversed
         * slot: the first stage's radix-r digit of the slot is k mod r. */
        for (int64_t slot = 0; slot < m; slot++) {
            int64_t k = 0, mult = 1, size = m, rest = slot;
            while (size > 1) {
                int64_t r = size >= 4 ? 4 : 2, sub = size / r;
                k += rest / sub * mult;
                rest %= sub;
                mult *= r;
                size = sub;
            }
            p->fft_pos[k] = (int32_t)slot;
        }
        for (int64_t k = 0; k <= m; k++) {
            p->post_re[k] = cos(2.0 * M_PI * (double)k / (double)n);
            p->post_im[k] = -sin(2.0 * M_PI * (double)k / (double)n);
        }
        return 0;
    }
    /* Any other size: a plain DFT over the frame's samples (the rest is
     * zero padding), from a table. Slower, but exact to float rounding. */
    p->dft_cos = malloc((size_t)(p->nbins * p->fl) * sizeof(double));
    p->dft_sin = malloc((size_t)(p->nbins * p->fl) * sizeof(double));
    if (!p->dft_cos || !p->dft_sin)
        return WEFT_ENOMEM;
    for (int64_t k = 0; k < p->nbins; k++)
        for (int64_t t = 0; t < p->fl; t++) {
            double a = 2.0 * M_PI * (double)((k * t) % n) / (double)n;
            p->dft_cos[k * p->fl + t] = cos(a);
            p->dft_sin[k * p->fl + t] = -sin(a);
        }
    return 0;
}

static void delta_scales(feat_plan *p)
{
    int64_t nw = p->o.delta_window;
    double norm = 0, prev[FEAT_MAX_DELTA_TAPS] = { 1 };
    int64_t prev_n = 1;

    for (int64_t j = -nw; j <= nw; j++)
        norm += (double)(j * j);
    p->delta_n[0] = 1;
    p->delta_scale[0][0] = 1;
    for (int64_t order = 1; order <= p->o.deltas; order++) {
        double cur[FEAT_MAX_DELTA_TAPS] = { 0 };
        int64_t cur_n = prev_n + 2 * nw;
        for (int64_t j = -nw; j <= nw; j++)
            for (int64_t k = 0; k < prev_n; k++)
                cur[j + nw + k] += (double)j * prev[k] / norm;
        p->delta_n[order] = cur_n;
        for (int64_t k = 0; k < cur_n; k++)
            p->delta_scale[order][k] = (float)cur[k];
        memcpy(prev, cur, sizeof prev);
        prev_n = cur_n;
    }
}

int feat_plan_new(const feat_opts *o, double rate, feat_plan **out, char *err,
                  size_t errlen)
{
    feat_plan *p = calloc(1, sizeof *p);
    int ret = 0;

    *out = NULL;
    if (!p)
        return WEFT_ENOMEM;
    p->o = *o;
    p->rate = rate;
    /* Kaldi truncates frame lengths to whole samples (static_cast<int32>);
     * the tiny bias keeps 0.025 s * 16000 from landing on 399.99999. */
    p->win_len = o->frame_length_n > 0
                     ? o->frame_length_n
                     : (int64_t)(rate * o->frame_length + 1e-6);
    p->shift = o->frame_shift_n > 0 ? o->frame_shift_n
                                    : (int64_t)(rate * o->frame_shift + 1e-6);
    if (p->win_len < 2 || p->shift < 1 || p->win_len > (1 << 20) ||
        p->shift > (1 << 22)) {
        snprintf(err, errlen, "frame length %lld and shift %lld samples: "
                 "need a length of 2 to 2^20 and a shift of 1 to 2^22",
                 (long long)p->win_len, (long long)p->shift);
        ret = WEFT_ERANGE;
        goto fail;
    }
    p->nfft = o->fft_size;
    if (p->nfft <= 0) {
        p->nfft = p->win_len;
        if (o->round_to_power_of_two) {
            int64_t n = 1;
            while (n < p->win_len)
                n *= 2;
            p->nfft = n;
        }
    }
    p->fl = p->win_len;
    if (o->edges == FEAT_EDGES_CENTER && p->nfft > p->win_len)
        p->fl = p->nfft; /* librosa: the window is centred in n_fft */
    if (p->nfft < p->fl) {
        snprintf(err, errlen, "fft_size %lld is shorter than the frame "
                 "(%lld samples)", (long long)p->nfft, (long long)p->fl);
        ret = WEFT_ERANGE;
        goto fail;
    }
    p->nbins = p->nfft / 2 + 1;
    p->nmel = o->num_mel_bins;
    p->nceps = o->mfcc ? o->num_ceps : 0;
    if (p->nmel < 1 || (o->mfcc && (p->nceps < 1 || p->nceps > p->nmel))) {
        snprintf(err, errlen, "num_ceps %lld must be 1 to num_mel_bins "
                 "(%lld)", (long long)p->nceps, (long long)p->nmel);
        ret = WEFT_ERANGE;
        goto fail;
    }
    if (o->deltas < 0 || o->deltas > FEAT_MAX_DELTAS || o->delta_window < 1 ||
        2 * o->delta_window * o->deltas + 1 > FEAT_MAX_DELTA_TAPS) {
        snprintf(err, errlen, "deltas %lld with window %lld: at most %d "
                 "orders and %d taps", (long long)o->deltas,
                 (long long)o->delta_window, FEAT_MAX_DELTAS,
                 FEAT_MAX_DELTA_TAPS);
        ret = WEFT_ERANGE;
        goto fail;
    }
    switch (o->edges) {
    case FEAT_EDGES_REFLECT:
        p->first = p->shift / 2 - p->fl / 2;
        break;
    case FEAT_EDGES_CENTER:
        p->first = -(p->fl / 2);
        break;
    default:
        p->first = 0;
        break;
    }
    p->needs_finish = o->log_type == FEAT_LOG_DB && o->top_db > 0;
    p->base_dim = (o->mfcc ? p->nceps : p->nmel) +
                  (!o->mfcc && o->use_energy ? 1 : 0);
    p->static_dim = p->needs_finish ? p->nmel + 1 : p->base_dim;
    p->dim = p->base_dim * (1 + o->deltas);
    p->log_floor = (float)(o->log_floor > 0 ? o->log_floor : FLT_MIN);
    p->log_energy_floor = o->energy_floor > 0 ? (float)log(o->energy_floor)
                                              : -INFINITY;
    if ((ret = build_window(p)) < 0 || (ret = build_fft(p)) < 0 ||
        (ret = build_mel(p, err, errlen)) < 0 ||
        (o->mfcc && (ret = build_dct(p)) < 0))
        goto fail;
    delta_scales(p);
    feat__plan_select_isa(p);
    *out = p;
    return 0;
fail:
    if (ret == WEFT_ENOMEM)
        snprintf(err, errlen, "out of memory");
    feat_plan_free(p);
    return ret;
}

void feat_plan_free(feat_plan *p)
{
    if (!p)
        return;
    free(p->window);
    free(p->fft_tw);
    free(p->fft_pos);
    free(p->post_re);
    free(p->post_im);
    free(p->dft_cos);
    free(p->dft_sin);
    free(p->mel_lo);
    free(p->mel_len);
    free(p->mel_off);
    free(p->mel_w);
    free(p->dct);
    free(p);
}

int64_t feat_plan_dim(const feat_plan *p) { return p->dim; }
int64_t feat_plan_base_dim(const feat_plan *p) { return p->base_dim; }
int64_t feat_plan_static_dim(const feat_plan *p) { return p->static_dim; }
int64_t feat_plan_frame_length(const feat_plan *p) { return p->fl; }
int64_t feat_plan_frame_shift(const feat_plan *p) { return p->shift; }
int64_t feat_plan_fft_size(const feat_plan *p) { return p->nfft; }
int64_t feat_plan_first_sample(const feat_plan *p) { return p->first; }
const feat_opts *feat_plan_opts(const feat_plan *p) { return &p->o; }
bool feat_plan_needs_finish(const feat_plan *p) { return p->needs_finish; }
const double *feat_plan_dct(const feat_plan *p) { return p->dct; }
const double *feat_plan_window(const feat_plan *p) { return p->window; }

void feat_plan_mel_dense(const feat_plan *p, float *out)
{
    memset(out, 0, (size_t)(p->nmel * p->nbins) * sizeof *out);
    for (int64_t j = 0; j < p->nmel; j++)
        for (int64_t k = 0; k < p->mel_len[j]; k++)
            out[j * p->nbins + p->mel_lo[j] + k] = (float)p->mel_w[p->mel_off[j] + k];
}

double feat_plan_flops_per_frame(const feat_plan *p)
{
    double f = 0, m = (double)(p->nfft / 2);
    int64_t nz = 0;

    f += 4.0 * (double)p->fl;                 /* DC, energy, pre-emph, window */
    if (p->pow2)
        f += 5.0 * m * log2(m) + 12.0 * m;    /* complex FFT + real split */
    else
        f += 4.0 * (double)(p->nbins * p->fl);
    f += 3.0 * (double)p->nbins;              /* power */
    for (int64_t j = 0; j < p->nmel; j++)
        nz += p->mel_len[j];
    f += 2.0 * (double)nz;                    /* mel */
    f += 20.0 * (double)p->nmel;              /* log, counted as ~20 flops */
    f += 2.0 * (double)(p->nceps * p->nmel);  /* DCT + lifter */
    return f;
}
