/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The language front end's small helpers: arena, diagnostics, quoting. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "lang.h"

struct lang_arena_block {
    lang_arena_block *next;
    size_t used, cap;
    max_align_t data[];
};

#define ARENA_BLOCK 65536

void *weft__lang_alloc(lang_arena *a, size_t n)
{
    lang_arena_block *b = a->head;
    size_t al = sizeof(max_align_t);

    n = (n + al - 1) / al * al;
    if (!n)
        n = al;
    if (!b || b->cap - b->used < n) {
        /* Big requests get a block of their own so that the small ones
         * keep filling the current block. */
        size_t cap = n > ARENA_BLOCK / 4 ? n : ARENA_BLOCK;
        lang_arena_block *nb = malloc(sizeof *nb + cap);
        if (!nb) {
            a->failed = true;
            return NULL;
        }
        nb->used = 0;
        nb->cap = cap;
        if (b && n > ARENA_BLOCK / 4) {
            nb->next = b->next;
            b->next = nb;
        } else {
            nb->next = b;
            a->head = nb;
        }
        b = nb;
    }
    void *p = (char *)b->data + b->used;
    b->used += n;
    memset(p, 0, n);
    return p;
}

char *weft__lang_strndup(lang_arena *a, const char *s, size_t n)
{
    char *p = weft__lang_alloc(a, n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

void weft__lang_arena_free(lang_arena *a)
{
    lang_arena_block *b = a->head;
    while (b) {
        lang_arena_block *next = b->next;
        free(b);
        b = next;
    }
    a->head = NULL;
}

bool weft__lang_grow(lang_arena *a, void **v, size_t *cap, size_t n,
                     size_t elem)
{
    size_t ncap = *cap ? *cap * 2 : 8;
    if (ncap > SIZE_MAX / elem / 2) {
        a->failed = true;
        return false;
    }
    void *nv = weft__lang_alloc(a, ncap * elem);
    if (!nv)
        return false;
    if (n)
        memcpy(nv, *v, n * elem);
    *v = nv;
    *cap = ncap;
    return true;
}

static void diag_v(lang_diags *d, weft_diag_severity sev,
                   const weft_srcloc *loc, const char *hint, const char *fmt,
                   va_list ap)
{
    char *msg = weft__vasprintf(fmt, ap);
    /* weft__graph_diag is printf-like; pass the text through "%s". */
    weft__graph_diag(d->g, sev, loc, hint, "%s", msg ? msg : "out of memory");
    free(msg);
}

void weft__lang_error(lang_diags *d, const weft_srcloc *loc, const char *hint,
                      const char *fmt, ...)
{
    va_list ap;
    d->errors++;
    va_start(ap, fmt);
    diag_v(d, WEFT_DIAG_ERROR, loc, hint, fmt, ap);
    va_end(ap);
}

void weft__lang_warn(lang_diags *d, const weft_srcloc *loc, const char *hint,
                     const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    diag_v(d, WEFT_DIAG_WARNING, loc, hint, fmt, ap);
    va_end(ap);
}

void weft__lang_note(lang_diags *d, const weft_srcloc *loc, const char *fmt,
                     ...)
{
    va_list ap;
    va_start(ap, fmt);
    diag_v(d, WEFT_DIAG_NOTE, loc, NULL, fmt, ap);
    va_end(ap);
}

/* Escapes as core/prop.c reads them, so the value survives the trip. */
char *weft__lang_quote(const char *s, size_t n)
{
    size_t cap = n * 4 + 3, k = 0;
    char *out = malloc(cap);
    if (!out)
        return NULL;
    out[k++] = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"': out[k++] = '\\'; out[k++] = '"'; break;
        case '\\': out[k++] = '\\'; out[k++] = '\\'; break;
        case '\n': out[k++] = '\\'; out[k++] = 'n'; break;
        case '\t': out[k++] = '\\'; out[k++] = 't'; break;
        case '\r': out[k++] = '\\'; out[k++] = 'r'; break;
        default:
            if (c < 0x20 || c == 0x7f) {
                snprintf(out + k, 5, "\\x%02x", c);
                k += 4;
            } else {
                out[k++] = (char)c;
            }
        }
    }
    out[k++] = '"';
    out[k] = '\0';
    return out;
}

static const char *const keywords[] = {"weft",  "use",   "param", "node",
                                       "graph", "input", "output"};

bool weft__lang_is_keyword(const char *s, size_t n)
{
    for (size_t i = 0; i < sizeof keywords / sizeof *keywords; i++)
        if (strlen(keywords[i]) == n && !memcmp(keywords[i], s, n))
            return true;
    return false;
}

void weft__lang_describe(const lang_tok *t, char *buf, size_t cap)
{
    static const char *const punct[] = {
        [T_ARROW] = "`->`", [T_EQ] = "`=`",      [T_COMMA] = "`,`",
        [T_DOT] = "`.`",    [T_COLON] = "`:`",   [T_LBRACE] = "`{`",
        [T_RBRACE] = "`}`", [T_LPAREN] = "`(`",  [T_RPAREN] = "`)`",
        [T_LBRACK] = "`[`", [T_RBRACK] = "`]`",
    };
    int n = t->len > 24 ? 24 : (int)t->len;
    const char *more = t->len > 24 ? "..." : "";
    switch (t->kind) {
    case T_EOF: snprintf(buf, cap, "end of file"); break;
    case T_WORD:
        snprintf(buf, cap, "%s `%.*s%s`",
                 weft__lang_is_keyword(t->p, t->len) ? "keyword" : "name", n,
                 t->p, more);
        break;
    case T_NUMBER: snprintf(buf, cap, "number `%.*s%s`", n, t->p, more); break;
    case T_STRING: snprintf(buf, cap, "a string"); break;
    case T_PARAM: snprintf(buf, cap, "`%.*s%s`", n, t->p, more); break;
    case T_BAD: snprintf(buf, cap, "an invalid token"); break;
    default:
        snprintf(buf, cap, "%s",
                 (size_t)t->kind < sizeof punct / sizeof *punct &&
                         punct[t->kind]
                     ? punct[t->kind]
                     : "a token");
    }
}

static size_t hash_str(const char *s)
{
    size_t h = 1469598103934665603u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return h;
}

bool weft__lang_map_get(const lang_map *m, const char *key, size_t *val)
{
    if (!m->cap)
        return false;
    for (size_t i = hash_str(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        if (!m->keys[i])
            return false;
        if (!strcmp(m->keys[i], key)) {
            if (val)
                *val = m->vals[i];
            return true;
        }
    }
}

bool weft__lang_map_put(lang_arena *a, lang_map *m, const char *key,
                        size_t val)
{
    if ((m->n + 1) * 2 > m->cap) {
        size_t ncap = m->cap ? m->cap * 2 : 16;
        const char **nk = weft__lang_alloc(a, ncap * sizeof *nk);
        size_t *nv = weft__lang_alloc(a, ncap * sizeof *nv);
        if (!nk || !nv)
            return false;
        for (size_t i = 0; i < m->cap; i++) {
            if (!m->keys[i])
                continue;
            size_t j = hash_str(m->keys[i]) & (ncap - 1);
            while (nk[j])
                j = (j + 1) & (ncap - 1);
            nk[j] = m->keys[i];
            nv[j] = m->vals[i];
        }
        m->keys = nk;
        m->vals = nv;
        m->cap = ncap;
    }
    size_t i = hash_str(key) & (m->cap - 1);
    while (m->keys[i] && strcmp(m->keys[i], key))
        i = (i + 1) & (m->cap - 1);
    if (!m->keys[i])
        m->n++;
    m->keys[i] = key;
    m->vals[i] = val;
    return true;
}
