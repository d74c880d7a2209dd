/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The graph model shared by the builder (graph.c), the language front end
 * (core/lang/) and the scheduler (core/sched/). Nodes and edges live in
 * growable arrays and are referred to by index; nothing is removed once
 * added, so indices stay valid for the graph's lifetime.
 */
#ifndef WEFT_GRAPH_PRIVATE_H
#define WEFT_GRAPH_PRIVATE_H

#include <weft/graph.h>

#include "node.h"

typedef enum weft__graph_state {
    WEFT__GRAPH_BUILDING = 0, /* nodes and links may be added */
    WEFT__GRAPH_CHECKED,      /* init + negotiation done, no errors */
    WEFT__GRAPH_RUNNING,      /* the scheduler owns the nodes */
    WEFT__GRAPH_DONE          /* finished, stopped or failed */
} weft__graph_state;

typedef struct weft__gnode {
    weft_node *node;    /* the instance; owns name and property values.
                           NULL when the class was unknown: the name stays
                           reserved so later uses do not cascade errors */
    char *name;         /* the node's name (also when node is NULL) */
    bool failed;        /* init or negotiation failed: skip downstream */
    int32_t first_in;   /* newest edge into this node, -1: none (see
                           weft__edge.next_in) */
    weft_srcloc loc;    /* where it was declared (line 0: from code) */
    weft_srcloc class_loc;
    bool init_tried;
} weft__gnode;

typedef struct weft__edge {
    uint32_t src, src_port; /* node index, output port index */
    uint32_t dst, dst_port; /* node index, input port index */
    uint32_t capacity;
    weft_overflow overflow;
    weft_format *format;    /* negotiated (owned), NULL before check */
    weft_srcloc loc;        /* the `->` of the link in the file */
    int32_t next_in;        /* the previous edge into the same node, -1 */
} weft__edge;

/* Source text kept for rendering diagnostics with the offending line. */
typedef struct weft__source {
    char *name;
    char *text;
} weft__source;

typedef struct weft__diag_rec {
    weft_diag d;        /* d.message/d.hint/d.loc.file point into below */
    char *message, *hint;
} weft__diag_rec;

struct weft__sched; /* core/sched/: the running state */

struct weft_graph {
    const weft_registry *reg;
    weft__graph_state state;

    weft__gnode *nodes;
    size_t n_nodes, cap_nodes;
    /* Open-addressing index of node names (node index + 1, 0 = empty), so
     * that building a graph of n nodes costs O(n), not O(n^2). */
    uint32_t *name_index;
    size_t name_cap; /* a power of two, at least twice n_nodes */
    weft__edge *edges;
    size_t n_edges, cap_edges;

    weft__diag_rec *diags;
    size_t n_diags, cap_diags;
    weft__source *sources;
    size_t n_sources;

    bool checked;  /* weft_graph_check ran; check_rc is its verdict */
    int check_rc;
    char *error; /* first run-time failure: "node 'x' (cls): msg" */
    struct weft__sched *sched;
};

/* Add a diagnostic; @loc may be NULL. @hint may be NULL. Never fails
 * visibly: out of memory drops the diagnostic (the error code still
 * reports failure). */
void weft__graph_diag(weft_graph *g, weft_diag_severity sev,
                      const weft_srcloc *loc, const char *hint,
                      const char *fmt, ...) WEFT_PRINTF(5, 6);
/* Keep @text of file @name for rendering; returns the stored name (stable
 * for the graph's life, for weft_srcloc.file) or NULL. Takes ownership of
 * @text (transfer full). */
const char *weft__graph_add_source(weft_graph *g, const char *name,
                                   char *text);

/* Builders with source locations, for the language front end. Each adds a
 * diagnostic on failure and returns a negative code. */
int weft__graph_add_node_at(weft_graph *g, const char *name, const char *cls,
                            const weft_srcloc *loc,
                            const weft_srcloc *class_loc);
int weft__graph_set_prop_at(weft_graph *g, const char *node, const char *prop,
                            const char *value, const weft_srcloc *name_loc,
                            const weft_srcloc *value_loc);
int weft__graph_link_at(weft_graph *g, const char *src, const char *src_port,
                        const char *dst, const char *dst_port,
                        const weft_link_opts *opts, const weft_srcloc *src_loc,
                        const weft_srcloc *dst_loc);
/* Directory that relative paths of @node's properties resolve against
 * (the directory of the file that declared it). */
int weft__graph_set_base_dir(weft_graph *g, const char *node,
                             const char *dir);
int32_t weft__graph_node_index(const weft_graph *g, const char *name);

/* Check helpers (graph-check.c). */
int weft__graph_check(weft_graph *g);

/* The scheduler's entry points (core/sched/). */
int weft__sched_start(weft_graph *g, const weft_run_opts *opts);
int weft__sched_wait(weft_graph *g, int64_t timeout_ns);
void weft__sched_stop(weft_graph *g);
int weft__sched_flush(weft_graph *g, const uint32_t *nodes, size_t n);
void weft__sched_free(weft_graph *g);

#endif
