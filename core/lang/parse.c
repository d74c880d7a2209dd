/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The parser: tokens to a syntax tree, collecting every syntax error.
 *
 * After an error the parser skips to the next token that starts a line
 * and can start a statement, so one typo costs one diagnostic. It never
 * recurses on the input: statements inside a graph body are parsed by the
 * same loop, a graph inside a graph is reported and skipped by counting
 * braces, and lists hold scalars only.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lang.h"

typedef struct parser {
    lang_arena *a;
    lang_diags *d;
    lang_file *f;
    lang_tok *t;
    size_t n, i;
    size_t start_errors;
    bool oom;
} parser;

static const char *const stmt_words[] = {"node", "param", "graph", "use",
                                         "input", "output", "weft"};
static const char *const type_names[] = {"bool",   "int",  "float",
                                         "string", "path", "list"};

static lang_tok *peek(parser *P, size_t k)
{
    size_t j = P->i + k;
    return &P->t[j < P->n ? j : P->n - 1];
}
static lang_tok *next(parser *P)
{
    lang_tok *t = peek(P, 0);
    if (P->i < P->n - 1)
        P->i++;
    return t;
}
static bool is_word(const lang_tok *t, const char *w)
{
    return t->kind == T_WORD && strlen(w) == t->len && !memcmp(t->p, w, t->len);
}
static weft_srcloc loc_of(parser *P, const lang_tok *t)
{
    return lang_loc(P->f->name, t);
}
static char *tok_str(parser *P, const lang_tok *t)
{
    char *s = weft__lang_strndup(P->a, t->p, t->len);
    if (!s)
        P->oom = true;
    return s;
}
static bool too_many(parser *P)
{
    return P->d->gave_up || P->d->errors - P->start_errors >= LANG_MAX_ERRORS;
}

/* "expected X, found Y"; silent when Y is a token the lexer reported. */
static void expected(parser *P, const lang_tok *t, const char *what,
                     const char *hint)
{
    char found[64];
    if (t->kind == T_BAD)
        return;
    weft__lang_describe(t, found, sizeof found);
    weft_srcloc l = loc_of(P, t);
    if (t->kind == T_EOF && P->i > 0) {
        /* Point just past the last token rather than at an empty line. */
        const lang_tok *prev = &P->t[P->i - 1];
        l = loc_of(P, prev);
        l.col += prev->len;
        l.len = 1;
    }
    weft__lang_error(P->d, &l, hint, "expected %s, found %s", what, found);
}

/* Skip to the next token that starts a line with a word (a statement) or
 * a closing brace, always moving at least one token. */
static void sync(parser *P)
{
    next(P);
    while (peek(P, 0)->kind != T_EOF) {
        lang_tok *t = peek(P, 0);
        if (t->bol && (t->kind == T_WORD || t->kind == T_RBRACE))
            return;
        next(P);
    }
}

static weft_srcloc span(parser *P, const lang_tok *a, const lang_tok *b)
{
    weft_srcloc l = loc_of(P, a);
    if (b->line == a->line && b->col + b->len > a->col)
        l.len = b->col + b->len - a->col;
    return l;
}

/* A name that can label a node or graph: a word but not a keyword. */
static bool take_name(parser *P, const char *what, const char **out,
                      weft_srcloc *loc)
{
    lang_tok *t = peek(P, 0);
    if (t->kind != T_WORD) {
        expected(P, t, what, NULL);
        return false;
    }
    if (weft__lang_is_keyword(t->p, t->len)) {
        weft_srcloc l = loc_of(P, t);
        weft__lang_error(P->d, &l, "choose another name",
                         "`%.*s` is a keyword and cannot be a name",
                         (int)t->len, t->p);
        return false;
    }
    next(P);
    *out = tok_str(P, t);
    *loc = loc_of(P, t);
    return *out != NULL;
}

static bool parse_scalar(parser *P, lang_value *v, bool in_list)
{
    lang_tok *t = peek(P, 0);
    v->loc = loc_of(P, t);
    v->raw = t->p;
    v->raw_len = t->len;
    switch (t->kind) {
    case T_NUMBER: v->kind = LV_NUMBER; break;
    case T_WORD: v->kind = LV_WORD; break;
    case T_PARAM:
        v->kind = LV_PARAM;
        v->raw = weft__lang_strndup(P->a, t->p + 1, t->len - 1);
        v->raw_len = t->len - 1;
        if (!v->raw)
            return P->oom = true, false;
        break;
    case T_STRING:
        if (!weft__lang_string_parts(P->a, P->d, t, P->f->name, v)) {
            P->oom = true;
            return false;
        }
        break;
    case T_BAD: /* reported by the lexer; skip the statement */
        next(P);
        return false;
    case T_LBRACK:
        if (in_list) {
            weft_srcloc l = loc_of(P, t);
            weft__lang_error(P->d, &l, "list elements are numbers, strings, "
                             "words or `$params`",
                             "a list cannot contain another list");
            return false;
        }
        /* fall through */
    default:
        expected(P, t, "a value", "values are numbers (16000, 25ms), "
                 "strings (\"...\"), words (true, hann), lists ([1, 2]) "
                 "or `$params`");
        return false;
    }
    next(P);
    return true;
}

static bool parse_value(parser *P, lang_value *v)
{
    lang_tok *open = peek(P, 0);
    if (open->kind != T_LBRACK)
        return parse_scalar(P, v, false);
    next(P);
    LANG_VEC(lang_value) items = {0};
    v->kind = LV_LIST;
    v->loc = loc_of(P, open);
    v->raw = open->p;
    while (peek(P, 0)->kind != T_RBRACK) {
        lang_value item = {0};
        if (!parse_scalar(P, &item, true))
            return false;
        if (!LANG_PUSH(P->a, items, item)) {
            P->oom = true;
            return false;
        }
        if (peek(P, 0)->kind == T_COMMA) {
            next(P);
            continue;
        }
        if (peek(P, 0)->kind != T_RBRACK) {
            expected(P, peek(P, 0), "`,` or `]`",
                     "separate list elements with commas");
            return false;
        }
    }
    lang_tok *close = next(P);
    v->loc = span(P, open, close);
    v->raw_len = (size_t)(close->p + close->len - open->p);
    v->items = items.v;
    v->n_items = items.n;
    return true;
}

/* `{ key = value, ... }` or `[ key = value, ... ]` (edge options). */
static bool parse_props(parser *P, lang_tok_kind close, lang_prop **out,
                        size_t *n_out, uint32_t *end_line)
{
    LANG_VEC(lang_prop) props = {0};
    const char *closer = close == T_RBRACE ? "`}`" : "`]`";
    char what[32];

    next(P); /* the opener */
    for (;;) {
        lang_tok *t = peek(P, 0);
        if (t->kind == close)
            break;
        lang_prop pr = {0};
        if (t->kind != T_WORD) {
            snprintf(what, sizeof what, "a property name or %s", closer);
            expected(P, t, what, NULL);
            return false;
        }
        next(P);
        pr.name = tok_str(P, t);
        pr.name_loc = loc_of(P, t);
        if (peek(P, 0)->kind != T_EQ) {
            char h[96];
            snprintf(h, sizeof h, "write `%.*s = VALUE`",
                     t->len > 40 ? 40 : (int)t->len, t->p);
            expected(P, peek(P, 0), "`=`", h);
            return false;
        }
        next(P);
        if (!parse_value(P, &pr.value))
            return false;
        pr.end_line = P->t[P->i - 1].line;
        if (!LANG_PUSH(P->a, props, pr)) {
            P->oom = true;
            return false;
        }
        t = peek(P, 0);
        if (t->kind == T_COMMA) {
            next(P);
            continue;
        }
        if (t->kind != close) {
            snprintf(what, sizeof what, "`,` or %s", closer);
            expected(P, t, what,
                     t->kind == T_WORD ? "separate properties with commas"
                                       : NULL);
            return false;
        }
    }
    *end_line = next(P)->line;
    *out = props.v;
    *n_out = props.n;
    return true;
}

static bool parse_endpoint(parser *P, lang_endpoint *ep)
{
    lang_tok *first = peek(P, 0);
    if (!take_name(P, "a node name", &ep->node, &ep->node_loc))
        return false;
    ep->loc = ep->node_loc;
    if (peek(P, 0)->kind == T_DOT) {
        next(P);
        lang_tok *pt = peek(P, 0);
        if (pt->kind != T_WORD) {
            expected(P, pt, "a port name after `.`", NULL);
            return false;
        }
        next(P);
        ep->port = tok_str(P, pt);
        ep->port_loc = loc_of(P, pt);
        ep->loc = span(P, first, pt);
    }
    return true;
}

static bool parse_group(parser *P, lang_group *g)
{
    LANG_VEC(lang_endpoint) eps = {0};
    for (;;) {
        lang_endpoint ep = {0};
        if (!parse_endpoint(P, &ep))
            return false;
        if (!LANG_PUSH(P->a, eps, ep)) {
            P->oom = true;
            return false;
        }
        if (peek(P, 0)->kind != T_COMMA)
            break;
        next(P);
    }
    g->eps = eps.v;
    g->n = eps.n;
    return true;
}

/* a, b -> [capacity = 4] c.in -> d */
static bool parse_link(parser *P, lang_stmt *s)
{
    LANG_VEC(lang_group) groups = {0};
    LANG_VEC(lang_arrow) arrows = {0};
    lang_tok *first = peek(P, 0);
    lang_group g = {0};

    s->kind = S_LINK;
    s->loc = loc_of(P, first);
    if (!parse_group(P, &g) || !LANG_PUSH(P->a, groups, g))
        return false;
    if (peek(P, 0)->kind != T_ARROW) {
        lang_tok *t = peek(P, 0);
        char hint[160];
        const char *sug = NULL;
        if (g.n == 1 && !g.eps[0].port)
            sug = weft_suggest(g.eps[0].node, stmt_words,
                               sizeof stmt_words / sizeof *stmt_words);
        if (sug)
            snprintf(hint, sizeof hint, "did you mean `%s`?", sug);
        else
            snprintf(hint, sizeof hint,
                     "a statement starts with `node`, `param`, `graph` or "
                     "`use`, or is a link such as `a -> b`");
        char what[96];
        snprintf(what, sizeof what, "`->` after `%.*s`",
                 first->len > 40 ? 40 : (int)first->len, first->p);
        expected(P, t, what, hint);
        return false;
    }
    while (peek(P, 0)->kind == T_ARROW) {
        lang_arrow ar = {0};
        ar.loc = loc_of(P, next(P));
        if (peek(P, 0)->kind == T_LBRACK) {
            uint32_t el;
            if (!parse_props(P, T_RBRACK, &ar.opts, &ar.n_opts, &el))
                return false;
        }
        lang_group dg = {0};
        if (!parse_group(P, &dg) || !LANG_PUSH(P->a, groups, dg) ||
            !LANG_PUSH(P->a, arrows, ar))
            return false;
    }
    s->groups = groups.v;
    s->n_groups = groups.n;
    s->arrows = arrows.v;
    return true;
}

static bool parse_param_decl(parser *P, lang_stmt *s, bool in_parens)
{
    s->kind = S_PARAM;
    if (!take_name(P, "a param name", &s->name, &s->name_loc))
        return false;
    if (!in_parens)
        ; /* s->loc is the keyword */
    else
        s->loc = s->name_loc;
    if (peek(P, 0)->kind == T_COLON) {
        next(P);
        lang_tok *t = peek(P, 0);
        size_t i, nt = sizeof type_names / sizeof *type_names;
        for (i = 0; i < nt; i++)
            if (is_word(t, type_names[i]))
                break;
        if (i == nt) {
            char hint[128];
            const char *sug = NULL;
            char *w = t->kind == T_WORD ? tok_str(P, t) : NULL;
            if (w)
                sug = weft_suggest(w, type_names, nt);
            if (sug)
                snprintf(hint, sizeof hint, "did you mean `%s`?", sug);
            else
                snprintf(hint, sizeof hint, "types are bool, int, float, "
                         "string, path and list");
            if (t->kind == T_WORD) {
                weft_srcloc l = loc_of(P, t);
                weft__lang_error(P->d, &l, hint, "unknown type `%.*s`",
                                 t->len > 40 ? 40 : (int)t->len, t->p);
            } else {
                expected(P, t, "a type", hint);
            }
            return false;
        }
        next(P);
        s->type = type_names[i];
        s->type_loc = loc_of(P, t);
    }
    if (peek(P, 0)->kind == T_EQ) {
        next(P);
        if (!parse_value(P, &s->value))
            return false;
        s->has_value = true;
    }
    return true;
}

static bool parse_node(parser *P, lang_stmt *s)
{
    s->kind = S_NODE;
    if (!take_name(P, "a node name", &s->name, &s->name_loc))
        return false;
    if (peek(P, 0)->kind != T_EQ) {
        expected(P, peek(P, 0), "`=`", "write `node NAME = CLASS { ... }`");
        return false;
    }
    next(P);
    /* CLASS: word { "." word } */
    lang_tok *first = peek(P, 0), *last = first;
    if (first->kind != T_WORD) {
        expected(P, first, "a class name", "`weft inspect` lists the classes");
        return false;
    }
    next(P);
    while (peek(P, 0)->kind == T_DOT && peek(P, 1)->kind == T_WORD) {
        next(P);
        last = next(P);
    }
    s->cls_loc = span(P, first, last);
    /* Spaces around the dots are not part of the name. */
    LANG_VEC(char) cls = {0};
    for (lang_tok *t = first; t <= last; t++)
        for (uint32_t k = 0; k < t->len; k++)
            if (!LANG_PUSH(P->a, cls, t->p[k]))
                return P->oom = true, false;
    if (!LANG_PUSH(P->a, cls, '\0'))
        return P->oom = true, false;
    s->cls = cls.v;
    if (peek(P, 0)->kind == T_LBRACE) {
        s->braces = true;
        uint32_t el;
        if (!parse_props(P, T_RBRACE, &s->props, &s->n_props, &el))
            return false;
    }
    return true;
}

static bool parse_port_decl(parser *P, lang_stmt *s, bool input)
{
    lang_group g = {0};
    s->kind = input ? S_INPUT : S_OUTPUT;
    if (!take_name(P, "a port name", &s->name, &s->name_loc))
        return false;
    if (peek(P, 0)->kind != T_EQ) {
        expected(P, peek(P, 0), "`=`",
                 input ? "write `input NAME = node.port`"
                       : "write `output NAME = node.port`");
        return false;
    }
    next(P);
    if (!parse_group(P, &g))
        return false;
    if (!input && g.n > 1) {
        weft__lang_error(P->d, &g.eps[1].loc,
                         "an output comes from one place; use a link to "
                         "fan out after it",
                         "graph output `%s` names more than one source",
                         s->name);
        return false;
    }
    s->groups = weft__lang_alloc(P->a, sizeof *s->groups);
    if (!s->groups)
        return P->oom = true, false;
    s->groups[0] = g;
    s->n_groups = 1;
    return true;
}

/* Skip a balanced `{ ... }` starting at the current `{`, iteratively. */
static void skip_braces(parser *P)
{
    size_t depth = 0;
    do {
        lang_tok *t = next(P);
        if (t->kind == T_LBRACE)
            depth++;
        else if (t->kind == T_RBRACE)
            depth--;
        else if (t->kind == T_EOF)
            return;
    } while (depth);
}

static bool parse_stmts(parser *P, bool in_graph, lang_stmt **out,
                        size_t *n_out);

static bool parse_graph(parser *P, lang_stmt *s, lang_tok *kw, bool in_graph)
{
    LANG_VEC(lang_stmt) params = {0};

    s->kind = S_GRAPH;
    if (in_graph) {
        weft__lang_error(P->d, &s->loc,
                         "define it at the top level; graphs can use each "
                         "other wherever they are defined",
                         "a graph cannot be defined inside another graph");
        while (peek(P, 0)->kind != T_LBRACE && peek(P, 0)->kind != T_EOF &&
               peek(P, 0)->kind != T_RBRACE)
            next(P);
        if (peek(P, 0)->kind == T_LBRACE)
            skip_braces(P);
        return false;
    }
    if (!take_name(P, "a graph name", &s->name, &s->name_loc))
        return false;
    /* A dotted name ("lib.asr") reads like a class name. */
    while (peek(P, 0)->kind == T_DOT && peek(P, 1)->kind == T_WORD) {
        next(P);
        lang_tok *w = next(P);
        size_t ln = strlen(s->name);
        char *nn = weft__lang_alloc(P->a, ln + 2 + w->len);
        if (!nn)
            return P->oom = true, false;
        memcpy(nn, s->name, ln);
        nn[ln] = '.';
        memcpy(nn + ln + 1, w->p, w->len);
        s->name = nn;
        s->name_loc.len = w->col + w->len - s->name_loc.col;
    }
    if (peek(P, 0)->kind == T_LPAREN) {
        next(P);
        while (peek(P, 0)->kind != T_RPAREN) {
            lang_stmt ps = {0};
            if (!parse_param_decl(P, &ps, true))
                return false;
            ps.end_line = P->t[P->i - 1].line;
            if (!LANG_PUSH(P->a, params, ps))
                return P->oom = true, false;
            if (peek(P, 0)->kind == T_COMMA) {
                next(P);
                continue;
            }
            if (peek(P, 0)->kind != T_RPAREN) {
                expected(P, peek(P, 0), "`,` or `)`",
                         "separate params with commas");
                return false;
            }
        }
        next(P);
    }
    s->params = params.v;
    s->n_params = params.n;
    lang_tok *open = peek(P, 0);
    if (open->kind != T_LBRACE) {
        expected(P, open, "`{` to start the graph's body", NULL);
        return false;
    }
    next(P);
    if (!parse_stmts(P, true, &s->body, &s->n_body))
        return false;
    lang_tok *close = peek(P, 0);
    if (close->kind != T_RBRACE) {
        if (!too_many(P)) {
            weft_srcloc l = loc_of(P, open);
            weft__lang_error(P->d, &l, "add `}` after the last statement "
                             "of the graph",
                             "the body of graph `%s` is not closed",
                             s->name);
        }
        return false;
    }
    s->close_line = close->line;
    next(P);
    (void)kw;
    return true;
}

static bool parse_stmt(parser *P, lang_stmt *s, bool in_graph, bool first)
{
    lang_tok *t = peek(P, 0);
    s->loc = loc_of(P, t);

    if (t->kind != T_WORD) {
        expected(P, t, in_graph ? "a statement or `}`" : "a statement",
                 "a statement starts with `node`, `param`, `graph` or "
                 "`use`, or is a link such as `a -> b`");
        return false;
    }
    if (is_word(t, "node")) {
        next(P);
        return parse_node(P, s);
    }
    if (is_word(t, "param")) {
        next(P);
        if (in_graph) {
            weft__lang_error(P->d, &s->loc,
                             "declare it in the graph's parentheses: "
                             "`graph NAME(p = 1) { ... }`",
                             "`param` cannot appear inside a graph body");
            return false;
        }
        return parse_param_decl(P, s, false);
    }
    if (is_word(t, "graph")) {
        next(P);
        return parse_graph(P, s, t, in_graph);
    }
    if (is_word(t, "input") || is_word(t, "output")) {
        bool input = is_word(t, "input");
        next(P);
        if (!in_graph) {
            weft__lang_error(P->d, &s->loc,
                             "`input` and `output` declare the ports of a "
                             "subgraph, inside `graph NAME { ... }`",
                             "`%s` outside a graph", input ? "input" : "output");
            return false;
        }
        return parse_port_decl(P, s, input);
    }
    if (is_word(t, "use")) {
        next(P);
        s->kind = S_USE;
        if (in_graph) {
            weft__lang_error(P->d, &s->loc,
                             "put `use` at the top of the file",
                             "`use` cannot appear inside a graph");
            return false;
        }
        lang_tok *st = peek(P, 0);
        if (st->kind != T_STRING) {
            expected(P, st, "a file name in quotes", "write `use \"lib.weft\"`");
            return false;
        }
        next(P);
        if (!weft__lang_string_parts(P->a, P->d, st, P->f->name, &s->value))
            return P->oom = true, false;
        if (s->value.kind != LV_STRING)
            return false;
        if (s->value.n_parts != 1 || s->value.parts[0].is_param) {
            weft_srcloc l = loc_of(P, st);
            weft__lang_error(P->d, &l, "write the file name as it is",
                             "a `use` file name cannot contain `${...}`");
            return false;
        }
        s->has_value = true;
        s->value.raw = st->p;
        s->value.raw_len = st->len;
        s->value.loc = loc_of(P, st);
        s->name = s->value.parts[0].text;
        s->name_loc = loc_of(P, st);
        return true;
    }
    if (is_word(t, "weft")) {
        next(P);
        s->kind = S_HEADER;
        lang_tok *v = peek(P, 0);
        if (v->kind != T_NUMBER) {
            expected(P, v, "a language version", "write `weft 1`");
            return false;
        }
        next(P);
        s->has_value = true;
        s->value.kind = LV_NUMBER;
        s->value.raw = v->p;
        s->value.raw_len = v->len;
        s->value.loc = loc_of(P, v);
        if (in_graph || !first) {
            weft__lang_error(P->d, &s->loc, "move it to the first line",
                             "`weft %.*s` must be the first statement of "
                             "the file",
                             v->len > 20 ? 20 : (int)v->len, v->p);
        } else if (!(v->len == 1 && v->p[0] == '1')) {
            weft__lang_error(P->d, &s->value.loc,
                             "this version of weft reads `weft 1` files",
                             "unsupported graph language version `%.*s`",
                             v->len > 20 ? 20 : (int)v->len, v->p);
        }
        return true;
    }
    return parse_link(P, s);
}

static bool parse_stmts(parser *P, bool in_graph, lang_stmt **out,
                        size_t *n_out)
{
    LANG_VEC(lang_stmt) stmts = {0};
    bool first = true;

    for (;;) {
        lang_tok *t = peek(P, 0);
        if (t->kind == T_EOF || P->oom || too_many(P))
            break;
        if (t->kind == T_RBRACE) {
            if (in_graph)
                break;
            weft_srcloc l = loc_of(P, t);
            weft__lang_error(P->d, &l, NULL, "unexpected `}`: no graph body "
                             "is open here");
            next(P);
            continue;
        }
        lang_stmt s = {0};
        size_t before = P->i;
        if (parse_stmt(P, &s, in_graph, first)) {
            s.end_line = P->t[P->i ? P->i - 1 : 0].line;
            if (!LANG_PUSH(P->a, stmts, s))
                return false;
        } else if (!P->oom) {
            /* Resynchronise, unless the failed statement already ended
             * where a new one starts. */
            lang_tok *now = peek(P, 0);
            if (P->i == before ||
                !(now->bol && (now->kind == T_WORD || now->kind == T_RBRACE ||
                               now->kind == T_EOF)))
                sync(P);
        }
        first = false;
    }
    *out = stmts.v;
    *n_out = stmts.n;
    return !P->oom;
}

bool weft__lang_parse(lang_arena *a, lang_diags *d, lang_file *f)
{
    parser P = {.a = a, .d = d, .f = f, .start_errors = d->errors};
    if (!weft__lang_lex(a, d, f->name, f->text, f->len, 1, 1, &P.t, &P.n,
                        &f->comments, &f->n_comments))
        return false;
    if (!parse_stmts(&P, false, &f->stmts, &f->n_stmts))
        return false;
    if (P.oom || a->failed)
        return false;
    return true;
}
