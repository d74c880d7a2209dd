/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The canonical formatter (`weft fmt`). It prints the syntax tree, not
 * the tokens: one statement per line, single spaces around `=` and `->`,
 * `=` aligned across a run of params or nodes, the classes of a run of
 * nodes aligned too, four-space indents in graph bodies, at most one
 * blank line where the source had any. Literals keep their spelling
 * (`16k` stays `16k`, escapes stay as written) so the meaning cannot
 * change. Comments stay before the statement they preceded or at the end
 * of the line they ended; a node written over several lines stays that
 * way, one property per line.
 *
 * The result parses to the same tree and formats to itself: fmt is
 * idempotent, which the tests check on every graph file in the tree.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "lang.h"

#define LINE_MAX_COLS 100

typedef struct out {
    char *s;
    size_t n, cap;
    bool oom;
} out;

typedef struct fmt {
    const lang_file *f;
    out o;
    size_t ci;           /* next comment to place */
    uint32_t last_line;  /* source line of the last thing printed */
    const size_t *lines; /* offset of each line's start, 1-based */
    size_t n_lines;
    size_t *marks; /* output offsets of trailing comments, ascending */
    size_t n_marks, cap_marks;
} fmt;

static bool grow_marks(fmt *F)
{
    size_t cap = F->cap_marks ? F->cap_marks * 2 : 64;
    size_t *m = realloc(F->marks, cap * sizeof *m);
    if (!m) {
        F->o.oom = true;
        return false;
    }
    F->marks = m;
    F->cap_marks = cap;
    return true;
}

static void put(out *o, const char *s, size_t n)
{
    if (o->oom)
        return;
    if (o->n + n + 1 > o->cap) {
        size_t cap = o->cap ? o->cap : 256;
        while (cap < o->n + n + 1)
            cap *= 2;
        char *ns = realloc(o->s, cap);
        if (!ns) {
            o->oom = true;
            return;
        }
        o->s = ns;
        o->cap = cap;
    }
    memcpy(o->s + o->n, s, n);
    o->n += n;
    o->s[o->n] = '\0';
}
static void puts_(out *o, const char *s) { put(o, s, strlen(s)); }
static void pad(out *o, size_t n)
{
    for (size_t i = 0; i < n; i++)
        put(o, " ", 1);
}
static void indent(out *o, int depth) { pad(o, (size_t)depth * 4); }

/* ------------------------------------------------------------ pieces */

static void value(out *o, const lang_value *v)
{
    switch (v->kind) {
    case LV_PARAM:
        put(o, "$", 1);
        /* fall through */
    case LV_NUMBER:
    case LV_WORD:
    case LV_STRING:
    case LV_NONE:
        put(o, v->raw, v->raw_len);
        break;
    case LV_LIST:
        put(o, "[", 1);
        for (size_t i = 0; i < v->n_items; i++) {
            if (i)
                put(o, ", ", 2);
            value(o, &v->items[i]);
        }
        put(o, "]", 1);
        break;
    }
}

static void props_inline(out *o, const lang_prop *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i)
            put(o, ", ", 2);
        puts_(o, p[i].name);
        put(o, " = ", 3);
        value(o, &p[i].value);
    }
}

static void endpoint(out *o, const lang_endpoint *e)
{
    puts_(o, e->node);
    if (e->port) {
        put(o, ".", 1);
        puts_(o, e->port);
    }
}

static void group(out *o, const lang_group *g)
{
    for (size_t i = 0; i < g->n; i++) {
        if (i)
            put(o, ", ", 2);
        endpoint(o, &g->eps[i]);
    }
}

static void link_text(out *o, const lang_stmt *s)
{
    for (size_t i = 0; i < s->n_groups; i++) {
        if (i) {
            put(o, " -> ", 4);
            if (s->arrows[i - 1].n_opts) {
                put(o, "[", 1);
                props_inline(o, s->arrows[i - 1].opts, s->arrows[i - 1].n_opts);
                put(o, "] ", 2);
            }
        }
        group(o, &s->groups[i]);
    }
}

static void param_text(out *o, const lang_stmt *s, size_t name_w)
{
    puts_(o, s->name);
    if (s->type) {
        put(o, ": ", 2);
        puts_(o, s->type);
    }
    if (s->has_value) {
        size_t w = strlen(s->name) + (s->type ? strlen(s->type) + 2 : 0);
        pad(o, name_w > w ? name_w - w : 0);
        put(o, " = ", 3);
        value(o, &s->value);
    }
}

/* ------------------------------------------------------------ comments */

static bool blank_between(const fmt *F, uint32_t a, uint32_t b)
{
    for (uint32_t l = a + 1; l < b && l <= F->n_lines; l++) {
        const char *p = F->f->text + F->lines[l];
        const char *e = l < F->n_lines ? F->f->text + F->lines[l + 1]
                                       : F->f->text + F->f->len;
        bool blank = true;
        for (; p < e && blank; p++)
            if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
                blank = false;
        if (blank)
            return true;
    }
    return false;
}

/* Start an item at source line @line: a blank line first if the source
 * had one since the last item. */
static void start_item(fmt *F, uint32_t line)
{
    if (F->last_line && F->o.n && blank_between(F, F->last_line, line))
        put(&F->o, "\n", 1);
}

static void comment_line(fmt *F, const lang_comment *c, int depth)
{
    start_item(F, c->line);
    indent(&F->o, depth);
    put(&F->o, c->text, c->len);
    put(&F->o, "\n", 1);
    F->last_line = c->line;
}

/* Every comment that starts before @line, as own lines. */
static void comments_before(fmt *F, uint32_t line, int depth)
{
    while (F->ci < F->f->n_comments && F->f->comments[F->ci].line < line)
        comment_line(F, &F->f->comments[F->ci++], depth);
}

/* The comment ending source line @line, appended to the output line. */
static void trailing(fmt *F, uint32_t line)
{
    if (F->ci < F->f->n_comments && !F->f->comments[F->ci].own_line &&
        F->f->comments[F->ci].line == line) {
        /* Marked for align_comments(), which lines up the comments of
         * neighbouring lines. */
        if (F->n_marks < F->cap_marks || grow_marks(F))
            F->marks[F->n_marks++] = F->o.n;
        put(&F->o, F->f->comments[F->ci].text, F->f->comments[F->ci].len);
        F->ci++;
    }
    put(&F->o, "\n", 1);
    if (line > F->last_line)
        F->last_line = line;
}

static bool comments_within(const fmt *F, uint32_t a, uint32_t b)
{
    for (size_t i = F->ci; i < F->f->n_comments; i++) {
        const lang_comment *c = &F->f->comments[i];
        if (c->line >= b)
            return false;
        if (c->line >= a)
            return true;
    }
    return false;
}

/* ------------------------------------------------------------ statements */

static size_t inline_len(const lang_stmt *s)
{
    out tmp = {0};
    props_inline(&tmp, s->props, s->n_props);
    size_t n = tmp.oom ? (size_t)-1 : tmp.n;
    free(tmp.s);
    return n;
}

static bool node_multiline(const fmt *F, const lang_stmt *s, int depth)
{
    if (!s->n_props)
        return false;
    if (s->end_line > s->loc.line || comments_within(F, s->loc.line, s->end_line))
        return true;
    size_t len = (size_t)depth * 4 + 8 + strlen(s->name) + strlen(s->cls) +
                 inline_len(s) + 4;
    return len > LINE_MAX_COLS;
}

static void node_stmt(fmt *F, const lang_stmt *s, int depth, size_t name_w,
                      size_t cls_w)
{
    out *o = &F->o;
    size_t nl = strlen(s->name);
    indent(o, depth);
    put(o, "node ", 5);
    puts_(o, s->name);
    pad(o, name_w > nl ? name_w - nl : 0);
    put(o, " = ", 3);
    puts_(o, s->cls);
    if (!s->n_props) {
        trailing(F, s->end_line);
        return;
    }
    if (!node_multiline(F, s, depth)) {
        size_t cl = strlen(s->cls);
        pad(o, cls_w > cl ? cls_w - cl : 0);
        put(o, " { ", 3);
        props_inline(o, s->props, s->n_props);
        put(o, " }", 2);
        trailing(F, s->end_line);
        return;
    }
    put(o, " {", 2);
    trailing(F, s->loc.line);
    size_t w = 0;
    for (size_t i = 0; i < s->n_props; i++)
        if (strlen(s->props[i].name) > w)
            w = strlen(s->props[i].name);
    for (size_t i = 0; i < s->n_props; i++) {
        const lang_prop *p = &s->props[i];
        comments_before(F, p->name_loc.line, depth + 1);
        start_item(F, p->name_loc.line);
        indent(o, depth + 1);
        puts_(o, p->name);
        pad(o, w - strlen(p->name));
        put(o, " = ", 3);
        value(o, &p->value);
        put(o, ",", 1);
        trailing(F, p->end_line);
    }
    comments_before(F, s->end_line, depth + 1);
    indent(o, depth);
    put(o, "}", 1);
    trailing(F, s->end_line);
}

static void stmts(fmt *F, const lang_stmt *v, size_t n, int depth);

static void graph_stmt(fmt *F, const lang_stmt *s, int depth)
{
    out *o = &F->o;
    indent(o, depth);
    put(o, "graph ", 6);
    puts_(o, s->name);
    if (s->n_params) {
        put(o, "(", 1);
        for (size_t i = 0; i < s->n_params; i++) {
            if (i)
                put(o, ", ", 2);
            param_text(o, &s->params[i], 0);
        }
        put(o, ")", 1);
    }
    put(o, " {", 2);
    /* The header's line: comments inside the parentheses move above. */
    uint32_t open_line = s->n_params ? s->params[s->n_params - 1].end_line
                                     : s->loc.line;
    trailing(F, open_line);
    stmts(F, s->body, s->n_body, depth + 1);
    comments_before(F, s->close_line, depth + 1);
    indent(o, depth);
    put(o, "}", 1);
    trailing(F, s->close_line);
}

static bool is_port(const lang_stmt *s)
{
    return s->kind == S_INPUT || s->kind == S_OUTPUT;
}

/* Width of the longest name (params: name and type) in the run of
 * statements of @s's kind starting at @v[i] with no blank line between
 * them. */
static void run_widths(const fmt *F, const lang_stmt *v, size_t n, size_t i,
                       int depth, size_t *name_w, size_t *cls_w, size_t *end)
{
    size_t j = i;
    *name_w = *cls_w = 0;
    for (; j < n && (v[j].kind == v[i].kind ||
                     (is_port(&v[i]) && is_port(&v[j])));
         j++) {
        if (j > i && blank_between(F, v[j - 1].end_line, v[j].loc.line))
            break;
        const lang_stmt *s = &v[j];
        size_t w = strlen(s->name);
        if (s->kind == S_PARAM && s->type)
            w += strlen(s->type) + 2;
        if (s->kind == S_PARAM && !s->has_value)
            w = 0;
        if (s->kind == S_OUTPUT)
            *cls_w = 1; /* for ports: the run has an output */
        if (w > *name_w)
            *name_w = w;
        if (s->kind == S_NODE && s->n_props && !node_multiline(F, s, depth) &&
            strlen(s->cls) > *cls_w)
            *cls_w = strlen(s->cls);
    }
    *end = j;
}

static void stmts(fmt *F, const lang_stmt *v, size_t n, int depth)
{
    out *o = &F->o;
    size_t run_end = 0, name_w = 0, cls_w = 0;
    for (size_t i = 0; i < n; i++) {
        const lang_stmt *s = &v[i];
        if (i >= run_end) {
            if (s->kind == S_PARAM || s->kind == S_NODE || is_port(s))
                run_widths(F, v, n, i, depth, &name_w, &cls_w, &run_end);
            else
                run_end = i + 1, name_w = cls_w = 0;
        }
        comments_before(F, s->loc.line, depth);
        /* Comments inside a one-line statement's span move above it. */
        if (s->kind != S_NODE && s->kind != S_GRAPH)
            comments_before(F, s->end_line, depth);
        start_item(F, s->loc.line);
        switch (s->kind) {
        case S_HEADER:
            indent(o, depth);
            put(o, "weft ", 5);
            value(o, &s->value);
            trailing(F, s->end_line);
            break;
        case S_USE:
            indent(o, depth);
            put(o, "use ", 4);
            value(o, &s->value);
            trailing(F, s->end_line);
            break;
        case S_PARAM:
            indent(o, depth);
            put(o, "param ", 6);
            param_text(o, s, name_w);
            trailing(F, s->end_line);
            break;
        case S_NODE:
            if (!s->n_props)
                comments_before(F, s->end_line, depth);
            node_stmt(F, s, depth, name_w, cls_w);
            break;
        case S_GRAPH:
            graph_stmt(F, s, depth);
            break;
        case S_INPUT:
        case S_OUTPUT:
            indent(o, depth);
            puts_(o, s->kind == S_INPUT ? (cls_w ? "input  " : "input ")
                                        : "output ");
            puts_(o, s->name);
            pad(o, name_w > strlen(s->name) ? name_w - strlen(s->name) : 0);
            put(o, " = ", 3);
            group(o, &s->groups[0]);
            trailing(F, s->end_line);
            break;
        case S_LINK:
            indent(o, depth);
            link_text(o, s);
            trailing(F, s->end_line);
            break;
        }
    }
}

/* Line up the trailing comments of consecutive lines (each @marks entry
 * is where one starts in @s) two spaces after the longest code. */
static char *align_comments(char *s, const size_t *marks, size_t n_marks)
{
    out o = {0};
    size_t p = 0, mi = 0, len = strlen(s);

    while (p < len) {
        /* A block: consecutive lines that each hold a mark. */
        size_t q = p, width = 0, lines = 0, mj = mi;
        while (q < len && mj < n_marks) {
            const char *eol = strchr(s + q, '\n');
            size_t end = eol ? (size_t)(eol - s) : len;
            if (marks[mj] < q || marks[mj] > end)
                break;
            if (marks[mj] - q > width)
                width = marks[mj] - q;
            lines++;
            mj++;
            q = eol ? end + 1 : len;
        }
        if (!lines) {
            const char *eol = strchr(s + p, '\n');
            size_t end = eol ? (size_t)(eol - s) + 1 : len;
            put(&o, s + p, end - p);
            p = end;
            continue;
        }
        for (; mi < mj; mi++) {
            const char *eol = strchr(s + p, '\n');
            size_t end = eol ? (size_t)(eol - s) + 1 : len;
            put(&o, s + p, marks[mi] - p);
            pad(&o, width - (marks[mi] - p) + 2);
            put(&o, s + marks[mi], end - marks[mi]);
            p = end;
        }
    }
    free(s);
    if (o.oom) {
        free(o.s);
        return NULL;
    }
    return o.s ? o.s : weft__strdup("");
}

char *weft__lang_format(const lang_file *f)
{
    fmt F = {.f = f};
    size_t n_lines = 1;
    for (size_t i = 0; i < f->len; i++)
        n_lines += f->text[i] == '\n';
    size_t *lines = malloc((n_lines + 2) * sizeof *lines);
    if (!lines)
        return NULL;
    size_t k = 1;
    lines[k++] = 0;
    for (size_t i = 0; i < f->len; i++)
        if (f->text[i] == '\n')
            lines[k++] = i + 1;
    F.lines = lines;
    F.n_lines = n_lines;

    stmts(&F, f->stmts, f->n_stmts, 0);
    comments_before(&F, UINT32_MAX, 0);
    free(lines);
    if (F.o.oom || !F.o.s) {
        free(F.o.s);
        free(F.marks);
        return F.o.oom ? NULL : weft__strdup("");
    }
    char *r = align_comments(F.o.s, F.marks, F.n_marks);
    free(F.marks);
    return r;
}
