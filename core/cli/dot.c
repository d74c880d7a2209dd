/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* weft dot FILE [NAME=VALUE...]: the graph as Graphviz DOT. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include <weft/graph.h>

static void dot_usage(FILE *out)
{
    fprintf(out,
            "usage: weft dot [-o OUT] FILE [NAME=VALUE...]\n\n"
            "Print the graph as Graphviz DOT: one box per node with its "
            "name,\n"
            "class and the properties that differ from their defaults, one "
            "arrow\n"
            "per link labelled with its negotiated format, and one cluster "
            "per\n"
            "subgraph instance. Render it with, for example:\n\n"
            "    weft dot graph.weft | dot -Tsvg > graph.svg\n\n"
            "When the graph does not check cleanly the diagnostics go to "
            "stderr,\n"
            "the drawing (without formats) still goes to stdout, and the "
            "exit\n"
            "status is 1.\n");
}

int cmd_dot(int argc, char **argv)
{
    const char *outpath = NULL;
    int i = 1;

    for (; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            dot_usage(stdout);
            return CLI_OK;
        } else if (!strcmp(argv[i], "-o") && i + 1 < argc) {
            outpath = argv[++i];
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "weft dot: unknown option '%s'\n", argv[i]);
            dot_usage(stderr);
            return CLI_USAGE;
        } else {
            break;
        }
    }
    if (i >= argc) {
        dot_usage(stderr);
        return CLI_USAGE;
    }
    const char *file = argv[i++];
    weft_registry *reg = cli_load_registry();
    weft_graph *g = NULL;
    /* Loading problems were logged above; from here on every problem is a
     * diagnostic, so the log would only say it twice. */
    if (!getenv("WEFT_DEBUG"))
        weft_log_set_handler(NULL, NULL);
    int rc = weft_graph_parse_file(reg, file, (const char *const *)(argv + i),
                                   &g);
    bool parsed = rc == 0;
    if (parsed)
        rc = weft_graph_check(g);
    char *diags = weft_graph_render_diags(g, false);
    if (diags)
        fputs(diags, stderr);
    free(diags);
    int status = rc == 0 ? CLI_OK : CLI_FAIL;
    if (parsed) {
        char *dot = weft_graph_to_dot(g);
        FILE *out = outpath ? fopen(outpath, "w") : stdout;
        if (!dot || !out) {
            fprintf(stderr, "weft dot: %s\n",
                    !dot ? "out of memory" : "cannot write the output");
            status = CLI_FAIL;
        } else {
            fputs(dot, out);
            if ((outpath ? fclose(out) : fflush(out)) != 0) {
                fprintf(stderr, "weft dot: cannot write the output\n");
                status = CLI_FAIL;
            }
        }
        free(dot);
    }
    weft_graph_free(g);
    weft_registry_free(reg);
    return status;
}
