/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * audio.playback: a sink playing its input on a speaker (or any output
 * device) with PortAudio's blocking API (see audio.capture for why not
 * callbacks).
 */
#include "pa-util.h"

#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct playback {
    PaStream *stream;
    bool pa, started, done;
    PaDeviceIndex dev;
    int rate, channels;
    int64_t timeout_ns;
    double latency;
    char label[256];
    atomic_bool stop;
} playback;

static int playback_init(weft_node *node)
{
    playback *s = calloc(1, sizeof *s);
    char err[2048];
    int ret;

    if (!s)
        return weft_node_error(node, WEFT_ENOMEM, "out of memory");
    weft_node_set_priv(node, s);
    atomic_init(&s->stop, false);
    s->timeout_ns = llround(weft_node_prop_float(node, "timeout") * 1e9);
    s->latency = weft_node_prop_float(node, "latency");
    if ((ret = pa_acquire(err, sizeof err)) < 0)
        return weft_node_error(node, ret, "%s", err);
    s->pa = true;
    if ((ret = pa_find_device(weft_node_prop_string(node, "device"), false, &s->dev,
                              err, sizeof err)) < 0)
        return weft_node_error(node, ret, "%s", err);
    pa_device_label(s->dev, s->label, sizeof s->label);
    return 0;
}

/* The stream opens once the input's rate and channels are known. */
static int playback_negotiate(weft_node *node, const weft_format *const *in,
                              weft_format **out)
{
    playback *s = weft_node_priv(node);
    PaStreamParameters op = { 0 };
    int64_t rate = 0, ch = 0;

    (void)out;
    if (!in[0] || weft_format_get_int(in[0], "rate", &rate) < 0 ||
        weft_format_get_int(in[0], "channels", &ch) < 0 || rate <= 0 ||
        rate > 384000 || ch <= 0 || ch > 32)
        return weft_node_error(node, WEFT_EFORMAT,
                               "the input must state a rate and 1 to 32 channels");
    if (s->stream)
        return 0;
    s->rate = (int)rate;
    s->channels = (int)ch;
    op.device = s->dev;
    op.channelCount = s->channels;
    op.sampleFormat = paFloat32;
    op.suggestedLatency = s->latency > 0 ? s->latency
                                         : Pa_GetDeviceInfo(s->dev)->defaultLowOutputLatency;
    return pa_open(node, &s->stream, NULL, &op, s->rate, paFramesPerBufferUnspecified,
                   s->label);
}

/* Write @frames frames, in pieces the device has room for, so that a
 * device that stops taking samples is an error after `timeout` instead of
 * a hang. 1 when written, 0 when stopping, <0 on error. */
static int write_all(weft_node *node, playback *s, const float *x, int64_t frames)
{
    int64_t t0 = pa_now_ns();

    while (frames > 0) {
        signed long room;
        PaError e;

        if (atomic_load(&s->stop) || weft_node_is_stopping(node))
            return 0;
        room = Pa_GetStreamWriteAvailable(s->stream);
        if (room < 0)
            return weft_node_error(node, WEFT_ENODEV, "%s: playback failed: %s",
                                   s->label, Pa_GetErrorText((PaError)room));
        if (room == 0) {
            if (pa_now_ns() - t0 > s->timeout_ns)
                return weft_node_error(node, WEFT_ENODEV,
                                       "%s: the device took no audio for %.1f s "
                                       "(unplugged, or its server went away)",
                                       s->label, (double)s->timeout_ns / 1e9);
            pa_sleep_ns(2000000);
            continue;
        }
        if (room > frames)
            room = (signed long)frames;
        e = Pa_WriteStream(s->stream, x, (unsigned long)room);
        if (e == paOutputUnderflowed) {
            weft_node_count(node, "underruns", 1);
        } else if (e != paNoError) {
            return weft_node_error(node, WEFT_ENODEV, "%s: playback failed: %s",
                                   s->label, Pa_GetErrorText(e));
        }
        x += room * s->channels;
        frames -= room;
        t0 = pa_now_ns();
    }
    return 1;
}

static weft_flow playback_process(weft_node *node)
{
    playback *s = weft_node_priv(node);
    weft_buf *b;
    weft_flow f;
    PaError e;
    int ret = 1;

    if (s->done)
        return WEFT_FLOW_EOS;
    if (pa_start(node, s->stream, &s->started, s->label, "playback") < 0)
        return WEFT_FLOW_ERROR;
    while (ret > 0 && (f = weft_node_pop(node, 0, &b)) == WEFT_FLOW_OK) {
        int64_t frames = weft_buf_dim(b, 0);
        if (weft_buf_kind(b) != WEFT_KIND_TENSOR || weft_buf_dtype(b) != WEFT_DTYPE_F32 ||
            weft_buf_domain(b) != WEFT_DOMAIN_HOST || !weft_buf_is_contiguous(b) ||
            weft_buf_numel(b) != frames * s->channels) {
            weft_buf_unref(b);
            weft_node_error(node, WEFT_EFORMAT, "expected host f32 tensors of shape "
                            "[frames, %d]", s->channels);
            return WEFT_FLOW_ERROR;
        }
        ret = write_all(node, s, weft_buf_cdata(b), frames);
        weft_buf_unref(b);
    }
    if (ret < 0)
        return WEFT_FLOW_ERROR;
    if (ret == 0)
        return WEFT_FLOW_EOS;
    if (f == WEFT_FLOW_EOS) {
        /* Pa_StopStream returns once everything written has been played. */
        s->done = true;
        if ((e = Pa_StopStream(s->stream)) != paNoError) {
            weft_node_error(node, WEFT_ENODEV, "%s: cannot finish playback: %s",
                            s->label, Pa_GetErrorText(e));
            return WEFT_FLOW_ERROR;
        }
        s->started = false;
        return WEFT_FLOW_EOS;
    }
    return WEFT_FLOW_OK;
}

static void playback_unblock(weft_node *node)
{
    playback *s = weft_node_priv(node);

    if (s)
        atomic_store(&s->stop, true);
}

static void playback_fini(weft_node *node)
{
    playback *s = weft_node_priv(node);

    if (!s)
        return;
    pa_close(s->stream, s->started, s->pa);
    free(s);
    weft_node_set_priv(node, NULL);
}

static const weft_port_desc inputs[] = {
    WEFT_PORT("in", "audio/pcm dtype=f32",
              "Audio to play: `audio/pcm rate=R channels=C dtype=f32`, f32 "
              "tensors of shape [frames, C]; the device is opened at the "
              "input's rate and channels."),
    WEFT_PORT_END
};

static const weft_prop_desc props[] = {
    WEFT_PROP_STRING("device", "default",
                     "Output device: `default`, an index from `weft devices`, "
                     "or part of a device name (case-insensitive; an exact "
                     "name wins)."),
    WEFT_PROP_FLOAT("latency", "0", 0, 2, "s",
                    "Suggested device latency; 0 uses the device's default "
                    "low latency."),
    WEFT_PROP_FLOAT("timeout", "2", 0.05, 60, "s",
                    "How long the device may take no samples before the graph "
                    "stops with an error (a device that disappears)."),
    WEFT_PROP_END
};

const weft_node_class audio_playback_class = {
    .struct_size = sizeof(weft_node_class),
    .name = "audio.playback",
    .summary = "Play audio on a speaker or output device (PortAudio)",
    .doc =
        "A sink paced by the device clock: writes its input through "
        "PortAudio's blocking API, opening the device at the input's rate "
        "and channel count when formats are negotiated. Gaps where the "
        "graph did not deliver in time are counted as `underruns` (shown by "
        "`weft run --stats`). At the end of the stream it returns once "
        "everything has been played. A device that stops taking samples "
        "for `timeout` seconds stops the graph with an error instead of "
        "hanging. List devices with `weft devices`.\n\n"
        "Example:\n"
        "    node spk = audio.playback { device = \"default\" }",
    .flags = WEFT_NODE_SINK | WEFT_NODE_LIVE,
    .inputs = inputs,
    .props = props,
    .init = playback_init,
    .negotiate = playback_negotiate,
    .process = playback_process,
    .fini = playback_fini,
    .unblock = playback_unblock,
};
