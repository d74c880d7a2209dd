/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * weft/features.h: batched speech features (log-mel filterbank and MFCC)
 * in libweft-kernels, over many frames from many streams at once.
 *
 * One plan holds the read-only tables (window, mel filters, DCT with the
 * lifter) and the work buffers for up to max_frames frames; each
 * weft_k_mfcc_run computes the features of a batch of frames that the
 * caller names by their first sample in one sample buffer. On CUDA a run is
 * one framing kernel (scale, DC removal, energy, pre-emphasis, window, zero
 * padding), one batched cuFFT R2C (cufftPlanMany), a power kernel, the mel
 * filterbank as a GEMM (cuBLAS, FP32 math, as weft_k_gemm_f32), a log
 * kernel, the DCT as a GEMM, and a kernel that lays the rows out. On the
 * CPU a run is a straightforward double-precision reference (the mfcc
 * plugin's conventions, frame by frame).
 *
 * What a run does NOT do, because it depends on a stream's history rather
 * than on one frame: framing conventions at the segment's edges (snip,
 * reflect, centre: the caller lays out the samples), whole-signal
 * pre-emphasis (python_speech_features: the caller applies it and sets
 * preemphasis to 0), dither, the top_db clamp, deltas and CMVN. The mfcc
 * plugin does those on the CPU around the same per-frame work.
 *
 * Per frame f of a run, with x = samples + offsets[f] (frame_length floats):
 *   v[t] = sample_scale * x[t] - (remove_dc_offset ? mean(sample_scale x) : 0)
 *   y[t] = (v[t] - preemphasis * v[max(t-1, 0)]) * window[t], zero-padded
 *          to fft_size
 *   S[k] = |Y[k]|^2, |Y[k]| or |Y[k]|^2 / fft_size for k <= fft_size/2
 *   E[j] = sum_k mel[j][k] S[k]
 *   L[j] = log(max(E[j], floor)) or 10 log10(max(E[j], floor)), floor =
 *          log_floor rounded to float (FLT_MIN when log_floor <= 0)
 *   C[i] = sum_j dct[i][j] L[j] * (lifter ? lifter[i] : 1)   (MFCC only)
 *   energy (optional) = max(log(max(e, floor)), log(energy_floor)), e being
 *          sum v^2 (raw), sum y^2 (windowed) or sum_k S[k] (spectrum)
 * Row layout (dim columns): MFCC: C, with C[0] replaced by the energy when
 * there is one; fbank: [energy,] L. energy_last moves column 0 (the energy,
 * or C0 of MFCC) to the end, as HTK orders them.
 *
 * Precision: the CPU backend works in double and rounds the rows to float.
 * The CUDA backend works in float (FFT, power, GEMMs, log) with the DC mean
 * and energies summed in double. A float FFT's error is relative to the
 * frame's whole spectrum, not to each bin: mel bins 60 dB or more below
 * the frame's loudest bin can differ visibly in the log domain, while loud
 * bins agree to float rounding. tests/kernels/test-mfcc-cuda.c states the
 * bound it checks.
 *
 * Ownership, threads and asynchrony are those of weft/kernels.h: a plan
 * belongs to the context it was made on, is used by that context's thread,
 * and on CUDA every run is queued on the context's stream and returns
 * before it completes (weft_k_sync waits).
 */
#ifndef WEFT_FEATURES_H
#define WEFT_FEATURES_H

#include <weft/kernels.h>

WEFT_BEGIN_DECLS

/** Spectrum of weft_k_mfcc_desc. Values are part of the ABI. */
typedef uint32_t weft_k_mfcc_spectrum;
enum {
    WEFT_K_MFCC_POWER = 0,        /* |Y|^2 (Kaldi, librosa) */
    WEFT_K_MFCC_MAGNITUDE = 1,    /* |Y| (HTK's USEPOWER=F) */
    WEFT_K_MFCC_POWER_SCALED = 2  /* |Y|^2 / fft_size (python_speech_features) */
};

/** Log of weft_k_mfcc_desc. */
typedef uint32_t weft_k_mfcc_log;
enum {
    WEFT_K_MFCC_LOG_LN = 0, /* natural log */
    WEFT_K_MFCC_LOG_DB = 1  /* 10 log10 (the energy stays a natural log) */
};

/** Energy of weft_k_mfcc_desc. */
typedef uint32_t weft_k_mfcc_energy;
enum {
    WEFT_K_MFCC_ENERGY_NONE = 0,
    WEFT_K_MFCC_ENERGY_RAW = 1,      /* sum v^2: after DC removal, before
                                        pre-emphasis and window (Kaldi) */
    WEFT_K_MFCC_ENERGY_WINDOWED = 2, /* sum y^2 */
    WEFT_K_MFCC_ENERGY_SPECTRUM = 3  /* sum of S (python_speech_features) */
};

/**
 * The parameters of a plan; the same as the mfcc plugin's plan resolves
 * (its feat_plan_window, mel filters and feat_plan_dct give the tables).
 * Set struct_size to sizeof(weft_k_mfcc_desc); fields are only ever added
 * at the end. Tables are (transfer none) host memory, read during
 * weft_k_mfcc_plan_new only.
 */
typedef struct weft_k_mfcc_desc {
    uint32_t struct_size;
    int32_t frame_length;      /* samples read per frame, >= 1 */
    int32_t fft_size;          /* >= frame_length, any size */
    int32_t num_mel_bins;      /* >= 1 */
    int32_t num_ceps;          /* 0: fbank (stop at L); else 1..num_mel_bins */
    double sample_scale;       /* samples are multiplied by this first */
    bool remove_dc_offset;
    double preemphasis;        /* 0: none */
    const double *window;      /* [frame_length] */
    weft_k_mfcc_spectrum spectrum;
    const double *mel;         /* [num_mel_bins][fft_size/2 + 1], row-major */
    weft_k_mfcc_log log_type;
    double log_floor;
    const double *dct;         /* [num_ceps][num_mel_bins]; NULL for fbank */
    const double *lifter;      /* [num_ceps] or NULL (none, or folded into
                                  dct already) */
    weft_k_mfcc_energy energy;
    double energy_floor;       /* > 0: log energy at least log(this) */
    bool energy_last;          /* HTK order: column 0 moves to the end */
} weft_k_mfcc_desc;

/** A plan: tables and work buffers on one context. Opaque. */
typedef struct weft_k_mfcc_plan weft_k_mfcc_plan;

/**
 * weft_k_mfcc_plan_new: check @desc, copy its tables into @ctx's domain
 * (uploaded once on CUDA) and allocate work buffers for up to @max_frames
 * frames per run. On CUDA this creates cuFFT plans (one per power-of-two
 * batch up to @max_frames, sharing one work area) and allocates device
 * memory, which may synchronize the device: make plans when a node starts.
 * @ctx: (transfer none) must outlive the plan.
 * @out: (out) (transfer full) free with weft_k_mfcc_plan_free; NULL on
 * failure.
 * Returns 0, WEFT_EINVAL (a field out of range, NULL table, wrong
 * struct_size), WEFT_ENOMEM, WEFT_ECUDA (weft_kctx_last_error says which
 * call). [worker] (the context's thread)
 */
WEFT_API int weft_k_mfcc_plan_new(weft_kctx *ctx, const weft_k_mfcc_desc *desc,
                                  int32_t max_frames, weft_k_mfcc_plan **out);

/**
 * weft_k_mfcc_plan_free: free a plan after the work queued with it on its
 * context's stream has finished. NULL does nothing. [worker]
 */
WEFT_API void weft_k_mfcc_plan_free(weft_k_mfcc_plan *plan);

/** Columns of an output row (num_ceps, or num_mel_bins plus one with an
 * energy for fbank). [any-thread] */
WEFT_API int32_t weft_k_mfcc_plan_dim(const weft_k_mfcc_plan *plan);

/** The plan's max_frames. [any-thread] */
WEFT_API int32_t weft_k_mfcc_plan_max_frames(const weft_k_mfcc_plan *plan);

/**
 * weft_k_mfcc_run: the features of @n_frames frames, frame f being the
 * frame_length samples at @samples + @offsets[f] (frames may overlap and
 * come from any number of streams laid out in one buffer).
 * @samples, @offsets, @out: (transfer none) in the context's domain (device
 * memory on CUDA), valid until the run completes (weft_k_sync on CUDA).
 * Offsets are not range-checked: each frame must lie inside @samples.
 * @out: n_frames rows of weft_k_mfcc_plan_dim floats, row f at out + f*ldo
 * (ldo >= dim). Columns past dim are not written.
 * @n_frames == 0 does nothing. Non-finite samples give non-finite rows.
 * Returns 0, WEFT_EINVAL (NULL pointer, n_frames outside 0..max_frames,
 * short ldo), WEFT_ECUDA. Asynchronous on CUDA. [worker]
 */
WEFT_API int weft_k_mfcc_run(weft_k_mfcc_plan *plan, const float *samples,
                             const int64_t *offsets, int32_t n_frames,
                             float *out, int64_t ldo);

WEFT_END_DECLS
#endif /* WEFT_FEATURES_H */
