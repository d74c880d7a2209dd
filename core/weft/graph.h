/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * weft/graph.h: dataflow graphs: build (from a .weft file, a string or
 * code), check, and run.
 *
 * A graph is a set of named nodes (instances of registered classes, with
 * property values) and links from output ports to input ports. Each link
 * is a bounded queue with an overflow policy. weft_graph_check() resolves
 * and type-checks everything and negotiates the format of every link,
 * collecting every problem it finds as a diagnostic (file:line:col when the
 * graph came from text) instead of stopping at the first.
 *
 * Building from code gives the same checks and messages as graph files:
 *
 *     weft_graph *g = weft_graph_new(reg);
 *     weft_graph_add_node(g, "src", "test.src");
 *     weft_graph_set_prop(g, "src", "count", "10");
 *     weft_graph_add_node(g, "out", "null.sink");
 *     weft_graph_link(g, "src", NULL, "out", NULL, NULL);
 *     if (weft_graph_check(g) < 0) {
 *         char *msg = weft_graph_render_diags(g, false);
 *         fputs(msg, stderr);
 *         free(msg);
 *     }
 *     weft_graph_start(g, NULL);
 *     weft_graph_wait(g, -1);
 *     weft_graph_free(g);
 *
 * Thread rules: every call is [control] except where marked [any-thread]
 * (stop, flush requests, stats snapshots, app source/sink pushes and pulls).
 */
#ifndef WEFT_GRAPH_H
#define WEFT_GRAPH_H

#include <weft/registry.h>

WEFT_BEGIN_DECLS

typedef struct weft_graph weft_graph;

/* ------------------------------------------------------------ diagnostics */

typedef uint32_t weft_diag_severity;
enum {
    WEFT_DIAG_ERROR = 0,
    WEFT_DIAG_WARNING = 1,
    WEFT_DIAG_NOTE = 2
};

/** A place in a graph file. line 0 means "no place" (graphs built in code). */
typedef struct weft_srcloc {
    const char *file; /* as given to the parser; "<string>" for strings */
    uint32_t line;    /* 1-based */
    uint32_t col;     /* 1-based, in bytes */
    uint32_t len;     /* bytes the span covers on that line (>= 1) */
} weft_srcloc;

/** One problem found while parsing or checking. All strings (transfer
 * none), valid until the graph is freed. */
typedef struct weft_diag {
    weft_diag_severity severity;
    weft_srcloc loc;
    const char *message; /* one sentence, no trailing period */
    const char *hint;    /* "did you mean `mfcc`?", or NULL */
} weft_diag;

WEFT_API size_t weft_graph_n_diags(const weft_graph *g);
WEFT_API const weft_diag *weft_graph_diag(const weft_graph *g, size_t i);
/** Number of diagnostics of @severity. */
WEFT_API size_t weft_graph_count_diags(const weft_graph *g,
                                       weft_diag_severity severity);
/**
 * weft_graph_render_diags: every diagnostic as a compiler would print it:
 *
 *     g.weft:7:21: error: class `mfc` does not exist
 *         node feat = mfc { preset = "kaldi" }
 *                     ^^^
 *       hint: did you mean `mfcc`?
 *
 * (transfer full): free() it. @color adds ANSI colours. NULL when out of
 * memory.
 */
WEFT_API char *weft_graph_render_diags(const weft_graph *g, bool color);

/* ------------------------------------------------------------ building */

/** An empty graph over @reg (which must outlive it). NULL if no memory. */
WEFT_API weft_graph *weft_graph_new(const weft_registry *reg);
/** Stop (if running) and free. NULL-safe. [control] */
WEFT_API void weft_graph_free(weft_graph *g);

/**
 * Parse a graph file. @overrides: NULL-terminated "name=value" strings for
 * params (the command line's `beam=8`); unknown names are errors. The graph
 * is returned in *@out even when there are errors, so the caller can render
 * its diagnostics. Returns 0, or WEFT_EPARSE when any error was found,
 * WEFT_ENOMEM, or WEFT_EIO when @path cannot be read (also a diagnostic).
 */
WEFT_API int weft_graph_parse_file(const weft_registry *reg, const char *path,
                                   const char *const *overrides,
                                   weft_graph **out);
/** The same for graph text in memory; @name labels diagnostics, and `use`
 * paths resolve against the current directory, then WEFT_GRAPH_PATH. */
WEFT_API int weft_graph_parse_string(const weft_registry *reg,
                                     const char *text, const char *name,
                                     const char *const *overrides,
                                     weft_graph **out);

/**
 * weft_graph_add_node: add node @name of class @cls. Returns 0, or
 * WEFT_EEXIST (name taken), WEFT_ENOENT (no such class: the diagnostic
 * suggests the nearest), WEFT_EINVAL (bad name).
 */
WEFT_API int weft_graph_add_node(weft_graph *g, const char *name,
                                 const char *cls);
/** Set a property from text (parsed against the class's declaration). */
WEFT_API int weft_graph_set_prop(weft_graph *g, const char *node,
                                 const char *prop, const char *value);

/** What a full queue does to its producer. */
typedef uint32_t weft_overflow;
enum {
    WEFT_OVERFLOW_BLOCK = 0,       /* backpressure (default) */
    WEFT_OVERFLOW_DROP_OLDEST = 1, /* make room by dropping the oldest */
    WEFT_OVERFLOW_DROP_NEWEST = 2  /* drop what is being pushed */
};
/** "block", "drop-oldest", "drop-newest". [any-thread] */
WEFT_API const char *weft_overflow_name(weft_overflow p);

#define WEFT_LINK_DEFAULT_CAPACITY 16

typedef struct weft_link_opts {
    uint32_t struct_size; /* sizeof(weft_link_opts) */
    uint32_t capacity;    /* buffers; 0 means the default */
    weft_overflow overflow;
} weft_link_opts;

/**
 * weft_graph_link: link output @src_port of @src to input @dst_port of
 * @dst. A NULL port means the node's only (or first) port. @opts may be
 * NULL for defaults. Fan-out (one output to several inputs) is allowed;
 * several links into one input need a port declared WEFT_PORT_MULTI.
 */
WEFT_API int weft_graph_link(weft_graph *g, const char *src,
                             const char *src_port, const char *dst,
                             const char *dst_port,
                             const weft_link_opts *opts);

/**
 * weft_graph_check: initialise every node, check the structure (every
 * required port linked, no cycle) and negotiate every link's format in
 * dataflow order. Collects all problems as diagnostics; returns 0 when
 * there is no error, WEFT_EFORMAT/WEFT_EINVAL/... otherwise. Checking twice
 * is harmless. Warnings (unconnected optional ports, unused params) do not
 * fail.
 */
WEFT_API int weft_graph_check(weft_graph *g);

/* ------------------------------------------------------------ inspection */

WEFT_API size_t weft_graph_n_nodes(const weft_graph *g);
/** The @i-th node in declaration order ((transfer none)). */
WEFT_API weft_node *weft_graph_node(const weft_graph *g, size_t i);
WEFT_API weft_node *weft_graph_find_node(const weft_graph *g,
                                         const char *name);

/** A link as weft_graph_edge reports it; strings (transfer none). */
typedef struct weft_edge_info {
    const char *src, *src_port, *dst, *dst_port;
    uint32_t capacity;
    weft_overflow overflow;
    const weft_format *format; /* negotiated; NULL before a clean check */
} weft_edge_info;
WEFT_API size_t weft_graph_n_edges(const weft_graph *g);
WEFT_API int weft_graph_edge(const weft_graph *g, size_t i,
                             weft_edge_info *out);

/* ------------------------------------------------------------ text */

/**
 * weft_graph_format: the canonical form of graph text @text (labelled
 * @name in diagnostics): statements in their order, one per line, aligned,
 * comments kept. Only the syntax is read: classes need not exist.
 * @out: (transfer full) the formatted text on success. @diags: (transfer
 * full) on failure, the syntax errors rendered as weft_graph_render_diags
 * does (may be NULL). Returns 0, WEFT_EPARSE or WEFT_ENOMEM. [any-thread]
 */
WEFT_API int weft_graph_format(const char *text, const char *name, char **out,
                               char **diags);

/**
 * weft_graph_to_dot: Graphviz DOT for @g: nodes labelled with name, class
 * and the properties that differ from their defaults, edges labelled with
 * their negotiated format (after a clean weft_graph_check), the nodes of
 * each subgraph instance ("asr/feat") in a cluster. (transfer full), NULL
 * when out of memory. [control]
 */
WEFT_API char *weft_graph_to_dot(const weft_graph *g);

/* ------------------------------------------------------------ running */

typedef struct weft_run_opts {
    uint32_t struct_size; /* sizeof(weft_run_opts) */
    uint32_t threads;     /* worker threads; 0 = one per core */
    bool realtime;        /* file sources run at media speed */
    const char *trace_path; /* write a Chrome trace-event JSON here */
} weft_run_opts;

/**
 * weft_graph_start: check if not yet checked, then run the graph on worker
 * threads. Returns at once. 0 or an error (then nothing runs). [control]
 */
WEFT_API int weft_graph_start(weft_graph *g, const weft_run_opts *opts);
/**
 * weft_graph_wait: wait until the graph has finished (every sink saw end
 * of stream, or an error or stop ended it), at most @timeout_ns (< 0:
 * forever). Returns 0 when finished cleanly, the failing node's error code
 * after an error (see weft_graph_error), WEFT_EINTR after weft_graph_stop,
 * WEFT_ETIMEDOUT when still running. [control]
 */
WEFT_API int weft_graph_wait(weft_graph *g, int64_t timeout_ns);
/**
 * weft_graph_stop: ask a running graph to drain and stop: sources stop
 * producing (live sources are unblocked), queued data flows to the sinks,
 * and the graph finishes. [any-thread], async-signal-safe.
 */
WEFT_API void weft_graph_stop(weft_graph *g);
/**
 * weft_graph_flush: flush nodes @names (n of them) mid-stream: their queued
 * inputs are dropped and their flush callbacks run, upstream first, each
 * while the node is not processing. Returns once done. [any-thread]
 */
WEFT_API int weft_graph_flush(weft_graph *g, const char *const *names,
                              size_t n);
/** "node 'dec' (ctc.beam): message" of the first failure, or NULL. */
WEFT_API const char *weft_graph_error(const weft_graph *g);

WEFT_END_DECLS
#endif /* WEFT_GRAPH_H */
