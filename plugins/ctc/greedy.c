/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ctc.greedy: best-path CTC decoding, streaming. */
#include "node.h"

#include <stdlib.h>
#include <string.h>

typedef struct greedy_node {
    ctc_io io;
    int32_t prev;    /* last frame's best token, across buffers */
    int32_t *tok;    /* the segment's emitted tokens */
    int64_t *frame;  /* and the frame of each */
    float *logp;     /* and its log-probability */
    int64_t n, cap, frames;
} greedy_node;

static void seg_reset(greedy_node *s)
{
    s->prev = -1;
    s->n = 0;
    s->frames = 0;
}

static int greedy_init(weft_node *node)
{
    greedy_node *s = calloc(1, sizeof *s);

    if (!s)
        return weft_node_error(node, WEFT_ENOMEM, "out of memory");
    weft_node_set_priv(node, s);
    seg_reset(s);
    return ctc_io_init(node, &s->io, false);
}

static int greedy_negotiate(weft_node *node, const weft_format *const *in,
                            weft_format **out)
{
    greedy_node *s = weft_node_priv(node);
    (void)out;
    return ctc_io_negotiate(node, &s->io, in);
}

/* Push the segment's text: a partial, or with @final its result (@ep:
 * an endpoint ended the utterance, not the segment). */
static weft_flow emit(weft_node *node, greedy_node *s, bool final, ctc_ep ep)
{
    ctc_hyp h;
    weft_flow f;

    if (ctc_tokens_to_hyp(s->io.sh->vocab, s->tok, s->frame, s->logp, s->n,
                          &h) < 0) {
        weft_node_error(node, WEFT_ENOMEM, "out of memory");
        return WEFT_FLOW_ERROR;
    }
    h.score = 0;
    for (int64_t i = 0; i < s->n; i++)
        h.score += s->logp[i];
    f = ctc_io_push(node, &s->io, final ? 0 : 1, &h, NULL, s->frames, final,
                    ep);
    free(h.text);
    free(h.words);
    if (final)
        seg_reset(s);
    return f;
}

/* Whether the text so far has a word: a token other than the delimiter
 * (blanks are never kept). */
static bool has_words(const greedy_node *s)
{
    for (int64_t i = 0; i < s->n; i++)
        if (s->tok[i] != s->io.sh->vocab->delim)
            return true;
    return false;
}

/* The segment (or stream) ended: its last utterance's result, but none
 * for silence after an endpoint. */
static weft_flow segment_end(weft_node *node, greedy_node *s)
{
    if (s->io.ep_in_seg && !has_words(s)) {
        seg_reset(s);
        ctc_io_reset(&s->io);
        return WEFT_FLOW_OK;
    }
    return emit(node, s, true, CTC_EP_NONE);
}

/* Best path over @t frames (capacity for them reserved), ending
 * utterances where the endpoint rules say. */
static weft_flow feed(weft_node *node, greedy_node *s, const float *x,
                      int64_t t, int64_t stride)
{
    const int32_t blank = s->io.sh->vocab->blank;
    int64_t off = 0;

    do {
        ctc_ep why;
        int64_t n = ctc_io_endpoint_scan(&s->io, x + off * stride, t - off,
                                         stride, &why);
        const float *y = x + off * stride;
        int64_t k = ctc_greedy(y, n, stride, stride, blank, &s->prev,
                               s->tok + s->n, s->frame + s->n);
        for (int64_t i = s->n; i < s->n + k; i++) {
            s->logp[i] = y[s->frame[i] * stride + s->tok[i]];
            s->frame[i] += s->frames;
        }
        s->n += k;
        s->frames += n;
        off += n;
        if (why != CTC_EP_NONE) {
            weft_flow f = WEFT_FLOW_OK;
            if (has_words(s)) {
                f = emit(node, s, true, why);
            } else if (why == CTC_EP_LENGTH) {
                /* Nothing said: start over without a result. */
                seg_reset(s);
                ctc_io_restart(&s->io);
            }
            if (f == WEFT_FLOW_ERROR || f == WEFT_FLOW_EOS)
                return f;
        }
    } while (off < t);
    return WEFT_FLOW_OK;
}

static weft_flow greedy_process(weft_node *node)
{
    greedy_node *s = weft_node_priv(node);

    for (;;) {
        weft_buf *b = NULL;
        weft_flow f = weft_node_pop(node, 0, &b);
        const float *x;
        int64_t t = 0, stride = 0;

        if (f == WEFT_FLOW_AGAIN || f == WEFT_FLOW_FLUSHING)
            return WEFT_FLOW_OK;
        if (f == WEFT_FLOW_EOS) {
            if (s->io.in_segment || !s->io.emitted_any) {
                if (segment_end(node, s) == WEFT_FLOW_ERROR)
                    return WEFT_FLOW_ERROR;
            }
            return WEFT_FLOW_EOS;
        }
        if (f != WEFT_FLOW_OK)
            return f;
        if (!(x = ctc_io_frames(node, &s->io, b, &t, &stride)))
            goto fail;
        for (int64_t i = 0; i < t * stride; i++)
            if (x[i] != x[i] || x[i] > 3.4e38f) {
                weft_node_error(node, WEFT_EINVAL, "frame %lld, token %lld: "
                                "log-probability is %s",
                                (long long)(s->frames + i / stride),
                                (long long)(i % stride),
                                x[i] != x[i] ? "NaN" : "+inf");
                goto fail;
            }
        if (s->n + t > s->cap) {
            int64_t nc = (s->n + t) * 2 + 16;
            int32_t *a = realloc(s->tok, (size_t)nc * sizeof *a);
            int64_t *fr;
            float *lp;
            if (!a)
                goto nomem;
            s->tok = a;
            if (!(fr = realloc(s->frame, (size_t)nc * sizeof *fr)))
                goto nomem;
            s->frame = fr;
            if (!(lp = realloc(s->logp, (size_t)nc * sizeof *lp)))
                goto nomem;
            s->logp = lp;
            s->cap = nc;
        }
        if ((f = feed(node, s, x, t, stride)) != WEFT_FLOW_OK) {
            weft_buf_unref(b);
            return f;
        }
        if (ctc_io_partial_due(node, &s->io, s->frames) &&
            !(weft_buf_get_flags(b) & WEFT_BUF_SEGMENT_END) &&
            emit(node, s, false, CTC_EP_NONE) == WEFT_FLOW_ERROR)
            goto fail;
        if (weft_buf_get_flags(b) & WEFT_BUF_SEGMENT_END) {
            f = segment_end(node, s);
            if (f == WEFT_FLOW_ERROR || f == WEFT_FLOW_EOS) {
                weft_buf_unref(b);
                return f;
            }
        }
        weft_buf_unref(b);
        continue;
nomem:
        weft_node_error(node, WEFT_ENOMEM, "out of memory");
fail:
        weft_buf_unref(b);
        return WEFT_FLOW_ERROR;
    }
}

static int greedy_flush(weft_node *node)
{
    greedy_node *s = weft_node_priv(node);

    seg_reset(s);
    ctc_io_reset(&s->io);
    return 0;
}

static void greedy_fini(weft_node *node)
{
    greedy_node *s = weft_node_priv(node);

    if (!s)
        return;
    ctc_io_fini(&s->io);
    free(s->tok);
    free(s->frame);
    free(s->logp);
    free(s);
    weft_node_set_priv(node, NULL);
}

static const weft_port_desc inputs[] = {
    WEFT_PORT("in", "tensor dtype=f32 shape=[T,V]",
              "Per-frame log-probabilities (or logits) over the tokens."),
    WEFT_PORT_END
};

static const weft_port_desc outputs[] = {
    WEFT_PORT("out", "text",
              "The best path's text per segment (per utterance, with "
              "`endpoint`), with per-word times and confidences."),
    WEFT_PORT_F("partial", "text", WEFT_PORT_OPTIONAL,
                "The text so far while a segment is in progress."),
    WEFT_PORT_END
};

static const weft_prop_desc props[] = {
    CTC_PROPS_COMMON,
    WEFT_PROP_END
};

const weft_node_class ctc_greedy_class = {
    .struct_size = sizeof(weft_node_class),
    .name = "ctc.greedy",
    .summary = "Best-path CTC decoding: argmax, collapse repeats, drop "
               "blanks",
    .doc =
        "Takes the most likely token of each frame (the lowest index on "
        "ties), collapses runs of the same token and drops blanks; the "
        "word delimiter splits words. No lexicon, no LM: the fastest "
        "decoder and the reference the beam search must never do worse "
        "than on clean input. State (the previous frame's token) carries "
        "across buffers, so chunking does not change the result. "
        "The `score` metadata is the sum of the emitted tokens' "
        "log-probabilities.\n\n" CTC_DOC_INPUT CTC_DOC_OUTPUT
        CTC_DOC_ENDPOINT
        "Example:\n"
        "    node dec = ctc.greedy { tokens = \"models/en/tokens.txt\" }",
    .flags = WEFT_NODE_STATEFUL,
    .inputs = inputs,
    .outputs = outputs,
    .props = props,
    .init = greedy_init,
    .negotiate = greedy_negotiate,
    .process = greedy_process,
    .flush = greedy_flush,
    .fini = greedy_fini,
};
