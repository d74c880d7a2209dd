/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The audio plugin: microphones and speakers through PortAudio, with
 * blocking I/O on the threads the core gives live nodes. One class per
 * file; this file lists them. PortAudio is initialised only when a node of
 * this plugin is created, so listing classes (`weft inspect`) does not
 * probe sound devices.
 */
#include "config.h"

#include "pa-util.h"

static const weft_node_class *const classes[] = {
    &audio_capture_class,
    &audio_devices_class,
    &audio_playback_class,
    NULL,
};

static const weft_plugin_desc desc = {
    .abi_version = WEFT_ABI_VERSION,
    .struct_size = sizeof(weft_plugin_desc),
    .name = "audio",
    .version = PACKAGE_VERSION,
    .license = "LGPL-2.1-or-later",
    .summary = "Microphone and speaker through PortAudio; device listing",
    .classes = classes,
};

WEFT_PLUGIN_EXPORT const weft_plugin_desc *weft_plugin_entry(void);

WEFT_PLUGIN_EXPORT const weft_plugin_desc *weft_plugin_entry(void)
{
    return &desc;
}
