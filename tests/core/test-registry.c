/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Plugin loading: every bad-plugin fixture gives its one-line reason and
 * the good plugins still load. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <weft/weft.h>

#define FIXTURES TOP_BUILDDIR "/tests/fixtures/.libs"

static char tmpdir[256];

/* A directory holding every fixture plus a text file named like a plugin. */
static void make_dir(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/weft-registry-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
    const char *names[] = {"good", "dup", "old", "noentry", "badabi",
                           "noname", "noformat", "badformat", "initfail"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        char src[512], dst[512];
        snprintf(src, sizeof src, "%s/fx-%s.so", FIXTURES, names[i]);
        snprintf(dst, sizeof dst, "%s/fx-%s.so", tmpdir, names[i]);
        ck_assert_msg(symlink(src, dst) == 0, "symlink %s", src);
    }
    char path[512];
    snprintf(path, sizeof path, "%s/notes.so", tmpdir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("this is not a shared object\n", f);
    fclose(f);
}

static void remove_dir(void)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    ck_assert_int_eq(system(cmd), 0);
}

static const char *find_problem(const weft_registry *reg, const char *file,
                                const char *text)
{
    for (size_t i = 0; i < weft_registry_n_problems(reg); i++) {
        const char *p = weft_registry_problem(reg, i);
        if (strstr(p, file) && strstr(p, text))
            return p;
    }
    return NULL;
}

START_TEST(bad_plugins_are_reported_and_skipped)
{
    make_dir();
    weft_registry *reg = weft_registry_new();
    int loaded = weft_registry_scan_dir(reg, tmpdir);
    /* good, old and dup load (dup's only class is refused, not the file). */
    ck_assert_int_eq(loaded, 3);
    ck_assert_ptr_nonnull(weft_registry_find(reg, "fixture.good"));
    ck_assert_ptr_nonnull(weft_registry_find(reg, "fixture.old"));
    ck_assert_ptr_null(weft_registry_find(reg, "fixture.badabi"));
    ck_assert_ptr_null(weft_registry_find(reg, "fixture.initfail"));

    struct {
        const char *file, *text;
    } want[] = {
        {"notes.so", "not a loadable shared object"},
        {"fx-noentry.so", "no weft_plugin_entry symbol"},
        {"fx-badabi.so", "built for plugin ABI 99, but this Weft supports ABI 1"},
        {"fx-noname.so", "plugin descriptor has no name"},
        {"fx-noformat.so", "input port 'in' has no format"},
        {"fx-badformat.so", "input port 'in': bad format"},
        {"fx-initfail.so", "plugin 'fixture-initfail' init failed (-5)"},
        {"fx-good.so", "class 'fixture.good' is already provided by"},
    };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        ck_assert_msg(find_problem(reg, want[i].file, want[i].text),
                      "no problem '%s' for %s", want[i].text, want[i].file);
    /* The duplicate is named with both paths: the loser and the keeper. */
    ck_assert_int_eq(weft_registry_n_problems(reg), 8);
    for (size_t i = 0; i < weft_registry_n_problems(reg); i++)
        ck_assert_ptr_null(strchr(weft_registry_problem(reg, i), '\n'));
    weft_registry_free(reg);
    remove_dir();
}
END_TEST

START_TEST(older_class_struct_reads_new_fields_as_zero)
{
    weft_registry *reg = weft_registry_new();
    ck_assert_int_eq(weft_registry_load_file(reg, FIXTURES "/fx-old.so"), 0);
    const weft_node_class *c = weft_registry_find(reg, "fixture.old");
    ck_assert_ptr_nonnull(c);
    ck_assert_ptr_null(c->unblock);
    ck_assert_uint_eq(c->struct_size, sizeof(weft_node_class));
    weft_registry_free(reg);
}
END_TEST

START_TEST(classes_sorted_and_suggested)
{
    weft_registry *reg = weft_registry_new();
    weft_registry_load_file(reg, FIXTURES "/fx-old.so");
    weft_registry_load_file(reg, FIXTURES "/fx-good.so");
    /* The built-in app.sink and app.src sort first. */
    ck_assert_uint_eq(weft_registry_n_classes(reg), 4);
    ck_assert_str_eq(weft_registry_class(reg, 0)->name, "app.sink");
    ck_assert_str_eq(weft_registry_class(reg, 2)->name, "fixture.good");
    ck_assert_str_eq(weft_registry_class(reg, 3)->name, "fixture.old");
    ck_assert_str_eq(weft_registry_suggest(reg, "fixture.godo"), "fixture.good");
    ck_assert_ptr_null(weft_registry_suggest(reg, "mfcc"));
    const weft_node_class *c = weft_registry_find(reg, "fixture.good");
    ck_assert_int_eq(weft_registry_class_plugin(reg, c), 2);
    ck_assert_str_eq(weft_registry_plugin(reg, 0)->name, "app");
    ck_assert_str_eq(weft_registry_plugin(reg, 2)->name, "fixture-good");
    ck_assert_uint_eq(weft_class_n_inputs(c), 1);
    ck_assert_uint_eq(weft_class_n_props(c), 1);
    ck_assert_str_eq(weft_class_find_prop(c, "level")->default_value, "3");
    weft_registry_free(reg);
}
END_TEST

START_TEST(plugin_path_env_and_shadowing)
{
    /* The same plugin in two directories: the first on the path wins and
     * the second is a quiet skip, not a problem. */
    char a[] = "/tmp/weft-pathA-XXXXXX", b[] = "/tmp/weft-pathB-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(a));
    ck_assert_ptr_nonnull(mkdtemp(b));
    char src[512], dst[512], env[1200];
    snprintf(src, sizeof src, "%s/fx-good.so", FIXTURES);
    snprintf(dst, sizeof dst, "%s/fx-good.so", a);
    ck_assert_int_eq(symlink(src, dst), 0);
    snprintf(dst, sizeof dst, "%s/fx-good.so", b);
    ck_assert_int_eq(symlink(src, dst), 0);
    /* An empty component (the current directory) must be ignored. */
    snprintf(env, sizeof env, "%s::%s", a, b);
    setenv("WEFT_PLUGIN_PATH", env, 1);
    weft_registry *reg = weft_registry_new();
    ck_assert_int_eq(weft_registry_scan(reg, WEFT_SCAN_NO_DEFAULT), 1);
    ck_assert_uint_eq(weft_registry_n_problems(reg), 0);
    ck_assert_ptr_nonnull(strstr(weft_registry_plugin_path(reg, 1), a));
    weft_registry_free(reg);
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf %s %s", a, b);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

static weft_flow noop(weft_node *n)
{
    (void)n;
    return WEFT_FLOW_EOS;
}

START_TEST(in_process_plugins_are_validated)
{
    static const weft_port_desc outs[] = {
        WEFT_PORT("out", "text", "Text."), WEFT_PORT_END};
    static const weft_node_class bad = {.struct_size = sizeof bad,
                                        .name = "Bad Name",
                                        .outputs = outs,
                                        .process = noop};
    static const weft_node_class *const classes[] = {&bad, NULL};
    static const weft_plugin_desc desc = {WEFT_ABI_VERSION, sizeof desc,
                                          "inproc", "1", "MIT", "x", classes,
                                          NULL, NULL};
    weft_registry *reg = weft_registry_new();
    ck_assert_int_lt(weft_registry_add_plugin(reg, &desc, "test"), 0);
    ck_assert_ptr_nonnull(strstr(weft_registry_problem(reg, 0),
                                 "class name 'Bad Name' is not lower-case"));
    weft_registry_free(reg);
}
END_TEST

START_TEST(suggest_thresholds)
{
    const char *names[] = {"mfcc", "fbank", "ctc.beam", "ctc.greedy"};
    ck_assert_str_eq(weft_suggest("mfc", names, 4), "mfcc");
    ck_assert_str_eq(weft_suggest("ctc.bem", names, 4), "ctc.beam");
    ck_assert_str_eq(weft_suggest("CTC.GREEDY", names, 4), "ctc.greedy");
    ck_assert_ptr_null(weft_suggest("speech", names, 4));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("registry");
    TCase *tc = tcase_create("loader");
    tcase_add_test(tc, bad_plugins_are_reported_and_skipped);
    tcase_add_test(tc, older_class_struct_reads_new_fields_as_zero);
    tcase_add_test(tc, classes_sorted_and_suggested);
    tcase_add_test(tc, plugin_path_env_and_shadowing);
    tcase_add_test(tc, in_process_plugins_are_validated);
    tcase_add_test(tc, suggest_thresholds);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
