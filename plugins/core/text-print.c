/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* text.print: print each text buffer as a line on standard output. */
#include "core-util.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A time in seconds with two decimals, rounded to the nearest 10 ms, from
 * integers ("?" when unknown). */
static void print_centis(int64_t ns)
{
    int64_t cs;
    const char *sign = "";

    if (ns == WEFT_TIME_NONE) {
        putc('?', stdout);
        return;
    }
    if (ns < 0) {
        sign = "-";
        ns = -ns;
    }
    cs = (ns + 5000000) / 10000000;
    fprintf(stdout, "%s%" PRId64 ".%02d", sign, cs / 100, (int)(cs % 100));
}

/* The words of a decoder's result with their times, after a tab so that
 * scripts can cut the text off: "turn@0.32-0.56 on@0.60-0.72". Spans
 * outside the text are skipped rather than trusted. */
static void print_words(const weft_buf *b, const char *text, size_t len)
{
    size_t n = 0;
    const weft_token_score *tok = weft_buf_tokens(b, &n);
    bool first = true;

    if (!tok || !n)
        return;
    putc('\t', stdout);
    for (size_t i = 0; i < n; i++) {
        if (tok[i].offset > len || tok[i].length > len - tok[i].offset)
            continue;
        if (!first)
            putc(' ', stdout);
        first = false;
        fwrite(text + tok[i].offset, 1, tok[i].length, stdout);
        putc('@', stdout);
        print_centis(tok[i].start_ns);
        putc('-', stdout);
        print_centis(tok[i].end_ns);
    }
}

typedef struct text_print {
    const char *prefix; /* (transfer none): the node's value, valid to fini */
    const char *meta;   /* metadata key to print, "" for none; likewise */
    bool timestamps;
    bool segments;
    bool words;
} text_print;

/* Write one line with stdout locked, so that lines from several nodes (or
 * several graphs in one process) never interleave mid-line. */
static int print_line(const text_print *s, const weft_buf *b)
{
    size_t len;
    const char *text = weft_buf_text(b, &len);
    int64_t pts = weft_buf_pts(b);
    const char *prefix = s->prefix;
    bool ts = s->timestamps;
    int bad;

    flockfile(stdout);
    if (prefix && *prefix)
        fputs(prefix, stdout);
    if (ts) {
        if (pts == WEFT_TIME_NONE) {
            fputs("[-] ", stdout);
        } else {
            /* Milliseconds from integers: no float rounding surprises. */
            int64_t ms = pts / 1000000;
            const char *sign = ms < 0 ? "-" : "";
            if (ms < 0)
                ms = -ms;
            fprintf(stdout, "[%s%" PRId64 ".%03d] ", sign, ms / 1000,
                    (int)(ms % 1000));
        }
    }
    if (s->segments)
        fprintf(stdout, "#%" PRIu64 " ", weft_buf_segment(b));
    if (s->meta && *s->meta) {
        const char *v = weft_buf_get_meta(b, s->meta);
        /* A line without the key keeps the "NAME: " shape, so a script
         * splitting at the first ": " never takes the text for a name. */
        fputs(v ? v : "-", stdout);
        fputs(": ", stdout);
    }
    fwrite(text, 1, len, stdout);
    if (s->words)
        print_words(b, text, len);
    putc('\n', stdout);
    /* A person (or a pipe) is waiting for each line as it comes. */
    fflush(stdout);
    bad = ferror(stdout);
    funlockfile(stdout);
    return bad ? -1 : 0;
}

static int text_print_init(weft_node *node)
{
    text_print *s = calloc(1, sizeof *s);

    if (!s)
        return weft_node_error(node, WEFT_ENOMEM, "out of memory");
    /* Properties are read here: they are only for [control] callbacks. */
    s->prefix = weft_node_prop_string(node, "prefix");
    s->meta = weft_node_prop_string(node, "meta");
    s->timestamps = weft_node_prop_bool(node, "timestamps");
    s->segments = weft_node_prop_bool(node, "segments");
    s->words = weft_node_prop_bool(node, "words");
    weft_node_set_priv(node, s);
    return 0;
}

static void text_print_fini(weft_node *node)
{
    free(weft_node_priv(node));
    weft_node_set_priv(node, NULL);
}

static weft_flow text_print_process(weft_node *node)
{
    const text_print *s = weft_node_priv(node);

    for (;;) {
        weft_buf *b = NULL;
        weft_flow f = weft_node_pop(node, 0, &b);
        int bad;

        if (f == WEFT_FLOW_AGAIN || f == WEFT_FLOW_FLUSHING)
            return WEFT_FLOW_OK;
        if (f != WEFT_FLOW_OK)
            return f;
        if (weft_buf_kind(b) != WEFT_KIND_TEXT) {
            /* Event carriers (empty buffers) have nothing to print. */
            weft_node_count(node, "skipped", 1);
            weft_buf_unref(b);
            continue;
        }
        bad = print_line(s, b);
        weft_buf_unref(b);
        if (bad) {
            weft_node_error(node, WEFT_EIO, "stdout: write error: %s",
                            strerror(errno));
            return WEFT_FLOW_ERROR;
        }
        weft_node_count(node, "lines", 1);
    }
}

static const weft_port_desc inputs[] = {
    WEFT_PORT_F("in", "text", WEFT_PORT_MULTI,
                "Text to print (`text`); several links may feed it, for "
                "example a decoder's partial and final results."),
    WEFT_PORT_END
};

static const weft_prop_desc props[] = {
    WEFT_PROP_STRING("prefix", "",
                     "Text printed before each line, as is (add your own "
                     "space)."),
    WEFT_PROP_BOOLEAN("timestamps", "false",
                      "Print each buffer's pts as [seconds.milliseconds] "
                      "before the text ([-] when it has none)."),
    WEFT_PROP_BOOLEAN("segments", "false",
                      "Print each buffer's segment id as #N before the text "
                      "(after the timestamp): with audio.dir, the file's "
                      "position in its sorted list."),
    WEFT_PROP_STRING("meta", "",
                     "A metadata key whose value is printed before the text "
                     "(after the segment id), followed by \": \": with "
                     "`meta = \"file\"`, audio.dir's file name, which the "
                     "feature, acoustic and decoder nodes pass on. A buffer "
                     "without the key prints \"-: \". Empty: nothing."),
    WEFT_PROP_BOOLEAN("words", "false",
                      "After the text, a tab and each word of a decoder's "
                      "result with its time span in seconds, "
                      "word@start-end (nothing when the buffer carries no "
                      "per-word scores)."),
    WEFT_PROP_END
};

const weft_node_class core_text_print_class = {
    .struct_size = sizeof(weft_node_class),
    .name = "text.print",
    .summary = "Print text buffers as lines on standard output",
    .doc =
        "Writes each incoming text buffer as one line on standard output, "
        "flushed at once, optionally after a prefix and the buffer's "
        "timestamp. Its input takes several links, handled in the order "
        "buffers arrive, so a decoder's partial and final outputs can both "
        "be shown. Buffers that carry no text are skipped (counter "
        "`skipped`). With `words`, a decoder's per-word times follow the "
        "text after a tab: `turn on the lights\\tturn@0.32-0.56 "
        "on@0.60-0.72 ...`. With `meta`, a metadata value leads the line: "
        "`meta = \"file\"` after audio.dir gives `alarm.wav: set an "
        "alarm ...`.\n\n"
        "The parts of a line, in order, each only when its property asks "
        "for it: prefix, [timestamp] , #segment , VALUE: (meta), the "
        "text, a tab and the words.\n\n"
        "Examples:\n"
        "    node out = text.print { prefix = \"> \", timestamps = true }\n"
        "    dec -> out\n"
        "    dec.partial -> out\n"
        "    node out = text.print { meta = \"file\", words = true }   "
        "# after audio.dir",
    .flags = WEFT_NODE_SINK | WEFT_NODE_ANY_INPUT,
    .inputs = inputs,
    .props = props,
    .init = text_print_init,
    .process = text_print_process,
    .fini = text_print_fini,
};
