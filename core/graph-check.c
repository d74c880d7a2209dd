/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * weft_graph_check: structure (ports linked, no cycles), node init, and
 * format negotiation in dataflow order. A format mismatch is reported on
 * the link, naming both ports and both formats in one sentence, which is
 * the message GStreamer's `not-negotiated` never gave its users.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph-private.h"
#include "internal.h"

static const weft_srcloc *node_loc(const weft__gnode *gn)
{
    return gn->loc.line ? &gn->loc : NULL;
}

static const weft_srcloc *edge_loc(const weft__edge *e)
{
    return e->loc.line ? &e->loc : NULL;
}

/* Mark linked ports; report unlinked ones (errors for required ports,
 * warnings for optional ones). */
static int check_ports(weft_graph *g)
{
    int rc = 0;
    for (size_t i = 0; i < g->n_nodes; i++) {
        weft__gnode *gn = &g->nodes[i];
        weft_node *n = gn->node;
        if (!n)
            continue;
        for (uint32_t p = 0; p < n->n_in; p++)
            n->in_linked[p] = false;
        for (uint32_t p = 0; p < n->n_out; p++)
            n->out_linked[p] = false;
    }
    for (size_t i = 0; i < g->n_edges; i++) {
        const weft__edge *e = &g->edges[i];
        g->nodes[e->src].node->out_linked[e->src_port] = true;
        g->nodes[e->dst].node->in_linked[e->dst_port] = true;
    }
    for (size_t i = 0; i < g->n_nodes; i++) {
        weft__gnode *gn = &g->nodes[i];
        weft_node *n = gn->node;
        if (!n)
            continue;
        for (int out = 0; out < 2; out++) {
            uint32_t cnt = out ? n->n_out : n->n_in;
            for (uint32_t p = 0; p < cnt; p++) {
                bool linked = out ? n->out_linked[p] : n->in_linked[p];
                const weft_port_desc *d = out ? n->out_desc[p] : n->in_desc[p];
                if (linked)
                    continue;
                if (d->flags & WEFT_PORT_OPTIONAL) {
                    /* Leaving an optional port unlinked is what it is
                     * for (ctc.beam's partials, say): a note for `weft
                     * check`, not a warning on every run. */
                    weft__graph_diag(g, WEFT_DIAG_NOTE, node_loc(gn), NULL,
                                     "optional %s `%s.%s` is not linked",
                                     out ? "output" : "input", gn->name,
                                     d->name);
                    continue;
                }
                weft__graph_diag(
                    g, WEFT_DIAG_ERROR, node_loc(gn),
                    out ? "link it onward, e.g. to a `null.sink`"
                        : "link a producer to it",
                    "%s `%s.%s` (%s) is not linked",
                    out ? "output" : "input", gn->name, d->name, d->format);
                rc = WEFT_EINVAL;
            }
        }
    }
    return rc;
}

/* Kahn's algorithm; *order gets the node indices in dataflow order. A cycle
 * is reported once, naming the nodes on it. */
static int topo_order(weft_graph *g, uint32_t **order)
{
    size_t n = g->n_nodes;
    uint32_t *indeg = calloc(n + 1, sizeof *indeg);
    uint32_t *out = calloc(n + 1, sizeof *out);
    if (!indeg || !out) {
        free(indeg);
        free(out);
        return WEFT_ENOMEM;
    }
    /* Edges grouped by source (counting sort), so the walk is O(V + E). */
    size_t *start = calloc(n + 1, sizeof *start);
    uint32_t *by_src = calloc(g->n_edges + 1, sizeof *by_src);
    if (!start || !by_src) {
        free(start);
        free(by_src);
        free(indeg);
        free(out);
        return WEFT_ENOMEM;
    }
    for (size_t i = 0; i < g->n_edges; i++) {
        indeg[g->edges[i].dst]++;
        start[g->edges[i].src + 1]++;
    }
    for (size_t v = 0; v < n; v++)
        start[v + 1] += start[v];
    for (size_t i = 0; i < g->n_edges; i++)
        by_src[start[g->edges[i].src]++] = g->edges[i].dst;
    for (size_t v = n; v > 0; v--) /* the fill advanced each start */
        start[v] = start[v - 1];
    start[0] = 0;
    size_t head = 0, tail = 0;
    for (size_t i = 0; i < n; i++)
        if (!indeg[i])
            out[tail++] = (uint32_t)i;
    while (head < tail) {
        uint32_t v = out[head++];
        for (size_t k = start[v]; k < start[v + 1]; k++)
            if (--indeg[by_src[k]] == 0)
                out[tail++] = by_src[k];
    }
    free(start);
    free(by_src);
    int rc = 0;
    if (tail < n) {
        /* The nodes left with inputs form (or hang off) a cycle. */
        char names[512] = "";
        size_t len = 0, first = n;
        for (size_t i = 0; i < n && len < sizeof names - 40; i++)
            if (indeg[i]) {
                if (first == n)
                    first = i;
                len += (size_t)snprintf(names + len, sizeof names - len,
                                        "%s`%s`", len ? ", " : "",
                                        g->nodes[i].name);
            }
        weft__graph_diag(g, WEFT_DIAG_ERROR, node_loc(&g->nodes[first]),
                         "data must flow one way; a cycle would deadlock",
                         "the graph has a cycle through %s", names);
        rc = WEFT_EINVAL;
    }
    free(indeg);
    *order = out;
    return rc;
}

static int init_nodes(weft_graph *g)
{
    int rc = 0;
    for (size_t i = 0; i < g->n_nodes; i++) {
        weft__gnode *gn = &g->nodes[i];
        if (!gn->node || gn->init_tried)
            continue;
        gn->init_tried = true;
        if (weft__node_init(gn->node) < 0) {
            gn->failed = true;
            weft__graph_diag(g, WEFT_DIAG_ERROR, node_loc(gn), NULL,
                             "node `%s` (%s): %s", gn->name,
                             gn->node->cls->name,
                             gn->node->error ? gn->node->error
                                             : "init failed");
            rc = WEFT_ENODE;
        }
    }
    return rc;
}

/* Negotiate node @v: its inputs' formats come from the links into it. */
static int negotiate_node(weft_graph *g, uint32_t v)
{
    weft__gnode *gn = &g->nodes[v];
    weft_node *n = gn->node;
    int rc = 0;
    weft_format **in = calloc(n->n_in + 1, sizeof *in);
    size_t *first_in = calloc(n->n_in + 1, sizeof *first_in);
    /* The links into @v in the order they were made (the chain runs from
     * the newest), so messages name the first producer first. */
    size_t n_ins = 0;
    for (int32_t i = gn->first_in; i >= 0; i = g->edges[i].next_in)
        n_ins++;
    size_t *ins = calloc(n_ins + 1, sizeof *ins);
    if (!in || !first_in || !ins) {
        free(in);
        free(first_in);
        free(ins);
        return WEFT_ENOMEM;
    }
    {
        size_t k = n_ins;
        for (int32_t i = gn->first_in; i >= 0; i = g->edges[i].next_in)
            ins[--k] = (size_t)i;
    }
    for (size_t k = 0; k < n_ins; k++) {
        size_t i = ins[k];
        weft__edge *e = &g->edges[i];
        weft__gnode *up = &g->nodes[e->src];
        if (up->failed) {
            gn->failed = true; /* already reported upstream */
            goto out;
        }
        const weft_format *produced = up->node->out_fmt[e->src_port];
        const weft_port_desc *od = up->node->out_desc[e->src_port];
        const weft_port_desc *id = n->in_desc[e->dst_port];
        char why[200] = "";
        weft_format *x =
            weft_format_intersect(produced, n->in_tmpl[e->dst_port], why,
                                  sizeof why);
        /* Several links into one (MULTI) input: a port that accepts `any`
         * takes them as they come (its node sees `any`); any other port
         * needs them to agree, and the message names both producers. */
        if (x && in[e->dst_port]) {
            weft_format *y = weft_format_intersect(in[e->dst_port], x, why,
                                                   sizeof why);
            if (!y && weft_format_is_any(n->in_tmpl[e->dst_port])) {
                y = weft_format_copy(n->in_tmpl[e->dst_port]);
            } else if (!y) {
                const weft__edge *f = &g->edges[first_in[e->dst_port]];
                const weft__gnode *fu = &g->nodes[f->src];
                char *a = weft_format_to_string(in[e->dst_port]);
                char *b = weft_format_to_string(x);
                weft__graph_diag(
                    g, WEFT_DIAG_ERROR, edge_loc(&g->edges[i]), why,
                    "`%s.%s` and `%s.%s` both feed `%s.%s` but produce "
                    "different formats: `%s` and `%s`",
                    fu->name, fu->node->out_desc[f->src_port]->name, up->name,
                    od->name, gn->name, id->name, a ? a : "?", b ? b : "?");
                free(a);
                free(b);
                weft_format_free(x);
                gn->failed = true;
                rc = WEFT_EFORMAT;
                goto out;
            }
            weft_format_free(x);
            x = y;
        } else if (x) {
            first_in[e->dst_port] = i;
        }
        if (!x) {
            char *ps = weft_format_to_string(produced);
            weft__graph_diag(g, WEFT_DIAG_ERROR, edge_loc(&g->edges[i]),
                             why[0] ? why : NULL,
                             "`%s.%s` produces `%s` but `%s.%s` accepts `%s`",
                             up->name, od->name, ps ? ps : "?", gn->name,
                             id->name, id->format);
            free(ps);
            gn->failed = true;
            rc = WEFT_EFORMAT;
            goto out;
        }
        weft_format_free(in[e->dst_port]);
        in[e->dst_port] = x;
    }
    rc = weft__node_negotiate(n, (const weft_format *const *)in);
    if (rc < 0) {
        gn->failed = true;
        weft__graph_diag(g, WEFT_DIAG_ERROR, node_loc(gn), NULL,
                         "node `%s` (%s): %s", gn->name, n->cls->name,
                         n->error ? n->error : weft_strerror(rc));
        goto out;
    }
    /* Each link into this node carries what the node settled for. */
    for (size_t k = 0; k < n_ins; k++) {
        weft__edge *e = &g->edges[ins[k]];
        weft_format_free(e->format);
        e->format = weft_format_copy(n->in_fmt[e->dst_port]);
        if (!e->format) {
            rc = WEFT_ENOMEM;
            goto out;
        }
    }
out:
    for (uint32_t p = 0; p < n->n_in; p++)
        weft_format_free(in[p]);
    free(in);
    free(first_in);
    free(ins);
    return rc;
}

int weft__graph_check(weft_graph *g)
{
    /* Errors from building (unknown classes, bad values) stop here: nodes
     * are not initialised against a graph that is known to be wrong. */
    if (weft_graph_count_diags(g, WEFT_DIAG_ERROR))
        return WEFT_EPARSE;
    if (g->n_nodes == 0) {
        weft__graph_diag(g, WEFT_DIAG_ERROR, NULL, NULL,
                         "the graph has no nodes");
        return WEFT_EINVAL;
    }
    int rc = check_ports(g);
    uint32_t *order = NULL;
    int trc = topo_order(g, &order);
    if (trc == WEFT_ENOMEM)
        return trc;
    if (rc < 0 || trc < 0) {
        free(order);
        return rc < 0 ? rc : trc;
    }
    rc = init_nodes(g);
    for (size_t k = 0; k < g->n_nodes; k++) {
        uint32_t v = order[k];
        if (g->nodes[v].failed)
            continue;
        int nrc = negotiate_node(g, v);
        if (nrc == WEFT_ENOMEM) {
            free(order);
            return nrc;
        }
        if (nrc < 0 && rc == 0)
            rc = nrc;
        else if (g->nodes[v].failed && rc == 0)
            rc = WEFT_EFORMAT;
    }
    free(order);
    return rc;
}
