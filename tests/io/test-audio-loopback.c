/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Tests of the audio plugin (PortAudio) against a real device: run by
 * tests/io/audio-loopback.sh inside its own PulseAudio server with a null
 * sink, whose monitor source hands back what is played into it. A 440 Hz
 * tone goes out through audio.playback on one thread while audio.capture
 * records the monitor on another; the recording must hold the tone.
 */
#include <pthread.h>

#include "io-test-util.h"

#define RATE 16000
#define TONE 440.0
#define PLAY_S 1.5

static weft_harness *play;
static int play_result;

static void *play_thread(void *arg)
{
    (void)arg;
    for (long k = 0; k < (long)(PLAY_S * 100); k++) {
        int64_t shape[2] = { RATE / 100, 1 };
        weft_buf *b = weft_buf_new_tensor(WEFT_DTYPE_F32, 2, shape, WEFT_DOMAIN_HOST, 0);
        float *x = weft_buf_data(b);
        for (long i = 0; i < RATE / 100; i++)
            x[i] = (float)(0.5 * sin(2 * M_PI * TONE * (double)(k * RATE / 100 + i) / RATE));
        if (weft_harness_push(play, 0, b) == WEFT_FLOW_ERROR) {
            play_result = -1;
            return NULL;
        }
    }
    play_result = weft_harness_push_eos(play, 0) == WEFT_FLOW_EOS ? 1 : -1;
    return NULL;
}

START_TEST(test_loopback_tone)
{
    weft_harness *cap = hnew("audio.capture", "rate", "16000", "channels", "1", NULL);
    const long max = 4 * RATE;
    float *y = malloc(sizeof *y * (size_t)max);
    long n = 0, first = -1, last = -1;
    pthread_t th;
    weft_buf *b;
    double fr, lvl;

    play = hnew("audio.playback", NULL);
    hstart(cap);
    ck_assert_int_eq(weft_harness_set_input_format(play, 0,
                         "audio/pcm rate=16000 channels=1 dtype=f32"), 0);
    hstart(play);
    /* Record 0.3 s of silence first, then play while recording. */
    for (int i = 0; i < 30; i++)
        ck_assert_msg(weft_harness_step(cap) == WEFT_FLOW_OK, "%s", weft_harness_error(cap));
    ck_assert_int_eq(pthread_create(&th, NULL, play_thread, NULL), 0);
    while (n < max) {
        ck_assert_msg(weft_harness_step(cap) == WEFT_FLOW_OK, "capture: %s",
                      weft_harness_error(cap));
        while ((b = weft_harness_pull(cap, 0))) {
            long k = (long)weft_buf_dim(b, 0);
            /* pts count the captured samples from 0. */
            ck_assert_int_eq(weft_buf_pts(b), (int64_t)n * 62500);
            if (n + k <= max)
                memcpy(y + n, weft_buf_cdata(b), sizeof *y * (size_t)k);
            n += k;
            weft_buf_unref(b);
        }
    }
    pthread_join(th, NULL);
    ck_assert_msg(play_result == 1, "playback: %s", weft_harness_error(play));
    fprintf(stderr, "loopback: overruns %lld, underruns %lld\n",
            (long long)weft_node_counter(weft_harness_node(cap), "overruns"),
            (long long)weft_node_counter(weft_harness_node(play), "underruns"));
    weft_harness_free(play);
    weft_harness_free(cap);

    for (long i = 0; i < max; i++)
        if (fabsf(y[i]) > 0.1f) {
            if (first < 0)
                first = i;
            last = i;
        }
    ck_assert_msg(first >= 0, "the tone never came back");
    fprintf(stderr, "loopback: tone from %.3f s to %.3f s of the capture\n",
            (double)first / RATE, (double)last / RATE);
    ck_assert_msg(last - first > (long)(1.0 * RATE), "only %.2f s came back",
                  (double)(last - first) / RATE);
    /* The middle of what came back: 0.5 s clear of the edges. */
    fr = tone_freq(y + first + RATE / 4, RATE / 2, RATE, 400, 480, &lvl);
    fprintf(stderr, "loopback: %.3f Hz (error %.3f Hz), level %.3f\n", fr,
            fr - TONE, lvl);
    ck_assert_msg(fabs(fr - TONE) < 1.0, "frequency %.3f Hz", fr);
    ck_assert_msg(lvl > 0.25 && lvl < 1.0, "level %.3f", lvl);
    free(y);
}
END_TEST

START_TEST(test_missing_device)
{
    weft_harness *h = hnew("audio.capture", "device", "no-such-microphone", NULL);
    const char *e;
    ck_assert_int_lt(weft_harness_start(h), 0);
    e = weft_harness_error(h);
    fprintf(stderr, "  %s\n", e);
    ck_assert(strstr(e, "no input device matching 'no-such-microphone'"));
    ck_assert(strstr(e, "PortAudio found"));
    ck_assert(strchr(e, '\n') == NULL);
    weft_harness_free(h);
}
END_TEST

START_TEST(test_devices_listed)
{
    weft_harness *h = hnew("audio.devices", NULL);
    weft_buf *m;
    bool has_pulse = false;
    hstart(h);
    ck_assert_int_eq(weft_harness_run(h, 1000), WEFT_FLOW_EOS);
    ck_assert_uint_gt(weft_harness_available(h, 0), 0);
    while ((m = weft_harness_pull(h, 0))) {
        const char *name;
        ck_assert_int_eq(weft_msg_get_string(m, "name", &name), 0);
        has_pulse |= strcmp(name, "pulse") == 0 || strcmp(name, "default") == 0;
        weft_buf_unref(m);
    }
    ck_assert(has_pulse);
    weft_harness_free(h);
}
END_TEST

START_TEST(test_classes_documented)
{
    static const char *const names[] = { "audio.capture", "audio.playback", "audio.devices" };
    for (size_t i = 0; i < 3; i++) {
        const weft_node_class *c = weft_registry_find(reg, names[i]);
        ck_assert(c && c->summary && c->doc && strstr(c->doc, "node "));
        for (size_t k = 0; k < weft_class_n_props(c); k++) {
            const weft_prop_desc *p = weft_class_prop(c, k);
            ck_assert(p->doc && *p->doc);
            if (p->type == WEFT_PROP_INT || p->type == WEFT_PROP_FLOAT)
                ck_assert(p->unit && (p->flags & WEFT_PROP_HAS_MAX));
        }
    }
}
END_TEST

static void add_tests(TCase *tc)
{
    tcase_add_test(tc, test_classes_documented);
    tcase_add_test(tc, test_devices_listed);
    tcase_add_test(tc, test_missing_device);
    tcase_add_test(tc, test_loopback_tone);
}

int main(void)
{
    return test_main("test-audio-loopback", "audio.capture", add_tests);
}
