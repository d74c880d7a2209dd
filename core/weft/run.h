/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * weft/run.h: running graphs from a program: statistics, progress, traces,
 * a test clock, and application sources and sinks.
 *
 * weft/graph.h starts, waits for, stops and flushes a graph; this header
 * adds what an embedding program or a tool needs around a run:
 *
 *   - per-node and per-link statistics, as structs or as a ready-made
 *     table or JSON document (what `weft run --stats` prints);
 *   - progress of file sources (position, duration, speed, ETA);
 *   - a replaceable clock, so tests of live sources are exact;
 *   - the built-in classes `app.src` and `app.sink`, through which a
 *     program pushes buffers into a graph and pulls results out
 *     (GStreamer's appsrc/appsink). Every registry resolves them.
 *
 * Example: feed a graph from C and read what comes out.
 *
 *     weft_graph *g;
 *     weft_graph_parse_string(reg,
 *         "weft 1\n"
 *         "node in  = app.src { format = \"tensor dtype=f32 shape=[4]\" }\n"
 *         "node id  = identity\n"
 *         "node out = app.sink\n"
 *         "in -> id -> out\n", "demo", NULL, &g);
 *     weft_graph_start(g, NULL);
 *     weft_graph_app_push(g, "in", buf);      // hands the reference over
 *     weft_graph_app_end(g, "in");
 *     weft_buf *b;
 *     while (weft_graph_app_pull(g, "out", -1, &b) == WEFT_FLOW_OK)
 *         weft_buf_unref(b);
 *     weft_graph_wait(g, -1);
 *     weft_graph_free(g);
 *
 * Statistics, progress and the app functions may be called while the graph
 * runs and after it finished, until weft_graph_free.
 */
#ifndef WEFT_RUN_H
#define WEFT_RUN_H

#include <weft/graph.h>

WEFT_BEGIN_DECLS

/* ------------------------------------------------------------ statistics */

/**
 * weft_node_stats: what one node did in a run. Times in nanoseconds;
 * percentiles come from a log-linear histogram (within 1/8 of the value).
 */
typedef struct weft_node_stats {
    uint32_t struct_size;   /* sizeof(weft_node_stats), set by the caller */
    const char *name;       /* (transfer none), valid until graph free */
    const char *class_name; /* likewise */
    uint64_t buffers_in;    /* buffers popped from its inputs */
    uint64_t buffers_out;   /* buffers pushed (once per push, not per link) */
    uint64_t calls;         /* process calls */
    int64_t busy_ns;        /* total time inside process */
    int64_t process_mean_ns, process_p50_ns, process_p99_ns;
    uint32_t max_queue_depth; /* deepest any of its input links got */
    uint64_t drops;           /* buffers dropped on its input links */
    uint64_t latency_samples; /* sinks: buffers with a timestamp */
    int64_t latency_p50_ns, latency_p99_ns; /* sinks: pts to clock, or -1 */
} weft_node_stats;

/**
 * weft_graph_node_stats: statistics of the @i-th node (declaration order)
 * into @out (whose struct_size the caller sets). Returns 0, WEFT_EINVAL for
 * a bad index, WEFT_ESTATE before the graph was started. [any-thread]
 */
WEFT_API int weft_graph_node_stats(const weft_graph *g, size_t i,
                                   weft_node_stats *out);

/** weft_link_stats: one link's queue in a run. */
typedef struct weft_link_stats {
    uint32_t struct_size; /* sizeof(weft_link_stats), set by the caller */
    uint64_t pushed;      /* buffers offered to the link */
    uint64_t dropped;     /* dropped by its overflow policy */
    uint32_t depth;       /* buffers queued now */
    uint32_t max_depth;   /* deepest it got */
} weft_link_stats;

/**
 * weft_graph_link_stats: statistics of the @i-th link (weft_graph_edge
 * order). Returns 0, WEFT_EINVAL or WEFT_ESTATE. [any-thread]
 */
WEFT_API int weft_graph_link_stats(const weft_graph *g, size_t i,
                                   weft_link_stats *out);

/**
 * weft_graph_stats_table: the statistics as the aligned text table that
 * `weft run --stats` prints, one row per node (plus node counters).
 * (transfer full): free() it. NULL before start or when out of memory.
 * [any-thread]
 */
WEFT_API char *weft_graph_stats_table(const weft_graph *g);

/**
 * weft_graph_stats_json: the same as one JSON object {"nodes": [...],
 * "links": [...], "wall_ns": N, "sys_allocs": N}. (transfer full): free()
 * it. NULL before start or when out of memory. [any-thread]
 */
WEFT_API char *weft_graph_stats_json(const weft_graph *g);

/* -------------------------------------------------------------- progress */

typedef struct weft_progress {
    uint32_t struct_size; /* sizeof(weft_progress), set by the caller */
    int64_t position_ns;  /* media time the sources have produced */
    int64_t duration_ns;  /* total media time, -1 when no source knows it */
    int64_t elapsed_ns;   /* since start, by the graph's clock */
    double speed;         /* position / elapsed (x real time), 0 if unknown */
    int64_t eta_ns;       /* time left at this speed, -1 if unknown */
    bool finished;
} weft_progress;

/**
 * weft_graph_progress: where the run is. Sources report their media length
 * with weft_node_set_media_duration; the position is the end time (pts +
 * duration) of the last buffer the slowest such source pushed. Returns 0 or
 * WEFT_ESTATE before start. [any-thread]
 */
WEFT_API int weft_graph_progress(const weft_graph *g, weft_progress *out);

/* ----------------------------------------------------------- run set-up */

/** A clock in nanoseconds (monotonic), and its user data. */
typedef int64_t (*weft_clock_fn)(void *ctx);

/**
 * weft_graph_set_clock: replace the graph's clock (what weft_node_clock_ns
 * returns to its nodes and what sink latencies and realtime pacing use) by
 * @fn(@ctx), a fake clock for tests. NULL restores the monotonic clock.
 * Before weft_graph_start only: WEFT_ESTATE afterwards. [control]
 */
WEFT_API int weft_graph_set_clock(weft_graph *g, weft_clock_fn fn, void *ctx);

/**
 * weft_graph_set_trace_logical: timestamp the trace (weft_run_opts
 * trace_path) with an event counter instead of the clock, so that two runs
 * with one thread give byte-identical traces. Before start only. [control]
 */
WEFT_API int weft_graph_set_trace_logical(weft_graph *g, bool logical);

/* ------------------------------------------------------ app sources/sinks */

/**
 * weft_graph_app_push: push @buf ((transfer full), always consumed) out of
 * the `app.src` node @name, as if the node had pushed it. With a blocking
 * link that is full, waits for room (backpressure on the caller).
 * Returns WEFT_FLOW_OK, WEFT_FLOW_EOS when nobody downstream wants more or
 * the graph is stopping or done, WEFT_FLOW_ERROR when @name is not a
 * running app.src. [any-thread] (not a worker: it may block)
 */
WEFT_API weft_flow weft_graph_app_push(weft_graph *g, const char *name,
                                       weft_buf *buf);

/**
 * weft_graph_app_end: end the stream of app.src @name: downstream sees end
 * of stream after what was pushed. Returns 0, WEFT_ENOENT, WEFT_ESTATE.
 * [any-thread]
 */
WEFT_API int weft_graph_app_end(weft_graph *g, const char *name);

/**
 * weft_graph_app_pull: take the next buffer that reached the `app.sink`
 * node @name, waiting at most @timeout_ns (< 0: forever, 0: poll).
 * @out: (transfer full) the buffer when WEFT_FLOW_OK.
 * Returns WEFT_FLOW_OK, WEFT_FLOW_EOS (its inputs ended and everything was
 * pulled), WEFT_FLOW_AGAIN (timed out), WEFT_FLOW_ERROR (no such running
 * app.sink). An app.sink holds buffers in its link queue, so a program that
 * stops pulling holds the graph back. [any-thread]
 */
WEFT_API weft_flow weft_graph_app_pull(weft_graph *g, const char *name,
                                       int64_t timeout_ns, weft_buf **out);

WEFT_END_DECLS
#endif /* WEFT_RUN_H */
