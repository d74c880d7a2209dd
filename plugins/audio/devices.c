/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * audio.devices: a source that sends one message per audio device
 * PortAudio finds, then ends. `weft devices` runs it and prints a table, so
 * the CLI lists devices without linking PortAudio itself, and a graph or an
 * embedding program can read the same list.
 */
#include "pa-util.h"

#include <stdlib.h>

typedef struct devices {
    bool pa;
    int next;
} devices;

static int devices_init(weft_node *node)
{
    devices *s = calloc(1, sizeof *s);
    char err[512];
    int ret;

    if (!s)
        return weft_node_error(node, WEFT_ENOMEM, "out of memory");
    weft_node_set_priv(node, s);
    if ((ret = pa_acquire(err, sizeof err)) < 0)
        return weft_node_error(node, ret, "%s", err);
    s->pa = true;
    return 0;
}

static weft_flow devices_process(weft_node *node)
{
    devices *s = weft_node_priv(node);
    int n = Pa_GetDeviceCount();
    const PaDeviceInfo *d;
    const PaHostApiInfo *h;
    weft_buf *m;
    weft_flow f;

    if (s->next >= n)
        return WEFT_FLOW_EOS;
    d = Pa_GetDeviceInfo(s->next);
    h = d ? Pa_GetHostApiInfo(d->hostApi) : NULL;
    if (!d || !(m = weft_buf_new_message("audio.device"))) {
        weft_node_error(node, WEFT_ENOMEM, "out of memory");
        return WEFT_FLOW_ERROR;
    }
    if (weft_msg_set_int(m, "index", s->next) < 0 ||
        weft_msg_set_string(m, "name", d->name) < 0 ||
        weft_msg_set_string(m, "host_api", h ? h->name : "?") < 0 ||
        weft_msg_set_int(m, "max_input_channels", d->maxInputChannels) < 0 ||
        weft_msg_set_int(m, "max_output_channels", d->maxOutputChannels) < 0 ||
        weft_msg_set_float(m, "default_rate", d->defaultSampleRate) < 0 ||
        weft_msg_set_bool(m, "default_input", s->next == Pa_GetDefaultInputDevice()) < 0 ||
        weft_msg_set_bool(m, "default_output", s->next == Pa_GetDefaultOutputDevice()) < 0) {
        weft_buf_unref(m);
        weft_node_error(node, WEFT_ENOMEM, "out of memory");
        return WEFT_FLOW_ERROR;
    }
    s->next++;
    f = weft_node_push(node, 0, m);
    return f == WEFT_FLOW_EOS || s->next >= n ? WEFT_FLOW_EOS : WEFT_FLOW_OK;
}

static void devices_fini(weft_node *node)
{
    devices *s = weft_node_priv(node);

    if (!s)
        return;
    if (s->pa)
        pa_release();
    free(s);
    weft_node_set_priv(node, NULL);
}

static const weft_port_desc outputs[] = {
    WEFT_PORT("out", "message schema=audio.device",
              "One message per device with the fields index (int), name, "
              "host_api (strings), max_input_channels, max_output_channels "
              "(ints), default_rate (float, Hz), default_input and "
              "default_output (bools)."),
    WEFT_PORT_END
};

const weft_node_class audio_devices_class = {
    .struct_size = sizeof(weft_node_class),
    .name = "audio.devices",
    .summary = "List the audio devices PortAudio finds, one message each",
    .doc =
        "Sends one `audio.device` message per input or output device "
        "PortAudio finds (ALSA, PulseAudio through ALSA, JACK, OSS), then "
        "ends; nothing at all when there is none. `weft devices` runs this "
        "class and prints the list as a table. The index and the name are "
        "what the `device` property of audio.capture and audio.playback "
        "accept.\n\n"
        "Example:\n"
        "    node devs = audio.devices\n"
        "    node show = text.print   # or any message consumer",
    .flags = WEFT_NODE_SOURCE,
    .outputs = outputs,
    .init = devices_init,
    .process = devices_process,
    .fini = devices_fini,
};
