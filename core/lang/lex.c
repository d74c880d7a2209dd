/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The lexer. Newlines are plain white space to the grammar (statements are
 * told apart by their first word), but every token records whether it
 * starts its line, which the parser uses to resynchronise after an error
 * and the formatter to keep comments in place.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "lang.h"

typedef struct lexer {
    lang_arena *a;
    lang_diags *d;
    const char *file;
    const char *s, *end, *p;
    uint32_t line, col;
    bool bol;
    LANG_VEC(lang_tok) toks;
    LANG_VEC(lang_comment) comments;
} lexer;

static bool is_alpha(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
static bool is_digit(int c) { return c >= '0' && c <= '9'; }
static bool is_alnum(int c) { return is_alpha(c) || is_digit(c); }
static bool is_hex(int c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int at(const lexer *L, size_t k)
{
    return L->p + k < L->end ? (unsigned char)L->p[k] : -1;
}

static void advance(lexer *L, size_t k)
{
    for (size_t i = 0; i < k && L->p < L->end; i++, L->p++) {
        if (*L->p == '\n') {
            L->line++;
            L->col = 1;
            L->bol = true;
        } else {
            L->col++;
        }
    }
}

/* Length of a word at @p: letters, digits, '_' and inner '-' (so enum
 * values like drop-oldest read as one word while a->b stays three
 * tokens). */
size_t weft__lang_word_len(const char *p, const char *end)
{
    size_t n = 0;
    if (p >= end || !is_alpha((unsigned char)*p))
        return 0;
    while (p + n < end) {
        int c = (unsigned char)p[n];
        if (is_alnum(c))
            n++;
        else if (c == '-' && p + n + 1 < end &&
                 is_alnum((unsigned char)p[n + 1]))
            n++;
        else
            break;
    }
    return n;
}

/* Length of a number at @p (sign, digits or 0x, fraction, exponent, unit
 * letters), 0 if there is none. */
size_t weft__lang_number_len(const char *p, const char *end)
{
    size_t n = 0;
#define C(k) (p + (k) < end ? (unsigned char)p[k] : -1)
    if (C(0) == '+' || C(0) == '-')
        n++;
    if (!is_digit(C(n)))
        return 0;
    if (C(n) == '0' && (C(n + 1) == 'x' || C(n + 1) == 'X') &&
        is_hex(C(n + 2))) {
        n += 2;
        while (is_hex(C(n)))
            n++;
    } else {
        while (is_digit(C(n)))
            n++;
        if (C(n) == '.' && is_digit(C(n + 1))) {
            n++;
            while (is_digit(C(n)))
                n++;
        }
        if ((C(n) == 'e' || C(n) == 'E') &&
            (is_digit(C(n + 1)) ||
             ((C(n + 1) == '+' || C(n + 1) == '-') && is_digit(C(n + 2))))) {
            n += 2;
            while (is_digit(C(n)))
                n++;
        }
    }
    /* A unit suffix (16k, 25ms, 10kHz) belongs to the number; whether the
     * property accepts it is core/prop.c's call. */
    while (is_alpha(C(n)) && C(n) != '_')
        n++;
#undef C
    return n;
}

static bool push_tok(lexer *L, lang_tok_kind k, const char *p, size_t len,
                     uint32_t line, uint32_t col, bool bol)
{
    lang_tok t = {k, p, (uint32_t)len, line, col, bol};
    return LANG_PUSH(L->a, L->toks, t);
}

static void lex_error(lexer *L, uint32_t line, uint32_t col, uint32_t len,
                      const char *hint, const char *fmt, const char *arg)
{
    weft_srcloc loc = {L->file, line, col, len ? len : 1};
    weft__lang_error(L->d, &loc, hint, fmt, arg);
}

bool weft__lang_lex(lang_arena *a, lang_diags *d, const char *name,
                    const char *text, size_t len, uint32_t line0,
                    uint32_t col0, lang_tok **toks, size_t *n_toks,
                    lang_comment **comments, size_t *n_comments)
{
    lexer L = {.a = a, .d = d, .file = name, .s = text, .end = text + len,
               .p = text, .line = line0, .col = col0, .bol = true};
    size_t start_errors = d->errors;

    while (L.p < L.end) {
        int c = at(&L, 0);
        uint32_t line = L.line, col = L.col;
        bool bol = L.bol;
        const char *p = L.p;

        if (d->errors - start_errors >= LANG_MAX_ERRORS) {
            weft_srcloc loc = {name, line, col, 1};
            weft__lang_error(d, &loc, NULL,
                             "too many errors; giving up on this file");
            d->gave_up = true;
            break;
        }
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' ||
            c == '\v') {
            advance(&L, 1);
            continue;
        }
        if (c == '#') {
            size_t n = 0;
            while (L.p + n < L.end && L.p[n] != '\n')
                n++;
            size_t keep = n;
            while (keep && (p[keep - 1] == ' ' || p[keep - 1] == '\t' ||
                            p[keep - 1] == '\r'))
                keep--;
            lang_comment cm = {p, (uint32_t)keep, line, col, bol};
            if (!LANG_PUSH(a, L.comments, cm))
                return false;
            advance(&L, n);
            continue;
        }
        L.bol = false;
        size_t n;
        if ((n = weft__lang_number_len(L.p, L.end))) {
            if (!push_tok(&L, T_NUMBER, p, n, line, col, bol))
                return false;
            advance(&L, n);
            continue;
        }
        if ((n = weft__lang_word_len(L.p, L.end))) {
            if (!push_tok(&L, T_WORD, p, n, line, col, bol))
                return false;
            advance(&L, n);
            continue;
        }
        if (c == '"') {
            /* Find the end; escapes are checked when the string is decoded.
             * A string never spans lines, so a missing quote is reported
             * on its own line instead of swallowing the rest of the file. */
            n = 1;
            while (L.p + n < L.end && L.p[n] != '"' && L.p[n] != '\n') {
                if (L.p[n] == '\\' && L.p + n + 1 < L.end &&
                    L.p[n + 1] != '\n')
                    n++;
                n++;
            }
            if (L.p + n >= L.end || L.p[n] != '"') {
                lex_error(&L, line, col, 1,
                          "add `\"` to close it; a string cannot span lines",
                          "unterminated string%s", "");
                if (!push_tok(&L, T_BAD, p, n, line, col, bol))
                    return false;
                advance(&L, n);
                continue;
            }
            n++;
            if (!push_tok(&L, T_STRING, p, n, line, col, bol))
                return false;
            advance(&L, n);
            continue;
        }
        if (c == '$') {
            n = weft__lang_word_len(L.p + 1, L.end);
            if (!n) {
                lex_error(&L, line, col, 1,
                          "write `$name` to use a param, or `\"$\"` for the "
                          "character itself",
                          "`$` must be followed by a param name%s", "");
                if (!push_tok(&L, T_BAD, p, 1, line, col, bol))
                    return false;
                advance(&L, 1);
                continue;
            }
            if (!push_tok(&L, T_PARAM, p, n + 1, line, col, bol))
                return false;
            advance(&L, n + 1);
            continue;
        }
        lang_tok_kind k = T_EOF;
        n = 1;
        switch (c) {
        case '-':
            if (at(&L, 1) == '>') {
                k = T_ARROW;
                n = 2;
            }
            break;
        case '=': k = T_EQ; break;
        case ',': k = T_COMMA; break;
        case '.': k = T_DOT; break;
        case ':': k = T_COLON; break;
        case '{': k = T_LBRACE; break;
        case '}': k = T_RBRACE; break;
        case '(': k = T_LPAREN; break;
        case ')': k = T_RPAREN; break;
        case '[': k = T_LBRACK; break;
        case ']': k = T_RBRACK; break;
        default: break;
        }
        if (k != T_EOF) {
            if (!push_tok(&L, k, p, n, line, col, bol))
                return false;
            advance(&L, n);
            continue;
        }
        /* One error for a run of stray bytes, not one per byte. */
        n = 1;
        if (c >= 0x80) {
            while (L.p + n < L.end && (unsigned char)L.p[n] >= 0x80)
                n++;
        }
        char shown[16];
        if (c > 0x20 && c < 0x7f)
            snprintf(shown, sizeof shown, "`%c`", c);
        else if (c >= 0x80)
            snprintf(shown, sizeof shown, "non-ASCII text");
        else
            snprintf(shown, sizeof shown, "byte 0x%02x", (unsigned)c);
        lex_error(&L, line, col, (uint32_t)n,
                  c >= 0x80 ? "names are ASCII; put other text in quotes"
                  : c == '\''
                      ? "strings are written in double quotes: \"...\""
                      : NULL,
                  "unexpected %s", shown);
        advance(&L, n);
    }
    if (!push_tok(&L, T_EOF, L.p, 0, L.line, L.col, true))
        return false;
    *toks = L.toks.v;
    *n_toks = L.toks.n;
    *comments = L.comments.v;
    *n_comments = L.comments.n;
    return true;
}

/*
 * Decode a string token: escapes as core/prop.c reads them plus `\$`, and
 * `${name}` interpolation, into literal and param parts.
 */
bool weft__lang_string_parts(lang_arena *a, lang_diags *d, const lang_tok *t,
                             const char *file, lang_value *out)
{
    const char *s = t->p + 1, *end = t->p + t->len - 1;
    char *buf = weft__lang_alloc(a, t->len + 1);
    LANG_VEC(lang_strpart) parts = {0};
    size_t k = 0;
    bool ok = true;

    if (!buf)
        return false;
    out->kind = LV_STRING;
    while (s < end) {
        uint32_t col = t->col + (uint32_t)(s - t->p);
        weft_srcloc loc = {file, t->line, col, 1};
        unsigned char c = (unsigned char)*s;
        if (c == '$' && s + 1 < end && s[1] == '{') {
            size_t n = weft__lang_word_len(s + 2, end);
            if (!n || s + 2 + n >= end || s[2 + n] != '}') {
                loc.len = 2;
                weft__lang_error(d, &loc,
                                 "write `${name}`, or `\\$` for a literal `$`",
                                 "`${` must be followed by a param name and "
                                 "`}`");
                ok = false;
                s += 2;
                continue;
            }
            if (k) {
                buf[k] = '\0';
                lang_strpart lit = {buf, k, false, {0}};
                if (!LANG_PUSH(a, parts, lit))
                    return false;
                buf += k + 1;
                k = 0;
            }
            loc.len = (uint32_t)n + 3;
            const char *pname = weft__lang_strndup(a, s + 2, n);
            if (!pname)
                return false;
            lang_strpart pp = {pname, n, true, loc};
            if (!LANG_PUSH(a, parts, pp))
                return false;
            s += n + 3;
            continue;
        }
        if (c != '\\') {
            if (c < 0x20 && c != '\t') {
                weft__lang_error(d, &loc, "write control characters as "
                                 "escapes such as \\n or \\x01",
                                 "control character 0x%02x in a string", c);
                ok = false;
            }
            buf[k++] = (char)c;
            s++;
            continue;
        }
        char e = s + 1 < end ? s[1] : '\0';
        size_t used = 2;
        switch (e) {
        case 'n': buf[k++] = '\n'; break;
        case 't': buf[k++] = '\t'; break;
        case 'r': buf[k++] = '\r'; break;
        case 'a': buf[k++] = '\a'; break;
        case 'b': buf[k++] = '\b'; break;
        case 'f': buf[k++] = '\f'; break;
        case 'v': buf[k++] = '\v'; break;
        case '\\': buf[k++] = '\\'; break;
        case '"': buf[k++] = '"'; break;
        case '\'': buf[k++] = '\''; break;
        case '$': buf[k++] = '$'; break;
        case 'x': {
            int v = 0, nd = 0;
            while (nd < 2 && s + 2 + nd < end && is_hex(s[2 + nd])) {
                int h = s[2 + nd];
                v = v * 16 + (is_digit(h) ? h - '0' : (h | 32) - 'a' + 10);
                nd++;
            }
            used = 2 + (size_t)nd;
            if (!nd || !v) {
                loc.len = (uint32_t)used;
                weft__lang_error(d, &loc, "write \\x with one or two hex "
                                 "digits, 01 to ff",
                                 nd ? "`\\x00` is not allowed in a string"
                                    : "`\\x` needs hex digits");
                ok = false;
            } else {
                buf[k++] = (char)v;
            }
            break;
        }
        default:
            loc.len = 2;
            if ((unsigned char)e >= 0x20 && (unsigned char)e < 0x7f)
                weft__lang_error(d, &loc,
                                 "valid escapes: \\n \\t \\r \\a \\b \\f \\v "
                                 "\\\\ \\\" \\' \\$ \\xHH",
                                 "invalid escape `\\%c` in a string", e);
            else
                weft__lang_error(d, &loc,
                                 "valid escapes: \\n \\t \\r \\a \\b \\f \\v "
                                 "\\\\ \\\" \\' \\$ \\xHH",
                                 "invalid escape in a string");
            ok = false;
            break;
        }
        s += used;
    }
    if (k || !parts.n) {
        buf[k] = '\0';
        lang_strpart lit = {buf, k, false, {0}};
        if (!LANG_PUSH(a, parts, lit))
            return false;
    }
    out->parts = parts.v;
    out->n_parts = parts.n;
    if (!ok)
        out->kind = LV_NONE; /* reported; the value is unusable */
    return true;
}
