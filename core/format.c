/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * format.c: port formats (weft/format.h): the value representation,
 * parsing, canonical printing, getters and builders. Intersection, subset
 * and equality tests and fixation live in format-ops.c; the types and
 * helpers both files use are in format-private.h.
 *
 * A format is a media type and an ordered array of named fields. Every field
 * value is one of the weft_fvalue_type kinds. Two invariants keep the
 * algorithms simple: lists hold only scalars (int, float, string, bool), so
 * nothing here recurses more than one level, and the field named `shape`
 * always holds a SHAPE value while no other field ever does.
 *
 * The parser sees graph files written by users and fuzzers, so it never
 * recurses, never allocates more than a small multiple of the input length,
 * and reads numbers with overflow checks.
 */
#include "format-private.h"

#include <weft/buf.h>

#include <inttypes.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A format shape describes a tensor, so it can have no more dimensions. */
#define MAX_RANK WEFT_TENSOR_MAX_DIMS

/* ------------------------------------------------------------ utilities */

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
           c == '\v';
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_ident_start(char c) { return is_alpha(c) || c == '_'; }

static bool is_ident_char(char c) { return is_ident_start(c) || is_digit(c); }

/* Characters that may follow the first one in a bare-word string value. */
static bool is_word_char(char c)
{
    return is_ident_char(c) || c == '.' || c == ':' || c == '/' || c == '+' ||
           c == '-';
}

static bool is_media_char(char c)
{
    return is_ident_char(c) || c == '.' || c == '+' || c == '/' || c == '-';
}

static bool is_field_name(const char *s)
{
    if (!s || !is_ident_start(*s))
        return false;
    for (s++; *s; s++)
        if (!is_ident_char(*s) && *s != '.' && *s != '-')
            return false;
    return true;
}

static bool is_ident(const char *s)
{
    if (!s || !is_ident_start(*s))
        return false;
    for (s++; *s; s++)
        if (!is_ident_char(*s))
            return false;
    return true;
}

static bool is_media(const char *s)
{
    if (!s || !is_alpha(*s))
        return false;
    for (s++; *s; s++)
        if (!is_media_char(*s))
            return false;
    return true;
}

static char *dup_n(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

char *weft__dup_s(const char *s) { return dup_n(s, strlen(s)); }

/*
 * strtod and printf follow LC_NUMERIC, and a host program may have set a
 * locale whose decimal point is ','. Formats are text exchanged between
 * programs, so both directions translate to and from '.'.
 */
static char locale_point(void)
{
    const struct lconv *lc = localeconv();
    if (lc && lc->decimal_point && lc->decimal_point[0] &&
        !lc->decimal_point[1])
        return lc->decimal_point[0];
    return '.';
}

/* Parse the @n characters at @s (already checked to be a decimal number). */
static int strtod_c(const char *s, size_t n, double *out)
{
    char small[64];
    char *buf = n < sizeof small ? small : malloc(n + 1);
    char point = locale_point();

    if (!buf)
        return WEFT_ENOMEM;
    memcpy(buf, s, n);
    buf[n] = '\0';
    if (point != '.') {
        char *dot = strchr(buf, '.');
        if (dot)
            *dot = point;
    }
    *out = strtod(buf, NULL);
    if (buf != small)
        free(buf);
    return 0;
}

/* Shortest text that strtod reads back as exactly @v ("0.1", "1e+20"). */
static void print_double(char *buf, size_t cap, double v)
{
    char point = locale_point();

    for (int prec = 1; prec <= 17; prec++) {
        double back;
        snprintf(buf, cap, "%.*g", prec, v);
        if (point != '.') {
            char *p = strchr(buf, point);
            if (p)
                *p = '.';
        }
        if (strtod_c(buf, strlen(buf), &back) == 0 && back == v)
            break;
    }
    /* %g writes 100 as "1e+02"; integers of up to 16 digits read better
     * in full. */
    char *e = strchr(buf, 'e');
    if (e && e[1] == '+' && atoi(e + 2) < 16)
        snprintf(buf, cap, "%.0f", v);
}

/* ------------------------------------------------------ growable string */

static void sb_putn(sbuf *sb, const char *s, size_t n)
{
    if (sb->oom)
        return;
    if (sb->len + n + 1 > sb->cap) {
        size_t cap = sb->cap ? sb->cap : 64;
        while (cap < sb->len + n + 1)
            cap *= 2;
        char *p = realloc(sb->p, cap);
        if (!p) {
            sb->oom = true;
            return;
        }
        sb->p = p;
        sb->cap = cap;
    }
    memcpy(sb->p + sb->len, s, n);
    sb->len += n;
    sb->p[sb->len] = '\0';
}

static void sb_puts(sbuf *sb, const char *s) { sb_putn(sb, s, strlen(s)); }

static void sb_putc(sbuf *sb, char c) { sb_putn(sb, &c, 1); }

/* Hand over the string, or NULL (freeing it) when an append failed. */
static char *sb_take(sbuf *sb)
{
    if (sb->oom) {
        free(sb->p);
        return NULL;
    }
    if (!sb->p)
        return weft__dup_s("");
    return sb->p;
}

/* ---------------------------------------------------------------- values */

void weft__fvalue_clear(fvalue *v)
{
    switch (v->type) {
    case WEFT_FV_STRING:
        free(v->u.s);
        break;
    case WEFT_FV_LIST:
        for (size_t i = 0; i < v->u.list.n; i++)
            weft__fvalue_clear(&v->u.list.items[i]);
        free(v->u.list.items);
        break;
    case WEFT_FV_SHAPE:
        if (v->u.shape.dims)
            for (int32_t i = 0; i < v->u.shape.ndim; i++)
                free(v->u.shape.dims[i].name);
        free(v->u.shape.dims);
        break;
    default:
        break;
    }
    v->type = WEFT_FV_NONE;
}

int weft__fvalue_copy(fvalue *dst, const fvalue *src)
{
    *dst = *src;
    switch (src->type) {
    case WEFT_FV_STRING:
        dst->u.s = weft__dup_s(src->u.s);
        if (!dst->u.s)
            goto oom;
        break;
    case WEFT_FV_LIST:
        dst->u.list.items = calloc(src->u.list.n, sizeof(fvalue));
        dst->u.list.n = 0;
        if (!dst->u.list.items)
            goto oom;
        for (size_t i = 0; i < src->u.list.n; i++) {
            if (weft__fvalue_copy(&dst->u.list.items[i],
                                  &src->u.list.items[i]))
                goto fail;
            dst->u.list.n++;
        }
        break;
    case WEFT_FV_SHAPE:
        dst->u.shape.dims = NULL;
        if (src->u.shape.ndim <= 0)
            break;
        dst->u.shape.dims = calloc((size_t)src->u.shape.ndim, sizeof(dim));
        if (!dst->u.shape.dims)
            goto oom;
        for (int32_t i = 0; i < src->u.shape.ndim; i++) {
            dst->u.shape.dims[i].size = src->u.shape.dims[i].size;
            if (src->u.shape.dims[i].name) {
                dst->u.shape.dims[i].name =
                    weft__dup_s(src->u.shape.dims[i].name);
                if (!dst->u.shape.dims[i].name)
                    goto fail;
            }
        }
        break;
    default:
        break;
    }
    return 0;
fail:
    weft__fvalue_clear(dst);
    return WEFT_ENOMEM;
oom:
    dst->type = WEFT_FV_NONE;
    return WEFT_ENOMEM;
}

/* ------------------------------------------------------------- printing */

static void print_string(sbuf *sb, const char *s)
{
    /* A bare word reads back as a string unless it spells a boolean. */
    bool bare = is_ident_start(*s) && strcmp(s, "true") != 0 &&
                strcmp(s, "false") != 0;
    for (const char *p = s; bare && *p; p++)
        bare = is_word_char(*p);
    if (bare) {
        sb_puts(sb, s);
        return;
    }
    sb_putc(sb, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char esc[8];
        switch (*p) {
        case '"': sb_puts(sb, "\\\""); break;
        case '\\': sb_puts(sb, "\\\\"); break;
        case '\n': sb_puts(sb, "\\n"); break;
        case '\t': sb_puts(sb, "\\t"); break;
        case '\r': sb_puts(sb, "\\r"); break;
        default:
            if (*p < 0x20 || *p == 0x7f) {
                /* Always two digits: the parser reads at most two. */
                snprintf(esc, sizeof esc, "\\x%02x", *p);
                sb_puts(sb, esc);
            } else {
                sb_putc(sb, (char)*p);
            }
        }
    }
    sb_putc(sb, '"');
}

/* Floats always show a '.' or an exponent so they read back as floats. */
static void print_float(sbuf *sb, double v)
{
    char buf[40];
    print_double(buf, sizeof buf, v);
    sb_puts(sb, buf);
    if (!strpbrk(buf, ".e"))
        sb_puts(sb, ".0");
}

static void print_int(sbuf *sb, int64_t v)
{
    char buf[24];
    snprintf(buf, sizeof buf, "%" PRId64, v);
    sb_puts(sb, buf);
}

void weft__print_value(sbuf *sb, const fvalue *v)
{
    switch (v->type) {
    case WEFT_FV_INT:
        print_int(sb, v->u.i);
        break;
    case WEFT_FV_FLOAT:
        print_float(sb, v->u.f);
        break;
    case WEFT_FV_STRING:
        print_string(sb, v->u.s);
        break;
    case WEFT_FV_BOOL:
        sb_puts(sb, v->u.b ? "true" : "false");
        break;
    case WEFT_FV_INT_RANGE:
        sb_putc(sb, '[');
        print_int(sb, v->u.ir.lo);
        sb_putc(sb, ',');
        print_int(sb, v->u.ir.hi);
        sb_putc(sb, ']');
        break;
    case WEFT_FV_FLOAT_RANGE:
        sb_putc(sb, '[');
        print_float(sb, v->u.fr.lo);
        sb_putc(sb, ',');
        print_float(sb, v->u.fr.hi);
        sb_putc(sb, ']');
        break;
    case WEFT_FV_LIST:
        sb_putc(sb, '{');
        for (size_t i = 0; i < v->u.list.n; i++) {
            if (i)
                sb_putc(sb, ',');
            weft__print_value(sb, &v->u.list.items[i]);
        }
        sb_putc(sb, '}');
        break;
    case WEFT_FV_SHAPE:
        if (v->u.shape.ndim < 0) {
            sb_putc(sb, '*');
            break;
        }
        sb_putc(sb, '[');
        for (int32_t i = 0; i < v->u.shape.ndim; i++) {
            const dim *d = &v->u.shape.dims[i];
            if (i)
                sb_putc(sb, ',');
            if (d->size >= 0)
                print_int(sb, d->size);
            else
                sb_puts(sb, d->name ? d->name : "*");
        }
        sb_putc(sb, ']');
        break;
    default:
        break;
    }
}

/* ---------------------------------------------------------------- parser */

typedef struct parser {
    const char *s;
    size_t pos;
    char *err;
    size_t errlen;
} parser;

static int WEFT_PRINTF(3, 4) perr(parser *p, size_t at, const char *fmt, ...)
{
    if (p->err && p->errlen) {
        int n = snprintf(p->err, p->errlen, "at %zu: ", at);
        if (n >= 0 && (size_t)n < p->errlen) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
            va_end(ap);
        }
    }
    return WEFT_EPARSE;
}

static void skip_ws(parser *p)
{
    while (is_space(p->s[p->pos]))
        p->pos++;
}

/* Characters that end a bare token inside a field value. */
static bool is_delim(char c)
{
    return c == '\0' || is_space(c) || c == ',' || c == '[' || c == ']' ||
           c == '{' || c == '}' || c == '=' || c == '"';
}

/*
 * Check that @t[0..n) is a decimal number:
 * [+-]? (digits [. digits*] | . digits) ([eE] [+-]? digits)?
 * @is_float tells whether it has a fraction or an exponent.
 */
static bool scan_number(const char *t, size_t n, bool *is_float)
{
    size_t i = 0, digits = 0;

    *is_float = false;
    if (i < n && (t[i] == '+' || t[i] == '-'))
        i++;
    while (i < n && is_digit(t[i]))
        i++, digits++;
    if (i < n && t[i] == '.') {
        *is_float = true;
        i++;
        while (i < n && is_digit(t[i]))
            i++, digits++;
    }
    if (!digits)
        return false;
    if (i < n && (t[i] == 'e' || t[i] == 'E')) {
        size_t exp_digits = 0;
        *is_float = true;
        i++;
        if (i < n && (t[i] == '+' || t[i] == '-'))
            i++;
        while (i < n && is_digit(t[i]))
            i++, exp_digits++;
        if (!exp_digits)
            return false;
    }
    return i == n;
}

/* Decimal integer with overflow check; @t is known to match scan_number. */
static bool parse_i64(const char *t, size_t n, int64_t *out)
{
    bool neg = false;
    uint64_t acc = 0, limit;
    size_t i = 0;

    if (t[0] == '+' || t[0] == '-')
        neg = t[i++] == '-';
    limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; i < n; i++) {
        unsigned d = (unsigned)(t[i] - '0');
        if (acc > (limit - d) / 10)
            return false;
        acc = acc * 10 + d;
    }
    /* Negating through uint64 avoids overflow for INT64_MIN. */
    *out = neg ? (int64_t)(0 - acc) : (int64_t)acc;
    return true;
}

static int parse_quoted(parser *p, fvalue *out)
{
    size_t start = p->pos;
    sbuf sb = { 0 };

    p->pos++;
    for (;;) {
        char c = p->s[p->pos];
        if (c == '\0') {
            free(sb.p);
            return perr(p, start, "unterminated string");
        }
        if (c == '"')
            break;
        if (c != '\\') {
            sb_putc(&sb, c);
            p->pos++;
            continue;
        }
        size_t esc = p->pos;
        c = p->s[++p->pos];
        p->pos++;
        switch (c) {
        case 'n': sb_putc(&sb, '\n'); break;
        case 't': sb_putc(&sb, '\t'); break;
        case 'r': sb_putc(&sb, '\r'); break;
        case 'a': sb_putc(&sb, '\a'); break;
        case 'b': sb_putc(&sb, '\b'); break;
        case 'f': sb_putc(&sb, '\f'); break;
        case 'v': sb_putc(&sb, '\v'); break;
        case '\\': sb_putc(&sb, '\\'); break;
        case '"': sb_putc(&sb, '"'); break;
        case '\'': sb_putc(&sb, '\''); break;
        case 'x': {
            unsigned v = 0;
            int nd = 0;
            for (; nd < 2; nd++) {
                char h = p->s[p->pos];
                unsigned d;
                if (is_digit(h))
                    d = (unsigned)(h - '0');
                else if (h >= 'a' && h <= 'f')
                    d = (unsigned)(h - 'a' + 10);
                else if (h >= 'A' && h <= 'F')
                    d = (unsigned)(h - 'A' + 10);
                else
                    break;
                v = v * 16 + d;
                p->pos++;
            }
            if (!nd || !v) {
                free(sb.p);
                return perr(p, esc, nd ? "\\x00 is not allowed in a string"
                                       : "\\x needs hex digits");
            }
            sb_putc(&sb, (char)v);
            break;
        }
        default:
            free(sb.p);
            if (c == '\0')
                return perr(p, start, "unterminated string");
            return perr(p, esc, "invalid escape '\\%c'", c);
        }
    }
    p->pos++;
    out->type = WEFT_FV_STRING;
    out->u.s = sb_take(&sb);
    if (!out->u.s) {
        out->type = WEFT_FV_NONE;
        return WEFT_ENOMEM;
    }
    return 0;
}

/* An int, float, bool, bare word or quoted string. */
static int parse_scalar(parser *p, fvalue *out)
{
    size_t start = p->pos;
    const char *t = p->s + start;
    size_t n = 0;
    bool is_float;

    if (*t == '"')
        return parse_quoted(p, out);
    while (!is_delim(t[n]))
        n++;
    if (n == 0) {
        if (*t == '\0')
            return perr(p, start, "expected a value, got the end");
        return perr(p, start, "expected a value, got '%c'", *t);
    }
    p->pos += n;
    if (is_digit(*t) || *t == '+' || *t == '-' || *t == '.') {
        if (!scan_number(t, n, &is_float))
            return perr(p, start, "invalid number '%.*s'",
                        (int)(n > 40 ? 40 : n), t);
        if (!is_float) {
            out->type = WEFT_FV_INT;
            if (!parse_i64(t, n, &out->u.i))
                return perr(p, start, "integer out of range");
            return 0;
        }
        out->type = WEFT_FV_FLOAT;
        if (strtod_c(t, n, &out->u.f))
            return WEFT_ENOMEM;
        if (!isfinite(out->u.f))
            return perr(p, start, "number out of range");
        return 0;
    }
    if (*t == '*')
        return perr(p, start, "'*' is only allowed in shape");
    if (!is_ident_start(*t))
        return perr(p, start, "unexpected character '%c'", *t);
    for (size_t i = 1; i < n; i++)
        if (!is_word_char(t[i]))
            return perr(p, start + i, "unexpected character '%c'", t[i]);
    if (n == 4 && memcmp(t, "true", 4) == 0) {
        out->type = WEFT_FV_BOOL;
        out->u.b = true;
        return 0;
    }
    if (n == 5 && memcmp(t, "false", 5) == 0) {
        out->type = WEFT_FV_BOOL;
        out->u.b = false;
        return 0;
    }
    out->u.s = dup_n(t, n);
    if (!out->u.s)
        return WEFT_ENOMEM;
    out->type = WEFT_FV_STRING;
    return 0;
}

static int parse_range(parser *p, fvalue *out)
{
    size_t open = p->pos, at;
    fvalue lo = { 0 }, hi = { 0 };
    int rc;

    p->pos++;
    skip_ws(p);
    at = p->pos;
    if ((rc = parse_scalar(p, &lo)))
        goto out;
    if (lo.type != WEFT_FV_INT && lo.type != WEFT_FV_FLOAT) {
        rc = perr(p, at, "range bounds must be numbers");
        goto out;
    }
    skip_ws(p);
    if (p->s[p->pos] != ',') {
        rc = perr(p, p->pos, "expected ',' in range");
        goto out;
    }
    p->pos++;
    skip_ws(p);
    at = p->pos;
    if ((rc = parse_scalar(p, &hi)))
        goto out;
    if (hi.type != WEFT_FV_INT && hi.type != WEFT_FV_FLOAT) {
        rc = perr(p, at, "range bounds must be numbers");
        goto out;
    }
    skip_ws(p);
    if (p->s[p->pos] != ']') {
        rc = perr(p, p->pos, "expected ']' to close the range");
        goto out;
    }
    p->pos++;
    if (lo.type == WEFT_FV_INT && hi.type == WEFT_FV_INT) {
        if (lo.u.i > hi.u.i) {
            rc = perr(p, open, "empty range: %" PRId64 " > %" PRId64, lo.u.i,
                      hi.u.i);
            goto out;
        }
        out->type = WEFT_FV_INT_RANGE;
        out->u.ir.lo = lo.u.i;
        out->u.ir.hi = hi.u.i;
    } else {
        /* One float bound makes the whole range a float range. */
        double flo = lo.type == WEFT_FV_INT ? (double)lo.u.i : lo.u.f;
        double fhi = hi.type == WEFT_FV_INT ? (double)hi.u.i : hi.u.f;
        if (flo > fhi) {
            rc = perr(p, open, "empty range: lower bound above upper bound");
            goto out;
        }
        out->type = WEFT_FV_FLOAT_RANGE;
        out->u.fr.lo = flo;
        out->u.fr.hi = fhi;
    }
out:
    weft__fvalue_clear(&lo);
    weft__fvalue_clear(&hi);
    return rc;
}

static int parse_list(parser *p, fvalue *out)
{
    size_t open = p->pos, cap = 0;
    fvalue *items = NULL;
    size_t n = 0;
    int rc = 0;

    p->pos++;
    skip_ws(p);
    if (p->s[p->pos] == '}') {
        rc = perr(p, open, "empty list");
        goto fail;
    }
    for (;;) {
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 4;
            fvalue *ni = realloc(items, ncap * sizeof *ni);
            if (!ni) {
                rc = WEFT_ENOMEM;
                goto fail;
            }
            items = ni;
            cap = ncap;
        }
        items[n].type = WEFT_FV_NONE;
        if ((rc = parse_scalar(p, &items[n])))
            goto fail;
        n++;
        skip_ws(p);
        if (p->s[p->pos] == '}')
            break;
        if (p->s[p->pos] != ',') {
            rc = perr(p, p->pos, "expected ',' or '}' in list");
            goto fail;
        }
        p->pos++;
        skip_ws(p);
    }
    p->pos++;
    out->type = WEFT_FV_LIST;
    out->u.list.items = items;
    out->u.list.n = n;
    return 0;
fail:
    for (size_t i = 0; i < n; i++)
        weft__fvalue_clear(&items[i]);
    free(items);
    return rc;
}

static int parse_shape(parser *p, fvalue *out)
{
    dim dims[MAX_RANK];
    int32_t n = 0;
    int rc = 0;

    if (p->s[p->pos] == '*') {
        p->pos++;
        out->type = WEFT_FV_SHAPE;
        out->u.shape.ndim = -1;
        out->u.shape.dims = NULL;
        return 0;
    }
    if (p->s[p->pos] != '[')
        return perr(p, p->pos, "shape must be [d0,d1,...] or *");
    p->pos++;
    skip_ws(p);
    if (p->s[p->pos] != ']') {
        for (;;) {
            size_t at = p->pos, len = 0;
            const char *t = p->s + at;
            if (n == MAX_RANK) {
                rc = perr(p, at, "shape has more than %d dimensions",
                          MAX_RANK);
                goto fail;
            }
            while (!is_delim(t[len]))
                len++;
            dims[n].size = -1;
            dims[n].name = NULL;
            if (len == 1 && *t == '*') {
                /* An anonymous free dimension. */
            } else if (len && is_digit(*t)) {
                bool is_float;
                if (!scan_number(t, len, &is_float) || is_float) {
                    rc = perr(p, at, "invalid dimension '%.*s'",
                              (int)(len > 40 ? 40 : len), t);
                    goto fail;
                }
                if (!parse_i64(t, len, &dims[n].size)) {
                    rc = perr(p, at, "dimension out of range");
                    goto fail;
                }
            } else if (len && is_ident_start(*t)) {
                for (size_t i = 1; i < len; i++) {
                    if (!is_ident_char(t[i])) {
                        rc = perr(p, at + i, "unexpected character '%c' in "
                                  "dimension name", t[i]);
                        goto fail;
                    }
                }
                dims[n].name = dup_n(t, len);
                if (!dims[n].name) {
                    rc = WEFT_ENOMEM;
                    goto fail;
                }
            } else {
                rc = perr(p, at, len && *t == '-' ? "negative dimension"
                          : "expected a dimension (a size, a name or *)");
                goto fail;
            }
            n++;
            p->pos += len;
            skip_ws(p);
            if (p->s[p->pos] == ']')
                break;
            if (p->s[p->pos] != ',') {
                rc = perr(p, p->pos, "expected ',' or ']' in shape");
                goto fail;
            }
            p->pos++;
            skip_ws(p);
        }
    }
    p->pos++;
    out->u.shape.dims = NULL;
    if (n) {
        out->u.shape.dims = malloc((size_t)n * sizeof(dim));
        if (!out->u.shape.dims) {
            rc = WEFT_ENOMEM;
            goto fail;
        }
        memcpy(out->u.shape.dims, dims, (size_t)n * sizeof(dim));
    }
    out->type = WEFT_FV_SHAPE;
    out->u.shape.ndim = n;
    return 0;
fail:
    for (int32_t i = 0; i < n; i++)
        free(dims[i].name);
    return rc;
}

static int parse_value(parser *p, const char *name, fvalue *out)
{
    char c = p->s[p->pos];

    if (strcmp(name, "shape") == 0)
        return parse_shape(p, out);
    if (c == '[')
        return parse_range(p, out);
    if (c == '{')
        return parse_list(p, out);
    return parse_scalar(p, out);
}

const field *weft__find_field(const weft_format *fmt, const char *name)
{
    for (size_t i = 0; i < fmt->n; i++)
        if (strcmp(fmt->fields[i].name, name) == 0)
            return &fmt->fields[i];
    return NULL;
}

/* Append a field, taking ownership of @name and @v even on failure. */
int weft__append_field(weft_format *fmt, char *name, fvalue *v)
{
    if (fmt->n == fmt->cap) {
        size_t cap = fmt->cap ? fmt->cap * 2 : 4;
        field *nf = realloc(fmt->fields, cap * sizeof *nf);
        if (!nf) {
            free(name);
            weft__fvalue_clear(v);
            return WEFT_ENOMEM;
        }
        fmt->fields = nf;
        fmt->cap = cap;
    }
    fmt->fields[fmt->n].name = name;
    fmt->fields[fmt->n].v = *v;
    fmt->n++;
    return 0;
}

weft_format *weft__format_alloc(const char *media)
{
    weft_format *fmt = calloc(1, sizeof *fmt);
    if (!fmt)
        return NULL;
    fmt->media = weft__dup_s(media);
    if (!fmt->media) {
        free(fmt);
        return NULL;
    }
    return fmt;
}

WEFT_API int weft_format_parse(const char *text, weft_format **out, char *err,
                               size_t errlen)
{
    parser p = { text, 0, err, errlen };
    weft_format *fmt = NULL;
    size_t start, n = 0;
    int rc;

    if (err && errlen)
        err[0] = '\0';
    if (!out)
        return WEFT_EINVAL;
    *out = NULL;
    if (!text)
        return WEFT_EINVAL;

    skip_ws(&p);
    start = p.pos;
    while (!is_space(text[start + n]) && text[start + n] != '\0')
        n++;
    if (n == 0)
        return perr(&p, start, "expected a media type");
    if (!is_alpha(text[start]))
        return perr(&p, start, "expected a media type");
    for (size_t i = 1; i < n; i++)
        if (!is_media_char(text[start + i]))
            return perr(&p, start + i, "invalid character '%c' in media type",
                        text[start + i]);
    fmt = calloc(1, sizeof *fmt);
    if (!fmt || !(fmt->media = dup_n(text + start, n))) {
        rc = WEFT_ENOMEM;
        goto fail;
    }
    p.pos = start + n;

    for (;;) {
        size_t name_at, len = 0;
        char *name;
        fvalue v = { 0 };

        skip_ws(&p);
        if (text[p.pos] == '\0')
            break;
        name_at = p.pos;
        if (!is_ident_start(text[name_at])) {
            rc = perr(&p, name_at, "expected a field name");
            goto fail;
        }
        while (is_ident_char(text[name_at + len]) ||
               text[name_at + len] == '.' || text[name_at + len] == '-')
            len++;
        p.pos += len;
        skip_ws(&p);
        if (text[p.pos] != '=') {
            rc = perr(&p, p.pos, "expected '=' after '%.*s'", (int)len,
                      text + name_at);
            goto fail;
        }
        p.pos++;
        skip_ws(&p);
        name = dup_n(text + name_at, len);
        if (!name) {
            rc = WEFT_ENOMEM;
            goto fail;
        }
        if (weft__find_field(fmt, name)) {
            rc = perr(&p, name_at, "duplicate field '%s'", name);
            free(name);
            goto fail;
        }
        if ((rc = parse_value(&p, name, &v))) {
            free(name);
            goto fail;
        }
        if (text[p.pos] != '\0' && !is_space(text[p.pos])) {
            rc = perr(&p, p.pos, "unexpected '%c' after the value of '%s'",
                      text[p.pos], name);
            free(name);
            weft__fvalue_clear(&v);
            goto fail;
        }
        if ((rc = weft__append_field(fmt, name, &v)))
            goto fail;
    }
    *out = fmt;
    return 0;
fail:
    weft_format_free(fmt);
    return rc;
}

WEFT_API void weft_format_free(weft_format *fmt)
{
    if (!fmt)
        return;
    for (size_t i = 0; i < fmt->n; i++) {
        free(fmt->fields[i].name);
        weft__fvalue_clear(&fmt->fields[i].v);
    }
    free(fmt->fields);
    free(fmt->media);
    free(fmt);
}

WEFT_API weft_format *weft_format_copy(const weft_format *fmt)
{
    weft_format *c;

    if (!fmt || !(c = weft__format_alloc(fmt->media)))
        return NULL;
    for (size_t i = 0; i < fmt->n; i++) {
        fvalue v;
        char *name = weft__dup_s(fmt->fields[i].name);
        if (!name)
            goto fail;
        if (weft__fvalue_copy(&v, &fmt->fields[i].v)) {
            free(name);
            goto fail;
        }
        if (weft__append_field(c, name, &v))
            goto fail;
    }
    return c;
fail:
    weft_format_free(c);
    return NULL;
}

WEFT_API char *weft_format_to_string(const weft_format *fmt)
{
    sbuf sb = { 0 };

    if (!fmt)
        return NULL;
    sb_puts(&sb, fmt->media);
    for (size_t i = 0; i < fmt->n; i++) {
        sb_putc(&sb, ' ');
        sb_puts(&sb, fmt->fields[i].name);
        sb_putc(&sb, '=');
        weft__print_value(&sb, &fmt->fields[i].v);
    }
    return sb_take(&sb);
}

/* --------------------------------------------------------------- getters */

WEFT_API const char *weft_format_media(const weft_format *fmt)
{
    return fmt ? fmt->media : NULL;
}

WEFT_API bool weft_format_is_any(const weft_format *fmt)
{
    return fmt && strcmp(fmt->media, "any") == 0;
}

WEFT_API size_t weft_format_n_fields(const weft_format *fmt)
{
    return fmt ? fmt->n : 0;
}

WEFT_API const char *weft_format_field_name(const weft_format *fmt, size_t i)
{
    return fmt && i < fmt->n ? fmt->fields[i].name : NULL;
}

WEFT_API weft_fvalue_type weft_format_field_type(const weft_format *fmt,
                                                 const char *name)
{
    const field *f = fmt && name ? weft__find_field(fmt, name) : NULL;
    return f ? f->v.type : WEFT_FV_NONE;
}

static int get_field(const weft_format *fmt, const char *name, void *v,
                     const fvalue **out)
{
    if (!fmt || !name || !v)
        return WEFT_EINVAL;
    const field *f = weft__find_field(fmt, name);
    *out = f ? &f->v : NULL;
    return f ? 0 : WEFT_ENOENT;
}

WEFT_API int weft_format_get_int(const weft_format *fmt, const char *name,
                                 int64_t *v)
{
    const fvalue *f;
    int rc = get_field(fmt, name, v, &f);
    if (rc)
        return rc;
    if (f->type != WEFT_FV_INT)
        return WEFT_ETYPE;
    *v = f->u.i;
    return 0;
}

WEFT_API int weft_format_get_float(const weft_format *fmt, const char *name,
                                   double *v)
{
    const fvalue *f;
    int rc = get_field(fmt, name, v, &f);
    if (rc)
        return rc;
    if (f->type == WEFT_FV_INT)
        *v = (double)f->u.i;
    else if (f->type == WEFT_FV_FLOAT)
        *v = f->u.f;
    else
        return WEFT_ETYPE;
    return 0;
}

WEFT_API int weft_format_get_string(const weft_format *fmt, const char *name,
                                    const char **v)
{
    const fvalue *f;
    int rc = get_field(fmt, name, v, &f);
    if (rc)
        return rc;
    if (f->type != WEFT_FV_STRING)
        return WEFT_ETYPE;
    *v = f->u.s;
    return 0;
}

WEFT_API int weft_format_get_bool(const weft_format *fmt, const char *name,
                                  bool *v)
{
    const fvalue *f;
    int rc = get_field(fmt, name, v, &f);
    if (rc)
        return rc;
    if (f->type != WEFT_FV_BOOL)
        return WEFT_ETYPE;
    *v = f->u.b;
    return 0;
}

WEFT_API int weft_format_get_shape(const weft_format *fmt, int32_t *ndim,
                                   int64_t *dims, const char **names,
                                   size_t cap)
{
    const fvalue *f;
    int rc = get_field(fmt, "shape", ndim, &f);
    if (rc)
        return rc;
    if (f->type != WEFT_FV_SHAPE)
        return WEFT_ETYPE;
    *ndim = f->u.shape.ndim;
    for (int32_t i = 0; i < f->u.shape.ndim && (size_t)i < cap; i++) {
        if (dims)
            dims[i] = f->u.shape.dims[i].size;
        if (names)
            names[i] = f->u.shape.dims[i].name;
    }
    return 0;
}

/* -------------------------------------------------------------- builders */

WEFT_API weft_format *weft_format_new(const char *media)
{
    return is_media(media) ? weft__format_alloc(media) : NULL;
}

/* Set field @name to @v, taking ownership of @v even on failure. */
static int set_field(weft_format *fmt, const char *name, fvalue *v)
{
    char *dup;

    for (size_t i = 0; i < fmt->n; i++) {
        if (strcmp(fmt->fields[i].name, name) == 0) {
            weft__fvalue_clear(&fmt->fields[i].v);
            fmt->fields[i].v = *v;
            return 0;
        }
    }
    if (!(dup = weft__dup_s(name))) {
        weft__fvalue_clear(v);
        return WEFT_ENOMEM;
    }
    return weft__append_field(fmt, dup, v);
}

/* Scalar setters may not touch `shape`, which always holds a shape. */
static bool scalar_name_ok(const weft_format *fmt, const char *name)
{
    return fmt && is_field_name(name) && strcmp(name, "shape") != 0;
}

WEFT_API int weft_format_set_int(weft_format *fmt, const char *name,
                                 int64_t v)
{
    fvalue f = { .type = WEFT_FV_INT, .u.i = v };
    return scalar_name_ok(fmt, name) ? set_field(fmt, name, &f) : WEFT_EINVAL;
}

WEFT_API int weft_format_set_float(weft_format *fmt, const char *name,
                                   double v)
{
    fvalue f = { .type = WEFT_FV_FLOAT, .u.f = v };
    if (!scalar_name_ok(fmt, name) || !isfinite(v))
        return WEFT_EINVAL;
    return set_field(fmt, name, &f);
}

WEFT_API int weft_format_set_string(weft_format *fmt, const char *name,
                                    const char *v)
{
    fvalue f = { .type = WEFT_FV_STRING };
    if (!scalar_name_ok(fmt, name) || !v)
        return WEFT_EINVAL;
    if (!(f.u.s = weft__dup_s(v)))
        return WEFT_ENOMEM;
    return set_field(fmt, name, &f);
}

WEFT_API int weft_format_set_bool(weft_format *fmt, const char *name, bool v)
{
    fvalue f = { .type = WEFT_FV_BOOL, .u.b = v };
    return scalar_name_ok(fmt, name) ? set_field(fmt, name, &f) : WEFT_EINVAL;
}

WEFT_API int weft_format_set_shape(weft_format *fmt, int32_t ndim,
                                   const int64_t *dims,
                                   const char *const *names)
{
    fvalue f = { .type = WEFT_FV_SHAPE };

    if (!fmt || ndim < -1 || ndim > MAX_RANK || (ndim > 0 && !dims))
        return WEFT_EINVAL;
    for (int32_t i = 0; i < ndim; i++) {
        const char *nm = names ? names[i] : NULL;
        if (dims[i] < -1 || (dims[i] == -1 && nm && strcmp(nm, "*") != 0 &&
                             !is_ident(nm)))
            return WEFT_EINVAL;
    }
    f.u.shape.ndim = ndim;
    f.u.shape.dims = NULL;
    if (ndim > 0) {
        f.u.shape.dims = calloc((size_t)ndim, sizeof(dim));
        if (!f.u.shape.dims)
            return WEFT_ENOMEM;
        for (int32_t i = 0; i < ndim; i++) {
            const char *nm = names ? names[i] : NULL;
            f.u.shape.dims[i].size = dims[i];
            if (dims[i] == -1 && nm && strcmp(nm, "*") != 0 &&
                !(f.u.shape.dims[i].name = weft__dup_s(nm))) {
                weft__fvalue_clear(&f);
                return WEFT_ENOMEM;
            }
        }
    }
    return set_field(fmt, "shape", &f);
}

WEFT_API int weft_format_remove(weft_format *fmt, const char *name)
{
    if (!fmt || !name)
        return WEFT_EINVAL;
    for (size_t i = 0; i < fmt->n; i++) {
        if (strcmp(fmt->fields[i].name, name) == 0) {
            free(fmt->fields[i].name);
            weft__fvalue_clear(&fmt->fields[i].v);
            memmove(&fmt->fields[i], &fmt->fields[i + 1],
                    (fmt->n - i - 1) * sizeof *fmt->fields);
            fmt->n--;
            return 0;
        }
    }
    return WEFT_ENOENT;
}
