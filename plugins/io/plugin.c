/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The io plugin: media files through FFmpeg (libavformat, libavcodec,
 * libswresample, libswscale). One class per file; this file lists them.
 */
#include "config.h"

#include "io-util.h"

#include <libavutil/log.h>

static const weft_node_class *const classes[] = {
    &io_audio_dir_class,  &io_audio_file_class, &io_audio_write_class,
    &io_image_dir_class,  &io_image_file_class, &io_video_file_class,
    NULL,
};

static int io_plugin_init(void)
{
    io_ffmpeg_setup();
    return 0;
}

static void io_plugin_fini(void)
{
    /* The plugin's callback must not outlive it in a libavutil that other
     * code may keep loaded. */
    av_log_set_callback(av_log_default_callback);
}

static const weft_plugin_desc desc = {
    .abi_version = WEFT_ABI_VERSION,
    .struct_size = sizeof(weft_plugin_desc),
    .name = "io",
    .version = PACKAGE_VERSION,
    .license = "LGPL-2.1-or-later",
    .summary = "Media files through FFmpeg: audio, image and video sources, "
               "WAV/FLAC writer",
    .classes = classes,
    .init = io_plugin_init,
    .fini = io_plugin_fini,
};

WEFT_PLUGIN_EXPORT const weft_plugin_desc *weft_plugin_entry(void);

WEFT_PLUGIN_EXPORT const weft_plugin_desc *weft_plugin_entry(void)
{
    return &desc;
}
