/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vocab.c: the acoustic model's token list. Tokens are taken verbatim (a
 * tokens file may well contain "'" or multi-byte pieces), so the only
 * normalisation is the line end.
 */
#include "ctc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ctc_vocab_id(const char *const *toks, const uint32_t *lens, int32_t n,
                  char out[32])
{
    uint64_t h = 0xcbf29ce484222325ull;

    for (int32_t i = 0; i < n; i++) {
        for (uint32_t k = 0; k < lens[i]; k++) {
            h ^= (uint8_t)toks[i][k];
            h *= 0x100000001b3ull;
        }
        h ^= (uint8_t)'\n';
        h *= 0x100000001b3ull;
    }
    snprintf(out, 32, "fnv1a64:%016llx", (unsigned long long)h);
}

void ctc_vocab_free(ctc_vocab *v)
{
    if (!v)
        return;
    for (int32_t i = 0; i < v->n && v->tok; i++)
        free(v->tok[i]);
    free(v->tok);
    free(v->len);
    free(v->name);
    free(v);
}

int32_t ctc_vocab_find(const ctc_vocab *v, const char *s, size_t len)
{
    for (int32_t i = 0; i < v->n; i++)
        if (v->len[i] == len && memcmp(v->tok[i], s, len) == 0)
            return i;
    return -1;
}

static int vocab_finish(ctc_vocab *v, int32_t blank, const char *delim_tok,
                        char *err, size_t errlen)
{
    if (v->n < 2) {
        snprintf(err, errlen, "%s: needs at least 2 tokens (blank and one "
                 "other), has %d", v->name, (int)v->n);
        return WEFT_EPARSE;
    }
    if (blank < 0 || blank >= v->n) {
        snprintf(err, errlen, "%s: blank index %d is outside the %d tokens",
                 v->name, (int)blank, (int)v->n);
        return WEFT_ERANGE;
    }
    v->blank = blank;
    v->delim = -1;
    if (delim_tok && *delim_tok) {
        v->delim = ctc_vocab_find(v, delim_tok, strlen(delim_tok));
        if (v->delim < 0) {
            snprintf(err, errlen, "%s: word delimiter '%s' is not a token",
                     v->name, delim_tok);
            return WEFT_ENOENT;
        }
        if (v->delim == v->blank) {
            snprintf(err, errlen, "%s: the word delimiter '%s' is the blank",
                     v->name, delim_tok);
            return WEFT_EINVAL;
        }
    }
    for (int32_t i = 0; i < v->n; i++)
        for (int32_t j = i + 1; j < v->n; j++)
            if (v->len[i] == v->len[j] &&
                memcmp(v->tok[i], v->tok[j], v->len[i]) == 0) {
                snprintf(err, errlen, "%s:%d: token '%s' repeats line %d",
                         v->name, (int)j + 1, v->tok[j], (int)i + 1);
                return WEFT_EPARSE;
            }
    ctc_vocab_id((const char *const *)v->tok, v->len, v->n, v->id);
    return 0;
}

static int vocab_add(ctc_vocab *v, const char *s, size_t len, int32_t *cap)
{
    if (v->n == *cap) {
        int32_t nc = *cap ? *cap * 2 : 64;
        char **t = realloc(v->tok, (size_t)nc * sizeof *t);
        uint32_t *l;
        if (!t)
            return WEFT_ENOMEM;
        v->tok = t;
        if (!(l = realloc(v->len, (size_t)nc * sizeof *l)))
            return WEFT_ENOMEM;
        v->len = l;
        *cap = nc;
    }
    if (!(v->tok[v->n] = malloc(len + 1)))
        return WEFT_ENOMEM;
    memcpy(v->tok[v->n], s, len);
    v->tok[v->n][len] = 0;
    v->len[v->n++] = (uint32_t)len;
    return 0;
}

int ctc_vocab_from_list(const char *const *toks, int32_t n, int32_t blank,
                        const char *delim_tok, ctc_vocab **out, char *err,
                        size_t errlen)
{
    ctc_vocab *v = calloc(1, sizeof *v);
    int32_t cap = 0;
    int ret = WEFT_ENOMEM;

    *out = NULL;
    if (!v || !(v->name = strdup("tokens")))
        goto fail;
    for (int32_t i = 0; i < n; i++)
        if ((ret = vocab_add(v, toks[i], strlen(toks[i]), &cap)) < 0)
            goto fail;
    if ((ret = vocab_finish(v, blank, delim_tok, err, errlen)) < 0)
        goto fail;
    *out = v;
    return 0;
fail:
    if (ret == WEFT_ENOMEM)
        snprintf(err, errlen, "out of memory");
    ctc_vocab_free(v);
    return ret;
}

int ctc_vocab_load(const char *path, int32_t blank, const char *delim_tok,
                   ctc_vocab **out, char *err, size_t errlen)
{
    ctc_vocab *v = calloc(1, sizeof *v);
    FILE *f = NULL;
    char *line = NULL;
    size_t lcap = 0;
    ssize_t got;
    int32_t cap = 0, lineno = 0;
    int ret = WEFT_ENOMEM;
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;

    *out = NULL;
    if (!v || !(v->name = strdup(base)))
        goto fail;
    if (!(f = fopen(path, "rb"))) {
        snprintf(err, errlen, "%s: cannot open tokens file", path);
        ret = WEFT_EIO;
        goto done;
    }
    while ((got = getline(&line, &lcap, f)) >= 0) {
        size_t len = (size_t)got;
        lineno++;
        if (len && line[len - 1] == '\n')
            len--;
        if (len && line[len - 1] == '\r')
            len--;
        if (len == 0) {
            snprintf(err, errlen, "%s:%d: empty token", base, (int)lineno);
            ret = WEFT_EPARSE;
            goto done;
        }
        if (memchr(line, 0, len)) {
            snprintf(err, errlen, "%s:%d: NUL byte in token", base,
                     (int)lineno);
            ret = WEFT_EPARSE;
            goto done;
        }
        if (lineno > 1000000) {
            snprintf(err, errlen, "%s: more than 1000000 tokens", base);
            ret = WEFT_ERANGE;
            goto done;
        }
        if ((ret = vocab_add(v, line, len, &cap)) < 0)
            goto fail;
    }
    ret = vocab_finish(v, blank, delim_tok, err, errlen);
    goto done;
fail:
    snprintf(err, errlen, "out of memory");
done:
    free(line);
    if (f)
        fclose(f);
    if (ret < 0)
        ctc_vocab_free(v);
    else
        *out = v;
    return ret;
}
