/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* BERT WordPiece tokenization; see wordpiece.h. */
#include "config.h"

#include "wordpiece.h"

#include <weft/common.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

/* Hugging Face's WordPiece default: longer words are [UNK] at once. */
#define MAX_WORD_CHARS 100

struct text_vocab {
    char *blob;        /* the file, lines NUL-terminated in place */
    const char **tok;  /* id -> token */
    uint32_t *tok_len;
    size_t n;
    int32_t *slots;    /* open addressing, -1 empty */
    size_t mask;
    int32_t unk, cls, sep, pad;
};

static uint64_t hash(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

int32_t text_vocab_find(const text_vocab *v, const char *s, size_t n)
{
    for (size_t i = hash(s, n) & v->mask;; i = (i + 1) & v->mask) {
        int32_t id = v->slots[i];
        if (id < 0)
            return -1;
        if (v->tok_len[id] == n && !memcmp(v->tok[id], s, n))
            return id;
    }
}

static int errf(char *err, size_t cap, int code, const char *fmt, ...)
    WEFT_PRINTF(4, 5);

static int errf(char *err, size_t cap, int code, const char *fmt, ...)
{
    va_list ap;

    if (err && cap) {
        va_start(ap, fmt);
        vsnprintf(err, cap, fmt, ap);
        va_end(ap);
    }
    return code;
}

int text_vocab_load(const char *path, text_vocab **out, char *err,
                    size_t cap)
{
    text_vocab *v = NULL;
    FILE *f = NULL;
    long size;
    size_t nlines = 0, slots = 16;
    int ret = 0;

    *out = NULL;
    if (!(f = fopen(path, "rbe")))
        return errf(err, cap, errno == ENOENT ? WEFT_ENOENT : WEFT_EIO,
                    "%s: cannot open: %s", path, strerror(errno));
    if (!(v = calloc(1, sizeof *v))) {
        ret = errf(err, cap, WEFT_ENOMEM, "%s: out of memory", path);
        goto fail;
    }
    if (fseek(f, 0, SEEK_END) < 0 || (size = ftell(f)) < 0 ||
        fseek(f, 0, SEEK_SET) < 0 || size > (1L << 28)) {
        ret = errf(err, cap, WEFT_EIO, "%s: cannot read (or too large)",
                   path);
        goto fail;
    }
    if (!(v->blob = malloc((size_t)size + 1))) {
        ret = errf(err, cap, WEFT_ENOMEM, "%s: out of memory", path);
        goto fail;
    }
    if (fread(v->blob, 1, (size_t)size, f) != (size_t)size) {
        ret = errf(err, cap, WEFT_EIO, "%s: read error", path);
        goto fail;
    }
    v->blob[size] = '\0';
    for (long i = 0; i < size; i++)
        nlines += v->blob[i] == '\n';
    if (size && v->blob[size - 1] != '\n')
        nlines++;
    if (!nlines || nlines > INT32_MAX / 2) {
        ret = errf(err, cap, WEFT_EPARSE, "%s: empty vocabulary", path);
        goto fail;
    }
    while (slots < nlines * 2)
        slots *= 2;
    v->tok = calloc(nlines, sizeof *v->tok);
    v->tok_len = calloc(nlines, sizeof *v->tok_len);
    v->slots = malloc(slots * sizeof *v->slots);
    if (!v->tok || !v->tok_len || !v->slots) {
        ret = errf(err, cap, WEFT_ENOMEM, "%s: out of memory", path);
        goto fail;
    }
    memset(v->slots, 0xff, slots * sizeof *v->slots);
    v->mask = slots - 1;
    char *p = v->blob, *end = v->blob + size;
    for (size_t id = 0; id < nlines; id++) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *e = nl ? nl : end;
        if (e > p && e[-1] == '\r')
            e--;
        *e = '\0';
        v->tok[id] = p;
        v->tok_len[id] = (uint32_t)(e - p);
        /* The first of duplicate tokens wins, as in Hugging Face's loader
         * the last one does not: keep the lowest id for lookups. */
        if (text_vocab_find(v, p, v->tok_len[id]) < 0) {
            size_t i = hash(p, v->tok_len[id]) & v->mask;
            while (v->slots[i] >= 0)
                i = (i + 1) & v->mask;
            v->slots[i] = (int32_t)id;
        }
        p = nl ? nl + 1 : end;
    }
    v->n = nlines;
    v->unk = text_vocab_find(v, "[UNK]", 5);
    v->cls = text_vocab_find(v, "[CLS]", 5);
    v->sep = text_vocab_find(v, "[SEP]", 5);
    v->pad = text_vocab_find(v, "[PAD]", 5);
    if (v->unk < 0 || v->cls < 0 || v->sep < 0) {
        ret = errf(err, cap, WEFT_EPARSE,
                   "%s: token '%s' is missing from the vocabulary", path,
                   v->unk < 0 ? "[UNK]" : v->cls < 0 ? "[CLS]" : "[SEP]");
        goto fail;
    }
    if (v->pad < 0)
        v->pad = 0;
    fclose(f);
    *out = v;
    return 0;
fail:
    if (f)
        fclose(f);
    text_vocab_free(v);
    return ret;
}

void text_vocab_free(text_vocab *v)
{
    if (!v)
        return;
    free(v->blob);
    free(v->tok);
    free(v->tok_len);
    free(v->slots);
    free(v);
}

size_t text_vocab_size(const text_vocab *v) { return v->n; }
int32_t text_vocab_unk(const text_vocab *v) { return v->unk; }
int32_t text_vocab_cls(const text_vocab *v) { return v->cls; }
int32_t text_vocab_sep(const text_vocab *v) { return v->sep; }
int32_t text_vocab_pad(const text_vocab *v) { return v->pad; }

const char *text_vocab_token(const text_vocab *v, int32_t id)
{
    return id >= 0 && (size_t)id < v->n ? v->tok[id] : NULL;
}

/* ------------------------------------------------------------ characters */

static bool in_ranges(const text_urange *r, size_t n, uint32_t c)
{
    size_t lo = 0, hi = n;

    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (c < r[mid].lo)
            hi = mid;
        else if (c > r[mid].hi)
            lo = mid + 1;
        else
            return true;
    }
    return false;
}

/* The CJK ranges of BertNormalizer (with its 0x2B920 start, sic). */
static bool is_cjk(uint32_t c)
{
    return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
           (c >= 0x20000 && c <= 0x2A6DF) || (c >= 0x2A700 && c <= 0x2B73F) ||
           (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
           (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

static bool is_space(uint32_t c)
{
    return c == ' ' ||
           in_ranges(text_uclass_space, text_uclass_space_n, c);
}

static bool is_punct(uint32_t c)
{
    return in_ranges(text_uclass_punct, text_uclass_punct_n, c);
}

/* Decode one code point of strict UTF-8; U+FFFD and *bad for invalid. */
static uint32_t utf8_next(const unsigned char *s, size_t n, size_t *i,
                          bool *bad)
{
    unsigned c = s[*i];
    size_t k;
    uint32_t cp, min;

    *bad = false;
    if (c < 0x80) {
        (*i)++;
        return c;
    }
    if (c >= 0xc2 && c <= 0xdf) {
        k = 1;
        cp = c & 0x1f;
        min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        k = 2;
        cp = c & 0x0f;
        min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        k = 3;
        cp = c & 0x07;
        min = 0x10000;
    } else {
        goto bad;
    }
    if (n - *i <= k)
        goto bad;
    for (size_t j = 1; j <= k; j++) {
        if ((s[*i + j] & 0xc0) != 0x80)
            goto bad;
        cp = cp << 6 | (s[*i + j] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        goto bad;
    *i += k + 1;
    return cp;
bad:
    /* One replacement per maximal invalid byte, then resynchronise. */
    (*i)++;
    while (*i < n && (s[*i] & 0xc0) == 0x80)
        (*i)++;
    *bad = true;
    return 0xfffd;
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    size_t c = *cap ? *cap : 64;
    void *q;

    if (need <= *cap)
        return 0;
    while (c < need)
        c *= 2;
    if (!(q = realloc(*p, c * elem)))
        return WEFT_ENOMEM;
    *p = q;
    *cap = c;
    return 0;
}

static size_t put_utf8(char *b, uint32_t cp)
{
    if (cp < 0x80) {
        b[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        b[0] = (char)(0xc0 | cp >> 6);
        b[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        b[0] = (char)(0xe0 | cp >> 12);
        b[1] = (char)(0x80 | (cp >> 6 & 0x3f));
        b[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    b[0] = (char)(0xf0 | cp >> 18);
    b[1] = (char)(0x80 | (cp >> 12 & 0x3f));
    b[2] = (char)(0x80 | (cp >> 6 & 0x3f));
    b[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/*
 * Normalize into tok->cps: clean, CJK spacing, NFD, drop marks, lowercase.
 * Whitespace becomes ' '. A code point expands to at most 3 (CJK spacing)
 * or its NFD length (at most 4 for Hangul and 18 in Unicode at large), so
 * the buffer is sized per character as we go.
 */
static int normalize(text_tok *tok, const unsigned char *s, size_t len,
                     size_t *n_out, size_t *n_invalid)
{
    size_t i = 0, n = 0;
    utf8proc_int32_t dec[32];

    while (i < len) {
        bool bad;
        uint32_t c = utf8_next(s, len, &i, &bad);
        if (bad)
            (*n_invalid)++;
        if (grow((void **)&tok->cps, &tok->cps_cap, n + 34, sizeof *tok->cps))
            return WEFT_ENOMEM;
        if (in_ranges(text_uclass_drop, text_uclass_drop_n, c))
            continue;
        if (is_space(c)) {
            tok->cps[n++] = ' ';
            continue;
        }
        if (is_cjk(c)) {
            tok->cps[n++] = ' ';
            tok->cps[n++] = c;
            tok->cps[n++] = ' ';
            continue;
        }
        int lbc = 0;
        utf8proc_ssize_t k = utf8proc_decompose_char(
            (utf8proc_int32_t)c, dec, 32, UTF8PROC_DECOMPOSE, &lbc);
        if (k < 0 || k > 32) {
            dec[0] = (utf8proc_int32_t)c;
            k = 1;
        }
        for (utf8proc_ssize_t j = 0; j < k; j++) {
            uint32_t d = (uint32_t)dec[j];
            if (in_ranges(text_uclass_drop, text_uclass_drop_n, d))
                continue;
            tok->cps[n++] = (uint32_t)utf8proc_tolower((utf8proc_int32_t)d);
        }
    }
    *n_out = n;
    return 0;
}

static int push_id(text_tok *tok, size_t *n, int32_t id)
{
    if (grow((void **)&tok->ids, &tok->ids_cap, *n + 1, sizeof *tok->ids))
        return WEFT_ENOMEM;
    tok->ids[(*n)++] = id;
    return 0;
}

/* WordPiece of the word cps[a, b): ids appended at *n. */
static int wordpiece(const text_vocab *v, text_tok *tok, size_t a, size_t b,
                     size_t *n)
{
    size_t n0 = *n, start = a;
    size_t *off; /* byte offset of each code point in tok->word after "##" */

    if (b - a > MAX_WORD_CHARS)
        return push_id(tok, n, v->unk);
    /* The word's UTF-8, each character's byte offset, and room for one
     * "##"-prefixed piece, in one buffer. */
    size_t nch = b - a, wbytes = 4 * nch + 1;
    size_t off_at = (wbytes + 15) / 16 * 16;
    size_t piece_at = off_at + (nch + 1) * sizeof(size_t);
    if (grow((void **)&tok->word, &tok->word_cap, piece_at + 2 + wbytes, 1))
        return WEFT_ENOMEM;
    char *w = tok->word, *piece = tok->word + piece_at;
    off = (size_t *)(void *)(tok->word + off_at);
    size_t bytes = 0;
    for (size_t i = a; i < b; i++) {
        off[i - a] = bytes;
        bytes += put_utf8(w + bytes, tok->cps[i]);
    }
    off[nch] = bytes;
    piece[0] = piece[1] = '#';
    while (start < b) {
        int32_t id = -1;
        size_t end = b;
        for (; end > start; end--) {
            size_t ob = off[start - a], oe = off[end - a];
            if (start == a) {
                id = text_vocab_find(v, w + ob, oe - ob);
            } else {
                memcpy(piece + 2, w + ob, oe - ob);
                id = text_vocab_find(v, piece, oe - ob + 2);
            }
            if (id >= 0)
                break;
        }
        if (id < 0) {
            *n = n0;
            return push_id(tok, n, v->unk);
        }
        if (push_id(tok, n, id))
            return WEFT_ENOMEM;
        start = end;
    }
    return 0;
}

int text_tokenize(const text_vocab *v, text_tok *tok, const char *text,
                  size_t len, size_t max_len, const int32_t **ids, size_t *n,
                  text_tok_info *info)
{
    size_t nc = 0, nid = 0, i = 0;
    text_tok_info tmp;
    int ret;

    if (!info)
        info = &tmp;
    memset(info, 0, sizeof *info);
    if ((ret = normalize(tok, (const unsigned char *)text, len, &nc,
                         &info->n_invalid)) < 0)
        return ret;
    if ((ret = push_id(tok, &nid, v->cls)) < 0)
        return ret;
    while (i < nc) {
        uint32_t c = tok->cps[i];
        if (c == ' ' || is_space(c)) {
            i++;
            continue;
        }
        if (is_punct(c)) {
            if ((ret = wordpiece(v, tok, i, i + 1, &nid)) < 0)
                return ret;
            i++;
            continue;
        }
        size_t j = i;
        while (j < nc && tok->cps[j] != ' ' && !is_space(tok->cps[j]) &&
               !is_punct(tok->cps[j]))
            j++;
        if ((ret = wordpiece(v, tok, i, j, &nid)) < 0)
            return ret;
        i = j;
    }
    if ((ret = push_id(tok, &nid, v->sep)) < 0)
        return ret;
    info->n_full = nid;
    if (max_len >= 2 && nid > max_len) {
        tok->ids[max_len - 1] = v->sep;
        nid = max_len;
        info->truncated = true;
    }
    *ids = tok->ids;
    *n = nid;
    return 0;
}

void text_tok_clear(text_tok *tok)
{
    if (!tok)
        return;
    free(tok->cps);
    free(tok->word);
    free(tok->ids);
    memset(tok, 0, sizeof *tok);
}
