/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test.src: deterministic tensors or audio for tests and benchmarks.
 */
#include "core-util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { KIND_TENSOR, KIND_AUDIO };
enum { PAT_ZEROS, PAT_RAMP, PAT_RANDOM };
enum { WAVE_SINE, WAVE_SQUARE, WAVE_NOISE, WAVE_SILENCE };

typedef struct test_src {
    int32_t kind, pattern, wave;
    int64_t count;   /* buffers; -1: endless */
    int64_t index;   /* next buffer */
    uint64_t rng;    /* splitmix64 state */
    /* tensor */
    uint32_t ndim;
    int64_t shape[WEFT_TENSOR_MAX_DIMS];
    int64_t numel;
    double frame_rate;
    /* audio */
    int64_t rate, channels, frame_samples;
    double freq, amplitude;
} test_src;

/* splitmix64: tiny, fast, and the same on every platform, which is all a
 * test signal needs. */
static uint64_t rng_next(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* Uniform in [-1, 1), exactly representable in f32. */
static float rng_float(uint64_t *state)
{
    return (float)(rng_next(state) >> 40) * (2.0f / 16777216.0f) - 1.0f;
}

static int read_shape(weft_node *node, test_src *s)
{
    const weft_value *v = weft_node_prop(node, "shape");
    size_t n = v ? weft_value_list_len(v) : 0;

    if (n < 1 || n > WEFT_TENSOR_MAX_DIMS)
        return weft_node_error(node, WEFT_ERANGE,
                               "shape: needs 1 to %d dimensions, got %zu",
                               WEFT_TENSOR_MAX_DIMS, n);
    s->ndim = (uint32_t)n;
    s->numel = 1;
    for (size_t i = 0; i < n; i++) {
        int64_t d = weft_value_int(weft_value_list_at(v, i));
        if (d < 1 || d > ((int64_t)1 << 40) / s->numel)
            return weft_node_error(node, WEFT_ERANGE,
                                   "shape: dimension %zu is %lld; each must be "
                                   "at least 1 and the total at most 2^40",
                                   i, (long long)d);
        s->shape[i] = d;
        s->numel *= d;
    }
    return 0;
}

static int test_src_init(weft_node *node)
{
    test_src *s = calloc(1, sizeof *s);
    double frame;
    int ret;

    if (!s)
        return weft_node_error(node, WEFT_ENOMEM, "out of memory");
    weft_node_set_priv(node, s);
    s->kind = weft_node_prop_enum(node, "kind");
    s->count = weft_node_prop_int(node, "count");
    s->pattern = weft_node_prop_enum(node, "pattern");
    s->rng = (uint64_t)weft_node_prop_int(node, "seed");
    s->frame_rate = weft_node_prop_float(node, "frame_rate");
    s->wave = weft_node_prop_enum(node, "wave");
    s->rate = weft_node_prop_int(node, "rate");
    s->channels = weft_node_prop_int(node, "channels");
    s->freq = weft_node_prop_float(node, "freq");
    s->amplitude = weft_node_prop_float(node, "amplitude");
    frame = weft_node_prop_float(node, "frame");

    if (s->kind == KIND_TENSOR) {
        if ((ret = read_shape(node, s)) < 0)
            return ret;
        if (s->count >= 0 && s->frame_rate > 0)
            weft_node_set_media_duration(
                node, core_time_ns(s->count * s->shape[0], s->frame_rate));
        return 0;
    }
    if (s->rate < 1 || s->channels < 1)
        return weft_node_error(node, WEFT_ERANGE,
                               "rate and channels must be positive");
    /* Whole samples per buffer, so every buffer is the same size and the
     * timestamps can be computed from the sample count exactly. */
    s->frame_samples = llround(frame * (double)s->rate);
    if (s->frame_samples < 1)
        s->frame_samples = 1;
    if (s->count >= 0)
        weft_node_set_media_duration(
            node, core_time_ns(s->count * s->frame_samples, (double)s->rate));
    return 0;
}

static int test_src_negotiate(weft_node *node, const weft_format *const *in,
                              weft_format **out)
{
    test_src *s = weft_node_priv(node);
    weft_format *f;
    int ret;

    (void)in;
    if (s->kind == KIND_TENSOR) {
        f = weft_format_new("tensor");
        ret = f ? weft_format_set_string(f, "dtype", "f32") : WEFT_ENOMEM;
        if (ret == 0)
            ret = weft_format_set_shape(f, (int32_t)s->ndim, s->shape, NULL);
    } else {
        f = weft_format_new("audio/pcm");
        ret = f ? weft_format_set_int(f, "rate", s->rate) : WEFT_ENOMEM;
        if (ret == 0)
            ret = weft_format_set_int(f, "channels", s->channels);
        if (ret == 0)
            ret = weft_format_set_string(f, "dtype", "f32");
    }
    if (ret < 0) {
        weft_format_free(f);
        return weft_node_error(node, ret, "cannot build the output format");
    }
    out[0] = f;
    return 0;
}

static void fill_tensor(test_src *s, float *x)
{
    switch (s->pattern) {
    case PAT_ZEROS:
        memset(x, 0, (size_t)s->numel * sizeof *x);
        break;
    case PAT_RAMP: {
        int64_t base = s->index * s->numel;
        for (int64_t i = 0; i < s->numel; i++)
            x[i] = (float)(base + i);
        break;
    }
    default:
        for (int64_t i = 0; i < s->numel; i++)
            x[i] = rng_float(&s->rng);
        break;
    }
}

static void fill_audio(test_src *s, float *x, int64_t s0)
{
    int64_t n = s->frame_samples, c = s->channels;
    float amp = (float)s->amplitude;

    for (int64_t i = 0; i < n; i++) {
        float v = 0.0f;
        /* The phase comes from the absolute sample index, reduced modulo
         * the rate first, so it neither drifts nor loses precision. */
        double phase = fmod((double)(s0 + i) * s->freq, (double)s->rate) /
                       (double)s->rate;
        switch (s->wave) {
        case WAVE_SINE:
            v = amp * (float)sin(2.0 * M_PI * phase);
            break;
        case WAVE_SQUARE:
            v = phase < 0.5 ? amp : -amp;
            break;
        case WAVE_NOISE:
            for (int64_t ch = 0; ch < c; ch++)
                x[i * c + ch] = amp * rng_float(&s->rng);
            continue;
        default:
            break;
        }
        for (int64_t ch = 0; ch < c; ch++)
            x[i * c + ch] = v;
    }
}

static weft_flow test_src_process(weft_node *node)
{
    test_src *s = weft_node_priv(node);
    weft_buf *b;
    bool last;

    if (s->count >= 0 && s->index >= s->count)
        return WEFT_FLOW_EOS;
    last = s->count >= 0 && s->index == s->count - 1;
    if (s->kind == KIND_TENSOR) {
        b = weft_buf_new_tensor(WEFT_DTYPE_F32, s->ndim, s->shape,
                                WEFT_DOMAIN_HOST, 0);
        if (!b)
            goto oom;
        fill_tensor(s, weft_buf_data(b));
        if (s->frame_rate > 0) {
            int64_t r0 = s->index * s->shape[0];
            int64_t t0 = core_time_ns(r0, s->frame_rate);
            weft_buf_set_pts(b, t0);
            weft_buf_set_duration(
                b, core_time_ns(r0 + s->shape[0], s->frame_rate) - t0);
        } else {
            weft_buf_set_pts(b, WEFT_TIME_NONE);
            weft_buf_set_duration(b, WEFT_TIME_NONE);
        }
    } else {
        int64_t shape[2] = { s->frame_samples, s->channels };
        int64_t s0 = s->index * s->frame_samples, t0;
        b = weft_buf_new_tensor(WEFT_DTYPE_F32, 2, shape, WEFT_DOMAIN_HOST, 0);
        if (!b)
            goto oom;
        fill_audio(s, weft_buf_data(b), s0);
        t0 = core_time_ns(s0, (double)s->rate);
        weft_buf_set_pts(b, t0);
        weft_buf_set_duration(
            b, core_time_ns(s0 + s->frame_samples, (double)s->rate) - t0);
    }
    if (last)
        weft_buf_set_flags(b, weft_buf_get_flags(b) | WEFT_BUF_SEGMENT_END);
    s->index++;
    return core_push_source(node, b, last);

oom:
    weft_node_error(node, WEFT_ENOMEM, "out of memory");
    return WEFT_FLOW_ERROR;
}

static void test_src_fini(weft_node *node)
{
    free(weft_node_priv(node));
    weft_node_set_priv(node, NULL);
}

static const char *const kinds[] = { "tensor", "audio", NULL };
static const char *const patterns[] = { "zeros", "ramp", "random", NULL };
static const char *const waves[] = { "sine", "square", "noise", "silence",
                                     NULL };

static const weft_port_desc outputs[] = {
    WEFT_PORT("out", "any",
              "kind=tensor: `tensor dtype=f32 shape=[...]` as `shape` says; "
              "kind=audio: `audio/pcm rate=R channels=C dtype=f32` with "
              "tensors of shape [samples, channels]."),
    WEFT_PORT_END
};

static const weft_prop_desc props[] = {
    WEFT_PROP_ENUM("kind", "tensor", kinds,
                   "What to generate: tensors (`shape`, `pattern`) or audio "
                   "(`wave`, `rate`, `freq`, ...)."),
    WEFT_PROP_INT("count", "100", -1, 9e18, "buffers",
                  "Buffers to send before end of stream; -1 is endless."),
    WEFT_PROP_INT("seed", "0", -9e18, 9e18, NULL,
                  "Seed of the random pattern and of noise; the same seed "
                  "gives the same data everywhere."),
    WEFT_PROP_LIST("shape", "[4]", WEFT_PROP_INT,
                   "kind=tensor: the shape of every buffer, 1 to 8 "
                   "dimensions of at least 1, e.g. [10, 13]."),
    WEFT_PROP_ENUM("pattern", "ramp", patterns,
                   "kind=tensor: zeros; ramp (element i of buffer k is "
                   "k * numel + i, as f32); random (uniform in [-1, 1))."),
    WEFT_PROP_FLOAT("frame_rate", "0", 0, 1e9, "Hz",
                    "kind=tensor: rows of dimension 0 per second, for "
                    "timestamps (buffer k starts at k * shape[0] / "
                    "frame_rate); 0 leaves them unset."),
    WEFT_PROP_ENUM("wave", "sine", waves,
                   "kind=audio: the waveform; noise is uniform in "
                   "[-amplitude, amplitude), independent per channel."),
    WEFT_PROP_INT("rate", "16000", 1, 768000, "Hz",
                  "kind=audio: sample rate."),
    WEFT_PROP_FLOAT("freq", "440", 0, 1e6, "Hz",
                    "kind=audio: frequency of sine and square waves."),
    WEFT_PROP_FLOAT("amplitude", "0.5", 0, 1000, NULL,
                    "kind=audio: peak value (1.0 is full scale)."),
    WEFT_PROP_INT("channels", "1", 1, 64, NULL,
                  "kind=audio: channel count; every channel carries the same "
                  "wave except for noise."),
    WEFT_PROP_FLOAT("frame", "0.01", 1e-6, 60, "s",
                    "kind=audio: duration of each buffer, rounded to whole "
                    "samples (at least one)."),
    WEFT_PROP_END
};

const weft_node_class core_test_src_class = {
    .struct_size = sizeof(weft_node_class),
    .name = "test.src",
    .summary = "Generate deterministic test tensors or audio",
    .doc =
        "Sends `count` buffers of generated data, then ends the stream; "
        "the last buffer is flagged segment-end. Everything is "
        "deterministic: the same properties give the same bytes on every "
        "run and machine.\n\n"
        "kind=tensor sends f32 tensors of shape `shape` filled with "
        "`pattern`. kind=audio sends f32 audio of `channels` channels at "
        "`rate` Hz, `frame` seconds per buffer, as tensors of shape "
        "[samples, channels]; timestamps come from the sample count "
        "(sample n is at n / rate seconds, in integer arithmetic), so they "
        "never drift.\n\n"
        "Examples:\n"
        "    node src = test.src { shape = [10, 13], pattern = \"random\", "
        "seed = 7 }\n"
        "    node tone = test.src { kind = \"audio\", wave = \"sine\", "
        "freq = 1000, rate = 16000, count = 100 }",
    .flags = WEFT_NODE_SOURCE,
    .outputs = outputs,
    .props = props,
    .init = test_src_init,
    .negotiate = test_src_negotiate,
    .process = test_src_process,
    .fini = test_src_fini,
};
