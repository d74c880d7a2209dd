/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cuda/mfcc.cu: the batched feature op (weft/features.h) on CUDA. A run is
 *
 *   frame_kernel   one block per frame: scale, DC mean and energy (summed
 *                  in double), pre-emphasis and window (in double, stored
 *                  as float), zero padding to fft_size
 *   cuFFT R2C      one batched plan (cufftPlanMany) for the whole batch
 *   power_kernel   |Y|^2, |Y| or |Y|^2 / fft_size per bin
 *   GEMM           mel energies = S * mel^T (cuBLAS, FP32 math)
 *   log_kernel     one block per frame: log with floor, the log energy
 *                  (and the spectrum energy, summed in double); fbank rows
 *                  are written out here
 *   GEMM           cepstra = L * dct^T (lifter folded into dct)
 *   ceps_kernel    MFCC rows out: energy in column 0, HTK order
 *
 * all queued on the context's stream. cuFFT plans have a fixed batch, so
 * the plan keeps one per power of two below max_frames plus max_frames
 * itself, sharing one work area; a run uses the smallest that holds its
 * frames (the framing kernel zeroes the frames past n, whose spectra are
 * computed and ignored: at most twice the FFT work, never more memory).
 */
#include <config.h>

#include <cmath>
#include <cstring>

#include <cufft.h>

#include "kcuda.h"
#include "../kmfcc.h"

namespace {

constexpr int kThreads = 256;
constexpr int kMaxPlans = 40;

const char *cufft_name(cufftResult r)
{
    switch (r) {
    case CUFFT_SUCCESS: return "CUFFT_SUCCESS";
    case CUFFT_INVALID_PLAN: return "CUFFT_INVALID_PLAN";
    case CUFFT_ALLOC_FAILED: return "CUFFT_ALLOC_FAILED";
    case CUFFT_INVALID_VALUE: return "CUFFT_INVALID_VALUE";
    case CUFFT_INTERNAL_ERROR: return "CUFFT_INTERNAL_ERROR";
    case CUFFT_EXEC_FAILED: return "CUFFT_EXEC_FAILED";
    case CUFFT_SETUP_FAILED: return "CUFFT_SETUP_FAILED";
    case CUFFT_INVALID_SIZE: return "CUFFT_INVALID_SIZE";
    case CUFFT_NOT_SUPPORTED: return "CUFFT_NOT_SUPPORTED";
    default: return "cufftResult";
    }
}

int cufft_fail(char *err, const char *what, cufftResult r)
{
    if (err)
        snprintf(err, WEFT_K_ERRLEN, "%s: %s (%d)", what, cufft_name(r),
                 (int)r);
    return r == CUFFT_ALLOC_FAILED ? WEFT_ENOMEM : WEFT_ECUDA;
}

#define WEFT_CKF(what, call)                                  \
    do {                                                      \
        cufftResult r_ = (call);                              \
        if (r_ != CUFFT_SUCCESS)                              \
            return cufft_fail(err, (what), r_);               \
    } while (0)

/* Sum of v over the block (blockDim.x == kThreads); every thread gets it. */
__device__ double block_sum(double v, double *sh)
{
    sh[threadIdx.x] = v;
    __syncthreads();
    for (int s = kThreads / 2; s > 0; s /= 2) {
        if ((int)threadIdx.x < s)
            sh[threadIdx.x] += sh[threadIdx.x + s];
        __syncthreads();
    }
    double r = sh[0];
    __syncthreads();
    return r;
}

struct FrameArgs {
    const float *x;
    const int64_t *off;
    int n, fl, nfft;
    float scale;
    double pre;
    bool dc;
    uint32_t energy;
    const double *window;
    float *frames;  /* [batch][nfft] */
    double *energy_out; /* [n] */
};

__global__ void frame_kernel(FrameArgs a)
{
    __shared__ double sh[kThreads];
    int f = blockIdx.x;
    float *y = a.frames + (size_t)f * a.nfft;

    if (f >= a.n) { /* bucket padding: defined input, ignored output */
        for (int t = threadIdx.x; t < a.nfft; t += kThreads)
            y[t] = 0.0f;
        return;
    }
    const float *x = a.x + a.off[f];
    double mean = 0, e = 0;
    if (a.dc) {
        double s = 0;
        for (int t = threadIdx.x; t < a.fl; t += kThreads)
            s += (double)(x[t] * a.scale);
        mean = block_sum(s, sh) / (double)a.fl;
    }
    for (int t = threadIdx.x; t < a.fl; t += kThreads) {
        double v = (double)(x[t] * a.scale) - mean;
        double prev = t > 0 ? (double)(x[t - 1] * a.scale) - mean : v;
        double w = (v - a.pre * prev) * a.window[t];
        if (a.energy == WEFT_K_MFCC_ENERGY_RAW)
            e += v * v;
        else if (a.energy == WEFT_K_MFCC_ENERGY_WINDOWED)
            e += w * w;
        y[t] = (float)w;
    }
    for (int t = a.fl + threadIdx.x; t < a.nfft; t += kThreads)
        y[t] = 0.0f;
    if (a.energy == WEFT_K_MFCC_ENERGY_RAW ||
        a.energy == WEFT_K_MFCC_ENERGY_WINDOWED) {
        e = block_sum(e, sh);
        if (threadIdx.x == 0)
            a.energy_out[f] = e;
    }
}

__global__ void power_kernel(const cufftComplex *spec, float *pw, size_t total,
                             uint32_t kind, float inv_n)
{
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < total;
         i += (size_t)gridDim.x * blockDim.x) {
        cufftComplex c = spec[i];
        float p = c.x * c.x + c.y * c.y;
        if (kind == WEFT_K_MFCC_MAGNITUDE)
            p = sqrtf(p);
        else if (kind == WEFT_K_MFCC_POWER_SCALED)
            p *= inv_n;
        pw[i] = p;
    }
}

struct LogArgs {
    float *lmel;        /* [n][nmel], log taken in place (MFCC) */
    const float *pw;    /* [n][nbins] */
    double *energy;     /* [n]: raw sums in, log energy out */
    int nmel, nbins;
    uint32_t log_type, energy_kind;
    float floor;
    double log_energy_floor;
    float *out;         /* fbank: rows out here; NULL for MFCC */
    long long ldo;
    bool energy_last;
};

__global__ void log_kernel(LogArgs a)
{
    __shared__ double sh[kThreads];
    int f = blockIdx.x;
    float *l = a.lmel + (size_t)f * a.nmel;
    bool has_e = a.energy_kind != WEFT_K_MFCC_ENERGY_NONE;
    int off = has_e && !a.energy_last ? 1 : 0;

    for (int j = threadIdx.x; j < a.nmel; j += kThreads) {
        float v = fmaxf(l[j], a.floor);
        v = a.log_type == WEFT_K_MFCC_LOG_DB ? 10.0f * log10f(v) : logf(v);
        if (a.out)
            a.out[f * a.ldo + off + j] = v;
        else
            l[j] = v;
    }
    if (!has_e)
        return;
    double e;
    if (a.energy_kind == WEFT_K_MFCC_ENERGY_SPECTRUM) {
        double s = 0;
        for (int k = threadIdx.x; k < a.nbins; k += kThreads)
            s += (double)a.pw[(size_t)f * a.nbins + k];
        e = block_sum(s, sh);
    } else {
        e = a.energy[f];
    }
    if (threadIdx.x == 0) {
        e = fmax(log(fmax(e, (double)a.floor)), a.log_energy_floor);
        if (a.out)
            a.out[f * a.ldo + (a.energy_last ? a.nmel : 0)] = (float)e;
        else
            a.energy[f] = e;
    }
}

__global__ void ceps_kernel(const float *ceps, const double *energy, int n,
                            int nceps, bool has_e, bool last, float *out,
                            long long ldo)
{
    size_t total = (size_t)n * nceps;
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < total;
         i += (size_t)gridDim.x * blockDim.x) {
        int f = (int)(i / nceps), c = (int)(i % nceps);
        int src = last ? (c == nceps - 1 ? 0 : c + 1) : c;
        float v = has_e && src == 0 ? (float)energy[f]
                                    : ceps[(size_t)f * nceps + src];
        out[f * ldo + c] = v;
    }
}

unsigned grid_for(size_t total)
{
    size_t g = (total + kThreads - 1) / kThreads;
    return (unsigned)(g < 65536 ? (g ? g : 1) : 65536);
}

} // namespace

struct weft__kmfcc_cuda {
    int max, nplans;
    int batch[kMaxPlans];
    cufftHandle plan[kMaxPlans];
    bool made[kMaxPlans];
    void *work;
    double *window, *energy;
    float *mel, *dct, *frames, *power, *lmel, *ceps;
    cufftComplex *spec;
};

template <class T>
static int upload(T **dst, const double *src, size_t n, cudaStream_t st,
                  char *err)
{
    T *h = new (std::nothrow) T[n];
    if (!h)
        return WEFT_ENOMEM;
    for (size_t i = 0; i < n; i++)
        h[i] = (T)src[i];
    /* Copied on the context's stream and waited for: a plain cudaMemcpy
     * from pageable memory may return before its DMA lands, and the
     * context's non-blocking stream would not wait for it. */
    cudaError_t e = cudaMalloc((void **)dst, n * sizeof(T));
    if (e == cudaSuccess)
        e = cudaMemcpyAsync(*dst, h, n * sizeof(T), cudaMemcpyHostToDevice,
                            st);
    if (e == cudaSuccess)
        e = cudaStreamSynchronize(st);
    delete[] h;
    if (e != cudaSuccess)
        return weft__kcuda_fail(err, "cudaMalloc/cudaMemcpy (mfcc tables)", e);
    return 0;
}

extern "C" void weft__kmfcc_cuda_free(weft__kcuda *cu, weft__kmfcc_cuda *m)
{
    if (!m)
        return;
    if (weft__kcuda_enter(cu, NULL) == 0) {
        (void)cudaStreamSynchronize(cu->stream);
        for (int i = 0; i < m->nplans; i++)
            if (m->made[i])
                cufftDestroy(m->plan[i]);
        cudaFree(m->work);
        cudaFree(m->window);
        cudaFree(m->energy);
        cudaFree(m->mel);
        cudaFree(m->dct);
        cudaFree(m->frames);
        cudaFree(m->power);
        cudaFree(m->lmel);
        cudaFree(m->ceps);
        cudaFree(m->spec);
    }
    delete m;
}

static int mfcc_new(weft__kcuda *cu, const weft__kmfcc_spec *s, int max,
                    weft__kmfcc_cuda *m, char *err)
{
    size_t nb = (size_t)s->nbins, mx = (size_t)max, work = 0;
    int rc = weft__kcuda_enter(cu, err);

    if (rc < 0)
        return rc;
    m->max = max;
    /* Batches 1, 2, 4, ... below max, then max. */
    for (long long b = 1; b < max && m->nplans < kMaxPlans - 1; b *= 2)
        m->batch[m->nplans++] = (int)b;
    m->batch[m->nplans++] = max;
    for (int i = 0; i < m->nplans; i++) {
        long long n = s->nfft;
        size_t ws = 0;
        WEFT_CKF("cufftCreate", cufftCreate(&m->plan[i]));
        m->made[i] = true;
        WEFT_CKF("cufftSetAutoAllocation",
                 cufftSetAutoAllocation(m->plan[i], 0));
        /* 64-bit sizes: fft_size * batch may pass 2^31. NULL embeds:
         * the basic layout, input rows of fft_size reals, output rows of
         * fft_size/2 + 1 complex values. */
        WEFT_CKF("cufftMakePlanMany64",
                 cufftMakePlanMany64(m->plan[i], 1, &n, NULL, 1, s->nfft,
                                     NULL, 1, (long long)nb, CUFFT_R2C,
                                     m->batch[i], &ws));
        if (ws > work)
            work = ws;
    }
    if (work)
        WEFT_CK("cudaMalloc (cuFFT work area)", cudaMalloc(&m->work, work));
    for (int i = 0; i < m->nplans; i++)
        WEFT_CKF("cufftSetWorkArea", cufftSetWorkArea(m->plan[i], m->work));
    if ((rc = upload(&m->window, s->window, (size_t)s->fl, cu->stream, err)) <
            0 ||
        (rc = upload(&m->mel, s->mel, (size_t)s->nmel * nb, cu->stream,
                     err)) < 0 ||
        (s->nceps && (rc = upload(&m->dct, s->dct,
                                  (size_t)(s->nceps * s->nmel), cu->stream,
                                  err)) < 0))
        return rc;
    WEFT_CK("cudaMalloc (mfcc frames)",
            cudaMalloc((void **)&m->frames, mx * s->nfft * sizeof(float)));
    WEFT_CK("cudaMalloc (mfcc spectra)",
            cudaMalloc((void **)&m->spec, mx * nb * sizeof(cufftComplex)));
    WEFT_CK("cudaMalloc (mfcc power)",
            cudaMalloc((void **)&m->power, mx * nb * sizeof(float)));
    WEFT_CK("cudaMalloc (mfcc mel)",
            cudaMalloc((void **)&m->lmel, mx * s->nmel * sizeof(float)));
    WEFT_CK("cudaMalloc (mfcc energy)",
            cudaMalloc((void **)&m->energy, mx * sizeof(double)));
    if (s->nceps)
        WEFT_CK("cudaMalloc (mfcc cepstra)",
                cudaMalloc((void **)&m->ceps, mx * s->nceps * sizeof(float)));
    return 0;
}

extern "C" int weft__kmfcc_cuda_new(weft__kcuda *cu, const weft__kmfcc_spec *s,
                                    int max_frames, weft__kmfcc_cuda **out,
                                    char *err)
{
    weft__kmfcc_cuda *m = new (std::nothrow) weft__kmfcc_cuda();
    int rc;

    *out = NULL;
    if (!m)
        return WEFT_ENOMEM;
    rc = mfcc_new(cu, s, max_frames, m, err);
    if (rc < 0) {
        weft__kmfcc_cuda_free(cu, m);
        return rc;
    }
    *out = m;
    return 0;
}

extern "C" int weft__kmfcc_cuda_run(weft__kcuda *cu, weft__kmfcc_cuda *m,
                                    const weft__kmfcc_spec *s,
                                    const float *samples,
                                    const int64_t *offsets, int n, float *out,
                                    long long ldo, char *err)
{
    int rc = weft__kcuda_enter(cu, err), pi = 0;
    cudaStream_t st = cu->stream;
    size_t nb = (size_t)s->nbins;

    if (rc < 0)
        return rc;
    while (m->batch[pi] < n)
        pi++;

    FrameArgs fa = {samples, offsets, n, s->fl, s->nfft, (float)s->scale,
                    s->pre, s->dc, s->energy, m->window, m->frames,
                    m->energy};
    frame_kernel<<<m->batch[pi], kThreads, 0, st>>>(fa);
    WEFT_CK("frame_kernel launch", cudaGetLastError());

    WEFT_CKF("cufftSetStream", cufftSetStream(m->plan[pi], st));
    WEFT_CKF("cufftExecR2C",
             cufftExecR2C(m->plan[pi], m->frames, m->spec));

    size_t total = (size_t)n * nb;
    power_kernel<<<grid_for(total), kThreads, 0, st>>>(
        m->spec, m->power, total, s->spectrum, 1.0f / (float)s->nfft);
    WEFT_CK("power_kernel launch", cudaGetLastError());

    rc = weft__kcuda_gemm_f32(cu, false, true, n, s->nmel, s->nbins, 1.0f,
                              m->power, s->nbins, 0, m->mel, s->nbins, 0,
                              0.0f, m->lmel, s->nmel, 0, 1, err);
    if (rc < 0)
        return rc;

    LogArgs la = {m->lmel, m->power, m->energy, s->nmel, s->nbins,
                  s->log_type, s->energy, s->floor, s->log_energy_floor,
                  s->nceps ? NULL : out, ldo, s->energy_last};
    log_kernel<<<n, kThreads, 0, st>>>(la);
    WEFT_CK("log_kernel launch", cudaGetLastError());
    if (!s->nceps)
        return 0;

    rc = weft__kcuda_gemm_f32(cu, false, true, n, s->nceps, s->nmel, 1.0f,
                              m->lmel, s->nmel, 0, m->dct, s->nmel, 0, 0.0f,
                              m->ceps, s->nceps, 0, 1, err);
    if (rc < 0)
        return rc;
    total = (size_t)n * s->nceps;
    ceps_kernel<<<grid_for(total), kThreads, 0, st>>>(
        m->ceps, m->energy, n, s->nceps, s->energy != WEFT_K_MFCC_ENERGY_NONE,
        s->energy_last, out, ldo);
    WEFT_CK("ceps_kernel launch", cudaGetLastError());
    return 0;
}
