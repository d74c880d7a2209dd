/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * node.h: what the ctc plugin's node classes share: the shared model
 * (tokens, lexicon, LM, grammar: loaded once per distinct set of files and
 * parameters through weft_shared_acquire, so many streams share one copy),
 * the input checks, and turning hypotheses into text buffers.
 */
#ifndef WEFT_PLUGIN_CTC_NODE_H
#define WEFT_PLUGIN_CTC_NODE_H

#include <weft/plugin.h>

#include "ctc.h"

extern const weft_node_class ctc_greedy_class;
extern const weft_node_class ctc_beam_class;

/* Read-only, shared between nodes. */
typedef struct ctc_shared {
    ctc_vocab *vocab;
    ctc_lexicon *lexicon;  /* from `lexicon`, or the grammar's words */
    ctc_lm *lm;
    ctc_grammar *grammar;
    int lm_cache_state;    /* see ctc_lm_load */
} ctc_shared;

/* Per-node common state: the input side and the output timing. */
typedef struct ctc_io {
    ctc_shared *sh;
    bool logits;           /* input = logits: apply log-softmax */
    double frame_rate;     /* property; 0: from buffer durations */
    double partial_s;      /* partial interval in seconds; 0: off */
    int64_t frame_ns;      /* per frame, 0 while unknown */
    int64_t seg_pts;       /* first buffer's pts, WEFT_TIME_NONE if unset */
    uint64_t segment;
    bool in_segment;       /* a buffer of the current segment was seen */
    bool emitted_any;      /* a final result went out */
    int64_t last_partial;  /* frame count at the last partial */
    /* Endpointing (ctc_io_endpoint_scan). A segment is cut into
     * utterances; the search restarts for each, and utt_start keeps word
     * times on the segment's timeline across the restarts. */
    double endpoint_s;     /* trailing silence ending an utterance; 0: off */
    double max_utt_s;      /* longest utterance; 0: no limit */
    int64_t ep_frames;     /* endpoint_s in frames, 0 while off or unknown */
    int64_t max_frames;    /* max_utt_s in frames, likewise */
    int64_t utt_start;     /* segment frames before the current utterance */
    int64_t utt_frames;    /* frames of the current utterance */
    int64_t silence;       /* trailing frames whose best token is silence */
    bool spoke;            /* the best path left silence this utterance */
    bool ep_in_seg;        /* an endpoint ended an utterance of this
                            * segment */
    bool ep_warned;        /* no frame timing: said endpointing is off */
    weft_buf *meta;        /* empty buffer with the metadata of the
                            * segment's newest input, or NULL */
    float *scratch;        /* log-softmax copy */
    size_t scratch_cap;
    char err[CTC_ERRLEN];
} ctc_io;

/** Why an utterance ended before its segment did. */
typedef enum ctc_ep {
    CTC_EP_NONE = 0,
    CTC_EP_SILENCE, /* `endpoint`: trailing silence after speech */
    CTC_EP_LENGTH   /* `max_utterance` reached */
} ctc_ep;

/**
 * ctc_io_init [control]: read the common properties (tokens, blank,
 * delimiter, input, frame_rate, partial_interval, endpoint, max_utterance
 * and, when @full, lexicon, lm, lm_cache, grammar) and acquire the shared
 * model.
 */
int ctc_io_init(weft_node *node, ctc_io *io, bool full);
void ctc_io_fini(ctc_io *io);

/** Negotiate [control]: check the input format against the vocabulary. */
int ctc_io_negotiate(weft_node *node, const ctc_io *io,
                     const weft_format *const *in);

/**
 * ctc_io_frames [worker]: validate @b and return its log-probabilities
 * ((transfer none): the buffer's data or the scratch copy), with *t frames
 * and *stride floats per row. Starts the segment's timing. NULL after
 * weft_node_error().
 */
const float *ctc_io_frames(weft_node *node, ctc_io *io, const weft_buf *b,
                           int64_t *t, int64_t *stride);

/**
 * ctc_io_reset [worker]: forget the segment in progress (flush): its
 * timing and the metadata kept for its result.
 */
void ctc_io_reset(ctc_io *io);

/**
 * ctc_io_endpoint_scan [worker]: walk the best path (each frame's most
 * likely token, the lowest index on ties) of the @t frames at @x (row
 * stride @stride) and return how many of them the search should take
 * before an endpoint rule fires: all @t with *why = CTC_EP_NONE when none
 * does, else up to and including the frame that fires it, *why naming the
 * rule. The caller feeds those frames, then ends the utterance
 * (ctc_io_push with that reason, or ctc_io_restart) or, when the search
 * has no word yet, carries on (silence rule only). Counts every frame,
 * also with endpointing off.
 */
int64_t ctc_io_endpoint_scan(ctc_io *io, const float *x, int64_t t,
                             int64_t stride, ctc_ep *why);

/**
 * ctc_io_restart [worker]: the search was reset without a result (an
 * utterance of silence or unrecognised noise reached max_utterance): the
 * next utterance starts after the current one's frames.
 */
void ctc_io_restart(ctc_io *io);

/** Whether a partial is due after @frames frames of the segment. */
bool ctc_io_partial_due(weft_node *node, ctc_io *io, int64_t frames);

/**
 * ctc_io_push [worker]: push @h (may be NULL: an empty text) on output
 * @port ("out" 0, "partial" 1) as a text buffer with per-word token scores
 * (confidence, start/end times); @final sets segment-end and ends the
 * segment's timing, or with @ep (not CTC_EP_NONE) only the utterance's:
 * the result gets `endpoint` metadata and the segment goes on. @r (may be
 * NULL) gives the n-best for metadata.
 */
weft_flow ctc_io_push(weft_node *node, ctc_io *io, uint32_t port,
                      const ctc_hyp *h, const ctc_result *r, int64_t frames,
                      bool final, ctc_ep ep);

/** Common documentation fragments. */
#define CTC_DOC_INPUT                                                        \
    "Input: `tensor dtype=f32 shape=[T,V]`, one row per frame, V the "       \
    "number of tokens in `tokens`; log-probabilities, or logits with "       \
    "`input = logits` (log-softmax is applied per frame). A producer may "   \
    "name its vocabulary in the format's `vocab` field: the string "         \
    "\"fnv1a64:\" and 16 hex digits of the 64-bit FNV-1a hash of the "       \
    "tokens file (its tokens joined by \\n with a final \\n). When "     \
    "present it must match this node's tokens file, and a fixed V must "    \
    "match its token count, so a mismatch fails at `weft check`. NaN or "   \
    "+inf in the input is an error naming the frame and token.\n\n"

#define CTC_DOC_OUTPUT                                                       \
    "Output: on `out`, one `text` buffer per segment, sent when a buffer "   \
    "flagged segment-end arrives or at end of stream (also for an empty "    \
    "segment: T = 0 gives empty text). Its pts is the segment's first "     \
    "frame, its per-token scores (weft_buf_tokens) give each word's byte "  \
    "span, start and end time and a confidence in (0, 1] (the geometric "   \
    "mean of its tokens' posteriors), and metadata holds `score`, "        \
    "`frames`. Times come from `frame_rate`, or from the input buffers' "  \
    "pts and duration. `partial` (optional) carries the current best "     \
    "hypothesis, unfinished word included, every `partial_interval` "      \
    "seconds of input while a segment is in progress. Both carry the "     \
    "segment id and the string metadata of the segment's newest input "    \
    "buffer (audio.dir's `file`, say) besides their own keys, which win "  \
    "over an input key of the same name.\n\n"

#define CTC_DOC_ENDPOINT                                                     \
    "Endpointing, for live input (Kaldi's rule-based endpointing): with "    \
    "`endpoint` set, an utterance ends once its best hypothesis has a "      \
    "word, the best path (each frame's most likely token) has left "        \
    "silence (the blank or the word delimiter) since the utterance began, " \
    "and its last `endpoint` seconds were silence; with `max_utterance`, "  \
    "also once it is that long, even mid-word. The result goes out on "     \
    "`out` as at a segment end (segment-end flag, the same metadata) plus " \
    "`endpoint` = `silence` or `length`, and the search starts afresh "     \
    "with the next frame. The segment id stays the input's; the result's "  \
    "pts is the utterance's first frame, and pts and word times stay on "   \
    "the segment's timeline, so a later utterance's words do not restart "  \
    "at 0. An utterance that reaches `max_utterance` "                      \
    "without a word is dropped without a result. At a segment end or end "  \
    "of stream the utterance in progress is sent as before, unless an "     \
    "endpoint came earlier in the segment and it has no word (a stream "    \
    "ending in silence adds no empty result). Endpoints are found frame "   \
    "by frame, so chunking still does not change the results. Both need "   \
    "frame timing (`frame_rate`, or the input buffers' durations); "        \
    "without it they are off, with a warning.\n\n"

#define CTC_PROPS_COMMON                                                     \
    WEFT_PROP_PATH("tokens", NULL,                                           \
                   "The acoustic model's tokens, one a line, in output "     \
                   "order (line i is class i)."),                           \
    WEFT_PROP_INT("blank", "0", 0, 1000000, NULL,                            \
                  "Index of the CTC blank token."),                         \
    WEFT_PROP_STRING("delimiter", "|",                                       \
                     "The word delimiter token (wav2vec2's '|'); empty for " \
                     "none, making the whole segment one word."),           \
    WEFT_PROP_ENUM("input", "logprobs", ctc_input_choices,                   \
                   "What the tensor holds: log-probabilities or logits."),  \
    WEFT_PROP_FLOAT("frame_rate", "0", 0, 1e6, "Hz",                         \
                    "Frames per second, for word times; 0 takes them from " \
                    "the input buffers' pts and duration."),                \
    WEFT_PROP_FLOAT("partial_interval", "0.5", 0, 3600, "s",                 \
                    "Seconds of input between partial results; 0 turns "    \
                    "them off. Without frame timing, one per input buffer."), \
    WEFT_PROP_FLOAT("endpoint", "0", 0, 3600, "s",                           \
                    "Trailing silence that ends an utterance once it has a " \
                    "word: its result is sent as at a segment end, with "   \
                    "`endpoint` metadata, and the search restarts (see "    \
                    "Endpointing). Rounded to whole frames, at least one; " \
                    "0, the default, turns endpointing off. Live graphs "   \
                    "want 0.5 to 1 s."),                                    \
    WEFT_PROP_FLOAT("max_utterance", "0", 0, 86400, "s",                     \
                    "Longest utterance: one this long ends there, even "     \
                    "mid-word (metadata `endpoint` = length); 0, the "      \
                    "default, for no limit. Kaldi uses 20 s.")

extern const char *const ctc_input_choices[];

#endif /* WEFT_PLUGIN_CTC_NODE_H */
