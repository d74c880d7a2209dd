/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench-mfcc-cuda: how many simultaneous 16 kHz streams one device keeps
 * in real time with 10 ms chunks, computing Kaldi-style MFCC (the mfcc
 * plugin's kaldi preset: 25 ms frames, 10 ms shift, 23 mel bins, 13 ceps,
 * energy) with the batched op of weft/features.h.
 *
 * Simulation: N streams; every 10 ms tick each delivers 160 new samples
 * (one frame shift) into a pinned host staging area, [N][160] (where a
 * capture thread would write them; filling it is not timed). A tick, timed
 * from the host: copy the N chunks into per-stream sample rings on the
 * device (one strided copy), run the op on N frames (each stream's last
 * 400 samples, one frame per stream per tick), copy the N x 13 features
 * back, and wait. Every 6 ticks the rings are rewound (a strided
 * device-to-device copy of the last 320 samples), inside the timed tick.
 * Ticks run back to back; N keeps up when the 99th percentile of the tick
 * time (nearest rank, over --ticks ticks after 3 warm-up ticks) is below
 * 10 ms. N doubles from 64 until it fails (or reaches --max-streams), then
 * a bisection narrows the largest passing N to 2%.
 *
 * Devices: "cuda" (cuda:0), and on the CPU two rows: the op's CPU backend
 * (a double-precision reference, mfcc-rt-streams-kref) and the plugin's
 * own per-frame code, one thread, four frames per call (mfcc-rt-streams
 * on cpu: what the node does today, the figure a GPU is compared with).
 *
 * Usage: bench-mfcc-cuda [--device cpu|cuda|all] [--ticks N]
 *                        [--max-streams N]
 * Prints `BENCH <name> <device> <streams> streams` rows (scripts/gpu-check).
 */
#include <config.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <weft/features.h>

#ifdef WEFT_HAVE_CUDA
#include <cuda_runtime.h>
#endif

#include "feat-internal.h"

#define RATE 16000
#define CHUNK 160   /* 10 ms */
#define FL 400      /* 25 ms */
#define SLOTS 8     /* chunks per stream ring */
#define TICK_MS 10.0

static int ticks = 100;
static feat_plan *fplan;
static weft_k_mfcc_desc desc;
static double *mel_dense;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* rows x width bytes from src (pitch spitch) to dst (pitch dpitch). */
static int copy2d(weft_kctx *k, void *dst, size_t dpitch, const void *src,
                  size_t spitch, size_t width, size_t rows,
                  weft_k_copy_kind kind)
{
#ifdef WEFT_HAVE_CUDA
    if (weft_kctx_backend(k) == WEFT_K_BACKEND_CUDA) {
        static const enum cudaMemcpyKind kinds[] = {
            cudaMemcpyHostToDevice, cudaMemcpyDeviceToHost,
            cudaMemcpyDeviceToDevice, cudaMemcpyHostToHost};
        cudaError_t e = cudaMemcpy2DAsync(dst, dpitch, src, spitch, width,
                                          rows, kinds[kind],
                                          (cudaStream_t)weft_kctx_stream(k));
        return e == cudaSuccess ? 0 : WEFT_ECUDA;
    }
#endif
    (void)kind;
    for (size_t r = 0; r < rows; r++)
        memcpy((char *)dst + r * dpitch, (const char *)src + r * spitch,
               width);
    return 0;
}

typedef struct probe {
    double mean, p99;
} probe;

/* Ticks of N streams through the op on @k. Returns 0 or an error. */
static int probe_op(weft_kctx *k, int32_t n, probe *res)
{
    size_t stride = (size_t)SLOTS * CHUNK, dim;
    float *hnew = NULL, *hout = NULL, *dring = NULL, *dout = NULL;
    int64_t *hoff = NULL, *doff = NULL;
    weft_k_mfcc_plan *p = NULL;
    double *t = malloc((size_t)(ticks + 3) * sizeof *t);
    int rc, c = 2;

    if ((rc = weft_k_mfcc_plan_new(k, &desc, n, &p)) < 0)
        goto out;
    dim = (size_t)weft_k_mfcc_plan_dim(p);
    if ((rc = weft_k_host_alloc(k, (size_t)n * CHUNK * 4, (void **)&hnew)) ||
        (rc = weft_k_host_alloc(k, (size_t)n * dim * 4, (void **)&hout)) ||
        (rc = weft_k_alloc(k, (size_t)n * stride * 4, (void **)&dring)) ||
        (rc = weft_k_alloc(k, (size_t)n * dim * 4, (void **)&dout)) ||
        (rc = weft_k_alloc(k, (size_t)n * 8, (void **)&doff)))
        goto out;
    hoff = malloc((size_t)n * sizeof *hoff);
    for (int32_t s = 0; s < n; s++)
        hoff[s] = (int64_t)s * (int64_t)stride;
    for (size_t i = 0; i < (size_t)n * CHUNK; i++)
        hnew[i] = (float)sin((double)i * 0.37) * 0.1f;
    if ((rc = weft_k_copy(k, doff, hoff, (size_t)n * 8, WEFT_K_COPY_H2D)) ||
        (rc = weft_k_memset(k, dring, 0, (size_t)n * stride * 4)) ||
        (rc = weft_k_sync(k)))
        goto out;
    for (int i = 0; i < ticks + 3; i++) {
        double t0 = now_ms();
        if (c == SLOTS) { /* rewind: the last two chunks to the front */
            rc = copy2d(k, dring, stride * 4, dring + (SLOTS - 2) * CHUNK,
                        stride * 4, 2 * CHUNK * 4, (size_t)n,
                        WEFT_K_COPY_D2D);
            if (rc)
                goto out;
            c = 2;
        }
        if ((rc = copy2d(k, dring + c * CHUNK, stride * 4, hnew, CHUNK * 4,
                         CHUNK * 4, (size_t)n, WEFT_K_COPY_H2D)) ||
            (rc = weft_k_mfcc_run(p, dring + (c + 1) * CHUNK - FL, doff, n,
                                  dout, (int64_t)dim)) ||
            (rc = weft_k_copy(k, hout, dout, (size_t)n * dim * 4,
                              WEFT_K_COPY_D2H)) ||
            (rc = weft_k_sync(k)))
            goto out;
        c++;
        t[i] = now_ms() - t0;
    }
    {
        double sum = 0;
        for (int i = 3; i < ticks + 3; i++)
            sum += t[i];
        res->mean = sum / ticks;
        qsort(t + 3, (size_t)ticks, sizeof *t, cmp_double);
        res->p99 = t[3 + (int)ceil(0.99 * ticks) - 1];
    }
out:
    if (rc)
        fprintf(stderr, "bench-mfcc-cuda: %s, %d streams: error %d %s\n",
                weft_kctx_name(k), n, rc, weft_kctx_last_error(k));
    weft_k_free(k, doff);
    weft_k_free(k, dout);
    weft_k_free(k, dring);
    weft_k_host_free(k, hout);
    weft_k_host_free(k, hnew);
    weft_k_mfcc_plan_free(p);
    free(hoff);
    free(t);
    return rc;
}

/* The same ticks through the plugin's per-frame code, one thread. */
static int probe_plugin(weft_kctx *k, int32_t n, probe *res)
{
    size_t stride = (size_t)SLOTS * CHUNK, dim = (size_t)feat_plan_dim(fplan);
    float *hnew = malloc((size_t)n * CHUNK * 4);
    float *ring = calloc((size_t)n * stride, 4);
    float *out = malloc((size_t)n * dim * 4);
    void *scratch = aligned_alloc(64, (feat_plan_scratch_size(fplan) + 63) &
                                          ~(size_t)63);
    double *t = malloc((size_t)(ticks + 3) * sizeof *t);
    float scale = (float)desc.sample_scale;
    int c = 2;

    (void)k;
    if (!hnew || !ring || !out || !scratch || !t)
        return WEFT_ENOMEM;
    for (size_t i = 0; i < (size_t)n * CHUNK; i++)
        hnew[i] = (float)sin((double)i * 0.37) * 0.1f;
    for (int i = 0; i < ticks + 3; i++) {
        double t0 = now_ms();
        if (c == SLOTS) {
            for (int32_t s = 0; s < n; s++)
                memcpy(ring + s * stride, ring + s * stride +
                       (SLOTS - 2) * CHUNK, 2 * CHUNK * 4);
            c = 2;
        }
        /* The node scales samples as they arrive. */
        for (int32_t s = 0; s < n; s++)
            for (int j = 0; j < CHUNK; j++)
                ring[s * stride + c * CHUNK + j] = hnew[s * CHUNK + j] * scale;
        for (int32_t s = 0; s < n; s += FEAT_LANES) {
            const float *fr[FEAT_LANES];
            int64_t idx[FEAT_LANES];
            int m = n - s < FEAT_LANES ? n - s : FEAT_LANES;
            for (int l = 0; l < m; l++) {
                fr[l] = ring + (s + l) * stride + (c + 1) * CHUNK - FL;
                idx[l] = i;
            }
            feat_frames_compute(fplan, fr, idx, m, out + (size_t)s * dim,
                                scratch);
        }
        c++;
        t[i] = now_ms() - t0;
    }
    double sum = 0;
    for (int i = 3; i < ticks + 3; i++)
        sum += t[i];
    res->mean = sum / ticks;
    qsort(t + 3, (size_t)ticks, sizeof *t, cmp_double);
    res->p99 = t[3 + (int)ceil(0.99 * ticks) - 1];
    free(hnew);
    free(ring);
    free(out);
    free(scratch);
    free(t);
    return 0;
}

typedef int (*probe_fn)(weft_kctx *k, int32_t n, probe *res);

/* Largest N whose p99 tick stays under 10 ms; -1 on error. */
static int64_t search(weft_kctx *k, probe_fn fn, const char *label,
                      int64_t cap)
{
    int64_t good = 0, bad = -1, n = 64;
    probe r;

    while (n <= cap) {
        if (fn(k, (int32_t)n, &r))
            return -1;
        printf("  %-28s %8lld streams: tick mean %.3f ms, p99 %.3f ms\n",
               label, (long long)n, r.mean, r.p99);
        fflush(stdout);
        if (r.p99 >= TICK_MS) {
            bad = n;
            break;
        }
        good = n;
        n *= 2;
    }
    if (bad < 0)
        return good; /* passed at the cap: a lower bound */
    while (bad - good > (good / 50 > 1 ? good / 50 : 1)) {
        int64_t mid = good + (bad - good) / 2;
        if (fn(k, (int32_t)mid, &r))
            return -1;
        printf("  %-28s %8lld streams: tick mean %.3f ms, p99 %.3f ms\n",
               label, (long long)mid, r.mean, r.p99);
        fflush(stdout);
        if (r.p99 < TICK_MS)
            good = mid;
        else
            bad = mid;
    }
    return good;
}

static int setup(void)
{
    feat_opts o;
    char err[256];
    feat_plan *p;

    feat_opts_preset(&o, FEAT_PRESET_KALDI, true);
    if (feat_plan_new(&o, RATE, &p, err, sizeof err) < 0) {
        fprintf(stderr, "bench-mfcc-cuda: %s\n", err);
        return -1;
    }
    fplan = p;
    mel_dense = calloc((size_t)(p->nmel * p->nbins), sizeof(double));
    if (!mel_dense)
        return -1;
    for (int64_t j = 0; j < p->nmel; j++)
        for (int64_t i = 0; i < p->mel_len[j]; i++)
            mel_dense[j * p->nbins + p->mel_lo[j] + i] =
                p->mel_w[p->mel_off[j] + i];
    desc.struct_size = sizeof desc;
    desc.frame_length = (int32_t)p->fl;
    desc.fft_size = (int32_t)p->nfft;
    desc.num_mel_bins = (int32_t)p->nmel;
    desc.num_ceps = (int32_t)p->nceps;
    desc.sample_scale = o.sample_scale;
    desc.remove_dc_offset = o.remove_dc_offset;
    desc.preemphasis = o.preemphasis;
    desc.window = p->window;
    desc.spectrum = WEFT_K_MFCC_POWER;
    desc.mel = mel_dense;
    desc.log_type = WEFT_K_MFCC_LOG_LN;
    desc.log_floor = o.log_floor;
    desc.dct = p->dct;
    desc.energy = WEFT_K_MFCC_ENERGY_RAW;
    desc.energy_floor = o.energy_floor;
    desc.energy_last = false;
    return p->fl == FL && p->shift == CHUNK ? 0 : -1;
}

static void report(const char *name, const char *dev, int64_t n, int64_t cap)
{
    printf("BENCH %s %s %lld streams\n", name, dev, (long long)n);
    if (n >= cap)
        printf("  (%s on %s: still real time at --max-streams %lld, a lower "
               "bound)\n", name, dev, (long long)cap);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    const char *device = "all";
    int64_t cap = 0;
    int failed = 0;

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--device") && i + 1 < argc)
            device = argv[++i];
        else if (!strcmp(argv[i], "--ticks") && i + 1 < argc)
            ticks = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--max-streams") && i + 1 < argc)
            cap = atoll(argv[++i]);
        else {
            fprintf(stderr, "usage: bench-mfcc-cuda [--device cpu|cuda|all] "
                    "[--ticks N] [--max-streams N]\n");
            return 2;
        }
    }
    if (ticks < 10 || setup() < 0)
        return 2;
    printf("bench-mfcc-cuda: kaldi MFCC, 16 kHz, %d-sample chunks, %d-sample "
           "frames, %d ticks per probe, criterion p99 tick < %.0f ms\n",
           CHUNK, FL, ticks, TICK_MS);
    if (!strcmp(device, "cpu") || !strcmp(device, "all")) {
        weft_kctx *k;
        int64_t c = cap ? cap : 1 << 16, n;
        if (weft_kctx_new("cpu", &k) < 0)
            return 1;
        n = search(k, probe_plugin, "cpu (plugin, 1 thread)", c);
        if (n < 0)
            failed = 1;
        else
            report("mfcc-rt-streams", "cpu", n, c);
        n = search(k, probe_op, "cpu (op's reference backend)", c);
        if (n < 0)
            failed = 1;
        else
            report("mfcc-rt-streams-kref", "cpu", n, c);
        weft_kctx_free(k);
    }
    if (!strcmp(device, "cuda") || !strcmp(device, "all")) {
        const char *why;
        weft_kctx *k;
        if (!weft_k_cuda_available(&why)) {
            printf("bench-mfcc-cuda: no CUDA: %s\n", why);
            if (!strcmp(device, "cuda"))
                failed = 1;
        } else if (weft_kctx_new("cuda:0", &k) < 0) {
            failed = 1;
        } else {
            int64_t c = cap ? cap : 1 << 21;
            int64_t n = search(k, probe_op, "cuda:0", c);
            if (n < 0)
                failed = 1;
            else
                report("mfcc-rt-streams", weft_kctx_name(k), n, c);
            weft_kctx_free(k);
        }
    }
    free(mel_dense);
    feat_plan_free(fplan);
    return failed;
}
