/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * audio.capture: a live source reading a microphone (or any input device)
 * with PortAudio's blocking API. Callback mode stalled under PulseAudio on
 * the machines this was written on; blocking reads on the thread the core
 * gives a live source did not.
 */
#include "pa-util.h"

#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct capture {
    PaStream *stream;
    bool pa;           /* holds a PortAudio reference */
    bool started;
    int rate, channels;
    int64_t frame;     /* frames per buffer */
    int64_t timeout_ns;
    int64_t pos;       /* frames captured */
    char label[256];
    atomic_bool stop;
} capture;

static int capture_init(weft_node *node)
{
    capture *s = calloc(1, sizeof *s);
    PaStreamParameters in = { 0 };
    PaDeviceIndex dev;
    const PaDeviceInfo *info;
    char err[2048];
    double latency;
    int ret;

    if (!s)
        return weft_node_error(node, WEFT_ENOMEM, "out of memory");
    weft_node_set_priv(node, s);
    atomic_init(&s->stop, false);
    s->rate = (int)weft_node_prop_int(node, "rate");
    s->channels = (int)weft_node_prop_int(node, "channels");
    s->frame = llround(weft_node_prop_float(node, "frame") * s->rate);
    if (s->frame < 1)
        s->frame = 1;
    s->timeout_ns = llround(weft_node_prop_float(node, "timeout") * 1e9);
    if ((ret = pa_acquire(err, sizeof err)) < 0)
        return weft_node_error(node, ret, "%s", err);
    s->pa = true;
    if ((ret = pa_find_device(weft_node_prop_string(node, "device"), true, &dev,
                              err, sizeof err)) < 0)
        return weft_node_error(node, ret, "%s", err);
    info = Pa_GetDeviceInfo(dev);
    pa_device_label(dev, s->label, sizeof s->label);
    latency = weft_node_prop_float(node, "latency");
    in.device = dev;
    in.channelCount = s->channels;
    in.sampleFormat = paFloat32;
    in.suggestedLatency = latency > 0 ? latency : info->defaultLowInputLatency;
    /* Opened now (not at the first process) so that a wrong device or an
     * unsupported rate fails before the graph runs; started at the first
     * process so that nothing overruns while the graph is set up. */
    return pa_open(node, &s->stream, &in, NULL, s->rate, (unsigned long)s->frame,
                   s->label);
}

static int capture_negotiate(weft_node *node, const weft_format *const *inf,
                             weft_format **out)
{
    capture *s = weft_node_priv(node);
    weft_format *f = weft_format_new("audio/pcm");

    (void)inf;
    if (!f || weft_format_set_int(f, "rate", s->rate) < 0 ||
        weft_format_set_int(f, "channels", s->channels) < 0 ||
        weft_format_set_string(f, "dtype", "f32") < 0) {
        weft_format_free(f);
        return weft_node_error(node, WEFT_ENOMEM, "out of memory");
    }
    out[0] = f;
    return 0;
}

/* Wait until a whole frame can be read without blocking. A device that
 * delivers nothing for `timeout` seconds (unplugged, server gone) is an
 * error rather than a hang, and a stopping graph is noticed within a few
 * milliseconds. Returns 1 when ready, 0 when stopping, <0 on error. */
static int wait_frame(weft_node *node, capture *s)
{
    int64_t t0 = pa_now_ns(), need;
    signed long avail;

    for (;;) {
        if (atomic_load(&s->stop) || weft_node_is_stopping(node))
            return 0;
        avail = Pa_GetStreamReadAvailable(s->stream);
        if (avail < 0)
            return weft_node_error(node, WEFT_ENODEV, "%s: capture failed: %s",
                                   s->label, Pa_GetErrorText((PaError)avail));
        if (avail >= s->frame)
            return 1;
        if (pa_now_ns() - t0 > s->timeout_ns)
            return weft_node_error(node, WEFT_ENODEV,
                                   "%s: no audio for %.1f s: the device stopped "
                                   "delivering (unplugged, or its server went away)",
                                   s->label, (double)s->timeout_ns / 1e9);
        need = (s->frame - avail) * 1000000000 / s->rate;
        pa_sleep_ns(need < 1000000 ? 1000000 : need > 5000000 ? 5000000 : need);
    }
}

static weft_flow capture_process(weft_node *node)
{
    capture *s = weft_node_priv(node);
    int64_t shape[2] = { s->frame, s->channels }, t0;
    weft_buf *b;
    weft_flow f;
    PaError e;
    int ret;

    if (atomic_load(&s->stop) || weft_node_is_stopping(node))
        return WEFT_FLOW_EOS;
    if (!s->started) {
        if (pa_start(node, s->stream, &s->started, s->label, "capture") < 0)
            return WEFT_FLOW_ERROR;
    }
    if ((ret = wait_frame(node, s)) <= 0)
        return ret < 0 ? WEFT_FLOW_ERROR : WEFT_FLOW_EOS;
    if (!(b = weft_buf_new_tensor(WEFT_DTYPE_F32, 2, shape, WEFT_DOMAIN_HOST, 0))) {
        weft_node_error(node, WEFT_ENOMEM, "out of memory");
        return WEFT_FLOW_ERROR;
    }
    e = Pa_ReadStream(s->stream, weft_buf_data(b), (unsigned long)s->frame);
    if (e == paInputOverflowed) {
        /* Samples were lost before this read; what was read is good. */
        weft_node_count(node, "overruns", 1);
        weft_buf_set_flags(b, WEFT_BUF_DISCONT);
    } else if (e != paNoError) {
        weft_buf_unref(b);
        weft_node_error(node, WEFT_ENODEV, "%s: capture failed: %s", s->label,
                        Pa_GetErrorText(e));
        return WEFT_FLOW_ERROR;
    }
    /* Timestamps count the device's samples from 0, the start of the
     * stream, as file sources' do: word times and printed pts then read
     * as seconds into the recording, and the scheduler's sink latency
     * (clock - graph start - pts) comes out right rather than clamped
     * to 0. */
    t0 = (s->pos / s->rate) * 1000000000 +
         (s->pos % s->rate) * 1000000000 / s->rate;
    weft_buf_set_pts(b, t0);
    weft_buf_set_duration(b, s->frame * 1000000000 / s->rate);
    s->pos += s->frame;
    f = weft_node_push(node, 0, b);
    return f == WEFT_FLOW_EOS ? WEFT_FLOW_EOS : WEFT_FLOW_OK;
}

static int capture_flush(weft_node *node)
{
    (void)node;
    return 0;
}

static void capture_unblock(weft_node *node)
{
    capture *s = weft_node_priv(node);

    if (s)
        atomic_store(&s->stop, true);
}

static void capture_fini(weft_node *node)
{
    capture *s = weft_node_priv(node);

    if (!s)
        return;
    pa_close(s->stream, s->started, s->pa);
    free(s);
    weft_node_set_priv(node, NULL);
}

static const weft_port_desc outputs[] = {
    WEFT_PORT("out", "audio/pcm dtype=f32",
              "Captured audio: `audio/pcm rate=R channels=C dtype=f32`, f32 "
              "tensors of shape [frames, C], `frame` seconds each; pts count "
              "the device's samples from 0 at the start of the stream."),
    WEFT_PORT_END
};

static const weft_prop_desc props[] = {
    WEFT_PROP_STRING("device", "default",
                     "Input device: `default`, an index from `weft devices`, "
                     "or part of a device name (case-insensitive; an exact "
                     "name wins)."),
    WEFT_PROP_INT("rate", "16000", 1000, 384000, "Hz", "Sample rate."),
    WEFT_PROP_INT("channels", "1", 1, 32, "channels", "Channel count."),
    WEFT_PROP_FLOAT("frame", "0.01", 0.001, 1, "s",
                    "Duration of each buffer (10 ms by default)."),
    WEFT_PROP_FLOAT("latency", "0", 0, 2, "s",
                    "Suggested device latency; 0 uses the device's default "
                    "low latency."),
    WEFT_PROP_FLOAT("timeout", "2", 0.05, 60, "s",
                    "How long the device may deliver nothing before the "
                    "graph stops with an error (a device that disappears)."),
    WEFT_PROP_END
};

const weft_node_class audio_capture_class = {
    .struct_size = sizeof(weft_node_class),
    .name = "audio.capture",
    .summary = "Capture audio from a microphone or input device (PortAudio)",
    .doc =
        "A live source: reads float32 samples from an input device through "
        "PortAudio's blocking API on the thread the core gives live sources, "
        "in buffers of `frame` seconds. The device is opened at init (a "
        "missing device fails then, naming every device PortAudio found) and "
        "started at the first buffer. Samples lost because the graph did not "
        "keep up are counted as `overruns` (shown by `weft run --stats`) and "
        "the next buffer is flagged discontinuous. A device that stops "
        "delivering for `timeout` seconds stops the graph with an error "
        "instead of hanging. List devices with `weft devices`.\n\n"
        "Example:\n"
        "    node mic = audio.capture { device = \"default\", rate = 16000, "
        "channels = 1 }",
    .flags = WEFT_NODE_SOURCE | WEFT_NODE_LIVE,
    .outputs = outputs,
    .props = props,
    .init = capture_init,
    .negotiate = capture_negotiate,
    .process = capture_process,
    .flush = capture_flush,
    .fini = capture_fini,
    .unblock = capture_unblock,
};
