/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The `weft` command: shared pieces of its subcommands. */
#ifndef WEFT_CLI_H
#define WEFT_CLI_H

#include <stdio.h>
#include <weft/weft.h>

/* Exit codes shared by every subcommand. */
enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2, CLI_INTERRUPTED = 130 };

/* A registry with every plugin found (WEFT_PLUGIN_PATH, install dir). */
weft_registry *cli_load_registry(void);
/* Print @text wrapped to @width columns, each line indented by @indent. */
void cli_wrap(FILE *out, const char *text, int indent, int width);

int cmd_inspect(int argc, char **argv);
int cmd_devices(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_fmt(int argc, char **argv);
int cmd_dot(int argc, char **argv);

#endif
