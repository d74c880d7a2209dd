/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The core plugin: utility nodes every graph and test needs (file sources
 * and sinks for tensors and text, a test signal source, identity and a
 * null sink). One class per file; this file only lists them.
 */
#include "config.h"

#include "core-util.h"

static const weft_node_class *const classes[] = {
    &core_identity_class,    &core_null_sink_class,  &core_tensor_sink_class,
    &core_tensor_src_class,  &core_test_src_class,   &core_text_file_class,
    &core_text_lines_class,  &core_text_print_class, NULL,
};

static const weft_plugin_desc desc = {
    .abi_version = WEFT_ABI_VERSION,
    .struct_size = sizeof(weft_plugin_desc),
    .name = "core",
    .version = PACKAGE_VERSION,
    .license = "LGPL-2.1-or-later",
    .summary = "Utility nodes: .npy and text files, test signals, identity, "
               "null sink",
    .classes = classes,
};

WEFT_PLUGIN_EXPORT const weft_plugin_desc *weft_plugin_entry(void);

WEFT_PLUGIN_EXPORT const weft_plugin_desc *weft_plugin_entry(void)
{
    return &desc;
}
