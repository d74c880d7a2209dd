/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Name checks, done once per scope (a file's top level, each subgraph
 * definition) before anything is expanded, so that a mistake inside a
 * subgraph is reported once however many times the subgraph is used.
 * Property values, ports of real classes and formats are the model's to
 * check (core/graph.c), per node.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "lang.h"

typedef struct cscope {
    lang_ctx *c;
    lang_file *f;
    lang_stmt **params;
    size_t n_params;
    lang_map pmap;
    lang_map nodes; /* name -> body index */
    lang_stmt *body;
    size_t n_body;
    const char **node_names; /* for suggestions, built on demand */
    size_t n_node_names;
    const char **param_names;
    const char *gname; /* the subgraph being checked, NULL at top level */
} cscope;

const char *weft__lang_hint(char *buf, size_t cap, const char *name,
                            const char *const *names, size_t n)
{
    const char *s = weft_suggest(name, names, n);
    if (!s)
        return NULL;
    snprintf(buf, cap, "did you mean `%s`?", s);
    return buf;
}

lang_stmt *weft__lang_gdef_port(const lang_gdef *d, const char *port,
                                bool input)
{
    lang_stmt **v = input ? d->ins : d->outs;
    size_t n = input ? d->n_ins : d->n_outs;
    if (!port)
        return n == 1 ? v[0] : NULL;
    for (size_t i = 0; i < n; i++)
        if (!strcmp(v[i]->name, port))
            return v[i];
    return NULL;
}

/* ------------------------------------------------------------ params */

static void ref_param(cscope *sc, const char *name, const weft_srcloc *loc,
                      size_t visible)
{
    size_t idx;
    char hint[160];
    if (weft__lang_map_get(&sc->pmap, name, &idx)) {
        if (idx < visible) {
            sc->params[idx]->used = true;
            return;
        }
        snprintf(hint, sizeof hint, "a param's default can only use the "
                 "params declared before it");
        weft__lang_error(&sc->c->d, loc, hint,
                         "param `%s` is used before it is declared", name);
        return;
    }
    const char *h = weft__lang_hint(hint, sizeof hint, name,
                                    sc->param_names, sc->n_params);
    if (!h && !sc->n_params)
        h = "declare it first: `param NAME = DEFAULT`";
    weft__lang_error(&sc->c->d, loc, h, "unknown param `%s`", name);
}

static void value_refs(cscope *sc, const lang_value *v, size_t visible)
{
    switch (v->kind) {
    case LV_PARAM:
        ref_param(sc, v->raw, &v->loc, visible);
        break;
    case LV_STRING:
        for (size_t i = 0; i < v->n_parts; i++)
            if (v->parts[i].is_param)
                ref_param(sc, v->parts[i].text, &v->parts[i].loc, visible);
        break;
    case LV_LIST:
        for (size_t i = 0; i < v->n_items; i++)
            value_refs(sc, &v->items[i], visible);
        break;
    default:
        break;
    }
}

static bool check_params(cscope *sc)
{
    lang_ctx *c = sc->c;
    sc->param_names = weft__lang_alloc(&c->a, (sc->n_params + 1) *
                                                  sizeof *sc->param_names);
    if (!sc->param_names)
        return false;
    for (size_t i = 0; i < sc->n_params; i++) {
        lang_stmt *p = sc->params[i];
        size_t prev;
        sc->param_names[i] = p->name;
        if (weft__lang_map_get(&sc->pmap, p->name, &prev)) {
            weft__lang_error(&c->d, &p->name_loc, "give each param its own "
                             "name", "param `%s` is declared twice", p->name);
            weft__lang_note(&c->d, &sc->params[prev]->name_loc,
                            "`%s` was first declared here", p->name);
            continue;
        }
        if (!weft__lang_map_put(&c->a, &sc->pmap, p->name, i))
            return false;
    }
    for (size_t i = 0; i < sc->n_params; i++)
        if (sc->params[i]->has_value)
            value_refs(sc, &sc->params[i]->value, i);
    return true;
}

/* ------------------------------------------------------------ nodes */

static const char *class_hint(lang_ctx *c, char *buf, size_t cap,
                              const char *cls)
{
    const char *r = c->reg ? weft_registry_suggest(c->reg, cls) : NULL;
    const char **gn = malloc((c->graphs.n + 1) * sizeof *gn);
    const char *g = NULL;
    if (gn) {
        for (size_t i = 0; i < c->graphs.n; i++)
            gn[i] = c->graphs.v[i].name;
        g = weft_suggest(cls, gn, c->graphs.n);
        free(gn);
    }
    if (r && g)
        r = weft__edit_distance(cls, g, 64) < weft__edit_distance(cls, r, 64)
                ? g
                : r;
    else if (!r)
        r = g;
    if (r)
        snprintf(buf, cap, "did you mean `%s`?", r);
    else
        snprintf(buf, cap, "`weft inspect` lists the classes that are "
                 "installed");
    return buf;
}

static void check_instance_props(cscope *sc, lang_stmt *s,
                                 const lang_gdef *d)
{
    lang_ctx *c = sc->c;
    size_t np = d->s->n_params;
    const char **names = malloc((np + 1) * sizeof *names);
    char hint[160];

    for (size_t k = 0; k < np; k++)
        if (names)
            names[k] = d->s->params[k].name;
    for (size_t i = 0; i < s->n_props; i++) {
        lang_prop *pr = &s->props[i];
        size_t k;
        for (k = 0; k < np; k++)
            if (!strcmp(d->s->params[k].name, pr->name))
                break;
        if (k < np)
            continue;
        const char *h = names ? weft__lang_hint(hint, sizeof hint, pr->name,
                                                names, np)
                              : NULL;
        if (!h && !np)
            h = "it takes no params";
        weft__lang_error(&c->d, &pr->name_loc, h,
                         "graph `%s` has no param `%s`", d->name, pr->name);
    }
    free(names);
    for (size_t k = 0; k < np; k++) {
        const lang_stmt *p = &d->s->params[k];
        size_t i;
        if (p->has_value)
            continue;
        for (i = 0; i < s->n_props; i++)
            if (!strcmp(s->props[i].name, p->name))
                break;
        if (i == s->n_props) {
            snprintf(hint, sizeof hint, "add `%s = ...` to the node's "
                     "{ ... }", p->name);
            weft__lang_error(&c->d, &s->name_loc, hint,
                             "node `%s` does not set param `%s`, which "
                             "graph `%s` requires",
                             s->name, p->name, d->name);
            s->bad = true;
        }
    }
}

static bool check_node(cscope *sc, lang_stmt *s, size_t idx)
{
    lang_ctx *c = sc->c;
    size_t prev, gi;
    char hint[160];

    s->graph_def = -1;
    if (weft__lang_map_get(&sc->nodes, s->name, &prev)) {
        weft__lang_error(&c->d, &s->name_loc, "give each node its own name",
                         "node `%s` is declared twice", s->name);
        weft__lang_note(&c->d, &sc->body[prev].name_loc,
                        "`%s` was first declared here", s->name);
        s->bad = true;
    } else if (!weft__lang_map_put(&c->a, &sc->nodes, s->name, idx)) {
        return false;
    }
    if (weft__lang_map_get(&c->graph_map, s->cls, &gi)) {
        s->graph_def = (int32_t)gi;
        check_instance_props(sc, s, &c->graphs.v[gi]);
    } else if (!c->reg || !weft_registry_find(c->reg, s->cls)) {
        weft__lang_error(&c->d, &s->cls_loc,
                         class_hint(c, hint, sizeof hint, s->cls),
                         "class `%s` does not exist", s->cls);
        s->bad = true;
    }
    for (size_t i = 0; i < s->n_props; i++) {
        for (size_t j = 0; j < i; j++)
            if (!strcmp(s->props[i].name, s->props[j].name)) {
                weft__lang_error(&c->d, &s->props[i].name_loc,
                                 "remove one of them",
                                 "property `%s` is set twice",
                                 s->props[i].name);
                weft__lang_note(&c->d, &s->props[j].name_loc,
                                "first set here");
                break;
            }
        value_refs(sc, &s->props[i].value, sc->n_params);
    }
    return true;
}

/* ------------------------------------------------------------ links */

static void unknown_node(cscope *sc, const lang_endpoint *ep)
{
    lang_ctx *c = sc->c;
    char hint[160];
    if (!sc->node_names) {
        sc->node_names = malloc((sc->n_body + 1) * sizeof *sc->node_names);
        for (size_t i = 0; sc->node_names && i < sc->n_body; i++)
            if (sc->body[i].kind == S_NODE)
                sc->node_names[sc->n_node_names++] = sc->body[i].name;
    }
    const char *h = sc->node_names
                        ? weft__lang_hint(hint, sizeof hint, ep->node,
                                          sc->node_names, sc->n_node_names)
                        : NULL;
    if (!h && sc->node_names && !sc->n_node_names)
        h = "declare it first: `node NAME = CLASS`";
    if (sc->gname)
        weft__lang_error(&c->d, &ep->node_loc, h,
                         "no node `%s` in graph `%s`", ep->node, sc->gname);
    else
        weft__lang_error(&c->d, &ep->node_loc, h, "no node `%s`", ep->node);
}

/* Check an endpoint used as a source (@out) and/or destination (@in). */
static void check_endpoint(cscope *sc, const lang_endpoint *ep, bool out,
                           bool in)
{
    lang_ctx *c = sc->c;
    size_t idx;
    char hint[256];

    if (!weft__lang_map_get(&sc->nodes, ep->node, &idx)) {
        unknown_node(sc, ep);
        return;
    }
    const lang_stmt *s = &sc->body[idx];
    if (s->bad || s->graph_def < 0)
        return; /* reported, or a real class: the model checks its ports */
    const lang_gdef *d = &c->graphs.v[s->graph_def];
    for (int side = 0; side < 2; side++) {
        bool input = side == 1;
        if (input ? !in : !out)
            continue;
        if (weft__lang_gdef_port(d, ep->port, input))
            continue;
        size_t n = input ? d->n_ins : d->n_outs;
        lang_stmt **v = input ? d->ins : d->outs;
        const char *what = input ? "input" : "output";
        if (!ep->port) {
            size_t k = 0;
            int len = snprintf(hint, sizeof hint, "name one: ");
            for (size_t i = 0; i < n && len < 200; i++)
                len += snprintf(hint + len, sizeof hint - (size_t)len,
                                "%s`%s.%s`", k++ ? ", " : "", ep->node,
                                v[i]->name);
            weft__lang_error(&c->d, &ep->node_loc,
                             n ? hint : "declare one in the graph: "
                                         "`input NAME = node.port`",
                             n ? "graph `%s` has %zu %ss; say which one"
                               : "graph `%s` has %zu %ss",
                             d->name, n, what);
            continue;
        }
        const char **names = malloc((n + 1) * sizeof *names);
        for (size_t i = 0; names && i < n; i++)
            names[i] = v[i]->name;
        const char *h =
            names ? weft__lang_hint(hint, sizeof hint, ep->port, names, n)
                  : NULL;
        free(names);
        weft__lang_error(&c->d, &ep->port_loc, h,
                         "graph `%s` has no %s `%s`", d->name, what,
                         ep->port);
    }
}

static const char *const link_opts[] = {"capacity", "overflow"};

static void check_opts(cscope *sc, const lang_arrow *ar)
{
    lang_ctx *c = sc->c;
    char hint[160];
    for (size_t i = 0; i < ar->n_opts; i++) {
        const lang_prop *o = &ar->opts[i];
        if (strcmp(o->name, "capacity") && strcmp(o->name, "overflow")) {
            const char *h = weft__lang_hint(hint, sizeof hint, o->name,
                                            link_opts, 2);
            weft__lang_error(&c->d, &o->name_loc,
                             h ? h : "edges take `capacity` and `overflow`",
                             "unknown edge option `%s`", o->name);
            continue;
        }
        for (size_t j = 0; j < i; j++)
            if (!strcmp(ar->opts[j].name, o->name)) {
                weft__lang_error(&c->d, &o->name_loc, "remove one of them",
                                 "edge option `%s` is set twice", o->name);
                break;
            }
        value_refs(sc, &o->value, sc->n_params);
    }
}

static void check_link(cscope *sc, const lang_stmt *s)
{
    for (size_t gi = 0; gi < s->n_groups; gi++) {
        bool out = gi + 1 < s->n_groups, in = gi > 0;
        for (size_t e = 0; e < s->groups[gi].n; e++)
            check_endpoint(sc, &s->groups[gi].eps[e], out, in);
        if (gi + 1 < s->n_groups)
            check_opts(sc, &s->arrows[gi]);
    }
}

static void check_ports(cscope *sc, lang_stmt *body, size_t n)
{
    lang_ctx *c = sc->c;
    for (size_t i = 0; i < n; i++) {
        lang_stmt *s = &body[i];
        if (s->kind != S_INPUT && s->kind != S_OUTPUT)
            continue;
        for (size_t j = 0; j < i; j++)
            if (body[j].kind == s->kind && !strcmp(body[j].name, s->name)) {
                weft__lang_error(&c->d, &s->name_loc, "give each port its "
                                 "own name", "%s `%s` is declared twice",
                                 s->kind == S_INPUT ? "input" : "output",
                                 s->name);
                break;
            }
        for (size_t e = 0; e < s->groups[0].n; e++)
            check_endpoint(sc, &s->groups[0].eps[e], s->kind == S_OUTPUT,
                           s->kind == S_INPUT);
    }
}

/* ------------------------------------------------------------ scopes */

static void warn_unused(cscope *sc)
{
    for (size_t i = 0; i < sc->n_params; i++) {
        lang_stmt *p = sc->params[i];
        if (p->used)
            continue;
        char hint[128];
        snprintf(hint, sizeof hint, "remove it, or use it as `$%s`",
                 p->name);
        weft__lang_warn(&sc->c->d, &p->name_loc, hint,
                        "param `%s` is never used", p->name);
    }
}

static bool check_scope(lang_ctx *c, lang_file *f, lang_stmt **params,
                        size_t n_params, lang_stmt *body, size_t n_body,
                        const char *gname)
{
    bool is_graph = gname != NULL;
    cscope sc = {.c = c, .f = f, .params = params, .n_params = n_params,
                 .body = body, .n_body = n_body, .gname = gname};
    bool ok = check_params(&sc);

    for (size_t i = 0; ok && i < n_body; i++)
        if (body[i].kind == S_NODE)
            ok = check_node(&sc, &body[i], i);
    for (size_t i = 0; ok && i < n_body; i++)
        if (body[i].kind == S_LINK)
            check_link(&sc, &body[i]);
    if (ok && is_graph)
        check_ports(&sc, body, n_body);
    if (ok)
        warn_unused(&sc);
    free(sc.node_names);
    return ok;
}

void weft__lang_check(lang_ctx *c, lang_file *main_file)
{
    for (size_t i = 0; i < c->graphs.n; i++) {
        lang_gdef *d = &c->graphs.v[i];
        lang_stmt **ps = weft__lang_alloc(&c->a, (d->s->n_params + 1) *
                                                     sizeof *ps);
        if (!ps)
            return;
        for (size_t k = 0; k < d->s->n_params; k++)
            ps[k] = &d->s->params[k];
        if (!check_scope(c, d->file, ps, d->s->n_params, d->s->body,
                         d->s->n_body, d->name))
            return;
    }
    size_t np = 0;
    for (size_t i = 0; i < main_file->n_stmts; i++)
        np += main_file->stmts[i].kind == S_PARAM;
    lang_stmt **ps = weft__lang_alloc(&c->a, (np + 1) * sizeof *ps);
    if (!ps)
        return;
    np = 0;
    for (size_t i = 0; i < main_file->n_stmts; i++)
        if (main_file->stmts[i].kind == S_PARAM)
            ps[np++] = &main_file->stmts[i];
    check_scope(c, main_file, ps, np, main_file->stmts, main_file->n_stmts,
                NULL);
}
