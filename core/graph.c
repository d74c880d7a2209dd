/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The graph model: nodes and links, built from code or by the language
 * front end. Every builder reports problems as diagnostics so that a file
 * with ten mistakes gets ten messages, and a name whose class was unknown
 * stays reserved (without an instance) so its later uses do not cascade.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph-private.h"
#include "internal.h"

const char *weft_overflow_name(weft_overflow p)
{
    switch (p) {
    case WEFT_OVERFLOW_BLOCK:
        return "block";
    case WEFT_OVERFLOW_DROP_OLDEST:
        return "drop-oldest";
    case WEFT_OVERFLOW_DROP_NEWEST:
        return "drop-newest";
    default:
        return "unknown";
    }
}

weft_graph *weft_graph_new(const weft_registry *reg)
{
    if (!reg)
        return NULL;
    weft_graph *g = calloc(1, sizeof *g);
    if (g)
        g->reg = reg;
    return g;
}

void weft_graph_free(weft_graph *g)
{
    if (!g)
        return;
    if (g->sched)
        weft__sched_free(g);
    for (size_t i = 0; i < g->n_nodes; i++) {
        weft__node_free(g->nodes[i].node);
        free(g->nodes[i].name);
    }
    for (size_t i = 0; i < g->n_edges; i++)
        weft_format_free(g->edges[i].format);
    for (size_t i = 0; i < g->n_diags; i++) {
        free(g->diags[i].message);
        free(g->diags[i].hint);
    }
    for (size_t i = 0; i < g->n_sources; i++) {
        free(g->sources[i].name);
        free(g->sources[i].text);
    }
    free(g->nodes);
    free(g->name_index);
    free(g->edges);
    free(g->diags);
    free(g->sources);
    free(g->error);
    free(g);
}

static uint64_t name_hash(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

int32_t weft__graph_node_index(const weft_graph *g, const char *name)
{
    if (!name || !g->name_cap)
        return -1;
    size_t mask = g->name_cap - 1;
    for (size_t i = name_hash(name) & mask;; i = (i + 1) & mask) {
        uint32_t v = g->name_index[i];
        if (!v)
            return -1;
        if (strcmp(g->nodes[v - 1].name, name) == 0)
            return (int32_t)(v - 1);
    }
}

/* Index node @k's name, growing the table to keep it at most half full. */
static int index_name(weft_graph *g, size_t k)
{
    if (2 * (g->n_nodes + 1) > g->name_cap) {
        size_t cap = g->name_cap ? g->name_cap * 2 : 64;
        uint32_t *t = calloc(cap, sizeof *t);
        if (!t)
            return WEFT_ENOMEM;
        for (size_t i = 0; i < g->name_cap; i++) {
            uint32_t v = g->name_index[i];
            if (!v)
                continue;
            size_t j = name_hash(g->nodes[v - 1].name) & (cap - 1);
            while (t[j])
                j = (j + 1) & (cap - 1);
            t[j] = v;
        }
        free(g->name_index);
        g->name_index = t;
        g->name_cap = cap;
    }
    size_t j = name_hash(g->nodes[k].name) & (g->name_cap - 1);
    while (g->name_index[j])
        j = (j + 1) & (g->name_cap - 1);
    g->name_index[j] = (uint32_t)k + 1;
    return 0;
}

/* Node names: letters, digits, '_' and '-', with '/' joining the names of
 * subgraph instances; '.' is kept for `node.port`. */
static bool valid_node_name(const char *s)
{
    if (!s || !*s || strlen(s) > 256)
        return false;
    if (!isalpha((unsigned char)*s) && *s != '_')
        return false;
    for (const char *p = s; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-' && *p != '/')
            return false;
    return s[strlen(s) - 1] != '/';
}

static bool building(weft_graph *g, const weft_srcloc *loc)
{
    if (g->state == WEFT__GRAPH_BUILDING && !g->checked)
        return true;
    weft__graph_diag(g, WEFT_DIAG_ERROR, loc, NULL,
                     "the graph can no longer change: it has been checked");
    return false;
}

int weft__graph_add_node_at(weft_graph *g, const char *name, const char *cls,
                            const weft_srcloc *loc,
                            const weft_srcloc *class_loc)
{
    if (!g || !cls)
        return WEFT_EINVAL;
    if (!building(g, loc))
        return WEFT_ESTATE;
    if (!valid_node_name(name)) {
        weft__graph_diag(g, WEFT_DIAG_ERROR, loc,
                         "names start with a letter or '_' and hold letters, "
                         "digits, '_' and '-'",
                         "`%s` is not a valid node name", name ? name : "");
        return WEFT_EINVAL;
    }
    int32_t prev = weft__graph_node_index(g, name);
    if (prev >= 0) {
        char hint[64] = "";
        if (g->nodes[prev].loc.line)
            snprintf(hint, sizeof hint, "the first is at line %u",
                     g->nodes[prev].loc.line);
        weft__graph_diag(g, WEFT_DIAG_ERROR, loc, hint[0] ? hint : NULL,
                         "node `%s` is defined twice", name);
        return WEFT_EEXIST;
    }
    if (g->n_nodes == g->cap_nodes) {
        size_t cap = g->cap_nodes ? g->cap_nodes * 2 : 16;
        weft__gnode *n = realloc(g->nodes, cap * sizeof *n);
        if (!n)
            return WEFT_ENOMEM;
        g->nodes = n;
        g->cap_nodes = cap;
    }
    weft__gnode *gn = &g->nodes[g->n_nodes];
    memset(gn, 0, sizeof *gn);
    gn->name = weft__strdup(name);
    gn->first_in = -1;
    if (!gn->name || index_name(g, g->n_nodes) < 0) {
        free(gn->name);
        return WEFT_ENOMEM;
    }
    if (loc)
        gn->loc = *loc;
    if (class_loc)
        gn->class_loc = *class_loc;
    g->n_nodes++;

    const weft_node_class *c = weft_registry_find(g->reg, cls);
    if (!c) {
        const char *s = weft_registry_suggest(g->reg, cls);
        char hint[200];
        if (s)
            snprintf(hint, sizeof hint, "did you mean `%s`?", s);
        else
            snprintf(hint, sizeof hint,
                     "`weft inspect` lists the classes the loaded plugins "
                     "provide");
        weft__graph_diag(g, WEFT_DIAG_ERROR, class_loc ? class_loc : loc, hint,
                         "class `%s` does not exist", cls);
        return WEFT_ENOENT;
    }
    char err[400];
    int rc = weft__node_new(c, name, &gn->node, err, sizeof err);
    if (rc < 0) {
        weft__graph_diag(g, WEFT_DIAG_ERROR, loc, NULL,
                         "cannot create node `%s` (%s): %s", name, cls, err);
        return rc;
    }
    return 0;
}

int weft_graph_add_node(weft_graph *g, const char *name, const char *cls)
{
    return weft__graph_add_node_at(g, name, cls, NULL, NULL);
}

/* The node named @name, or NULL with a diagnostic (silently NULL for a node
 * whose class was unknown: that error was reported already). */
static weft__gnode *lookup(weft_graph *g, const char *name,
                           const weft_srcloc *loc, int *rc)
{
    int32_t i = weft__graph_node_index(g, name);
    if (i < 0) {
        const char **names = malloc((g->n_nodes + 1) * sizeof *names);
        const char *s = NULL;
        if (names) {
            for (size_t k = 0; k < g->n_nodes; k++)
                names[k] = g->nodes[k].name;
            s = weft_suggest(name, names, g->n_nodes);
        }
        char hint[300];
        if (s)
            snprintf(hint, sizeof hint, "did you mean `%s`?", s);
        weft__graph_diag(g, WEFT_DIAG_ERROR, loc, s ? hint : NULL,
                         "there is no node named `%s`", name ? name : "");
        free(names);
        *rc = WEFT_ENOENT;
        return NULL;
    }
    if (!g->nodes[i].node) {
        *rc = WEFT_ENOENT;
        return NULL;
    }
    return &g->nodes[i];
}

static void describe_prop(const weft_prop_desc *d, char *buf, size_t len)
{
    int n = snprintf(buf, len, "`%s` is %s %s", d->name,
                     d->type == WEFT_PROP_INT || d->type == WEFT_PROP_ENUM
                         ? "an"
                         : "a",
                     weft_prop_type_name(d->type));
    if (n < 0 || (size_t)n >= len)
        return;
    if (d->type == WEFT_PROP_ENUM && d->choices) {
        n += snprintf(buf + n, len - (size_t)n, ": one of");
        for (size_t i = 0; d->choices[i] && (size_t)n < len; i++)
            n += snprintf(buf + n, len - (size_t)n, "%s %s", i ? "," : "",
                          d->choices[i]);
    } else if (d->flags & (WEFT_PROP_HAS_MIN | WEFT_PROP_HAS_MAX)) {
        if (d->type == WEFT_PROP_INT)
            n += snprintf(buf + n, len - (size_t)n, " in [%lld, %lld]",
                          (long long)d->min, (long long)d->max);
        else
            n += snprintf(buf + n, len - (size_t)n, " in [%g, %g]", d->min,
                          d->max);
    }
    if (d->unit && (size_t)n < len)
        snprintf(buf + n, len - (size_t)n, " (unit: %s)", d->unit);
}

int weft__graph_set_prop_at(weft_graph *g, const char *node, const char *prop,
                            const char *value, const weft_srcloc *name_loc,
                            const weft_srcloc *value_loc)
{
    if (!g || !prop || !value)
        return WEFT_EINVAL;
    if (!building(g, name_loc))
        return WEFT_ESTATE;
    int rc = 0;
    weft__gnode *gn = lookup(g, node, name_loc, &rc);
    if (!gn)
        return rc;
    const weft_node_class *c = gn->node->cls;
    const weft_prop_desc *d = weft_class_find_prop(c, prop);
    if (!d) {
        size_t np = weft_class_n_props(c);
        const char **names = malloc((np + 1) * sizeof *names);
        const char *s = NULL;
        if (names) {
            for (size_t i = 0; i < np; i++)
                names[i] = weft_class_prop(c, i)->name;
            s = weft_suggest(prop, names, np);
        }
        char hint[400];
        if (s)
            snprintf(hint, sizeof hint, "did you mean `%s`?", s);
        else if (np == 0)
            snprintf(hint, sizeof hint, "`%s` has no properties", c->name);
        else {
            int n = snprintf(hint, sizeof hint, "its properties are:");
            for (size_t i = 0; i < np && n > 0 && (size_t)n < sizeof hint; i++)
                n += snprintf(hint + n, sizeof hint - (size_t)n, "%s %s",
                              i ? "," : "", names[i]);
        }
        weft__graph_diag(g, WEFT_DIAG_ERROR, name_loc, hint,
                         "class `%s` has no property `%s`", c->name, prop);
        free(names);
        return WEFT_ENOENT;
    }
    char err[400];
    rc = weft__node_set_prop(gn->node, prop, value, err, sizeof err);
    if (rc < 0) {
        char hint[400];
        describe_prop(d, hint, sizeof hint);
        weft__graph_diag(g, WEFT_DIAG_ERROR, value_loc ? value_loc : name_loc,
                         hint, "invalid value for `%s.%s`: %s", gn->name, prop,
                         err);
    }
    return rc;
}

int weft_graph_set_prop(weft_graph *g, const char *node, const char *prop,
                        const char *value)
{
    return weft__graph_set_prop_at(g, node, prop, value, NULL, NULL);
}

int weft__graph_set_base_dir(weft_graph *g, const char *node, const char *dir)
{
    int32_t i = weft__graph_node_index(g, node);
    if (i < 0 || !g->nodes[i].node)
        return WEFT_ENOENT;
    return weft__node_set_base_dir(g->nodes[i].node, dir);
}

/* Resolve a port by name (NULL: the first). */
static int resolve_port(weft_graph *g, weft__gnode *gn, const char *port,
                        bool output, const weft_srcloc *loc, uint32_t *out)
{
    const weft_node *n = gn->node;
    uint32_t count = output ? n->n_out : n->n_in;
    const weft_port_desc **descs = output ? n->out_desc : n->in_desc;
    const char *dir = output ? "output" : "input";
    if (count == 0) {
        weft__graph_diag(g, WEFT_DIAG_ERROR, loc,
                         output ? "a sink ends a chain" : "a source starts a chain",
                         "node `%s` (%s) has no %s ports", gn->name,
                         n->cls->name, dir);
        return WEFT_EINVAL;
    }
    if (!port) {
        *out = 0;
        return 0;
    }
    for (uint32_t i = 0; i < count; i++)
        if (strcmp(descs[i]->name, port) == 0) {
            *out = i;
            return 0;
        }
    const char *names[64];
    uint32_t k = count < 64 ? count : 64;
    for (uint32_t i = 0; i < k; i++)
        names[i] = descs[i]->name;
    const char *s = weft_suggest(port, names, k);
    char hint[400];
    if (s) {
        snprintf(hint, sizeof hint, "did you mean `%s`?", s);
    } else {
        int len = snprintf(hint, sizeof hint, "its %s ports are:", dir);
        for (uint32_t i = 0; i < k && len > 0 && (size_t)len < sizeof hint; i++)
            len += snprintf(hint + len, sizeof hint - (size_t)len, "%s %s",
                            i ? "," : "", names[i]);
    }
    weft__graph_diag(g, WEFT_DIAG_ERROR, loc, hint,
                     "node `%s` (%s) has no %s port `%s`", gn->name,
                     n->cls->name, dir, port);
    return WEFT_ENOENT;
}

int weft__graph_link_at(weft_graph *g, const char *src, const char *src_port,
                        const char *dst, const char *dst_port,
                        const weft_link_opts *opts, const weft_srcloc *src_loc,
                        const weft_srcloc *dst_loc)
{
    if (!g)
        return WEFT_EINVAL;
    if (!building(g, src_loc))
        return WEFT_ESTATE;
    int rc = 0, rc2 = 0;
    weft__gnode *a = lookup(g, src, src_loc, &rc);
    weft__gnode *b = lookup(g, dst, dst_loc, &rc2);
    if (!a || !b)
        return rc ? rc : rc2;
    uint32_t op, ip;
    rc = resolve_port(g, a, src_port, true, src_loc, &op);
    rc2 = resolve_port(g, b, dst_port, false, dst_loc, &ip);
    if (rc < 0 || rc2 < 0)
        return rc < 0 ? rc : rc2;
    uint32_t ai = (uint32_t)(a - g->nodes), bi = (uint32_t)(b - g->nodes);
    if (ai == bi) {
        weft__graph_diag(g, WEFT_DIAG_ERROR, src_loc, NULL,
                         "node `%s` cannot feed itself", a->name);
        return WEFT_EINVAL;
    }
    for (int32_t i = b->first_in; i >= 0; i = g->edges[i].next_in) {
        const weft__edge *e = &g->edges[i];
        if (e->dst_port != ip)
            continue;
        if (e->src == ai && e->src_port == op) {
            weft__graph_diag(g, WEFT_DIAG_ERROR, dst_loc, NULL,
                             "`%s.%s` is linked to `%s.%s` twice", a->name,
                             a->node->out_desc[op]->name, b->name,
                             b->node->in_desc[ip]->name);
            return WEFT_EEXIST;
        }
        if (!(b->node->in_desc[ip]->flags & WEFT_PORT_MULTI)) {
            const weft__gnode *prev = &g->nodes[e->src];
            weft__graph_diag(
                g, WEFT_DIAG_ERROR, dst_loc,
                "only ports that accept several links (see `weft inspect`) "
                "merge streams",
                "input `%s.%s` is already fed by `%s.%s`", b->name,
                b->node->in_desc[ip]->name, prev->name,
                prev->node->out_desc[e->src_port]->name);
            return WEFT_EEXIST;
        }
    }
    if (g->n_edges == g->cap_edges) {
        size_t cap = g->cap_edges ? g->cap_edges * 2 : 16;
        weft__edge *e = realloc(g->edges, cap * sizeof *e);
        if (!e)
            return WEFT_ENOMEM;
        g->edges = e;
        g->cap_edges = cap;
    }
    weft__edge *e = &g->edges[g->n_edges++];
    memset(e, 0, sizeof *e);
    e->src = ai;
    e->src_port = op;
    e->dst = bi;
    e->dst_port = ip;
    e->capacity = WEFT_LINK_DEFAULT_CAPACITY;
    e->overflow = WEFT_OVERFLOW_BLOCK;
    if (opts && opts->struct_size >= offsetof(weft_link_opts, overflow) +
                                         sizeof opts->overflow) {
        if (opts->capacity)
            e->capacity = opts->capacity;
        e->overflow = opts->overflow;
    }
    if (e->overflow > WEFT_OVERFLOW_DROP_NEWEST) {
        weft__graph_diag(g, WEFT_DIAG_ERROR, src_loc, NULL,
                         "unknown overflow policy %u", e->overflow);
        g->n_edges--;
        return WEFT_EINVAL;
    }
    if (src_loc)
        e->loc = *src_loc;
    e->next_in = b->first_in;
    b->first_in = (int32_t)(g->n_edges - 1);
    return 0;
}

int weft_graph_link(weft_graph *g, const char *src, const char *src_port,
                    const char *dst, const char *dst_port,
                    const weft_link_opts *opts)
{
    return weft__graph_link_at(g, src, src_port, dst, dst_port, opts, NULL,
                               NULL);
}

int weft_graph_check(weft_graph *g)
{
    if (!g)
        return WEFT_EINVAL;
    if (g->checked)
        return g->check_rc;
    g->check_rc = weft__graph_check(g);
    g->checked = true;
    if (g->check_rc == 0)
        g->state = WEFT__GRAPH_CHECKED;
    return g->check_rc;
}

/* ---------------------------------------------------------- inspection */

size_t weft_graph_n_nodes(const weft_graph *g) { return g ? g->n_nodes : 0; }
size_t weft_graph_n_edges(const weft_graph *g) { return g ? g->n_edges : 0; }

weft_node *weft_graph_node(const weft_graph *g, size_t i)
{
    return g && i < g->n_nodes ? g->nodes[i].node : NULL;
}

weft_node *weft_graph_find_node(const weft_graph *g, const char *name)
{
    int32_t i = g ? weft__graph_node_index(g, name) : -1;
    return i < 0 ? NULL : g->nodes[i].node;
}

int weft_graph_edge(const weft_graph *g, size_t i, weft_edge_info *out)
{
    if (!g || i >= g->n_edges || !out)
        return WEFT_EINVAL;
    const weft__edge *e = &g->edges[i];
    const weft_node *a = g->nodes[e->src].node, *b = g->nodes[e->dst].node;
    out->src = a->name;
    out->src_port = a->out_desc[e->src_port]->name;
    out->dst = b->name;
    out->dst_port = b->in_desc[e->dst_port]->name;
    out->capacity = e->capacity;
    out->overflow = e->overflow;
    out->format = e->format;
    return 0;
}

/* ---------------------------------------------------------- running */

int weft_graph_start(weft_graph *g, const weft_run_opts *opts)
{
    if (!g)
        return WEFT_EINVAL;
    if (g->state == WEFT__GRAPH_RUNNING || g->state == WEFT__GRAPH_DONE)
        return WEFT_ESTATE;
    int rc = weft_graph_check(g);
    if (rc < 0)
        return rc;
    rc = weft__sched_start(g, opts);
    if (rc == 0)
        g->state = WEFT__GRAPH_RUNNING;
    return rc;
}

int weft_graph_wait(weft_graph *g, int64_t timeout_ns)
{
    if (!g || !g->sched)
        return WEFT_ESTATE;
    int rc = weft__sched_wait(g, timeout_ns);
    if (rc != WEFT_ETIMEDOUT && rc != WEFT_ESTATE)
        g->state = WEFT__GRAPH_DONE;
    return rc;
}

void weft_graph_stop(weft_graph *g)
{
    if (g && g->sched)
        weft__sched_stop(g);
}

int weft_graph_flush(weft_graph *g, const char *const *names, size_t n)
{
    if (!g || !g->sched || (n && !names))
        return WEFT_ESTATE;
    uint32_t *idx = calloc(n + 1, sizeof *idx);
    if (!idx)
        return WEFT_ENOMEM;
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        int32_t k = weft__graph_node_index(g, names[i]);
        if (k < 0 || !g->nodes[k].node) {
            rc = WEFT_ENOENT;
            goto out;
        }
        idx[i] = (uint32_t)k;
    }
    rc = weft__sched_flush(g, idx, n);
out:
    free(idx);
    return rc;
}

const char *weft_graph_error(const weft_graph *g)
{
    return g ? g->error : NULL;
}

/* Until the scheduler (core/sched/) is linked in, running reports that it
 * is not supported; the strong definitions there replace these. */
#define WEAK __attribute__((weak))
WEAK int weft__sched_start(weft_graph *g, const weft_run_opts *opts)
{
    (void)g, (void)opts;
    return WEFT_ENOTSUP;
}
WEAK int weft__sched_wait(weft_graph *g, int64_t t)
{
    (void)g, (void)t;
    return WEFT_ENOTSUP;
}
WEAK void weft__sched_stop(weft_graph *g) { (void)g; }
WEAK int weft__sched_flush(weft_graph *g, const uint32_t *n, size_t k)
{
    (void)g, (void)n, (void)k;
    return WEFT_ENOTSUP;
}
WEAK void weft__sched_free(weft_graph *g) { (void)g; }
