/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* weft fmt [-w | --check] FILE...: graph files in canonical form. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include <weft/graph.h>

static void fmt_usage(FILE *out)
{
    fprintf(out,
            "usage: weft fmt [-w | --check] FILE...\n\n"
            "Print each graph file in canonical form: one statement per "
            "line,\n"
            "`=` and classes aligned, four-space indents, comments kept. "
            "Only the\n"
            "syntax is read, so classes need not be installed. FILE - reads "
            "stdin.\n\n"
            "  -w       rewrite the files in place (atomically: a temporary "
            "file is\n"
            "           written, synced and renamed over the original)\n"
            "  --check  print the names of files that are not formatted; exit "
            "1 if any\n");
}

static char *slurp(FILE *fp, size_t *len)
{
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (n + 1 >= cap) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                return NULL;
            }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, fp);
        n += got;
        if (!got)
            break;
    }
    if (buf) {
        buf[n] = '\0';
        *len = n;
    }
    return buf;
}

/* Replace @path with @text: temp file beside it, fsync, rename, so a
 * crash leaves either the old or the new file. */
static int write_atomic(const char *path, const char *text)
{
    struct stat st;
    char *tmp = malloc(strlen(path) + 16);
    if (!tmp)
        return -1;
    sprintf(tmp, "%s.fmt-XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        free(tmp);
        return -1;
    }
    size_t n = strlen(text), off = 0;
    while (off < n) {
        ssize_t w = write(fd, text + off, n - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            goto fail;
        off += (size_t)w;
    }
    if (stat(path, &st) == 0)
        fchmod(fd, st.st_mode & 07777);
    if (fsync(fd) != 0 || close(fd) != 0) {
        fd = -1;
        goto fail;
    }
    if (rename(tmp, path) != 0) {
        fd = -1;
        goto fail;
    }
    free(tmp);
    return 0;
fail:
    if (fd >= 0)
        close(fd);
    unlink(tmp);
    free(tmp);
    return -1;
}

int cmd_fmt(int argc, char **argv)
{
    bool write = false, check = false;
    int i = 1, status = CLI_OK;

    for (; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fmt_usage(stdout);
            return CLI_OK;
        } else if (!strcmp(argv[i], "-w")) {
            write = true;
        } else if (!strcmp(argv[i], "--check")) {
            check = true;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "weft fmt: unknown option '%s'\n", argv[i]);
            fmt_usage(stderr);
            return CLI_USAGE;
        } else {
            break;
        }
    }
    if (i >= argc || (write && check)) {
        fmt_usage(stderr);
        return CLI_USAGE;
    }
    for (; i < argc; i++) {
        const char *path = argv[i];
        bool stdin_ = !strcmp(path, "-");
        FILE *fp = stdin_ ? stdin : fopen(path, "rb");
        size_t len = 0;
        if (!fp) {
            fprintf(stderr, "weft fmt: cannot read %s: %s\n", path,
                    strerror(errno));
            status = CLI_FAIL;
            continue;
        }
        char *text = slurp(fp, &len);
        if (!stdin_)
            fclose(fp);
        if (!text) {
            fprintf(stderr, "weft fmt: %s: out of memory\n", path);
            status = CLI_FAIL;
            continue;
        }
        if (strlen(text) != len) {
            fprintf(stderr, "weft fmt: %s: contains a NUL byte; not a graph "
                    "file\n", path);
            free(text);
            status = CLI_FAIL;
            continue;
        }
        char *out = NULL, *diags = NULL;
        int rc = weft_graph_format(text, stdin_ ? "<stdin>" : path, &out,
                                   &diags);
        if (rc < 0) {
            if (diags)
                fputs(diags, stderr);
            else
                fprintf(stderr, "weft fmt: %s: %s\n", path,
                        weft_strerror(rc));
            status = CLI_FAIL;
        } else if (check) {
            if (strcmp(out, text)) {
                printf("%s\n", path);
                status = CLI_FAIL;
            }
        } else if (write && !stdin_) {
            if (strcmp(out, text) && write_atomic(path, out) != 0) {
                fprintf(stderr, "weft fmt: cannot rewrite %s: %s\n", path,
                        strerror(errno));
                status = CLI_FAIL;
            }
        } else {
            fputs(out, stdout);
        }
        free(out);
        free(diags);
        free(text);
    }
    return status;
}
