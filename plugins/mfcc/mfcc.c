/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * mfcc: mel-frequency cepstral coefficients from mono audio, with the
 * conventions of Kaldi, HTK, librosa or python_speech_features.
 */
#include "mfcc-plugin.h"

static const weft_port_desc inputs[] = {
    WEFT_PORT("in", "audio/pcm channels=1 dtype=f32",
              "Mono f32 audio at `rate`, as [samples, 1] (or [samples]) "
              "tensors of any length, 1 sample to hours."),
    WEFT_PORT_END
};

static const weft_port_desc outputs[] = {
    WEFT_PORT("out", "tensor dtype=f32 shape=[T,*]",
              "One row per frame: num_ceps columns, times 1 + deltas. Each "
              "buffer holds the rows its input completed; the last of a "
              "segment is flagged segment-end (it may have 0 rows). Each "
              "carries the segment id and the metadata (audio.dir's `file`, "
              "say) of the newest input buffer of the segment."),
    WEFT_PORT_END
};

static const weft_prop_desc props[] = {
    FEAT_COMMON_PROPS,
    WEFT_PROP_INT("num_ceps", "-1", -1, 1024, NULL,
                  "Cepstral coefficients kept (C0 first, or last with "
                  "htk_compat); at most num_mel_bins."),
    WEFT_PROP_ENUM("dct_norm", "preset", feat_dct_norm_choices,
                   "DCT-II scaling: ortho (sqrt(1/N) for C0, sqrt(2/N) "
                   "otherwise: Kaldi, librosa, python_speech_features); none "
                   "(2 sum ...: scipy's norm=None); htk (sqrt(2/N) for all, "
                   "C0 included)."),
    WEFT_PROP_FLOAT("cepstral_lifter", "-1", -1, 1e4, NULL,
                    "Lifter Q: c_i *= 1 + Q/2 sin(pi i / Q); 0 is none."),
    WEFT_PROP_ENUM("lifter_style", "preset", feat_lifter_style_choices,
                   "Index i of the lifter: kaldi counts from 0 (C0 is "
                   "unchanged; HTK and python_speech_features agree); "
                   "librosa counts from 1 (C0 is scaled too)."),
    WEFT_PROP_END
};

const weft_node_class mfcc_mfcc_class = {
    .struct_size = sizeof(weft_node_class),
    .name = "mfcc",
    .summary = "Mel-frequency cepstral coefficients (Kaldi, HTK, librosa, "
               "python_speech_features conventions)",
    .doc =
        "Computes MFCCs frame by frame: scale, frame, dither, DC removal, "
        "energy, pre-emphasis, window, real FFT, power or magnitude "
        "spectrum, mel filterbank, log, DCT-II, lifter, then optional CMVN "
        "and deltas. Streaming: a frame is computed as soon as its samples "
        "are in, and the output is bit-identical whatever the input "
        "chunking (1 sample or the whole file). Frames that need the "
        "signal's end (reflected or padded tails, deltas at the edge, "
        "utterance CMVN, top_db) come out at the segment's end: an input "
        "buffer flagged segment-end, a new segment id, or end of stream. "
        "Row r of a segment is stamped at the segment's first pts plus "
        "r * frame_shift. Segment ids and string metadata pass through: an "
        "output buffer carries the metadata of the newest input buffer of "
        "its segment. `fbank` is the same pipeline stopped at the log "
        "mel energies.\n\n"
        "Presets (what `preset` sets; every other property left at "
        "`preset`/-1 follows it):\n\n"
        "kaldi (compute-mfcc-feats defaults, dither 0): sample_scale 32768, "
        "25 ms / 10 ms frames, edges snip, remove_dc_offset, preemphasis "
        "0.97 per frame, povey window, FFT rounded to a power of two (512 at "
        "16 kHz), power spectrum, 23 mel bins from 20 Hz to Nyquist (htk "
        "scale, mel-linear triangles), log floored at FLT_EPSILON, 13 "
        "ceps, ortho DCT, lifter 22 (index from 0), use_energy with raw "
        "energy and no energy floor. Matches "
        "torchaudio.compliance.kaldi.mfcc(use_energy=True, energy_floor=0, "
        "dither=0) on waveforms scaled to the int16 range. Traps: Kaldi "
        "floors mel energies and energy at FLT_EPSILON (1.19e-7), so "
        "digital silence gives ln(FLT_EPSILON) = -15.94, not -inf; "
        "torchaudio's own default energy_floor is 1.0 and use_energy False, "
        "unlike the Kaldi binary.\n\n"
        "htk (HTK's HCopy conventions): sample_scale 32768, 25 ms / 10 ms, "
        "edges snip, no DC removal (ZMEANSOURCE=F), preemphasis 0.97 per "
        "frame, symmetric hamming, FFT 512, magnitude spectrum "
        "(USEPOWER=F), 26 mel bins (the HTK book's configurations; HTK's "
        "built-in NUMCHANS is 20), htk mel scale over 0 Hz to Nyquist, log "
        "floored at 1.0 (HTK's melfloor), 13 ceps with the htk DCT (sqrt(2/N) "
        "for every coefficient), CEPLIFTER 22, C0 last (MFCC_0: c1..c12, "
        "c0). Energy normalisation (ENORMALISE) needs the whole utterance "
        "and is not applied; use cmvn for that role.\n\n"
        "librosa (librosa.feature.mfcc defaults, at the node's rate): "
        "sample_scale 1, n_fft 2048, hop 512, edges center (zero padding, "
        "librosa >= 0.10), periodic hann, power spectrum, 128 slaney mel "
        "filters with slaney norm, power_to_db (10 log10, amin 1e-10) with "
        "top_db 80, 20 ceps, ortho DCT, no lifter (librosa's lifter counts "
        "from 1: lifter_style librosa). Traps: librosa clamps the dB "
        "spectrogram at (its maximum over the whole signal - 80 dB). No "
        "streaming node can know that maximum early, so with top_db > 0 "
        "the node holds each segment and emits it at the segment's end "
        "(exactly librosa's result); set top_db 0 to stream, which differs "
        "from librosa only where a mel energy lies 80 dB below the "
        "loudest. librosa's default sr is 22050; the node uses its "
        "input's rate.\n\n"
        "python_speech_features (mfcc() defaults): sample_scale 32768 (its "
        "examples read int16 WAVs), 25 ms / 10 ms, edges pad_end (frames "
        "from sample 0, the last zero-padded; at least one frame), "
        "preemphasis 0.97 over the whole signal, rectangular window (its "
        "winfunc default), FFT 512, power spectrum divided by 512, 26 "
        "filters with corners rounded down to FFT bins, ln floored at "
        "DBL_EPSILON, 13 ceps, ortho DCT, lifter 22, C0 replaced by the "
        "log of the summed power spectrum (appendEnergy). Trap: it computes "
        "in float64; the node in float32 agrees within 1e-4. An empty "
        "input gives it one frame of zeros; the node gives none.\n\n"
        "Bad input: a NaN or infinite sample stops the graph with an error "
        "naming the node, the sample's index in its segment and its time. "
        "A rate other than `rate` fails at negotiation (`weft check`). An "
        "empty stream gives no rows and a clean end of stream.\n\n"
        "Examples:\n"
        "    node feat = mfcc { preset = \"kaldi\" }\n"
        "    node feat = mfcc { preset = \"kaldi\", deltas = 2, "
        "cmvn = \"sliding\" }\n"
        "    node feat = mfcc { preset = \"librosa\", rate = 22050, "
        "top_db = 0 }",
    .flags = WEFT_NODE_STATEFUL,
    .inputs = inputs,
    .outputs = outputs,
    .props = props,
    .init = feat_node_init,
    .negotiate = feat_node_negotiate,
    .process = feat_node_process,
    .flush = feat_node_flush,
    .fini = feat_node_fini,
};
