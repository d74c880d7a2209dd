/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lm.c: word n-gram language model from an ARPA file, any order.
 *
 * Representation: one contiguous, position-independent image, the same in
 * memory and in the compiled cache file `<arpa>.wlm`, so that a cache is
 * simply memory-mapped (many processes then share its pages) and a fresh
 * parse builds the image in malloc'd memory:
 *
 *   header      magic, version, byte-order mark, what the image was built
 *               from (ARPA size, mtime, hash of its first/last 64 KiB),
 *               order, word count, <unk>/<s>/</s> ids, section table
 *   words       the vocabulary, NUL-terminated strings in id order, plus
 *               a uint32 offset per id and an open-addressing hash table
 *               (int32 ids) from text to id
 *   unigrams    {log10 p, log10 backoff} per word id
 *   n-grams     per order 2..N an open-addressing table of {64-bit key,
 *               p, backoff}. The key hashes the word ids newest first, so
 *               a query extends one hash as it looks further back. As in
 *               KenLM's probing model, the key is not verified against the
 *               words (a 64-bit collision is vanishingly rare and could
 *               only change a score, never memory safety).
 *
 * A cache file is as untrusted as the ARPA: ctc_lm_from_image checks the
 * header, every section's bounds and alignment, every string offset and
 * every id, and probing loops are bounded by the table size, so a corrupt
 * image fails cleanly and a full table cannot loop forever.
 *
 * Scores follow the ARPA backoff rule (what KenLM computes): p(w | h) is the
 * longest n-gram (h', w) with h' a suffix of h, times the backoff weights
 * of the longer suffixes of h that exist as n-grams.
 */
#include "ctc.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define LM_MAGIC "WEFTLM\0\1"
#define LM_VERSION 1u
#define LM_BOM 0x01020304u
#define LM_MAX_ORDER 64
#define LM_MAX_WORDS (1u << 30)
#define LM_HASH_SPAN 65536

typedef struct lm_header {
    char magic[8];
    uint32_t version, bom;
    uint64_t src_size;
    int64_t src_mtime;
    uint64_t src_hash;
    uint64_t total;
    uint32_t order, n_words;
    int32_t unk, bos, eos;
    uint32_t flags;           /* bit 0: <unk> was listed in the ARPA */
    uint64_t words_off, words_len;
    uint64_t woff_off;        /* uint32[n_words] */
    uint64_t whash_off;       /* int32[whash_cap] */
    uint64_t whash_cap;
    uint64_t uni_off;         /* lm_uni[n_words] */
    uint64_t tab_off;         /* lm_tab[order - 1] descriptors, orders 2..N */
} lm_header;

typedef struct lm_uni {
    float prob, backoff;
} lm_uni;

typedef struct lm_tab {
    uint64_t off, cap, count;
} lm_tab;

typedef struct lm_entry {
    uint64_t key;
    float prob, backoff;
} lm_entry;

struct ctc_lm {
    const uint8_t *img;
    size_t len;
    bool mapped; /* munmap, else free */
    const lm_header *h;
    const char *words;
    const uint32_t *woff;
    const int32_t *whash;
    const lm_uni *uni;
    const lm_tab *tab;
};

/* ------------------------------------------------------------- hashing */

static uint64_t str_hash(const char *s, size_t len)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < len; i++) {
        h ^= (uint8_t)s[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

static inline uint64_t key_step(uint64_t h, int32_t id)
{
    h ^= (uint64_t)(uint32_t)id + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h;
}

static inline uint64_t key_fix(uint64_t k)
{
    return k ? k : 1; /* 0 marks an empty slot */
}

static uint64_t file_hash(const uint8_t *p, size_t len)
{
    uint64_t h = str_hash((const char *)p, len < LM_HASH_SPAN ? len
                                                              : LM_HASH_SPAN);
    if (len > LM_HASH_SPAN)
        h ^= str_hash((const char *)p + len - LM_HASH_SPAN, LM_HASH_SPAN) * 31;
    return h;
}

/* ------------------------------------------------------------- queries */

int32_t ctc_lm_order(const ctc_lm *lm) { return (int32_t)lm->h->order; }
int32_t ctc_lm_n_words(const ctc_lm *lm) { return (int32_t)lm->h->n_words; }
int32_t ctc_lm_unk(const ctc_lm *lm) { return lm->h->unk; }
int32_t ctc_lm_bos(const ctc_lm *lm) { return lm->h->bos; }
int32_t ctc_lm_eos(const ctc_lm *lm) { return lm->h->eos; }

bool ctc_lm_known(const ctc_lm *lm, int32_t id)
{
    return id != lm->h->unk || (lm->h->flags & 1u);
}

int32_t ctc_lm_word(const ctc_lm *lm, const char *s, size_t len)
{
    uint64_t cap = lm->h->whash_cap, i = str_hash(s, len) & (cap - 1);

    for (uint64_t probe = 0; probe < cap; probe++, i = (i + 1) & (cap - 1)) {
        int32_t id = lm->whash[i];
        const char *w;
        if (id < 0)
            break;
        w = lm->words + lm->woff[id];
        if (strncmp(w, s, len) == 0 && w[len] == 0)
            return id;
    }
    return lm->h->unk;
}

static const lm_entry *tab_find(const ctc_lm *lm, uint32_t order,
                                uint64_t key)
{
    const lm_tab *t = &lm->tab[order - 2];
    const lm_entry *e = (const lm_entry *)(lm->img + t->off);
    uint64_t cap = t->cap, i = (key * 0x9e3779b97f4a7c15ull) >> 7;

    if (!cap)
        return NULL;
    i &= cap - 1;
    for (uint64_t probe = 0; probe < cap; probe++, i = (i + 1) & (cap - 1)) {
        if (e[i].key == key)
            return &e[i];
        if (e[i].key == 0)
            return NULL;
    }
    return NULL;
}

float ctc_lm_score(const ctc_lm *lm, const int32_t *ctx, int32_t n_ctx,
                   int32_t w)
{
    int32_t n = n_ctx, k, match = 0;
    uint64_t h;
    float prob, bo = 0;

    if (n > (int32_t)lm->h->order - 1)
        n = (int32_t)lm->h->order - 1;
    if (w < 0 || (uint32_t)w >= lm->h->n_words)
        w = lm->h->unk;
    prob = lm->uni[w].prob;
    /* Longest match: extend the key one older word at a time. */
    h = key_step(0, w);
    for (k = 1; k <= n; k++) {
        const lm_entry *e;
        h = key_step(h, ctx[n_ctx - k]);
        if (!(e = tab_find(lm, (uint32_t)k + 1, key_fix(h))))
            break;
        prob = e->prob;
        match = k;
    }
    /* Backoff weights of the contexts longer than the match. */
    for (k = match + 1; k <= n; k++) {
        int32_t c0 = ctx[n_ctx - 1];
        if (k == 1) {
            bo += lm->uni[c0 >= 0 && (uint32_t)c0 < lm->h->n_words ? c0
                                                                   : lm->h->unk]
                      .backoff;
        } else {
            const lm_entry *e;
            h = key_step(0, c0);
            for (int32_t j = 2; j <= k; j++)
                h = key_step(h, ctx[n_ctx - j]);
            if ((e = tab_find(lm, (uint32_t)k, key_fix(h))))
                bo += e->backoff;
        }
    }
    return prob + bo;
}

double ctc_lm_sentence(const ctc_lm *lm, const char *s)
{
    int32_t *ctx = NULL, n = 0, cap = 0;
    double total = 0;
    const char *p = s;

    if (!(ctx = malloc(16 * sizeof *ctx)))
        return NAN;
    cap = 16;
    ctx[n++] = lm->h->bos;
    for (;;) {
        size_t len;
        int32_t w;
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            break;
        len = strcspn(p, " \t");
        w = ctc_lm_word(lm, p, len);
        total += ctc_lm_score(lm, ctx, n, w);
        if (n == cap) {
            int32_t *nc = realloc(ctx, (size_t)cap * 2 * sizeof *nc);
            if (!nc) {
                free(ctx);
                return NAN;
            }
            ctx = nc;
            cap *= 2;
        }
        ctx[n++] = w;
        p += len;
    }
    total += ctc_lm_score(lm, ctx, n, lm->h->eos);
    free(ctx);
    return total;
}

/* ------------------------------------------------------------- images */

void ctc_lm_free(ctc_lm *lm)
{
    if (!lm)
        return;
    if (lm->mapped)
        munmap((void *)lm->img, lm->len);
    else
        free((void *)lm->img);
    free(lm);
}

static bool span_ok(uint64_t off, uint64_t len, uint64_t total)
{
    return off <= total && len <= total - off && (off & 7) == 0;
}

/* Validate @img and wrap it; takes @img (mapped or malloc'd) on success. */
static int lm_wrap(const void *img, size_t len, bool mapped, const char *name,
                   ctc_lm **out, char *err, size_t errlen)
{
    const lm_header *h = img;
    ctc_lm *lm;
    const uint8_t *b = img;

    *out = NULL;
#define BAD(...)                                                  \
    do {                                                          \
        int n_ = snprintf(err, errlen, "%s: ", name);             \
        if (n_ >= 0 && (size_t)n_ < errlen)                       \
            snprintf(err + n_, errlen - (size_t)n_, __VA_ARGS__); \
        return WEFT_EPARSE;                                       \
    } while (0)
    if (len < sizeof *h || memcmp(h->magic, LM_MAGIC, 8) != 0)
        BAD("not a compiled LM image (bad magic)");
    if (h->version != LM_VERSION || h->bom != LM_BOM)
        BAD("compiled LM version %u or byte order unsupported", h->version);
    if (h->total != len)
        BAD("compiled LM size %llu, file has %zu bytes",
            (unsigned long long)h->total, len);
    if (h->order < 1 || h->order > LM_MAX_ORDER || h->n_words < 3 ||
        h->n_words > LM_MAX_WORDS)
        BAD("bad order %u or word count %u", h->order, h->n_words);
    if (h->unk < 0 || h->bos < 0 || h->eos < 0 ||
        (uint32_t)h->unk >= h->n_words || (uint32_t)h->bos >= h->n_words ||
        (uint32_t)h->eos >= h->n_words)
        BAD("special word id out of range");
    if (!span_ok(h->words_off, h->words_len, len) || h->words_len == 0 ||
        b[h->words_off + h->words_len - 1] != 0)
        BAD("word section out of bounds");
    if (!span_ok(h->woff_off, (uint64_t)h->n_words * 4, len) ||
        h->whash_cap < 2 || (h->whash_cap & (h->whash_cap - 1)) ||
        h->whash_cap <= h->n_words || h->whash_cap > (1ull << 32) ||
        !span_ok(h->whash_off, h->whash_cap * 4, len) ||
        !span_ok(h->uni_off, (uint64_t)h->n_words * sizeof(lm_uni), len) ||
        !span_ok(h->tab_off, (uint64_t)(h->order - 1) * sizeof(lm_tab), len))
        BAD("section out of bounds");
    {
        const uint32_t *woff = (const uint32_t *)(b + h->woff_off);
        const int32_t *wh = (const int32_t *)(b + h->whash_off);
        const lm_tab *t = (const lm_tab *)(b + h->tab_off);
        for (uint32_t i = 0; i < h->n_words; i++)
            if (woff[i] >= h->words_len)
                BAD("word %u offset out of bounds", i);
        for (uint64_t i = 0; i < h->whash_cap; i++)
            if (wh[i] < -1 || wh[i] >= (int32_t)h->n_words)
                BAD("word table entry out of range");
        for (uint32_t o = 0; o + 1 < h->order; o++) {
            if (t[o].cap && ((t[o].cap & (t[o].cap - 1)) ||
                             t[o].count >= t[o].cap ||
                             t[o].cap > (1ull << 40) ||
                             !span_ok(t[o].off, t[o].cap * sizeof(lm_entry),
                                      len)))
                BAD("%u-gram table out of bounds", o + 2);
        }
    }
#undef BAD
    if (!(lm = calloc(1, sizeof *lm))) {
        snprintf(err, errlen, "out of memory");
        return WEFT_ENOMEM;
    }
    lm->img = img;
    lm->len = len;
    lm->mapped = mapped;
    lm->h = h;
    lm->words = (const char *)(b + h->words_off);
    lm->woff = (const uint32_t *)(b + h->woff_off);
    lm->whash = (const int32_t *)(b + h->whash_off);
    lm->uni = (const lm_uni *)(b + h->uni_off);
    lm->tab = (const lm_tab *)(b + h->tab_off);
    *out = lm;
    return 0;
}

int ctc_lm_from_image(const void *img, size_t len, const char *name,
                      ctc_lm **out, char *err, size_t errlen)
{
    void *copy = malloc(len ? len : 1);
    int ret;

    if (!copy) {
        snprintf(err, errlen, "out of memory");
        return WEFT_ENOMEM;
    }
    memcpy(copy, img, len);
    if ((ret = lm_wrap(copy, len, false, name, out, err, errlen)) < 0)
        free(copy);
    return ret;
}

int ctc_lm_image(const ctc_lm *lm, uint64_t src_size, int64_t src_mtime,
                 uint64_t src_hash, void **img, size_t *len)
{
    lm_header *h;

    if (!(*img = malloc(lm->len)))
        return WEFT_ENOMEM;
    memcpy(*img, lm->img, lm->len);
    h = *img;
    h->src_size = src_size;
    h->src_mtime = src_mtime;
    h->src_hash = src_hash;
    *len = lm->len;
    return 0;
}

/* ------------------------------------------------------------- parsing */

typedef struct gram {
    int32_t *ids; /* order ids per n-gram, oldest first */
    float *prob, *bo;
    uint64_t n, want;
} gram;

typedef struct parser {
    const char *p, *end, *name;
    int64_t line;
    char *err;
    size_t errlen;
} parser;

static int perr(parser *ps, const char *fmt, const char *arg)
{
    int n = snprintf(ps->err, ps->errlen, "%s:%lld: ", ps->name,
                     (long long)ps->line);
    if (n >= 0 && (size_t)n < ps->errlen)
        snprintf(ps->err + n, ps->errlen - (size_t)n, fmt, arg);
    return WEFT_EPARSE;
}

/* Next line into [*s, *e), without its end; false at end of input. */
static bool next_line(parser *ps, const char **s, const char **e)
{
    const char *nl;

    if (ps->p >= ps->end)
        return false;
    ps->line++;
    nl = memchr(ps->p, '\n', (size_t)(ps->end - ps->p));
    *s = ps->p;
    *e = nl ? nl : ps->end;
    ps->p = nl ? nl + 1 : ps->end;
    while (*e > *s && ((*e)[-1] == '\r' || (*e)[-1] == ' ' || (*e)[-1] == '\t'))
        (*e)--;
    while (*s < *e && (**s == ' ' || **s == '\t'))
        (*s)++;
    return true;
}

static bool line_is(const char *s, const char *e, const char *lit)
{
    size_t n = strlen(lit);
    return (size_t)(e - s) == n && memcmp(s, lit, n) == 0;
}

/* Parse a float field; accepts what ARPA writers produce (and -inf). */
static bool parse_float(const char *s, const char *e, float *out)
{
    char buf[64];
    char *end;
    double v;

    if (e - s <= 0 || e - s >= (long)sizeof buf)
        return false;
    memcpy(buf, s, (size_t)(e - s));
    buf[e - s] = 0;
    errno = 0;
    v = strtod(buf, &end);
    if (*end || isnan(v) || v > 0 || (isinf(v) && v > 0))
        return false;
    /* kenlm maps -inf to its "log 0" stand-in, -100; so do we. */
    *out = isinf(v) ? -100.0f : (float)v;
    return true;
}

/* Vocabulary under construction: strings and a hash table. */
typedef struct vbuild {
    char *blob;
    uint64_t blen, bcap;
    uint32_t *woff;
    uint32_t n, cap;
    int32_t *hash;
    uint64_t hcap;
} vbuild;

static int32_t vb_find(const vbuild *v, const char *s, size_t len)
{
    uint64_t i = str_hash(s, len) & (v->hcap - 1);
    for (;; i = (i + 1) & (v->hcap - 1)) {
        int32_t id = v->hash[i];
        const char *w;
        if (id < 0)
            return -1;
        w = v->blob + v->woff[id];
        if (strncmp(w, s, len) == 0 && w[len] == 0)
            return id;
    }
}

static int32_t vb_add(vbuild *v, const char *s, size_t len)
{
    uint64_t i;

    if (v->blen + len + 1 > v->bcap) {
        uint64_t nc = (v->bcap + len + 1) * 2;
        char *p = realloc(v->blob, nc);
        if (!p)
            return -1;
        v->blob = p;
        v->bcap = nc;
    }
    if (v->n == v->cap) {
        uint32_t nc = v->cap ? v->cap * 2 : 1024;
        uint32_t *p = realloc(v->woff, nc * sizeof *p);
        if (!p)
            return -1;
        v->woff = p;
        v->cap = nc;
    }
    memcpy(v->blob + v->blen, s, len);
    v->blob[v->blen + len] = 0;
    v->woff[v->n] = (uint32_t)v->blen;
    v->blen += len + 1;
    i = str_hash(s, len) & (v->hcap - 1);
    while (v->hash[i] >= 0)
        i = (i + 1) & (v->hcap - 1);
    v->hash[i] = (int32_t)v->n;
    return (int32_t)v->n++;
}

static uint64_t pow2_above(uint64_t n)
{
    uint64_t c = 2;
    while (c <= n)
        c *= 2;
    return c;
}

static uint64_t align8(uint64_t x)
{
    return (x + 7) & ~(uint64_t)7;
}

/* Lay out the image from the parsed vocabulary and n-grams. */
static int build_image(vbuild *v, gram *g, uint32_t order, bool unk_listed,
                       int32_t unk, int32_t bos, int32_t eos, void **img_out,
                       size_t *len_out)
{
    lm_header *h;
    uint8_t *img;
    uint64_t off, whcap = pow2_above((uint64_t)v->n * 2);
    lm_tab tabs[LM_MAX_ORDER];
    uint64_t total;

    off = align8(sizeof(lm_header));
    uint64_t words_off = off;
    off = align8(off + v->blen);
    uint64_t woff_off = off;
    off = align8(off + (uint64_t)v->n * 4);
    uint64_t whash_off = off;
    off = align8(off + whcap * 4);
    uint64_t uni_off = off;
    off = align8(off + (uint64_t)v->n * sizeof(lm_uni));
    uint64_t tab_off = off;
    off = align8(off + (uint64_t)(order - 1) * sizeof(lm_tab));
    for (uint32_t o = 2; o <= order; o++) {
        lm_tab *t = &tabs[o - 2];
        t->count = g[o - 1].n;
        t->cap = t->count ? pow2_above(t->count + t->count / 2) : 0;
        t->off = off;
        off = align8(off + t->cap * sizeof(lm_entry));
    }
    total = off;
    if (!(img = calloc(1, total)))
        return WEFT_ENOMEM;
    h = (lm_header *)img;
    memcpy(h->magic, LM_MAGIC, 8);
    h->version = LM_VERSION;
    h->bom = LM_BOM;
    h->total = total;
    h->order = order;
    h->n_words = v->n;
    h->unk = unk;
    h->bos = bos;
    h->eos = eos;
    h->flags = unk_listed ? 1u : 0u;
    h->words_off = words_off;
    h->words_len = v->blen;
    h->woff_off = woff_off;
    h->whash_off = whash_off;
    h->whash_cap = whcap;
    h->uni_off = uni_off;
    h->tab_off = tab_off;
    memcpy(img + words_off, v->blob, v->blen);
    memcpy(img + woff_off, v->woff, (size_t)v->n * 4);
    {
        int32_t *wh = (int32_t *)(img + whash_off);
        lm_uni *u = (lm_uni *)(img + uni_off);
        for (uint64_t i = 0; i < whcap; i++)
            wh[i] = -1;
        for (uint32_t id = 0; id < v->n; id++) {
            const char *w = v->blob + v->woff[id];
            uint64_t i = str_hash(w, strlen(w)) & (whcap - 1);
            while (wh[i] >= 0)
                i = (i + 1) & (whcap - 1);
            wh[i] = (int32_t)id;
            u[id].prob = -100.0f;
            u[id].backoff = 0;
        }
        for (uint64_t i = 0; i < g[0].n; i++) {
            u[g[0].ids[i]].prob = g[0].prob[i];
            u[g[0].ids[i]].backoff = g[0].bo[i];
        }
        if (bos >= 0 && g[0].n && u[bos].prob == -100.0f)
            u[bos].prob = -99.0f;
    }
    memcpy(img + tab_off, tabs, (size_t)(order - 1) * sizeof(lm_tab));
    for (uint32_t o = 2; o <= order; o++) {
        const lm_tab *t = &tabs[o - 2];
        lm_entry *e = (lm_entry *)(img + t->off);
        const gram *gg = &g[o - 1];
        for (uint64_t i = 0; i < gg->n; i++) {
            const int32_t *ids = gg->ids + i * o;
            uint64_t k = 0, s;
            for (int32_t j = (int32_t)o - 1; j >= 0; j--)
                k = key_step(k, ids[j]);
            k = key_fix(k);
            s = ((k * 0x9e3779b97f4a7c15ull) >> 7) & (t->cap - 1);
            while (e[s].key && e[s].key != k)
                s = (s + 1) & (t->cap - 1);
            e[s].key = k;
            e[s].prob = gg->prob[i];
            e[s].backoff = gg->bo[i];
        }
    }
    *img_out = img;
    *len_out = (size_t)total;
    return 0;
}

int ctc_lm_parse(const char *text, size_t len, const char *name,
                 ctc_lm **out, char *err, size_t errlen)
{
    parser ps = { text, text + len, name, 0, err, errlen };
    const char *s, *e;
    gram g[LM_MAX_ORDER];
    vbuild v = { 0 };
    uint32_t order = 0, cur = 0;
    int ret = 0;
    bool unk_listed, ended = false;
    int32_t unk, bos, eos;
    void *img = NULL;
    size_t ilen = 0;
    uint64_t total_want = 0;

    memset(g, 0, sizeof g);
    *out = NULL;
    /* Anything before \data\ is a free-form header (SRILM, kenlm write
     * comments there). */
    for (;;) {
        if (!next_line(&ps, &s, &e)) {
            snprintf(err, errlen, "%s: no \\data\\ section", name);
            return WEFT_EPARSE;
        }
        if (line_is(s, e, "\\data\\"))
            break;
    }
    while (next_line(&ps, &s, &e)) {
        unsigned long long cnt;
        unsigned o;
        char buf[96];
        int used = 0;
        if (s == e)
            continue;
        if ((size_t)(e - s) >= sizeof buf || e - s < 6 ||
            memcmp(s, "ngram ", 6) != 0) {
            ps.p = s; /* reread as a section header */
            ps.line--;
            break;
        }
        memcpy(buf, s, (size_t)(e - s));
        buf[e - s] = 0;
        if (sscanf(buf, "ngram %u=%llu%n", &o, &cnt, &used) != 2 ||
            buf[used] != 0)
            return perr(&ps, "expected 'ngram N=COUNT'%s", "");
        if (o != order + 1 || o > LM_MAX_ORDER)
            return perr(&ps, "n-gram orders must be 1, 2, ... in order (at "
                        "most 64)%s", "");
        if (cnt > (1ull << 36) || cnt > (uint64_t)len)
            return perr(&ps, "n-gram count too large for the file%s", "");
        g[order].want = cnt;
        total_want += cnt;
        order = o;
    }
    if (order == 0)
        return perr(&ps, "\\data\\ lists no 'ngram N=COUNT' line%s", "");
    if (g[0].want == 0)
        return perr(&ps, "the LM has no unigrams%s", "");
    for (uint32_t o = 0; o < order; o++) {
        g[o].ids = malloc((size_t)(g[o].want ? g[o].want : 1) * (o + 1) *
                          sizeof(int32_t));
        g[o].prob = malloc((size_t)(g[o].want ? g[o].want : 1) * sizeof(float));
        g[o].bo = malloc((size_t)(g[o].want ? g[o].want : 1) * sizeof(float));
        if (!g[o].ids || !g[o].prob || !g[o].bo)
            goto nomem;
    }
    v.hcap = pow2_above((g[0].want + 3) * 2);
    if (!(v.hash = malloc(v.hcap * sizeof *v.hash)))
        goto nomem;
    memset(v.hash, 0xff, v.hcap * sizeof *v.hash);

    while (next_line(&ps, &s, &e)) {
        const char *f[LM_MAX_ORDER + 2][2];
        int nf = 0;
        unsigned o;
        gram *gg;
        if (s == e)
            continue;
        if (*s == '\\') {
            char buf[32];
            int used = 0;
            if (cur && g[cur - 1].n != g[cur - 1].want) {
                char m[96];
                snprintf(m, sizeof m, "\\data\\ announced %llu %u-grams, "
                         "found %llu", (unsigned long long)g[cur - 1].want,
                         cur, (unsigned long long)g[cur - 1].n);
                ret = perr(&ps, "%s", m);
                goto out;
            }
            if (line_is(s, e, "\\end\\")) {
                ended = true;
                break;
            }
            if (e - s >= (long)sizeof buf ||
                (memcpy(buf, s, (size_t)(e - s)), buf[e - s] = 0,
                 sscanf(buf, "\\%u-grams:%n", &o, &used) != 1) ||
                buf[used] != 0) {
                ret = perr(&ps, "expected a '\\N-grams:' section or "
                           "'\\end\\'%s", "");
                goto out;
            }
            if (o != cur + 1 || o > order) {
                ret = perr(&ps, "unexpected section (orders must follow "
                           "1..%s announced in \\data\\)",
                           order == 1 ? "1" : "N");
                goto out;
            }
            cur = o;
            continue;
        }
        if (!cur) {
            ret = perr(&ps, "n-gram line before any '\\N-grams:' section%s",
                       "");
            goto out;
        }
        /* Fields: prob w1 .. wN [backoff], split on spaces and tabs. */
        for (const char *q = s; q < e && nf < LM_MAX_ORDER + 2;) {
            const char *t = q;
            while (t < e && *t != ' ' && *t != '\t')
                t++;
            f[nf][0] = q;
            f[nf][1] = t;
            nf++;
            while (t < e && (*t == ' ' || *t == '\t'))
                t++;
            q = t;
        }
        if (nf != (int)cur + 1 && nf != (int)cur + 2) {
            char m[64];
            snprintf(m, sizeof m, "expected %u or %u fields in a %u-gram, "
                     "found %d", cur + 1, cur + 2, cur, nf);
            ret = perr(&ps, "%s", m);
            goto out;
        }
        if (nf == (int)cur + 2 && cur == order) {
            ret = perr(&ps, "a highest-order n-gram has no backoff weight%s",
                       "");
            goto out;
        }
        gg = &g[cur - 1];
        if (gg->n == gg->want) {
            char m[96];
            snprintf(m, sizeof m, "more %u-grams than the %llu announced in "
                     "\\data\\", cur, (unsigned long long)gg->want);
            ret = perr(&ps, "%s", m);
            goto out;
        }
        if (!parse_float(f[0][0], f[0][1], &gg->prob[gg->n])) {
            ret = perr(&ps, "bad log10 probability '%s' (want a number <= 0)",
                       "");
            goto out;
        }
        gg->bo[gg->n] = 0;
        if (nf == (int)cur + 2) {
            char buf[64];
            char *end;
            double b;
            size_t bl = (size_t)(f[nf - 1][1] - f[nf - 1][0]);
            if (bl >= sizeof buf) {
                ret = perr(&ps, "bad backoff weight%s", "");
                goto out;
            }
            memcpy(buf, f[nf - 1][0], bl);
            buf[bl] = 0;
            b = strtod(buf, &end);
            if (*end || !isfinite(b)) {
                ret = perr(&ps, "bad backoff weight '%s'", buf);
                goto out;
            }
            gg->bo[gg->n] = (float)b;
        }
        for (unsigned k = 0; k < cur; k++) {
            const char *w = f[1 + k][0];
            size_t wl = (size_t)(f[1 + k][1] - w);
            int32_t id = memchr(w, 0, wl) ? -2 : vb_find(&v, w, wl);
            if (id == -2) {
                ret = perr(&ps, "NUL byte in a word%s", "");
                goto out;
            }
            if (cur == 1) {
                if (id >= 0) {
                    char m[96];
                    snprintf(m, sizeof m, "unigram '%.*s' repeats",
                             (int)(wl > 60 ? 60 : wl), w);
                    ret = perr(&ps, "%s", m);
                    goto out;
                }
                if ((id = vb_add(&v, w, wl)) < 0)
                    goto nomem;
            } else if (id < 0) {
                char m[96];
                snprintf(m, sizeof m, "word '%.*s' is not a unigram",
                         (int)(wl > 60 ? 60 : wl), w);
                ret = perr(&ps, "%s", m);
                goto out;
            }
            gg->ids[gg->n * cur + k] = id;
        }
        gg->n++;
    }
    if (!ended) {
        ps.line++;
        ret = perr(&ps, "missing \\end\\ (file truncated?)%s", "");
        goto out;
    }
    /* <unk>, <s> and </s> always exist: kenlm substitutes log10 p = -100
     * for a missing <unk> or </s>, and <s> is only ever a context. */
    unk_listed = vb_find(&v, "<unk>", 5) >= 0;
    if (v.n + 3 >= v.hcap / 2) {
        ret = perr(&ps, "internal: vocabulary table full%s", "");
        goto out;
    }
    if ((unk = vb_find(&v, "<unk>", 5)) < 0 && (unk = vb_add(&v, "<unk>", 5)) < 0)
        goto nomem;
    if ((bos = vb_find(&v, "<s>", 3)) < 0 && (bos = vb_add(&v, "<s>", 3)) < 0)
        goto nomem;
    if ((eos = vb_find(&v, "</s>", 4)) < 0 && (eos = vb_add(&v, "</s>", 4)) < 0)
        goto nomem;
    /* Duplicates in higher orders would silently shadow each other. */
    if ((ret = build_image(&v, g, order, unk_listed, unk, bos, eos, &img,
                           &ilen)) < 0)
        goto nomem;
    ret = lm_wrap(img, ilen, false, name, out, err, errlen);
    if (ret < 0)
        free(img);
    goto out;
nomem:
    snprintf(err, errlen, "%s: out of memory", name);
    ret = WEFT_ENOMEM;
out:
    for (uint32_t o = 0; o < LM_MAX_ORDER; o++) {
        free(g[o].ids);
        free(g[o].prob);
        free(g[o].bo);
    }
    free(v.blob);
    free(v.woff);
    free(v.hash);
    return ret;
}

/* ------------------------------------------------------------- files */

static int write_cache(const char *cpath, const void *img, size_t len)
{
    size_t pl = strlen(cpath);
    char *tmp = malloc(pl + 16);
    int fd, ret = -1;

    if (!tmp)
        return -1;
    snprintf(tmp, pl + 16, "%s.tmpXXXXXX", cpath);
    if ((fd = mkstemp(tmp)) < 0) {
        free(tmp);
        return -1;
    }
    {
        const uint8_t *p = img;
        size_t left = len;
        while (left) {
            ssize_t w = write(fd, p, left);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                goto done;
            p += w;
            left -= (size_t)w;
        }
    }
    if (fsync(fd) == 0 && close(fd) == 0) {
        fd = -1;
        if (rename(tmp, cpath) == 0)
            ret = 0;
    }
done:
    if (fd >= 0)
        close(fd);
    if (ret < 0)
        unlink(tmp);
    free(tmp);
    return ret;
}

int ctc_lm_load(const char *path, bool use_cache, ctc_lm **out,
                int *cache_state, char *err, size_t errlen)
{
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    struct stat st;
    int fd, ret;
    void *map = NULL;
    char *cpath = NULL;
    int64_t mtime;
    uint64_t fh;

    *out = NULL;
    if (cache_state)
        *cache_state = 0;
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) < 0) {
        snprintf(err, errlen, "%s: cannot open ARPA file: %s", path,
                 strerror(errno));
        if (fd >= 0)
            close(fd);
        return WEFT_EIO;
    }
    if (st.st_size == 0 ||
        (map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd,
                    0)) == MAP_FAILED) {
        snprintf(err, errlen, "%s: %s", path,
                 st.st_size == 0 ? "empty ARPA file" : strerror(errno));
        close(fd);
        return st.st_size == 0 ? WEFT_EPARSE : WEFT_EIO;
    }
    close(fd);
    mtime = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
    fh = file_hash(map, (size_t)st.st_size);
    if (use_cache && (cpath = malloc(strlen(path) + 5))) {
        struct stat cs;
        int cfd;
        sprintf(cpath, "%s.wlm", path);
        if ((cfd = open(cpath, O_RDONLY | O_CLOEXEC)) >= 0) {
            if (fstat(cfd, &cs) == 0 && (size_t)cs.st_size >= sizeof(lm_header)) {
                void *cm = mmap(NULL, (size_t)cs.st_size, PROT_READ,
                                MAP_SHARED, cfd, 0);
                if (cm != MAP_FAILED) {
                    const lm_header *h = cm;
                    char cerr[CTC_ERRLEN];
                    if (memcmp(h->magic, LM_MAGIC, 8) == 0 &&
                        h->src_size == (uint64_t)st.st_size &&
                        h->src_mtime == mtime && h->src_hash == fh &&
                        lm_wrap(cm, (size_t)cs.st_size, true, cpath, out,
                                cerr, sizeof cerr) == 0) {
                        close(cfd);
                        munmap(map, (size_t)st.st_size);
                        free(cpath);
                        if (cache_state)
                            *cache_state = 1;
                        return 0;
                    }
                    munmap(cm, (size_t)cs.st_size);
                }
            }
            close(cfd);
        }
    }
    ret = ctc_lm_parse(map, (size_t)st.st_size, base, out, err, errlen);
    munmap(map, (size_t)st.st_size);
    if (ret == 0 && cpath) {
        lm_header *h = (lm_header *)(*out)->img;
        h->src_size = (uint64_t)st.st_size;
        h->src_mtime = mtime;
        h->src_hash = fh;
        if (write_cache(cpath, (*out)->img, (*out)->len) == 0 && cache_state)
            *cache_state = 2;
    }
    free(cpath);
    return ret;
}
