/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * grammar.c: command grammars, a small template language after Home
 * Assistant's hassil and JSGF, compiled to a deterministic word automaton.
 *
 *     # lights.grammar
 *     list room = kitchen | living room | bedroom
 *     intent LightOn  = (turn | switch) on [the] {room} [light | lights]
 *     intent LightOff = (turn | switch) off [the] {room} [light | lights]
 *
 * A line is blank, a comment (#), `list NAME = EXPR` or `intent NAME =
 * EXPR`. An expression is a sequence of items separated by `|` into
 * alternatives; an item is a word, `( EXPR )`, `[ EXPR ]` (optional) or
 * `{NAME}` (a list defined on an earlier line). Words are any run of
 * characters other than white space and ()[]{}|=#. A sentence is in the
 * grammar when some intent's expression produces exactly its words.
 *
 * Compilation: expressions become a Thompson NFA over interned words, then
 * a DFA by subset construction, with transitions sorted by word id. When
 * several intents accept the same sentence, the first in the file wins.
 * Limits keep a hostile file from exhausting memory: 256 KiB of text, 64
 * nesting levels, 200 000 NFA and 20 000 DFA states.
 */
#include "ctc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define G_MAX_TEXT (256 * 1024)
#define G_MAX_DEPTH 64
#define G_MAX_NFA 200000
#define G_MAX_DFA 20000

enum { A_WORD, A_SEQ, A_ALT, A_OPT, A_SLOT };

typedef struct ast {
    int type;
    int32_t val;         /* word id or list index */
    struct ast **kid;
    int32_t n_kids;
} ast;

typedef struct named {
    char *name;
    ast *expr;
} named;

typedef struct dtrans {
    int32_t word, to;
} dtrans;

struct ctc_grammar {
    char **word;        /* sorted */
    int32_t n_words;
    int32_t n_states;
    uint32_t *first;    /* per state: first transition; n_states + 1 */
    dtrans *tr;
    int32_t *accept;    /* per state: intent index or -1 */
    char **intent;
    int32_t n_intents;
};

/* ------------------------------------------------------------- parsing */

typedef struct gparse {
    const char *s, *end, *line0, *name;
    int32_t line;
    char *err;
    size_t errlen;
    char **words; /* interned, unsorted during parsing */
    int32_t n_words, cap_words;
    named *lists, *intents;
    int32_t n_lists, n_intents, cap_lists, cap_intents;
    int depth;
} gparse;

static int gerr(gparse *p, const char *what)
{
    snprintf(p->err, p->errlen, "%s:%d:%d: %s", p->name, (int)p->line,
             (int)(p->s - p->line0) + 1, what);
    return WEFT_EPARSE;
}

static void ast_free(ast *a)
{
    if (!a)
        return;
    for (int32_t i = 0; i < a->n_kids; i++)
        ast_free(a->kid[i]);
    free(a->kid);
    free(a);
}

static ast *ast_new(int type, int32_t val)
{
    ast *a = calloc(1, sizeof *a);
    if (a) {
        a->type = type;
        a->val = val;
    }
    return a;
}

static int ast_add(ast *a, ast *k)
{
    ast **p = realloc(a->kid, ((size_t)a->n_kids + 1) * sizeof *p);
    if (!p)
        return -1;
    a->kid = p;
    a->kid[a->n_kids++] = k;
    return 0;
}

static bool is_word_char(char c)
{
    return c && !strchr(" \t\r\n()[]{}|=#", c);
}

static void skip_ws(gparse *p)
{
    while (p->s < p->end && (*p->s == ' ' || *p->s == '\t' || *p->s == '\r'))
        p->s++;
}

static int32_t intern(gparse *p, const char *w, size_t len)
{
    for (int32_t i = 0; i < p->n_words; i++)
        if (strlen(p->words[i]) == len && memcmp(p->words[i], w, len) == 0)
            return i;
    if (p->n_words == p->cap_words) {
        int32_t nc = p->cap_words ? p->cap_words * 2 : 64;
        char **np = realloc(p->words, (size_t)nc * sizeof *np);
        if (!np)
            return -1;
        p->words = np;
        p->cap_words = nc;
    }
    if (!(p->words[p->n_words] = strndup(w, len)))
        return -1;
    return p->n_words++;
}

static int parse_alt(gparse *p, ast **out);

static int parse_item(gparse *p, ast **out)
{
    char c = *p->s;
    int ret;

    *out = NULL;
    if (c == '(' || c == '[') {
        char close = c == '(' ? ')' : ']';
        ast *inner;
        if (++p->depth > G_MAX_DEPTH)
            return gerr(p, "nesting deeper than 64 levels");
        p->s++;
        if ((ret = parse_alt(p, &inner)) < 0)
            return ret;
        skip_ws(p);
        if (p->s >= p->end || *p->s != close) {
            ast_free(inner);
            return gerr(p, close == ')' ? "expected ')'" : "expected ']'");
        }
        p->s++;
        p->depth--;
        if (c == '[') {
            ast *o = ast_new(A_OPT, 0);
            if (!o || ast_add(o, inner) < 0) {
                free(o);
                ast_free(inner);
                return gerr(p, "out of memory");
            }
            inner = o;
        }
        *out = inner;
        return 0;
    }
    if (c == '{') {
        const char *n0 = ++p->s;
        while (p->s < p->end && is_word_char(*p->s))
            p->s++;
        if (p->s >= p->end || *p->s != '}' || p->s == n0)
            return gerr(p, "expected '{name}'");
        for (int32_t i = 0; i < p->n_lists; i++)
            if (strlen(p->lists[i].name) == (size_t)(p->s - n0) &&
                memcmp(p->lists[i].name, n0, (size_t)(p->s - n0)) == 0) {
                p->s++;
                if (!(*out = ast_new(A_SLOT, i)))
                    return gerr(p, "out of memory");
                return 0;
            }
        {
            char m[160];
            snprintf(m, sizeof m, "unknown list {%.*s} (lists must be "
                     "defined on an earlier line)",
                     (int)(p->s - n0 > 64 ? 64 : p->s - n0), n0);
            p->s = n0;
            return gerr(p, m);
        }
    }
    if (is_word_char(c)) {
        const char *w0 = p->s;
        int32_t id;
        while (p->s < p->end && is_word_char(*p->s))
            p->s++;
        if ((id = intern(p, w0, (size_t)(p->s - w0))) < 0 ||
            !(*out = ast_new(A_WORD, id)))
            return gerr(p, "out of memory");
        return 0;
    }
    return gerr(p, "expected a word, '(', '[' or '{'");
}

static int parse_seq(gparse *p, ast **out)
{
    ast *seq = ast_new(A_SEQ, 0);
    int ret;

    *out = NULL;
    if (!seq)
        return gerr(p, "out of memory");
    for (;;) {
        ast *it;
        skip_ws(p);
        if (p->s >= p->end || *p->s == '|' || *p->s == ')' || *p->s == ']' ||
            *p->s == '\n' || *p->s == '#')
            break;
        if ((ret = parse_item(p, &it)) < 0) {
            ast_free(seq);
            return ret;
        }
        if (ast_add(seq, it) < 0) {
            ast_free(it);
            ast_free(seq);
            return gerr(p, "out of memory");
        }
    }
    *out = seq;
    return 0;
}

static int parse_alt(gparse *p, ast **out)
{
    ast *alt = ast_new(A_ALT, 0);
    int ret;

    *out = NULL;
    if (!alt)
        return gerr(p, "out of memory");
    for (;;) {
        ast *s;
        const char *at = p->s;
        if ((ret = parse_seq(p, &s)) < 0) {
            ast_free(alt);
            return ret;
        }
        if (s->n_kids == 0) {
            ast_free(s);
            ast_free(alt);
            p->s = at;
            skip_ws(p);
            return gerr(p, "empty alternative (use [...] for optional "
                        "words)");
        }
        if (ast_add(alt, s) < 0) {
            ast_free(s);
            ast_free(alt);
            return gerr(p, "out of memory");
        }
        skip_ws(p);
        if (p->s < p->end && *p->s == '|') {
            p->s++;
            continue;
        }
        break;
    }
    *out = alt;
    return 0;
}

/* `list NAME = EXPR` or `intent NAME = EXPR`. */
static int parse_line(gparse *p)
{
    const char *k0;
    size_t kl;
    bool is_list;
    const char *n0;
    size_t nl;
    ast *e;
    named *tab;
    int32_t *n, *cap;
    int ret;

    skip_ws(p);
    if (p->s >= p->end || *p->s == '\n' || *p->s == '#')
        return 0;
    k0 = p->s;
    while (p->s < p->end && is_word_char(*p->s))
        p->s++;
    kl = (size_t)(p->s - k0);
    if (kl == 4 && memcmp(k0, "list", 4) == 0) {
        is_list = true;
    } else if (kl == 6 && memcmp(k0, "intent", 6) == 0) {
        is_list = false;
    } else {
        p->s = k0;
        return gerr(p, "expected 'list NAME = ...' or 'intent NAME = ...'");
    }
    skip_ws(p);
    n0 = p->s;
    while (p->s < p->end && is_word_char(*p->s))
        p->s++;
    if ((nl = (size_t)(p->s - n0)) == 0)
        return gerr(p, is_list ? "expected a list name" : "expected an "
                                                           "intent name");
    skip_ws(p);
    if (p->s >= p->end || *p->s != '=')
        return gerr(p, "expected '='");
    p->s++;
    p->depth = 0;
    if ((ret = parse_alt(p, &e)) < 0)
        return ret;
    skip_ws(p);
    if (p->s < p->end && *p->s != '\n' && *p->s != '#') {
        ast_free(e);
        return gerr(p, *p->s == ')' || *p->s == ']' ? "unbalanced bracket"
                                                    : "unexpected character");
    }
    if (is_list) {
        for (int32_t i = 0; i < p->n_lists; i++)
            if (strlen(p->lists[i].name) == nl &&
                memcmp(p->lists[i].name, n0, nl) == 0) {
                ast_free(e);
                p->s = n0;
                return gerr(p, "list defined twice");
            }
    }
    tab = is_list ? p->lists : p->intents;
    n = is_list ? &p->n_lists : &p->n_intents;
    cap = is_list ? &p->cap_lists : &p->cap_intents;
    if (*n == *cap) {
        int32_t nc = *cap ? *cap * 2 : 16;
        named *np = realloc(tab, (size_t)nc * sizeof *np);
        if (!np) {
            ast_free(e);
            return gerr(p, "out of memory");
        }
        tab = np;
        *cap = nc;
        if (is_list)
            p->lists = np;
        else
            p->intents = np;
    }
    tab[*n].expr = e;
    if (!(tab[*n].name = strndup(n0, nl))) {
        ast_free(e);
        return gerr(p, "out of memory");
    }
    (*n)++;
    return 0;
}

/* ------------------------------------------------------------- NFA */

typedef struct nfa {
    int32_t *eps_from, *eps_to, *w_from, *w_to, *w_word;
    int32_t n_eps, n_w, cap_eps, cap_w;
    int32_t n_states;
    int32_t *accept; /* intent per state, -1 */
} nfa;

static int nfa_state(nfa *a)
{
    if (a->n_states >= G_MAX_NFA)
        return -1;
    return a->n_states++;
}

static int push2(int32_t **x, int32_t **y, int32_t *n, int32_t *cap,
                 int32_t a, int32_t b)
{
    if (*n == *cap) {
        int32_t nc = *cap ? *cap * 2 : 256;
        int32_t *px = realloc(*x, (size_t)nc * sizeof *px), *py;
        if (!px)
            return -1;
        *x = px;
        if (!(py = realloc(*y, (size_t)nc * sizeof *py)))
            return -1;
        *y = py;
        *cap = nc;
    }
    (*x)[*n] = a;
    (*y)[*n] = b;
    (*n)++;
    return 0;
}

static int eps(nfa *a, int32_t f, int32_t t)
{
    return push2(&a->eps_from, &a->eps_to, &a->n_eps, &a->cap_eps, f, t);
}

static int wedge(nfa *a, int32_t f, int32_t t, int32_t w)
{
    int32_t n = a->n_w;
    if (push2(&a->w_from, &a->w_to, &a->n_w, &a->cap_w, f, t) < 0)
        return -1;
    {
        int32_t *p = realloc(a->w_word, (size_t)a->cap_w * sizeof *p);
        if (!p)
            return -1;
        a->w_word = p;
    }
    a->w_word[n] = w;
    return 0;
}

/* Compile @e from state @s; the end state to *t. */
static int compile(nfa *a, const gparse *p, const ast *e, int32_t s,
                   int32_t *t, int depth)
{
    int32_t cur = s, end;

    if (depth > 2 * G_MAX_DEPTH + 8)
        return -1;
    switch (e->type) {
    case A_WORD:
        if ((end = nfa_state(a)) < 0 || wedge(a, s, end, e->val) < 0)
            return -1;
        *t = end;
        return 0;
    case A_SEQ:
        for (int32_t i = 0; i < e->n_kids; i++)
            if (compile(a, p, e->kid[i], cur, &cur, depth + 1) < 0)
                return -1;
        *t = cur;
        return 0;
    case A_ALT:
    case A_OPT:
        if ((end = nfa_state(a)) < 0)
            return -1;
        for (int32_t i = 0; i < e->n_kids; i++) {
            int32_t ks, ke;
            if ((ks = nfa_state(a)) < 0 || eps(a, s, ks) < 0 ||
                compile(a, p, e->kid[i], ks, &ke, depth + 1) < 0 ||
                eps(a, ke, end) < 0)
                return -1;
        }
        if (e->type == A_OPT && eps(a, s, end) < 0)
            return -1;
        *t = end;
        return 0;
    case A_SLOT:
        return compile(a, p, p->lists[e->val].expr, s, t, depth + 1);
    }
    return -1;
}

/* ------------------------------------------------------------- DFA */

typedef struct iset {
    int32_t *v;
    int32_t n;
} iset;

static int cmp_i32(const void *x, const void *y)
{
    int32_t a = *(const int32_t *)x, b = *(const int32_t *)y;
    return (a > b) - (a < b);
}

/* Epsilon closure of @seed (sorted, unique) using adjacency @ef/@ea. */
static int closure(const nfa *a, const int32_t *eoff, const int32_t *eto,
                   int32_t *stack, uint8_t *mark, const int32_t *seed,
                   int32_t n_seed, iset *out)
{
    int32_t sp = 0, n = 0;
    int32_t *v = malloc((size_t)a->n_states * sizeof *v);

    if (!v)
        return -1;
    for (int32_t i = 0; i < n_seed; i++)
        if (!mark[seed[i]]) {
            mark[seed[i]] = 1;
            stack[sp++] = seed[i];
        }
    while (sp) {
        int32_t x = stack[--sp];
        v[n++] = x;
        for (int32_t k = eoff[x]; k < eoff[x + 1]; k++)
            if (!mark[eto[k]]) {
                mark[eto[k]] = 1;
                stack[sp++] = eto[k];
            }
    }
    for (int32_t i = 0; i < n; i++)
        mark[v[i]] = 0;
    qsort(v, (size_t)n, sizeof *v, cmp_i32);
    out->v = realloc(v, ((size_t)n + 1) * sizeof *v);
    if (!out->v) {
        free(v);
        return -1;
    }
    out->n = n;
    return 0;
}

static int csr(int32_t n_states, const int32_t *from, const int32_t *to,
               const int32_t *lab, int32_t n, int32_t **off, int32_t **dst,
               int32_t **dlab)
{
    int32_t *o = calloc((size_t)n_states + 1, sizeof *o);
    int32_t *d = malloc(((size_t)n + 1) * sizeof *d);
    int32_t *l = lab ? malloc(((size_t)n + 1) * sizeof *l) : NULL;
    int32_t *pos = malloc(((size_t)n_states + 1) * sizeof *pos);

    if (!o || !d || (lab && !l) || !pos) {
        free(o);
        free(d);
        free(l);
        free(pos);
        return -1;
    }
    for (int32_t i = 0; i < n; i++)
        o[from[i] + 1]++;
    for (int32_t i = 0; i < n_states; i++)
        o[i + 1] += o[i];
    memcpy(pos, o, (size_t)n_states * sizeof *pos);
    for (int32_t i = 0; i < n; i++) {
        int32_t k = pos[from[i]]++;
        d[k] = to[i];
        if (l)
            l[k] = lab[i];
    }
    free(pos);
    *off = o;
    *dst = d;
    if (dlab)
        *dlab = l;
    return 0;
}

static int cmp_tr(const void *x, const void *y)
{
    const dtrans *a = x, *b = y;
    return (a->word > b->word) - (a->word < b->word);
}

static int cmp_str(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

void ctc_grammar_free(ctc_grammar *g)
{
    if (!g)
        return;
    for (int32_t i = 0; i < g->n_words; i++)
        free(g->word[i]);
    for (int32_t i = 0; i < g->n_intents; i++)
        free(g->intent[i]);
    free(g->word);
    free(g->intent);
    free(g->first);
    free(g->tr);
    free(g->accept);
    free(g);
}

/* Subset construction; fills g->first/tr/accept/n_states. */
static int determinize(ctc_grammar *g, const nfa *a, int32_t start,
                       const int32_t *remap, char *err, size_t errlen,
                       const char *name)
{
    int32_t *eoff = NULL, *eto = NULL, *woff = NULL, *wto = NULL,
            *wlab = NULL, *stack = NULL;
    uint8_t *mark = NULL;
    iset *sets = NULL;
    int32_t n_sets = 0, cap_sets = 0;
    dtrans *tr = NULL, *tmp = NULL;
    size_t n_tr = 0, cap_tr = 0;
    uint32_t *first = NULL;
    int32_t *acc = NULL;
    int ret = WEFT_ENOMEM;

    if (csr(a->n_states, a->eps_from, a->eps_to, NULL, a->n_eps, &eoff, &eto,
            NULL) < 0 ||
        csr(a->n_states, a->w_from, a->w_to, a->w_word, a->n_w, &woff, &wto,
            &wlab) < 0)
        goto out;
    stack = malloc(((size_t)a->n_states + (size_t)a->n_eps + 1) *
                   sizeof *stack);
    mark = calloc((size_t)a->n_states + 1, 1);
    tmp = malloc(((size_t)a->n_w + 1) * sizeof *tmp);
    if (!stack || !mark || !tmp)
        goto out;
    cap_sets = 64;
    if (!(sets = malloc((size_t)cap_sets * sizeof *sets)) ||
        !(first = malloc(((size_t)cap_sets + 1) * sizeof *first)))
        goto out;
    if (closure(a, eoff, eto, stack, mark, &start, 1, &sets[0]) < 0)
        goto out;
    n_sets = 1;
    for (int32_t si = 0; si < n_sets; si++) {
        size_t nt = 0;
        first[si] = (uint32_t)n_tr;
        /* All word moves of the set, grouped by (remapped) word. */
        for (int32_t i = 0; i < sets[si].n; i++) {
            int32_t x = sets[si].v[i];
            for (int32_t k = woff[x]; k < woff[x + 1]; k++) {
                tmp[nt].word = remap[wlab[k]];
                tmp[nt].to = wto[k];
                nt++;
            }
        }
        qsort(tmp, nt, sizeof *tmp, cmp_tr);
        for (size_t i = 0; i < nt;) {
            size_t j = i;
            int32_t *seed, ns = 0, found = -1;
            iset cl;
            while (j < nt && tmp[j].word == tmp[i].word)
                j++;
            if (!(seed = malloc((j - i) * sizeof *seed)))
                goto out;
            for (size_t k = i; k < j; k++)
                seed[ns++] = tmp[k].to;
            ret = closure(a, eoff, eto, stack, mark, seed, ns, &cl);
            free(seed);
            if (ret < 0) {
                ret = WEFT_ENOMEM;
                goto out;
            }
            for (int32_t s = 0; s < n_sets && found < 0; s++)
                if (sets[s].n == cl.n &&
                    memcmp(sets[s].v, cl.v, (size_t)cl.n * sizeof *cl.v) == 0)
                    found = s;
            if (found >= 0) {
                free(cl.v);
            } else {
                if (n_sets >= G_MAX_DFA) {
                    free(cl.v);
                    snprintf(err, errlen, "%s: grammar too complex (more "
                             "than %d automaton states)", name, G_MAX_DFA);
                    ret = WEFT_ERANGE;
                    goto out;
                }
                if (n_sets == cap_sets) {
                    int32_t nc = cap_sets * 2;
                    iset *np = realloc(sets, (size_t)nc * sizeof *np);
                    uint32_t *nf;
                    if (!np) {
                        free(cl.v);
                        goto out;
                    }
                    sets = np;
                    if (!(nf = realloc(first, ((size_t)nc + 1) *
                                                  sizeof *nf))) {
                        free(cl.v);
                        goto out;
                    }
                    first = nf;
                    cap_sets = nc;
                }
                found = n_sets;
                sets[n_sets++] = cl;
            }
            if (n_tr == cap_tr) {
                size_t nc = cap_tr ? cap_tr * 2 : 256;
                dtrans *np = realloc(tr, nc * sizeof *np);
                if (!np)
                    goto out;
                tr = np;
                cap_tr = nc;
            }
            tr[n_tr].word = tmp[i].word;
            tr[n_tr].to = found;
            n_tr++;
            i = j;
        }
    }
    first[n_sets] = (uint32_t)n_tr;
    if (!(acc = malloc((size_t)n_sets * sizeof *acc)))
        goto out;
    for (int32_t s = 0; s < n_sets; s++) {
        acc[s] = -1;
        for (int32_t i = 0; i < sets[s].n; i++) {
            int32_t in = a->accept[sets[s].v[i]];
            if (in >= 0 && (acc[s] < 0 || in < acc[s]))
                acc[s] = in;
        }
    }
    g->first = first;
    g->tr = tr;
    g->accept = acc;
    g->n_states = n_sets;
    first = NULL;
    tr = NULL;
    ret = 0;
out:
    if (ret == WEFT_ENOMEM)
        snprintf(err, errlen, "%s: out of memory", name);
    for (int32_t s = 0; s < n_sets; s++)
        free(sets[s].v);
    free(sets);
    free(first);
    free(tr);
    free(tmp);
    free(stack);
    free(mark);
    free(eoff);
    free(eto);
    free(woff);
    free(wto);
    free(wlab);
    return ret;
}

int ctc_grammar_parse(const char *text, size_t len, const char *name,
                      ctc_grammar **out, char *err, size_t errlen)
{
    gparse p = { 0 };
    nfa a = { 0 };
    ctc_grammar *g = NULL;
    int32_t *order = NULL, *remap = NULL, start;
    int ret = 0;

    *out = NULL;
    p.s = p.line0 = text;
    p.end = text + len;
    p.name = name;
    p.line = 1;
    p.err = err;
    p.errlen = errlen;
    if (len > G_MAX_TEXT) {
        snprintf(err, errlen, "%s: larger than %d bytes", name, G_MAX_TEXT);
        return WEFT_ERANGE;
    }
    if (memchr(text, 0, len)) {
        snprintf(err, errlen, "%s: NUL byte in grammar", name);
        return WEFT_EPARSE;
    }
    while (p.s < p.end) {
        if ((ret = parse_line(&p)) < 0)
            goto out;
        while (p.s < p.end && *p.s != '\n') /* comment tail */
            p.s++;
        if (p.s < p.end) {
            p.s++;
            p.line++;
            p.line0 = p.s;
        }
    }
    if (p.n_intents == 0) {
        snprintf(err, errlen, "%s: no 'intent NAME = ...' line", name);
        ret = WEFT_EPARSE;
        goto out;
    }
    ret = WEFT_ENOMEM;
    if (!(g = calloc(1, sizeof *g)) ||
        !(a.accept = malloc(sizeof *a.accept * G_MAX_NFA)))
        goto nomem;
    for (int32_t k = 0; k < G_MAX_NFA; k++)
        a.accept[k] = -1;
    if ((start = nfa_state(&a)) < 0)
        goto nomem;
    for (int32_t i = 0; i < p.n_intents; i++) {
        int32_t s, t;
        if ((s = nfa_state(&a)) < 0 || eps(&a, start, s) < 0 ||
            compile(&a, &p, p.intents[i].expr, s, &t, 0) < 0) {
            snprintf(err, errlen, "%s: grammar too large (more than %d NFA "
                     "states) or out of memory", name, G_MAX_NFA);
            ret = WEFT_ERANGE;
            goto out;
        }
        if (a.accept[t] < 0)
            a.accept[t] = i;
    }
    /* Sort the words; remap ids so transitions are by sorted index. */
    if (!(order = malloc(((size_t)p.n_words + 1) * sizeof *order)) ||
        !(remap = malloc(((size_t)p.n_words + 1) * sizeof *remap)) ||
        !(g->word = malloc(((size_t)p.n_words + 1) * sizeof *g->word)))
        goto nomem;
    memcpy(g->word, p.words, (size_t)p.n_words * sizeof *g->word);
    qsort(g->word, (size_t)p.n_words, sizeof *g->word, cmp_str);
    for (int32_t i = 0; i < p.n_words; i++) {
        char **hit = bsearch(&p.words[i], g->word, (size_t)p.n_words,
                             sizeof *g->word, cmp_str);
        remap[i] = (int32_t)(hit - g->word);
    }
    g->n_words = p.n_words;
    p.n_words = 0; /* the strings now belong to g */
    if ((ret = determinize(g, &a, start, remap, err, errlen, name)) < 0)
        goto out;
    if (!(g->intent = calloc((size_t)p.n_intents, sizeof *g->intent)))
        goto nomem;
    for (int32_t i = 0; i < p.n_intents; i++) {
        g->intent[i] = p.intents[i].name;
        p.intents[i].name = NULL;
    }
    g->n_intents = p.n_intents;
    *out = g;
    g = NULL;
    ret = 0;
    goto out;
nomem:
    snprintf(err, errlen, "%s: out of memory", name);
    ret = WEFT_ENOMEM;
out:
    ctc_grammar_free(g);
    free(order);
    free(remap);
    for (int32_t i = 0; i < p.n_words; i++)
        free(p.words[i]);
    free(p.words);
    for (int32_t i = 0; i < p.n_lists; i++) {
        free(p.lists[i].name);
        ast_free(p.lists[i].expr);
    }
    for (int32_t i = 0; i < p.n_intents; i++) {
        free(p.intents[i].name);
        ast_free(p.intents[i].expr);
    }
    free(p.lists);
    free(p.intents);
    free(a.eps_from);
    free(a.eps_to);
    free(a.w_from);
    free(a.w_to);
    free(a.w_word);
    free(a.accept);
    return ret;
}

int ctc_grammar_load(const char *path, ctc_grammar **out, char *err,
                     size_t errlen)
{
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    FILE *f = fopen(path, "rb");
    char *buf;
    size_t n;
    int ret;

    *out = NULL;
    if (!f) {
        snprintf(err, errlen, "%s: cannot open grammar", path);
        return WEFT_EIO;
    }
    if (!(buf = malloc(G_MAX_TEXT + 1))) {
        fclose(f);
        snprintf(err, errlen, "out of memory");
        return WEFT_ENOMEM;
    }
    n = fread(buf, 1, G_MAX_TEXT + 1, f);
    fclose(f);
    ret = ctc_grammar_parse(buf, n, base, out, err, errlen);
    free(buf);
    return ret;
}

int32_t ctc_grammar_start(const ctc_grammar *g)
{
    (void)g;
    return 0;
}

int32_t ctc_grammar_next(const ctc_grammar *g, int32_t state, const char *word,
                         size_t len)
{
    int32_t lo = 0, hi = g->n_words, w = -1;
    uint32_t a, b;

    if (state < 0 || state >= g->n_states)
        return -1;
    while (lo < hi) {
        int32_t mid = (lo + hi) / 2;
        int c = strncmp(g->word[mid], word, len);
        if (c == 0 && g->word[mid][len] != 0)
            c = 1;
        if (c == 0) {
            w = mid;
            break;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (w < 0)
        return -1;
    a = g->first[state];
    b = g->first[state + 1];
    while (a < b) {
        uint32_t mid = (a + b) / 2;
        if (g->tr[mid].word < w)
            a = mid + 1;
        else
            b = mid;
    }
    if (a < g->first[state + 1] && g->tr[a].word == w)
        return g->tr[a].to;
    return -1;
}

bool ctc_grammar_prefix(const ctc_grammar *g, int32_t state,
                        const char *prefix, size_t len)
{
    uint32_t a, b;

    if (state < 0 || state >= g->n_states)
        return false;
    /* The transitions are sorted by word id and the ids by strcmp, so the
     * words starting with @prefix are a run that begins at the first word
     * not below it. */
    a = g->first[state];
    b = g->first[state + 1];
    while (a < b) {
        uint32_t mid = (a + b) / 2;
        if (strncmp(g->word[g->tr[mid].word], prefix, len) < 0)
            a = mid + 1;
        else
            b = mid;
    }
    return a < g->first[state + 1] &&
           strncmp(g->word[g->tr[a].word], prefix, len) == 0;
}

const char *ctc_grammar_accepts(const ctc_grammar *g, int32_t state)
{
    if (state < 0 || state >= g->n_states || g->accept[state] < 0)
        return NULL;
    return g->intent[g->accept[state]];
}

int32_t ctc_grammar_n_words(const ctc_grammar *g) { return g->n_words; }
const char *ctc_grammar_word(const ctc_grammar *g, int32_t i)
{
    return i >= 0 && i < g->n_words ? g->word[i] : NULL;
}
int32_t ctc_grammar_n_states(const ctc_grammar *g) { return g->n_states; }

const char *ctc_grammar_match(const ctc_grammar *g, const char *s)
{
    int32_t st = ctc_grammar_start(g);

    for (;;) {
        size_t len;
        while (*s == ' ' || *s == '\t')
            s++;
        if (!*s)
            break;
        len = strcspn(s, " \t");
        if ((st = ctc_grammar_next(g, st, s, len)) < 0)
            return NULL;
        s += len;
    }
    return ctc_grammar_accepts(g, st);
}
