/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The ctc plugin: CTC decoders (greedy and prefix beam search with
 * lexicon, n-gram LM, command grammar and hotwords). One class per file;
 * this file only lists them.
 */
#include "config.h"

#include "node.h"

static const weft_node_class *const classes[] = {
    &ctc_beam_class,
    &ctc_greedy_class,
    NULL,
};

static const weft_plugin_desc desc = {
    .abi_version = WEFT_ABI_VERSION,
    .struct_size = sizeof(weft_plugin_desc),
    .name = "ctc",
    .version = PACKAGE_VERSION,
    .license = "LGPL-2.1-or-later",
    .summary = "CTC decoders: greedy and prefix beam search with lexicon, "
               "n-gram LM, command grammars and hotwords",
    .classes = classes,
};

WEFT_PLUGIN_EXPORT const weft_plugin_desc *weft_plugin_entry(void);

WEFT_PLUGIN_EXPORT const weft_plugin_desc *weft_plugin_entry(void)
{
    return &desc;
}
