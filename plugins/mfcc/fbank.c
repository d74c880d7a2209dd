/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fbank: log mel filterbank energies, the mfcc pipeline stopped before the
 * DCT.
 */
#include "mfcc-plugin.h"

static const weft_port_desc inputs[] = {
    WEFT_PORT("in", "audio/pcm channels=1 dtype=f32",
              "Mono f32 audio at `rate`, as [samples, 1] (or [samples]) "
              "tensors of any length."),
    WEFT_PORT_END
};

static const weft_port_desc outputs[] = {
    WEFT_PORT("out", "tensor dtype=f32 shape=[T,*]",
              "One row per frame: num_mel_bins log energies (plus the log "
              "energy with use_energy), times 1 + deltas. The last buffer of "
              "a segment is flagged segment-end. Each carries the segment id "
              "and the metadata (audio.dir's `file`, say) of the newest "
              "input buffer of the segment."),
    WEFT_PORT_END
};

static const weft_prop_desc props[] = {
    FEAT_COMMON_PROPS,
    WEFT_PROP_END
};

const weft_node_class mfcc_fbank_class = {
    .struct_size = sizeof(weft_node_class),
    .name = "fbank",
    .summary = "Log mel filterbank energies (Kaldi, HTK, librosa, "
               "python_speech_features conventions)",
    .doc =
        "The `mfcc` pipeline stopped at the log mel energies, which many "
        "acoustic models take instead of cepstra: scale, frame, dither, DC "
        "removal, energy, pre-emphasis, window, real FFT, spectrum, mel "
        "filterbank, log, then optional CMVN and deltas. Streaming and "
        "bit-identical for any chunking, with segment ids and metadata "
        "passed on, as `mfcc`; see `weft inspect mfcc` "
        "for the presets' values and traps. Differences from mfcc: kaldi's "
        "preset follows compute-fbank-feats (use_energy false; true puts "
        "the raw log energy in column 0, or last with htk_compat), and "
        "matches torchaudio.compliance.kaldi.fbank and kaldi-native-fbank "
        "(dither 0) on int16-range samples; librosa's preset gives "
        "power_to_db(melspectrogram(...)) with its top_db clamp; "
        "python_speech_features' gives log(fbank(...)[0]).\n\n"
        "Examples:\n"
        "    node feat = fbank { preset = \"kaldi\", num_mel_bins = 80 }\n"
        "    node feat = fbank { preset = \"kaldi\", num_mel_bins = 80, "
        "cmvn = \"sliding\", cmvn_window = 300 }",
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
