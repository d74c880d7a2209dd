/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * feat.h: the feature pipeline shared by the `mfcc` and `fbank` classes, the
 * benchmark driver and the CUDA path. Internal to the mfcc plugin.
 *
 * feat_opts holds every convention of the pipeline, resolved (no "preset"
 * sentinels left); feat_opts_preset fills one from a preset. feat_plan holds
 * the read-only tables built from the options and a sample rate (window,
 * FFT twiddles, mel filters as sparse ranges, DCT matrix, lifter), which
 * many streams could share. feat_stream holds one stream's state: pending
 * samples, the segment's frame count, the rows waiting for their delta or
 * CMVN context.
 *
 * Determinism: frames are computed in batches of FEAT_LANES, one frame per
 * SIMD lane, with every lane going through the same operations; so a
 * frame's features depend only on its samples, never on how the audio was
 * chunked or on which lane the frame landed in. That is what makes the
 * node's output bit-identical for any chunking.
 */
#ifndef WEFT_PLUGIN_MFCC_FEAT_H
#define WEFT_PLUGIN_MFCC_FEAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Frames per batch: one per lane of the vector type in feat-compute.c. */
#define FEAT_LANES 4

enum feat_preset { FEAT_PRESET_KALDI, FEAT_PRESET_HTK, FEAT_PRESET_LIBROSA,
                   FEAT_PRESET_PSF, FEAT_PRESET_COUNT_ };
enum feat_window { FEAT_WIN_POVEY, FEAT_WIN_HAMMING, FEAT_WIN_HANN,
                   FEAT_WIN_RECTANGULAR, FEAT_WIN_BLACKMAN };
enum feat_edges { FEAT_EDGES_SNIP, FEAT_EDGES_REFLECT, FEAT_EDGES_CENTER,
                  FEAT_EDGES_PAD_END };
enum feat_spectrum { FEAT_SPEC_POWER, FEAT_SPEC_MAGNITUDE,
                     FEAT_SPEC_POWER_SCALED };
enum feat_mel_scale { FEAT_MEL_HTK, FEAT_MEL_SLANEY };
enum feat_mel_shape { FEAT_SHAPE_MEL, FEAT_SHAPE_HZ, FEAT_SHAPE_FFT_BINS };
enum feat_mel_norm { FEAT_NORM_NONE, FEAT_NORM_SLANEY };
enum feat_log { FEAT_LOG_LN, FEAT_LOG_DB };
enum feat_dct_norm { FEAT_DCT_ORTHO, FEAT_DCT_NONE, FEAT_DCT_HTK };
enum feat_lifter_style { FEAT_LIFTER_KALDI, FEAT_LIFTER_LIBROSA };
enum feat_cmvn { FEAT_CMVN_NONE, FEAT_CMVN_UTTERANCE, FEAT_CMVN_SLIDING };

typedef struct feat_opts {
    bool mfcc;               /* false: stop at log-mel (fbank) */
    double sample_scale;     /* samples are multiplied by this first */
    double frame_length;     /* seconds, used when frame_length_n == 0 */
    double frame_shift;      /* seconds, used when frame_shift_n == 0 */
    int64_t frame_length_n;  /* samples; 0: from frame_length */
    int64_t frame_shift_n;   /* samples; 0: from frame_shift */
    int edges;               /* enum feat_edges */
    double dither;           /* Gaussian, times this; 0: none */
    uint64_t seed;
    bool remove_dc_offset;
    double preemphasis;
    bool preemph_signal;     /* over the whole signal (psf), not per frame */
    int window;              /* enum feat_window */
    bool window_periodic;
    double blackman_coeff;
    int64_t fft_size;        /* 0: frame length (rounded up to a power of
                                two when round_to_power_of_two) */
    bool round_to_power_of_two;
    int spectrum;            /* enum feat_spectrum */
    int64_t num_mel_bins;
    double low_freq, high_freq; /* high <= 0: offset from Nyquist */
    int mel_scale, mel_shape, mel_norm;
    int log_type;            /* enum feat_log */
    double log_floor;        /* mel (and energy) floor before the log */
    double top_db;           /* dB mode: clamp to max - top_db; 0: none */
    int64_t num_ceps;
    int dct_norm;
    double cepstral_lifter;  /* 0: none */
    int lifter_style;
    bool use_energy, raw_energy, energy_from_spectrum;
    double energy_floor;     /* > 0: log energy floored at log(this) */
    bool htk_compat;         /* energy / C0 last instead of first */
    int64_t deltas;          /* 0, 1 or 2 */
    int64_t delta_window;
    int cmvn;                /* enum feat_cmvn */
    int64_t cmvn_window;
    bool cmvn_norm_vars;
} feat_opts;

/** The preset's values for the mfcc (@mfcc) or fbank pipeline. */
void feat_opts_preset(feat_opts *o, int preset, bool mfcc);
/** Preset names, NULL-terminated, in enum feat_preset order. */
extern const char *const feat_preset_names[];

typedef struct feat_plan feat_plan;

/**
 * feat_plan_new: check @o against @rate and build the tables. (transfer
 * full) in @out. Returns 0, WEFT_ERANGE/WEFT_EINVAL with a one-line reason
 * in @err, or WEFT_ENOMEM.
 */
int feat_plan_new(const feat_opts *o, double rate, feat_plan **out,
                  char *err, size_t errlen);
void feat_plan_free(feat_plan *p);
/** Columns of an output row. */
int64_t feat_plan_dim(const feat_plan *p);
/** Frame length and shift in samples, and the FFT size. */
int64_t feat_plan_frame_length(const feat_plan *p);
int64_t feat_plan_frame_shift(const feat_plan *p);
int64_t feat_plan_fft_size(const feat_plan *p);
/** The resolved options ((transfer none)). */
const feat_opts *feat_plan_opts(const feat_plan *p);
/**
 * Offset in samples of frame 0's first sample relative to the segment's
 * first sample (negative for centred frames), for timestamps.
 */
int64_t feat_plan_first_sample(const feat_plan *p);
/** Floating point operations of one frame (ceiling estimates). */
double feat_plan_flops_per_frame(const feat_plan *p);
/** Mel filter matrix as dense [num_mel_bins, fft_size/2+1] (for CUDA GEMM). */
void feat_plan_mel_dense(const feat_plan *p, float *out);
/** DCT matrix [num_ceps, num_mel_bins] with the lifter folded in. */
const double *feat_plan_dct(const feat_plan *p);
/**
 * The instruction set the plan's per-frame code uses ("avx2+fma" or
 * "generic"; the environment variable WEFT_MFCC_ISA=generic forces the
 * latter). (transfer none)
 */
const char *feat_plan_isa(const feat_plan *p);
/** The window, frame_length floats. */
const double *feat_plan_window(const feat_plan *p);

/**
 * feat_frames_compute: the static features (before deltas/CMVN, before the
 * top_db clamp and DCT when top_db is set) of up to FEAT_LANES frames whose
 * samples are already gathered: @frames[l] points at frame_length floats
 * (scaled, and pre-emphasised when preemph_signal). @frame_index[l] is the
 * frame's index in its segment (for dither). @out gets @n rows of
 * feat_plan_static_dim floats. @scratch: feat_plan_scratch_size bytes,
 * 64-byte aligned.
 */
void feat_frames_compute(const feat_plan *p, const float *const *frames,
                         const int64_t *frame_index, int n, float *out,
                         void *scratch);
size_t feat_plan_scratch_size(const feat_plan *p);
/** Width of the rows feat_frames_compute writes. */
int64_t feat_plan_static_dim(const feat_plan *p);
/**
 * feat_rows_finish: the clamp (top_db) and DCT for rows computed with
 * top_db set: @in rows of static_dim (log-mel), clamped at @max_db - top_db,
 * to @out rows of the base dimension. In place is not allowed.
 */
void feat_rows_finish(const feat_plan *p, const float *in, int64_t rows,
                      float max_db, float *out);
/** Whether rows need feat_rows_finish (top_db is set). */
bool feat_plan_needs_finish(const feat_plan *p);
/** Width of a row before deltas (num_ceps or mel bins + energy). */
int64_t feat_plan_base_dim(const feat_plan *p);

/* ------------------------------------------------------------- streams */

typedef struct feat_stream feat_stream;

int feat_stream_new(const feat_plan *p, feat_stream **out);
void feat_stream_free(feat_stream *s);
/** Forget everything: the next sample starts a new segment. */
void feat_stream_reset(feat_stream *s);
/**
 * feat_stream_feed: append @n samples. Returns 0, or WEFT_EINVAL when a
 * sample is NaN or infinite (@bad gets its index in the segment; nothing
 * of this call is kept), or WEFT_ENOMEM.
 */
int feat_stream_feed(feat_stream *s, const float *x, size_t n, int64_t *bad);
/** Mark the segment's end: computes the last frames. 0 or WEFT_ENOMEM. */
int feat_stream_end(feat_stream *s);
/** Rows ready to be taken now. */
int64_t feat_stream_ready(const feat_stream *s);
/** Copy @rows ready rows (feat_plan_dim wide) to @out and drop them. */
void feat_stream_take(feat_stream *s, float *out, int64_t rows);
/** Index in the segment of the next row feat_stream_take gives. */
int64_t feat_stream_next_row(const feat_stream *s);
/** Samples fed in this segment so far. */
int64_t feat_stream_samples(const feat_stream *s);

#endif /* WEFT_PLUGIN_MFCC_FEAT_H */
