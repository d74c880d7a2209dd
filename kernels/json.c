/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A small strict JSON parser (RFC 8259) for model files: config.json and
 * safetensors headers, which are untrusted input. Recursive descent with a
 * depth limit; values live in one growable array, strings in one arena, so
 * a document is two allocations plus the node array. Errors carry
 * file:line:col.
 */
#include "config.h"

#include <weft/model.h>

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct weft_json_value {
    weft_json_type type;
    bool is_int;
    int64_t i;
    double num;
    size_t str;    /* offset of the decoded string (or of the key) */
    size_t key;    /* offset of the member key in its object, SIZE_MAX if none */
    size_t n;      /* elements/members */
    size_t first;  /* index of the first child */
    size_t next;   /* index of the next sibling, SIZE_MAX at the end */
    weft_json *doc;
};

struct weft_json {
    weft_json_value *v;
    size_t nv, capv;
    char *s;
    size_t ns, caps;
    const weft_json_value **kids; /* per container: children in order */
};

typedef struct parser {
    const char *p, *end, *start;
    const char *what;
    weft_json *doc;
    char *err;
    size_t err_cap;
    int depth;
    int ret;
} parser;

static int fail(parser *ps, int code, const char *fmt, ...) WEFT_PRINTF(3, 4);

static int fail(parser *ps, int code, const char *fmt, ...)
{
    size_t line = 1, col = 1;
    char msg[160];
    va_list ap;

    if (ps->ret)
        return ps->ret;
    for (const char *q = ps->start; q < ps->p && q < ps->end; q++) {
        if (*q == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (ps->err && ps->err_cap)
        snprintf(ps->err, ps->err_cap, "%s:%zu:%zu: %s",
                 ps->what ? ps->what : "JSON", line, col, msg);
    ps->ret = code;
    return code;
}

static int new_value(parser *ps, weft_json_type t, size_t *idx)
{
    weft_json *d = ps->doc;

    if (d->nv == d->capv) {
        size_t cap = d->capv ? d->capv * 2 : 64;
        weft_json_value *v = realloc(d->v, cap * sizeof *v);
        if (!v)
            return fail(ps, WEFT_ENOMEM, "out of memory");
        d->v = v;
        d->capv = cap;
    }
    *idx = d->nv++;
    memset(&d->v[*idx], 0, sizeof d->v[*idx]);
    d->v[*idx].type = t;
    d->v[*idx].key = SIZE_MAX;
    d->v[*idx].next = SIZE_MAX;
    d->v[*idx].first = SIZE_MAX;
    return 0;
}

static int put_bytes(parser *ps, const char *b, size_t n)
{
    weft_json *d = ps->doc;

    if (d->caps - d->ns < n) {
        size_t cap = d->caps ? d->caps : 256;
        while (cap - d->ns < n)
            cap *= 2;
        char *s = realloc(d->s, cap);
        if (!s)
            return fail(ps, WEFT_ENOMEM, "out of memory");
        d->s = s;
        d->caps = cap;
    }
    memcpy(d->s + d->ns, b, n);
    d->ns += n;
    return 0;
}

static void skip_ws(parser *ps)
{
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' ||
                               *ps->p == '\n' || *ps->p == '\r'))
        ps->p++;
}

static int hex4(parser *ps, uint32_t *out)
{
    uint32_t v = 0;

    if (ps->end - ps->p < 4)
        return fail(ps, WEFT_EPARSE, "truncated \\u escape");
    for (int i = 0; i < 4; i++) {
        char c = *ps->p++;
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (uint32_t)(c - 'A' + 10);
        else
            return fail(ps, WEFT_EPARSE, "bad hex digit in \\u escape");
    }
    *out = v;
    return 0;
}

static int put_cp(parser *ps, uint32_t cp)
{
    char b[4];
    size_t n;

    if (cp < 0x80) {
        b[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        b[0] = (char)(0xc0 | cp >> 6);
        b[1] = (char)(0x80 | (cp & 0x3f));
        n = 2;
    } else if (cp < 0x10000) {
        b[0] = (char)(0xe0 | cp >> 12);
        b[1] = (char)(0x80 | (cp >> 6 & 0x3f));
        b[2] = (char)(0x80 | (cp & 0x3f));
        n = 3;
    } else {
        b[0] = (char)(0xf0 | cp >> 18);
        b[1] = (char)(0x80 | (cp >> 12 & 0x3f));
        b[2] = (char)(0x80 | (cp >> 6 & 0x3f));
        b[3] = (char)(0x80 | (cp & 0x3f));
        n = 4;
    }
    return put_bytes(ps, b, n);
}

/* Length of the valid UTF-8 sequence at @s (strict RFC 3629), 0 if bad. */
static size_t utf8_seq(const unsigned char *s, size_t avail)
{
    unsigned c = s[0];
    size_t k;
    uint32_t cp, min;

    if (c < 0x80)
        return 1;
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
        return 0;
    }
    if (avail <= k)
        return 0;
    for (size_t j = 1; j <= k; j++) {
        if ((s[j] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[j] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return k + 1;
}

/* Parse a string at ps->p (on the quote); its decoded offset in *off. */
static int parse_string(parser *ps, size_t *off)
{
    *off = ps->doc->ns;
    ps->p++;
    for (;;) {
        const char *run = ps->p;
        while (ps->p < ps->end && *ps->p != '"' && *ps->p != '\\' &&
               (unsigned char)*ps->p >= 0x20 && (unsigned char)*ps->p < 0x80)
            ps->p++;
        if (ps->p > run && put_bytes(ps, run, (size_t)(ps->p - run)))
            return ps->ret;
        if (ps->p >= ps->end)
            return fail(ps, WEFT_EPARSE, "unterminated string");
        unsigned char c = (unsigned char)*ps->p;
        if (c == '"') {
            ps->p++;
            return put_bytes(ps, "", 1);
        }
        if (c < 0x20)
            return fail(ps, WEFT_EPARSE, "control character in string");
        if (c >= 0x80) {
            size_t k = utf8_seq((const unsigned char *)ps->p,
                                (size_t)(ps->end - ps->p));
            if (!k)
                return fail(ps, WEFT_EPARSE, "invalid UTF-8 in string");
            if (put_bytes(ps, ps->p, k))
                return ps->ret;
            ps->p += k;
            continue;
        }
        /* A backslash escape. */
        ps->p++;
        if (ps->p >= ps->end)
            return fail(ps, WEFT_EPARSE, "unterminated string");
        char e = *ps->p++, o;
        uint32_t cp, lo;
        switch (e) {
        case '"': o = '"'; break;
        case '\\': o = '\\'; break;
        case '/': o = '/'; break;
        case 'b': o = '\b'; break;
        case 'f': o = '\f'; break;
        case 'n': o = '\n'; break;
        case 'r': o = '\r'; break;
        case 't': o = '\t'; break;
        case 'u':
            if (hex4(ps, &cp))
                return ps->ret;
            if (cp >= 0xdc00 && cp <= 0xdfff)
                return fail(ps, WEFT_EPARSE, "lone low surrogate");
            if (cp >= 0xd800 && cp <= 0xdbff) {
                if (ps->end - ps->p < 2 || ps->p[0] != '\\' || ps->p[1] != 'u')
                    return fail(ps, WEFT_EPARSE, "lone high surrogate");
                ps->p += 2;
                if (hex4(ps, &lo))
                    return ps->ret;
                if (lo < 0xdc00 || lo > 0xdfff)
                    return fail(ps, WEFT_EPARSE, "bad surrogate pair");
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            }
            if (cp == 0)
                return fail(ps, WEFT_EPARSE, "NUL in string");
            if (put_cp(ps, cp))
                return ps->ret;
            continue;
        default:
            return fail(ps, WEFT_EPARSE, "bad escape '\\%c'",
                        e >= 0x20 && e < 0x7f ? e : '?');
        }
        if (put_bytes(ps, &o, 1))
            return ps->ret;
    }
}

static int parse_number(parser *ps, size_t idx)
{
    const char *s = ps->p;
    bool integral = true;
    char buf[64];

    if (ps->p < ps->end && *ps->p == '-')
        ps->p++;
    if (ps->p >= ps->end)
        return fail(ps, WEFT_EPARSE, "bad number");
    if (*ps->p == '0') {
        ps->p++;
    } else if (*ps->p >= '1' && *ps->p <= '9') {
        while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
            ps->p++;
    } else {
        return fail(ps, WEFT_EPARSE, "bad number");
    }
    if (ps->p < ps->end && *ps->p == '.') {
        integral = false;
        ps->p++;
        if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
            return fail(ps, WEFT_EPARSE, "bad number: digit expected after '.'");
        while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
            ps->p++;
    }
    if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
        integral = false;
        ps->p++;
        if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
            ps->p++;
        if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
            return fail(ps, WEFT_EPARSE, "bad number: exponent digits expected");
        while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
            ps->p++;
    }
    size_t n = (size_t)(ps->p - s);
    if (n >= sizeof buf)
        return fail(ps, WEFT_EPARSE, "number too long");
    memcpy(buf, s, n);
    buf[n] = '\0';
    weft_json_value *v = &ps->doc->v[idx];
    if (integral) {
        /* Exact integers (offsets above 2^53 must not round). */
        errno = 0;
        long long ll = strtoll(buf, NULL, 10);
        if (errno == 0) {
            v->is_int = true;
            v->i = ll;
        }
    }
    v->num = strtod(buf, NULL);
    if (!isfinite(v->num))
        return fail(ps, WEFT_EPARSE, "number out of range");
    return 0;
}

static int parse_value(parser *ps, size_t *out);

static int parse_container(parser *ps, size_t idx, bool object)
{
    size_t prev = SIZE_MAX;
    char close = object ? '}' : ']';

    if (++ps->depth > WEFT_JSON_MAX_DEPTH)
        return fail(ps, WEFT_EPARSE, "nesting deeper than %d",
                    WEFT_JSON_MAX_DEPTH);
    ps->p++;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == close) {
        ps->p++;
        ps->depth--;
        return 0;
    }
    for (;;) {
        size_t key = SIZE_MAX, child;
        skip_ws(ps);
        if (object) {
            if (ps->p >= ps->end || *ps->p != '"')
                return fail(ps, WEFT_EPARSE, "object key (a string) expected");
            if (parse_string(ps, &key))
                return ps->ret;
            skip_ws(ps);
            if (ps->p >= ps->end || *ps->p != ':')
                return fail(ps, WEFT_EPARSE, "':' expected after key");
            ps->p++;
        }
        if (parse_value(ps, &child))
            return ps->ret;
        ps->doc->v[child].key = key;
        if (prev == SIZE_MAX)
            ps->doc->v[idx].first = child;
        else
            ps->doc->v[prev].next = child;
        prev = child;
        ps->doc->v[idx].n++;
        skip_ws(ps);
        if (ps->p >= ps->end)
            return fail(ps, WEFT_EPARSE, "unterminated %s",
                        object ? "object" : "array");
        if (*ps->p == ',') {
            ps->p++;
            continue;
        }
        if (*ps->p == close) {
            ps->p++;
            break;
        }
        return fail(ps, WEFT_EPARSE, "',' or '%c' expected", close);
    }
    ps->depth--;
    return 0;
}

static int parse_value(parser *ps, size_t *out)
{
    size_t idx;

    skip_ws(ps);
    if (ps->p >= ps->end)
        return fail(ps, WEFT_EPARSE, "value expected");
    switch (*ps->p) {
    case '{':
        if (new_value(ps, WEFT_JSON_OBJECT, &idx))
            return ps->ret;
        *out = idx;
        return parse_container(ps, idx, true);
    case '[':
        if (new_value(ps, WEFT_JSON_ARRAY, &idx))
            return ps->ret;
        *out = idx;
        return parse_container(ps, idx, false);
    case '"':
        if (new_value(ps, WEFT_JSON_STRING, &idx))
            return ps->ret;
        *out = idx;
        return parse_string(ps, &ps->doc->v[idx].str);
    default:
        break;
    }
    static const struct { const char *w; weft_json_type t; } lits[] = {
        { "null", WEFT_JSON_NULL }, { "true", WEFT_JSON_TRUE },
        { "false", WEFT_JSON_FALSE },
    };
    for (size_t i = 0; i < 3; i++) {
        size_t n = strlen(lits[i].w);
        if ((size_t)(ps->end - ps->p) >= n && !memcmp(ps->p, lits[i].w, n)) {
            ps->p += n;
            if (new_value(ps, lits[i].t, &idx))
                return ps->ret;
            *out = idx;
            return 0;
        }
    }
    if (*ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9')) {
        if (new_value(ps, WEFT_JSON_NUMBER, &idx))
            return ps->ret;
        *out = idx;
        return parse_number(ps, idx);
    }
    return fail(ps, WEFT_EPARSE, "unexpected character 0x%02x",
                (unsigned char)*ps->p);
}

static int cmp_key(const void *a, const void *b)
{
    const weft_json_value *x = *(const weft_json_value *const *)a;
    const weft_json_value *y = *(const weft_json_value *const *)b;
    return strcmp(x->doc->s + x->key, y->doc->s + y->key);
}

/* Fix the parent pointers, build the child tables, reject duplicate keys. */
static int finish(parser *ps)
{
    weft_json *d = ps->doc;
    size_t total = 0, at = 0;
    const weft_json_value **tmp = NULL;
    size_t tmp_cap = 0;
    int ret = 0;

    for (size_t i = 0; i < d->nv; i++) {
        d->v[i].doc = d;
        total += d->v[i].n;
    }
    d->kids = malloc((total ? total : 1) * sizeof *d->kids);
    if (!d->kids)
        return fail(ps, WEFT_ENOMEM, "out of memory");
    for (size_t i = 0; i < d->nv; i++) {
        weft_json_value *v = &d->v[i];
        size_t k = 0, c = v->first;
        if (v->type != WEFT_JSON_ARRAY && v->type != WEFT_JSON_OBJECT)
            continue;
        for (; c != SIZE_MAX; c = d->v[c].next)
            d->kids[at + k++] = &d->v[c];
        v->first = at;
        at += v->n;
        if (v->type != WEFT_JSON_OBJECT || v->n < 2)
            continue;
        if (v->n > tmp_cap) {
            const weft_json_value **t = realloc(tmp, v->n * sizeof *t);
            if (!t) {
                ret = fail(ps, WEFT_ENOMEM, "out of memory");
                goto out;
            }
            tmp = t;
            tmp_cap = v->n;
        }
        memcpy(tmp, d->kids + v->first, v->n * sizeof *tmp);
        qsort(tmp, v->n, sizeof *tmp, cmp_key);
        for (size_t j = 1; j < v->n; j++) {
            if (!strcmp(d->s + tmp[j]->key, d->s + tmp[j - 1]->key)) {
                char kb[64];
                size_t i = 0;
                for (const char *k = d->s + tmp[j]->key; *k && i < 63; k++)
                    kb[i++] = (unsigned char)*k < 0x20 || *k == 0x7f ? '?' : *k;
                kb[i] = '\0';
                ps->p = ps->start;
                ret = fail(ps, WEFT_EPARSE, "duplicate key '%s'", kb);
                goto out;
            }
        }
    }
out:
    free(tmp);
    return ret;
}

void weft_json_free(weft_json *doc)
{
    if (!doc)
        return;
    free(doc->v);
    free(doc->s);
    free(doc->kids);
    free(doc);
}

int weft_json_parse(const char *text, size_t len, const char *what,
                    weft_json **out, char *err, size_t err_cap)
{
    parser ps = { text, text + len, text, what, NULL, err, err_cap, 0, 0 };
    size_t root;

    *out = NULL;
    if (err && err_cap)
        err[0] = '\0';
    if (!text && len)
        return WEFT_EINVAL;
    if (!(ps.doc = calloc(1, sizeof *ps.doc)))
        return WEFT_ENOMEM;
    if (parse_value(&ps, &root))
        goto fail;
    skip_ws(&ps);
    if (ps.p != ps.end) {
        fail(&ps, WEFT_EPARSE, "trailing characters after the JSON value");
        goto fail;
    }
    if (finish(&ps))
        goto fail;
    *out = ps.doc;
    return 0;
fail:
    weft_json_free(ps.doc);
    return ps.ret;
}

const weft_json_value *weft_json_root(const weft_json *doc)
{
    return doc && doc->nv ? &doc->v[0] : NULL;
}

weft_json_type weft_json_get_type(const weft_json_value *v)
{
    return v ? v->type : WEFT_JSON_NULL;
}

double weft_json_number(const weft_json_value *v)
{
    return v && v->type == WEFT_JSON_NUMBER ? v->num : 0.0;
}

bool weft_json_int(const weft_json_value *v, int64_t *out)
{
    if (!v || v->type != WEFT_JSON_NUMBER || !v->is_int)
        return false;
    *out = v->i;
    return true;
}

const char *weft_json_string(const weft_json_value *v)
{
    return v && v->type == WEFT_JSON_STRING ? v->doc->s + v->str : NULL;
}

size_t weft_json_len(const weft_json_value *v)
{
    return v && (v->type == WEFT_JSON_ARRAY || v->type == WEFT_JSON_OBJECT)
               ? v->n : 0;
}

const weft_json_value *weft_json_at(const weft_json_value *v, size_t i,
                                    const char **key)
{
    const weft_json_value *c;

    if (i >= weft_json_len(v))
        return NULL;
    c = v->doc->kids[v->first + i];
    if (key)
        *key = v->type == WEFT_JSON_OBJECT ? v->doc->s + c->key : NULL;
    return c;
}

const weft_json_value *weft_json_get(const weft_json_value *obj,
                                     const char *key)
{
    if (!obj || obj->type != WEFT_JSON_OBJECT || !key)
        return NULL;
    for (size_t i = 0; i < obj->n; i++) {
        const weft_json_value *c = obj->doc->kids[obj->first + i];
        if (!strcmp(obj->doc->s + c->key, key))
            return c;
    }
    return NULL;
}
