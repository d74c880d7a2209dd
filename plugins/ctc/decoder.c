/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * decoder.c: CTC prefix beam search (Hannun et al. 2014) in log space, with
 * lexicon, word n-gram LM, command grammar and hotwords, one frame at a time
 * so that a stream can be fed in chunks of any size.
 *
 * tests/golden/ctc_reference.py is the same algorithm written for reading;
 * the two must stay step for step identical (the golden test compares the
 * n-best lists exactly). The algorithm:
 *
 *   A prefix is a token sequence, a node of a prefix tree. Everything that
 *   depends only on the sequence (the partial word and its lexicon trie
 *   node, the completed words and their LM context, grammar state, hotword
 *   match, and `ext`, the sum of LM and bonus terms) is computed once, when
 *   the node is created, and stored in it. A beam is a node with two
 *   acoustic log-probabilities: pb (paths ending in blank) and pnb (paths
 *   ending in the node's last token). Its score is logaddexp(pb, pnb) + ext.
 *
 *   Each frame: the candidate tokens are those with log p >= token_min_logp
 *   plus the frame's best (lowest index on ties), in index order. For every
 *   beam (best first) and candidate c with log-prob lp:
 *     c blank:            pb[p]    += (pb + pnb) + lp
 *     c == last token:    pnb[p]   += pnb + lp;  pnb[p+c] += pb + lp
 *     otherwise:          pnb[p+c] += (pb + pnb) + lp
 *   where += is logaddexp and p+c is skipped when the extension is not
 *   allowed (lexicon, grammar). The new beams are sorted by score (ties by
 *   token sequence) and the best `beam` kept, less those more than
 *   beam_threshold below the best.
 *
 *   Extending by the word delimiter completes the partial word (if any):
 *   with a lexicon it must end at a word of the trie (else it is <unk>
 *   and pays unk_score, or is forbidden when unk_score is -inf); ext += alpha * ln p_LM
 *   (word | previous order-1 words) + beta; with a grammar the word must
 *   continue the grammar (else ext += oog_penalty once and the hypothesis
 *   is out of grammar from then on, or forbidden when it is -inf). Other
 *   tokens extend the partial word (and its trie node: leaving the trie
 *   makes it out-of-lexicon and pays unk_score at once, or is forbidden;
 *   a word that ends inside the trie but not at a word pays at its end).
 *
 *   Hotwords: a trie over tokens (phrases spelled with delimiters). A match
 *   starts at a word start; each matched token adds its node's weight to
 *   ext; reaching a hotword's end keeps the bonus, a mismatch takes back
 *   what the unfinished match had added.
 *
 *   At the end the partial word is completed as above, ext += alpha * ln
 *   p(</s> | ...), a grammar hypothesis not in a final state pays
 *   oog_penalty (or is dropped), unfinished hotword bonus is taken back.
 *   Hypotheses with the same text keep the best score; the n-best are
 *   ranked by score, ties by text.
 *
 *   A strict grammar (oog_penalty -inf, ctc.beam's grammar_mode = strict)
 *   drops at the end every hypothesis that is not a whole command, and
 *   the plain search let unfinished ones fill the beam: partial words no
 *   grammar word could complete, the same text with and without extra
 *   delimiters, until at the end none was a command and the result was
 *   empty. Three changes, for a strict grammar only (reject mode and no
 *   grammar search exactly as above):
 *     - lookahead: extending a partial word is forbidden unless some word
 *       the grammar takes from the prefix's state starts with it
 *       (ctc_grammar_prefix); such a prefix could only be dropped later;
 *     - a delimiter where no word has begun (at the start or after a
 *       delimiter) is absorbed, pnb[p] += (pb + pnb) + lp, rather than
 *       making a new prefix: the text is the same, so "a|b", "|a|b" and
 *       "a||b" are one hypothesis whose paths add up;
 *     - reserve: a prefix is `fin` when it would be accepted if the
 *       utterance ended there (its partial word, if any, completes to a
 *       word that takes the grammar to a final state). Pruning keeps the
 *       best `beam` as above plus the best `reserve` fin prefixes (same
 *       order, no beam_threshold) that are not among them, so a completed
 *       command stays in the search (its blank and repeat extensions keep
 *       it) until the end or until better completed ones displace it. The
 *       result is empty only when no command was ever reached. reserve is
 *       ctc_opts.grammar_reserve, by default ctc_grammar_reserve(beam);
 *       grammar_reserve < 0 turns all three off (the search before them,
 *       kept for comparison in the tests).
 *
 * What the C code adds is speed, all of it exact (the n-best and scores
 * are those of the plain algorithm, bit for bit):
 *   - a node's children are looked up in a per-node table of V entries
 *     (V <= KIDS_MAX_V; a hash map for larger vocabularies), created when
 *     the node first extends;
 *   - with a lexicon and no unk (`closed`), a node only tries blank, its
 *     own token, the delimiter and its trie edges, the only tokens whose
 *     extension is not forbidden, in index order as the candidates are;
 *   - a contribution to a node that is not a beam is that node's only one
 *     this frame, so its final score is known at once; when it is below a
 *     floor that `beam` other entries are sure to reach (beam_floor), and
 *     for a fin node also below the floor that `reserve` other fin
 *     entries are sure to reach, the entry would be dropped and is never
 *     made;
 *   - the best `beam` are selected by insertion into a sorted array rather
 *     than by sorting every new prefix.
 */
#include "ctc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NONE (-1)
#define OOV (-2)
#define UNSEEN (-3) /* kids[]: extension not looked at yet */
/* Vocabularies up to this size give every expanded node a direct child
 * table (4 * V bytes); larger ones look children up in the hash map. */
#define KIDS_MAX_V 128

typedef struct pnode {
    int32_t parent, tok, depth;
    int64_t frame;    /* frame at which the node was first reached */
    float tok_logp;   /* log-prob of tok at that frame */
    int32_t wstart;   /* first node of the partial word, NONE if empty */
    int32_t plen;     /* tokens in the partial word */
    int32_t trie;     /* lexicon node of the partial word, or OOV */
    int32_t word;     /* last completed word record, NONE if none */
    int32_t gstate;   /* grammar state, NONE when out of grammar */
    int32_t hot;      /* hotword trie node, NONE when not matching */
    bool fin;         /* strict grammar: accepted if the utterance ended
                         here (see node_fin) */
    float hot_partial;/* bonus of the unfinished hotword match */
    int32_t n_words;
    int64_t kids;     /* its child table: d->kids + kids, or NONE */
    int64_t beam_at;  /* the last frame it was a beam at, -1 if never */
    double ext;       /* LM and bonus terms so far */
} pnode;

typedef struct wrec {
    int32_t prev;
    int32_t lm_id;
    int32_t first, last; /* nodes of the word's first and last token */
} wrec;

typedef struct beam {
    int32_t node;
    double pb, pnb, score;
} beam;

struct ctc_decoder {
    ctc_model m;
    ctc_opts o;
    pnode *node;
    int32_t n_nodes, cap_nodes;
    uint32_t *stamp; /* per node: frame stamp of slot[] validity */
    int32_t *slot;
    wrec *wr;
    int32_t n_wr, cap_wr;
    /* child map: (parent, tok) -> node or NONE for a forbidden extension */
    uint64_t *ck;
    int32_t *cv;
    uint64_t ccap, cn;
    /* child tables (small V): per expanded node, V entries of child node,
     * NONE (forbidden) or UNSEEN */
    int32_t *kids;
    size_t n_kids, cap_kids;
    int32_t kid_v; /* V when child tables are used, else 0 */
    bool closed;   /* lexicon without unk: only trie edges extend a word */
    uint8_t *is_cand;  /* per token: a candidate this frame */
    int32_t *toks;     /* tokens a beam tries this frame (closed) */
    double *lo;        /* beam_floor's `beam` largest bounds */
    double *tot;       /* per beam: logaddexp(pb, pnb) this frame */
    beam *beams, *next;
    int32_t n_beams, n_next, cap_next;
    bool lookahead;    /* strict grammar: partial words must lead to a
                          word the grammar takes next */
    int32_t reserve;   /* strict grammar: accepting beams kept (0: none) */
    beam *res;         /* select_beams: the best accepting entries */
    double *lo_fin;    /* beam_floor's `reserve` largest accepting bounds */
    int32_t *cand;
    uint32_t cur_stamp;
    int64_t frames;
    char *scratch;
    size_t scratch_cap;
    int32_t *ctx;
    int32_t ctx_cap;
};

static inline double lse(double a, double b)
{
    double mx, mn;
    if (a == -INFINITY)
        return b;
    if (b == -INFINITY)
        return a;
    mx = a > b ? a : b;
    mn = a > b ? b : a;
    return mx + log1p(exp(mn - mx));
}

/* ------------------------------------------------------------- storage */

static int32_t node_new(ctc_decoder *d)
{
    if (d->n_nodes == d->cap_nodes) {
        int32_t nc = d->cap_nodes ? d->cap_nodes * 2 : 1024;
        pnode *p = realloc(d->node, (size_t)nc * sizeof *p);
        uint32_t *s;
        int32_t *sl;
        if (!p)
            return -1;
        d->node = p;
        if (!(s = realloc(d->stamp, (size_t)nc * sizeof *s)))
            return -1;
        d->stamp = s;
        if (!(sl = realloc(d->slot, (size_t)nc * sizeof *sl)))
            return -1;
        d->slot = sl;
        memset(d->stamp + d->cap_nodes, 0,
               (size_t)(nc - d->cap_nodes) * sizeof *s);
        d->cap_nodes = nc;
    }
    d->stamp[d->n_nodes] = 0;
    return d->n_nodes++;
}

static int32_t wrec_new(ctc_decoder *d)
{
    if (d->n_wr == d->cap_wr) {
        int32_t nc = d->cap_wr ? d->cap_wr * 2 : 256;
        wrec *p = realloc(d->wr, (size_t)nc * sizeof *p);
        if (!p)
            return -1;
        d->wr = p;
        d->cap_wr = nc;
    }
    return d->n_wr++;
}

static inline uint64_t ckey(int32_t parent, int32_t tok)
{
    return ((uint64_t)(uint32_t)parent << 32 | (uint32_t)tok) + 1;
}

static inline uint64_t chash(uint64_t k)
{
    k *= 0x9e3779b97f4a7c15ull;
    return k ^ (k >> 29);
}

/* Slot of @key in the child map (an empty one if absent). */
static uint64_t cfind(const ctc_decoder *d, uint64_t key)
{
    uint64_t i = chash(key) & (d->ccap - 1);
    while (d->ck[i] && d->ck[i] != key)
        i = (i + 1) & (d->ccap - 1);
    return i;
}

static int cgrow(ctc_decoder *d)
{
    uint64_t oc = d->ccap, nc = oc ? oc * 2 : 4096;
    uint64_t *ok = d->ck, *nk = calloc(nc, sizeof *nk);
    int32_t *ov = d->cv, *nv = malloc(nc * sizeof *nv);

    if (!nk || !nv) {
        free(nk);
        free(nv);
        return -1;
    }
    d->ck = nk;
    d->cv = nv;
    d->ccap = nc;
    for (uint64_t i = 0; i < oc; i++)
        if (ok[i]) {
            uint64_t s = cfind(d, ok[i]);
            nk[s] = ok[i];
            nv[s] = ov[i];
        }
    free(ok);
    free(ov);
    return 0;
}

static char *scratch(ctc_decoder *d, size_t n)
{
    if (n > d->scratch_cap) {
        size_t nc = n * 2 + 64;
        char *p = realloc(d->scratch, nc);
        if (!p)
            return NULL;
        d->scratch = p;
        d->scratch_cap = nc;
    }
    return d->scratch;
}

/* Bytes of the tokens from node @last back to its ancestor @first. */
static size_t chain_len(const ctc_decoder *d, int32_t first, int32_t last)
{
    const ctc_vocab *v = d->m.vocab;
    size_t n = 0;

    for (int32_t k = last;; k = d->node[k].parent) {
        n += v->len[d->node[k].tok];
        if (k == first)
            return n;
    }
}

/* Write those tokens so that they end just before @end. */
static void chain_copy(const ctc_decoder *d, int32_t first, int32_t last,
                       char *end)
{
    const ctc_vocab *v = d->m.vocab;

    for (int32_t k = last;; k = d->node[k].parent) {
        uint32_t l = v->len[d->node[k].tok];
        end -= l;
        memcpy(end, v->tok[d->node[k].tok], l);
        if (k == first)
            return;
    }
}

/* Text of the tokens from node @first to node @last (an ancestor chain). */
static char *word_text(ctc_decoder *d, int32_t first, int32_t last,
                       size_t *len)
{
    size_t n = chain_len(d, first, last);
    char *s = scratch(d, n + 1);

    if (!s)
        return NULL;
    chain_copy(d, first, last, s + n);
    s[n] = 0;
    *len = n;
    return s;
}

/* Text of the partial word of node @pi followed by token @tok. */
static char *partial_text(ctc_decoder *d, int32_t pi, int32_t tok,
                          size_t *len)
{
    const ctc_vocab *v = d->m.vocab;
    const int32_t first = d->node[pi].plen > 0 ? d->node[pi].wstart : NONE;
    size_t w = first != NONE ? chain_len(d, first, pi) : 0;
    size_t n = w + v->len[tok];
    char *s = scratch(d, n + 1);

    if (!s)
        return NULL;
    if (first != NONE)
        chain_copy(d, first, pi, s + w);
    memcpy(s + w, v->tok[tok], v->len[tok]);
    s[n] = 0;
    *len = n;
    return s;
}

/* LM context of the words ending at record @w: up to order-1 ids, oldest
 * first, starting with <s> when the sentence is shorter. */
static int32_t lm_context(ctc_decoder *d, int32_t w)
{
    int32_t want = ctc_lm_order(d->m.lm) - 1, n = 0;

    if (want > d->ctx_cap) {
        int32_t *p = realloc(d->ctx, (size_t)want * sizeof *p);
        if (!p)
            return -1;
        d->ctx = p;
        d->ctx_cap = want;
    }
    /* Fill from the end, then shift down. */
    while (n < want && w != NONE) {
        d->ctx[want - 1 - n++] = d->wr[w].lm_id;
        w = d->wr[w].prev;
    }
    if (n < want && w == NONE)
        d->ctx[want - 1 - n++] = ctc_lm_bos(d->m.lm);
    memmove(d->ctx, d->ctx + (want - n), (size_t)n * sizeof *d->ctx);
    return n;
}

/*
 * Complete the partial word of @p (non-empty): fills the new word record
 * fields and changes *ext and *gstate. Returns 1 when allowed, 0 when
 * forbidden, -1 when out of memory.
 */
static int complete_word(ctc_decoder *d, const pnode *p, int32_t *lm_id,
                         double *ext, int32_t *gstate)
{
    const ctc_model *m = &d->m;
    const char *text = NULL;
    size_t len = 0;
    int32_t wid = NONE;
    bool oov = false;

    if (m->lexicon) {
        wid = p->trie >= 0 ? m->lexicon->node[p->trie].word : NONE;
        if (wid == NONE) {
            /* A spelling that left the trie paid unk_score then; one that
             * stops inside it (a prefix, not a word) pays now. */
            if (p->trie != OOV) {
                if (isinf(d->o.unk_score))
                    return 0;
                *ext += d->o.unk_score;
            }
            oov = true;
        }
    }
    if (m->lm || m->grammar) {
        if (wid != NONE) {
            text = m->lexicon->word[wid];
            len = strlen(text);
        } else if (!(text = word_text(d, p->wstart, (int32_t)(p - d->node),
                                      &len))) {
            return -1;
        }
    }
    *lm_id = NONE;
    if (m->lm) {
        int32_t n, w = oov ? ctc_lm_unk(m->lm) : ctc_lm_word(m->lm, text, len);
        *lm_id = w;
        if ((n = lm_context(d, p->word)) < 0)
            return -1;
        *ext += d->o.alpha * CTC_LN10 * ctc_lm_score(m->lm, d->ctx, n, w);
    }
    *ext += d->o.beta;
    if (m->grammar && *gstate != NONE) {
        int32_t ns = ctc_grammar_next(m->grammar, *gstate, text, len);
        if (ns < 0) {
            if (isinf(d->o.oog_penalty))
                return 0;
            *ext += d->o.oog_penalty;
        }
        *gstate = ns < 0 ? NONE : ns;
    }
    return 1;
}

/*
 * Whether node @n would be accepted if the utterance ended here, which is
 * what ctc_decoder_finish asks of a strict grammar hypothesis: its partial
 * word (if any) completes to a word the grammar takes from the node's
 * state, and the state reached accepts. Knowing it per node lets the
 * pruning keep a few such hypotheses (select_beams). 1 or 0; -1 when out
 * of memory.
 */
static int node_fin(ctc_decoder *d, int32_t n)
{
    const ctc_model *m = &d->m;
    const pnode *p = &d->node[n];
    int32_t gs = p->gstate, wid = NONE;
    const char *text;
    size_t len;

    if (gs == NONE)
        return 0;
    if (p->plen > 0) {
        if (m->lexicon) {
            wid = p->trie >= 0 ? m->lexicon->node[p->trie].word : NONE;
            /* complete_word forbids this one. */
            if (wid == NONE && p->trie != OOV && isinf(d->o.unk_score))
                return 0;
        }
        if (wid != NONE) {
            text = m->lexicon->word[wid];
            len = strlen(text);
        } else if (!(text = word_text(d, p->wstart, n, &len))) {
            return -1;
        }
        gs = ctc_grammar_next(m->grammar, gs, text, len);
    }
    return gs >= 0 && ctc_grammar_accepts(m->grammar, gs) != NULL;
}

/* Create the node for @p + @tok (first use); NONE when the extension is
 * forbidden, -2 when out of memory. */
static int32_t make_child(ctc_decoder *d, int32_t pi, int32_t tok, float lp)
{
    const ctc_model *m = &d->m;
    int32_t ci, lm_id = NONE;
    pnode c, *p;
    int ok = 1;

    p = &d->node[pi];
    c = *p;
    c.kids = NONE;
    c.beam_at = -1;
    c.parent = pi;
    c.tok = tok;
    c.depth = p->depth + 1;
    c.frame = d->frames;
    c.tok_logp = lp;
    if (tok == m->vocab->delim) {
        if (p->plen > 0) {
            int32_t w;
            ok = complete_word(d, p, &lm_id, &c.ext, &c.gstate);
            if (ok < 0)
                return -2;
            if (ok) {
                if ((w = wrec_new(d)) < 0)
                    return -2;
                p = &d->node[pi];
                d->wr[w].prev = p->word;
                d->wr[w].lm_id = lm_id;
                d->wr[w].first = p->wstart;
                d->wr[w].last = pi;
                c.word = w;
                c.n_words = p->n_words + 1;
            }
        }
        c.wstart = NONE;
        c.plen = 0;
        c.trie = 0;
    } else {
        if (p->plen == 0)
            c.wstart = NONE; /* set to the new node below */
        c.plen = p->plen + 1;
        if (m->lexicon) {
            int32_t t = p->trie >= 0 ? ctc_trie_child(m->lexicon, p->trie, tok)
                                     : OOV;
            if (t < 0) {
                /* Charged when the spelling leaves the lexicon, not at the
                 * word's end, so that garbage spellings do not fill the
                 * beam unpunished while in-lexicon words are pruned. */
                if (p->trie != OOV) {
                    if (isinf(d->o.unk_score))
                        ok = 0;
                    c.ext += d->o.unk_score;
                }
                t = OOV;
            }
            c.trie = t;
        }
        /* A strict grammar drops, at its end, every word it does not take
         * from the node's state; a partial word that no such word starts
         * with can only end that way, and would hold a place in the beam
         * meanwhile. */
        if (ok && d->lookahead && c.gstate != NONE) {
            size_t len;
            const char *t = partial_text(d, pi, tok, &len);
            if (!t)
                return -2;
            if (!ctc_grammar_prefix(m->grammar, c.gstate, t, len))
                ok = 0;
        }
    }
    if (ok && m->hot) {
        int32_t h = c.hot >= 0 ? ctc_trie_child(m->hot, c.hot, tok) : NONE;
        if (h >= 0) {
            c.ext += m->hot_weight[h];
            c.hot_partial += m->hot_weight[h];
            c.hot = h;
            if (m->hot->node[h].word >= 0)
                c.hot_partial = 0;
        } else {
            c.ext -= c.hot_partial;
            c.hot_partial = 0;
            c.hot = tok == m->vocab->delim ? 0 : NONE;
        }
    }
    ci = NONE;
    if (ok) {
        if ((ci = node_new(d)) < 0)
            return -2;
        if (c.plen == 1)
            c.wstart = ci;
        c.fin = false;
        d->node[ci] = c;
        if (d->reserve) {
            int f = node_fin(d, ci);
            if (f < 0)
                return -2;
            d->node[ci].fin = f;
        }
    }
    return ci;
}

/* The node for @p + @tok through the hash map (large vocabularies). */
static int32_t extend(ctc_decoder *d, int32_t pi, int32_t tok, float lp)
{
    uint64_t key = ckey(pi, tok), s;
    int32_t ci;

    if ((d->cn + 1) * 2 > d->ccap && cgrow(d) < 0)
        return -2;
    s = cfind(d, key);
    if (d->ck[s])
        return d->cv[s];
    if ((ci = make_child(d, pi, tok, lp)) == -2)
        return -2;
    s = cfind(d, key); /* make_child does not touch the map */
    d->ck[s] = key;
    d->cv[s] = ci;
    d->cn++;
    return ci;
}

static int32_t closed_tokens(ctc_decoder *d, int32_t n, int32_t last);

/* The child table of node @n (small vocabularies), created on the node's
 * first expansion; NULL when out of memory. Valid until the next call.
 * With a closed lexicon the table is followed by the count and list of
 * the tokens worth trying (closed_tokens), which never change. */
static int32_t *node_kids(ctc_decoder *d, int32_t n)
{
    int32_t *k, nt = 0;

    if (d->node[n].kids == NONE) {
        size_t need;
        if (d->closed)
            nt = closed_tokens(d, n, d->node[n].tok);
        need = d->n_kids + (size_t)d->kid_v + (d->closed ? 1 + (size_t)nt : 0);
        if (need > d->cap_kids) {
            size_t nc = d->cap_kids ? d->cap_kids * 2 : (size_t)d->kid_v * 256;
            while (nc < need)
                nc *= 2;
            if (!(k = realloc(d->kids, nc * sizeof *k)))
                return NULL;
            d->kids = k;
            d->cap_kids = nc;
        }
        d->node[n].kids = (int64_t)d->n_kids;
        k = d->kids + d->n_kids;
        d->n_kids = need;
        if (d->closed) {
            /* Only the trie's edges and the delimiter may extend a node of
             * a closed lexicon (make_child would say NONE to the rest). */
            const ctc_lexicon *lx = d->m.lexicon;
            const ctc_trie_node *t = &lx->node[d->node[n].trie];
            for (int32_t i = 0; i < d->kid_v; i++)
                k[i] = NONE;
            for (uint32_t e = t->first; e < t->first + t->n_edges; e++)
                k[lx->edge_tok[e]] = UNSEEN;
            if (d->m.vocab->delim >= 0)
                k[d->m.vocab->delim] = UNSEEN;
            k[d->kid_v] = nt;
            memcpy(k + d->kid_v + 1, d->toks, (size_t)nt * sizeof *k);
        } else {
            for (int32_t i = 0; i < d->kid_v; i++)
                k[i] = UNSEEN;
        }
    }
    return d->kids + d->node[n].kids;
}

/* ------------------------------------------------------------- life */

int32_t ctc_grammar_reserve(int32_t beam)
{
    /* An eighth of the beam: a few competing commands and their
     * spellings ("light" and "light|"), little extra work. On the
     * en-commands test set any size from 1 to 4 gives the same WER at
     * beam 16; larger ones take places from the best `beam`'s extensions. */
    return beam < 8 ? 1 : beam / 8;
}

void ctc_decoder_reset(ctc_decoder *d)
{
    pnode *r;

    d->n_nodes = 0;
    d->n_wr = 0;
    d->n_kids = 0;
    if (d->ck && d->cn)
        memset(d->ck, 0, d->ccap * sizeof *d->ck);
    d->cn = 0;
    d->frames = 0;
    d->cur_stamp = 0;
    node_new(d); /* capacity exists: created in ctc_decoder_new */
    r = &d->node[0];
    memset(r, 0, sizeof *r);
    r->parent = NONE;
    r->tok = NONE;
    r->wstart = NONE;
    r->trie = 0;
    r->word = NONE;
    r->gstate = d->m.grammar ? ctc_grammar_start(d->m.grammar) : NONE;
    r->fin = d->reserve && ctc_grammar_accepts(d->m.grammar, r->gstate);
    r->hot = 0;
    r->kids = NONE;
    r->beam_at = -1;
    d->stamp[0] = 0;
    d->n_beams = 1;
    d->beams[0].node = 0;
    d->beams[0].pb = 0;
    d->beams[0].pnb = -INFINITY;
    d->beams[0].score = 0;
}

int ctc_decoder_new(const ctc_model *m, const ctc_opts *o, ctc_decoder **out)
{
    ctc_decoder *d = calloc(1, sizeof *d);

    *out = NULL;
    if (!d)
        return WEFT_ENOMEM;
    d->m = *m;
    d->o = *o;
    if (d->o.beam < 1)
        d->o.beam = 1;
    if (d->o.nbest < 1)
        d->o.nbest = 1;
    d->kid_v = m->vocab->n <= KIDS_MAX_V ? m->vocab->n : 0;
    /* Only a strict grammar drops hypotheses at the end for their state,
     * so only it needs accepting ones kept (the header comment). */
    if (m->grammar && isinf(o->oog_penalty) && o->grammar_reserve >= 0) {
        d->lookahead = true;
        d->reserve = o->grammar_reserve ? o->grammar_reserve
                                        : ctc_grammar_reserve(d->o.beam);
    }
    /* unk_score is -inf or finite (the property's range). */
    d->closed = m->lexicon && isinf(o->unk_score);
    d->is_cand = calloc((size_t)m->vocab->n, sizeof *d->is_cand);
    d->toks = malloc(((size_t)m->vocab->n + 3) * sizeof *d->toks);
    d->beams = calloc((size_t)(d->o.beam + d->reserve), sizeof *d->beams);
    d->lo = malloc((size_t)d->o.beam * sizeof *d->lo);
    d->tot = malloc((size_t)(d->o.beam + d->reserve) * sizeof *d->tot);
    d->res = malloc((size_t)(d->reserve + 1) * sizeof *d->res);
    d->lo_fin = malloc((size_t)(d->reserve + 1) * sizeof *d->lo_fin);
    d->cand = malloc((size_t)m->vocab->n * sizeof *d->cand);
    if (!d->beams || !d->lo || !d->tot || !d->res || !d->lo_fin ||
        !d->cand || !d->is_cand ||
        !d->toks || node_new(d) < 0 || cgrow(d) < 0) {
        ctc_decoder_free(d);
        return WEFT_ENOMEM;
    }
    ctc_decoder_reset(d);
    *out = d;
    return 0;
}

void ctc_decoder_free(ctc_decoder *d)
{
    if (!d)
        return;
    free(d->node);
    free(d->stamp);
    free(d->slot);
    free(d->wr);
    free(d->ck);
    free(d->cv);
    free(d->kids);
    free(d->beams);
    free(d->lo);
    free(d->tot);
    free(d->res);
    free(d->lo_fin);
    free(d->next);
    free(d->cand);
    free(d->is_cand);
    free(d->toks);
    free(d->scratch);
    free(d->ctx);
    free(d);
}

int64_t ctc_decoder_frames(const ctc_decoder *d)
{
    return d->frames;
}

/* ------------------------------------------------------------- search */

/* Compare token sequences of nodes @a and @b lexicographically: walk both
 * up to the same depth, then up to the children of their common ancestor,
 * whose tokens decide (a prefix sorts first). */
static int seq_cmp(const ctc_decoder *d, int32_t a, int32_t b)
{
    const pnode *nd = d->node;
    const int32_t la0 = nd[a].depth, lb0 = nd[b].depth;
    int32_t la = la0, lb = lb0;

    if (a == b)
        return 0;
    while (la > lb) {
        a = nd[a].parent;
        la--;
    }
    while (lb > la) {
        b = nd[b].parent;
        lb--;
    }
    if (a == b) /* one is a prefix of the other */
        return la0 < lb0 ? -1 : 1;
    while (nd[a].parent != nd[b].parent) {
        a = nd[a].parent;
        b = nd[b].parent;
    }
    return nd[a].tok < nd[b].tok ? -1 : 1;
}

/* Beam order: score, ties by token sequence. */
static inline bool beam_before(const ctc_decoder *d, const beam *a,
                               const beam *b)
{
    if (a->score != b->score)
        return a->score > b->score;
    return seq_cmp(d, a->node, b->node) < 0;
}

/* Accumulate into the next-beam entry of node @n. */
static inline int acc(ctc_decoder *d, int32_t n, double pb, double pnb)
{
    beam *e;

    if (d->stamp[n] == d->cur_stamp) {
        e = &d->next[d->slot[n]];
    } else {
        if (d->n_next == d->cap_next) {
            int32_t nc = d->cap_next ? d->cap_next * 2 : 256;
            beam *p = realloc(d->next, (size_t)nc * sizeof *p);
            if (!p)
                return -1;
            d->next = p;
            d->cap_next = nc;
        }
        d->stamp[n] = d->cur_stamp;
        d->slot[n] = d->n_next;
        e = &d->next[d->n_next++];
        e->node = n;
        e->pb = -INFINITY;
        e->pnb = -INFINITY;
    }
    if (pb != -INFINITY)
        e->pb = lse(e->pb, pb);
    if (pnb != -INFINITY)
        e->pnb = lse(e->pnb, pnb);
    return 0;
}

/* The child of node @n by @c: through @kids (small V) or the hash map. */
static inline int32_t child(ctc_decoder *d, int32_t *kids, int32_t n,
                            int32_t c, float l)
{
    int32_t ch;

    if (!kids)
        return extend(d, n, c, l);
    if ((ch = kids[c]) == UNSEEN && (ch = make_child(d, n, c, l)) != -2)
        kids[c] = ch;
    return ch;
}

/* Strict grammar: add to d->beams (the best `beam`, sorted, selected
 * with the threshold @cut) those of the best `reserve` accepting entries
 * that are not there yet, threshold or not, so that a completed command is
 * never crowded out by unfinished ones. The union stays in beam order. */
static void reserve_beams(ctc_decoder *d, double cut)
{
    const int32_t R = d->reserve, B0 = d->n_beams;
    const beam *worst = B0 ? &d->beams[B0 - 1] : NULL;
    int32_t nr = 0, ne = 0, i, k;

    for (i = 0; i < d->n_next; i++) {
        const beam *e = &d->next[i];
        int32_t j;
        if (!d->node[e->node].fin || e->score == -INFINITY)
            continue;
        if (nr == R && !beam_before(d, e, &d->res[R - 1]))
            continue;
        j = nr < R ? nr++ : R - 1;
        while (j > 0 && beam_before(d, e, &d->res[j - 1])) {
            d->res[j] = d->res[j - 1];
            j--;
        }
        d->res[j] = *e;
    }
    /* Those not among the best `beam` (beam order is total, so an entry
     * that passed the threshold is there when the best `beam` were not
     * all taken or it is not after the last of them), kept in order. */
    for (i = 0; i < nr; i++) {
        const beam *e = &d->res[i];
        bool in = worst && e->score >= cut &&
                  (B0 < d->o.beam || e->node == worst->node ||
                   beam_before(d, e, worst));
        if (!in)
            d->res[ne++] = *e;
    }
    /* Merge the two sorted runs from the end. */
    d->n_beams = B0 + ne;
    i = B0 - 1;
    for (k = B0 + ne - 1; ne > 0; k--) {
        if (i >= 0 && beam_before(d, &d->res[ne - 1], &d->beams[i]))
            d->beams[k] = d->beams[i--];
        else
            d->beams[k] = d->res[--ne];
    }
}

/* Keep the best `beam` of the new beams (less those beam_threshold below
 * the best) in d->beams, best first: insertion into a sorted array of at
 * most `beam`, which selects and orders exactly what sorting all would. */
static void select_beams(ctc_decoder *d)
{
    const int32_t B = d->o.beam;
    double top = -INFINITY, cut;
    int32_t nb = 0;

    for (int32_t i = 0; i < d->n_next; i++) {
        beam *e = &d->next[i];
        e->score = lse(e->pb, e->pnb) + d->node[e->node].ext;
        if (e->score > top)
            top = e->score;
    }
    cut = top - d->o.beam_threshold;
    for (int32_t i = 0; i < d->n_next; i++) {
        const beam *e = &d->next[i];
        int32_t j;
        if (!(e->score >= cut) || e->score == -INFINITY)
            continue;
        if (nb == B && !beam_before(d, e, &d->beams[B - 1]))
            continue;
        j = nb < B ? nb++ : B - 1;
        while (j > 0 && beam_before(d, e, &d->beams[j - 1])) {
            d->beams[j] = d->beams[j - 1];
            j--;
        }
        d->beams[j] = *e;
    }
    d->n_beams = nb;
    if (d->reserve)
        reserve_beams(d, cut);
}

/* Closed lexicon: the only tokens that can do anything for node @n (last
 * token @last), ascending as the candidates are: blank, the repeat, the
 * delimiter and the trie's edges (sorted); other extensions are
 * forbidden. Merged into d->toks. */
static int32_t closed_tokens(ctc_decoder *d, int32_t n, int32_t last)
{
    const ctc_lexicon *lx = d->m.lexicon;
    const ctc_trie_node *t = &lx->node[d->node[n].trie];
    const int32_t *e = lx->edge_tok + t->first, ne = t->n_edges;
    int32_t sp[3], ns = 0, k = 0, i = 0, j = 0;

    /* The specials, sorted and distinct (at most three). */
    sp[ns++] = d->m.vocab->blank;
    if (last >= 0)
        sp[ns++] = last;
    if (d->m.vocab->delim >= 0)
        sp[ns++] = d->m.vocab->delim;
    for (int32_t a = 1; a < ns; a++)
        for (int32_t b = a; b > 0 && sp[b - 1] > sp[b]; b--) {
            int32_t x = sp[b];
            sp[b] = sp[b - 1];
            sp[b - 1] = x;
        }
    while (i < ne || j < ns) {
        int32_t x;
        if (j == ns || (i < ne && e[i] < sp[j]))
            x = e[i++];
        else if (i < ne && e[i] == sp[j])
            x = (i++, sp[j++]);
        else
            x = sp[j++];
        if (!k || d->toks[k - 1] != x)
            d->toks[k++] = x;
    }
    return k;
}

/*
 * An exact bound for skipping work: a score below which no new beam can
 * survive this frame. Each beam's own blank and repeat extensions reach
 * its own entry, whose final score (contributions only add up, and
 * rounding is monotone) is at least the best of them plus its ext. So at
 * least `beam` distinct entries score at least the beam-th largest of
 * these bounds, and the best entry at least their maximum, which sets the
 * beam_threshold cut. Marks the beams (beam_at) and keeps their total
 * (d->tot) on the way.
 */
static double beam_floor(ctc_decoder *d, const float *lp, double *low_fin)
{
    const int32_t B = d->o.beam, R = d->reserve, blank = d->m.vocab->blank;
    double *lo = d->lo, mx = -INFINITY, fl = -INFINITY;
    int32_t n = 0, nf = 0;

    for (int32_t b = 0; b < d->n_beams; b++) {
        const beam *bm = &d->beams[b];
        pnode *p = &d->node[bm->node];
        double x = -INFINITY;
        int32_t j;
        p->beam_at = d->frames;
        d->tot[b] = lse(bm->pb, bm->pnb);
        if (d->is_cand[blank])
            x = d->tot[b] + lp[blank];
        if (bm->node != 0 && d->is_cand[p->tok] && bm->pnb + lp[p->tok] > x)
            x = bm->pnb + lp[p->tok];
        if (x == -INFINITY)
            continue;
        x += p->ext;
        if (x > mx)
            mx = x;
        /* lo_fin[]: the same for accepting beams (the reserve). */
        if (p->fin && (nf < R || x > d->lo_fin[R - 1])) {
            j = nf < R ? nf++ : R - 1;
            for (; j > 0 && d->lo_fin[j - 1] < x; j--)
                d->lo_fin[j] = d->lo_fin[j - 1];
            d->lo_fin[j] = x;
        }
        /* lo[]: the largest bounds so far, descending. */
        if (n == B && !(x > lo[B - 1]))
            continue;
        j = n < B ? n++ : B - 1;
        for (; j > 0 && lo[j - 1] < x; j--)
            lo[j] = lo[j - 1];
        lo[j] = x;
    }
    if (n == B)
        fl = lo[B - 1];
    if (mx != -INFINITY && mx - d->o.beam_threshold > fl)
        fl = mx - d->o.beam_threshold;
    /* The reserve has no threshold: only its rank counts. */
    *low_fin = R && nf == R ? d->lo_fin[R - 1] : -INFINITY;
    return fl;
}

/* Whether a contribution @x to the entry of node @ch, which is not a beam
 * (so @x is its only one this frame), scores below @low and, for an
 * accepting node, below @low_fin too: such an entry would be dropped (by
 * the best `beam` and by the reserve), and skipping it changes nothing. */
static inline bool hopeless(const ctc_decoder *d, int32_t ch, double x,
                            double low, double low_fin)
{
    const pnode *p = &d->node[ch];
    double s;

    if (p->beam_at == d->frames)
        return false;
    s = x + p->ext;
    return s < low && !(p->fin && s >= low_fin);
}

static int step(ctc_decoder *d, const float *lp)
{
    const int32_t V = d->m.vocab->n, blank = d->m.vocab->blank;
    const int32_t delim = d->m.vocab->delim;
    int32_t nc = 0, best = 0;
    double low, low_fin;

    for (int32_t c = 1; c < V; c++)
        if (lp[c] > lp[best])
            best = c;
    for (int32_t c = 0; c < V; c++) {
        bool on = (lp[c] >= d->o.token_min_logp || c == best) &&
                  lp[c] != -INFINITY;
        d->is_cand[c] = on;
        if (on)
            d->cand[nc++] = c;
    }
    d->cur_stamp++;
    if (d->cur_stamp == 0) { /* wrapped: invalidate every stamp */
        memset(d->stamp, 0, (size_t)d->cap_nodes * sizeof *d->stamp);
        d->cur_stamp = 1;
    }
    d->n_next = 0;
    low = beam_floor(d, lp, &low_fin);
    for (int32_t b = 0; b < d->n_beams; b++) {
        const beam bm = d->beams[b];
        const double tot = d->tot[b];
        const int32_t last = bm.node != 0 ? d->node[bm.node].tok : NONE;
        const bool at_word_start = d->node[bm.node].plen == 0;
        const int32_t *try = d->cand;
        int32_t n_try = nc, *kids = NULL;
        if (d->kid_v && !(kids = node_kids(d, bm.node)))
            return WEFT_ENOMEM;
        if (d->closed && kids) {
            n_try = kids[d->kid_v];
            try = kids + d->kid_v + 1;
        } else if (d->closed) {
            n_try = closed_tokens(d, bm.node, last);
            try = d->toks;
        }
        for (int32_t i = 0; i < n_try; i++) {
            const int32_t c = try[i];
            double l;
            int32_t ch;
            if (!d->is_cand[c])
                continue;
            l = lp[c];
            if (c == blank) {
                if (acc(d, bm.node, tot + l, -INFINITY) < 0)
                    return WEFT_ENOMEM;
            } else if (c == delim && d->lookahead && at_word_start) {
                /* Strict grammar: a delimiter where no word has begun (at
                 * the start, or after a delimiter) is absorbed into the
                 * prefix, as it will be in the text, so that "a|b",
                 * "|a|b" and "a||b" are one hypothesis, not three taking
                 * places in the beam. */
                if (acc(d, bm.node, -INFINITY, tot + l) < 0)
                    return WEFT_ENOMEM;
            } else if (c == last) {
                if (acc(d, bm.node, -INFINITY, bm.pnb + l) < 0)
                    return WEFT_ENOMEM;
                if ((ch = child(d, kids, bm.node, c, (float)l)) == -2)
                    return WEFT_ENOMEM;
                if (ch >= 0 && bm.pb != -INFINITY &&
                    !hopeless(d, ch, bm.pb + l, low, low_fin) &&
                    acc(d, ch, -INFINITY, bm.pb + l) < 0)
                    return WEFT_ENOMEM;
            } else {
                if ((ch = child(d, kids, bm.node, c, (float)l)) == -2)
                    return WEFT_ENOMEM;
                if (ch >= 0 && !hopeless(d, ch, tot + l, low, low_fin) &&
                    acc(d, ch, -INFINITY, tot + l) < 0)
                    return WEFT_ENOMEM;
            }
        }
    }
    select_beams(d);
    d->frames++;
    return 0;
}

int ctc_decoder_feed(ctc_decoder *d, const float *logp, int64_t t,
                     int64_t stride, char *err, size_t errlen)
{
    const int32_t V = d->m.vocab->n;

    for (int64_t f = 0; f < t; f++) {
        const float *lp = logp + f * stride;
        int ret;
        for (int32_t c = 0; c < V; c++)
            if (isnan(lp[c]) || lp[c] == INFINITY) {
                snprintf(err, errlen, "frame %lld, token %d: log-probability "
                         "is %s", (long long)(d->frames), (int)c,
                         isnan(lp[c]) ? "NaN" : "+inf");
                return WEFT_EINVAL;
            }
        if ((ret = step(d, lp)) < 0) {
            snprintf(err, errlen, "out of memory");
            return ret;
        }
    }
    return 0;
}

/* ------------------------------------------------------------- results */

void ctc_result_clear(ctc_result *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->hyp[i].text);
        free(r->hyp[i].words);
    }
    free(r->hyp);
    memset(r, 0, sizeof *r);
}

/* Append one word spanning nodes [first..last] to @h. */
static int hyp_add_word(ctc_decoder *d, ctc_hyp *h, size_t *cap,
                        int32_t first, int32_t last)
{
    size_t len, tl = h->text ? strlen(h->text) : 0;
    char *t = word_text(d, first, last, &len), *nt;
    ctc_word *w;
    double sum = 0;
    int32_t n = 0;

    if (!t)
        return -1;
    if (!(nt = realloc(h->text, tl + len + 2)))
        return -1;
    h->text = nt;
    if (tl)
        nt[tl++] = ' ';
    memcpy(nt + tl, t, len);
    nt[tl + len] = 0;
    if (h->n_words == *cap) {
        size_t c2 = *cap ? *cap * 2 : 8;
        ctc_word *p = realloc(h->words, c2 * sizeof *p);
        if (!p)
            return -1;
        h->words = p;
        *cap = c2;
    }
    w = &h->words[h->n_words++];
    w->offset = (uint32_t)tl;
    w->length = (uint32_t)len;
    w->start = d->node[first].frame;
    w->end = d->node[last].frame + 1;
    for (int32_t k = last;; k = d->node[k].parent) {
        sum += d->node[k].tok_logp;
        n++;
        if (k == first)
            break;
    }
    w->conf = (float)exp(sum / n);
    return 0;
}

/* Fill @h with the words of node @ni (completed words, then the partial
 * one when @partial). */
static int make_hyp(ctc_decoder *d, int32_t ni, bool partial, ctc_hyp *h)
{
    int32_t n = 0, *stack, w;
    size_t cap = 0;
    const pnode *p = &d->node[ni];

    memset(h, 0, sizeof *h);
    for (w = p->word; w != NONE; w = d->wr[w].prev)
        n++;
    if (!(stack = malloc(((size_t)n + 1) * sizeof *stack)))
        return -1;
    for (w = p->word; w != NONE; w = d->wr[w].prev)
        stack[--n] = w;
    n = p->n_words;
    for (int32_t i = 0; i < n; i++)
        if (hyp_add_word(d, h, &cap, d->wr[stack[i]].first,
                         d->wr[stack[i]].last) < 0) {
            free(stack);
            return -1;
        }
    free(stack);
    if (partial && p->plen > 0 &&
        hyp_add_word(d, h, &cap, p->wstart, ni) < 0)
        return -1;
    if (!h->text && !(h->text = strdup("")))
        return -1;
    return 0;
}

int ctc_decoder_partial(ctc_decoder *d, ctc_result *r)
{
    memset(r, 0, sizeof *r);
    r->frames = d->frames;
    if (!d->n_beams)
        return 0;
    if (!(r->hyp = calloc(1, sizeof *r->hyp)))
        return WEFT_ENOMEM;
    r->n = 1;
    if (make_hyp(d, d->beams[0].node, true, &r->hyp[0]) < 0) {
        ctc_result_clear(r);
        return WEFT_ENOMEM;
    }
    r->hyp[0].am = lse(d->beams[0].pb, d->beams[0].pnb);
    r->hyp[0].lm = d->node[d->beams[0].node].ext;
    r->hyp[0].score = d->beams[0].score;
    return 0;
}

static int hyp_cmp(const void *x, const void *y)
{
    const ctc_hyp *a = x, *b = y;
    if (a->score != b->score)
        return a->score > b->score ? -1 : 1;
    return strcmp(a->text, b->text);
}

int ctc_decoder_finish(ctc_decoder *d, ctc_result *r)
{
    const ctc_model *m = &d->m;
    ctc_hyp *all = NULL;
    size_t n = 0, kept = 0;
    int ret = WEFT_ENOMEM;

    memset(r, 0, sizeof *r);
    r->frames = d->frames;
    if (d->n_beams && !(all = calloc((size_t)d->n_beams, sizeof *all)))
        goto out;
    for (int32_t b = 0; b < d->n_beams; b++) {
        int32_t ni = d->beams[b].node, lm_id = NONE, wr = NONE;
        pnode p = d->node[ni];
        double ext = p.ext;
        int32_t gs = p.gstate;
        ctc_hyp *h;

        if (p.plen > 0) {
            int ok = complete_word(d, &d->node[ni], &lm_id, &ext, &gs);
            if (ok < 0)
                goto out;
            if (!ok)
                continue;
            if ((wr = wrec_new(d)) < 0)
                goto out;
            d->wr[wr].prev = p.word;
            d->wr[wr].lm_id = lm_id;
            d->wr[wr].first = p.wstart;
            d->wr[wr].last = ni;
        } else {
            wr = p.word;
        }
        if (m->lm) {
            int32_t k = lm_context(d, wr);
            if (k < 0)
                goto out;
            ext += d->o.alpha * CTC_LN10 *
                   ctc_lm_score(m->lm, d->ctx, k, ctc_lm_eos(m->lm));
        }
        if (m->grammar && gs != NONE && !ctc_grammar_accepts(m->grammar, gs)) {
            if (isinf(d->o.oog_penalty))
                continue;
            ext += d->o.oog_penalty;
            gs = NONE;
        }
        ext -= p.hot_partial;
        h = &all[n];
        /* Build the text from a temporary node state holding the final
         * word record. */
        {
            pnode save = d->node[ni];
            d->node[ni].word = wr;
            d->node[ni].n_words = p.n_words + (p.plen > 0 ? 1 : 0);
            ret = make_hyp(d, ni, false, h);
            d->node[ni] = save;
            if (ret < 0) {
                ret = WEFT_ENOMEM;
                n++;
                goto out;
            }
        }
        n++;
        h->am = lse(d->beams[b].pb, d->beams[b].pnb);
        h->lm = ext;
        h->score = h->am + ext;
        h->in_grammar = m->grammar && gs != NONE;
        h->intent = h->in_grammar ? ctc_grammar_accepts(m->grammar, gs) : NULL;
    }
    /* Same text: keep the best. */
    for (size_t i = 0; i < n; i++) {
        bool dup = false;
        for (size_t j = 0; j < kept; j++)
            if (strcmp(all[j].text, all[i].text) == 0) {
                dup = true;
                if (all[i].score > all[j].score) {
                    ctc_hyp t = all[j];
                    all[j] = all[i];
                    all[i] = t;
                }
                break;
            }
        if (!dup && i != kept) {
            ctc_hyp t = all[kept];
            all[kept] = all[i];
            all[i] = t;
        }
        if (!dup)
            kept++;
    }
    if (kept)
        qsort(all, kept, sizeof *all, hyp_cmp);
    r->hyp = all;
    r->n = kept < (size_t)d->o.nbest ? kept : (size_t)d->o.nbest;
    for (size_t i = r->n; i < n; i++) {
        free(all[i].text);
        free(all[i].words);
    }
    all = NULL;
    ret = 0;
out:
    if (all) {
        for (size_t i = 0; i < n; i++) {
            free(all[i].text);
            free(all[i].words);
        }
        free(all);
    }
    ctc_decoder_reset(d);
    return ret;
}

/* ------------------------------------------------------------- greedy */

int64_t ctc_greedy(const float *logp, int64_t t, int64_t v, int64_t stride,
                   int32_t blank, int32_t *prev, int32_t *out,
                   int64_t *frames)
{
    int64_t n = 0;

    for (int64_t f = 0; f < t; f++) {
        const float *lp = logp + f * stride;
        int32_t best = 0;
        for (int32_t c = 1; c < v; c++)
            if (lp[c] > lp[best])
                best = c;
        if (best != blank && best != *prev) {
            out[n] = best;
            if (frames)
                frames[n] = f;
            n++;
        }
        *prev = best;
    }
    return n;
}

int ctc_tokens_to_hyp(const ctc_vocab *v, const int32_t *toks,
                      const int64_t *frames, const float *tok_logp, int64_t n,
                      ctc_hyp *h)
{
    size_t cap = 0, tlen = 0, wcap = 0;
    char *text = NULL;
    int64_t i = 0;

    memset(h, 0, sizeof *h);
    while (i < n) {
        int64_t j = i;
        double sum = 0;
        size_t wl = 0;
        while (i < n && toks[i] == v->delim)
            i++;
        if (i >= n)
            break;
        j = i;
        while (j < n && toks[j] != v->delim) {
            wl += v->len[toks[j]];
            sum += tok_logp ? tok_logp[j] : 0;
            j++;
        }
        if (tlen + wl + 2 > cap) {
            size_t nc = (tlen + wl + 2) * 2;
            char *p = realloc(text, nc);
            if (!p)
                goto nomem;
            text = p;
            cap = nc;
        }
        if (h->n_words == wcap) {
            size_t c2 = wcap ? wcap * 2 : 8;
            ctc_word *p = realloc(h->words, c2 * sizeof *p);
            if (!p)
                goto nomem;
            h->words = p;
            wcap = c2;
        }
        if (tlen)
            text[tlen++] = ' ';
        h->words[h->n_words].offset = (uint32_t)tlen;
        h->words[h->n_words].length = (uint32_t)wl;
        h->words[h->n_words].start = frames ? frames[i] : 0;
        h->words[h->n_words].end = frames ? frames[j - 1] + 1 : 0;
        h->words[h->n_words].conf = (float)exp(sum / (double)(j - i));
        h->n_words++;
        for (int64_t k = i; k < j; k++) {
            memcpy(text + tlen, v->tok[toks[k]], v->len[toks[k]]);
            tlen += v->len[toks[k]];
        }
        text[tlen] = 0;
        i = j;
    }
    if (!text && !(text = strdup("")))
        goto nomem;
    h->text = text;
    return 0;
nomem:
    free(text);
    free(h->words);
    memset(h, 0, sizeof *h);
    return WEFT_ENOMEM;
}

int ctc_log_softmax(float *x, int64_t t, int64_t v, char *err, size_t errlen)
{
    for (int64_t f = 0; f < t; f++) {
        float *r = x + f * v, mx = -INFINITY;
        double sum = 0, lz;
        for (int64_t c = 0; c < v; c++) {
            if (!isfinite(r[c]) && !(r[c] == -INFINITY)) {
                snprintf(err, errlen, "frame %lld, token %lld: logit is %s",
                         (long long)f, (long long)c,
                         isnan(r[c]) ? "NaN" : "+inf");
                return WEFT_EINVAL;
            }
            if (r[c] > mx)
                mx = r[c];
        }
        if (mx == -INFINITY) {
            snprintf(err, errlen, "frame %lld: every logit is -inf",
                     (long long)f);
            return WEFT_EINVAL;
        }
        for (int64_t c = 0; c < v; c++)
            sum += exp((double)r[c] - mx);
        lz = mx + log(sum);
        for (int64_t c = 0; c < v; c++)
            r[c] = (float)((double)r[c] - lz);
    }
    return 0;
}
