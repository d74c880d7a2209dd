/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* weft: run, check and inspect Weft graphs and plugins. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

typedef struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
} command;

static const command commands[] = {
    {"inspect", cmd_inspect, "list plugins and classes, or describe one"},
    {"devices", cmd_devices, "list audio devices (through the audio plugin)"},
    {"run", cmd_run, "run a graph file (stats, trace, progress)"},
    {"check", cmd_check, "check a graph file and report every problem"},
    {"fmt", cmd_fmt, "print a graph file in canonical form (-w: rewrite)"},
    {"dot", cmd_dot, "draw a graph file as Graphviz DOT"},
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *out)
{
    fprintf(out, "usage: weft COMMAND [ARGS...]\n"
                 "       weft --version | --help\n\ncommands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out,
            "  %-10s %s\n\n"
            "environment:\n"
            "  WEFT_PLUGIN_PATH  colon-separated plugin directories, searched "
            "before\n"
            "                    %s\n"
            "  WEFT_DEBUG        log thresholds, e.g. loader:4,*:2\n\n"
            "See weft(1) and `weft help COMMAND`.\n",
            "help", "show this help, or a command's", weft_registry_default_dir());
}

weft_registry *cli_load_registry(void)
{
    weft_registry *reg = weft_registry_new();
    if (!reg) {
        fprintf(stderr, "weft: out of memory\n");
        exit(CLI_FAIL);
    }
    weft_registry_scan(reg, 0);
    return reg;
}

void cli_wrap(FILE *out, const char *text, int indent, int width)
{
    if (!text)
        return;
    const char *p = text;
    while (*p) {
        /* Keep the author's paragraph breaks and indented (example) lines. */
        const char *nl = strchr(p, '\n');
        size_t linelen = nl ? (size_t)(nl - p) : strlen(p);
        if (linelen == 0) {
            fputc('\n', out);
            p = nl + 1;
            continue;
        }
        if (p[0] == ' ') {
            fprintf(out, "%*s%.*s\n", indent, "", (int)linelen, p);
        } else {
            size_t col = 0;
            const char *w = p, *end = p + linelen;
            fprintf(out, "%*s", indent, "");
            while (w < end) {
                while (w < end && *w == ' ')
                    w++;
                const char *we = w;
                while (we < end && *we != ' ')
                    we++;
                size_t wl = (size_t)(we - w);
                if (!wl)
                    break;
                if (col && col + 1 + wl > (size_t)(width - indent)) {
                    fprintf(out, "\n%*s", indent, "");
                    col = 0;
                }
                fprintf(out, "%s%.*s", col ? " " : "", (int)wl, w);
                col += wl + (col ? 1 : 0);
                w = we;
            }
            fputc('\n', out);
        }
        if (!nl)
            break;
        p = nl + 1;
    }
}

int main(int argc, char **argv)
{
    weft_log_set_handler(weft_log_handler_stderr, NULL);
    if (argc < 2) {
        usage(stderr);
        return CLI_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
        printf("weft %s (plugin ABI %d)\n", weft_version(), WEFT_ABI_VERSION);
        return CLI_OK;
    }
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
        usage(stdout);
        return CLI_OK;
    }
    if (!strcmp(cmd, "help")) {
        if (argc < 3) {
            usage(stdout);
            return CLI_OK;
        }
        if (!strcmp(argv[2], "help")) {
            usage(stdout);
            return CLI_OK;
        }
        for (size_t i = 0; i < N_COMMANDS; i++)
            if (!strcmp(argv[2], commands[i].name)) {
                char *args[] = {argv[2], "--help", NULL};
                return commands[i].fn(2, args);
            }
        fprintf(stderr, "weft: no command '%s'\n", argv[2]);
        return CLI_USAGE;
    }
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (!strcmp(cmd, commands[i].name))
            return commands[i].fn(argc - 1, argv + 1);
    const char *names[N_COMMANDS];
    for (size_t i = 0; i < N_COMMANDS; i++)
        names[i] = commands[i].name;
    const char *s = weft_suggest(cmd, names, N_COMMANDS);
    fprintf(stderr, "weft: unknown command '%s'%s%s%s; see `weft --help`\n",
            cmd, s ? " (did you mean '" : "", s ? s : "", s ? "'?)" : "");
    return CLI_USAGE;
}
