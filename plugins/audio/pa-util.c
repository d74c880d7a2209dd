/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* pa-util.c: PortAudio helpers shared by the audio plugin's classes. */
#define _GNU_SOURCE /* strcasestr */
#include "pa-util.h"

#include <ctype.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static int refs;

/* ALSA and JACK print to stderr while PortAudio probes them (missing
 * cards, no JACK server); library code must not, so their handlers are
 * replaced. They are looked up in the libraries PortAudio already loaded
 * (RTLD_NOLOAD), so the plugin links neither. */
static void alsa_quiet(const char *file, int line, const char *fn, int err,
                       const char *fmt, ...)
{
    (void)file; (void)line; (void)fn; (void)err; (void)fmt;
}

static void jack_quiet(const char *msg)
{
    (void)msg;
}

static void silence_backends(void)
{
    typedef int (*alsa_set_fn)(void (*)(const char *, int, const char *, int,
                                        const char *, ...));
    typedef void (*jack_set_fn)(void (*)(const char *));
    static const char *const alsa[] = { "libasound.so.2", "libasound.so", NULL };
    static const char *const jack[] = { "libjack.so.0", "libjack.so", NULL };
    void *h;

    for (size_t i = 0; alsa[i]; i++)
        if ((h = dlopen(alsa[i], RTLD_LAZY | RTLD_NOLOAD))) {
            alsa_set_fn set = (alsa_set_fn)(uintptr_t)dlsym(h, "snd_lib_error_set_handler");
            if (set)
                set(alsa_quiet);
            dlclose(h);
            break;
        }
    for (size_t i = 0; jack[i]; i++)
        if ((h = dlopen(jack[i], RTLD_LAZY | RTLD_NOLOAD))) {
            jack_set_fn e = (jack_set_fn)(uintptr_t)dlsym(h, "jack_set_error_function");
            jack_set_fn f = (jack_set_fn)(uintptr_t)dlsym(h, "jack_set_info_function");
            if (e)
                e(jack_quiet);
            if (f)
                f(jack_quiet);
            dlclose(h);
            break;
        }
}

int pa_acquire(char *err, size_t errlen)
{
    PaError e;

    if (refs == 0)
        silence_backends();
    if ((e = Pa_Initialize()) != paNoError) {
        snprintf(err, errlen, "cannot initialise PortAudio: %s", Pa_GetErrorText(e));
        return WEFT_ENODEV;
    }
    refs++;
    return 0;
}

void pa_release(void)
{
    if (refs > 0) {
        refs--;
        Pa_Terminate();
    }
}

int pa_open(weft_node *node, PaStream **stream, const PaStreamParameters *in,
            const PaStreamParameters *out, int rate, unsigned long frames,
            const char *label)
{
    PaError e = Pa_OpenStream(stream, in, out, rate, frames, paClipOff, NULL, NULL);

    if (e != paNoError) {
        *stream = NULL;
        return weft_node_error(node, WEFT_ENODEV,
                               "cannot open %s for %d Hz %d-channel %s: %s", label,
                               rate, in ? in->channelCount : out->channelCount,
                               in ? "capture" : "playback", Pa_GetErrorText(e));
    }
    return 0;
}

int pa_start(weft_node *node, PaStream *stream, bool *started, const char *label,
             const char *what)
{
    PaError e;

    if (*started)
        return 0;
    if ((e = Pa_StartStream(stream)) != paNoError)
        return weft_node_error(node, WEFT_ENODEV, "%s: cannot start %s: %s", label,
                               what, Pa_GetErrorText(e));
    *started = true;
    return 0;
}

void pa_close(PaStream *stream, bool started, bool pa)
{
    if (stream) {
        if (started)
            Pa_AbortStream(stream);
        Pa_CloseStream(stream);
    }
    if (pa)
        pa_release();
}

const char *pa_device_label(PaDeviceIndex i, char *buf, size_t len)
{
    const PaDeviceInfo *d = Pa_GetDeviceInfo(i);
    const PaHostApiInfo *h = d ? Pa_GetHostApiInfo(d->hostApi) : NULL;

    snprintf(buf, len, "%s (%s)", d ? d->name : "?", h ? h->name : "?");
    return buf;
}

/* "PortAudio found: [0] pulse (ALSA, 32 in, 32 out), ..." */
static void list_found(char *out, size_t len)
{
    int n = Pa_GetDeviceCount();
    size_t used;

    if (n <= 0) {
        snprintf(out, len, "PortAudio found no audio devices at all (no sound "
                 "card, and no sound server such as PulseAudio running)");
        return;
    }
    snprintf(out, len, "PortAudio found:");
    for (int i = 0; i < n && (used = strlen(out)) + 8 < len; i++) {
        const PaDeviceInfo *d = Pa_GetDeviceInfo(i);
        const PaHostApiInfo *h = d ? Pa_GetHostApiInfo(d->hostApi) : NULL;
        if (d)
            snprintf(out + used, len - used, "%s [%d] %s (%s, %d in, %d out)",
                     i ? "," : "", i, d->name, h ? h->name : "?",
                     d->maxInputChannels, d->maxOutputChannels);
    }
}

int pa_find_device(const char *spec, bool input, PaDeviceIndex *out,
                   char *err, size_t errlen)
{
    const char *dir = input ? "input" : "output";
    int n = Pa_GetDeviceCount();
    PaDeviceIndex found = paNoDevice;
    char found_list[1536];
    bool digits = spec && *spec;

    for (const char *p = spec; p && *p; p++)
        digits &= isdigit((unsigned char)*p) != 0;
    if (!spec || !*spec || strcasecmp(spec, "default") == 0) {
        found = input ? Pa_GetDefaultInputDevice() : Pa_GetDefaultOutputDevice();
    } else if (digits) {
        long i = strtol(spec, NULL, 10);
        found = i < n ? (PaDeviceIndex)i : paNoDevice;
    } else {
        for (int pass = 0; pass < 2 && found == paNoDevice; pass++)
            for (int i = 0; i < n; i++) {
                const PaDeviceInfo *d = Pa_GetDeviceInfo(i);
                if (!d || (input ? d->maxInputChannels : d->maxOutputChannels) <= 0)
                    continue;
                if (pass == 0 ? strcasecmp(d->name, spec) == 0
                              : strcasestr(d->name, spec) != NULL) {
                    found = i;
                    break;
                }
            }
    }
    if (found != paNoDevice) {
        const PaDeviceInfo *d = Pa_GetDeviceInfo(found);
        if (d && (input ? d->maxInputChannels : d->maxOutputChannels) > 0) {
            *out = found;
            return 0;
        }
    }
    list_found(found_list, sizeof found_list);
    if (!spec || !*spec || strcasecmp(spec, "default") == 0)
        snprintf(err, errlen, "no default %s device; %s", dir, found_list);
    else
        snprintf(err, errlen, "no %s device matching '%s'; %s", dir, spec, found_list);
    return WEFT_ENODEV;
}

void pa_sleep_ns(int64_t ns)
{
    struct timespec ts;

    if (ns <= 0)
        return;
    ts.tv_sec = (time_t)(ns / 1000000000);
    ts.tv_nsec = (long)(ns % 1000000000);
    nanosleep(&ts, NULL);
}

int64_t pa_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
