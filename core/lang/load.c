/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Reading graph files: the public parse entry points, `use` includes
 * (relative to the including file, then WEFT_GRAPH_PATH; each file read
 * once; cycles reported with the whole chain) and the registry of
 * subgraph definitions they bring in.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "lang.h"

/* A graph file larger than this is certainly a mistake (a WAV passed as a
 * graph); refuse it before reading it all. */
#define LANG_MAX_FILE (64u << 20)

static int read_file(const char *path, char **text, size_t *len, char *err,
                     size_t errlen)
{
    struct stat st;
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        weft__set_err(err, errlen, "%s", strerror(errno));
        return WEFT_EIO;
    }
    if (fstat(fileno(fp), &st) == 0 && S_ISDIR(st.st_mode)) {
        fclose(fp);
        weft__set_err(err, errlen, "it is a directory");
        return WEFT_EIO;
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (n + 1 >= cap) {
            if (cap > LANG_MAX_FILE) {
                free(buf);
                fclose(fp);
                weft__set_err(err, errlen, "larger than %u MiB",
                              LANG_MAX_FILE >> 20);
                return WEFT_EIO;
            }
            char *nb = realloc(buf, cap * 2);
            if (!nb)
                break;
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, fp);
        n += got;
        if (got == 0)
            break;
    }
    if (!buf || ferror(fp)) {
        int e = errno;
        free(buf);
        fclose(fp);
        weft__set_err(err, errlen, "%s", buf ? strerror(e) : "out of memory");
        return buf ? WEFT_EIO : WEFT_ENOMEM;
    }
    fclose(fp);
    buf[n] = '\0';
    *text = buf;
    *len = n;
    return 0;
}

static char *dir_of(lang_arena *a, const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return weft__lang_strndup(a, ".", 1);
    if (slash == path)
        return weft__lang_strndup(a, "/", 1);
    return weft__lang_strndup(a, path, (size_t)(slash - path));
}

static char *join_path(const char *dir, const char *name)
{
    if (name[0] == '/' || !dir || !*dir || !strcmp(dir, "."))
        return weft__strdup(name);
    return weft__asprintf("%s/%s", dir, name);
}

static bool is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static void register_graph(lang_ctx *c, lang_file *f, lang_stmt *s)
{
    size_t prev;
    if (weft__lang_map_get(&c->graph_map, s->name, &prev)) {
        weft__lang_error(&c->d, &s->name_loc, "rename one of them",
                         "graph `%s` is defined twice", s->name);
        weft__lang_note(&c->d, &c->graphs.v[prev].s->name_loc,
                        "`%s` was first defined here", s->name);
        return;
    }
    if (c->reg && weft_registry_find(c->reg, s->name))
        weft__lang_warn(&c->d, &s->name_loc, "rename the graph to reach "
                        "the class", "graph `%s` hides the node class of "
                        "the same name", s->name);
    lang_gdef d = {.name = s->name, .s = s, .file = f};
    LANG_VEC(lang_stmt *) ins = {0}, outs = {0};
    for (size_t i = 0; i < s->n_body; i++) {
        if (s->body[i].kind == S_INPUT && !LANG_PUSH(&c->a, ins, &s->body[i]))
            return;
        if (s->body[i].kind == S_OUTPUT &&
            !LANG_PUSH(&c->a, outs, &s->body[i]))
            return;
    }
    d.ins = ins.v;
    d.n_ins = ins.n;
    d.outs = outs.v;
    d.n_outs = outs.n;
    if (!LANG_PUSH(&c->a, c->graphs, d) ||
        !weft__lang_map_put(&c->a, &c->graph_map, s->name, c->graphs.n - 1))
        return;
}

static lang_file *load_text(lang_ctx *c, const char *name, char *text,
                            size_t len, const char *dir, bool included);

/* `use "lib.weft"`. */
static void do_use(lang_ctx *c, lang_file *f, lang_stmt *s)
{
    char *path = NULL, err[256];
    const char *env = getenv("WEFT_GRAPH_PATH");

    if (s->name[0] == '/') {
        path = weft__strdup(s->name);
        if (path && !is_file(path)) {
            free(path);
            path = NULL;
        }
    } else {
        path = join_path(f->dir ? f->dir : ".", s->name);
        if (path && !is_file(path)) {
            free(path);
            path = NULL;
        }
        for (const char *p = env; !path && p && *p;) {
            const char *colon = strchr(p, ':');
            size_t n = colon ? (size_t)(colon - p) : strlen(p);
            if (n) {
                char *dir = weft__asprintf("%.*s", (int)n, p);
                path = dir ? join_path(dir, s->name) : NULL;
                free(dir);
                if (path && !is_file(path)) {
                    free(path);
                    path = NULL;
                }
            }
            p = colon ? colon + 1 : NULL;
        }
    }
    if (!path) {
        char hint[512];
        snprintf(hint, sizeof hint, "looked in %s%s%s", f->dir ? f->dir : ".",
                 env && *env ? " and WEFT_GRAPH_PATH=" : "",
                 env && *env ? env : " (WEFT_GRAPH_PATH is not set)");
        weft__lang_error(&c->d, &s->name_loc, hint, "cannot find `%s`",
                         s->name);
        return;
    }
    char *real = realpath(path, NULL);
    const char *key = real ? real : path;
    for (size_t i = 0; i < c->stack.n; i++) {
        if (strcmp(c->stack.v[i], key))
            continue;
        /* The chain, by the names the files were read as. */
        size_t cap = strlen(path) + 1;
        for (size_t k = i; k < c->stack.n; k++)
            cap += strlen(c->stack_names.v[k]) + 4;
        char *chain = malloc(cap);
        if (chain) {
            size_t n = 0;
            for (size_t k = i; k < c->stack.n; k++)
                n += (size_t)snprintf(chain + n, cap - n, "%s -> ",
                                      c->stack_names.v[k]);
            snprintf(chain + n, cap - n, "%s", path);
        }
        weft__lang_error(&c->d, &s->name_loc,
                         "a file cannot use itself, directly or through "
                         "other files",
                         "`use` makes a cycle: %s", chain ? chain : s->name);
        free(chain);
        free(real);
        free(path);
        return;
    }
    if (weft__lang_map_get(&c->loaded, key, NULL)) {
        free(real);
        free(path);
        return; /* already read: its graphs are known */
    }
    if (c->stack.n >= LANG_MAX_INCLUDE_DEPTH) {
        weft__lang_error(&c->d, &s->name_loc, NULL,
                         "`use` is nested more than %d files deep",
                         LANG_MAX_INCLUDE_DEPTH);
        free(real);
        free(path);
        return;
    }
    char *text = NULL;
    size_t len = 0;
    if (read_file(path, &text, &len, err, sizeof err) < 0) {
        weft__lang_error(&c->d, &s->name_loc, NULL, "cannot read `%s`: %s",
                         path, err);
        free(real);
        free(path);
        return;
    }
    const char *k = weft__lang_strndup(&c->a, key, strlen(key));
    char *dir = dir_of(&c->a, path);
    const char *shown = weft__lang_strndup(&c->a, path, strlen(path));
    if (k && dir && shown && LANG_PUSH(&c->a, c->stack, k) &&
        LANG_PUSH(&c->a, c->stack_names, shown) &&
        weft__lang_map_put(&c->a, &c->loaded, k, 0)) {
        load_text(c, path, text, len, dir, true);
        c->stack.n--;
        c->stack_names.n--;
    } else {
        free(text);
    }
    free(real);
    free(path);
}

static lang_file *load_text(lang_ctx *c, const char *name, char *text,
                            size_t len, const char *dir, bool included)
{
    const char *stored = weft__graph_add_source(c->g, name, text);
    lang_file *f = weft__lang_alloc(&c->a, sizeof *f);
    if (!stored || !f) {
        c->a.failed = true;
        return NULL;
    }
    f->name = stored;
    f->text = text;
    f->len = len;
    f->dir = (char *)dir;
    f->included = included;
    c->d.gave_up = false;
    if (!weft__lang_parse(&c->a, &c->d, f) || !LANG_PUSH(&c->a, c->files, f))
        return NULL;
    bool complained = false;
    for (size_t i = 0; i < f->n_stmts; i++) {
        lang_stmt *s = &f->stmts[i];
        if (s->kind == S_USE)
            do_use(c, f, s);
        else if (s->kind == S_GRAPH)
            register_graph(c, f, s);
        else if (included && !complained &&
                 (s->kind == S_PARAM || s->kind == S_NODE ||
                  s->kind == S_LINK)) {
            weft__lang_error(&c->d, &s->loc,
                             "`use` brings in a file's graphs; put nodes, "
                             "links and params in a graph, or in the file "
                             "that uses it",
                             "a file read with `use` can only define graphs");
            complained = true;
        }
    }
    return f;
}

static int finish(lang_ctx *c, lang_file *f, const char *const *overrides)
{
    if (f && !c->a.failed && !c->d.errors) {
        /* Expansion skips whatever the checks found wrong, so it can run
         * after name errors and report the values' problems too. */
        weft__lang_check(c, f);
        if (!c->a.failed)
            weft__lang_expand(c, f, overrides);
    }
    int rc = c->a.failed                                   ? WEFT_ENOMEM
             : weft_graph_count_diags(c->g, WEFT_DIAG_ERROR) ? WEFT_EPARSE
                                                           : 0;
    weft__lang_arena_free(&c->a);
    return rc;
}

int weft_graph_parse_file(const weft_registry *reg, const char *path,
                          const char *const *overrides, weft_graph **out)
{
    lang_ctx c = {.reg = reg};
    char *text = NULL, err[256];
    size_t len = 0;

    if (!out)
        return WEFT_EINVAL;
    *out = NULL;
    if (!reg || !path)
        return WEFT_EINVAL;
    if (!(c.g = c.d.g = weft_graph_new(reg)))
        return WEFT_ENOMEM;
    *out = c.g;
    int rc = read_file(path, &text, &len, err, sizeof err);
    if (rc < 0) {
        weft_srcloc loc = {weft__graph_add_source(c.g, path, weft__strdup("")),
                           0, 0, 0};
        weft__graph_diag(c.g, WEFT_DIAG_ERROR, loc.file ? &loc : NULL, NULL,
                         "cannot read `%s`: %s", path, err);
        return rc;
    }
    char *real = realpath(path, NULL);
    const char *key = weft__lang_strndup(&c.a, real ? real : path,
                                         strlen(real ? real : path));
    free(real);
    char *dir = dir_of(&c.a, path);
    if (!key || !dir || !LANG_PUSH(&c.a, c.stack, key) ||
        !LANG_PUSH(&c.a, c.stack_names, path) ||
        !weft__lang_map_put(&c.a, &c.loaded, key, 0)) {
        free(text);
        weft__lang_arena_free(&c.a);
        return WEFT_ENOMEM;
    }
    lang_file *f = load_text(&c, path, text, len, dir, false);
    return finish(&c, f, overrides);
}

int weft_graph_parse_string(const weft_registry *reg, const char *text,
                            const char *name, const char *const *overrides,
                            weft_graph **out)
{
    lang_ctx c = {.reg = reg};

    if (!out)
        return WEFT_EINVAL;
    *out = NULL;
    if (!reg || !text)
        return WEFT_EINVAL;
    if (!(c.g = c.d.g = weft_graph_new(reg)))
        return WEFT_ENOMEM;
    *out = c.g;
    size_t len = strlen(text);
    char *copy = weft__strdup(text);
    if (!copy)
        return WEFT_ENOMEM;
    lang_file *f = load_text(&c, name ? name : "<string>", copy, len, NULL,
                             false);
    return finish(&c, f, overrides);
}

int weft_graph_format(const char *text, const char *name, char **out,
                      char **diags)
{
    lang_ctx c = {0};
    int rc = 0;

    if (out)
        *out = NULL;
    if (diags)
        *diags = NULL;
    if (!text || !out)
        return WEFT_EINVAL;
    weft_registry *reg = weft_registry_new();
    c.g = c.d.g = reg ? weft_graph_new(reg) : NULL;
    char *copy = weft__strdup(text);
    if (!c.g || !copy) {
        free(copy);
        weft_graph_free(c.g);
        weft_registry_free(reg);
        return WEFT_ENOMEM;
    }
    const char *stored = weft__graph_add_source(c.g, name ? name : "<string>",
                                                copy);
    lang_file f = {.name = stored, .text = copy, .len = strlen(copy)};
    if (!stored || !weft__lang_parse(&c.a, &c.d, &f)) {
        rc = WEFT_ENOMEM;
    } else if (c.d.errors) {
        rc = WEFT_EPARSE;
        if (diags)
            *diags = weft_graph_render_diags(c.g, false);
    } else {
        *out = weft__lang_format(&f);
        if (!*out)
            rc = WEFT_ENOMEM;
    }
    weft__lang_arena_free(&c.a);
    weft_graph_free(c.g);
    weft_registry_free(reg);
    return rc;
}
