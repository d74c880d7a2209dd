/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * weft/plugin.h: the plugin ABI. The only header a plugin includes.
 *
 * A plugin is a shared object exporting one symbol, weft_plugin_entry, that
 * returns a static descriptor: the plugin's name, version and license, and a
 * NULL-terminated array of node classes. A node class declares its ports
 * (with format templates), its typed properties and its callbacks.
 *
 * Lifecycle of a node (each callback documents its thread):
 *
 *     init        [control]  properties are set; read them, allocate,
 *                            open files. Fail with weft_node_error().
 *     negotiate   [control]  input formats are known; produce output formats.
 *     process     [worker]   pop inputs, push outputs. Called when the node is
 *                            ready (see WEFT_NODE_ANY_INPUT), never on two
 *                            threads at once.
 *     flush       [worker]   drop queued data and state (barge-in, seek);
 *                            never concurrent with process.
 *     fini        [control]  free everything; called even if init failed.
 *
 * Callbacks must not call the graph API (weft/graph.h, weft/run.h) on the
 * graph that runs them: stopping, flushing or waiting from inside a node
 * deadlocks. Plugins never create threads: the scheduler owns them. A live
 * source (WEFT_NODE_LIVE) has process called on a thread of its own where
 * it may block in a device read; the core calls unblock from another thread when
 * it must stop.
 *
 * ABI rules: descriptor structs start with struct_size (or abi_version) and
 * grow only at the end; the core reads fields past an older plugin's
 * struct_size as zero. A change that cannot follow these rules bumps
 * WEFT_ABI_VERSION, and the core refuses plugins built for another one.
 *
 * Minimal plugin:
 *
 *     static weft_flow gain_process(weft_node *n) {
 *         weft_buf *b;
 *         weft_flow f = weft_node_pop(n, 0, &b);
 *         if (f != WEFT_FLOW_OK) return f == WEFT_FLOW_AGAIN ? WEFT_FLOW_OK : f;
 *         b = weft_buf_make_writable(b);
 *         ... scale the floats ...
 *         return weft_node_push(n, 0, b);
 *     }
 *     static const weft_port_desc ins[]  = { WEFT_PORT("in", "tensor dtype=f32", "Input."), WEFT_PORT_END };
 *     static const weft_port_desc outs[] = { WEFT_PORT("out", "tensor dtype=f32", "Scaled."), WEFT_PORT_END };
 *     static const weft_prop_desc props[] = {
 *         WEFT_PROP_FLOAT("gain", "1.0", -1e6, 1e6, NULL, "Factor."), WEFT_PROP_END };
 *     static const weft_node_class gain = { .struct_size = sizeof gain,
 *         .name = "gain", .summary = "Scale a tensor", .inputs = ins,
 *         .outputs = outs, .props = props, .process = gain_process };
 *     static const weft_node_class *const classes[] = { &gain, NULL };
 *     static const weft_plugin_desc desc = { WEFT_ABI_VERSION, sizeof desc,
 *         "gain", "1.0", "MIT", "Example", classes };
 *     WEFT_PLUGIN_EXPORT const weft_plugin_desc *weft_plugin_entry(void)
 *     { return &desc; }
 */
#ifndef WEFT_PLUGIN_H
#define WEFT_PLUGIN_H

#include <weft/buf.h>
#include <weft/common.h>
#include <weft/format.h>
#include <weft/log.h>
#include <weft/prop.h>

WEFT_BEGIN_DECLS

/** The ABI this header describes. Since: 0.1 */
#define WEFT_ABI_VERSION 1

/** Export macro for the entry symbol (plugins build -fvisibility=hidden). */
#if defined(__GNUC__)
#define WEFT_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define WEFT_PLUGIN_EXPORT
#endif

/** A node instance as a plugin sees it: opaque. */
typedef struct weft_node weft_node;

/* ---------------------------------------------------------------- ports */

typedef uint32_t weft_port_flags;
enum {
    WEFT_PORT_OPTIONAL = 1u << 0, /* may stay unconnected */
    WEFT_PORT_MULTI = 1u << 1     /* input: several links merge into it */
};

/**
 * weft_port_desc: one input or output port. Arrays end with WEFT_PORT_END;
 * see weft_prop_desc for why struct_size comes first.
 */
typedef struct weft_port_desc {
    uint32_t struct_size;
    weft_port_flags flags;
    const char *name;   /* "in", "out", "partial", ... */
    const char *format; /* template, see weft/format.h */
    const char *doc;
} weft_port_desc;

#define WEFT_PORT_F(n, fmt, flg, d) \
    { sizeof(weft_port_desc), (flg), (n), (fmt), (d) }
#define WEFT_PORT(n, fmt, d) WEFT_PORT_F(n, fmt, 0, d)
#define WEFT_PORT_END { 0, 0, NULL, NULL, NULL }

/* ------------------------------------------------------------ properties */

#define WEFT_PROP_(t, n, def, lo, hi, u, ch, et, fl, d) \
    { sizeof(weft_prop_desc), (t), (n), (d), (def), (u), (lo), (hi), (ch), (et), (fl) }
#define WEFT_PROP_BOOL_(n, def, d) \
    WEFT_PROP_(WEFT_PROP_BOOL, n, def, 0, 0, NULL, NULL, 0, 0, d)
/** Bool property with default "true"/"false". */
#define WEFT_PROP_BOOLEAN(n, def, d) WEFT_PROP_BOOL_(n, def, d)
/** Integer in [lo, hi], with an optional unit. */
#define WEFT_PROP_INT(n, def, lo, hi, u, d) \
    WEFT_PROP_(WEFT_PROP_INT, n, def, lo, hi, u, NULL, 0, \
               WEFT_PROP_HAS_MIN | WEFT_PROP_HAS_MAX, d)
/** Float in [lo, hi], with an optional unit. */
#define WEFT_PROP_FLOAT(n, def, lo, hi, u, d) \
    WEFT_PROP_(WEFT_PROP_FLOAT, n, def, lo, hi, u, NULL, 0, \
               WEFT_PROP_HAS_MIN | WEFT_PROP_HAS_MAX, d)
#define WEFT_PROP_STRING(n, def, d) \
    WEFT_PROP_(WEFT_PROP_STRING, n, def, 0, 0, NULL, NULL, 0, 0, d)
/** A file name; a NULL default makes it required. */
#define WEFT_PROP_PATH(n, def, d) \
    WEFT_PROP_(WEFT_PROP_PATH, n, def, 0, 0, NULL, NULL, 0, \
               (def) ? 0 : WEFT_PROP_REQUIRED, d)
/** An optional file name with no default: unset, its getter gives NULL. */
#define WEFT_PROP_PATH_OPTIONAL(n, d) \
    WEFT_PROP_(WEFT_PROP_PATH, n, NULL, 0, 0, NULL, NULL, 0, 0, d)
/** Enum of the NULL-terminated @choices. */
#define WEFT_PROP_ENUM(n, def, choices, d) \
    WEFT_PROP_(WEFT_PROP_ENUM, n, def, 0, 0, NULL, choices, 0, 0, d)
/** List of @elem_type (WEFT_PROP_INT, ...). */
#define WEFT_PROP_LIST(n, def, elem_type, d) \
    WEFT_PROP_(WEFT_PROP_LIST, n, def, 0, 0, NULL, NULL, elem_type, 0, d)
#define WEFT_PROP_END { 0, 0, NULL, NULL, NULL, NULL, 0, 0, NULL, 0, 0 }

/* ---------------------------------------------------------------- classes */

typedef uint32_t weft_node_flags;
enum {
    WEFT_NODE_SOURCE = 1u << 0,   /* no inputs; produces data */
    WEFT_NODE_SINK = 1u << 1,     /* no outputs; the graph ends with these */
    WEFT_NODE_LIVE = 1u << 2,     /* paced by a device clock; own thread */
    WEFT_NODE_CUDA = 1u << 3,     /* can run on a CUDA stream */
    WEFT_NODE_STATEFUL = 1u << 4, /* keeps state across buffers (flushable) */
    WEFT_NODE_ANY_INPUT = 1u << 5 /* ready when any input has data, not all */
};

typedef struct weft_node_class {
    uint32_t struct_size; /* sizeof(weft_node_class) */
    const char *name;     /* dotted: "ctc.beam", "audio.file" */
    const char *summary;  /* one line, no final period */
    const char *doc;      /* paragraphs for `weft inspect CLASS` */
    weft_node_flags flags;
    const weft_port_desc *inputs;  /* WEFT_PORT_END-terminated, may be NULL */
    const weft_port_desc *outputs; /* likewise */
    const weft_prop_desc *props;   /* WEFT_PROP_END-terminated, may be NULL */

    /**
     * init [control]: read properties (weft_node_prop*), allocate state and
     * store it with weft_node_set_priv. Return 0 or a negative code after
     * weft_node_error(). May be NULL.
     */
    int (*init)(weft_node *node);

    /**
     * negotiate [control]: @in holds one fixed format per input port (NULL
     * for an unconnected optional port); set @out[i] for each output port
     * ((transfer full) to the core). A NULL @out[i] after the call means the
     * port's template (fixated). May be NULL: then a node with one input
     * passes its input format to every output whose template accepts it,
     * and any other node uses its templates. Return 0 or a negative code
     * after weft_node_error().
     */
    int (*negotiate)(weft_node *node, const weft_format *const *in,
                     weft_format **out);

    /**
     * process [worker]: pop input buffers, push output buffers. Return
     * WEFT_FLOW_OK to be called again when ready, WEFT_FLOW_EOS when the
     * node has finished (a source at its end; the core sends end of stream
     * downstream), WEFT_FLOW_ERROR after weft_node_error(). When every
     * input has ended, process is called once more with pops answering
     * WEFT_FLOW_EOS, so the node can push what it still holds.
     */
    weft_flow (*process)(weft_node *node);

    /**
     * flush [worker]: forget queued data and stream state (recurrent state,
     * partial hypotheses); the core has already emptied the input queues.
     * Never runs concurrently with process. May be NULL.
     */
    int (*flush)(weft_node *node);

    /** fini [control]: free the private state. Called once, even after a
     * failed init. May be NULL. */
    void (*fini)(weft_node *node);

    /**
     * unblock [any-thread]: make a blocking process (a live source in its
     * device read) return soon; the core calls it when stopping. May be NULL.
     */
    void (*unblock)(weft_node *node);
} weft_node_class;

/* ---------------------------------------------------------------- plugins */

typedef struct weft_plugin_desc {
    uint32_t abi_version; /* WEFT_ABI_VERSION the plugin was built with */
    uint32_t struct_size; /* sizeof(weft_plugin_desc) */
    const char *name;     /* unique plugin name: "core", "mfcc", ... */
    const char *version;
    const char *license;  /* SPDX identifier */
    const char *summary;
    const weft_node_class *const *classes; /* NULL-terminated */
    /** Plugin-wide setup [control], once after loading; nonzero makes the
     * loader skip the plugin. May be NULL. */
    int (*init)(void);
    /** Plugin-wide teardown [control], when the registry is freed. */
    void (*fini)(void);
} weft_plugin_desc;

/** The one symbol a plugin exports. */
typedef const weft_plugin_desc *(*weft_plugin_entry_fn)(void);
#define WEFT_PLUGIN_ENTRY_SYMBOL "weft_plugin_entry"

/* ---------------------------------------------------- node services [ABI] */

/** The node's private state, as set by weft_node_set_priv. [any-thread] */
WEFT_API void *weft_node_priv(const weft_node *node);
/** Set the private state (the node frees it in fini). [control] */
WEFT_API void weft_node_set_priv(weft_node *node, void *priv);
/** The instance name from the graph ("dec"). (transfer none) [any-thread] */
WEFT_API const char *weft_node_name(const weft_node *node);
/** The node's class. (transfer none) [any-thread] */
WEFT_API const weft_node_class *weft_node_get_class(const weft_node *node);

/**
 * Property values as set on the node (or their defaults). The typed getters
 * assume the type the class declared (the core checked it); a missing
 * property returns 0/false/NULL. Strings are (transfer none), valid until
 * fini. [control] during init; [worker] for WEFT_PROP_RUNTIME properties.
 */
WEFT_API const weft_value *weft_node_prop(const weft_node *node,
                                          const char *name);
WEFT_API bool weft_node_prop_bool(const weft_node *node, const char *name);
WEFT_API int64_t weft_node_prop_int(const weft_node *node, const char *name);
WEFT_API double weft_node_prop_float(const weft_node *node, const char *name);
WEFT_API const char *weft_node_prop_string(const weft_node *node,
                                           const char *name);
/** Enum property: the index of the chosen value. */
WEFT_API int32_t weft_node_prop_enum(const weft_node *node, const char *name);

/** Port counts and lookup by name (-1 when absent). [any-thread] */
WEFT_API uint32_t weft_node_n_inputs(const weft_node *node);
WEFT_API uint32_t weft_node_n_outputs(const weft_node *node);
WEFT_API int32_t weft_node_input_index(const weft_node *node,
                                       const char *name);
WEFT_API int32_t weft_node_output_index(const weft_node *node,
                                        const char *name);
/** True when the port has a link (optional ports may not). [any-thread] */
WEFT_API bool weft_node_input_linked(const weft_node *node, uint32_t port);
WEFT_API bool weft_node_output_linked(const weft_node *node, uint32_t port);

/**
 * Negotiated formats, after negotiate ((transfer none), NULL before or for
 * an unlinked port). [worker]
 */
WEFT_API const weft_format *weft_node_input_format(const weft_node *node,
                                                   uint32_t port);
WEFT_API const weft_format *weft_node_output_format(const weft_node *node,
                                                    uint32_t port);

/**
 * weft_node_pop [worker]: take the next buffer of input @port.
 * @out: (transfer full) the buffer when WEFT_FLOW_OK.
 * Returns WEFT_FLOW_OK, WEFT_FLOW_AGAIN (nothing queued now), WEFT_FLOW_EOS
 * (the port has ended and is drained) or WEFT_FLOW_FLUSHING.
 */
WEFT_API weft_flow weft_node_pop(weft_node *node, uint32_t port,
                                 weft_buf **out);
/** The next buffer of @port without taking it ((transfer none)), or NULL. */
WEFT_API const weft_buf *weft_node_peek(const weft_node *node, uint32_t port);
/** Number of buffers queued on input @port. [worker] */
WEFT_API uint32_t weft_node_queued(const weft_node *node, uint32_t port);

/**
 * weft_node_push [worker]: send @buf ((transfer full), always consumed) out
 * of output @port to every link (fan-out shares the buffer by reference).
 * Returns WEFT_FLOW_OK, WEFT_FLOW_FLUSHING, or WEFT_FLOW_EOS when nobody
 * downstream wants more. Pushing to an unlinked port drops the buffer and
 * returns OK.
 */
WEFT_API weft_flow weft_node_push(weft_node *node, uint32_t port,
                                  weft_buf *buf);

/**
 * weft_node_error [any callback]: record why the node failed; the graph
 * reports "node 'NAME' (CLASS): message". Returns @code (a WEFT_E* code),
 * so `return weft_node_error(n, WEFT_EIO, "cannot open %s", p);` reads well
 * in init; process callbacks return WEFT_FLOW_ERROR after calling it.
 */
WEFT_API int weft_node_error(weft_node *node, int code, const char *fmt, ...)
    WEFT_PRINTF(3, 4);
/** The recorded error message, or NULL. [any-thread] */
WEFT_API const char *weft_node_error_message(const weft_node *node);

/** Log under the node's class name, prefixed with the node name. */
WEFT_API void weft_node_log(const weft_node *node, weft_log_level level,
                            const char *fmt, ...) WEFT_PRINTF(3, 4);

/**
 * The graph's clock in nanoseconds (monotonic; a fake clock under the test
 * harness). [any-thread]
 */
WEFT_API int64_t weft_node_clock_ns(const weft_node *node);

/** True once the graph is stopping: live sources should return. */
WEFT_API bool weft_node_is_stopping(const weft_node *node);

/**
 * A source that knows the length of its media reports it, so `weft run`
 * can show progress. [control] or [worker]
 */
WEFT_API void weft_node_set_media_duration(weft_node *node,
                                           int64_t duration_ns);

/**
 * A source whose timestamps restart within its media (audio.dir: pts from
 * 0 in each file) states the media time at which the current part starts,
 * so that progress, and realtime pacing, count its buffers at
 * @offset_ns + pts rather than at pts alone, and its position keeps
 * growing to the duration it reported. 0 until set. [worker], from the
 * node's own process, before pushing the part's first buffer.
 */
WEFT_API void weft_node_set_media_offset(weft_node *node, int64_t offset_ns);

/**
 * Add @delta to the node's named counter ("overruns", "drops"), shown by
 * `weft run --stats` and readable in tests. Names are static strings.
 * [worker]
 */
WEFT_API void weft_node_count(weft_node *node, const char *counter,
                              int64_t delta);
/** Read a counter (0 if never counted). [any-thread] */
WEFT_API int64_t weft_node_counter(const weft_node *node, const char *counter);

/**
 * Directory of the graph file that created the node ("" for graphs built
 * in code), so that relative paths in properties resolve against it.
 */
WEFT_API const char *weft_node_base_dir(const weft_node *node);

/**
 * weft_node_prop_path: the string property @prop as a file path, resolved
 * against weft_node_base_dir() when relative (a relative path in a graph
 * file means relative to that file, not to wherever `weft run` started).
 * Returns (transfer full) a malloc'd string, or NULL after
 * weft_node_error() when the property is unset or empty (WEFT_EINVAL,
 * "property 'path' is not set") or memory runs out. [control] [worker]
 * Since: 0.1 (issue 8)
 */
WEFT_API char *weft_node_prop_path(weft_node *node, const char *prop);

/* -------------------------------------------------- shared read-only data */

/**
 * weft_shared_acquire [any-thread]: the shared object registered under @key
 * ("asr:/models/en/model.safetensors"), created by @create(@arg, &obj) on
 * first use. Many nodes (graph instances, streams) share one model this
 * way, the weights kept out of node state. Each successful acquire is paired
 * with weft_shared_release; the last release calls @destroy. Returns 0 or
 * the error @create returned.
 */
typedef int (*weft_shared_create_fn)(void *arg, void **obj);
typedef void (*weft_shared_destroy_fn)(void *obj);
WEFT_API int weft_shared_acquire(const char *key, weft_shared_create_fn create,
                                 weft_shared_destroy_fn destroy, void *arg,
                                 void **obj);
WEFT_API void weft_shared_release(void *obj);

/**
 * weft_shared_acquire_dir [control]: the object loaded from directory @dir
 * by @load, shared by every node that names the same directory (however
 * spelled: the key is @kind and the directory's real path). On failure the
 * loader's one-line message (or the code's text) is reported with
 * weft_node_error() on @node and its code returned. Release with
 * weft_shared_release. Since: 0.1 (issue 8)
 */
typedef int (*weft_dir_load_fn)(const char *dir, void **obj, char *err,
                                size_t err_cap);
WEFT_API int weft_shared_acquire_dir(weft_node *node, const char *kind,
                                     const char *dir, weft_dir_load_fn load,
                                     weft_shared_destroy_fn destroy,
                                     void **obj);

WEFT_END_DECLS
#endif /* WEFT_PLUGIN_H */
