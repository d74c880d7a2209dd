/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* text.file: write each text buffer as a line of a file. */
#include "core-util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct text_file {
    char *path;
    FILE *fp;
    bool append, closed;
} text_file;

static int text_file_init(weft_node *node)
{
    text_file *s = calloc(1, sizeof *s);
    bool append = weft_node_prop_bool(node, "append");

    if (!s)
        return weft_node_error(node, WEFT_ENOMEM, "out of memory");
    weft_node_set_priv(node, s);
    if (!(s->path = weft_node_prop_path(node, "path")))
        return WEFT_EINVAL;
    s->append = append;
    /* The file is opened when the first data arrives, not here: init also
     * runs for `weft check`, which must not truncate anybody's file. The
     * folder is checked now so that a typo still fails before running. */
    char *dir = strdup(s->path);
    if (!dir)
        return weft_node_error(node, WEFT_ENOMEM, "out of memory");
    char *slash = strrchr(dir, '/');
    const char *d = slash ? (slash == dir ? "/" : (*slash = '\0', dir)) : ".";
    int ok = access(d, W_OK) == 0;
    int err = errno;
    free(dir);
    if (!ok)
        return weft_node_error(node, WEFT_EIO, "%s: cannot write there: %s",
                               s->path, strerror(err));
    return 0;
}

static int open_file(weft_node *node, text_file *s)
{
    /* "e": close on exec, so programs the graph may spawn do not inherit
     * the descriptor. */
    s->fp = fopen(s->path, s->append ? "ae" : "we");
    if (!s->fp)
        return weft_node_error(node, WEFT_EIO, "%s: cannot open: %s", s->path,
                               strerror(errno));
    return 0;
}

static weft_flow text_file_process(weft_node *node)
{
    text_file *s = weft_node_priv(node);
    int ret;

    if (s->closed)
        return WEFT_FLOW_EOS; /* already closed at end of stream */
    if (!s->fp && open_file(node, s) < 0)
        return WEFT_FLOW_ERROR;
    for (;;) {
        weft_buf *b = NULL;
        weft_flow f = weft_node_pop(node, 0, &b);
        const char *text;
        size_t len;

        if (f == WEFT_FLOW_AGAIN || f == WEFT_FLOW_FLUSHING)
            return WEFT_FLOW_OK;
        if (f == WEFT_FLOW_EOS)
            break;
        if (f != WEFT_FLOW_OK)
            return f;
        text = weft_buf_text(b, &len);
        if (!text) {
            weft_node_count(node, "skipped", 1);
            weft_buf_unref(b);
            continue;
        }
        fwrite(text, 1, len, s->fp);
        putc('\n', s->fp);
        weft_buf_unref(b);
        /* Flushed per line so that `tail -f` and a crash both see every
         * line written so far. */
        if (fflush(s->fp) != 0 || ferror(s->fp)) {
            weft_node_error(node, WEFT_EIO, "%s: write error: %s", s->path,
                            strerror(errno));
            return WEFT_FLOW_ERROR;
        }
        weft_node_count(node, "lines", 1);
    }
    /* Close at end of stream to learn about late write errors (NFS). */
    ret = fclose(s->fp);
    s->fp = NULL;
    s->closed = true;
    if (ret != 0) {
        weft_node_error(node, WEFT_EIO, "%s: write error: %s", s->path,
                        strerror(errno));
        return WEFT_FLOW_ERROR;
    }
    return WEFT_FLOW_EOS;
}

static void text_file_fini(weft_node *node)
{
    text_file *s = weft_node_priv(node);

    if (!s)
        return;
    if (s->fp)
        fclose(s->fp);
    free(s->path);
    free(s);
    weft_node_set_priv(node, NULL);
}

static const weft_port_desc inputs[] = {
    WEFT_PORT_F("in", "text", WEFT_PORT_MULTI,
                "Text to write (`text`); several links may feed it."),
    WEFT_PORT_END
};

static const weft_prop_desc props[] = {
    WEFT_PROP_PATH("path", NULL, "The file to write, created if missing."),
    WEFT_PROP_BOOLEAN("append", "false",
                      "Add to the end of an existing file instead of "
                      "truncating it."),
    WEFT_PROP_END
};

const weft_node_class core_text_file_class = {
    .struct_size = sizeof(weft_node_class),
    .name = "text.file",
    .summary = "Write text buffers as lines of a file",
    .doc =
        "Writes each incoming text buffer, followed by a newline, to the "
        "file `path`, flushing after every line so the file can be followed "
        "while the graph runs. The file is truncated when the node starts "
        "unless `append` is true. Buffers without text are skipped (counter "
        "`skipped`).\n\n"
        "Example:\n"
        "    node log = text.file { path = \"transcript.txt\", append = true }",
    .flags = WEFT_NODE_SINK | WEFT_NODE_ANY_INPUT,
    .inputs = inputs,
    .props = props,
    .init = text_file_init,
    .process = text_file_process,
    .fini = text_file_fini,
};
