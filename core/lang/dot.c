/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * DOT export (`weft dot`). Works on the model, so graphs built in code
 * draw as well as graph files. Subgraph instances need no record of their
 * own: their nodes' names carry the instance path ("asr/feat"), and each
 * path prefix becomes a cluster.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "lang.h"

typedef struct dbuf {
    char *s;
    size_t n, cap;
    bool oom;
} dbuf;

static void dput(dbuf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->n + n + 1)
            cap *= 2;
        char *ns = realloc(b->s, cap);
        if (!ns) {
            b->oom = true;
            return;
        }
        b->s = ns;
        b->cap = cap;
    }
    memcpy(b->s + b->n, s, n);
    b->n += n;
    b->s[b->n] = '\0';
}

static void dprint(dbuf *b, const char *fmt, ...) WEFT_PRINTF(2, 3);
static void dprint(dbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = weft__vasprintf(fmt, ap);
    va_end(ap);
    if (!s) {
        b->oom = true;
        return;
    }
    dput(b, s, strlen(s));
    free(s);
}

/* Text inside a DOT "string": quotes and backslashes escaped, newlines as
 * \n; long values cut so a 1 MB string does not make a 1 MB label. */
static void escaped_n(dbuf *b, const char *s, size_t max, bool cut)
{
    size_t n = 0;
    for (; *s && n < max; s++, n++) {
        if (*s == '"' || *s == '\\')
            dput(b, "\\", 1);
        if (*s == '\n') {
            dput(b, "\\n", 2);
            continue;
        }
        if ((unsigned char)*s < 0x20)
            continue;
        dput(b, s, 1);
    }
    if (*s && cut)
        dput(b, "...", 3);
}

static void escaped(dbuf *b, const char *s, size_t max)
{
    escaped_n(b, s, max, true);
}

static void node_label(dbuf *b, const weft_node *n)
{
    const weft_node_class *cls = n->cls;
    const char *name = strrchr(n->name, LANG_SEP);
    escaped(b, name ? name + 1 : n->name, 200);
    dput(b, "\\n", 2);
    escaped(b, cls->name, 200);
    for (size_t i = 0; i < n->n_props; i++) {
        const weft_prop_desc *d = n->prop_desc[i];
        const weft_value *v = n->values[i];
        if (!v)
            continue;
        char *vs = weft_value_to_string(v), *ds = NULL;
        weft_value *dv = NULL;
        char err[8];
        if (d->default_value &&
            weft_value_parse(d, d->default_value, &dv, err, sizeof err) == 0)
            ds = weft_value_to_string(dv);
        weft_value_free(dv);
        if (vs && (!ds || strcmp(vs, ds))) {
            dput(b, "\\n", 2);
            escaped(b, d->name, 100);
            dput(b, " = ", 3);
            escaped(b, vs, 60);
        }
        free(vs);
        free(ds);
    }
}

static int by_name(const void *a, const void *b, void *g)
{
    const weft_graph *gr = g;
    return strcmp(gr->nodes[*(const size_t *)a].name,
                  gr->nodes[*(const size_t *)b].name);
}

/* qsort_r is not portable; a small merge sort keeps this self-contained. */
static void sort_idx(size_t *v, size_t *tmp, size_t n, const weft_graph *g)
{
    for (size_t w = 1; w < n; w *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * w) {
            size_t mid = lo + w < n ? lo + w : n;
            size_t hi = lo + 2 * w < n ? lo + 2 * w : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                tmp[k++] = by_name(&v[j], &v[i], (void *)g) < 0 ? v[j++]
                                                                 : v[i++];
            while (i < mid)
                tmp[k++] = v[i++];
            while (j < hi)
                tmp[k++] = v[j++];
        }
        memcpy(v, tmp, n * sizeof *v);
    }
}

/* Length of the cluster path of @name ("a/b/c" -> 3, "a/b"), 0 if none. */
static size_t dir_len(const char *name)
{
    const char *s = strrchr(name, LANG_SEP);
    return s ? (size_t)(s - name) : 0;
}

char *weft_graph_to_dot(const weft_graph *g)
{
    dbuf b = {0};
    size_t *idx = NULL, *tmp = NULL;
    size_t open[LANG_MAX_GRAPH_DEPTH + 2]; /* lengths of open cluster paths */
    size_t n_open = 0;
    const char *last = "";

    if (!g)
        return NULL;
    dprint(&b, "digraph weft {\n"
               "    rankdir=LR;\n"
               "    node [shape=box, style=rounded, fontname=\"Helvetica\", "
               "fontsize=11];\n"
               "    edge [fontname=\"Helvetica\", fontsize=9];\n");
    idx = malloc((g->n_nodes + 1) * sizeof *idx);
    tmp = malloc((g->n_nodes + 1) * sizeof *tmp);
    if (!idx || !tmp) {
        b.oom = true;
        goto out;
    }
    for (size_t i = 0; i < g->n_nodes; i++)
        idx[i] = i;
    sort_idx(idx, tmp, g->n_nodes, g);
    for (size_t k = 0; k < g->n_nodes; k++) {
        const weft__gnode *gn = &g->nodes[idx[k]];
        if (!gn->node)
            continue;
        const char *name = gn->name;
        size_t dl = dir_len(name);
        /* Close the clusters that do not hold this node: the open ones
         * are prefixes of the last node drawn. */
        while (n_open && !(open[n_open - 1] <= dl &&
                           name[open[n_open - 1]] == LANG_SEP &&
                           !strncmp(name, last, open[n_open - 1]))) {
            n_open--;
            dprint(&b, "%*s}\n", (int)(n_open + 1) * 4, "");
        }
        last = name;
        /* Open the missing ones, one per path component. */
        size_t at = n_open ? open[n_open - 1] + 1 : 0;
        while (at < dl && n_open < LANG_MAX_GRAPH_DEPTH + 1) {
            const char *sep = memchr(name + at, LANG_SEP, dl - at);
            size_t end = sep ? (size_t)(sep - name) : dl;
            dprint(&b, "%*ssubgraph \"cluster_", (int)(n_open + 1) * 4, "");
            escaped_n(&b, name, end, false);
            dprint(&b, "\" {\n%*slabel=\"", (int)(n_open + 2) * 4, "");
            escaped_n(&b, name + at, end - at, false);
            dprint(&b, "\";\n%*sstyle=dashed;\n", (int)(n_open + 2) * 4, "");
            open[n_open++] = end;
            at = end + 1;
        }
        dprint(&b, "%*s\"", (int)(n_open + 1) * 4, "");
        escaped(&b, name, SIZE_MAX);
        dput(&b, "\" [label=\"", 10);
        node_label(&b, gn->node);
        dput(&b, "\"];\n", 4);
    }
    while (n_open) {
        n_open--;
        dprint(&b, "%*s}\n", (int)(n_open + 1) * 4, "");
    }
    for (size_t i = 0; i < g->n_edges; i++) {
        weft_edge_info e;
        if (weft_graph_edge(g, i, &e) < 0)
            continue;
        const weft_node *src = g->nodes[g->edges[i].src].node;
        const weft_node *dst = g->nodes[g->edges[i].dst].node;
        dput(&b, "    \"", 5);
        escaped(&b, e.src, SIZE_MAX);
        dput(&b, "\" -> \"", 6);
        escaped(&b, e.dst, SIZE_MAX);
        dput(&b, "\" [label=\"", 10);
        bool any = false;
        if (src->n_out > 1 || dst->n_in > 1) {
            dprint(&b, "%s -> %s", e.src_port, e.dst_port);
            any = true;
        }
        if (e.format) {
            char *fs = weft_format_to_string(e.format);
            if (fs) {
                if (any)
                    dput(&b, "\\n", 2);
                escaped(&b, fs, 120);
                any = true;
            }
            free(fs);
        }
        if (e.capacity != WEFT_LINK_DEFAULT_CAPACITY ||
            e.overflow != WEFT_OVERFLOW_BLOCK) {
            dprint(&b, "%s[%u, %s]", any ? "\\n" : "", e.capacity,
                   weft_overflow_name(e.overflow));
        }
        dput(&b, "\"];\n", 4);
    }
    dput(&b, "}\n", 2);
out:
    free(idx);
    free(tmp);
    if (b.oom) {
        free(b.s);
        return NULL;
    }
    return b.s;
}
