/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Node instances: the core's side of weft/plugin.h. A node owns its
 * property values, parsed port templates, negotiated formats and error
 * record; how buffers reach and leave it is up to its driver (the test
 * harness, or the scheduler), which plugs in a weft__node_io table.
 */
#ifndef WEFT_NODE_H
#define WEFT_NODE_H

#include <stdatomic.h>
#include <weft/plugin.h>

/* How a driver moves buffers for a node. Each hook gets the driver's ctx. */
typedef struct weft__node_io {
    weft_flow (*pop)(void *ctx, weft_node *node, uint32_t port,
                     weft_buf **out);
    const weft_buf *(*peek)(void *ctx, const weft_node *node, uint32_t port);
    uint32_t (*queued)(void *ctx, const weft_node *node, uint32_t port);
    weft_flow (*push)(void *ctx, weft_node *node, uint32_t port,
                      weft_buf *buf);
    int64_t (*clock)(void *ctx);
} weft__node_io;

#define WEFT__MAX_COUNTERS 16

typedef struct weft__counter {
    const char *name;
    atomic_int_fast64_t value;
} weft__counter;

struct weft_node {
    const weft_node_class *cls;
    char *name;
    char *base_dir;
    void *priv;

    size_t n_props;
    const weft_prop_desc **prop_desc; /* from the class, by index */
    weft_value **values;              /* set or default; NULL if unset */

    uint32_t n_in, n_out;
    const weft_port_desc **in_desc, **out_desc;
    weft_format **in_tmpl, **out_tmpl; /* parsed templates */
    weft_format **in_fmt, **out_fmt;   /* negotiated */
    bool *in_linked, *out_linked;

    const weft__node_io *io;
    void *io_ctx;

    char *error;
    int error_code;
    atomic_bool stopping;
    bool init_done;
    int64_t media_duration;
    int64_t media_offset; /* added to pts for progress; see plugin.h */
    atomic_int n_counters;
    weft__counter counters[WEFT__MAX_COUNTERS];

    void *driver_data; /* for the scheduler */
};

/* A node of class @cls named @name. Errors to @err. */
int weft__node_new(const weft_node_class *cls, const char *name,
                   weft_node **out, char *err, size_t errlen);
void weft__node_free(weft_node *node);
/* Parse and set a property from text. */
int weft__node_set_prop(weft_node *node, const char *name, const char *text,
                        char *err, size_t errlen);
/* Set a parsed value (transfer full; freed on error too). */
int weft__node_set_value(weft_node *node, const char *name, weft_value *v);
int weft__node_set_base_dir(weft_node *node, const char *dir);
void weft__node_set_io(weft_node *node, const weft__node_io *io, void *ctx);
/* Check required properties, then run the class's init. */
int weft__node_init(weft_node *node);
/* @in: one format per input (NULL for unlinked); on success the node holds
 * copies of the inputs and its output formats. */
int weft__node_negotiate(weft_node *node, const weft_format *const *in);
weft_flow weft__node_process(weft_node *node);
int weft__node_flush(weft_node *node);
void weft__node_stop(weft_node *node);
/* Record an error without a node callback (the core's own failures). */
int weft__node_fail(weft_node *node, int code, const char *fmt, ...)
    WEFT_PRINTF(3, 4);

#endif
