/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * feat-compute.c: the per-frame work, FEAT_LANES frames at a time with one
 * frame per SIMD lane (GCC vector extensions): DC removal, energy,
 * pre-emphasis and window in one pass, a real FFT (an in-place radix-4
 * complex FFT of half the size plus the split step), power, mel filters as
 * sparse ranges, log, and the DCT with the lifter folded in.
 *
 * Every lane runs the same instruction sequence, so a frame's result does
 * not depend on its lane or on the other frames of the batch: that is what
 * keeps the node's output bit-identical for any chunking. On x86-64 the
 * batch function is built twice (AVX2+FMA and baseline) and picked once per
 * plan from the CPU's features, so one stream always uses one of them.
 */
#include "feat-internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Double lanes: a float32 FFT loses bins lying 60 dB or more below the
 * frame's loudest (Kaldi's low mel bins on voiced speech) to rounding, by
 * more than the 1e-4 parity tolerance; in double the error stays near
 * float's own rounding. Inputs and outputs stay float. Four lanes: one
 * AVX2 register, and a working set (the FFT in place, the power spectrum)
 * that stays in L1. */
typedef double vd __attribute__((vector_size(8 * FEAT_LANES)));
typedef float vf __attribute__((vector_size(4 * FEAT_LANES)));
typedef int32_t vi __attribute__((vector_size(4 * FEAT_LANES)));
_Static_assert(FEAT_LANES == 4, "the gather transposes 4x4 blocks");

#define ALWAYS_INLINE static inline __attribute__((always_inline))

/* Scratch layout (in vd units): the frame, as the FFT's real and imaginary
 * halves (or the whole frame for the DFT path) [nfft], power [nbins],
 * log-mel [nmel], cepstra [nceps]. */
size_t feat_plan_scratch_size(const feat_plan *p)
{
    size_t n = (size_t)p->nfft + (size_t)p->nbins + 2 * (size_t)p->nmel + 8;
    return n * sizeof(vd);
}

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* Where sample t of the frame lives: with a power-of-two FFT, even samples
 * are the real and odd ones the imaginary part of the half-size complex
 * FFT's input; otherwise the frame is stored whole. */
ALWAYS_INLINE vd *slot(vd *buf, int64_t m, bool pow2, int64_t t)
{
    return pow2 ? buf + (t & 1) * m + (t >> 1) : buf + t;
}

/* Gaussian dither from a generator seeded by (seed, frame index): the noise
 * of a frame is the same whatever the chunking. */
static void add_dither(const feat_plan *p, vd *buf, int lane,
                       int64_t frame_index)
{
    uint64_t s = p->o.seed ^ ((uint64_t)frame_index * 0xd1b54a32d192ed03u);
    int64_t m = p->nfft / 2;
    for (int64_t t = 0; t < p->fl; t += 2) {
        double u1 = ((double)(splitmix(&s) >> 11) + 1.0) * 0x1p-53;
        double u2 = (double)(splitmix(&s) >> 11) * 0x1p-53;
        double r = sqrt(-2.0 * log(u1)), a = 2.0 * M_PI * u2;
        (*slot(buf, m, p->pow2, t))[lane] += p->o.dither * r * cos(a);
        if (t + 1 < p->fl)
            (*slot(buf, m, p->pow2, t + 1))[lane] += p->o.dither * r * sin(a);
    }
}

/* Complex FFT of m = nfft/2 points in place, decimation in frequency:
 * radix-4 stages, then one radix-2 stage when log2(m) is odd. The output
 * is in digit-reversed order (p->fft_pos maps a bin to its slot). Stage
 * twiddles are stored contiguously (w^j, w^2j, w^3j per j), so every
 * stage reads them with unit stride. */
ALWAYS_INLINE void fft_inplace(const feat_plan *p, vd *re, vd *im)
{
    int64_t m = p->nfft / 2, n = m;
    const double *tw = p->fft_tw;

    for (; n >= 4; n /= 4) {
        int64_t q = n / 4;
        for (int64_t b = 0; b < m; b += n) {
            vd *r = re + b, *i = im + b;
            const double *w = tw;
            for (int64_t j = 0; j < q; j++, w += 6) {
                vd ar = r[j], ai = i[j], br = r[j + q], bi = i[j + q];
                vd cr = r[j + 2 * q], ci = i[j + 2 * q];
                vd dr = r[j + 3 * q], di = i[j + 3 * q];
                vd s0r = ar + cr, s0i = ai + ci, d0r = ar - cr, d0i = ai - ci;
                vd s1r = br + dr, s1i = bi + di, d1r = br - dr, d1i = bi - di;
                /* out1 = (d0 - i d1) w^j, out2 = (s0 - s1) w^2j,
                 * out3 = (d0 + i d1) w^3j */
                vd u1r = d0r + d1i, u1i = d0i - d1r;
                vd u2r = s0r - s1r, u2i = s0i - s1i;
                vd u3r = d0r - d1i, u3i = d0i + d1r;
                r[j] = s0r + s1r;
                i[j] = s0i + s1i;
                r[j + q] = u1r * w[0] - u1i * w[1];
                i[j + q] = u1r * w[1] + u1i * w[0];
                r[j + 2 * q] = u2r * w[2] - u2i * w[3];
                i[j + 2 * q] = u2r * w[3] + u2i * w[2];
                r[j + 3 * q] = u3r * w[4] - u3i * w[5];
                i[j + 3 * q] = u3r * w[5] + u3i * w[4];
            }
        }
        tw += 6 * q;
    }
    if (n == 2)
        for (int64_t b = 0; b < m; b += 2) {
            vd ar = re[b], ai = im[b], br = re[b + 1], bi = im[b + 1];
            re[b] = ar + br;
            im[b] = ai + bi;
            re[b + 1] = ar - br;
            im[b + 1] = ai - bi;
        }
}

/* Power spectrum of the frames in buf (see slot()). */
ALWAYS_INLINE void power_spectrum(const feat_plan *p, vd *buf, vd *pw)
{
    int64_t n = p->nfft, m = n / 2;

    if (p->pow2) {
        vd *zr = buf, *zi = buf + m;
        const int32_t *pos = p->fft_pos;
        fft_inplace(p, zr, zi);
        pw[0] = (zr[0] + zi[0]) * (zr[0] + zi[0]);
        pw[m] = (zr[0] - zi[0]) * (zr[0] - zi[0]);
        for (int64_t k = 1; k < m; k++) {
            int64_t a = pos[k], c = pos[m - k];
            vd ar = zr[a], ai = zi[a], br = zr[c], bi = -zi[c];
            vd er = (ar + br) * 0.5, ei = (ai + bi) * 0.5;
            vd orr = (ai - bi) * 0.5, oi = (br - ar) * 0.5;
            double cr = p->post_re[k], ci = p->post_im[k];
            vd re = er + cr * orr - ci * oi;
            vd im = ei + cr * oi + ci * orr;
            pw[k] = re * re + im * im;
        }
        return;
    }
    for (int64_t k = 0; k < p->nbins; k++) {
        const double *c = p->dft_cos + k * p->fl, *s = p->dft_sin + k * p->fl;
        vd re = { 0 }, im = { 0 };
        for (int64_t t = 0; t < p->fl; t++) {
            re += buf[t] * c[t];
            im += buf[t] * s[t];
        }
        pw[k] = re * re + im * im;
    }
}

/* Load FEAT_LANES frames' samples [t, t+4) and transpose them: out[i] is
 * sample t+i of every lane, in double. */
ALWAYS_INLINE void gather4(const float *const *f, int64_t t, vd out[4])
{
    vf a, b, c, d, t0, t1, t2, t3;
    memcpy(&a, f[0] + t, sizeof a);
    memcpy(&b, f[1] + t, sizeof b);
    memcpy(&c, f[2] + t, sizeof c);
    memcpy(&d, f[3] + t, sizeof d);
    t0 = __builtin_shuffle(a, b, (vi){ 0, 4, 1, 5 });
    t1 = __builtin_shuffle(a, b, (vi){ 2, 6, 3, 7 });
    t2 = __builtin_shuffle(c, d, (vi){ 0, 4, 1, 5 });
    t3 = __builtin_shuffle(c, d, (vi){ 2, 6, 3, 7 });
    out[0] = __builtin_convertvector(__builtin_shuffle(t0, t2, (vi){ 0, 1, 4, 5 }), vd);
    out[1] = __builtin_convertvector(__builtin_shuffle(t0, t2, (vi){ 2, 3, 6, 7 }), vd);
    out[2] = __builtin_convertvector(__builtin_shuffle(t1, t3, (vi){ 0, 1, 4, 5 }), vd);
    out[3] = __builtin_convertvector(__builtin_shuffle(t1, t3, (vi){ 2, 3, 6, 7 }), vd);
}

/* One sample of prepare(): *x less the DC offset *sum, pre-emphasised and
 * windowed in place. (Vectors go by pointer: the baseline build must not
 * pass AVX-sized values in registers.) */
ALWAYS_INLINE void prepare_one(vd *x, const vd *sum, vd *prev, vd *energy,
                               double pre, double w, bool e_raw, bool pe,
                               bool e_win)
{
    vd v = *x - *sum, y = v;
    if (e_raw)
        *energy += v * v;
    if (pe)
        y = v - pre * *prev;
    *prev = v;
    y *= w;
    if (e_win)
        *energy += y * y;
    *x = y;
}

/* Remove *sum, pre-emphasise and window the frames in buf (see slot()) in
 * place; adds the energy the flags ask for to *energy. */
ALWAYS_INLINE void prepare(vd *buf, int64_t m, bool pow2, int64_t fl,
                           const vd *sum, double pre, const double *win,
                           bool e_raw, bool pe, bool e_win, vd *energy)
{
    vd prev = *slot(buf, m, pow2, 0) - *sum;
    int64_t t = 0;

    if (pow2) {
        vd *re = buf, *im = buf + m;
        for (int64_t k = 0; k < fl / 2; k++, t += 2) {
            prepare_one(&re[k], sum, &prev, energy, pre, win[t], e_raw, pe,
                        e_win);
            prepare_one(&im[k], sum, &prev, energy, pre, win[t + 1], e_raw,
                        pe, e_win);
        }
        if (t < fl)
            prepare_one(&re[t / 2], sum, &prev, energy, pre, win[t], e_raw,
                        pe, e_win);
        return;
    }
    for (; t < fl; t++)
        prepare_one(&buf[t], sum, &prev, energy, pre, win[t], e_raw, pe,
                    e_win);
}

/* The whole batch. Built once per instruction set (below); the body is
 * the same C, so the sets differ only in how GCC contracts a*b+c (FMA or
 * not), and one process always uses one of them. */
ALWAYS_INLINE void compute_body(const feat_plan *p, const float *const *frames,
                                const int64_t *frame_index, int n, float *out,
                                void *scratch)
{
    const feat_opts *o = &p->o;
    int64_t fl = p->fl, nfft = p->nfft, nb = p->nbins, nm = p->nmel;
    int64_t m = nfft / 2;
    bool pow2 = p->pow2;
    vd *buf = scratch, *pw = buf + nfft, *lm = pw + nb, *cc = lm + nm;
    vd energy = { 0 }, sum = { 0 };
    double pre = o->preemphasis;
    const double *win = p->window;
    const float *f[FEAT_LANES];
    bool dc = o->remove_dc_offset, pe = pre != 0 && !o->preemph_signal;
    bool e_raw = o->use_energy && o->raw_energy && !o->energy_from_spectrum;
    bool e_win = o->use_energy && !o->raw_energy && !o->energy_from_spectrum;
    int64_t t;

    /* Lanes past n repeat frame 0; their results are dropped. */
    for (int l = 0; l < FEAT_LANES; l++)
        f[l] = frames[l < n ? l : 0];
    /* Gather, transposed: sample t of lane l at slot(t)[l]. */
    for (t = 0; t + 4 <= fl; t += 4) {
        vd v[4];
        gather4(f, t, v);
        sum += v[0];
        sum += v[1];
        sum += v[2];
        sum += v[3];
        if (pow2) {
            buf[t / 2] = v[0];
            buf[m + t / 2] = v[1];
            buf[t / 2 + 1] = v[2];
            buf[m + t / 2 + 1] = v[3];
        } else {
            buf[t] = v[0];
            buf[t + 1] = v[1];
            buf[t + 2] = v[2];
            buf[t + 3] = v[3];
        }
    }
    for (; t < fl; t++) {
        vd v;
        for (int l = 0; l < FEAT_LANES; l++)
            v[l] = f[l][t];
        sum += v;
        *slot(buf, m, pow2, t) = v;
    }
    if (o->dither != 0) {
        for (int l = 0; l < n; l++)
            add_dither(p, buf, l, frame_index[l]);
        sum = (vd){ 0 };
        for (t = 0; t < fl; t++)
            sum += *slot(buf, m, pow2, t);
    }
    /* DC offset, raw energy, pre-emphasis, window and windowed energy in
     * one pass, in place. Kaldi's combination gets its own copy of the
     * loop, without the flag tests. */
    sum = dc ? sum / (double)fl : (vd){ 0 };
    if (e_raw && pe && !e_win)
        prepare(buf, m, pow2, fl, &sum, pre, win, true, true, false, &energy);
    else
        prepare(buf, m, pow2, fl, &sum, pre, win, e_raw, pe, e_win, &energy);
    if (pow2) {
        for (t = (fl + 1) / 2; t < m; t++)
            buf[t] = (vd){ 0 };
        for (t = fl / 2; t < m; t++)
            buf[m + t] = (vd){ 0 };
    } else {
        for (t = fl; t < nfft; t++)
            buf[t] = (vd){ 0 };
    }

    power_spectrum(p, buf, pw);
    if (o->spectrum == FEAT_SPEC_MAGNITUDE) {
        for (int64_t k = 0; k < nb; k++)
            for (int l = 0; l < FEAT_LANES; l++)
                pw[k][l] = sqrt(pw[k][l]);
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
        const vd *src = pw + p->mel_lo[j];
        vd acc = { 0 };
        for (int64_t k = 0; k < p->mel_len[j]; k++)
            acc += w[k] * src[k];
        lm[j] = acc;
    }
    {
        double fl0 = p->log_floor;
        if (o->log_type == FEAT_LOG_DB)
            for (int64_t j = 0; j < nm; j++)
                for (int l = 0; l < n; l++)
                    lm[j][l] = 10.0 * log10(fmax(lm[j][l], fl0));
        else
            for (int64_t j = 0; j < nm; j++)
                for (int l = 0; l < n; l++)
                    lm[j][l] = log(fmax(lm[j][l], fl0));
        for (int l = 0; l < n; l++) {
            double v = log(fmax(energy[l], fl0));
            energy[l] = fmax(v, p->log_energy_floor);
        }
    }

    if (p->needs_finish) {
        /* Held for the top_db clamp at the segment's end: log-mel, then
         * the log energy. */
        for (int l = 0; l < n; l++) {
            float *r = out + (int64_t)l * p->static_dim;
            for (int64_t j = 0; j < nm; j++)
                r[j] = (float)lm[j][l];
            r[nm] = (float)energy[l];
        }
        return;
    }
    if (!o->mfcc) {
        int64_t off = o->use_energy && !o->htk_compat ? 1 : 0;
        for (int l = 0; l < n; l++) {
            float *r = out + (int64_t)l * p->static_dim;
            for (int64_t j = 0; j < nm; j++)
                r[off + j] = (float)lm[j][l];
            if (o->use_energy)
                r[o->htk_compat ? nm : 0] = (float)energy[l];
        }
        return;
    }
    {
        int64_t nc = p->nceps;
        for (int64_t i = 0; i < nc; i++) {
            const double *d = p->dct + i * nm;
            vd acc = { 0 };
            for (int64_t j = 0; j < nm; j++)
                acc += d[j] * lm[j];
            cc[i] = acc;
        }
        for (int l = 0; l < n; l++) {
            float *r = out + (int64_t)l * p->static_dim;
            for (int64_t i = 0; i < nc; i++)
                r[i] = (float)cc[i][l];
            if (o->use_energy)
                r[0] = (float)energy[l];
            if (o->htk_compat) {
                float c0 = r[0];
                memmove(r, r + 1, (size_t)(nc - 1) * sizeof *r);
                r[nc - 1] = c0;
            }
        }
    }
}

static void compute_generic(const feat_plan *p, const float *const *frames,
                            const int64_t *frame_index, int n, float *out,
                            void *scratch)
{
    compute_body(p, frames, frame_index, n, out, scratch);
}

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define FEAT_HAVE_AVX2 1
__attribute__((target("avx2,fma")))
static void compute_avx2(const feat_plan *p, const float *const *frames,
                         const int64_t *frame_index, int n, float *out,
                         void *scratch)
{
    compute_body(p, frames, frame_index, n, out, scratch);
}
#endif

/* Pick the batch function for this CPU once per plan: AVX2+FMA where the
 * CPU has them, else the baseline build. WEFT_MFCC_ISA=generic forces the
 * baseline (the tests run both). */
void feat__plan_select_isa(feat_plan *p)
{
    const char *e = getenv("WEFT_MFCC_ISA");

    p->batch = compute_generic;
    p->isa = "generic";
#ifdef FEAT_HAVE_AVX2
    if (e && strcmp(e, "generic") == 0)
        return;
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        p->batch = compute_avx2;
        p->isa = "avx2+fma";
    }
#else
    (void)e;
#endif
}

const char *feat_plan_isa(const feat_plan *p)
{
    return p->isa;
}

void feat_frames_compute(const feat_plan *p, const float *const *frames,
                         const int64_t *frame_index, int n, float *out,
                         void *scratch)
{
    p->batch(p, frames, frame_index, n, out, scratch);
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
