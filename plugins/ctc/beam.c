/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ctc.beam: CTC prefix beam search with lexicon, n-gram LM, command
 * grammar and hotwords, streaming (the search lives in decoder.c).
 */
#include "node.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct beam_node {
    ctc_io io;
    ctc_decoder *dec;
    ctc_lexicon *hot;
    float *hot_w;
} beam_node;

static const char *const grammar_modes[] = { "reject", "strict", NULL };

/* Hotwords: list items "phrase" or "phrase:weight". */
static int load_hotwords(weft_node *node, beam_node *s)
{
    const weft_value *l = weft_node_prop(node, "hotwords");
    double defw = weft_node_prop_float(node, "hotword_weight");
    size_t n = l ? weft_value_list_len(l) : 0;
    char **ph = NULL;
    float *w = NULL;
    int ret = 0;

    if (n == 0)
        return 0;
    ph = calloc(n, sizeof *ph);
    w = calloc(n, sizeof *w);
    if (!ph || !w) {
        ret = weft_node_error(node, WEFT_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        const char *item = weft_value_string(weft_value_list_at(l, i));
        const char *colon = item ? strrchr(item, ':') : NULL;
        char *end = NULL;
        w[i] = (float)defw;
        if (colon) {
            double x = strtod(colon + 1, &end);
            if (*end || end == colon + 1 || !isfinite(x)) {
                ret = weft_node_error(node, WEFT_EINVAL, "hotword '%s': bad "
                                      "weight after ':'", item);
                goto out;
            }
            w[i] = (float)x;
        }
        if (!(ph[i] = strndup(item ? item : "",
                              colon ? (size_t)(colon - item)
                                    : strlen(item ? item : "")))) {
            ret = weft_node_error(node, WEFT_ENOMEM, "out of memory");
            goto out;
        }
    }
    if ((ret = ctc_hot_build(s->io.sh->vocab, (const char *const *)ph, w,
                             (int32_t)n, &s->hot, &s->hot_w, s->io.err,
                             sizeof s->io.err)) < 0)
        ret = weft_node_error(node, ret, "%s", s->io.err);
out:
    if (ph)
        for (size_t i = 0; i < n; i++)
            free(ph[i]);
    free(ph);
    free(w);
    return ret;
}

static int beam_init(weft_node *node)
{
    beam_node *s = calloc(1, sizeof *s);
    ctc_model m = { 0 };
    ctc_opts o = { 0 };
    bool strict;
    int ret;

    if (!s)
        return weft_node_error(node, WEFT_ENOMEM, "out of memory");
    weft_node_set_priv(node, s);
    if ((ret = ctc_io_init(node, &s->io, true)) < 0)
        return ret;
    if ((ret = load_hotwords(node, s)) < 0)
        return ret;
    strict = weft_node_prop_enum(node, "grammar_mode") == 1;
    o.beam = (int32_t)weft_node_prop_int(node, "beam");
    o.beam_threshold = weft_node_prop_float(node, "beam_threshold");
    o.token_min_logp = weft_node_prop_float(node, "token_min_logp");
    o.alpha = weft_node_prop_float(node, "alpha");
    o.beta = weft_node_prop_float(node, "beta");
    o.nbest = (int32_t)weft_node_prop_int(node, "nbest");
    o.unk_score = weft_node_prop_bool(node, "allow_unk") ||
                          (s->io.sh->grammar && !strict)
                      ? weft_node_prop_float(node, "unk_score")
                      : -INFINITY;
    o.oog_penalty = strict ? -INFINITY
                           : weft_node_prop_float(node, "oog_penalty");
    m.vocab = s->io.sh->vocab;
    m.lexicon = s->io.sh->lexicon;
    m.lm = s->io.sh->lm;
    m.grammar = s->io.sh->grammar;
    m.hot = s->hot;
    m.hot_weight = s->hot_w;
    if (ctc_decoder_new(&m, &o, &s->dec) < 0)
        return weft_node_error(node, WEFT_ENOMEM, "out of memory");
    if (s->io.sh->lm)
        weft_node_log(node, WEFT_LOG_DEBUG, "LM: order %d, %d words, %s",
                      (int)ctc_lm_order(s->io.sh->lm),
                      (int)ctc_lm_n_words(s->io.sh->lm),
                      s->io.sh->lm_cache_state == 1   ? "from cache"
                      : s->io.sh->lm_cache_state == 2 ? "cache written"
                                                      : "parsed");
    return 0;
}

static int beam_negotiate(weft_node *node, const weft_format *const *in,
                          weft_format **out)
{
    beam_node *s = weft_node_priv(node);
    (void)out;
    return ctc_io_negotiate(node, &s->io, in);
}

/* End the utterance: its result on `out`; @ep says why when the segment
 * goes on (an endpoint). */
static weft_flow finish(weft_node *node, beam_node *s, ctc_ep ep)
{
    ctc_result r;
    weft_flow f;
    int64_t frames = ctc_decoder_frames(s->dec);

    if (ctc_decoder_finish(s->dec, &r) < 0) {
        weft_node_error(node, WEFT_ENOMEM, "out of memory");
        return WEFT_FLOW_ERROR;
    }
    f = ctc_io_push(node, &s->io, 0, r.n ? &r.hyp[0] : NULL, &r, frames,
                    true, ep);
    ctc_result_clear(&r);
    return f;
}

/* Whether the best hypothesis so far has a word (its partial one
 * included); -1 when out of memory. */
static int has_words(beam_node *s)
{
    ctc_result r;
    int ret;

    if (ctc_decoder_partial(s->dec, &r) < 0)
        return -1;
    ret = r.n && r.hyp[0].n_words > 0;
    ctc_result_clear(&r);
    return ret;
}

/* An endpoint rule fired (ctc_io_endpoint_scan). */
static weft_flow endpoint(weft_node *node, beam_node *s, ctc_ep why)
{
    int w = has_words(s);

    if (w < 0) {
        weft_node_error(node, WEFT_ENOMEM, "out of memory");
        return WEFT_FLOW_ERROR;
    }
    if (w)
        return finish(node, s, why);
    if (why == CTC_EP_LENGTH) {
        /* Nothing said: start over without a result. */
        ctc_decoder_reset(s->dec);
        ctc_io_restart(&s->io);
    }
    return WEFT_FLOW_OK;
}

/* The segment (or stream) ended: its last utterance's result, but none
 * for silence after an endpoint. */
static weft_flow segment_end(weft_node *node, beam_node *s)
{
    if (s->io.ep_in_seg) {
        int w = has_words(s);
        if (w < 0) {
            weft_node_error(node, WEFT_ENOMEM, "out of memory");
            return WEFT_FLOW_ERROR;
        }
        if (!w) {
            ctc_decoder_reset(s->dec);
            ctc_io_reset(&s->io);
            return WEFT_FLOW_OK;
        }
    }
    return finish(node, s, CTC_EP_NONE);
}

/* Feed @t frames, ending utterances where the endpoint rules say. */
static weft_flow feed(weft_node *node, beam_node *s, const float *x,
                      int64_t t, int64_t stride)
{
    int64_t off = 0;

    do {
        ctc_ep why;
        int64_t n = ctc_io_endpoint_scan(&s->io, x + off * stride, t - off,
                                         stride, &why);
        int ret = ctc_decoder_feed(s->dec, x + off * stride, n, stride,
                                   s->io.err, sizeof s->io.err);
        if (ret < 0) {
            weft_node_error(node, ret, "%s", s->io.err);
            return WEFT_FLOW_ERROR;
        }
        off += n;
        if (why != CTC_EP_NONE) {
            weft_flow f = endpoint(node, s, why);
            if (f == WEFT_FLOW_ERROR || f == WEFT_FLOW_EOS)
                return f;
        }
    } while (off < t);
    return WEFT_FLOW_OK;
}

static weft_flow beam_process(weft_node *node)
{
    beam_node *s = weft_node_priv(node);

    for (;;) {
        weft_buf *b = NULL;
        weft_flow f = weft_node_pop(node, 0, &b);
        const float *x;
        int64_t t = 0, stride = 0;

        if (f == WEFT_FLOW_AGAIN || f == WEFT_FLOW_FLUSHING)
            return WEFT_FLOW_OK;
        if (f == WEFT_FLOW_EOS) {
            /* End of stream ends the segment in progress; a stream that
             * sent nothing still gets its (empty) result. */
            if (s->io.in_segment || !s->io.emitted_any) {
                f = segment_end(node, s);
                if (f == WEFT_FLOW_ERROR)
                    return f;
            }
            return WEFT_FLOW_EOS;
        }
        if (f != WEFT_FLOW_OK)
            return f;
        if (!(x = ctc_io_frames(node, &s->io, b, &t, &stride))) {
            weft_buf_unref(b);
            return WEFT_FLOW_ERROR;
        }
        if ((f = feed(node, s, x, t, stride)) != WEFT_FLOW_OK) {
            weft_buf_unref(b);
            return f;
        }
        if (ctc_io_partial_due(node, &s->io, ctc_decoder_frames(s->dec)) &&
            !(weft_buf_get_flags(b) & WEFT_BUF_SEGMENT_END)) {
            ctc_result r;
            if (ctc_decoder_partial(s->dec, &r) < 0) {
                weft_buf_unref(b);
                weft_node_error(node, WEFT_ENOMEM, "out of memory");
                return WEFT_FLOW_ERROR;
            }
            f = ctc_io_push(node, &s->io, 1, r.n ? &r.hyp[0] : NULL, NULL,
                            r.frames, false, CTC_EP_NONE);
            ctc_result_clear(&r);
            if (f == WEFT_FLOW_ERROR) {
                weft_buf_unref(b);
                return f;
            }
        }
        if (weft_buf_get_flags(b) & WEFT_BUF_SEGMENT_END) {
            f = segment_end(node, s);
            if (f == WEFT_FLOW_ERROR || f == WEFT_FLOW_EOS) {
                weft_buf_unref(b);
                return f;
            }
        }
        weft_buf_unref(b);
    }
}

static int beam_flush(weft_node *node)
{
    beam_node *s = weft_node_priv(node);

    ctc_decoder_reset(s->dec);
    ctc_io_reset(&s->io);
    return 0;
}

static void beam_fini(weft_node *node)
{
    beam_node *s = weft_node_priv(node);

    if (!s)
        return;
    ctc_decoder_free(s->dec);
    ctc_lexicon_free(s->hot);
    free(s->hot_w);
    ctc_io_fini(&s->io);
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
              "The best hypothesis of each segment (each utterance, with "
              "`endpoint`), with per-word times and confidences and the "
              "n-best in metadata."),
    WEFT_PORT_F("partial", "text", WEFT_PORT_OPTIONAL,
                "The current best hypothesis while a segment is in "
                "progress."),
    WEFT_PORT_END
};

/* Optional files: unset means none. A relative name resolves against the
 * graph file's folder (weft_node_base_dir). */
#define PATH_OPT(n, d) WEFT_PROP_PATH_OPTIONAL(n, d)

static const weft_prop_desc props[] = {
    CTC_PROPS_COMMON,
    WEFT_PROP_INT("beam", "16", 1, 4096, NULL,
                  "Beam width: prefixes kept per frame."),
    WEFT_PROP_FLOAT("beam_threshold", "25", 0, 1e9, NULL,
                    "Drop prefixes scoring more than this (natural log) "
                    "below the best."),
    WEFT_PROP_FLOAT("token_min_logp", "-10", -1e9, 0, NULL,
                    "Per-frame token pruning: only tokens with at least "
                    "this log-probability (plus the frame's best) extend "
                    "prefixes."),
    PATH_OPT("lexicon", "Word list, one word a line: `word tok1 tok2 ...` "
             "or just `word` (spelled by longest match over the tokens). "
             "Words outside it are forbidden, or allowed with unk_score "
             "(allow_unk)."),
    WEFT_PROP_BOOLEAN("allow_unk", "false",
                      "Allow words outside the lexicon, each paying "
                      "unk_score (and scored as <unk> by the LM)."),
    WEFT_PROP_FLOAT("unk_score", "-10", -1e6, 0, NULL,
                    "Score of an out-of-lexicon word (natural log), charged "
                    "as soon as its spelling leaves the lexicon."),
    PATH_OPT("lm", "Word n-gram LM, ARPA format, any order. A compiled "
             "copy `<lm>.wlm` is written next to it and memory-mapped "
             "afterwards (rebuilt when the ARPA file changes)."),
    WEFT_PROP_BOOLEAN("lm_cache", "true",
                      "Use and write the compiled LM cache next to the "
                      "ARPA file."),
    WEFT_PROP_FLOAT("alpha", "0.5", 0, 100, NULL,
                    "LM weight: alpha * ln p_LM(word | history)."),
    WEFT_PROP_FLOAT("beta", "1.0", -100, 100, NULL,
                    "Word insertion bonus, per word."),
    PATH_OPT("grammar", "Command grammar (list/intent lines with (a|b), "
             "[optional] and {list} slots) constraining the words; without "
             "a lexicon, its words are the lexicon."),
    WEFT_PROP_ENUM("grammar_mode", "reject", grammar_modes,
                   "reject: a hypothesis may leave the grammar, paying "
                   "oog_penalty, and is then reported as rejected "
                   "(metadata grammar=reject); strict: only in-grammar "
                   "hypotheses."),
    WEFT_PROP_FLOAT("oog_penalty", "-10", -1e6, 0, NULL,
                    "Score charged once when a hypothesis leaves the "
                    "grammar (grammar_mode = reject)."),
    WEFT_PROP_LIST("hotwords", "[]", WEFT_PROP_STRING,
                   "Words or phrases to favour, each \"phrase\" or "
                   "\"phrase:weight\": each token matched from a word start "
                   "adds the weight, kept when the phrase completes."),
    WEFT_PROP_FLOAT("hotword_weight", "2.0", -100, 100, NULL,
                    "Bonus per token for hotwords without their own "
                    "weight."),
    WEFT_PROP_INT("nbest", "1", 1, 64, NULL,
                  "Hypotheses reported in the result's `nbest` metadata."),
    WEFT_PROP_END
};

const weft_node_class ctc_beam_class = {
    .struct_size = sizeof(weft_node_class),
    .name = "ctc.beam",
    .summary = "CTC prefix beam search with lexicon, n-gram LM, grammar "
               "and hotwords",
    .doc =
        "Turns per-frame CTC posteriors into words by prefix beam search "
        "(Hannun et al. 2014) in log space: each prefix keeps the "
        "probabilities of paths ending in blank and in its last token; per "
        "frame only tokens above `token_min_logp` (and the best) extend "
        "prefixes, the `beam` best prefixes survive, less those "
        "`beam_threshold` below the best. A word ends at the delimiter "
        "token. With `lexicon`, spellings are constrained to a trie of its "
        "words; with `lm`, each word adds alpha * ln p(word | history) + "
        "beta and the end adds p(</s>); the LM history is carried across "
        "buffers. With `grammar`, words must follow a command grammar; an "
        "out-of-grammar hypothesis is rejected with a score rather than "
        "forced into the nearest command (metadata `grammar` = "
        "accept/reject, `intent`). `hotwords` get a bonus while being "
        "spelled.\n\n" CTC_DOC_INPUT CTC_DOC_OUTPUT CTC_DOC_ENDPOINT
        "The search is exactly tests/golden/ctc_reference.py's (n-best and "
        "scores agree within 1e-4), and feeding a segment in chunks of any "
        "size gives the same result as one buffer. Tokens, lexicon, LM and "
        "grammar are loaded once per process and shared by every node "
        "using the same files.\n\n"
        "Grammar file:\n"
        "    list room = kitchen | living room | bedroom\n"
        "    intent LightOn = (turn | switch) on [the] {room} [lights]\n\n"
        "Example:\n"
        "    node dec = ctc.beam { tokens = \"tokens.txt\", beam = 16, "
        "lexicon = \"words.txt\", lm = \"lm.arpa\", alpha = 0.5, "
        "beta = 1.0 }\n"
        "    # live: a result per utterance after 0.8 s of silence\n"
        "    node dec = ctc.beam { tokens = \"tokens.txt\", "
        "endpoint = 0.8s, max_utterance = 20s }",
    .flags = WEFT_NODE_STATEFUL,
    .inputs = inputs,
    .outputs = outputs,
    .props = props,
    .init = beam_init,
    .negotiate = beam_negotiate,
    .process = beam_process,
    .flush = beam_flush,
    .fini = beam_fini,
};
