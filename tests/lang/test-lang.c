/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-lang.c: the graph language through the public API: constructs,
 * suggestions, overrides, the formatter (idempotent and meaning-preserving
 * on every graph file in the tree), DOT rendered by Graphviz, the examples
 * of doc/graph-language.md, and hostile inputs in bounded time.
 */
#include <weft/weft.h>

#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <weft/graph.h>

static weft_registry *reg;

static void setup(void)
{
    reg = weft_registry_new();
    ck_assert_ptr_nonnull(reg);
    ck_assert_int_eq(weft_registry_scan_dir(reg, TOP_BUILDDIR "/plugins/.libs") >
                         0,
                     1);
}
static void teardown(void) { weft_registry_free(reg); }

static weft_graph *parse(const char *text, int want_rc)
{
    weft_graph *g = NULL;
    int rc = weft_graph_parse_string(reg, text, "t.weft", NULL, &g);
    char *d = weft_graph_render_diags(g, false);
    ck_assert_msg(rc == want_rc, "rc %d, want %d:\n%s\n%s", rc, want_rc, text,
                  d);
    free(d);
    return g;
}

static bool has_diag(const weft_graph *g, const char *msg, const char *hint)
{
    for (size_t i = 0; i < weft_graph_n_diags(g); i++) {
        const weft_diag *d = weft_graph_diag(g, i);
        if (strstr(d->message, msg) &&
            (!hint || (d->hint && strstr(d->hint, hint))))
            return true;
    }
    return false;
}

static char *slurp(const char *path)
{
    FILE *fp = fopen(path, "rb");
    ck_assert_msg(fp != NULL, "cannot open %s", path);
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    ck_assert_ptr_nonnull(s);
    ck_assert_int_eq(fread(s, 1, (size_t)n, fp), (size_t)n);
    s[n] = '\0';
    fclose(fp);
    return s;
}

/* ------------------------------------------------------------ constructs */

START_TEST(test_chain_ports_fan)
{
    weft_graph *g = parse("weft 1\n"
                          "node a = test.src { count = 3 }\n"
                          "node b = test.src\n"
                          "node p = identity\n"
                          "node q = identity\n"
                          "node s = null.sink\n"
                          "a.out -> p.in\n"
                          "p -> s\n"
                          "b -> q\n"
                          "q, a -> [capacity = 3, overflow = drop-newest] s.in\n",
                          0);
    ck_assert_uint_eq(weft_graph_n_nodes(g), 5);
    ck_assert_uint_eq(weft_graph_n_edges(g), 5);
    weft_edge_info e;
    ck_assert_int_eq(weft_graph_edge(g, 4, &e), 0);
    ck_assert_str_eq(e.src, "a");
    ck_assert_str_eq(e.dst, "s");
    ck_assert_uint_eq(e.capacity, 3);
    ck_assert_uint_eq(e.overflow, WEFT_OVERFLOW_DROP_NEWEST);
    ck_assert_int_eq(weft_graph_check(g), 0);
    weft_graph_free(g);
}
END_TEST

START_TEST(test_params_and_interpolation)
{
    const char *src = "param n = 4\n"
                      "param who = \"w\"\n"
                      "param path = \"${who}/x-${n}\\$\"\n"
                      "node a = test.src { count = $n, shape = [$n, 2] }\n"
                      "node p = text.print { prefix = \"${path}\" }\n"
                      "node s = null.sink\n"
                      "a -> s\n";
    weft_graph *g = parse(src, 0);
    weft_node *a = weft_graph_find_node(g, "a");
    ck_assert_int_eq(weft_node_prop_int(a, "count"), 4);
    ck_assert_str_eq(weft_node_prop_string(weft_graph_find_node(g, "p"),
                                           "prefix"),
                     "w/x-4$");
    weft_graph_free(g);

    const char *ovr[] = {"n=9", "who=a b", NULL};
    ck_assert_int_eq(weft_graph_parse_string(reg, src, "t", ovr, &g), 0);
    ck_assert_int_eq(weft_node_prop_int(weft_graph_find_node(g, "a"), "count"),
                     9);
    ck_assert_str_eq(weft_node_prop_string(weft_graph_find_node(g, "p"),
                                           "prefix"),
                     "a b/x-9$");
    weft_graph_free(g);

    const char *bad[] = {"nn=1", "n=x", "oops", NULL};
    ck_assert_int_eq(weft_graph_parse_string(reg, src, "t", bad, &g),
                     WEFT_EPARSE);
    ck_assert(has_diag(g, "no param `nn`", "did you mean `n`?"));
    ck_assert(has_diag(g, "param `n` is of type int", NULL));
    ck_assert(has_diag(g, "`oops` does not set a param", NULL));
    ck_assert_str_eq(weft_graph_diag(g, 0)->loc.file, "<command line>");
    weft_graph_free(g);
}
END_TEST

/* A relative `path` param set on the command line is relative to the
 * current directory; the file's own default stays relative to the file's
 * folder (resolved later by the node), and a `string` is left alone. */
START_TEST(test_path_override_cwd)
{
    const char *src = "param f: path = \"d/x.txt\"\n"
                      "param s = \"d/y\"\n"
                      "node p = text.print { prefix = \"${f}|${s}\" }\n"
                      "node a = test.src\n"
                      "node k = null.sink\n"
                      "a -> k\n";
    weft_graph *g = parse(src, 0);
    ck_assert_str_eq(weft_node_prop_string(weft_graph_find_node(g, "p"),
                                           "prefix"),
                     "d/x.txt|d/y");
    weft_graph_free(g);

    char *cwd = getcwd(NULL, 0), want[4096];
    ck_assert_ptr_nonnull(cwd);
    const char *ovr[][3] = {{"f=in/a.wav", "s=in/b", NULL},
                            {"f=/abs/c.wav", "s=", NULL},
                            {"f=", NULL, NULL}};
    for (int k = 0; k < 3; k++) {
        if (k == 0)
            snprintf(want, sizeof want, "%s/in/a.wav|in/b", cwd);
        else
            snprintf(want, sizeof want, k == 1 ? "/abs/c.wav|" : "|d/y");
        ck_assert_int_eq(weft_graph_parse_string(reg, src, "t", ovr[k], &g),
                         0);
        ck_assert_str_eq(weft_node_prop_string(weft_graph_find_node(g, "p"),
                                               "prefix"),
                         want);
        weft_graph_free(g);
    }
    free(cwd);
}
END_TEST

START_TEST(test_subgraphs)
{
    weft_graph *g = parse(
        "graph pass2(d = 0) {\n"
        "    input in = a\n"
        "    output out = b\n"
        "    node a = identity { sleep_us = $d }\n"
        "    node b = identity\n"
        "    a -> b\n"
        "}\n"
        "graph outer(d2) {\n"
        "    input in = x\n"
        "    output out = y\n"
        "    node x = pass2 { d = $d2 }\n"
        "    node y = pass2\n"
        "    x -> y\n"
        "}\n"
        "node src = test.src\n"
        "node o = outer { d2 = 7 }\n"
        "node s = null.sink\n"
        "src -> o -> s\n",
        0);
    ck_assert_uint_eq(weft_graph_n_nodes(g), 6);
    weft_node *n = weft_graph_find_node(g, "o/x/a");
    ck_assert_ptr_nonnull(n);
    ck_assert_int_eq(weft_node_prop_int(n, "sleep_us"), 7);
    ck_assert_int_eq(weft_node_prop_int(weft_graph_find_node(g, "o/y/a"),
                                        "sleep_us"),
                     0);
    ck_assert_int_eq(weft_graph_check(g), 0);
    weft_graph_free(g);
}
END_TEST

START_TEST(test_suggestions)
{
    weft_graph *g = parse("param beam = 3\n"
                          "node src = test.src { cuont = 2, seed = $bem }\n"
                          "node mid = identiy\n"
                          "node out = null.sink\n"
                          "src.outt -> out\n"
                          "sorc -> out\n",
                          WEFT_EPARSE);
    ck_assert(has_diag(g, "class `identiy` does not exist",
                       "did you mean `identity`?"));
    ck_assert(has_diag(g, "no property `cuont`", "did you mean `count`?"));
    ck_assert(has_diag(g, "no output port `outt`", "did you mean `out`?"));
    ck_assert(has_diag(g, "unknown param `bem`", "did you mean `beam`?"));
    ck_assert(has_diag(g, "no node `sorc`", "did you mean `src`?"));
    const weft_diag *d = weft_graph_diag(g, 0);
    ck_assert_str_eq(d->loc.file, "t.weft");
    ck_assert_uint_gt(d->loc.line, 0);
    weft_graph_free(g);
}
END_TEST

START_TEST(test_includes)
{
    char dir[] = "/tmp/weft-lang-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char p[512];
    snprintf(p, sizeof p, "%s/a.weft", dir);
    FILE *fp = fopen(p, "w");
    fputs("use \"b.weft\"\ngraph ga { output out = s\n node s = gb }\n", fp);
    fclose(fp);
    snprintf(p, sizeof p, "%s/b.weft", dir);
    fp = fopen(p, "w");
    fputs("graph gb { output out = s\n node s = test.src }\n", fp);
    fclose(fp);
    snprintf(p, sizeof p, "%s/main.weft", dir);
    fp = fopen(p, "w");
    fputs("use \"a.weft\"\nuse \"a.weft\"\nnode x = ga\nnode o = null.sink\n"
          "x -> o\n",
          fp);
    fclose(fp);
    weft_graph *g = NULL;
    ck_assert_int_eq(weft_graph_parse_file(reg, p, NULL, &g), 0);
    ck_assert_ptr_nonnull(weft_graph_find_node(g, "x/s/s"));
    ck_assert_int_eq(weft_graph_check(g), 0);
    weft_graph_free(g);

    /* A cycle, named with its chain. */
    snprintf(p, sizeof p, "%s/b.weft", dir);
    fp = fopen(p, "w");
    fputs("use \"a.weft\"\n", fp);
    fclose(fp);
    snprintf(p, sizeof p, "%s/main.weft", dir);
    ck_assert_int_eq(weft_graph_parse_file(reg, p, NULL, &g), WEFT_EPARSE);
    ck_assert(has_diag(g, "`use` makes a cycle", NULL));
    weft_graph_free(g);

    /* WEFT_GRAPH_PATH. */
    snprintf(p, sizeof p, "%s/b.weft", dir);
    fp = fopen(p, "w");
    fputs("graph gb { output out = s\n node s = test.src }\n", fp);
    fclose(fp);
    setenv("WEFT_GRAPH_PATH", dir, 1);
    ck_assert_int_eq(weft_graph_parse_string(reg,
                                             "use \"b.weft\"\nnode x = gb\n"
                                             "node o = null.sink\nx -> o\n",
                                             "s", NULL, &g),
                     0);
    weft_graph_free(g);
    unsetenv("WEFT_GRAPH_PATH");

    ck_assert_int_eq(weft_graph_parse_file(reg, "/nonexistent.weft", NULL, &g),
                     WEFT_EIO);
    ck_assert(has_diag(g, "cannot read", NULL));
    weft_graph_free(g);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* ------------------------------------------------------------ fmt */

/* The meaning of a graph: nodes with class and every property's value,
 * and edges, as one string. */
static char *meaning(weft_graph *g)
{
    size_t cap = 1 << 16, n = 0;
    char *s = malloc(cap);
    s[0] = '\0';
#define ADD(...)                                                            \
    do {                                                                    \
        int k = snprintf(s + n, cap - n, __VA_ARGS__);                      \
        while ((size_t)k >= cap - n) {                                      \
            s = realloc(s, cap *= 2);                                       \
            k = snprintf(s + n, cap - n, __VA_ARGS__);                      \
        }                                                                   \
        n += (size_t)k;                                                     \
    } while (0)
    for (size_t i = 0; i < weft_graph_n_nodes(g); i++) {
        weft_node *nd = weft_graph_node(g, i);
        if (!nd)
            continue;
        const weft_node_class *c = weft_node_get_class(nd);
        ADD("node %s %s\n", weft_node_name(nd), c->name);
        for (size_t k = 0; k < weft_class_n_props(c); k++) {
            const char *pn = weft_class_prop(c, k)->name;
            const weft_value *v = weft_node_prop(nd, pn);
            char *vs = v ? weft_value_to_string(v) : NULL;
            ADD("  %s=%s\n", pn, vs ? vs : "-");
            free(vs);
        }
    }
    for (size_t i = 0; i < weft_graph_n_edges(g); i++) {
        weft_edge_info e;
        weft_graph_edge(g, i, &e);
        ADD("edge %s.%s %s.%s %u %u\n", e.src, e.src_port, e.dst, e.dst_port,
            e.capacity, e.overflow);
    }
    for (size_t i = 0; i < weft_graph_n_diags(g); i++)
        ADD("diag %s\n", weft_graph_diag(g, i)->message);
#undef ADD
    return s;
}

static int n_fmt_files;

static void check_fmt_file(const char *dir, const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    char *text = slurp(path);
    char *once = NULL, *twice = NULL, *err = NULL;
    int rc = weft_graph_format(text, path, &once, &err);
    if (rc != 0) { /* a syntax-error corpus file: fmt must refuse it */
        ck_assert_int_eq(rc, WEFT_EPARSE);
        ck_assert_ptr_nonnull(err);
        free(err);
        free(text);
        return;
    }
    ck_assert_int_eq(weft_graph_format(once, path, &twice, NULL), 0);
    ck_assert_msg(!strcmp(once, twice), "fmt is not idempotent on %s:\n%s\n%s",
                  path, once, twice);

    /* Same graph before and after, includes resolved from the file's
     * directory. */
    char cwd[1024];
    ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
    ck_assert_int_eq(chdir(dir), 0);
    weft_graph *a = NULL, *b = NULL;
    weft_graph_parse_string(reg, text, name, NULL, &a);
    weft_graph_parse_string(reg, once, name, NULL, &b);
    ck_assert_int_eq(chdir(cwd), 0);
    char *ma = meaning(a), *mb = meaning(b);
    ck_assert_msg(!strcmp(ma, mb), "fmt changed the meaning of %s:\n%s\n%s",
                  path, ma, mb);
    free(ma);
    free(mb);
    weft_graph_free(a);
    weft_graph_free(b);
    free(once);
    free(twice);
    free(text);
    n_fmt_files++;
}

static void walk(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char p[1024];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(p, &st) == 0 && S_ISDIR(st.st_mode))
            walk(p);
        else if (strlen(e->d_name) > 5 &&
                 !strcmp(e->d_name + strlen(e->d_name) - 5, ".weft"))
            check_fmt_file(dir, e->d_name);
    }
    closedir(d);
}

START_TEST(test_fmt_every_file)
{
    n_fmt_files = 0;
    walk(TOP_SRCDIR "/tests/graphs");
    walk(TOP_SRCDIR "/graphs");
    ck_assert_int_gt(n_fmt_files, 20);
}
END_TEST

START_TEST(test_fmt_layout)
{
    char *out = NULL;
    ck_assert_int_eq(
        weft_graph_format("# head\n\n\nweft   1\nparam a=1 # one\nparam "
                          "longer :int=2\nnode x=test.src{count=1,seed=2}\n"
                          "node yy = identity\n  # lone\nx->yy ->[capacity=2]"
                          "z.in\n",
                          "t", &out, NULL),
        0);
    ck_assert_str_eq(out, "# head\n\n"
                          "weft 1\n"
                          "param a           = 1  # one\n"
                          "param longer: int = 2\n"
                          "node x  = test.src { count = 1, seed = 2 }\n"
                          "node yy = identity\n"
                          "# lone\n"
                          "x -> yy -> [capacity = 2] z.in\n");
    free(out);
}
END_TEST

/* ------------------------------------------------------------ dot */

START_TEST(test_dot_renders)
{
    if (system("command -v dot >/dev/null 2>&1") != 0)
        ck_abort_msg("Graphviz `dot` is required (Debian: graphviz)");
    char cwd[1024];
    ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
    weft_graph *g = NULL;
    ck_assert_int_eq(weft_graph_parse_file(reg, TOP_SRCDIR
                                           "/tests/graphs/good/subgraph.weft",
                                           NULL, &g),
                     0);
    ck_assert_int_eq(weft_graph_check(g), 0);
    char *dot = weft_graph_to_dot(g);
    ck_assert_ptr_nonnull(dot);
    ck_assert_ptr_nonnull(strstr(dot, "subgraph \"cluster_stage\""));
    ck_assert_ptr_nonnull(strstr(dot, "audio/pcm"));
    ck_assert_ptr_nonnull(strstr(dot, "sleep_us = 10"));
    char tmp[] = "/tmp/weft-dot-XXXXXX";
    int fd = mkstemp(tmp);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, dot, strlen(dot)), (ssize_t)strlen(dot));
    close(fd);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "dot -Tsvg %s -o %s.svg", tmp, tmp);
    ck_assert_int_eq(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "%s.svg", tmp);
    struct stat st;
    ck_assert_int_eq(stat(cmd, &st), 0);
    ck_assert_int_gt(st.st_size, 100);
    unlink(cmd);
    unlink(tmp);
    free(dot);
    weft_graph_free(g);
}
END_TEST

/* ------------------------------------------------------------ doc */

START_TEST(test_doc_examples)
{
    char *md = slurp(TOP_SRCDIR "/doc/graph-language.md");
    int n = 0;
    char cwd[1024];
    ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
    /* Examples are written as if saved in graphs/, beside graphs/lib/. */
    ck_assert_int_eq(chdir(TOP_SRCDIR "/graphs"), 0);
    for (char *p = md; (p = strstr(p, "```weft\n"));) {
        p += 8;
        char *end = strstr(p, "```");
        ck_assert_ptr_nonnull(end);
        char *ex = strndup(p, (size_t)(end - p));
        weft_graph *g = NULL;
        int rc = weft_graph_parse_string(reg, ex, "example.weft", NULL, &g);
        if (rc == 0)
            rc = weft_graph_check(g);
        char *d = weft_graph_render_diags(g, false);
        ck_assert_msg(rc == 0 && weft_graph_count_diags(g, WEFT_DIAG_WARNING) ==
                                     0,
                      "doc example %d does not check:\n%s\n%s", n + 1, ex, d);
        free(d);
        weft_graph_free(g);
        free(ex);
        n++;
        p = end + 3;
    }
    ck_assert_int_eq(chdir(cwd), 0);
    ck_assert_int_ge(n, 10);
    free(md);
}
END_TEST

/* ------------------------------------------------------------ robustness */


static char *big(size_t cap)
{
    char *s = malloc(cap);
    ck_assert_ptr_nonnull(s);
    s[0] = '\0';
    return s;
}

START_TEST(test_10k_nodes)
{
    size_t cap = 1 << 20, n = 0;
    char *s = big(cap);
    n += (size_t)sprintf(s + n, "node src = test.src\n");
    for (int i = 0; i < 10000; i++)
        n += (size_t)sprintf(s + n, "node n%d = identity\n", i);
    n += (size_t)sprintf(s + n, "node out = null.sink\nsrc -> n0\n");
    for (int i = 0; i < 9999; i++)
        n += (size_t)sprintf(s + n, "n%d -> n%d\n", i, i + 1);
    sprintf(s + n, "n9999 -> out\n");
    weft_graph *g = parse(s, 0);
    ck_assert_uint_eq(weft_graph_n_nodes(g), 10002);
    ck_assert_int_eq(weft_graph_check(g), 0);
    weft_graph_free(g);
    free(s);
}
END_TEST

START_TEST(test_1mb_string)
{
    size_t len = 1 << 20;
    char *s = big(len + 200);
    strcpy(s, "node p = text.print { prefix = \"");
    size_t n = strlen(s);
    memset(s + n, 'x', len);
    strcpy(s + n + len, "\" }\nnode l = text.lines { path = \"a\" }\n");
    weft_graph *g = NULL;
    weft_graph_parse_string(reg, s, "big", NULL, &g);
    ck_assert_uint_eq(strlen(weft_node_prop_string(weft_graph_find_node(g, "p"),
                                                   "prefix")),
                      len);
    char *d = weft_graph_render_diags(g, false);
    free(d);
    weft_graph_free(g);
    /* Unterminated, and as garbage: errors, capped. */
    s[n + len] = '\n';
    weft_graph_parse_string(reg, s, "big", NULL, &g);
    ck_assert_uint_ge(weft_graph_count_diags(g, WEFT_DIAG_ERROR), 1);
    weft_graph_free(g);
    memset(s, '@', len);
    s[len] = '\0';
    weft_graph_parse_string(reg, s, "big", NULL, &g);
    ck_assert_uint_le(weft_graph_count_diags(g, WEFT_DIAG_ERROR), 60);
    weft_graph_free(g);
    free(s);
}
END_TEST

START_TEST(test_deep_nesting)
{
    size_t cap = 1 << 20, n = 0;
    char *s = big(cap);
    n += (size_t)sprintf(s + n, "graph g0 { output out = s\n node s = "
                                "test.src }\n");
    for (int i = 1; i < 1000; i++)
        n += (size_t)sprintf(s + n,
                             "graph g%d { output out = x\n node x = g%d }\n",
                             i, i - 1);
    sprintf(s + n, "node top = g999\nnode o = null.sink\ntop -> o\n");
    weft_graph *g = parse(s, WEFT_EPARSE);
    ck_assert(has_diag(g, "nested more than", NULL));
    weft_graph_free(g);

    /* Exponential expansion: each level uses the previous one twice. */
    n = 0;
    n += (size_t)sprintf(s + n, "graph e0 { node s = null.sink }\n");
    for (int i = 1; i < 40; i++)
        n += (size_t)sprintf(s + n, "graph e%d { node a = e%d\n node b = e%d }\n",
                             i, i - 1, i - 1);
    sprintf(s + n, "node top = e39\n");
    g = parse(s, WEFT_EPARSE);
    ck_assert(has_diag(g, "more than", NULL));
    weft_graph_free(g);

    /* Params that double at each step. */
    n = 0;
    n += (size_t)sprintf(s + n, "param p0 = \"xxxxxxxxxxxxxxxx\"\n");
    for (int i = 1; i < 60; i++)
        n += (size_t)sprintf(s + n, "param p%d = \"${p%d}${p%d}\"\n", i, i - 1,
                             i - 1);
    sprintf(s + n, "node p = text.print { prefix = $p59 }\n");
    g = parse(s, WEFT_EPARSE);
    ck_assert(has_diag(g, "MiB", NULL));
    weft_graph_free(g);

    /* Deep brackets and braces do not recurse. */
    memset(s, '[', 500000);
    strcpy(s + 500000, "\n");
    weft_graph_free(parse(s, WEFT_EPARSE));
    n = 0;
    for (int i = 0; i < 100000; i++)
        n += (size_t)sprintf(s + n, "graph g { ");
    weft_graph_free(parse(s, WEFT_EPARSE));
    free(s);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("lang");
    TCase *t = tcase_create("lang");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 120);
    tcase_add_test(t, test_chain_ports_fan);
    tcase_add_test(t, test_params_and_interpolation);
    tcase_add_test(t, test_path_override_cwd);
    tcase_add_test(t, test_subgraphs);
    tcase_add_test(t, test_suggestions);
    tcase_add_test(t, test_includes);
    tcase_add_test(t, test_fmt_every_file);
    tcase_add_test(t, test_fmt_layout);
    tcase_add_test(t, test_dot_renders);
    tcase_add_test(t, test_doc_examples);
    tcase_add_test(t, test_10k_nodes);
    tcase_add_test(t, test_1mb_string);
    tcase_add_test(t, test_deep_nesting);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
