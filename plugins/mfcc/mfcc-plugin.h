/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * mfcc-plugin.h: what the classes of the mfcc plugin share. Both classes run
 * the node implementation in feat-node.c; they differ in their properties,
 * their docs and whether the pipeline goes on to the DCT.
 */
#ifndef WEFT_PLUGIN_MFCC_PLUGIN_H
#define WEFT_PLUGIN_MFCC_PLUGIN_H

#include <weft/plugin.h>

extern const weft_node_class mfcc_mfcc_class;
extern const weft_node_class mfcc_fbank_class;

/* The callbacks, for both classes. */
int feat_node_init(weft_node *node);
int feat_node_negotiate(weft_node *node, const weft_format *const *in,
                        weft_format **out);
weft_flow feat_node_process(weft_node *node);
int feat_node_flush(weft_node *node);
void feat_node_fini(weft_node *node);

/* Choice lists. "preset" first: the preset decides. */
extern const char *const feat_tri_choices[];
extern const char *const feat_window_choices[];
extern const char *const feat_edges_choices[];
extern const char *const feat_spectrum_choices[];
extern const char *const feat_mel_scale_choices[];
extern const char *const feat_mel_shape_choices[];
extern const char *const feat_mel_norm_choices[];
extern const char *const feat_log_choices[];
extern const char *const feat_dct_norm_choices[];
extern const char *const feat_lifter_style_choices[];
extern const char *const feat_cmvn_choices[];
extern const char *const feat_preset_choices[];

#define FEAT_TRI(n, d) WEFT_PROP_ENUM(n, "preset", feat_tri_choices, d)

/* The properties both classes have, in inspect order. */
#define FEAT_COMMON_PROPS \
    WEFT_PROP_ENUM("preset", "kaldi", feat_preset_choices, \
        "Conventions to follow (see the class doc for each preset's " \
        "values). Every property below left at `preset` (or -1) takes the " \
        "preset's value; any other value overrides it."), \
    WEFT_PROP_INT("rate", "16000", 0, 768000, "Hz", \
        "Sample rate the node is configured for; the input must have it " \
        "(checked when the graph is negotiated, so `weft check` reports a " \
        "mismatch). 0 accepts any rate."), \
    WEFT_PROP_FLOAT("sample_scale", "-1", -1, 1e9, NULL, \
        "Factor applied to the f32 samples first. Kaldi and HTK read 16-bit " \
        "files and work on integer-valued samples, hence 32768; librosa " \
        "works on [-1, 1]."), \
    WEFT_PROP_FLOAT("frame_length", "-1", -1, 10, "s", \
        "Window length (Kaldi truncates to whole samples: 25 ms at 16 kHz " \
        "is 400)."), \
    WEFT_PROP_FLOAT("frame_shift", "-1", -1, 10, "s", \
        "Hop between frames."), \
    WEFT_PROP_ENUM("edges", "preset", feat_edges_choices, \
        "Framing at the signal's edges. snip: only whole frames (Kaldi's " \
        "snip_edges=true, HTK); reflect: Kaldi's snip_edges=false, frame t " \
        "centred at t*shift+shift/2, mirrored samples outside the signal, " \
        "(N+shift/2)/shift frames; center: librosa's center=True with " \
        "pad_mode=constant, frame t centred at t*shift, 1+N/shift frames; " \
        "pad_end: python_speech_features, frames from 0, the last one " \
        "zero-padded."), \
    WEFT_PROP_FLOAT("dither", "0", 0, 1e6, NULL, \
        "Gaussian noise added to each sample (times sample_scale units); 0 " \
        "keeps runs reproducible. Seeded per frame by `seed`, so the noise " \
        "is the same for any chunking."), \
    WEFT_PROP_INT("seed", "0", 0, 9e18, NULL, "Seed of the dither."), \
    FEAT_TRI("remove_dc_offset", \
        "Subtract each frame's mean before anything else (Kaldi)."), \
    WEFT_PROP_FLOAT("preemphasis", "-1", -1, 1, NULL, \
        "Pre-emphasis coefficient c: y[n] = x[n] - c x[n-1]; 0 is none."), \
    FEAT_TRI("preemphasis_signal", \
        "Pre-emphasise the whole signal, its first sample unchanged " \
        "(python_speech_features), instead of each frame with " \
        "y[0] = x[0] - c x[0] (Kaldi, HTK)."), \
    WEFT_PROP_ENUM("window", "preset", feat_window_choices, \
        "Window: povey (Hann to the power 0.85, Kaldi's default), hamming " \
        "(0.54/0.46), hann, rectangular, blackman (blackman_coeff)."), \
    FEAT_TRI("window_periodic", \
        "Periodic window (denominator N, scipy's fftbins=True, librosa) " \
        "instead of symmetric (N-1, Kaldi, HTK)."), \
    WEFT_PROP_FLOAT("blackman_coeff", "0.42", 0, 1, NULL, \
        "Constant of the blackman window."), \
    WEFT_PROP_INT("fft_size", "-1", -1, 1048576, "samples", \
        "FFT length; 0 derives it from the frame length (rounded up to a " \
        "power of two with round_to_power_of_two). Powers of two use the " \
        "fast FFT; other sizes a slower direct transform."), \
    FEAT_TRI("round_to_power_of_two", \
        "With fft_size 0: round the frame length up to a power of two."), \
    WEFT_PROP_ENUM("spectrum", "preset", feat_spectrum_choices, \
        "power |X|^2 (Kaldi, librosa); magnitude |X| (HTK's USEPOWER=F); " \
        "power_scaled |X|^2/fft_size (python_speech_features)."), \
    WEFT_PROP_INT("num_mel_bins", "-1", -1, 1024, NULL, \
        "Number of mel filters."), \
    WEFT_PROP_FLOAT("low_freq", "-1", -1, 1e6, "Hz", \
        "Lower edge of the first mel filter."), \
    WEFT_PROP_FLOAT("high_freq", "0", -1e6, 1e6, "Hz", \
        "Upper edge of the last mel filter; <= 0 is an offset from Nyquist " \
        "(Kaldi's convention), so 0 is Nyquist (every preset)."), \
    WEFT_PROP_ENUM("mel_scale", "preset", feat_mel_scale_choices, \
        "htk: 1127 ln(1 + f/700) (Kaldi, HTK, python_speech_features); " \
        "slaney: linear below 1 kHz, logarithmic above (librosa's " \
        "htk=False)."), \
    WEFT_PROP_ENUM("mel_shape", "preset", feat_mel_shape_choices, \
        "mel: triangles linear in mel over the bins below Nyquist (Kaldi, " \
        "HTK); hz: triangles linear in Hz between mel-spaced corners " \
        "(librosa); fft_bins: corners rounded down to FFT bins " \
        "(python_speech_features)."), \
    WEFT_PROP_ENUM("mel_norm", "preset", feat_mel_norm_choices, \
        "none, or slaney: each filter scaled by 2/(its width in Hz) " \
        "(librosa's norm='slaney')."), \
    WEFT_PROP_ENUM("log", "preset", feat_log_choices, \
        "ln: natural log (Kaldi, HTK, python_speech_features); db: " \
        "10 log10 (librosa's power_to_db)."), \
    WEFT_PROP_FLOAT("log_floor", "-1", -1, 1e30, NULL, \
        "Mel energies (and the energy) are floored at this before the " \
        "log: FLT_EPSILON (1.19e-7) in Kaldi, 1.0 in HTK, 1e-10 (amin) in " \
        "librosa, DBL_EPSILON in python_speech_features."), \
    WEFT_PROP_FLOAT("top_db", "-1", -1, 1e4, "dB", \
        "log=db only: clamp to (the segment's maximum - top_db), as " \
        "librosa does over the whole signal; 0 is none. The maximum is only " \
        "known at the segment's end, so a nonzero top_db holds every row " \
        "until then; set 0 to stream."), \
    FEAT_TRI("use_energy", \
        "mfcc: replace C0 with the log energy; fbank: add the log energy " \
        "as an extra column (first, or last with htk_compat)."), \
    FEAT_TRI("raw_energy", \
        "Energy of the frame before pre-emphasis and window (after DC " \
        "removal), as Kaldi's raw_energy and HTK's RAWENERGY; false: after " \
        "the window."), \
    FEAT_TRI("energy_from_spectrum", \
        "Energy as the sum of the (scaled) power spectrum, as " \
        "python_speech_features' appendEnergy does."), \
    WEFT_PROP_FLOAT("energy_floor", "-1", -1, 1e30, NULL, \
        "When > 0, the log energy is at least log(energy_floor) (Kaldi's " \
        "energy_floor); 0 is none."), \
    FEAT_TRI("htk_compat", \
        "Put the energy (or C0) last instead of first, as HTK orders its " \
        "parameters."), \
    WEFT_PROP_INT("deltas", "0", 0, 2, NULL, \
        "Append deltas (1) or deltas and delta-deltas (2), computed as " \
        "Kaldi's add-deltas (edges repeat the first and last frame). Each " \
        "order delays the output by delta_window frames."), \
    WEFT_PROP_INT("delta_window", "2", 1, 10, "frames", \
        "Half-width N of the delta regression window."), \
    WEFT_PROP_ENUM("cmvn", "none", feat_cmvn_choices, \
        "Mean (and variance) normalisation of the static features, before " \
        "deltas: none; utterance: over the whole segment, emitted at the " \
        "segment's end; sliding: over the last cmvn_window frames, causal, " \
        "for streaming."), \
    WEFT_PROP_INT("cmvn_window", "600", 1, 1000000, "frames", \
        "Window of cmvn=sliding."), \
    WEFT_PROP_BOOLEAN("cmvn_norm_vars", "false", \
        "Also divide by the standard deviation.")

#endif /* WEFT_PLUGIN_MFCC_PLUGIN_H */
