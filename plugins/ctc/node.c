/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* node.c: what the ctc plugin's node classes share (see node.h). */
#include "node.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const ctc_input_choices[] = { "logprobs", "logits", NULL };

/* The file named by property @prop resolved against the graph's folder;
 * NULL when unset (and *bad stays false) or out of memory (*bad true). */
static char *prop_path(weft_node *node, const char *prop, bool *bad)
{
    const char *p = weft_node_prop_string(node, prop);
    const char *base = weft_node_base_dir(node);
    char *out;

    *bad = false;
    if (!p || !*p)
        return NULL;
    if (p[0] == '/' || !base || !*base) {
        out = strdup(p);
    } else if ((out = malloc(strlen(base) + strlen(p) + 2))) {
        sprintf(out, "%s/%s", base, p);
    }
    if (!out)
        *bad = true;
    return out;
}

/* ------------------------------------------------------------- shared */

typedef struct shared_args {
    const char *tokens, *delim, *lexicon, *lm, *grammar;
    int32_t blank;
    bool lm_cache;
    char *err;
    size_t errlen;
} shared_args;

static void shared_destroy(void *obj)
{
    ctc_shared *s = obj;

    if (!s)
        return;
    ctc_vocab_free(s->vocab);
    ctc_lexicon_free(s->lexicon);
    ctc_lm_free(s->lm);
    ctc_grammar_free(s->grammar);
    free(s);
}

static int shared_create(void *arg, void **obj)
{
    shared_args *a = arg;
    ctc_shared *s = calloc(1, sizeof *s);
    int ret;

    *obj = NULL;
    if (!s) {
        snprintf(a->err, a->errlen, "out of memory");
        return WEFT_ENOMEM;
    }
    if ((ret = ctc_vocab_load(a->tokens, a->blank, a->delim, &s->vocab,
                              a->err, a->errlen)) < 0)
        goto fail;
    if (a->grammar &&
        (ret = ctc_grammar_load(a->grammar, &s->grammar, a->err,
                                a->errlen)) < 0)
        goto fail;
    if (a->lexicon) {
        if ((ret = ctc_lexicon_load(a->lexicon, s->vocab, &s->lexicon,
                                    a->err, a->errlen)) < 0)
            goto fail;
    } else if (s->grammar) {
        /* Without a lexicon the grammar's words are the lexicon. */
        int32_t n = ctc_grammar_n_words(s->grammar);
        const char **w = malloc(((size_t)n + 1) * sizeof *w);
        if (!w) {
            ret = WEFT_ENOMEM;
            snprintf(a->err, a->errlen, "out of memory");
            goto fail;
        }
        for (int32_t i = 0; i < n; i++)
            w[i] = ctc_grammar_word(s->grammar, i);
        ret = ctc_lexicon_from_words(w, n, s->vocab, &s->lexicon, a->err,
                                     a->errlen);
        free(w);
        if (ret < 0)
            goto fail;
    }
    if (a->lm && (ret = ctc_lm_load(a->lm, a->lm_cache, &s->lm,
                                    &s->lm_cache_state, a->err,
                                    a->errlen)) < 0)
        goto fail;
    *obj = s;
    return 0;
fail:
    shared_destroy(s);
    return ret;
}

int ctc_io_init(weft_node *node, ctc_io *io, bool full)
{
    shared_args a = { 0 };
    char *tokens = NULL, *lexicon = NULL, *lm = NULL, *grammar = NULL,
         *key = NULL;
    bool bad = false, b2 = false, b3 = false, b4 = false;
    int ret;
    size_t klen;

    io->logits = weft_node_prop_enum(node, "input") == 1;
    io->frame_rate = weft_node_prop_float(node, "frame_rate");
    io->partial_s = weft_node_prop_float(node, "partial_interval");
    io->endpoint_s = weft_node_prop_float(node, "endpoint");
    io->max_utt_s = weft_node_prop_float(node, "max_utterance");
    io->seg_pts = WEFT_TIME_NONE;
    tokens = prop_path(node, "tokens", &bad);
    if (full) {
        lexicon = prop_path(node, "lexicon", &b2);
        lm = prop_path(node, "lm", &b3);
        grammar = prop_path(node, "grammar", &b4);
        a.lm_cache = weft_node_prop_bool(node, "lm_cache");
    }
    if (bad || b2 || b3 || b4) {
        ret = weft_node_error(node, WEFT_ENOMEM, "out of memory");
        goto out;
    }
    if (!tokens) {
        ret = weft_node_error(node, WEFT_EINVAL, "property 'tokens' is not "
                              "set");
        goto out;
    }
    a.tokens = tokens;
    a.lexicon = lexicon;
    a.lm = lm;
    a.grammar = grammar;
    a.blank = (int32_t)weft_node_prop_int(node, "blank");
    a.delim = weft_node_prop_string(node, "delimiter");
    a.err = io->err;
    a.errlen = sizeof io->err;
    klen = strlen(tokens) + (lexicon ? strlen(lexicon) : 0) +
           (lm ? strlen(lm) : 0) + (grammar ? strlen(grammar) : 0) +
           (a.delim ? strlen(a.delim) : 0) + 64;
    if (!(key = malloc(klen))) {
        ret = weft_node_error(node, WEFT_ENOMEM, "out of memory");
        goto out;
    }
    /* Everything the shared object depends on is in its key. */
    snprintf(key, klen, "ctc:%s|%d|%s|%s|%s|%d|%s", tokens, (int)a.blank,
             a.delim ? a.delim : "", lexicon ? lexicon : "", lm ? lm : "",
             a.lm_cache ? 1 : 0, grammar ? grammar : "");
    io->err[0] = 0;
    ret = weft_shared_acquire(key, shared_create, shared_destroy, &a,
                              (void **)&io->sh);
    if (ret < 0) {
        io->sh = NULL;
        ret = weft_node_error(node, ret, "%s",
                              io->err[0] ? io->err : weft_strerror(ret));
    }
out:
    free(key);
    free(tokens);
    free(lexicon);
    free(lm);
    free(grammar);
    return ret;
}

void ctc_io_fini(ctc_io *io)
{
    if (io->sh)
        weft_shared_release(io->sh);
    io->sh = NULL;
    free(io->scratch);
    io->scratch = NULL;
    weft_buf_unref(io->meta);
    io->meta = NULL;
}

/* A new utterance: the endpoint rules start counting again. */
static void utt_begin(ctc_io *io)
{
    io->utt_frames = 0;
    io->silence = 0;
    io->spoke = false;
    io->last_partial = 0;
}

void ctc_io_reset(ctc_io *io)
{
    io->in_segment = false;
    io->seg_pts = WEFT_TIME_NONE;
    io->utt_start = 0;
    io->ep_in_seg = false;
    utt_begin(io);
    weft_buf_unref(io->meta);
    io->meta = NULL;
}

void ctc_io_restart(ctc_io *io)
{
    io->utt_start += io->utt_frames;
    utt_begin(io);
}

/* The result of a segment comes out after its last input is gone, so
 * each input's metadata (`file` from audio.dir, say) is kept on an empty
 * carrier buffer; the newest input wins. */
static int keep_meta(ctc_io *io, const weft_buf *in)
{
    return weft_buf_keep_meta(&io->meta, in);
}

/* ------------------------------------------------------------- input */

int ctc_io_negotiate(weft_node *node, const ctc_io *io,
                     const weft_format *const *in)
{
    const ctc_vocab *v = io->sh->vocab;
    const weft_format *f = in[0];
    const char *s;
    int32_t nd;
    int64_t dims[WEFT_TENSOR_MAX_DIMS];

    if (!f)
        return 0;
    if (weft_format_get_string(f, "dtype", &s) == 0 && strcmp(s, "f32") != 0)
        return weft_node_error(node, WEFT_EFORMAT, "input dtype is %s; the "
                               "decoder takes f32", s);
    if (weft_format_get_shape(f, &nd, dims, NULL, WEFT_TENSOR_MAX_DIMS) == 0 &&
        nd >= 0) {
        if (nd != 2)
            return weft_node_error(node, WEFT_EFORMAT, "input has %d "
                                   "dimensions; the decoder takes [T,V]",
                                   (int)nd);
        if (dims[1] >= 0 && dims[1] != v->n)
            return weft_node_error(node, WEFT_EFORMAT,
                                   "input has %" PRId64 " classes per frame "
                                   "but %s has %d tokens", dims[1], v->name,
                                   (int)v->n);
    }
    if (weft_format_get_string(f, "vocab", &s) == 0 && strcmp(s, v->id) != 0)
        return weft_node_error(node, WEFT_EFORMAT,
                               "input vocabulary \"%s\" is not %s's (\"%s\")",
                               s, v->name, v->id);
    return 0;
}

const float *ctc_io_frames(weft_node *node, ctc_io *io, const weft_buf *b,
                           int64_t *t, int64_t *stride)
{
    const ctc_vocab *v = io->sh->vocab;
    int64_t T, V;

    if (weft_buf_kind(b) != WEFT_KIND_TENSOR ||
        weft_buf_dtype(b) != WEFT_DTYPE_F32 || weft_buf_ndim(b) != 2) {
        weft_node_error(node, WEFT_EFORMAT, "input buffer is not an f32 "
                        "[T,V] tensor");
        return NULL;
    }
    if (weft_buf_domain(b) == WEFT_DOMAIN_CUDA) {
        weft_node_error(node, WEFT_ENOTSUP, "input buffer is in CUDA memory; "
                        "the decoder reads host memory");
        return NULL;
    }
    T = weft_buf_dim(b, 0);
    V = weft_buf_dim(b, 1);
    if (V != v->n) {
        weft_node_error(node, WEFT_EFORMAT, "input has %" PRId64 " classes "
                        "per frame but %s has %d tokens", V, v->name,
                        (int)v->n);
        return NULL;
    }
    if (!weft_buf_is_contiguous(b)) {
        weft_node_error(node, WEFT_EFORMAT, "input tensor is not contiguous");
        return NULL;
    }
    if (!io->in_segment) {
        io->in_segment = true;
        io->segment = weft_buf_segment(b);
        io->seg_pts = weft_buf_pts(b);
        io->utt_start = 0;
        io->ep_in_seg = false;
        utt_begin(io);
    }
    if (keep_meta(io, b) < 0) {
        weft_node_error(node, WEFT_ENOMEM, "out of memory");
        return NULL;
    }
    if (io->frame_ns == 0) {
        if (io->frame_rate > 0)
            io->frame_ns = llround(1e9 / io->frame_rate);
        else if (T > 0 && weft_buf_duration(b) != WEFT_TIME_NONE &&
                 weft_buf_duration(b) > 0)
            io->frame_ns = weft_buf_duration(b) / T;
        if (io->frame_ns > 0) {
            /* Rounded to whole frames; a positive time is at least one,
             * so that a tiny value is not taken for "off". */
            double f = 1e9 / (double)io->frame_ns;
            if (io->endpoint_s > 0)
                io->ep_frames = llround(fmax(1, io->endpoint_s * f));
            if (io->max_utt_s > 0)
                io->max_frames = llround(fmax(1, io->max_utt_s * f));
        } else if (T > 0 && (io->endpoint_s > 0 || io->max_utt_s > 0) &&
                   !io->ep_warned) {
            io->ep_warned = true;
            weft_node_log(node, WEFT_LOG_WARNING, "endpoint/max_utterance "
                          "need frame timing (frame_rate, or input buffers "
                          "with a duration): endpointing is off");
        }
    }
    *t = T;
    *stride = V;
    if (!io->logits || T == 0)
        return weft_buf_cdata(b);
    if ((size_t)(T * V) > io->scratch_cap) {
        float *p = realloc(io->scratch, (size_t)(T * V) * sizeof *p);
        if (!p) {
            weft_node_error(node, WEFT_ENOMEM, "out of memory");
            return NULL;
        }
        io->scratch = p;
        io->scratch_cap = (size_t)(T * V);
    }
    memcpy(io->scratch, weft_buf_cdata(b), (size_t)(T * V) * sizeof(float));
    if (ctc_log_softmax(io->scratch, T, V, io->err, sizeof io->err) < 0) {
        weft_node_error(node, WEFT_EINVAL, "%s", io->err);
        return NULL;
    }
    return io->scratch;
}

int64_t ctc_io_endpoint_scan(ctc_io *io, const float *x, int64_t t,
                             int64_t stride, ctc_ep *why)
{
    const int32_t V = io->sh->vocab->n, blank = io->sh->vocab->blank,
                  delim = io->sh->vocab->delim;

    *why = CTC_EP_NONE;
    if (io->ep_frames <= 0 && io->max_frames <= 0) {
        io->utt_frames += t;
        return t;
    }
    for (int64_t f = 0; f < t; f++) {
        const float *lp = x + f * stride;
        int32_t best = 0;
        for (int32_t c = 1; c < V; c++)
            if (lp[c] > lp[best])
                best = c;
        io->utt_frames++;
        /* The delimiter counts as silence too: it adds no letter, and a
         * model may well fill a pause with it rather than with blanks. */
        if (best == blank || best == delim) {
            io->silence++;
        } else {
            io->silence = 0;
            io->spoke = true;
        }
        /* The silence rule fires once per pause, when it reaches the
         * limit; a pause the search has no word for yet is let run. */
        if (io->ep_frames > 0 && io->spoke && io->silence == io->ep_frames) {
            *why = CTC_EP_SILENCE;
            return f + 1;
        }
        if (io->max_frames > 0 && io->utt_frames >= io->max_frames) {
            *why = CTC_EP_LENGTH;
            return f + 1;
        }
    }
    return t;
}

bool ctc_io_partial_due(weft_node *node, ctc_io *io, int64_t frames)
{
    int64_t every;

    if (io->partial_s <= 0 || !weft_node_output_linked(node, 1) ||
        frames <= io->last_partial)
        return false;
    if (io->frame_ns <= 0)
        every = 1; /* no timing: one per buffer */
    else
        every = llround(io->partial_s * 1e9 / (double)io->frame_ns);
    if (every < 1)
        every = 1;
    if (frames - io->last_partial < every)
        return false;
    io->last_partial = frames;
    return true;
}

/* ------------------------------------------------------------- output */

static int64_t frame_time(const ctc_io *io, int64_t f)
{
    if (io->frame_ns <= 0)
        return WEFT_TIME_NONE;
    return (io->seg_pts == WEFT_TIME_NONE ? 0 : io->seg_pts) +
           (io->utt_start + f) * io->frame_ns;
}

weft_flow ctc_io_push(weft_node *node, ctc_io *io, uint32_t port,
                      const ctc_hyp *h, const ctc_result *r, int64_t frames,
                      bool final, ctc_ep ep)
{
    const char *text = h ? h->text : "";
    weft_buf *b = weft_buf_new_text(text, SIZE_MAX);
    weft_token_score *tok = NULL;
    char num[64];
    int bad = 0;

    if (!b) {
        weft_node_error(node, WEFT_ENOMEM, "out of memory");
        return WEFT_FLOW_ERROR;
    }
    /* The input's metadata first, then this node's keys over it (and
     * timing and flags, which weft_buf_copy_meta copies too). */
    if (io->meta)
        bad |= weft_buf_copy_meta(b, io->meta);
    weft_buf_set_flags(b, 0);
    if (h && h->n_words) {
        if (!(tok = calloc(h->n_words, sizeof *tok))) {
            weft_buf_unref(b);
            weft_node_error(node, WEFT_ENOMEM, "out of memory");
            return WEFT_FLOW_ERROR;
        }
        for (size_t i = 0; i < h->n_words; i++) {
            tok[i].offset = h->words[i].offset;
            tok[i].length = h->words[i].length;
            tok[i].score = h->words[i].conf;
            tok[i].start_ns = frame_time(io, h->words[i].start);
            tok[i].end_ns = frame_time(io, h->words[i].end);
        }
        bad |= weft_buf_set_tokens(b, tok, h->n_words);
        free(tok);
    }
    /* The utterance's first frame: the segment's, but for utterances
     * after an endpoint. */
    weft_buf_set_pts(b, io->frame_ns > 0 ? frame_time(io, 0) : io->seg_pts);
    weft_buf_set_duration(b, io->frame_ns > 0 ? frames * io->frame_ns
                                              : WEFT_TIME_NONE);
    weft_buf_set_segment(b, io->segment);
    snprintf(num, sizeof num, "%" PRId64, frames);
    bad |= weft_buf_set_meta(b, "frames", num);
    if (h) {
        snprintf(num, sizeof num, "%.6f", h->score);
        bad |= weft_buf_set_meta(b, "score", num);
    }
    if (final && h && io->sh->grammar) {
        bad |= weft_buf_set_meta(b, "grammar",
                                 h->in_grammar ? "accept" : "reject");
        if (h->intent)
            bad |= weft_buf_set_meta(b, "intent", h->intent);
    }
    if (final && r && r->n > 1) {
        /* The n-best as "score<TAB>text" lines, best first. */
        size_t len = 1;
        char *s;
        for (size_t i = 0; i < r->n; i++)
            len += strlen(r->hyp[i].text) + 32;
        if ((s = malloc(len))) {
            size_t at = 0;
            for (size_t i = 0; i < r->n; i++)
                at += (size_t)snprintf(s + at, len - at, "%s%.6f\t%s",
                                       i ? "\n" : "", r->hyp[i].score,
                                       r->hyp[i].text);
            bad |= weft_buf_set_meta(b, "nbest", s);
            free(s);
        } else {
            bad = 1;
        }
    }
    if (final && ep != CTC_EP_NONE)
        bad |= weft_buf_set_meta(b, "endpoint", ep == CTC_EP_SILENCE
                                                    ? "silence"
                                                    : "length");
    if (final) {
        weft_buf_set_flags(b, WEFT_BUF_SEGMENT_END);
        io->emitted_any = true;
        if (ep != CTC_EP_NONE) {
            /* The segment goes on, its metadata and timing too. */
            io->ep_in_seg = true;
            ctc_io_restart(io);
        } else {
            ctc_io_reset(io);
        }
    }
    if (bad) {
        weft_buf_unref(b);
        weft_node_error(node, WEFT_ENOMEM, "out of memory");
        return WEFT_FLOW_ERROR;
    }
    weft_node_count(node, final ? "results" : "partials", 1);
    return weft_node_push(node, port, b);
}
