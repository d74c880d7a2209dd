/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * feat-node.c: the node implementation behind `mfcc` and `fbank`: reads the
 * properties over the preset, builds the plan at negotiate (when the rate
 * is known), feeds input buffers to the stream and pushes the rows each
 * buffer completes.
 */
#include "mfcc-plugin.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "feat.h"

const char *const feat_tri_choices[] = { "preset", "true", "false", NULL };
const char *const feat_window_choices[] = { "preset", "povey", "hamming",
                                            "hann", "rectangular", "blackman",
                                            NULL };
const char *const feat_edges_choices[] = { "preset", "snip", "reflect",
                                           "center", "pad_end", NULL };
const char *const feat_spectrum_choices[] = { "preset", "power", "magnitude",
                                              "power_scaled", NULL };
const char *const feat_mel_scale_choices[] = { "preset", "htk", "slaney",
                                               NULL };
const char *const feat_mel_shape_choices[] = { "preset", "mel", "hz",
                                               "fft_bins", NULL };
const char *const feat_mel_norm_choices[] = { "preset", "none", "slaney",
                                              NULL };
const char *const feat_log_choices[] = { "preset", "ln", "db", NULL };
const char *const feat_dct_norm_choices[] = { "preset", "ortho", "none", "htk",
                                              NULL };
const char *const feat_lifter_style_choices[] = { "preset", "kaldi",
                                                  "librosa", NULL };
const char *const feat_cmvn_choices[] = { "none", "utterance", "sliding",
                                          NULL };
const char *const feat_preset_choices[] = { "kaldi", "htk", "librosa",
                                            "python_speech_features", NULL };

typedef struct feat_node {
    feat_opts opts;
    feat_plan *plan;
    feat_stream *stream;
    int64_t rate;
    bool in_segment;     /* samples of the current segment were fed */
    uint64_t segment;
    int64_t seg_pts;     /* pts of the segment's first sample */
    weft_buf *meta;      /* an empty buffer holding the metadata of the
                          * last input of the segment, or NULL */
} feat_node;

static bool has_prop(weft_node *n, const char *name)
{
    return weft_node_prop(n, name) != NULL;
}

/* Overrides: -1 (numbers) and "preset" (enums) leave the preset's value. */
static int read_float(weft_node *n, const char *name, double *dst)
{
    double v;
    if (!has_prop(n, name))
        return 0;
    v = weft_node_prop_float(n, name);
    if (v == -1)
        return 0;
    if (v < 0 && strcmp(name, "high_freq") != 0)
        return weft_node_error(n, WEFT_ERANGE, "%s: %g is negative; -1 "
                               "means the preset's value", name, v);
    *dst = v;
    return 1;
}

static void read_enum(weft_node *n, const char *name, int *dst)
{
    int32_t v = has_prop(n, name) ? weft_node_prop_enum(n, name) : 0;
    if (v > 0)
        *dst = v - 1;
}

static void read_tri(weft_node *n, const char *name, bool *dst)
{
    int32_t v = has_prop(n, name) ? weft_node_prop_enum(n, name) : 0;
    if (v > 0)
        *dst = v == 1;
}

static void read_int(weft_node *n, const char *name, int64_t *dst)
{
    int64_t v;
    if (!has_prop(n, name))
        return;
    v = weft_node_prop_int(n, name);
    if (v != -1)
        *dst = v;
}

static int read_opts(weft_node *n, feat_opts *o, bool mfcc)
{
    int ret;

    feat_opts_preset(o, weft_node_prop_enum(n, "preset"), mfcc);
    if ((ret = read_float(n, "sample_scale", &o->sample_scale)) < 0 ||
        (ret = read_float(n, "preemphasis", &o->preemphasis)) < 0 ||
        (ret = read_float(n, "low_freq", &o->low_freq)) < 0 ||
        (ret = read_float(n, "high_freq", &o->high_freq)) < 0 ||
        (ret = read_float(n, "log_floor", &o->log_floor)) < 0 ||
        (ret = read_float(n, "top_db", &o->top_db)) < 0 ||
        (ret = read_float(n, "cepstral_lifter", &o->cepstral_lifter)) < 0 ||
        (ret = read_float(n, "energy_floor", &o->energy_floor)) < 0 ||
        (ret = read_float(n, "blackman_coeff", &o->blackman_coeff)) < 0 ||
        (ret = read_float(n, "dither", &o->dither)) < 0)
        return ret;
    if ((ret = read_float(n, "frame_length", &o->frame_length)) < 0)
        return ret;
    if (ret > 0)
        o->frame_length_n = 0;
    if ((ret = read_float(n, "frame_shift", &o->frame_shift)) < 0)
        return ret;
    if (ret > 0)
        o->frame_shift_n = 0;
    o->seed = (uint64_t)weft_node_prop_int(n, "seed");
    read_enum(n, "edges", &o->edges);
    read_enum(n, "window", &o->window);
    read_enum(n, "spectrum", &o->spectrum);
    read_enum(n, "mel_scale", &o->mel_scale);
    read_enum(n, "mel_shape", &o->mel_shape);
    read_enum(n, "mel_norm", &o->mel_norm);
    read_enum(n, "log", &o->log_type);
    read_enum(n, "dct_norm", &o->dct_norm);
    read_enum(n, "lifter_style", &o->lifter_style);
    read_tri(n, "remove_dc_offset", &o->remove_dc_offset);
    read_tri(n, "preemphasis_signal", &o->preemph_signal);
    read_tri(n, "window_periodic", &o->window_periodic);
    read_tri(n, "round_to_power_of_two", &o->round_to_power_of_two);
    read_tri(n, "use_energy", &o->use_energy);
    read_tri(n, "raw_energy", &o->raw_energy);
    read_tri(n, "energy_from_spectrum", &o->energy_from_spectrum);
    read_tri(n, "htk_compat", &o->htk_compat);
    read_int(n, "fft_size", &o->fft_size);
    read_int(n, "num_mel_bins", &o->num_mel_bins);
    read_int(n, "num_ceps", &o->num_ceps);
    o->deltas = weft_node_prop_int(n, "deltas");
    o->delta_window = weft_node_prop_int(n, "delta_window");
    o->cmvn = weft_node_prop_enum(n, "cmvn");
    o->cmvn_window = weft_node_prop_int(n, "cmvn_window");
    o->cmvn_norm_vars = weft_node_prop_bool(n, "cmvn_norm_vars");
    return 0;
}

int feat_node_init(weft_node *node)
{
    feat_node *s = calloc(1, sizeof *s);
    bool mfcc = strcmp(weft_node_get_class(node)->name, "mfcc") == 0;

    if (!s)
        return weft_node_error(node, WEFT_ENOMEM, "out of memory");
    weft_node_set_priv(node, s);
    s->rate = weft_node_prop_int(node, "rate");
    return read_opts(node, &s->opts, mfcc);
}

int feat_node_negotiate(weft_node *node, const weft_format *const *in,
                        weft_format **out)
{
    feat_node *s = weft_node_priv(node);
    int64_t rate = 0, ch = 1, dims[2];
    const char *names[2] = { "T", NULL };
    weft_format *f = NULL;
    char err[256];
    int ret;

    if (!in[0] || weft_format_get_int(in[0], "rate", &rate) < 0 || rate < 1)
        return weft_node_error(node, WEFT_EFORMAT,
                               "input has no fixed sample rate");
    if (weft_format_get_int(in[0], "channels", &ch) == 0 && ch != 1)
        return weft_node_error(node, WEFT_EFORMAT, "input has %lld channels; "
                               "the node takes mono audio (channels=1)",
                               (long long)ch);
    if (s->rate > 0 && rate != s->rate)
        return weft_node_error(node, WEFT_EFORMAT,
                               "input rate is %lld Hz but the node is "
                               "configured for rate=%lld; resample upstream "
                               "or set rate", (long long)rate,
                               (long long)s->rate);
    feat_stream_free(s->stream);
    feat_plan_free(s->plan);
    s->stream = NULL;
    s->plan = NULL;
    if ((ret = feat_plan_new(&s->opts, (double)rate, &s->plan, err,
                             sizeof err)) < 0)
        return weft_node_error(node, ret, "%s", err);
    if (feat_stream_new(s->plan, &s->stream) < 0)
        return weft_node_error(node, WEFT_ENOMEM, "out of memory");
    s->rate = rate;
    dims[0] = -1;
    dims[1] = feat_plan_dim(s->plan);
    f = weft_format_new("tensor");
    ret = f ? weft_format_set_string(f, "dtype", "f32") : WEFT_ENOMEM;
    if (ret == 0)
        ret = weft_format_set_shape(f, 2, dims, names);
    /* Say which features these are and at what frame rate, so that a
     * consumer trained on particular features (asr.acoustic) can check
     * them when the graph is checked rather than mis-recognise. */
    if (ret == 0)
        ret = weft_format_set_string(f, "features",
                                     weft_node_get_class(node)->name);
    if (ret == 0)
        ret = weft_format_set_float(f, "frame_rate",
                                    (double)rate /
                                        (double)feat_plan_frame_shift(s->plan));
    if (ret < 0) {
        weft_format_free(f);
        return weft_node_error(node, ret, "cannot build the output format");
    }
    out[0] = f;
    return 0;
}

/* Rows lag their samples by up to a frame (and by a whole segment with
 * utterance CMVN or top_db), so each input's metadata (`file` from
 * audio.dir, say) is kept on a carrier until the rows it completes go out.
 * The last input wins: rows carry what their newest samples carried. */
static int keep_meta(feat_node *s, const weft_buf *in)
{
    return weft_buf_keep_meta(&s->meta, in);
}

static void drop_meta(feat_node *s)
{
    weft_buf_unref(s->meta);
    s->meta = NULL;
}

static int64_t row_time(const feat_node *s, int64_t row)
{
    __int128 t = (__int128)row * feat_plan_frame_shift(s->plan) * 1000000000;
    return s->seg_pts == WEFT_TIME_NONE
               ? WEFT_TIME_NONE
               : s->seg_pts + (int64_t)(t / s->rate);
}

/* Push the ready rows; @end marks the segment's end (even with no rows). */
static weft_flow push_rows(weft_node *node, feat_node *s, bool end)
{
    int64_t rows = feat_stream_ready(s->stream), first, shape[2];
    weft_buf *b;

    if (rows == 0 && !end)
        return WEFT_FLOW_OK;
    first = feat_stream_next_row(s->stream);
    shape[0] = rows;
    shape[1] = feat_plan_dim(s->plan);
    b = weft_buf_new_tensor(WEFT_DTYPE_F32, 2, shape, WEFT_DOMAIN_HOST, 0);
    if (!b) {
        weft_node_error(node, WEFT_ENOMEM, "out of memory");
        return WEFT_FLOW_ERROR;
    }
    /* Metadata first: weft_buf_copy_meta also copies timing and flags,
     * which are set below. */
    if (s->meta && weft_buf_copy_meta(b, s->meta) < 0) {
        weft_buf_unref(b);
        weft_node_error(node, WEFT_ENOMEM, "out of memory");
        return WEFT_FLOW_ERROR;
    }
    feat_stream_take(s->stream, weft_buf_data(b), rows);
    weft_buf_set_pts(b, row_time(s, first));
    weft_buf_set_duration(b, s->seg_pts == WEFT_TIME_NONE
                                 ? WEFT_TIME_NONE
                                 : row_time(s, first + rows) -
                                       row_time(s, first));
    weft_buf_set_segment(b, s->segment);
    weft_buf_set_flags(b, end ? WEFT_BUF_SEGMENT_END : 0);
    return weft_node_push(node, 0, b);
}

static weft_flow end_segment(weft_node *node, feat_node *s)
{
    weft_flow f;

    if (!s->in_segment)
        return WEFT_FLOW_OK;
    if (feat_stream_end(s->stream) < 0) {
        weft_node_error(node, WEFT_ENOMEM, "out of memory");
        return WEFT_FLOW_ERROR;
    }
    f = push_rows(node, s, true);
    feat_stream_reset(s->stream);
    s->in_segment = false;
    drop_meta(s);
    return f;
}

static weft_flow feed(weft_node *node, feat_node *s, weft_buf *b)
{
    int64_t n = weft_buf_numel(b), bad = 0;
    weft_flow f;
    int ret;

    if (weft_buf_kind(b) != WEFT_KIND_TENSOR ||
        weft_buf_dtype(b) != WEFT_DTYPE_F32 ||
        weft_buf_domain(b) != WEFT_DOMAIN_HOST || !weft_buf_is_contiguous(b) ||
        weft_buf_ndim(b) < 1 || weft_buf_ndim(b) > 2 ||
        (weft_buf_ndim(b) == 2 && weft_buf_dim(b, 1) != 1)) {
        weft_node_error(node, WEFT_EFORMAT, "expected host f32 mono audio "
                        "as a [samples, 1] tensor");
        return WEFT_FLOW_ERROR;
    }
    if (s->in_segment && weft_buf_segment(b) != s->segment &&
        (f = end_segment(node, s)) != WEFT_FLOW_OK)
        return f;
    if (!s->in_segment) {
        s->in_segment = true;
        s->segment = weft_buf_segment(b);
        s->seg_pts = weft_buf_pts(b);
    }
    if (keep_meta(s, b) < 0) {
        weft_node_error(node, WEFT_ENOMEM, "out of memory");
        return WEFT_FLOW_ERROR;
    }
    ret = feat_stream_feed(s->stream, weft_buf_cdata(b), (size_t)n, &bad);
    if (ret == WEFT_EINVAL) {
        float v = ((const float *)weft_buf_cdata(b))[bad -
                  (feat_stream_samples(s->stream))];
        weft_node_error(node, WEFT_EINVAL,
                        "sample %lld of segment %llu (%.6f s in) is %s; "
                        "audio must be finite",
                        (long long)bad, (unsigned long long)s->segment,
                        (double)bad / (double)s->rate,
                        isnan(v) ? "NaN" : "infinite");
        return WEFT_FLOW_ERROR;
    }
    if (ret < 0) {
        weft_node_error(node, ret, "out of memory");
        return WEFT_FLOW_ERROR;
    }
    if (weft_buf_get_flags(b) & WEFT_BUF_SEGMENT_END)
        return end_segment(node, s);
    return push_rows(node, s, false);
}

weft_flow feat_node_process(weft_node *node)
{
    feat_node *s = weft_node_priv(node);
    weft_buf *b;
    weft_flow f;

    for (;;) {
        f = weft_node_pop(node, 0, &b);
        if (f == WEFT_FLOW_AGAIN)
            return WEFT_FLOW_OK;
        if (f == WEFT_FLOW_EOS) {
            f = end_segment(node, s);
            return f == WEFT_FLOW_ERROR ? f : WEFT_FLOW_EOS;
        }
        if (f != WEFT_FLOW_OK)
            return f;
        f = feed(node, s, b);
        weft_buf_unref(b);
        if (f != WEFT_FLOW_OK)
            return f;
    }
}

int feat_node_flush(weft_node *node)
{
    feat_node *s = weft_node_priv(node);
    if (s && s->stream)
        feat_stream_reset(s->stream);
    if (s) {
        s->in_segment = false;
        drop_meta(s);
    }
    return 0;
}

void feat_node_fini(weft_node *node)
{
    feat_node *s = weft_node_priv(node);
    if (!s)
        return;
    feat_stream_free(s->stream);
    feat_plan_free(s->plan);
    drop_meta(s);
    free(s);
    weft_node_set_priv(node, NULL);
}
