/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * prop.c: typed node properties (weft/prop.h): values parsed from text
 * against a descriptor, with units and one-line errors, canonical printing
 * and descriptor validation.
 *
 * Property text comes from graph files, the command line and fuzzers, so
 * numbers are read with explicit overflow checks, integers with exact
 * decimal arithmetic (so "44.1k" is exactly 44100), and nothing recurses:
 * list elements are scalars.
 */
#include <weft/prop.h>

#include <inttypes.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct weft_value {
    weft_prop_type type;
    union {
        bool b;
        int64_t i;
        double f;
        struct {
            char *s;
            int32_t idx; /* ENUM: index of the choice, else -1 */
        } s;
        struct {
            weft_value *items;
            size_t n;
        } list;
    } u;
};

/* ------------------------------------------------------------ utilities */

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
           c == '\v';
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

static int hex_val(char c)
{
    if (is_digit(c))
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static char lower(char c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

static char *dup_n(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

/*
 * strtod and printf follow LC_NUMERIC, and a host program may have set a
 * locale whose decimal point is ','. Property text is exchanged between
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

/* strtod on a NUL-terminated, already validated decimal number. */
static double strtod_c(char *s)
{
    char point = locale_point();
    if (point != '.') {
        char *dot = strchr(s, '.');
        if (dot)
            *dot = point;
    }
    return strtod(s, NULL);
}

/* Shortest text that reads back as exactly @v ("0.1", "1e+20"). */
static void print_double(char *buf, size_t cap, double v)
{
    char point = locale_point();

    for (int prec = 1; prec <= 17; prec++) {
        char tmp[48];
        snprintf(buf, cap, "%.*g", prec, v);
        if (point != '.') {
            char *p = strchr(buf, point);
            if (p)
                *p = '.';
        }
        snprintf(tmp, sizeof tmp, "%s", buf);
        if (strtod_c(tmp) == v)
            break;
    }
    /* %g writes 100 as "1e+02"; integers of up to 16 digits read better
     * in full. */
    char *e = strchr(buf, 'e');
    if (e && e[1] == '+' && atoi(e + 2) < 16)
        snprintf(buf, cap, "%.0f", v);
}

/* Error reporting: an optional prefix ("list element 2: ") and a reason. */
typedef struct ectx {
    char *err;
    size_t errlen;
    size_t elem; /* 1-based list element, 0 outside lists */
} ectx;

static int WEFT_PRINTF(3, 4) fail(ectx *e, int code, const char *fmt, ...)
{
    if (e->err && e->errlen) {
        int n = 0;
        if (e->elem)
            n = snprintf(e->err, e->errlen, "list element %zu: ", e->elem);
        if (n >= 0 && (size_t)n < e->errlen) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(e->err + n, e->errlen - (size_t)n, fmt, ap);
            va_end(ap);
        }
    }
    return code;
}

/* Show at most 40 bytes of the offending text in messages. */
#define SHOW(n) ((int)((n) > 40 ? 40 : (n)))

/* ---------------------------------------------------------------- values */

static void value_clear(weft_value *v)
{
    switch (v->type) {
    case WEFT_PROP_STRING:
    case WEFT_PROP_PATH:
    case WEFT_PROP_ENUM:
        free(v->u.s.s);
        break;
    case WEFT_PROP_LIST:
        for (size_t i = 0; i < v->u.list.n; i++)
            value_clear(&v->u.list.items[i]);
        free(v->u.list.items);
        break;
    default:
        break;
    }
    v->type = 0;
}

static int value_copy_into(weft_value *dst, const weft_value *src)
{
    *dst = *src;
    switch (src->type) {
    case WEFT_PROP_STRING:
    case WEFT_PROP_PATH:
    case WEFT_PROP_ENUM:
        dst->u.s.s = dup_n(src->u.s.s, strlen(src->u.s.s));
        if (!dst->u.s.s) {
            dst->type = 0;
            return WEFT_ENOMEM;
        }
        break;
    case WEFT_PROP_LIST:
        dst->u.list.items = NULL;
        dst->u.list.n = 0;
        if (!src->u.list.n)
            break;
        dst->u.list.items = calloc(src->u.list.n, sizeof(weft_value));
        if (!dst->u.list.items) {
            dst->type = 0;
            return WEFT_ENOMEM;
        }
        for (size_t i = 0; i < src->u.list.n; i++) {
            if (value_copy_into(&dst->u.list.items[i],
                                &src->u.list.items[i])) {
                value_clear(dst);
                return WEFT_ENOMEM;
            }
            dst->u.list.n++;
        }
        break;
    default:
        break;
    }
    return 0;
}

/* ---------------------------------------------------------- unit tables */

typedef struct suffix {
    const char *text;
    int exp10;    /* the value is multiplied by 10^exp10 ... */
    int64_t mult; /* ... and by mult */
} suffix;

static const suffix time_suffixes[] = {
    { "ns", -9, 1 }, { "us", -6, 1 }, { "\xc2\xb5s", -6, 1 },
    { "ms", -3, 1 }, { "s", 0, 1 },   { "min", 0, 60 },
    { NULL, 0, 0 },
};

static const suffix hz_suffixes[] = {
    { "k", 3, 1 },   { "M", 6, 1 },   { "kHz", 3, 1 },
    { "MHz", 6, 1 }, { "Hz", 0, 1 },  { NULL, 0, 0 },
};

/*
 * Find @s (@n bytes) among the suffixes the unit allows: time units for "s",
 * frequency prefixes for "Hz", and for any other unit the SI prefixes k, M
 * and G, each optionally followed by the unit's name ("2kframes", "3 dB").
 * A property without a unit takes no suffix.
 */
static bool find_suffix(const char *unit, const char *s, size_t n, int *exp10,
                        int64_t *mult)
{
    const suffix *table = NULL;

    *exp10 = 0;
    *mult = 1;
    if (n == 0)
        return true;
    if (!unit)
        return false;
    if (strcmp(unit, "s") == 0)
        table = time_suffixes;
    else if (strcmp(unit, "Hz") == 0)
        table = hz_suffixes;
    if (table) {
        for (; table->text; table++) {
            if (strlen(table->text) == n && memcmp(table->text, s, n) == 0) {
                *exp10 = table->exp10;
                *mult = table->mult;
                return true;
            }
        }
        return false;
    }
    size_t ulen = strlen(unit);
    if (n > 0 && (s[0] == 'k' || s[0] == 'M' || s[0] == 'G') &&
        (n == 1 || (n - 1 == ulen && memcmp(s + 1, unit, ulen) == 0))) {
        *exp10 = s[0] == 'k' ? 3 : s[0] == 'M' ? 6 : 9;
        return true;
    }
    return n == ulen && memcmp(s, unit, n) == 0;
}

/* "k, M, kHz, MHz, Hz" for messages. */
static void list_suffixes(const char *unit, char *buf, size_t cap)
{
    const suffix *table = NULL;
    size_t len = 0;

    buf[0] = '\0';
    if (!unit)
        return;
    if (strcmp(unit, "s") == 0)
        table = time_suffixes;
    else if (strcmp(unit, "Hz") == 0)
        table = hz_suffixes;
    if (!table) {
        snprintf(buf, cap, "k, M, G, %s", unit);
        return;
    }
    for (; table->text && len < cap; table++) {
        int n = snprintf(buf + len, cap - len, "%s%s", len ? ", " : "",
                         table->text);
        if (n < 0)
            break;
        len += (size_t)n;
    }
}

/* ------------------------------------------------------------- scalars */

/*
 * Split a number at @t into its digits and its suffix. Returns the length
 * of the numeric part, 0 when there is none. @frac_at is the index of '.'
 * or SIZE_MAX, @exp_at the index of 'e'/'E' or SIZE_MAX.
 */
static size_t scan_decimal(const char *t, size_t n, bool allow_exp,
                           size_t *frac_at, size_t *exp_at)
{
    size_t i = 0, digits = 0;

    *frac_at = *exp_at = SIZE_MAX;
    if (i < n && (t[i] == '+' || t[i] == '-'))
        i++;
    while (i < n && is_digit(t[i]))
        i++, digits++;
    if (i < n && t[i] == '.') {
        *frac_at = i++;
        while (i < n && is_digit(t[i]))
            i++, digits++;
    }
    if (!digits)
        return 0;
    /* An exponent needs digits, or the 'e' belongs to a suffix. */
    if (allow_exp && i < n && (t[i] == 'e' || t[i] == 'E')) {
        size_t j = i + 1;
        if (j < n && (t[j] == '+' || t[j] == '-'))
            j++;
        if (j < n && is_digit(t[j])) {
            *exp_at = i;
            while (j < n && is_digit(t[j]))
                j++;
            i = j;
        }
    }
    return i;
}

static int bad_suffix(ectx *e, const weft_prop_desc *d, const char *t,
                      size_t n, size_t at)
{
    char opts[96];

    if (at == 0)
        return fail(e, WEFT_EPARSE, "expected a number, got '%.*s'", SHOW(n),
                    t);
    if (!d->unit)
        return fail(e, WEFT_EPARSE, "unexpected '%.*s' after the number "
                    "(the property has no unit)", SHOW(n - at), t + at);
    list_suffixes(d->unit, opts, sizeof opts);
    return fail(e, WEFT_EPARSE, "unknown unit '%.*s' (expected one of: %s)",
                SHOW(n - at), t + at, opts);
}

static int parse_int(const weft_prop_desc *d, const char *t, size_t n,
                     int64_t *out, ectx *e)
{
    bool neg = false;
    uint64_t mant = 0;
    int scale = 0, exp10;
    int64_t mult;
    size_t i = 0, num_end, frac_at, exp_at;

    if (i < n && (t[i] == '+' || t[i] == '-'))
        neg = t[i++] == '-';
    if (n - i > 2 && t[i] == '0' && lower(t[i + 1]) == 'x' &&
        hex_val(t[i + 2]) >= 0) {
        for (i += 2; i < n && hex_val(t[i]) >= 0; i++) {
            if (mant > (UINT64_MAX >> 4))
                goto range;
            mant = mant * 16 + (uint64_t)hex_val(t[i]);
        }
        num_end = i;
    } else {
        num_end = scan_decimal(t, n, false, &frac_at, &exp_at);
        if (!num_end)
            return bad_suffix(e, d, t, n, 0);
        /* Exact decimal: digits without the point, and a power of ten.
         * Trailing zeros of the fraction change nothing, so skip them. */
        size_t last = num_end;
        if (frac_at != SIZE_MAX)
            while (last > frac_at + 1 && t[last - 1] == '0')
                last--;
        for (; i < last; i++) {
            if (t[i] == '.')
                continue;
            if (i > frac_at)
                scale--;
            if (mant > (UINT64_MAX - 9) / 10)
                goto range;
            mant = mant * 10 + (uint64_t)(t[i] - '0');
        }
    }
    for (i = num_end; i < n && is_space(t[i]); i++)
        ;
    if (!find_suffix(d->unit, t + i, n - i, &exp10, &mult))
        return bad_suffix(e, d, t, n, i);
    scale += exp10;
    if (mant != 0) {
        /* Multiply first, so "1.5min" is 15 * 60 / 10 = 90, exactly. */
        if (mant > UINT64_MAX / (uint64_t)mult)
            goto range;
        mant *= (uint64_t)mult;
        for (; scale > 0; scale--) {
            if (mant > UINT64_MAX / 10)
                goto range;
            mant *= 10;
        }
        for (; scale < 0; scale++) {
            if (mant % 10)
                return fail(e, WEFT_EPARSE, "'%.*s' is not an integer",
                            SHOW(n), t);
            mant /= 10;
        }
    }
    if (mant > (neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX))
        goto range;
    /* Negating through uint64 keeps INT64_MIN defined. */
    *out = neg ? (int64_t)(0 - mant) : (int64_t)mant;
    return 0;
range:
    return fail(e, WEFT_ERANGE, "'%.*s' is out of range for a 64-bit integer",
                SHOW(n), t);
}

static int parse_float(const weft_prop_desc *d, const char *t, size_t n,
                       double *out, ectx *e)
{
    size_t num_end, frac_at, exp_at, mant_end, i;
    long exp = 0;
    int exp10;
    int64_t mult;
    char *buf;

    num_end = scan_decimal(t, n, true, &frac_at, &exp_at);
    if (!num_end)
        return bad_suffix(e, d, t, n, 0);
    for (i = num_end; i < n && is_space(t[i]); i++)
        ;
    if (!find_suffix(d->unit, t + i, n - i, &exp10, &mult))
        return bad_suffix(e, d, t, n, i);

    /*
     * Fold the suffix into the decimal exponent and let strtod round once,
     * so "25ms" is exactly the double nearest 0.025. The exponent saturates;
     * anything that large overflows or underflows anyway.
     */
    mant_end = exp_at != SIZE_MAX ? exp_at : num_end;
    if (exp_at != SIZE_MAX) {
        size_t j = exp_at + 1;
        bool eneg = false;
        if (t[j] == '+' || t[j] == '-')
            eneg = t[j++] == '-';
        for (; j < num_end; j++)
            if (exp < 100000)
                exp = exp * 10 + (t[j] - '0');
        if (eneg)
            exp = -exp;
    }
    exp += exp10;
    buf = malloc(mant_end + 16);
    if (!buf)
        return WEFT_ENOMEM;
    memcpy(buf, t, mant_end);
    snprintf(buf + mant_end, 16, "e%ld", exp);
    *out = strtod_c(buf) * (double)mult;
    free(buf);
    if (!isfinite(*out))
        return fail(e, WEFT_ERANGE, "'%.*s' is out of range for a float",
                    SHOW(n), t);
    return 0;
}

static int parse_bool(const char *t, size_t n, bool *out, ectx *e)
{
    static const char *const yes[] = { "true", "yes", "on", "1" };
    static const char *const no[] = { "false", "no", "off", "0" };

    for (size_t k = 0; k < 4; k++) {
        const char *w[2] = { yes[k], no[k] };
        for (int b = 0; b < 2; b++) {
            size_t j = 0;
            if (strlen(w[b]) != n)
                continue;
            while (j < n && lower(t[j]) == w[b][j])
                j++;
            if (j == n) {
                *out = b == 0;
                return 0;
            }
        }
    }
    return fail(e, WEFT_EPARSE, "expected a boolean (true/false, yes/no, "
                "on/off, 1/0), got '%.*s'", SHOW(n), t);
}

/*
 * Decode the quoted string starting at @t[0] == '"'. @base is @t's offset
 * in the whole text, for messages. On success *@end is the index just past
 * the closing quote and *@s the decoded (malloc'd) text.
 */
static int parse_quoted(const char *t, size_t n, size_t base, size_t *end,
                        char **s, ectx *e)
{
    char *buf = malloc(n + 1);
    size_t len = 0, i = 1;

    if (!buf)
        return WEFT_ENOMEM;
    for (;;) {
        if (i >= n) {
            free(buf);
            return fail(e, WEFT_EPARSE, "at %zu: unterminated string", base);
        }
        char c = t[i];
        if (c == '"')
            break;
        if (c != '\\') {
            buf[len++] = c;
            i++;
            continue;
        }
        size_t esc = i++;
        c = i < n ? t[i++] : '\0';
        switch (c) {
        case 'n': buf[len++] = '\n'; break;
        case 't': buf[len++] = '\t'; break;
        case 'r': buf[len++] = '\r'; break;
        case 'a': buf[len++] = '\a'; break;
        case 'b': buf[len++] = '\b'; break;
        case 'f': buf[len++] = '\f'; break;
        case 'v': buf[len++] = '\v'; break;
        case '\\': buf[len++] = '\\'; break;
        case '"': buf[len++] = '"'; break;
        case '\'': buf[len++] = '\''; break;
        case 'x': {
            int v = 0, nd = 0;
            /* At most two digits, so "\x41B" is "AB" as the printer means. */
            for (; nd < 2 && i < n && hex_val(t[i]) >= 0; nd++)
                v = v * 16 + hex_val(t[i++]);
            if (!nd || !v) {
                free(buf);
                return fail(e, WEFT_EPARSE, "at %zu: %s", base + esc,
                            nd ? "\\x00 is not allowed in a string"
                               : "\\x needs hex digits");
            }
            buf[len++] = (char)v;
            break;
        }
        default:
            free(buf);
            if (c == '\0')
                return fail(e, WEFT_EPARSE, "at %zu: unterminated string",
                            base);
            return fail(e, WEFT_EPARSE, "at %zu: invalid escape '\\%c'",
                        base + esc, c);
        }
    }
    buf[len] = '\0';
    *end = i + 1;
    *s = buf;
    return 0;
}

static void trim(const char *t, size_t *start, size_t *end)
{
    while (*start < *end && is_space(t[*start]))
        (*start)++;
    while (*end > *start && is_space(t[*end - 1]))
        (*end)--;
}

static int check_range(const weft_prop_desc *d, double v, const char *shown,
                       ectx *e)
{
    char lim[40];

    if ((d->flags & WEFT_PROP_HAS_MIN) && v < d->min) {
        print_double(lim, sizeof lim, d->min);
        return fail(e, WEFT_ERANGE, "%s is below the minimum %s", shown, lim);
    }
    if ((d->flags & WEFT_PROP_HAS_MAX) && v > d->max) {
        print_double(lim, sizeof lim, d->max);
        return fail(e, WEFT_ERANGE, "%s is above the maximum %s", shown, lim);
    }
    return 0;
}

static void append_choices(const weft_prop_desc *d, char *buf, size_t cap)
{
    size_t len = 0;

    buf[0] = '\0';
    for (size_t k = 0; d->choices && d->choices[k] && len < cap; k++) {
        int n = snprintf(buf + len, cap - len, "%s%s", k ? ", " : "",
                         d->choices[k]);
        if (n < 0)
            break;
        len += (size_t)n;
    }
}

/*
 * Parse @text[start,end) as one value of @type (not a list). Any type may be
 * written quoted, as graph files do with `preset = "kaldi"`.
 */
static int parse_scalar(const weft_prop_desc *d, weft_prop_type type,
                        const char *text, size_t start, size_t end,
                        weft_value *out, ectx *e)
{
    const char *t;
    char *q = NULL, shown[40];
    size_t n;
    int rc = 0;

    trim(text, &start, &end);
    t = text + start;
    n = end - start;
    if (n && *t == '"') {
        size_t qend = 0;
        if ((rc = parse_quoted(t, n, start, &qend, &q, e)))
            return rc;
        while (qend < n && is_space(t[qend]))
            qend++;
        if (qend != n) {
            free(q);
            return fail(e, WEFT_EPARSE, "at %zu: unexpected text after the "
                        "closing quote", start + qend);
        }
        t = q;
        n = strlen(q);
    }

    out->type = type;
    switch (type) {
    case WEFT_PROP_BOOL:
        rc = parse_bool(t, n, &out->u.b, e);
        break;
    case WEFT_PROP_INT:
        if ((rc = parse_int(d, t, n, &out->u.i, e)))
            break;
        snprintf(shown, sizeof shown, "%" PRId64, out->u.i);
        rc = check_range(d, (double)out->u.i, shown, e);
        break;
    case WEFT_PROP_FLOAT:
        if ((rc = parse_float(d, t, n, &out->u.f, e)))
            break;
        print_double(shown, sizeof shown, out->u.f);
        rc = check_range(d, out->u.f, shown, e);
        break;
    case WEFT_PROP_ENUM: {
        char opts[256];
        for (int32_t k = 0; d->choices && d->choices[k]; k++) {
            if (strlen(d->choices[k]) == n &&
                memcmp(d->choices[k], t, n) == 0) {
                out->u.s.idx = k;
                out->u.s.s = dup_n(t, n);
                rc = out->u.s.s ? 0 : WEFT_ENOMEM;
                goto out;
            }
        }
        append_choices(d, opts, sizeof opts);
        rc = fail(e, WEFT_EPARSE, "unknown value '%.*s'; expected one of: %s",
                  SHOW(n), t, opts);
        break;
    }
    case WEFT_PROP_PATH:
        /* "" names no file, which only an optional path without a default
         * (WEFT_PROP_PATH_OPTIONAL) may mean: a graph then passes an empty
         * param to switch the file off. */
        if (n == 0 && (d->type != WEFT_PROP_PATH || d->default_value ||
                       (d->flags & WEFT_PROP_REQUIRED))) {
            rc = fail(e, WEFT_EPARSE, "a path cannot be empty");
            break;
        }
        /* fall through */
    case WEFT_PROP_STRING:
        out->u.s.idx = -1;
        if (q) {
            out->u.s.s = q;
            q = NULL;
        } else {
            out->u.s.s = dup_n(t, n);
        }
        rc = out->u.s.s ? 0 : WEFT_ENOMEM;
        break;
    default:
        rc = fail(e, WEFT_ETYPE, "unsupported property type %" PRIu32, type);
        break;
    }
out:
    if (rc)
        out->type = 0;
    free(q);
    return rc;
}

/* `[a, b, c]`: elements split at top-level commas, quotes respected. */
static int parse_list(const weft_prop_desc *d, const char *text, size_t len,
                      weft_value *out, ectx *e)
{
    size_t start = 0, end = len, i, n = 0, cap = 0;
    weft_value *items = NULL;
    int rc = 0;

    trim(text, &start, &end);
    if (start == end || text[start] != '[')
        return fail(e, WEFT_EPARSE, "at %zu: expected '[' to start a list",
                    start);
    i = start + 1;
    while (i < end && is_space(text[i]))
        i++;
    if (i < end && text[i] == ']') {
        i++;
    } else {
        for (;;) {
            while (i < end && is_space(text[i]))
                i++;
            size_t el = i;
            if (i < end && text[i] == '"') {
                /* Skip to the closing quote; parse_quoted decodes later. */
                for (i++; i < end && text[i] != '"'; i++)
                    if (text[i] == '\\' && i + 1 < end)
                        i++;
                if (i >= end) {
                    rc = fail(e, WEFT_EPARSE, "at %zu: unterminated string",
                              el);
                    goto fail;
                }
                i++;
            } else {
                while (i < end && text[i] != ',' && text[i] != ']')
                    i++;
            }
            size_t el_end = i, s0 = el;
            trim(text, &s0, &el_end);
            if (s0 == el_end) {
                rc = fail(e, WEFT_EPARSE, "at %zu: empty list element", el);
                goto fail;
            }
            if (n == cap) {
                size_t ncap = cap ? cap * 2 : 4;
                weft_value *ni = realloc(items, ncap * sizeof *ni);
                if (!ni) {
                    rc = WEFT_ENOMEM;
                    goto fail;
                }
                items = ni;
                cap = ncap;
            }
            e->elem = n + 1;
            rc = parse_scalar(d, d->elem_type, text, el, el_end, &items[n], e);
            e->elem = 0;
            if (rc)
                goto fail;
            n++;
            while (i < end && is_space(text[i]))
                i++;
            if (i < end && text[i] == ']') {
                i++;
                break;
            }
            if (i >= end || text[i] != ',') {
                rc = fail(e, WEFT_EPARSE, "at %zu: expected ',' or ']' in "
                          "list", i);
                goto fail;
            }
            i++;
        }
    }
    while (i < end && is_space(text[i]))
        i++;
    if (i != end) {
        rc = fail(e, WEFT_EPARSE, "at %zu: unexpected text after ']'", i);
        goto fail;
    }
    out->type = WEFT_PROP_LIST;
    out->u.list.items = items;
    out->u.list.n = n;
    return 0;
fail:
    for (size_t k = 0; k < n; k++)
        value_clear(&items[k]);
    free(items);
    return rc;
}

static bool is_scalar_type(weft_prop_type t)
{
    return t >= WEFT_PROP_BOOL && t <= WEFT_PROP_PATH;
}

WEFT_API int weft_value_parse(const weft_prop_desc *desc, const char *text,
                              weft_value **out, char *err, size_t errlen)
{
    ectx e = { err, errlen, 0 };
    weft_value *v;
    int rc;

    if (err && errlen)
        err[0] = '\0';
    if (!out)
        return WEFT_EINVAL;
    *out = NULL;
    if (!desc || !text)
        return WEFT_EINVAL;
    if (desc->type == WEFT_PROP_LIST && !is_scalar_type(desc->elem_type))
        return fail(&e, WEFT_ETYPE, "unsupported list element type %" PRIu32,
                    desc->elem_type);
    if (desc->type == WEFT_PROP_ENUM ||
        (desc->type == WEFT_PROP_LIST && desc->elem_type == WEFT_PROP_ENUM)) {
        if (!desc->choices || !desc->choices[0])
            return fail(&e, WEFT_ETYPE, "enum property without choices");
    }
    v = calloc(1, sizeof *v);
    if (!v)
        return WEFT_ENOMEM;
    if (desc->type == WEFT_PROP_LIST)
        rc = parse_list(desc, text, strlen(text), v, &e);
    else
        rc = parse_scalar(desc, desc->type, text, 0, strlen(text), v, &e);
    if (rc) {
        free(v);
        return rc;
    }
    *out = v;
    return 0;
}

WEFT_API void weft_value_free(weft_value *v)
{
    if (!v)
        return;
    value_clear(v);
    free(v);
}

WEFT_API weft_value *weft_value_copy(const weft_value *v)
{
    weft_value *c;

    if (!v || !(c = malloc(sizeof *c)))
        return NULL;
    if (value_copy_into(c, v)) {
        free(c);
        return NULL;
    }
    return c;
}

/* ------------------------------------------------------------ accessors */

WEFT_API weft_prop_type weft_value_type(const weft_value *v)
{
    return v ? v->type : 0;
}

WEFT_API bool weft_value_bool(const weft_value *v)
{
    return v && v->type == WEFT_PROP_BOOL && v->u.b;
}

WEFT_API int64_t weft_value_int(const weft_value *v)
{
    return v && v->type == WEFT_PROP_INT ? v->u.i : 0;
}

WEFT_API double weft_value_float(const weft_value *v)
{
    if (v && v->type == WEFT_PROP_FLOAT)
        return v->u.f;
    if (v && v->type == WEFT_PROP_INT)
        return (double)v->u.i;
    return 0.0;
}

WEFT_API const char *weft_value_string(const weft_value *v)
{
    if (v && (v->type == WEFT_PROP_STRING || v->type == WEFT_PROP_PATH ||
              v->type == WEFT_PROP_ENUM))
        return v->u.s.s;
    return NULL;
}

WEFT_API int32_t weft_value_enum(const weft_value *v)
{
    return v && v->type == WEFT_PROP_ENUM ? v->u.s.idx : -1;
}

WEFT_API size_t weft_value_list_len(const weft_value *v)
{
    return v && v->type == WEFT_PROP_LIST ? v->u.list.n : 0;
}

WEFT_API const weft_value *weft_value_list_at(const weft_value *v, size_t i)
{
    if (!v || v->type != WEFT_PROP_LIST || i >= v->u.list.n)
        return NULL;
    return &v->u.list.items[i];
}

WEFT_API const char *weft_prop_type_name(weft_prop_type t)
{
    static const char *const names[] = {
        NULL, "bool", "int", "float", "string", "enum", "path", "list",
    };
    return t >= 1 && t <= 7 ? names[t] : "unknown";
}

/* -------------------------------------------------------------- printing */

/*
 * Strings print bare when every byte is one that can neither end a list
 * element nor be trimmed, so the text reads back alone or inside a list.
 */
static bool bare_ok(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++) {
        char c = *s;
        if (!(is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              strchr("_./:+-@%~", c)))
            return false;
    }
    return true;
}

static int print_value(const weft_value *v, char **buf, size_t *len,
                       size_t *cap);

static int put(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
    if (*len + n + 1 > *cap) {
        size_t ncap = *cap ? *cap : 32;
        while (ncap < *len + n + 1)
            ncap *= 2;
        char *nb = realloc(*buf, ncap);
        if (!nb)
            return WEFT_ENOMEM;
        *buf = nb;
        *cap = ncap;
    }
    memcpy(*buf + *len, s, n);
    *len += n;
    (*buf)[*len] = '\0';
    return 0;
}

static int put_string(const char *s, char **buf, size_t *len, size_t *cap)
{
    int rc = 0;

    if (bare_ok(s))
        return put(buf, len, cap, s, strlen(s));
    rc = put(buf, len, cap, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; *p && !rc; p++) {
        char esc[8];
        switch (*p) {
        case '"': rc = put(buf, len, cap, "\\\"", 2); break;
        case '\\': rc = put(buf, len, cap, "\\\\", 2); break;
        case '\n': rc = put(buf, len, cap, "\\n", 2); break;
        case '\t': rc = put(buf, len, cap, "\\t", 2); break;
        case '\r': rc = put(buf, len, cap, "\\r", 2); break;
        default:
            if (*p < 0x20 || *p == 0x7f) {
                snprintf(esc, sizeof esc, "\\x%02x", *p);
                rc = put(buf, len, cap, esc, 4);
            } else {
                rc = put(buf, len, cap, (const char *)p, 1);
            }
        }
    }
    return rc ? rc : put(buf, len, cap, "\"", 1);
}

static int print_value(const weft_value *v, char **buf, size_t *len,
                       size_t *cap)
{
    char num[40];
    int rc = 0;

    switch (v->type) {
    case WEFT_PROP_BOOL:
        return put(buf, len, cap, v->u.b ? "true" : "false", v->u.b ? 4 : 5);
    case WEFT_PROP_INT:
        snprintf(num, sizeof num, "%" PRId64, v->u.i);
        return put(buf, len, cap, num, strlen(num));
    case WEFT_PROP_FLOAT:
        print_double(num, sizeof num, v->u.f);
        return put(buf, len, cap, num, strlen(num));
    case WEFT_PROP_STRING:
    case WEFT_PROP_PATH:
    case WEFT_PROP_ENUM:
        return put_string(v->u.s.s, buf, len, cap);
    case WEFT_PROP_LIST:
        rc = put(buf, len, cap, "[", 1);
        for (size_t i = 0; i < v->u.list.n && !rc; i++) {
            if (i)
                rc = put(buf, len, cap, ", ", 2);
            if (!rc)
                rc = print_value(&v->u.list.items[i], buf, len, cap);
        }
        return rc ? rc : put(buf, len, cap, "]", 1);
    default:
        return put(buf, len, cap, "", 0);
    }
}

WEFT_API char *weft_value_to_string(const weft_value *v)
{
    char *buf = NULL;
    size_t len = 0, cap = 0;

    if (!v)
        return NULL;
    if (print_value(v, &buf, &len, &cap)) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* ------------------------------------------------------ descriptor check */

static bool is_snake_case(const char *s)
{
    if (!(*s >= 'a' && *s <= 'z'))
        return false;
    for (s++; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || is_digit(*s) || *s == '_'))
            return false;
    return true;
}

static int check_choices(const weft_prop_desc *d, char *err, size_t errlen)
{
    if (!d->choices || !d->choices[0]) {
        snprintf(err, errlen, "property '%s': enum has no choices", d->name);
        return WEFT_EPLUGIN;
    }
    for (size_t k = 0; d->choices[k]; k++) {
        if (!d->choices[k][0]) {
            snprintf(err, errlen, "property '%s': choice %zu is empty",
                     d->name, k);
            return WEFT_EPLUGIN;
        }
        for (size_t j = 0; j < k; j++) {
            if (strcmp(d->choices[j], d->choices[k]) == 0) {
                snprintf(err, errlen, "property '%s': duplicate choice '%s'",
                         d->name, d->choices[k]);
                return WEFT_EPLUGIN;
            }
        }
    }
    return 0;
}

WEFT_API int weft_prop_desc_check(const weft_prop_desc *desc, char *err,
                                  size_t errlen)
{
    char dummy[1], reason[256];
    weft_value *v = NULL;
    int rc;

    /* Write messages somewhere even when the caller passed no buffer. */
    if (!err || !errlen) {
        err = dummy;
        errlen = sizeof dummy;
    }
    err[0] = '\0';
    if (!desc) {
        snprintf(err, errlen, "property descriptor is NULL");
        return WEFT_EPLUGIN;
    }
    if (desc->struct_size < sizeof(weft_prop_desc)) {
        snprintf(err, errlen, "property '%s': struct_size %" PRIu32
                 " is smaller than %zu", desc->name ? desc->name : "?",
                 desc->struct_size, sizeof(weft_prop_desc));
        return WEFT_EPLUGIN;
    }
    if (!desc->name || !desc->name[0]) {
        snprintf(err, errlen, "property has no name");
        return WEFT_EPLUGIN;
    }
    if (!is_snake_case(desc->name)) {
        snprintf(err, errlen, "property name '%s' is not lower_snake_case",
                 desc->name);
        return WEFT_EPLUGIN;
    }
    if (desc->type < WEFT_PROP_BOOL || desc->type > WEFT_PROP_LIST) {
        snprintf(err, errlen, "property '%s': unknown type %" PRIu32,
                 desc->name, desc->type);
        return WEFT_EPLUGIN;
    }
    if (desc->type == WEFT_PROP_LIST && !is_scalar_type(desc->elem_type)) {
        snprintf(err, errlen, "property '%s': list element type %" PRIu32
                 " is not bool, int, float, string, enum or path",
                 desc->name, desc->elem_type);
        return WEFT_EPLUGIN;
    }
    if ((desc->type == WEFT_PROP_ENUM ||
         (desc->type == WEFT_PROP_LIST &&
          desc->elem_type == WEFT_PROP_ENUM)) &&
        (rc = check_choices(desc, err, errlen)))
        return rc;
    if (((desc->flags & WEFT_PROP_HAS_MIN) && isnan(desc->min)) ||
        ((desc->flags & WEFT_PROP_HAS_MAX) && isnan(desc->max))) {
        snprintf(err, errlen, "property '%s': min or max is NaN", desc->name);
        return WEFT_EPLUGIN;
    }
    if ((desc->flags & WEFT_PROP_HAS_MIN) &&
        (desc->flags & WEFT_PROP_HAS_MAX) && desc->min > desc->max) {
        char lo[40], hi[40];
        print_double(lo, sizeof lo, desc->min);
        print_double(hi, sizeof hi, desc->max);
        snprintf(err, errlen, "property '%s': min %s is above max %s",
                 desc->name, lo, hi);
        return WEFT_EPLUGIN;
    }
    if (desc->flags & WEFT_PROP_REQUIRED) {
        if (desc->default_value) {
            snprintf(err, errlen, "property '%s' is required but has a "
                     "default", desc->name);
            return WEFT_EPLUGIN;
        }
        return 0;
    }
    if (!desc->default_value) {
        /* Strings, paths and lists may be left unset; a number, bool or
         * enum without a default would silently read as 0. */
        if (desc->type == WEFT_PROP_STRING || desc->type == WEFT_PROP_PATH ||
            desc->type == WEFT_PROP_LIST)
            return 0;
        snprintf(err, errlen, "property '%s' has no default and is not "
                 "required", desc->name);
        return WEFT_EPLUGIN;
    }
    rc = weft_value_parse(desc, desc->default_value, &v, reason,
                          sizeof reason);
    weft_value_free(v);
    if (rc == WEFT_ENOMEM) {
        snprintf(err, errlen, "out of memory");
        return WEFT_ENOMEM;
    }
    if (rc) {
        snprintf(err, errlen, "property '%s': default \"%.40s\" does not "
                 "parse: %s", desc->name, desc->default_value, reason);
        return WEFT_EPLUGIN;
    }
    return 0;
}
