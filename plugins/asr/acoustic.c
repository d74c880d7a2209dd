/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * asr.acoustic: feature frames in, per-frame CTC log-probabilities out,
 * streaming. The model is shared (asr_model_acquire); the node owns a
 * kernel context and the stream state, reset at every segment boundary.
 */
#include "config.h"

#include "asr-plugin.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct acoustic {
    asr_model *model;
    asr_weights *dev;    /* shared weights on the CUDA device, or NULL */
    weft_kctx *k;
    asr_state *st;
    double in_rate;      /* input frames per second; 0: unknown */
    bool in_segment;
    uint64_t segment;
    int64_t out_pos;     /* output frames pushed in this segment */
    weft_buf *meta;      /* empty buffer with the metadata of the segment's
                          * last input, for the closing buffer; or NULL */
} acoustic;

/* Keep @in's metadata for a segment end that the input does not flag
 * (a new segment id, end of stream), whose empty closing buffer must
 * still say which file, say, it closes. */
static int keep_meta(acoustic *s, const weft_buf *in)
{
    return weft_buf_keep_meta(&s->meta, in);
}

static void drop_meta(acoustic *s)
{
    weft_buf_unref(s->meta);
    s->meta = NULL;
}

static int acoustic_init(weft_node *node)
{
    acoustic *s = calloc(1, sizeof *s);
    const char *dev = weft_node_prop_string(node, "device");
    char *dir;
    int ret;

    if (!s)
        return weft_node_error(node, WEFT_ENOMEM, "out of memory");
    weft_node_set_priv(node, s);
    if (!dev || !*dev)
        dev = "cpu";
    if ((ret = weft_kctx_new(dev, &s->k)) < 0) {
        const char *why = "";
        weft_k_cuda_available(&why);
        return weft_node_error(node, ret, "device '%s': %s%s%s", dev,
                               weft_strerror(ret),
                               ret == WEFT_ENODEV ? ": " : "",
                               ret == WEFT_ENODEV ? why
                               : ret == WEFT_EINVAL ? " (cpu, auto, cuda or "
                                                      "cuda:N)"
                                                    : "");
    }
    if (!(dir = weft_node_prop_path(node, "model")))
        return WEFT_EINVAL;
    ret = asr_model_acquire(node, dir, &s->model);
    if (ret == 0 && weft_kctx_backend(s->k) == WEFT_K_BACKEND_CUDA)
        ret = asr_weights_acquire(node, dir, s->model, weft_kctx_name(s->k),
                                  &s->dev);
    free(dir);
    if (ret < 0)
        return ret;
    if ((ret = asr_state_new(s->model, s->dev, s->k, &s->st)) < 0)
        return weft_node_error(node, ret, "cannot set up the model on %s: %s",
                               weft_kctx_name(s->k),
                               ret == WEFT_ECUDA ? weft_kctx_last_error(s->k)
                                                 : weft_strerror(ret));
    return 0;
}

static int acoustic_negotiate(weft_node *node, const weft_format *const *in,
                              weft_format **out)
{
    acoustic *s = weft_node_priv(node);
    const asr_model *m = s->model;
    const weft_format *f = in[0];
    const char *str, *names[2] = { "T", NULL };
    int64_t dims[WEFT_TENSOR_MAX_DIMS];
    int32_t nd;
    double rate = 0;
    weft_format *o;
    int ret;

    if (f && weft_format_get_string(f, "dtype", &str) == 0 &&
        strcmp(str, "f32") != 0)
        return weft_node_error(node, WEFT_EFORMAT, "input dtype is %s; the "
                               "model takes f32 features", str);
    if (f && weft_format_get_shape(f, &nd, dims, NULL,
                                   WEFT_TENSOR_MAX_DIMS) == 0 && nd >= 0) {
        if (nd != 2)
            return weft_node_error(node, WEFT_EFORMAT, "input has %d "
                                   "dimensions; the model takes [T,C] "
                                   "feature frames", (int)nd);
        if (dims[1] >= 0 && dims[1] != m->in_dim)
            return weft_node_error(node, WEFT_EFORMAT,
                                   "input has %" PRId64 " features per "
                                   "frame but model %s takes %" PRId64
                                   " (config.json features.dim)", dims[1],
                                   m->dir, m->in_dim);
    }
    if (f && m->feat_type[0] &&
        weft_format_get_string(f, "features", &str) == 0 &&
        strcmp(str, m->feat_type) != 0)
        return weft_node_error(node, WEFT_EFORMAT,
                               "input features are %s but model %s takes %s "
                               "(config.json features.type)", str, m->dir,
                               m->feat_type);
    if (f && weft_format_get_float(f, "frame_rate", &rate) == 0 && rate > 0 &&
        m->frame_shift_ms > 0 &&
        fabs(rate * m->frame_shift_ms / 1000.0 - 1.0) > 1e-6)
        return weft_node_error(node, WEFT_EFORMAT,
                               "input frame rate is %g Hz but model %s takes "
                               "%g Hz (config.json features.frame_shift_ms "
                               "%g)", rate, m->dir,
                               1000.0 / m->frame_shift_ms, m->frame_shift_ms);
    if (!(rate > 0) && m->frame_shift_ms > 0)
        rate = 1000.0 / m->frame_shift_ms;
    s->in_rate = rate > 0 ? rate : 0;
    dims[0] = -1;
    dims[1] = m->n_tokens;
    o = weft_format_new("tensor");
    ret = o ? weft_format_set_string(o, "dtype", "f32") : WEFT_ENOMEM;
    if (ret == 0)
        ret = weft_format_set_shape(o, 2, dims, names);
    if (ret == 0)
        ret = weft_format_set_string(o, "vocab", m->vocab_id);
    if (ret == 0 && s->in_rate > 0)
        ret = weft_format_set_float(o, "frame_rate",
                                    s->in_rate / (double)m->stride);
    if (ret < 0) {
        weft_format_free(o);
        return weft_node_error(node, ret, "cannot build the output format");
    }
    out[0] = o;
    return 0;
}

/* A buffer of @rows output frames carrying the segment and @flags. */
static weft_buf *new_out(acoustic *s, int64_t rows)
{
    const int64_t shape[2] = { rows, s->model->n_tokens };

    return weft_buf_new_tensor(WEFT_DTYPE_F32, 2, shape, WEFT_DOMAIN_HOST, 0);
}

static weft_flow fail(weft_node *node, int code, const char *what)
{
    weft_node_error(node, code, "%s", what);
    return WEFT_FLOW_ERROR;
}

/* Close the open segment: an empty [0,V] buffer carries the end flag when
 * the input did not (a new segment id started, or the stream ended). */
static weft_flow end_segment(weft_node *node, acoustic *s, int64_t pts)
{
    weft_buf *o;

    if (!s->in_segment)
        return WEFT_FLOW_OK;
    s->in_segment = false;
    asr_state_reset(s->st);
    if (!(o = new_out(s, 0)))
        return fail(node, WEFT_ENOMEM, "out of memory");
    /* Metadata first: weft_buf_copy_meta also copies timing and flags. */
    if (s->meta && weft_buf_copy_meta(o, s->meta) < 0) {
        weft_buf_unref(o);
        return fail(node, WEFT_ENOMEM, "out of memory");
    }
    drop_meta(s);
    weft_buf_set_pts(o, pts);
    weft_buf_set_duration(o, 0);
    weft_buf_set_segment(o, s->segment);
    weft_buf_set_flags(o, WEFT_BUF_SEGMENT_END);
    return weft_node_push(node, 0, o);
}

static weft_flow feed(weft_node *node, acoustic *s, weft_buf *b)
{
    const asr_model *m = s->model;
    int64_t t, n_out, pos, pts, dur;
    double period = 0;
    weft_buf_flags fl = weft_buf_get_flags(b);
    weft_flow f;
    weft_buf *o;
    int ret;

    if (weft_buf_kind(b) != WEFT_KIND_TENSOR ||
        weft_buf_dtype(b) != WEFT_DTYPE_F32 || weft_buf_ndim(b) != 2 ||
        weft_buf_domain(b) == WEFT_DOMAIN_CUDA || !weft_buf_is_contiguous(b) ||
        weft_buf_dim(b, 1) != m->in_dim) {
        weft_node_error(node, WEFT_EFORMAT, "input buffer is not a host f32 "
                        "[T,%" PRId64 "] tensor", m->in_dim);
        return WEFT_FLOW_ERROR;
    }
    if (s->in_segment && weft_buf_segment(b) != s->segment &&
        (f = end_segment(node, s, weft_buf_pts(b))) != WEFT_FLOW_OK)
        return f;
    if (!s->in_segment) {
        s->in_segment = true;
        s->segment = weft_buf_segment(b);
        s->out_pos = 0;
    }
    if (!(fl & WEFT_BUF_SEGMENT_END) && keep_meta(s, b) < 0)
        return fail(node, WEFT_ENOMEM, "out of memory");
    t = weft_buf_dim(b, 0);
    pos = asr_state_pos(s->st);
    n_out = asr_out_frames(s->st, t);
    if (n_out == 0 && !(fl & WEFT_BUF_SEGMENT_END)) {
        /* Too few frames to complete an output frame of a strided model:
         * they live on in the state; nothing to push. */
        if ((ret = asr_forward(s->st, weft_buf_cdata(b), t, NULL)) < 0)
            goto run_fail;
        return WEFT_FLOW_OK;
    }
    if (!(o = new_out(s, n_out)))
        return fail(node, WEFT_ENOMEM, "out of memory");
    if ((ret = asr_forward(s->st, weft_buf_cdata(b), t,
                           weft_buf_data(o))) < 0) {
        weft_buf_unref(o);
        goto run_fail;
    }
    /* Output frame j is at input frame j * stride of the segment; its
     * time comes from this buffer's pts and the input frame period. */
    if (s->in_rate > 0)
        period = 1e9 / s->in_rate;
    else if (t > 0 && weft_buf_duration(b) > 0)
        period = (double)weft_buf_duration(b) / (double)t;
    if (weft_buf_copy_meta(o, b) < 0) {
        weft_buf_unref(o);
        return fail(node, WEFT_ENOMEM, "out of memory");
    }
    pts = weft_buf_pts(b);
    if (pts != WEFT_TIME_NONE && period > 0) {
        int64_t r0 = s->out_pos * m->stride - pos;
        if (n_out == 0)
            r0 = t;
        pts += llround((double)r0 * period);
        dur = llround((double)(n_out * m->stride) * period);
    } else {
        pts = WEFT_TIME_NONE;
        dur = WEFT_TIME_NONE;
    }
    weft_buf_set_pts(o, pts);
    weft_buf_set_duration(o, dur);
    weft_buf_set_flags(o, fl & (WEFT_BUF_SEGMENT_END | WEFT_BUF_DISCONT));
    s->out_pos += n_out;
    if (fl & WEFT_BUF_SEGMENT_END) {
        s->in_segment = false;
        asr_state_reset(s->st);
        drop_meta(s);
    }
    return weft_node_push(node, 0, o);
run_fail:
    weft_node_error(node, ret, "forward pass failed on %s: %s",
                    weft_kctx_name(s->k),
                    ret == WEFT_ECUDA ? weft_kctx_last_error(s->k)
                                      : weft_strerror(ret));
    return WEFT_FLOW_ERROR;
}

static weft_flow acoustic_process(weft_node *node)
{
    acoustic *s = weft_node_priv(node);
    weft_buf *b;
    weft_flow f;

    for (;;) {
        f = weft_node_pop(node, 0, &b);
        if (f == WEFT_FLOW_AGAIN)
            return WEFT_FLOW_OK;
        if (f == WEFT_FLOW_EOS) {
            /* Every output frame has been pushed already (the model is
             * causal); only an open segment's end remains to be said. */
            f = end_segment(node, s, WEFT_TIME_NONE);
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

static int acoustic_flush(weft_node *node)
{
    acoustic *s = weft_node_priv(node);

    if (s && s->st)
        asr_state_reset(s->st);
    if (s) {
        s->in_segment = false;
        drop_meta(s);
    }
    return 0;
}

static void acoustic_fini(weft_node *node)
{
    acoustic *s = weft_node_priv(node);

    if (!s)
        return;
    asr_state_free(s->st);
    drop_meta(s);
    if (s->dev)
        weft_shared_release(s->dev);
    if (s->model)
        weft_shared_release(s->model);
    weft_kctx_free(s->k);
    free(s);
    weft_node_set_priv(node, NULL);
}

static const weft_port_desc inputs[] = {
    WEFT_PORT("in", "tensor dtype=f32 shape=[T,C]",
              "Feature frames, [T,C] per buffer (C: the model's "
              "features.dim), as the mfcc and fbank nodes produce; any T, "
              "0 included. A new segment id or the SEGMENT_END flag "
              "delimits utterances."),
    WEFT_PORT_END
};

static const weft_port_desc outputs[] = {
    WEFT_PORT("out", "tensor dtype=f32 shape=[T,V]",
              "Per-frame scores, [T',V] (V: the tokens of the model's "
              "tokens.txt): log-probabilities (log_softmax) or logits, as "
              "config.json's `output` says, with the input's segment id "
              "and metadata (audio.dir's `file`, say). The format names the "
              "vocabulary (`vocab=fnv1a64:...`, which the ctc decoders "
              "check) and the output frame rate (`frame_rate`, Hz)."),
    WEFT_PORT_END
};

static const weft_prop_desc props[] = {
    WEFT_PROP_PATH("model", NULL, "Model directory: config.json, "
                   "model.safetensors and tokens.txt, laid out as "
                   "doc/acoustic-model.md describes; relative to the graph "
                   "file."),
    WEFT_PROP_STRING("device", "cpu", "Where to run: cpu, cuda or cuda:N "
                     "(a CUDA device; an error when there is none), or auto "
                     "(CUDA device 0 when there is one, else the CPU)."),
    WEFT_PROP_END
};

const weft_node_class asr_acoustic_class = {
    .struct_size = sizeof(weft_node_class),
    .name = "asr.acoustic",
    .summary = "Acoustic model: feature frames to CTC log-probabilities",
    .doc =
        "Runs a CTC acoustic model on feature frames, streaming. The model "
        "directory's config.json composes the network from layers "
        "(normalize, causal conv1d with stride, groups and dilation, "
        "depthwise-separable sepconv1d with an optional residual, "
        "batchnorm folded into the layer before it, layernorm, GRU, LSTM, "
        "linear, relu, gelu, silu, dropout); model.safetensors holds the "
        "weights in PyTorch's layouts; tokens.txt lists the CTC tokens. "
        "See doc/acoustic-model.md. Every size and tensor shape is checked "
        "when the node starts; an error names the file, the layer and "
        "both shapes.\n\n"
        "At negotiation the input's feature size must equal the model's "
        "features.dim, and where the producer says which features it "
        "makes (`features=mfcc|fbank`, `frame_rate=` in its format, as the "
        "mfcc and fbank nodes do) they must be what the model was trained "
        "on. The output format carries `vocab=fnv1a64:<hex>`, the id of "
        "tokens.txt that ctc.greedy and ctc.beam compare with their own "
        "tokens, and `frame_rate`, the input frame rate divided by the "
        "product of the convolution strides.\n\n"
        "Streaming: every layer is causal, so each buffer gives at once "
        "every output frame its frames complete (about T/stride; none is "
        "held back) and cutting a segment into buffers of any size gives "
        "the same scores as one buffer (within float rounding). Recurrent "
        "state and convolution context carry over between buffers of one "
        "segment and reset when the segment id changes or after a buffer "
        "flagged SEGMENT_END; the flag is passed on, on an empty [0,V] "
        "buffer if needed, and an open segment is closed that way at end "
        "of stream. Output frame j of a segment is stamped with the time "
        "of input frame j*stride; durations are stride input frames. "
        "Each output buffer carries the segment id and string metadata "
        "of the input buffer it comes from (a closing empty buffer: of "
        "the segment's last input), so a file name set by audio.dir "
        "reaches the decoder. "
        "Flushing (barge-in) drops the state.\n\n"
        "The weights are loaded once per model directory (and copied once "
        "per CUDA device) and shared by every node naming it; each node "
        "keeps its own state. On the CPU "
        "the input projections and convolutions of a buffer are single "
        "GEMMs (OpenBLAS); on CUDA the node uses cuBLAS and its own "
        "kernels, with buffers in host memory on both sides.\n\n"
        "Example:\n"
        "    node feat = fbank { preset = \"kaldi\", num_mel_bins = 40, "
        "dither = 0 }\n"
        "    node am   = asr.acoustic { model = \"models/en-commands/model\" }\n"
        "    node dec  = ctc.beam { tokens = "
        "\"models/en-commands/model/tokens.txt\" }\n"
        "    feat -> am -> dec    # graphs/transcribe.weft: from an audio file",
    .flags = WEFT_NODE_STATEFUL | WEFT_NODE_CUDA,
    .inputs = inputs,
    .outputs = outputs,
    .props = props,
    .init = acoustic_init,
    .negotiate = acoustic_negotiate,
    .process = acoustic_process,
    .flush = acoustic_flush,
    .fini = acoustic_fini,
};
