/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lexicon.c: a word list compiled to a trie over vocabulary tokens. The
 * search walks it one token at a time, so a node's edges are kept sorted
 * in two flat arrays (binary search, no pointers, one allocation each).
 */
#include "ctc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SPELL 256

/* Build-time trie: per node a growable edge list. */
typedef struct bnode {
    int32_t *tok, *to;
    uint32_t n, cap;
    int32_t word;
} bnode;

typedef struct builder {
    bnode *n;
    uint32_t n_nodes, cap;
    char **word;
    int32_t n_words, wcap;
} builder;

static int32_t b_new_node(builder *b)
{
    if (b->n_nodes == b->cap) {
        uint32_t nc = b->cap ? b->cap * 2 : 256;
        bnode *p = realloc(b->n, nc * sizeof *p);
        if (!p)
            return -1;
        b->n = p;
        b->cap = nc;
    }
    memset(&b->n[b->n_nodes], 0, sizeof b->n[0]);
    b->n[b->n_nodes].word = -1;
    return (int32_t)b->n_nodes++;
}

static int32_t b_child(builder *b, int32_t node, int32_t tok)
{
    bnode *p = &b->n[node];
    int32_t c;

    for (uint32_t i = 0; i < p->n; i++)
        if (p->tok[i] == tok)
            return p->to[i];
    if ((c = b_new_node(b)) < 0)
        return -1;
    p = &b->n[node]; /* b->n may have moved */
    if (p->n == p->cap) {
        uint32_t nc = p->cap ? p->cap * 2 : 4;
        int32_t *t = realloc(p->tok, nc * sizeof *t), *u;
        if (!t)
            return -1;
        p->tok = t;
        if (!(u = realloc(p->to, nc * sizeof *u)))
            return -1;
        p->to = u;
        p->cap = nc;
    }
    if (p->n >= 65535)
        return -1;
    p->tok[p->n] = tok;
    p->to[p->n++] = c;
    return c;
}

static int32_t b_word(builder *b, const char *w, size_t len)
{
    /* Words repeat only for alternative spellings, which sit next to each
     * other in real lexicons: look back a little, not everywhere. */
    for (int32_t i = b->n_words - 1; i >= 0 && i >= b->n_words - 8; i--)
        if (strlen(b->word[i]) == len && memcmp(b->word[i], w, len) == 0)
            return i;
    if (b->n_words == b->wcap) {
        int32_t nc = b->wcap ? b->wcap * 2 : 256;
        char **p = realloc(b->word, (size_t)nc * sizeof *p);
        if (!p)
            return -1;
        b->word = p;
        b->wcap = nc;
    }
    if (!(b->word[b->n_words] = strndup(w, len)))
        return -1;
    return b->n_words++;
}

/* Add a spelling of word @wid; 0 or WEFT_ENOMEM. */
static int b_add(builder *b, const int32_t *toks, int32_t n, int32_t wid)
{
    int32_t node = 0;

    for (int32_t i = 0; i < n; i++)
        if ((node = b_child(b, node, toks[i])) < 0)
            return WEFT_ENOMEM;
    if (b->n[node].word < 0)
        b->n[node].word = wid;
    return 0;
}

static int cmp_edge(const void *a, const void *b)
{
    const int32_t *x = a, *y = b;
    return (x[0] > y[0]) - (x[0] < y[0]);
}

static void b_free(builder *b)
{
    for (uint32_t i = 0; i < b->n_nodes; i++) {
        free(b->n[i].tok);
        free(b->n[i].to);
    }
    free(b->n);
    if (b->word)
        for (int32_t i = 0; i < b->n_words; i++)
            free(b->word[i]);
    free(b->word);
}

/* Flatten into @lx; takes the words from @b. */
static int b_finish(builder *b, ctc_lexicon **out)
{
    ctc_lexicon *lx = calloc(1, sizeof *lx);
    uint32_t ne = 0, k = 0;
    int32_t *pair = NULL;

    if (!lx)
        return WEFT_ENOMEM;
    for (uint32_t i = 0; i < b->n_nodes; i++)
        ne += b->n[i].n;
    lx->node = calloc(b->n_nodes, sizeof *lx->node);
    lx->edge_tok = malloc((ne + 1) * sizeof(int32_t));
    lx->edge_to = malloc((ne + 1) * sizeof(int32_t));
    pair = malloc(2 * (size_t)(65536) * sizeof(int32_t));
    if (!lx->node || !lx->edge_tok || !lx->edge_to || !pair) {
        free(pair);
        ctc_lexicon_free(lx);
        return WEFT_ENOMEM;
    }
    for (uint32_t i = 0; i < b->n_nodes; i++) {
        const bnode *p = &b->n[i];
        for (uint32_t e = 0; e < p->n; e++) {
            pair[2 * e] = p->tok[e];
            pair[2 * e + 1] = p->to[e];
        }
        qsort(pair, p->n, 2 * sizeof(int32_t), cmp_edge);
        lx->node[i].first = k;
        lx->node[i].n_edges = (uint16_t)p->n;
        lx->node[i].word = p->word;
        for (uint32_t e = 0; e < p->n; e++, k++) {
            lx->edge_tok[k] = pair[2 * e];
            lx->edge_to[k] = pair[2 * e + 1];
        }
    }
    free(pair);
    lx->n_nodes = b->n_nodes;
    lx->n_edges = ne;
    lx->word = b->word;
    lx->n_words = b->n_words;
    b->word = NULL;
    *out = lx;
    return 0;
}

void ctc_lexicon_free(ctc_lexicon *lx)
{
    if (!lx)
        return;
    for (int32_t i = 0; i < lx->n_words; i++)
        free(lx->word[i]);
    free(lx->word);
    free(lx->node);
    free(lx->edge_tok);
    free(lx->edge_to);
    free(lx);
}

int32_t ctc_trie_child(const ctc_lexicon *lx, int32_t node, int32_t tok)
{
    const ctc_trie_node *p = &lx->node[node];
    uint32_t lo = p->first, hi = p->first + p->n_edges;

    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (lx->edge_tok[mid] < tok)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < p->first + p->n_edges && lx->edge_tok[lo] == tok)
        return lx->edge_to[lo];
    return -1;
}

int32_t ctc_spell(const ctc_vocab *v, const char *word, int32_t *toks,
                  int32_t cap, size_t *bad_at)
{
    size_t pos = 0, len = strlen(word);
    int32_t n = 0;

    while (pos < len) {
        int32_t best = -1;
        uint32_t blen = 0;
        for (int32_t i = 0; i < v->n; i++) {
            if (i == v->blank || i == v->delim)
                continue;
            if (v->len[i] > blen && v->len[i] <= len - pos &&
                memcmp(word + pos, v->tok[i], v->len[i]) == 0) {
                best = i;
                blen = v->len[i];
            }
        }
        if (best < 0 || n == cap) {
            if (bad_at)
                *bad_at = pos;
            return -1;
        }
        toks[n++] = best;
        pos += blen;
    }
    return n;
}

int ctc_lexicon_from_words(const char *const *words, int32_t n,
                           const ctc_vocab *v, ctc_lexicon **out, char *err,
                           size_t errlen)
{
    builder b = { 0 };
    int32_t toks[MAX_SPELL];
    int ret = WEFT_ENOMEM;

    *out = NULL;
    if (b_new_node(&b) < 0)
        goto fail;
    for (int32_t i = 0; i < n; i++) {
        size_t bad = 0;
        int32_t k = ctc_spell(v, words[i], toks, MAX_SPELL, &bad), wid;
        if (k <= 0) {
            snprintf(err, errlen, "word '%s' cannot be spelled with the "
                     "tokens of %s (no token matches '%.8s')", words[i],
                     v->name, words[i] + bad);
            ret = WEFT_EINVAL;
            goto out;
        }
        if ((wid = b_word(&b, words[i], strlen(words[i]))) < 0 ||
            b_add(&b, toks, k, wid) < 0)
            goto fail;
    }
    if ((ret = b_finish(&b, out)) == 0)
        goto out;
fail:
    snprintf(err, errlen, "out of memory");
out:
    b_free(&b);
    return ret;
}

int ctc_lexicon_load(const char *path, const ctc_vocab *v, ctc_lexicon **out,
                     char *err, size_t errlen)
{
    builder b = { 0 };
    FILE *f;
    char *line = NULL;
    size_t lcap = 0;
    int32_t toks[MAX_SPELL], lineno = 0;
    int ret = 0;
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;

    *out = NULL;
    if (!(f = fopen(path, "rb"))) {
        snprintf(err, errlen, "%s: cannot open lexicon", path);
        return WEFT_EIO;
    }
    if (b_new_node(&b) < 0)
        goto nomem;
    while (getline(&line, &lcap, f) >= 0) {
        char *p = line, *w, *save = NULL, *t;
        int32_t k = 0, wid;
        lineno++;
        line[strcspn(line, "\r\n")] = 0;
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p || *p == '#')
            continue;
        w = strtok_r(p, " \t", &save);
        while ((t = strtok_r(NULL, " \t", &save))) {
            int32_t id = ctc_vocab_find(v, t, strlen(t));
            if (id < 0 || id == v->blank || id == v->delim) {
                snprintf(err, errlen, "%s:%d: word '%s' uses token '%s', %s",
                         base, (int)lineno, w, t,
                         id < 0 ? "which is not in the vocabulary"
                                : "which is the blank or the delimiter");
                ret = WEFT_EINVAL;
                goto out;
            }
            if (k == MAX_SPELL) {
                snprintf(err, errlen, "%s:%d: word '%s' has more than %d "
                         "tokens", base, (int)lineno, w, MAX_SPELL);
                ret = WEFT_ERANGE;
                goto out;
            }
            toks[k++] = id;
        }
        if (k == 0) {
            size_t bad = 0;
            k = ctc_spell(v, w, toks, MAX_SPELL, &bad);
            if (k <= 0) {
                snprintf(err, errlen, "%s:%d: word '%s' cannot be spelled: "
                         "no token of %s matches '%.8s'", base, (int)lineno,
                         w, v->name, w + bad);
                ret = WEFT_EINVAL;
                goto out;
            }
        }
        if ((wid = b_word(&b, w, strlen(w))) < 0 || b_add(&b, toks, k, wid) < 0)
            goto nomem;
    }
    if (b.n_words == 0) {
        snprintf(err, errlen, "%s: no words", base);
        ret = WEFT_EPARSE;
        goto out;
    }
    if ((ret = b_finish(&b, out)) == 0)
        goto out;
nomem:
    snprintf(err, errlen, "out of memory");
    ret = WEFT_ENOMEM;
out:
    free(line);
    fclose(f);
    b_free(&b);
    return ret;
}

int ctc_hot_build(const ctc_vocab *v, const char *const *phrases,
                  const float *weights, int32_t n, ctc_lexicon **out,
                  float **node_w, char *err, size_t errlen)
{
    builder b = { 0 };
    int32_t toks[MAX_SPELL];
    int ret = WEFT_ENOMEM;
    float *w = NULL;

    *out = NULL;
    *node_w = NULL;
    if (b_new_node(&b) < 0)
        goto fail;
    for (int32_t i = 0; i < n; i++) {
        const char *p = phrases[i];
        int32_t k = 0, wid;
        while (*p) {
            size_t len = strcspn(p, " "), bad = 0;
            char word[256];
            int32_t m;
            if (len == 0) {
                p++;
                continue;
            }
            if (len >= sizeof word) {
                snprintf(err, errlen, "hotword '%s': word too long", phrases[i]);
                ret = WEFT_ERANGE;
                goto out;
            }
            memcpy(word, p, len);
            word[len] = 0;
            if (k && v->delim >= 0 && k < MAX_SPELL)
                toks[k++] = v->delim;
            m = ctc_spell(v, word, toks + k, MAX_SPELL - k, &bad);
            if (m <= 0) {
                snprintf(err, errlen, "hotword '%s': no token of %s matches "
                         "'%.8s'", phrases[i], v->name, word + bad);
                ret = WEFT_EINVAL;
                goto out;
            }
            k += m;
            p += len;
        }
        if (k == 0) {
            snprintf(err, errlen, "empty hotword");
            ret = WEFT_EINVAL;
            goto out;
        }
        if ((wid = b_word(&b, phrases[i], strlen(phrases[i]))) < 0 ||
            b_add(&b, toks, k, wid) < 0)
            goto fail;
    }
    if ((ret = b_finish(&b, out)) < 0)
        goto fail;
    /* Each node's weight: the largest of the hotwords through it. */
    if (!(w = malloc((*out)->n_nodes * sizeof *w)))
        goto fail;
    for (uint32_t i = 0; i < (*out)->n_nodes; i++)
        w[i] = -INFINITY;
    for (int32_t i = 0; i < n; i++) {
        int32_t node = 0;
        const char *p = phrases[i];
        int32_t k = 0;
        while (*p) {
            size_t len = strcspn(p, " ");
            char word[256];
            if (len == 0) {
                p++;
                continue;
            }
            memcpy(word, p, len);
            word[len] = 0;
            if (k && v->delim >= 0)
                toks[k++] = v->delim;
            k += ctc_spell(v, word, toks + k, MAX_SPELL - k, NULL);
            p += len;
        }
        for (int32_t j = 0; j < k; j++) {
            node = ctc_trie_child(*out, node, toks[j]);
            if (weights[i] > w[node])
                w[node] = weights[i];
        }
    }
    *node_w = w;
    ret = 0;
    goto out;
fail:
    snprintf(err, errlen, "out of memory");
    ret = WEFT_ENOMEM;
    ctc_lexicon_free(*out);
    *out = NULL;
out:
    b_free(&b);
    return ret;
}
