/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Expansion: params resolved (defaults, command-line overrides, the
 * values an instance gives its subgraph), `$param` and "${param}"
 * substituted, subgraph instances flattened into the model with prefixed
 * names ("asr/feat"), and links wired through the instances' declared
 * ports to the nodes inside.
 *
 * Names were checked before (check.c), so what cannot be resolved here
 * has been reported already and is skipped quietly. A value handed to the
 * model keeps the location it came from: the instance's argument, the
 * param's default or the command line, so a bad value is shown where the
 * user wrote it.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "lang.h"

/* Text that interpolation may produce in one parse; params that expand
 * into each other could otherwise grow exponentially. */
#define LANG_MAX_TEXT (64u << 20)

typedef struct pval {
    bool ok;
    lang_vkind kind;  /* NUMBER, WORD, STRING, LIST */
    const char *text; /* canonical text for the model */
    const char *str;  /* what "${p}" inserts (NULL for lists) */
    size_t str_len;
    weft_srcloc loc; /* where the value was written */
} pval;

typedef struct cep { /* a concrete endpoint in the model */
    const char *node, *port;
    weft_srcloc loc;
} cep;

typedef struct xport {
    const char *name;
    cep *eps;
    size_t n;
} xport;

typedef struct entry {
    bool bad, inst;
    const char *full;
    xport *ins, *outs;
    size_t n_ins, n_outs;
} entry;

typedef struct xscope {
    lang_ctx *c;
    lang_file *f;
    const char *prefix;
    lang_map pmap;
    pval *vals;
    lang_map names;
    entry *entries;
    size_t depth;
    const lang_gdef *def;
    const char *inst_name;
    const weft_srcloc *inst_loc;
} xscope;

static bool int_like(const char *t)
{
    if (*t == '+' || *t == '-')
        t++;
    if (t[0] == '0' && (t[1] == 'x' || t[1] == 'X'))
        return true;
    if (!(*t >= '0' && *t <= '9'))
        return false;
    while (*t >= '0' && *t <= '9')
        t++;
    for (; *t; t++)
        if (!((*t >= 'a' && *t <= 'z') || (*t >= 'A' && *t <= 'Z')))
            return false;
    return true;
}

static bool bool_word(const char *t)
{
    static const char *const w[] = {"true", "false", "yes", "no", "on", "off"};
    for (size_t i = 0; i < sizeof w / sizeof *w; i++)
        if (!strcmp(t, w[i]))
            return true;
    return false;
}

static const char *kind_type(const pval *v)
{
    switch (v->kind) {
    case LV_NUMBER: return int_like(v->text) ? "int" : "float";
    case LV_WORD: return bool_word(v->text) ? "bool" : "string";
    case LV_LIST: return "list";
    default: return "string";
    }
}

static void note_instance(xscope *sc)
{
    if (sc->def)
        weft__lang_note(&sc->c->d, sc->inst_loc,
                        "in `%s`, an instance of graph `%s`", sc->inst_name,
                        sc->def->name);
}

static bool spend(lang_ctx *c, size_t n, const weft_srcloc *loc)
{
    if (c->text_used + n > LANG_MAX_TEXT) {
        if (!c->aborted)
            weft__lang_error(&c->d, loc, "params that interpolate each "
                             "other grow quickly; simplify them",
                             "values expand to more than %u MiB of text",
                             LANG_MAX_TEXT >> 20);
        c->aborted = true;
        return false;
    }
    c->text_used += n;
    return true;
}

static pval resolve(xscope *sc, const lang_value *v);

static bool lookup(xscope *sc, const char *name, pval *out)
{
    size_t i;
    if (!weft__lang_map_get(&sc->pmap, name, &i) || !sc->vals[i].ok)
        return false;
    *out = sc->vals[i];
    return true;
}

static pval resolve_string(xscope *sc, const lang_value *v)
{
    lang_ctx *c = sc->c;
    pval r = {.kind = LV_STRING, .loc = v->loc};
    size_t n = 0;
    for (size_t i = 0; i < v->n_parts; i++) {
        const lang_strpart *p = &v->parts[i];
        if (!p->is_param) {
            n += p->len;
            continue;
        }
        pval pv;
        if (!lookup(sc, p->text, &pv))
            return r;
        if (!pv.str) {
            weft__lang_error(&c->d, &p->loc, "use `$name` on its own to "
                             "pass a list",
                             "list param `%s` cannot go inside a string",
                             p->text);
            return r;
        }
        n += pv.str_len;
    }
    if (!spend(c, n * 5, &v->loc))
        return r;
    char *buf = weft__lang_alloc(&c->a, n + 1), *q;
    if (!buf)
        return r;
    n = 0;
    for (size_t i = 0; i < v->n_parts; i++) {
        const lang_strpart *p = &v->parts[i];
        pval pv = {0};
        if (p->is_param)
            lookup(sc, p->text, &pv);
        const char *s = p->is_param ? pv.str : p->text;
        size_t len = p->is_param ? pv.str_len : p->len;
        memcpy(buf + n, s, len);
        n += len;
    }
    buf[n] = '\0';
    if (!(q = weft__lang_quote(buf, n)))
        return r;
    r.text = weft__lang_strndup(&c->a, q, strlen(q));
    free(q);
    r.str = buf;
    r.str_len = n;
    r.ok = r.text != NULL;
    return r;
}

static pval resolve(xscope *sc, const lang_value *v)
{
    lang_ctx *c = sc->c;
    pval r = {.kind = v->kind, .loc = v->loc};

    switch (v->kind) {
    case LV_NUMBER:
    case LV_WORD:
        r.text = weft__lang_strndup(&c->a, v->raw, v->raw_len);
        r.str = r.text;
        r.str_len = v->raw_len;
        r.ok = r.text != NULL;
        return r;
    case LV_PARAM:
        lookup(sc, v->raw, &r);
        return r;
    case LV_STRING:
        return resolve_string(sc, v);
    case LV_LIST: {
        pval *items = weft__lang_alloc(&c->a, (v->n_items + 1) * sizeof *items);
        size_t n = 2;
        if (!items)
            return r;
        for (size_t i = 0; i < v->n_items; i++) {
            items[i] = resolve(sc, &v->items[i]);
            if (!items[i].ok)
                return r;
            if (items[i].kind == LV_LIST) {
                weft__lang_error(&c->d, &v->items[i].loc,
                                 "a list element is a number, string or "
                                 "word", "`$%s` is a list, and lists cannot "
                                 "be nested", v->items[i].raw);
                return r;
            }
            n += strlen(items[i].text) + 2;
        }
        if (!spend(c, n, &v->loc))
            return r;
        char *t = weft__lang_alloc(&c->a, n + 1);
        if (!t)
            return r;
        size_t k = 0;
        t[k++] = '[';
        for (size_t i = 0; i < v->n_items; i++) {
            size_t l = strlen(items[i].text);
            if (i) {
                t[k++] = ',';
                t[k++] = ' ';
            }
            memcpy(t + k, items[i].text, l);
            k += l;
        }
        t[k++] = ']';
        t[k] = '\0';
        r.text = t;
        r.ok = true;
        return r;
    }
    default:
        return r;
    }
}

/* A declared type against a value; reports and returns false on a
 * mismatch. */
static bool check_type(lang_ctx *c, const char *type, const char *param,
                       const pval *v)
{
    const char *hint = NULL;
    bool ok = true;
    if (!type || !v->ok)
        return true;
    if (!strcmp(type, "int")) {
        ok = v->kind == LV_NUMBER && int_like(v->text);
        hint = "write a whole number such as 16 or 16k";
    } else if (!strcmp(type, "float")) {
        ok = v->kind == LV_NUMBER;
        hint = "write a number such as 0.5 or 25ms";
    } else if (!strcmp(type, "bool")) {
        ok = v->kind == LV_WORD && bool_word(v->text);
        hint = "write true or false";
    } else if (!strcmp(type, "list")) {
        ok = v->kind == LV_LIST;
        hint = "write a list such as [1, 2]";
    } else { /* string, path */
        ok = v->kind == LV_STRING || v->kind == LV_WORD;
        hint = "write the text in double quotes";
    }
    if (!ok) {
        const char *t = v->text ? v->text : "";
        size_t l = strlen(t);
        weft__lang_error(&c->d, &v->loc, hint,
                         "param `%s` is of type %s, but `%.*s%s` is a%s %s",
                         param, type, l > 40 ? 40 : (int)l, t,
                         l > 40 ? "..." : "",
                         !strcmp(kind_type(v), "int") ? "n" : "",
                         kind_type(v));
    }
    return ok;
}

/* ------------------------------------------------------------ overrides */

typedef struct ovr {
    const char *name;
    const char *value;
    size_t value_len;
    weft_srcloc loc; /* of the value on the "command line" */
} ovr;

/* getcwd() + "/" + the len bytes at rel, malloc'd; NULL when out of memory
 * or the current directory cannot be named. */
static char *absolute_path(const char *rel, size_t len)
{
    char *cwd = getcwd(NULL, 0);
    char *out = NULL;
    if (cwd) {
        size_t cl = strlen(cwd);
        if ((out = malloc(cl + 1 + len + 1))) {
            memcpy(out, cwd, cl);
            out[cl] = '/';
            memcpy(out + cl + 1, rel, len);
            out[cl + 1 + len] = 0;
        }
    }
    free(cwd);
    return out;
}

static pval override_value(lang_ctx *c, const ovr *o, const char *type)
{
    pval r = {.loc = o->loc};
    lang_tok *t = NULL;
    lang_comment *cm;
    size_t nt = 0, ncm;

    if (type && (!strcmp(type, "string") || !strcmp(type, "path"))) {
        const char *val = o->value;
        size_t len = o->value_len;
        char *abs = NULL;
        /* A relative `path` typed on the command line means what it means
         * to the shell it was typed in: relative to the current directory,
         * not to the graph file's folder (where the file's own values are
         * resolved). */
        if (!strcmp(type, "path") && len && val[0] != '/' &&
            !(abs = absolute_path(val, len)))
            return r;
        if (abs) {
            val = abs;
            len = strlen(abs);
        }
        char *q = weft__lang_quote(val, len);
        if (q) {
            r.kind = LV_STRING;
            r.text = weft__lang_strndup(&c->a, q, strlen(q));
            r.str = weft__lang_strndup(&c->a, val, len);
            r.str_len = len;
            r.ok = r.text && r.str;
        }
        free(q);
        free(abs);
        return r;
    }
    /* Lex quietly into a scratch graph's diagnostics: a value that does
     * not lex is simply a string when no type says otherwise. */
    size_t errs = c->d.errors;
    lang_diags quiet = {.g = c->g};
    weft_graph *scratch = weft_graph_new(c->reg);
    if (scratch) {
        quiet.g = scratch;
        weft__lang_lex(&c->a, &quiet, o->loc.file, o->value, o->value_len,
                       o->loc.line, o->loc.col, &t, &nt, &cm, &ncm);
        weft_graph_free(scratch);
    }
    c->d.errors = errs;
    lang_value v = {.loc = o->loc};
    bool shaped = false;
    if (t && !quiet.errors) {
        if (nt == 2 && (t[0].kind == T_NUMBER || t[0].kind == T_WORD)) {
            v.kind = t[0].kind == T_NUMBER ? LV_NUMBER : LV_WORD;
            v.raw = t[0].p;
            v.raw_len = t[0].len;
            shaped = true;
        } else if (nt >= 3 && t[0].kind == T_LBRACK &&
                   t[nt - 2].kind == T_RBRACK) {
            LANG_VEC(lang_value) items = {0};
            shaped = true;
            for (size_t i = 1; i < nt - 2 && shaped; i++) {
                lang_value it = {.loc = lang_loc(o->loc.file, &t[i])};
                if (t[i].kind == T_NUMBER || t[i].kind == T_WORD) {
                    it.kind = t[i].kind == T_NUMBER ? LV_NUMBER : LV_WORD;
                    it.raw = t[i].p;
                    it.raw_len = t[i].len;
                } else if (t[i].kind == T_STRING) {
                    if (!weft__lang_string_parts(&c->a, &quiet, &t[i],
                                                 o->loc.file, &it) ||
                        it.kind != LV_STRING || it.n_parts != 1 ||
                        it.parts[0].is_param)
                        shaped = false;
                } else {
                    shaped = false;
                }
                if (shaped && !LANG_PUSH(&c->a, items, it))
                    return r;
                if (i + 1 < nt - 2) {
                    if (t[i + 1].kind != T_COMMA)
                        shaped = false;
                    i++;
                }
            }
            v.kind = LV_LIST;
            v.items = items.v;
            v.n_items = items.n;
            v.raw = o->value;
            v.raw_len = o->value_len;
        }
    }
    if (shaped) {
        xscope none = {.c = c};
        r = resolve(&none, &v);
        r.loc = o->loc;
        return r;
    }
    /* Not a number, word or list: the text itself, as a string. */
    ovr so = *o;
    r = override_value(c, &so, "string");
    return r;
}

/* ------------------------------------------------------------ expansion */

static void expand_body(xscope *sc, lang_stmt *body, size_t n);

static const char *join_name(lang_ctx *c, const char *prefix,
                             const char *name)
{
    size_t lp = strlen(prefix), ln = strlen(name);
    char *s = weft__lang_alloc(&c->a, lp + ln + 1);
    if (s) {
        memcpy(s, prefix, lp);
        memcpy(s + lp, name, ln + 1);
    }
    return s;
}

static size_t resolve_ep(xscope *sc, const lang_endpoint *ep, bool input,
                         const cep **out)
{
    size_t idx;
    if (!weft__lang_map_get(&sc->names, ep->node, &idx))
        return 0;
    entry *e = &sc->entries[idx];
    if (e->bad || !e->full)
        return 0;
    if (!e->inst) {
        cep *one = weft__lang_alloc(&sc->c->a, sizeof *one);
        if (!one)
            return 0;
        one->node = e->full;
        one->port = ep->port;
        one->loc = ep->loc;
        *out = one;
        return 1;
    }
    xport *v = input ? e->ins : e->outs;
    size_t n = input ? e->n_ins : e->n_outs;
    for (size_t i = 0; i < n; i++)
        if (ep->port ? !strcmp(v[i].name, ep->port) : n == 1) {
            *out = v[i].eps;
            return v[i].n;
        }
    return 0;
}

static bool link_opts(xscope *sc, const lang_arrow *ar, weft_link_opts *o)
{
    lang_ctx *c = sc->c;
    static const char *const pol[] = {"block", "drop-oldest", "drop-newest"};
    bool ok = true;
    char hint[96];

    memset(o, 0, sizeof *o);
    o->struct_size = sizeof *o;
    o->overflow = WEFT_OVERFLOW_BLOCK;
    for (size_t i = 0; i < ar->n_opts; i++) {
        const lang_prop *op = &ar->opts[i];
        pval v = resolve(sc, &op->value);
        if (!v.ok) {
            ok = false;
            continue;
        }
        if (!strcmp(op->name, "capacity")) {
            char *end;
            long long cap = strtoll(v.text, &end, 10);
            if (v.kind != LV_NUMBER || *end || cap < 1 ||
                cap > LANG_MAX_CAPACITY) {
                weft__lang_error(&c->d, &v.loc, "capacity counts buffers: "
                                 "a whole number from 1 to 1000000",
                                 "invalid edge capacity `%s`", v.text);
                ok = false;
            } else {
                o->capacity = (uint32_t)cap;
            }
        } else if (!strcmp(op->name, "overflow")) {
            const char *s = v.str ? v.str : "";
            size_t k;
            for (k = 0; k < 3 && strcmp(s, pol[k]); k++)
                ;
            if (k == 3) {
                const char *h = weft__lang_hint(hint, sizeof hint, s, pol, 3);
                weft__lang_error(&c->d, &v.loc,
                                 h ? h : "one of: block, drop-oldest, "
                                         "drop-newest",
                                 "unknown overflow policy `%s`", s);
                ok = false;
            } else {
                o->overflow = (weft_overflow)k;
            }
        } else {
            ok = false; /* reported by the checks */
        }
    }
    return ok;
}

static void expand_link(xscope *sc, const lang_stmt *s)
{
    for (size_t gi = 0; gi + 1 < s->n_groups; gi++) {
        weft_link_opts o;
        if (!link_opts(sc, &s->arrows[gi], &o))
            continue;
        const lang_group *src = &s->groups[gi], *dst = &s->groups[gi + 1];
        for (size_t a = 0; a < src->n; a++) {
            const cep *sv = NULL;
            size_t ns = resolve_ep(sc, &src->eps[a], false, &sv);
            for (size_t b = 0; ns && b < dst->n; b++) {
                const cep *dv = NULL;
                size_t nd = resolve_ep(sc, &dst->eps[b], true, &dv);
                for (size_t i = 0; i < ns; i++)
                    for (size_t j = 0; j < nd; j++)
                        if (weft__graph_link_at(sc->c->g, sv[i].node,
                                                sv[i].port, dv[j].node,
                                                dv[j].port, &o, &sv[i].loc,
                                                &dv[j].loc) < 0)
                            note_instance(sc);
            }
        }
    }
}

static void expand_instance(xscope *sc, lang_stmt *s, entry *e)
{
    lang_ctx *c = sc->c;
    lang_gdef *d = &c->graphs.v[s->graph_def];

    if (d->expanding) {
        weft__lang_error(&c->d, &s->cls_loc, "a subgraph cannot contain "
                         "itself, directly or through other subgraphs",
                         "graph `%s` uses itself", d->name);
        e->bad = true;
        return;
    }
    if (sc->depth + 1 > LANG_MAX_GRAPH_DEPTH) {
        weft__lang_error(&c->d, &s->cls_loc, "flatten some of the "
                         "subgraphs", "subgraphs are nested more than %d "
                         "deep", LANG_MAX_GRAPH_DEPTH);
        c->aborted = true;
        e->bad = true;
        return;
    }
    xscope in = {.c = c, .f = d->file, .depth = sc->depth + 1, .def = d,
                 .inst_name = e->full, .inst_loc = &s->name_loc};
    in.prefix = join_name(c, e->full, "/");
    in.vals = weft__lang_alloc(&c->a, (d->s->n_params + 1) * sizeof *in.vals);
    if (!in.prefix || !in.vals) {
        e->bad = true;
        return;
    }
    for (size_t k = 0; k < d->s->n_params; k++) {
        const lang_stmt *p = &d->s->params[k];
        const lang_prop *arg = NULL;
        for (size_t i = 0; i < s->n_props && !arg; i++)
            if (!strcmp(s->props[i].name, p->name))
                arg = &s->props[i];
        pval v = {0};
        if (arg)
            v = resolve(sc, &arg->value);
        else if (p->has_value)
            v = resolve(&in, &p->value);
        if (v.ok && !check_type(c, p->type, p->name, &v))
            v.ok = false;
        in.vals[k] = v;
        if (!weft__lang_map_get(&in.pmap, p->name, NULL) &&
            !weft__lang_map_put(&c->a, &in.pmap, p->name, k)) {
            e->bad = true;
            return;
        }
    }
    d->expanding = true;
    expand_body(&in, d->s->body, d->s->n_body);
    d->expanding = false;

    e->inst = true;
    e->ins = weft__lang_alloc(&c->a, (d->n_ins + 1) * sizeof *e->ins);
    e->outs = weft__lang_alloc(&c->a, (d->n_outs + 1) * sizeof *e->outs);
    if (!e->ins || !e->outs) {
        e->bad = true;
        return;
    }
    for (int side = 0; side < 2; side++) {
        bool input = side == 0;
        lang_stmt **ports = input ? d->ins : d->outs;
        size_t np = input ? d->n_ins : d->n_outs;
        xport *xp = input ? e->ins : e->outs;
        for (size_t i = 0; i < np; i++) {
            const lang_group *g = &ports[i]->groups[0];
            LANG_VEC(cep) eps = {0};
            for (size_t k = 0; k < g->n; k++) {
                const cep *v = NULL;
                size_t n = resolve_ep(&in, &g->eps[k], input, &v);
                for (size_t j = 0; j < n; j++)
                    if (!LANG_PUSH(&c->a, eps, v[j]))
                        return;
            }
            xp[i].name = ports[i]->name;
            xp[i].eps = eps.v;
            xp[i].n = eps.n;
        }
    }
    e->n_ins = d->n_ins;
    e->n_outs = d->n_outs;
}

static void expand_node(xscope *sc, lang_stmt *s, entry *e)
{
    lang_ctx *c = sc->c;

    e->bad = true;
    if (c->aborted)
        return;
    if (++c->budget > LANG_MAX_NODES) {
        weft__lang_error(&c->d, &s->name_loc, "a subgraph used several "
                         "times inside another multiplies its nodes",
                         "the graph has more than %d nodes once its "
                         "subgraphs are expanded", LANG_MAX_NODES);
        c->aborted = true;
        return;
    }
    if (!(e->full = join_name(c, sc->prefix, s->name)) || s->bad)
        return;
    e->bad = false;
    if (s->graph_def >= 0) {
        expand_instance(sc, s, e);
        return;
    }
    if (weft__graph_add_node_at(c->g, e->full, s->cls, &s->name_loc,
                                &s->cls_loc) < 0) {
        note_instance(sc);
        e->bad = true;
        return;
    }
    if (sc->f->dir)
        weft__graph_set_base_dir(c->g, e->full, sc->f->dir);
    for (size_t i = 0; i < s->n_props; i++) {
        const lang_prop *pr = &s->props[i];
        pval v = resolve(sc, &pr->value);
        if (!v.ok)
            continue;
        if (weft__graph_set_prop_at(c->g, e->full, pr->name, v.text,
                                    &pr->name_loc, &v.loc) < 0)
            note_instance(sc);
    }
}

static void expand_body(xscope *sc, lang_stmt *body, size_t n)
{
    lang_ctx *c = sc->c;
    sc->entries = weft__lang_alloc(&c->a, (n + 1) * sizeof *sc->entries);
    if (!sc->entries)
        return;
    for (size_t i = 0; i < n; i++)
        if (body[i].kind == S_NODE &&
            !weft__lang_map_get(&sc->names, body[i].name, NULL) &&
            !weft__lang_map_put(&c->a, &sc->names, body[i].name, i))
            return;
    for (size_t i = 0; i < n && !c->aborted; i++)
        if (body[i].kind == S_NODE) {
            size_t first;
            weft__lang_map_get(&sc->names, body[i].name, &first);
            if (first == i)
                expand_node(sc, &body[i], &sc->entries[i]);
        }
    for (size_t i = 0; i < n && !c->aborted; i++)
        if (body[i].kind == S_LINK)
            expand_link(sc, &body[i]);
}

/* ------------------------------------------------------------ top level */

/* The overrides as one "<command line>" source, so that errors in them
 * get a line and a caret like any other. */
static ovr *parse_overrides(lang_ctx *c, const char *const *overrides,
                            size_t *n_out)
{
    size_t n = 0, len = 0;
    *n_out = 0;
    for (; overrides && overrides[n]; n++)
        len += strlen(overrides[n]) + 1;
    if (!n)
        return NULL;
    char *text = malloc(len + 1);
    ovr *v = weft__lang_alloc(&c->a, n * sizeof *v);
    if (!text || !v) {
        free(text);
        return NULL;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(overrides[i]);
        memcpy(text + k, overrides[i], l);
        k += l;
        text[k++] = ' ';
    }
    text[k ? k - 1 : 0] = '\0';
    const char *file = weft__graph_add_source(c->g, "<command line>", text);
    if (!file)
        return NULL;
    /* The source keeps its own copy of the text; the lexer reads the
     * caller's strings, which live as long as the parse. */
    size_t col = 1;
    for (size_t i = 0; i < n; i++) {
        const char *o = overrides[i], *eq = strchr(o, '=');
        size_t l = strlen(o);
        weft_srcloc loc = {file, 1, (uint32_t)col, l ? (uint32_t)l : 1};
        if (!eq || eq == o) {
            weft__lang_error(&c->d, &loc, "write NAME=VALUE, e.g. beam=8",
                             "`%s` does not set a param", o);
        } else {
            ovr *ov = &v[(*n_out)++];
            ov->name = weft__lang_strndup(&c->a, o, (size_t)(eq - o));
            ov->value = eq + 1;
            ov->value_len = strlen(eq + 1);
            ov->loc = loc;
            ov->loc.col = (uint32_t)(col + (size_t)(eq - o) + 1);
            ov->loc.len = ov->value_len ? (uint32_t)ov->value_len : 1;
            if (!ov->name)
                return NULL;
        }
        col += l + 1;
    }
    return v;
}

static const char *value_type(const lang_value *v)
{
    switch (v->kind) {
    case LV_NUMBER: {
        char buf[64];
        size_t n = v->raw_len < 63 ? v->raw_len : 63;
        memcpy(buf, v->raw, n);
        buf[n] = '\0';
        return int_like(buf) ? "int" : "float";
    }
    case LV_WORD:
        return (v->raw_len == 4 && !memcmp(v->raw, "true", 4)) ||
                       (v->raw_len == 5 && !memcmp(v->raw, "false", 5))
                   ? "bool"
                   : "string";
    case LV_STRING: return "string";
    case LV_LIST: return "list";
    default: return NULL;
    }
}

void weft__lang_expand(lang_ctx *c, lang_file *f,
                       const char *const *overrides)
{
    xscope top = {.c = c, .f = f, .prefix = ""};
    size_t np = 0, n_ovr = 0;
    char hint[160];

    for (size_t i = 0; i < f->n_stmts; i++)
        np += f->stmts[i].kind == S_PARAM;
    lang_stmt **ps = weft__lang_alloc(&c->a, (np + 1) * sizeof *ps);
    const char **names = weft__lang_alloc(&c->a, (np + 1) * sizeof *names);
    top.vals = weft__lang_alloc(&c->a, (np + 1) * sizeof *top.vals);
    if (!ps || !names || !top.vals)
        return;
    np = 0;
    for (size_t i = 0; i < f->n_stmts; i++)
        if (f->stmts[i].kind == S_PARAM) {
            names[np] = f->stmts[i].name;
            ps[np++] = &f->stmts[i];
        }

    ovr *ov = parse_overrides(c, overrides, &n_ovr);
    for (size_t i = 0; i < n_ovr; i++) {
        size_t k;
        for (k = 0; k < np && strcmp(ps[k]->name, ov[i].name); k++)
            ;
        if (k < np)
            continue;
        weft_srcloc nl = ov[i].loc;
        size_t ln = strlen(ov[i].name);
        nl.col -= (uint32_t)ln + 1;
        nl.len = (uint32_t)ln;
        const char *h = weft__lang_hint(hint, sizeof hint, ov[i].name,
                                        names, np);
        if (!h) {
            int len = snprintf(hint, sizeof hint, "%s", np ? "its params "
                               "are: " : "it declares no params");
            for (size_t j = 0; j < np && len < 120; j++)
                len += snprintf(hint + len, sizeof hint - (size_t)len,
                                "%s%s", j ? ", " : "", names[j]);
            h = hint;
        }
        weft__lang_error(&c->d, &nl, h, "the graph has no param `%s`",
                         ov[i].name);
    }

    for (size_t k = 0; k < np; k++) {
        lang_stmt *p = ps[k];
        const ovr *o = NULL;
        for (size_t i = 0; i < n_ovr; i++)
            if (!strcmp(ov[i].name, p->name))
                o = &ov[i]; /* the last one wins, as in a shell */
        pval v = {0};
        const char *type = p->type;
        if (o) {
            if (!type && p->has_value)
                type = value_type(&p->value);
            v = override_value(c, o, type);
        } else if (p->has_value) {
            v = resolve(&top, &p->value);
        } else {
            snprintf(hint, sizeof hint, "give it a default, or set it on "
                     "the command line: %s=VALUE", p->name);
            weft__lang_error(&c->d, &p->name_loc, hint,
                             "param `%s` has no value", p->name);
        }
        if (v.ok && !check_type(c, type, p->name, &v))
            v.ok = false;
        top.vals[k] = v;
        if (!weft__lang_map_get(&top.pmap, p->name, NULL) &&
            !weft__lang_map_put(&c->a, &top.pmap, p->name, k))
            return;
    }
    expand_body(&top, f->stmts, f->n_stmts);
}
