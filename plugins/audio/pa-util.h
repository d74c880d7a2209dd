/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pa-util.h: PortAudio helpers shared by the audio plugin's classes.
 * Internal to the plugin (hidden by its version script).
 */
#ifndef WEFT_PLUGIN_AUDIO_PA_UTIL_H
#define WEFT_PLUGIN_AUDIO_PA_UTIL_H

#include <weft/plugin.h>

#include <portaudio.h>

extern const weft_node_class audio_capture_class;
extern const weft_node_class audio_playback_class;
extern const weft_node_class audio_devices_class;

/**
 * pa_acquire / pa_release: a reference on PortAudio (Pa_Initialize and
 * Pa_Terminate count themselves; this adds silencing ALSA's and JACK's
 * own stderr chatter before the first initialisation). 0 or a negative
 * code with a reason in @err. [control]
 */
int pa_acquire(char *err, size_t errlen);
void pa_release(void);

/**
 * pa_find_device: the device named by @spec ("" or "default": the default
 * one; digits: that index; else the first whose name contains @spec,
 * case-insensitively, an exact match first) with at least one channel in
 * the direction asked (@input). On failure @err says what PortAudio found.
 */
int pa_find_device(const char *spec, bool input, PaDeviceIndex *out,
                   char *err, size_t errlen);

/** "name (host API)" of device @i into @buf; returns @buf. */
const char *pa_device_label(PaDeviceIndex i, char *buf, size_t len);

/**
 * pa_open: open a blocking float32 stream on @in (capture) or @out
 * (playback), the other NULL, at @rate Hz in buffers of @frames frames.
 * On failure *@stream is NULL and the error, naming device @label, is
 * reported on @node. 0 or a negative code. [control]
 */
int pa_open(weft_node *node, PaStream **stream, const PaStreamParameters *in,
            const PaStreamParameters *out, int rate, unsigned long frames,
            const char *label);

/**
 * pa_start: start @stream unless *@started; sets *@started. On failure the
 * error, naming device @label and @what ("capture", "playback"), is
 * reported on @node. 0 or a negative code.
 */
int pa_start(weft_node *node, PaStream *stream, bool *started, const char *label,
             const char *what);

/**
 * pa_close: abort @stream when @started and close it (NULL: none), then
 * drop the PortAudio reference when @pa (from pa_acquire). [control]
 */
void pa_close(PaStream *stream, bool started, bool pa);

/** CLOCK_MONOTONIC in ns: device timeouts use real time, not the graph's
 * (possibly fake) clock. */
int64_t pa_now_ns(void);
/** Sleep @ns nanoseconds. */
void pa_sleep_ns(int64_t ns);

#endif /* WEFT_PLUGIN_AUDIO_PA_UTIL_H */
