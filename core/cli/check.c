/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* weft check FILE [NAME=VALUE...]: parse, resolve and negotiate a graph. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static void check_usage(FILE *out)
{
    fprintf(out,
            "usage: weft check [--color=auto|always|never] [-q] FILE "
            "[NAME=VALUE...]\n\n"
            "Parse the graph file, resolve every class, property and port,\n"
            "negotiate the format of every link and check the graph's "
            "structure,\n"
            "without running anything. Every problem is reported as\n"
            "FILE:LINE:COL: error: ... with the source line and a hint.\n"
            "NAME=VALUE arguments override the file's params.\n\n"
            "Exit status: 0 when there is no error (warnings allowed), 1 "
            "otherwise.\n"
            "  -q         print nothing when the graph is clean\n"
            "  --color    colour the diagnostics (auto: when stderr is a "
            "terminal)\n");
}

/* Shared by check and dot: "auto" colours a terminal unless NO_COLOR. */
static bool want_color(const char *mode)
{
    if (!strcmp(mode, "always"))
        return true;
    if (!strcmp(mode, "never"))
        return false;
    return isatty(STDERR_FILENO) && !getenv("NO_COLOR");
}

int cmd_check(int argc, char **argv)
{
    const char *color = "auto", *file = NULL;
    bool quiet = false;
    int i = 1;

    for (; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            check_usage(stdout);
            return CLI_OK;
        } else if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "--quiet")) {
            quiet = true;
        } else if (!strncmp(argv[i], "--color=", 8)) {
            color = argv[i] + 8;
        } else if (!strcmp(argv[i], "--")) {
            i++;
            break;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "weft check: unknown option '%s'\n", argv[i]);
            check_usage(stderr);
            return CLI_USAGE;
        } else {
            break;
        }
    }
    if (i >= argc) {
        check_usage(stderr);
        return CLI_USAGE;
    }
    file = argv[i++];
    /* The remaining arguments are NAME=VALUE overrides; argv ends with
     * NULL, as the parser wants. */
    const char *const *overrides = (const char *const *)(argv + i);

    weft_registry *reg = cli_load_registry();
    weft_graph *g = NULL;
    /* Loading problems were logged above; from here on every problem is a
     * diagnostic, so the log would only say it twice. */
    if (!getenv("WEFT_DEBUG"))
        weft_log_set_handler(NULL, NULL);
    int rc = weft_graph_parse_file(reg, file, overrides, &g);
    if (rc == 0)
        rc = weft_graph_check(g);
    char *diags = weft_graph_render_diags(g, want_color(color));
    if (diags)
        fputs(diags, stderr);
    free(diags);
    size_t errors = weft_graph_count_diags(g, WEFT_DIAG_ERROR);
    size_t warnings = weft_graph_count_diags(g, WEFT_DIAG_WARNING);
    if (rc == 0 && !errors && !quiet)
        printf("%s: ok: %zu node%s, %zu link%s, %zu warning%s\n", file,
               weft_graph_n_nodes(g), weft_graph_n_nodes(g) == 1 ? "" : "s",
               weft_graph_n_edges(g), weft_graph_n_edges(g) == 1 ? "" : "s",
               warnings, warnings == 1 ? "" : "s");
    else if (rc < 0 && !errors)
        fprintf(stderr, "weft check: %s: %s\n", file, weft_strerror(rc));
    else if (errors)
        fprintf(stderr, "%s: %zu error%s, %zu warning%s\n", file, errors,
                errors == 1 ? "" : "s", warnings, warnings == 1 ? "" : "s");
    weft_graph_free(g);
    weft_registry_free(reg);
    return rc == 0 && !errors ? CLI_OK : CLI_FAIL;
}
