/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * weft devices: list audio devices. The CLI does not link PortAudio: it
 * runs the audio plugin's `audio.devices` source through the node harness
 * and prints the messages it sends, so the list is whatever the plugin
 * (and the sound server it talks to) sees.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <weft/harness.h>

#include "cli.h"

static const char *str(const weft_buf *m, const char *key)
{
    const char *v = "?";
    weft_msg_get_string(m, key, &v);
    return v;
}

static int64_t num(const weft_buf *m, const char *key)
{
    int64_t v = 0;
    weft_msg_get_int(m, key, &v);
    return v;
}

int cmd_devices(int argc, char **argv)
{
    weft_registry *reg;
    weft_harness *h = NULL;
    weft_buf *m;
    int ret = CLI_FAIL, n = 0;

    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("usage: weft devices\n\n"
               "List the audio devices PortAudio finds (through the audio plugin):\n"
               "index, name, host API, input and output channels, default rate.\n"
               "audio.capture and audio.playback take the index or the name as\n"
               "their `device` property; * marks the defaults.\n");
        return CLI_OK;
    }
    if (argc > 1) {
        fprintf(stderr, "weft devices: unexpected argument '%s'\n", argv[1]);
        return CLI_USAGE;
    }
    reg = cli_load_registry();
    if (!weft_registry_find(reg, "audio.devices")) {
        fprintf(stderr, "weft devices: the audio plugin (class audio.devices) is not "
                        "installed; it needs PortAudio at build time\n");
        goto done;
    }
    if (weft_harness_new(reg, "audio.devices", &h) < 0 || weft_harness_start(h) < 0 ||
        weft_harness_run(h, 100000) == WEFT_FLOW_ERROR) {
        fprintf(stderr, "weft devices: %s\n", h ? weft_harness_error(h) : "out of memory");
        goto done;
    }
    while ((m = weft_harness_pull(h, 0))) {
        double rate = 0;
        bool din = false, dout = false;
        weft_msg_get_float(m, "default_rate", &rate);
        weft_msg_get_bool(m, "default_input", &din);
        weft_msg_get_bool(m, "default_output", &dout);
        if (n++ == 0)
            printf("%5s  %-32s %-10s %3s  %3s  %8s\n", "index", "name", "host API",
                   "in", "out", "rate");
        printf("%5lld  %-32s %-10s %3lld%s %3lld%s %8.0f\n", (long long)num(m, "index"),
               str(m, "name"), str(m, "host_api"), (long long)num(m, "max_input_channels"),
               din ? "*" : " ", (long long)num(m, "max_output_channels"), dout ? "*" : " ",
               rate);
        weft_buf_unref(m);
    }
    if (n == 0)
        printf("no audio devices found (no sound card, and no sound server such as "
               "PulseAudio running)\n");
    ret = CLI_OK;
done:
    weft_harness_free(h);
    weft_registry_free(reg);
    return ret;
}
