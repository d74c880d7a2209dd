/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The graph model through the C API: building, diagnostics, structure
 * checks and format negotiation, with the core plugin's classes and
 * test-local ones. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <weft/weft.h>
#include <weft/graph.h>

static weft_registry *reg;

/* A sink that only accepts 16 kHz mono audio. */
static weft_flow drop(weft_node *n)
{
    weft_buf *b;
    weft_flow f;
    while ((f = weft_node_pop(n, 0, &b)) == WEFT_FLOW_OK)
        weft_buf_unref(b);
    return f == WEFT_FLOW_AGAIN ? WEFT_FLOW_OK : f;
}
static const weft_port_desc pcm_in[] = {
    WEFT_PORT("in", "audio/pcm rate=16000 channels=1 dtype=f32", "Audio."),
    WEFT_PORT_END};
static const weft_port_desc opt_out[] = {
    WEFT_PORT_F("debug", "text", WEFT_PORT_OPTIONAL, "Debug text."),
    WEFT_PORT_END};
static const weft_node_class pcm_sink = {.struct_size = sizeof pcm_sink,
                                         .name = "test.pcm16k",
                                         .summary = "16 kHz sink",
                                         .flags = WEFT_NODE_SINK,
                                         .inputs = pcm_in,
                                         .outputs = opt_out,
                                         .process = drop};
static const weft_port_desc multi_in[] = {
    WEFT_PORT_F("in", "any", WEFT_PORT_MULTI, "Anything, merged."),
    WEFT_PORT_END};
static const weft_node_class merge_sink = {.struct_size = sizeof merge_sink,
                                           .name = "test.merge",
                                           .summary = "Merging sink",
                                           .flags = WEFT_NODE_SINK |
                                                    WEFT_NODE_ANY_INPUT,
                                           .inputs = multi_in,
                                           .process = drop};
static const weft_port_desc pcm_multi_in[] = {
    WEFT_PORT_F("in", "audio/pcm", WEFT_PORT_MULTI, "Audio, merged."),
    WEFT_PORT_END};
static const weft_node_class pcm_merge = {.struct_size = sizeof pcm_merge,
                                          .name = "test.pcmmerge",
                                          .summary = "Merging audio sink",
                                          .flags = WEFT_NODE_SINK |
                                                   WEFT_NODE_ANY_INPUT,
                                          .inputs = pcm_multi_in,
                                          .process = drop};
static const weft_node_class *const classes[] = {&pcm_sink, &merge_sink,
                                                 &pcm_merge, NULL};
static const weft_plugin_desc desc = {WEFT_ABI_VERSION, sizeof desc, "test",
                                      "1", "LGPL-2.1-or-later", "Test classes",
                                      classes, NULL, NULL};

static void setup(void)
{
    reg = weft_registry_new();
    weft_registry_scan_dir(reg, TOP_BUILDDIR "/plugins/.libs");
    ck_assert_ptr_nonnull(weft_registry_find(reg, "test.src"));
    ck_assert_int_eq(weft_registry_add_plugin(reg, &desc, "test"), 0);
}

static void teardown(void)
{
    weft_registry_free(reg);
}

static bool has_diag(const weft_graph *g, weft_diag_severity sev,
                     const char *msg, const char *hint)
{
    for (size_t i = 0; i < weft_graph_n_diags(g); i++) {
        const weft_diag *d = weft_graph_diag(g, i);
        if (d->severity == sev && strcmp(d->message, msg) == 0 &&
            (!hint || (d->hint && strcmp(d->hint, hint) == 0)))
            return true;
    }
    char *all = weft_graph_render_diags(g, false);
    fprintf(stderr, "diagnostics were:\n%s", all);
    free(all);
    return false;
}

START_TEST(clean_chain_negotiates)
{
    weft_graph *g = weft_graph_new(reg);
    ck_assert_int_eq(weft_graph_add_node(g, "src", "test.src"), 0);
    ck_assert_int_eq(weft_graph_set_prop(g, "src", "kind", "audio"), 0);
    ck_assert_int_eq(weft_graph_set_prop(g, "src", "rate", "16k"), 0);
    ck_assert_int_eq(weft_graph_add_node(g, "id", "identity"), 0);
    ck_assert_int_eq(weft_graph_add_node(g, "out", "test.pcm16k"), 0);
    weft_link_opts o = {sizeof o, 4, WEFT_OVERFLOW_DROP_OLDEST};
    ck_assert_int_eq(weft_graph_link(g, "src", NULL, "id", NULL, &o), 0);
    ck_assert_int_eq(weft_graph_link(g, "id", "out", "out", "in", NULL), 0);
    ck_assert_int_eq(weft_graph_check(g), 0);
    ck_assert_int_eq(weft_graph_check(g), 0); /* twice is harmless */
    /* The optional output is only a note. */
    ck_assert(has_diag(g, WEFT_DIAG_NOTE,
                       "optional output `out.debug` is not linked", NULL));
    ck_assert_uint_eq(weft_graph_count_diags(g, WEFT_DIAG_ERROR), 0);
    weft_edge_info e;
    ck_assert_int_eq(weft_graph_edge(g, 0, &e), 0);
    ck_assert_str_eq(e.src, "src");
    ck_assert_str_eq(e.dst_port, "in");
    ck_assert_uint_eq(e.capacity, 4);
    ck_assert_uint_eq(e.overflow, WEFT_OVERFLOW_DROP_OLDEST);
    char *f = weft_format_to_string(e.format);
    ck_assert_ptr_nonnull(strstr(f, "rate=16000"));
    free(f);
    ck_assert_int_eq(weft_graph_set_prop(g, "src", "rate", "8000"),
                     WEFT_ESTATE);
    weft_graph_free(g);
}
END_TEST

START_TEST(format_mismatch_names_both_ports)
{
    weft_graph *g = weft_graph_new(reg);
    weft_graph_add_node(g, "src", "test.src");
    weft_graph_set_prop(g, "src", "kind", "audio");
    weft_graph_set_prop(g, "src", "rate", "44100");
    weft_graph_add_node(g, "out", "test.pcm16k");
    weft_graph_link(g, "src", NULL, "out", NULL, NULL);
    ck_assert_int_eq(weft_graph_check(g), WEFT_EFORMAT);
    ck_assert(has_diag(g, WEFT_DIAG_ERROR,
                       "`src.out` produces `audio/pcm rate=44100 channels=1 "
                       "dtype=f32` but `out.in` accepts `audio/pcm rate=16000 "
                       "channels=1 dtype=f32`",
                       NULL));
    weft_graph_free(g);
}
END_TEST

START_TEST(every_building_error_is_collected)
{
    weft_graph *g = weft_graph_new(reg);
    ck_assert_int_eq(weft_graph_add_node(g, "src", "test.scr"), WEFT_ENOENT);
    ck_assert_int_eq(weft_graph_add_node(g, "id", "identity"), 0);
    ck_assert_int_eq(weft_graph_add_node(g, "id", "identity"), WEFT_EEXIST);
    ck_assert_int_eq(weft_graph_add_node(g, "9x", "identity"), WEFT_EINVAL);
    ck_assert_int_eq(weft_graph_set_prop(g, "id", "slep_us", "1"),
                     WEFT_ENOENT);
    ck_assert_int_lt(weft_graph_set_prop(g, "id", "sleep_us", "soon"), 0);
    ck_assert_int_lt(weft_graph_set_prop(g, "idd", "sleep_us", "1"), 0);
    /* Uses of the unknown-class node do not cascade into more errors. */
    ck_assert_int_lt(weft_graph_set_prop(g, "src", "count", "3"), 0);
    ck_assert_int_lt(weft_graph_link(g, "src", NULL, "id", NULL, NULL), 0);
    ck_assert_int_lt(weft_graph_link(g, "id", "ot", "id", NULL, NULL), 0);
    ck_assert(has_diag(g, WEFT_DIAG_ERROR, "class `test.scr` does not exist",
                       "did you mean `test.src`?"));
    ck_assert(has_diag(g, WEFT_DIAG_ERROR, "node `id` is defined twice", NULL));
    ck_assert(has_diag(g, WEFT_DIAG_ERROR, "`9x` is not a valid node name",
                       NULL));
    ck_assert(has_diag(g, WEFT_DIAG_ERROR,
                       "class `identity` has no property `slep_us`",
                       "did you mean `sleep_us`?"));
    ck_assert(has_diag(g, WEFT_DIAG_ERROR, "there is no node named `idd`",
                       "did you mean `id`?"));
    ck_assert(has_diag(g, WEFT_DIAG_ERROR,
                       "node `id` (identity) has no output port `ot`",
                       "did you mean `out`?"));
    ck_assert_uint_eq(weft_graph_count_diags(g, WEFT_DIAG_ERROR), 7);
    ck_assert_int_eq(weft_graph_check(g), WEFT_EPARSE);
    char *r = weft_graph_render_diags(g, false);
    ck_assert_ptr_nonnull(strstr(r, "error: class `test.scr` does not exist\n"
                                    "  hint: did you mean `test.src`?\n"));
    free(r);
    weft_graph_free(g);
}
END_TEST

START_TEST(structure_errors)
{
    weft_graph *g = weft_graph_new(reg);
    weft_graph_add_node(g, "a", "identity");
    weft_graph_add_node(g, "b", "identity");
    weft_graph_add_node(g, "src", "test.src");
    weft_graph_link(g, "a", NULL, "b", NULL, NULL);
    weft_graph_link(g, "b", NULL, "a", NULL, NULL);
    ck_assert_int_eq(weft_graph_link(g, "src", NULL, "a", NULL, NULL),
                     WEFT_EEXIST);
    ck_assert(has_diag(g, WEFT_DIAG_ERROR,
                       "input `a.in` is already fed by `b.out`", NULL));
    weft_graph_free(g);

    g = weft_graph_new(reg);
    weft_graph_add_node(g, "a", "identity");
    weft_graph_add_node(g, "b", "identity");
    weft_graph_add_node(g, "c", "identity");
    weft_graph_add_node(g, "src", "test.src");
    weft_graph_add_node(g, "m", "test.merge");
    weft_graph_link(g, "a", NULL, "b", NULL, NULL);
    weft_graph_link(g, "b", NULL, "a", NULL, NULL);
    weft_graph_link(g, "src", NULL, "m", NULL, NULL);
    ck_assert_int_eq(weft_graph_check(g), WEFT_EINVAL);
    ck_assert(has_diag(g, WEFT_DIAG_ERROR,
                       "input `c.in` (any) is not linked", NULL));
    ck_assert(has_diag(g, WEFT_DIAG_ERROR,
                       "output `c.out` (any) is not linked", NULL));
    ck_assert(has_diag(g, WEFT_DIAG_ERROR,
                       "the graph has a cycle through `a`, `b`", NULL));
    weft_graph_free(g);
}
END_TEST

START_TEST(fan_in_and_fan_out)
{
    weft_graph *g = weft_graph_new(reg);
    weft_graph_add_node(g, "s1", "test.src");
    weft_graph_add_node(g, "s2", "test.src");
    weft_graph_add_node(g, "m", "test.merge");
    weft_graph_add_node(g, "n", "null.sink");
    ck_assert_int_eq(weft_graph_link(g, "s1", NULL, "m", NULL, NULL), 0);
    ck_assert_int_eq(weft_graph_link(g, "s2", NULL, "m", NULL, NULL), 0);
    ck_assert_int_eq(weft_graph_link(g, "s1", NULL, "n", NULL, NULL), 0);
    ck_assert_int_eq(weft_graph_link(g, "s1", NULL, "m", NULL, NULL),
                     WEFT_EEXIST);
    ck_assert_uint_eq(weft_graph_n_edges(g), 3);
    weft_graph_free(g);

    g = weft_graph_new(reg);
    weft_graph_add_node(g, "s1", "test.src");
    weft_graph_add_node(g, "s2", "test.src");
    weft_graph_set_prop(g, "s2", "shape", "[3]");
    weft_graph_add_node(g, "m", "test.merge");
    weft_graph_link(g, "s1", NULL, "m", NULL, NULL);
    weft_graph_link(g, "s2", NULL, "m", NULL, NULL);
    /* A port that accepts `any` takes different formats from its links. */
    ck_assert_int_eq(weft_graph_check(g), 0);
    weft_graph_free(g);

    g = weft_graph_new(reg);
    weft_graph_add_node(g, "a", "test.src");
    weft_graph_set_prop(g, "a", "kind", "audio");
    weft_graph_add_node(g, "b", "test.src");
    weft_graph_set_prop(g, "b", "kind", "audio");
    weft_graph_set_prop(g, "b", "rate", "8000");
    weft_graph_add_node(g, "m", "test.pcmmerge");
    weft_graph_link(g, "a", NULL, "m", NULL, NULL);
    weft_graph_link(g, "b", NULL, "m", NULL, NULL);
    /* Any other port needs its producers to agree; both are named. */
    ck_assert_int_eq(weft_graph_check(g), WEFT_EFORMAT);
    ck_assert(has_diag(g, WEFT_DIAG_ERROR,
                       "`a.out` and `b.out` both feed `m.in` but produce "
                       "different formats: `audio/pcm rate=16000 channels=1 "
                       "dtype=f32` and `audio/pcm rate=8000 channels=1 "
                       "dtype=f32`",
                       "rate: 16000 vs 8000"));
    weft_graph_free(g);
}
END_TEST

START_TEST(init_errors_name_the_node)
{
    weft_graph *g = weft_graph_new(reg);
    weft_graph_add_node(g, "src", "tensor.src");
    weft_graph_set_prop(g, "src", "path", "/nonexistent/x.npy");
    weft_graph_add_node(g, "out", "null.sink");
    weft_graph_link(g, "src", NULL, "out", NULL, NULL);
    ck_assert_int_lt(weft_graph_check(g), 0);
    const weft_diag *d = weft_graph_diag(g, 0);
    ck_assert_ptr_nonnull(d);
    ck_assert_ptr_nonnull(strstr(d->message, "node `src` (tensor.src): "));
    ck_assert_ptr_nonnull(strstr(d->message, "/nonexistent/x.npy"));
    weft_graph_free(g);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("graph");
    TCase *tc = tcase_create("model");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, clean_chain_negotiates);
    tcase_add_test(tc, format_mismatch_names_both_ports);
    tcase_add_test(tc, every_building_error_is_collected);
    tcase_add_test(tc, structure_errors);
    tcase_add_test(tc, fan_in_and_fan_out);
    tcase_add_test(tc, init_errors_name_the_node);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
