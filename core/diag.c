/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Graph diagnostics: collected, never printed by the library, and rendered
 * on request the way compilers print them (file:line:col, the source line,
 * a caret under the span, a hint).
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph-private.h"
#include "internal.h"

void weft__graph_diag(weft_graph *g, weft_diag_severity sev,
                      const weft_srcloc *loc, const char *hint,
                      const char *fmt, ...)
{
    if (g->n_diags == g->cap_diags) {
        size_t cap = g->cap_diags ? g->cap_diags * 2 : 16;
        weft__diag_rec *d = realloc(g->diags, cap * sizeof *d);
        if (!d)
            return;
        g->diags = d;
        g->cap_diags = cap;
        /* The public views point into the records' own strings, which did
         * not move; nothing else needs fixing after realloc. */
    }
    weft__diag_rec *r = &g->diags[g->n_diags];
    memset(r, 0, sizeof *r);
    va_list ap;
    va_start(ap, fmt);
    r->message = weft__vasprintf(fmt, ap);
    va_end(ap);
    r->hint = weft__strdup(hint);
    if (!r->message || (hint && !r->hint)) {
        free(r->message);
        free(r->hint);
        return;
    }
    r->d.severity = sev;
    if (loc)
        r->d.loc = *loc;
    r->d.message = r->message;
    r->d.hint = r->hint;
    g->n_diags++;
}

const char *weft__graph_add_source(weft_graph *g, const char *name,
                                   char *text)
{
    weft__source *s = realloc(g->sources, (g->n_sources + 1) * sizeof *s);
    if (!s) {
        free(text);
        return NULL;
    }
    g->sources = s;
    char *n = weft__strdup(name);
    if (!n) {
        free(text);
        return NULL;
    }
    s[g->n_sources].name = n;
    s[g->n_sources].text = text;
    g->n_sources++;
    return n;
}

size_t weft_graph_n_diags(const weft_graph *g)
{
    return g ? g->n_diags : 0;
}

const weft_diag *weft_graph_diag(const weft_graph *g, size_t i)
{
    return g && i < g->n_diags ? &g->diags[i].d : NULL;
}

size_t weft_graph_count_diags(const weft_graph *g, weft_diag_severity sev)
{
    size_t n = 0;
    for (size_t i = 0; g && i < g->n_diags; i++)
        n += g->diags[i].d.severity == sev;
    return n;
}

/* The text of line @line (1-based) of the source named @file, or NULL.
 * Sources are matched by pointer first (locations carry the stored name),
 * then by name. */
static const char *source_line(const weft_graph *g, const char *file,
                               uint32_t line, size_t *len)
{
    const char *text = NULL;
    for (size_t i = 0; i < g->n_sources && !text; i++)
        if (g->sources[i].name == file)
            text = g->sources[i].text;
    for (size_t i = 0; i < g->n_sources && !text; i++)
        if (file && strcmp(g->sources[i].name, file) == 0)
            text = g->sources[i].text;
    if (!text || line == 0)
        return NULL;
    const char *p = text;
    for (uint32_t l = 1; l < line; l++) {
        p = strchr(p, '\n');
        if (!p)
            return NULL;
        p++;
    }
    const char *e = strchr(p, '\n');
    *len = e ? (size_t)(e - p) : strlen(p);
    if (*len && p[*len - 1] == '\r')
        (*len)--;
    return p;
}

typedef struct sbuf {
    char *s;
    size_t n, cap;
    bool oom;
} sbuf;

static void sb_printf(sbuf *b, const char *fmt, ...) WEFT_PRINTF(2, 3);
static void sb_printf(sbuf *b, const char *fmt, ...)
{
    if (b->oom)
        return;
    va_list ap;
    va_start(ap, fmt);
    char *piece = weft__vasprintf(fmt, ap);
    va_end(ap);
    if (!piece) {
        b->oom = true;
        return;
    }
    size_t len = strlen(piece);
    if (b->n + len + 1 > b->cap) {
        size_t cap = (b->n + len + 1) * 2;
        char *s = realloc(b->s, cap);
        if (!s) {
            free(piece);
            b->oom = true;
            return;
        }
        b->s = s;
        b->cap = cap;
    }
    memcpy(b->s + b->n, piece, len + 1);
    b->n += len;
    free(piece);
}

static const char *sev_name(weft_diag_severity s)
{
    return s == WEFT_DIAG_ERROR ? "error" : s == WEFT_DIAG_WARNING ? "warning"
                                                                   : "note";
}

char *weft_graph_render_diags(const weft_graph *g, bool color)
{
    sbuf b = {0};
    sb_printf(&b, "%s", "");
    const char *bold = color ? "\033[1m" : "", *reset = color ? "\033[0m" : "";
    for (size_t i = 0; g && i < g->n_diags; i++) {
        const weft_diag *d = &g->diags[i].d;
        const char *sc = !color ? ""
                         : d->severity == WEFT_DIAG_ERROR   ? "\033[1;31m"
                         : d->severity == WEFT_DIAG_WARNING ? "\033[1;35m"
                                                            : "\033[1;36m";
        if (d->loc.file && d->loc.line)
            sb_printf(&b, "%s%s:%u:%u:%s ", bold, d->loc.file, d->loc.line,
                      d->loc.col, reset);
        else if (d->loc.file)
            sb_printf(&b, "%s%s:%s ", bold, d->loc.file, reset);
        sb_printf(&b, "%s%s:%s %s%s%s\n", sc, sev_name(d->severity), reset,
                  bold, d->message, reset);
        size_t len = 0;
        const char *line = source_line(g, d->loc.file, d->loc.line, &len);
        if (line) {
            sb_printf(&b, "    %.*s\n    ", (int)len, line);
            /* Keep tabs so the caret lines up under tab-indented code. */
            for (uint32_t c = 1; c < d->loc.col && c - 1 < len; c++)
                sb_printf(&b, "%c", line[c - 1] == '\t' ? '\t' : ' ');
            uint32_t span = d->loc.len ? d->loc.len : 1;
            if (d->loc.col - 1 + span > len && len >= d->loc.col)
                span = (uint32_t)(len - (d->loc.col - 1));
            sb_printf(&b, "%s", sc);
            for (uint32_t k = 0; k < (span ? span : 1); k++)
                sb_printf(&b, "^");
            sb_printf(&b, "%s\n", reset);
        }
        if (d->hint)
            sb_printf(&b, "  %shint:%s %s\n", bold, reset, d->hint);
    }
    if (b.oom) {
        free(b.s);
        return NULL;
    }
    return b.s;
}
