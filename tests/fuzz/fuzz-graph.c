/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target for the graph language: lexer, parser, name checks,
 * subgraph expansion, the model's builders, weft_graph_check, the
 * diagnostics renderer, the formatter (whose output must parse to the
 * same diagnostics count and format to itself) and DOT export.
 *
 * The registry holds the core plugin's classes with every callback but a
 * dummy process removed: the declarations (ports, formats, properties)
 * are what the checker reads, and a class's init must never open or
 * truncate files named by fuzz input.
 *
 *   make fuzz                    # build/tests/fuzz/fuzz-graph (clang)
 *   build/tests/fuzz/fuzz-graph -max_total_time=600 corpus/
 *
 * tests/fuzz/replay-graph.c runs the same entry point over the corpus and
 * tests/fuzz/crashers/ in the normal test suite, built with gcc.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <weft/weft.h>

#include <weft/graph.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const weft_plugin_desc *weft_plugin_entry(void);

#define CHECK(e)                                                            \
    do {                                                                    \
        if (!(e)) {                                                         \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__,      \
                    __LINE__, #e);                                          \
            abort();                                                        \
        }                                                                   \
    } while (0)

#define MAX_CLASSES 32
static weft_node_class classes[MAX_CLASSES];
static const weft_node_class *class_ptrs[MAX_CLASSES + 1];
static weft_plugin_desc desc;
static weft_registry *reg;

static weft_flow no_process(weft_node *n)
{
    (void)n;
    return WEFT_FLOW_EOS;
}

static weft_registry *registry(void)
{
    if (reg)
        return reg;
    const weft_plugin_desc *core = weft_plugin_entry();
    size_t n = 0;
    for (; core->classes[n] && n < MAX_CLASSES; n++) {
        classes[n] = *core->classes[n];
        classes[n].init = NULL;
        classes[n].negotiate = NULL;
        classes[n].process = no_process;
        classes[n].flush = NULL;
        classes[n].fini = NULL;
        classes[n].unblock = NULL;
        class_ptrs[n] = &classes[n];
    }
    class_ptrs[n] = NULL;
    desc = *core;
    desc.classes = class_ptrs;
    desc.init = NULL;
    desc.fini = NULL;
    reg = weft_registry_new();
    CHECK(reg != NULL);
    CHECK(weft_registry_add_plugin(reg, &desc, "fuzz") == 0);
    return reg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* The input as a C string; a NUL inside ends it, as for a file read
     * into a string. */
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';

    /* Overrides ride on a first line starting with "#!": words split at
     * spaces, so the fuzzer can reach the command-line paths too. */
    const char *ovr[8] = {NULL};
    char *line = NULL;
    if (!strncmp(text, "#!", 2)) {
        size_t n = strcspn(text, "\n");
        line = strndup(text + 2, n > 2 ? n - 2 : 0);
        size_t k = 0;
        for (char *tok = line ? strtok(line, " ") : NULL; tok && k < 7;
             tok = strtok(NULL, " "))
            ovr[k++] = tok;
    }

    weft_graph *g = NULL;
    int rc = weft_graph_parse_string(registry(), text, "fuzz.weft", ovr, &g);
    CHECK(g != NULL || rc == WEFT_ENOMEM);
    if (rc == 0)
        CHECK(weft_graph_count_diags(g, WEFT_DIAG_ERROR) == 0);
    if (rc == 0)
        weft_graph_check(g);
    char *diags = weft_graph_render_diags(g, false);
    free(diags);
    char *dot = weft_graph_to_dot(g);
    free(dot);
    weft_graph_free(g);

    /* The formatter: idempotent, and its output reads back. */
    char *out = NULL, *err = NULL;
    rc = weft_graph_format(text, "fuzz.weft", &out, &err);
    if (rc == 0) {
        char *again = NULL, *err2 = NULL;
        int rc2 = weft_graph_format(out, "fuzz.weft", &again, &err2);
        if (rc2 != 0)
            fprintf(stderr, "formatted text does not parse:\n%s\n%s", out,
                    err2 ? err2 : "");
        CHECK(rc2 == 0);
        if (strcmp(out, again))
            fprintf(stderr, "not idempotent:\n--- once\n%s--- twice\n%s",
                    out, again);
        CHECK(!strcmp(out, again));
        free(again);
        free(err2);
    }
    free(out);
    free(err);
    free(line);
    free(text);
    return 0;
}
