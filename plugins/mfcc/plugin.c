/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The mfcc plugin: speech features. `mfcc` and `fbank` share one pipeline
 * (feat-*.c); this file only lists them.
 */
#include "config.h"

#include "mfcc-plugin.h"

static const weft_node_class *const classes[] = { &mfcc_fbank_class,
                                                  &mfcc_mfcc_class, NULL };

static const weft_plugin_desc desc = {
    .abi_version = WEFT_ABI_VERSION,
    .struct_size = sizeof(weft_plugin_desc),
    .name = "mfcc",
    .version = PACKAGE_VERSION,
    .license = "LGPL-2.1-or-later",
    .summary = "MFCC and log mel filterbank features with Kaldi, HTK, librosa "
               "and python_speech_features conventions",
    .classes = classes,
};

WEFT_PLUGIN_EXPORT const weft_plugin_desc *weft_plugin_entry(void);

WEFT_PLUGIN_EXPORT const weft_plugin_desc *weft_plugin_entry(void)
{
    return &desc;
}
