/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ctc.h: the CTC decoder's modules, internal to the ctc plugin (hidden by
 * its version script) but compiled into tests, the benchmark driver and the
 * fuzzers, so they depend only on libc and the enums of <weft/common.h>.
 *
 *   vocab.c    the acoustic model's tokens (blank, word delimiter, id)
 *   lexicon.c  a word list compiled to a token trie
 *   lm.c       word n-gram LM from an ARPA file, compiled cache (lm-cache.c)
 *   grammar.c  command grammar compiled to a word DFA
 *   decoder.c  greedy and prefix beam search, streaming, shared by nodes
 *
 * Every loader treats its file as hostile and fails with a one-line message
 * naming the file and line ("lm.arpa:12: expected 3 fields"). Loaded
 * objects are immutable and shared between streams (weft_shared_acquire);
 * all per-stream state lives in ctc_decoder.
 */
#ifndef WEFT_PLUGIN_CTC_H
#define WEFT_PLUGIN_CTC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <weft/common.h>

#define CTC_ERRLEN 512
/* log(10): ARPA probabilities are log10, the search works in natural log. */
#define CTC_LN10 2.302585092994045684

/* ---------------------------------------------------------------- vocab */

typedef struct ctc_vocab {
    int32_t n;        /* number of tokens (the tensor's V) */
    char **tok;       /* token texts, NUL-terminated */
    uint32_t *len;    /* byte lengths */
    int32_t blank;    /* index of the CTC blank */
    int32_t delim;    /* index of the word delimiter, -1 if none */
    char id[32];      /* "fnv1a64:<16 hex>": see ctc_vocab_id */
    char *name;       /* file name for messages */
} ctc_vocab;

/**
 * ctc_vocab_load: read a tokens file (one token per line, taken verbatim
 * but for the line end; an empty line is an error). @blank is the blank's
 * index (or, when @blank_tok is non-NULL, the index of that token);
 * @delim_tok names the word delimiter ("|"); NULL or "" means none (every
 * token then belongs to one long word). Returns 0 or WEFT_E* with @err.
 */
int ctc_vocab_load(const char *path, int32_t blank, const char *delim_tok,
                   ctc_vocab **out, char *err, size_t errlen);
/** Build from @n strings (tests, benchmarks). */
int ctc_vocab_from_list(const char *const *toks, int32_t n, int32_t blank,
                        const char *delim_tok, ctc_vocab **out, char *err,
                        size_t errlen);
void ctc_vocab_free(ctc_vocab *v);
/** Index of token text @s (@len bytes), -1 if absent. */
int32_t ctc_vocab_find(const ctc_vocab *v, const char *s, size_t len);

/**
 * ctc_vocab_id: the vocabulary's identity as it appears in a tensor
 * format's `vocab` field: "fnv1a64:" and 16 lower-case hex digits of the
 * 64-bit FNV-1a hash of the tokens joined by "\n" with a final "\n" (the
 * file's bytes for a file with Unix line ends).
 */
void ctc_vocab_id(const char *const *toks, const uint32_t *lens, int32_t n,
                  char out[32]);

/* ---------------------------------------------------------------- lexicon */

typedef struct ctc_trie_node {
    uint32_t first;   /* first edge in the edge arrays */
    uint16_t n_edges;
    int32_t word;     /* lexicon word ending here, -1 if none */
} ctc_trie_node;

typedef struct ctc_lexicon {
    ctc_trie_node *node; /* node 0 is the root */
    int32_t *edge_tok;   /* sorted by token within a node */
    int32_t *edge_to;
    uint32_t n_nodes, n_edges;
    char **word;         /* word texts */
    int32_t n_words;
} ctc_lexicon;

/**
 * ctc_lexicon_load: a word list, one word a line: `word tok1 tok2 ...`
 * (the spelling in vocabulary tokens, as flashlight's lexicons) or just
 * `word`, spelled by longest match over the tokens. Blank lines and lines
 * starting with '#' are skipped; a later spelling of the same word adds a
 * path to the same word. A token outside @v fails naming word, token and
 * line.
 */
int ctc_lexicon_load(const char *path, const ctc_vocab *v, ctc_lexicon **out,
                     char *err, size_t errlen);
/** Build from words spelled by longest match (tests, grammars). */
int ctc_lexicon_from_words(const char *const *words, int32_t n,
                           const ctc_vocab *v, ctc_lexicon **out, char *err,
                           size_t errlen);
void ctc_lexicon_free(ctc_lexicon *lx);
/**
 * ctc_hot_build: the hotword trie: each phrase's words spelled by longest
 * match, joined by the delimiter; @node_w ((transfer full)) gets each trie
 * node's bonus, the largest @weights of the phrases through it.
 */
int ctc_hot_build(const ctc_vocab *v, const char *const *phrases,
                  const float *weights, int32_t n, ctc_lexicon **out,
                  float **node_w, char *err, size_t errlen);
/** Child of trie node @node by token @tok, -1 if none. */
int32_t ctc_trie_child(const ctc_lexicon *lx, int32_t node, int32_t tok);
/** Spell @word by greedy longest match; returns the token count or -1 (and
 * *bad_at gets the byte offset that no token matches). @cap tokens max. */
int32_t ctc_spell(const ctc_vocab *v, const char *word, int32_t *toks,
                  int32_t cap, size_t *bad_at);

/* ---------------------------------------------------------------- LM */

typedef struct ctc_lm ctc_lm;

/**
 * ctc_lm_load: load an ARPA file. With @use_cache, a compiled image
 * `<path>.wlm` next to it is memory-mapped when its header matches the ARPA
 * file (size, modification time, a hash of its first and last 64 KiB) and
 * its bounds check out, else the ARPA is parsed and the image written
 * atomically (a failure to write is not an error). @cache_state, when
 * non-NULL, receives 0 parsed (no cache), 1 loaded from cache, 2 parsed
 * and cache written.
 */
int ctc_lm_load(const char *path, bool use_cache, ctc_lm **out,
                int *cache_state, char *err, size_t errlen);
/** Parse ARPA text in memory (@name for messages; fuzzing, tests). */
int ctc_lm_parse(const char *text, size_t len, const char *name,
                 ctc_lm **out, char *err, size_t errlen);
/** Load a compiled image from memory, validating it (fuzzing, tests). */
int ctc_lm_from_image(const void *img, size_t len, const char *name,
                      ctc_lm **out, char *err, size_t errlen);
void ctc_lm_free(ctc_lm *lm);
int32_t ctc_lm_order(const ctc_lm *lm);
int32_t ctc_lm_n_words(const ctc_lm *lm);
/** Word id of @s (@len bytes), or the <unk> id. */
int32_t ctc_lm_word(const ctc_lm *lm, const char *s, size_t len);
int32_t ctc_lm_unk(const ctc_lm *lm);
int32_t ctc_lm_bos(const ctc_lm *lm);
int32_t ctc_lm_eos(const ctc_lm *lm);
/** Whether the ARPA listed the word @id itself (not <unk>). */
bool ctc_lm_known(const ctc_lm *lm, int32_t id);
/**
 * ctc_lm_score: log10 p(@w | @ctx), @ctx holding @n_ctx word ids oldest
 * first (only the last order-1 matter), by the ARPA backoff rule.
 */
float ctc_lm_score(const ctc_lm *lm, const int32_t *ctx, int32_t n_ctx,
                   int32_t w);
/** Full-sentence log10 score of space-separated @sentence with <s>, </s>
 * (what kenlm's Model.score(s, bos=True, eos=True) returns). */
double ctc_lm_sentence(const ctc_lm *lm, const char *sentence);
/** Serialise to a compiled image ((transfer full) malloc'd). */
int ctc_lm_image(const ctc_lm *lm, uint64_t src_size, int64_t src_mtime,
                 uint64_t src_hash, void **img, size_t *len);

/* ---------------------------------------------------------------- grammar */

typedef struct ctc_grammar ctc_grammar;

/**
 * ctc_grammar_parse: the command grammar language (see grammar.c): `list`
 * lines define slot values, `intent` lines sentence templates with
 * alternatives (a|b), optional parts [a], slots {list}. Compiled to a word
 * DFA. @name is for messages.
 */
int ctc_grammar_parse(const char *text, size_t len, const char *name,
                      ctc_grammar **out, char *err, size_t errlen);
int ctc_grammar_load(const char *path, ctc_grammar **out, char *err,
                     size_t errlen);
void ctc_grammar_free(ctc_grammar *g);
/** The DFA's start state. */
int32_t ctc_grammar_start(const ctc_grammar *g);
/** Next state on @word, -1 when the grammar has no such path. */
int32_t ctc_grammar_next(const ctc_grammar *g, int32_t state, const char *word,
                         size_t len);
/** Whether some word the grammar takes from @state starts with the @len
 * bytes at @prefix (a partial word that can still follow the grammar). */
bool ctc_grammar_prefix(const ctc_grammar *g, int32_t state,
                        const char *prefix, size_t len);
/** The intent accepted in @state, or NULL when @state is not final. */
const char *ctc_grammar_accepts(const ctc_grammar *g, int32_t state);
/** The distinct words the grammar uses (for the lexicon). */
int32_t ctc_grammar_n_words(const ctc_grammar *g);
const char *ctc_grammar_word(const ctc_grammar *g, int32_t i);
int32_t ctc_grammar_n_states(const ctc_grammar *g);
/** Whether a space-separated sentence is in the grammar; its intent. */
const char *ctc_grammar_match(const ctc_grammar *g, const char *sentence);

/* ---------------------------------------------------------------- decoder */

/** What the search needs; all (transfer none), shared, read-only. */
typedef struct ctc_model {
    const ctc_vocab *vocab;
    const ctc_lexicon *lexicon; /* NULL: any spelling is a word */
    const ctc_lm *lm;           /* NULL: no LM */
    const ctc_grammar *grammar; /* NULL: no grammar */
    const ctc_lexicon *hot;     /* hotword trie over tokens, NULL: none */
    const float *hot_weight;    /* per hotword bonus per token */
} ctc_model;

typedef struct ctc_opts {
    int32_t beam;           /* beam width */
    double beam_threshold;  /* drop beams this far below the best (nats) */
    double token_min_logp;  /* per-frame token pruning threshold */
    double alpha, beta;     /* LM weight, word insertion bonus */
    double unk_score;       /* out-of-lexicon word; -inf forbids */
    double oog_penalty;     /* out-of-grammar word; -inf forbids */
    int32_t nbest;
    /* Strict grammar (oog_penalty -inf): accepting hypotheses kept beside
     * the best `beam` (decoder.c's header); 0: ctc_grammar_reserve(beam);
     * < 0: neither the reserve nor the grammar lookahead and delimiter
     * merging (the search before them, for comparison). */
    int32_t grammar_reserve;
} ctc_opts;

/** The default grammar reserve for a beam of @beam. */
int32_t ctc_grammar_reserve(int32_t beam);

/** One word of a hypothesis. */
typedef struct ctc_word {
    uint32_t offset, length; /* byte span in the text */
    int64_t start, end;      /* frames [start, end) */
    float conf;              /* exp(mean token log-prob), in (0, 1] */
} ctc_word;

typedef struct ctc_hyp {
    char *text;
    double score;     /* total: acoustic + LM/bonus terms (nats) */
    double am, lm;    /* the two parts */
    ctc_word *words;
    size_t n_words;
    const char *intent; /* grammar: the intent, NULL when rejected/none */
    bool in_grammar;
} ctc_hyp;

typedef struct ctc_result {
    ctc_hyp *hyp; /* best first */
    size_t n;
    int64_t frames;
} ctc_result;

void ctc_result_clear(ctc_result *r);

typedef struct ctc_decoder ctc_decoder;

int ctc_decoder_new(const ctc_model *m, const ctc_opts *o, ctc_decoder **out);
void ctc_decoder_free(ctc_decoder *d);
/** Forget the stream: start a new utterance. */
void ctc_decoder_reset(ctc_decoder *d);
/**
 * ctc_decoder_feed: advance the search by @t frames of log-probabilities
 * (@t x V, row stride @stride floats). A non-finite value (NaN, +inf)
 * fails with WEFT_EINVAL naming the frame and token; -inf is a valid log 0.
 */
int ctc_decoder_feed(ctc_decoder *d, const float *logp, int64_t t,
                     int64_t stride, char *err, size_t errlen);
/** The current best hypothesis, unfinished words included (partials). */
int ctc_decoder_partial(ctc_decoder *d, ctc_result *r);
/** End the utterance: finish words, add </s>, rank; the n-best to @r.
 * The decoder is reset afterwards. */
int ctc_decoder_finish(ctc_decoder *d, ctc_result *r);
int64_t ctc_decoder_frames(const ctc_decoder *d);

/**
 * ctc_greedy: best path over @t frames: argmax per frame (lowest index on
 * ties), collapse repeats, drop blanks. Token ids to @out (capacity @t),
 * the frame of each to @frames (may be NULL); returns the count.
 */
int64_t ctc_greedy(const float *logp, int64_t t, int64_t v, int64_t stride,
                   int32_t blank, int32_t *prev, int32_t *out,
                   int64_t *frames);
/** Turn tokens into a hypothesis (words at delimiters), for greedy. */
int ctc_tokens_to_hyp(const ctc_vocab *v, const int32_t *toks,
                      const int64_t *frames, const float *tok_logp, int64_t n,
                      ctc_hyp *h);

/** log-softmax of each row in place; WEFT_EINVAL on a non-finite value. */
int ctc_log_softmax(float *x, int64_t t, int64_t v, char *err, size_t errlen);

#endif /* WEFT_PLUGIN_CTC_H */
