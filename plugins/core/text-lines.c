/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* text.lines: read a text file, one buffer per line. */
#include "core-util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct text_lines {
    char *path;
    FILE *fp;
    char *line;
    size_t cap;
    uint64_t lineno; /* of the last line sent, from 1 */
} text_lines;

/*
 * Strict UTF-8 check (RFC 3629): no overlong forms, no surrogates, nothing
 * above U+10FFFF. The text is passed on either way; this only feeds the
 * `invalid_utf8` counter, so a graph author can see that input is suspect.
 */
static bool utf8_valid(const unsigned char *s, size_t n)
{
    size_t i = 0;

    while (i < n) {
        unsigned c = s[i];
        size_t k;
        uint32_t cp, min;

        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf) {
            k = 1;
            cp = c & 0x1f;
            min = 0x80;
        } else if (c >= 0xe0 && c <= 0xef) {
            k = 2;
            cp = c & 0x0f;
            min = 0x800;
        } else if (c >= 0xf0 && c <= 0xf4) {
            k = 3;
            cp = c & 0x07;
            min = 0x10000;
        } else {
            return false;
        }
        if (n - i <= k)
            return false;
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xc0) != 0x80)
                return false;
            cp = cp << 6 | (s[i + j] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += k + 1;
    }
    return true;
}

static int text_lines_init(weft_node *node)
{
    text_lines *s = calloc(1, sizeof *s);

    if (!s)
        return weft_node_error(node, WEFT_ENOMEM, "out of memory");
    weft_node_set_priv(node, s);
    if (!(s->path = weft_node_prop_path(node, "path")))
        return WEFT_EINVAL;
    s->fp = fopen(s->path, "re");
    if (!s->fp)
        return weft_node_error(node, WEFT_EIO, "%s: cannot open: %s", s->path,
                               strerror(errno));
    return 0;
}

static weft_flow text_lines_process(weft_node *node)
{
    text_lines *s = weft_node_priv(node);
    const char *text;
    ssize_t n;
    size_t len;
    weft_buf *b;

    errno = 0;
    n = getline(&s->line, &s->cap, s->fp);
    if (n < 0) {
        if (ferror(s->fp)) {
            weft_node_error(node, WEFT_EIO, "%s: read error: %s", s->path,
                            strerror(errno));
            return WEFT_FLOW_ERROR;
        }
        return WEFT_FLOW_EOS;
    }
    s->lineno++;
    text = s->line;
    len = (size_t)n;
    if (len > 0 && text[len - 1] == '\n')
        len--;
    /* CRLF files, and a final CR of one whose last newline is missing. */
    if (len > 0 && text[len - 1] == '\r')
        len--;
    /* A byte-order mark is an encoding signature, not text. */
    if (s->lineno == 1 && len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
        text += 3;
        len -= 3;
    }
    if (!utf8_valid((const unsigned char *)text, len))
        weft_node_count(node, "invalid_utf8", 1);
    b = weft_buf_new_text(text, len);
    if (!b) {
        weft_node_error(node, WEFT_ENOMEM, "out of memory");
        return WEFT_FLOW_ERROR;
    }
    weft_buf_set_pts(b, WEFT_TIME_NONE);
    weft_buf_set_duration(b, WEFT_TIME_NONE);
    /* Each line is a segment of its own: its id is the line number. */
    weft_buf_set_segment(b, s->lineno);
    weft_buf_set_flags(b, weft_buf_get_flags(b) | WEFT_BUF_SEGMENT_END);
    return core_push_source(node, b, false);
}

static void text_lines_fini(weft_node *node)
{
    text_lines *s = weft_node_priv(node);

    if (!s)
        return;
    if (s->fp)
        fclose(s->fp);
    free(s->line);
    free(s->path);
    free(s);
    weft_node_set_priv(node, NULL);
}

static const weft_port_desc outputs[] = {
    WEFT_PORT("out", "text", "One buffer per line (`text`), without the "
              "line ending."),
    WEFT_PORT_END
};

static const weft_prop_desc props[] = {
    WEFT_PROP_PATH("path", NULL, "The text file to read."),
    WEFT_PROP_END
};

const weft_node_class core_text_lines_class = {
    .struct_size = sizeof(weft_node_class),
    .name = "text.lines",
    .summary = "Read a text file one line per buffer",
    .doc =
        "Sends each line of the file `path` as a text buffer, without its "
        "line ending (LF or CRLF); a last line without a newline is sent "
        "too, and an empty file sends nothing. A UTF-8 byte-order mark at "
        "the start is dropped. Each buffer is a segment of its own whose id "
        "is the line number (from 1), flagged segment-end; timestamps are "
        "unset.\n\n"
        "Bytes that are not valid UTF-8 are passed on unchanged, and each "
        "such line adds 1 to the counter `invalid_utf8`.\n\n"
        "Example:\n"
        "    node prompts = text.lines { path = \"prompts.txt\" }",
    .flags = WEFT_NODE_SOURCE,
    .outputs = outputs,
    .props = props,
    .init = text_lines_init,
    .process = text_lines_process,
    .fini = text_lines_fini,
};
