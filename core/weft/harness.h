/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * weft/harness.h: drive one node without a graph, for tests (GStreamer's
 * GstHarness is the model).
 *
 * The harness instantiates a class, sets properties, negotiates with input
 * formats you give, then calls process as the scheduler would: after each
 * pushed buffer, while the node is ready. Outputs are collected per port
 * for you to pull. A fake clock starts at 0 and moves only when told.
 *
 *     weft_harness *h;
 *     weft_harness_new(reg, "identity", &h);
 *     weft_harness_set_input_format(h, 0, "tensor dtype=f32 shape=[4]");
 *     weft_harness_start(h);
 *     weft_harness_push(h, 0, buf);          // transfer full
 *     weft_buf *out = weft_harness_pull(h, 0);
 *     weft_harness_free(h);
 *
 * All calls are [control]; the harness runs the node's callbacks on the
 * caller's thread.
 */
#ifndef WEFT_HARNESS_H
#define WEFT_HARNESS_H

#include <stdarg.h>
#include <weft/registry.h>

WEFT_BEGIN_DECLS

typedef struct weft_harness weft_harness;

/** A harness for class @name from @reg. 0, WEFT_ENOENT or WEFT_ENOMEM. */
WEFT_API int weft_harness_new(const weft_registry *reg, const char *name,
                              weft_harness **out);
/** A harness for a class that is not in a registry (a test's own). */
WEFT_API int weft_harness_new_class(const weft_node_class *cls,
                                    weft_harness **out);
/** Run fini, drop every queued and collected buffer, free. NULL-safe. */
WEFT_API void weft_harness_free(weft_harness *h);

/** Set a property from text before start. 0 or a parse error (see
 * weft_harness_error). */
WEFT_API int weft_harness_set_prop(weft_harness *h, const char *name,
                                   const char *value);
/**
 * Set several properties from NULL-terminated name/value string pairs:
 * weft_harness_set_props(h, "rate", "16k", "path", "a.wav", NULL).
 * Stops at the first failure, whose message names the property (see
 * weft_harness_error). 0 or that failure's code. Since: 0.1
 */
WEFT_API int weft_harness_set_props(weft_harness *h, ...);
/** The same with a va_list, for test helpers that take the pairs. */
WEFT_API int weft_harness_set_props_v(weft_harness *h, va_list ap);
/** Format of input @port (text, parsed), before start. */
WEFT_API int weft_harness_set_input_format(weft_harness *h, uint32_t port,
                                           const char *format);
/** Mark output @port unlinked (optional outputs), before start. */
WEFT_API int weft_harness_unlink_output(weft_harness *h, uint32_t port);

/** init + negotiate. 0 or the node's error code. */
WEFT_API int weft_harness_start(weft_harness *h);

/**
 * weft_harness_push: queue @buf ((transfer full)) on input @port, then run
 * process while the node is ready. Returns the last flow result.
 */
WEFT_API weft_flow weft_harness_push(weft_harness *h, uint32_t port,
                                     weft_buf *buf);
/** End input @port; when all inputs have ended, the node finishes. */
WEFT_API weft_flow weft_harness_push_eos(weft_harness *h, uint32_t port);
/**
 * Run process once if the node is ready (a source: produce once). Returns
 * its flow result, or WEFT_FLOW_AGAIN if it was not ready.
 */
WEFT_API weft_flow weft_harness_step(weft_harness *h);
/** Run a source until it returns EOS or @max_calls calls. */
WEFT_API weft_flow weft_harness_run(weft_harness *h, uint64_t max_calls);

/** Next collected buffer of output @port ((transfer full)), or NULL. */
WEFT_API weft_buf *weft_harness_pull(weft_harness *h, uint32_t port);
/** Number of collected buffers waiting on output @port. */
WEFT_API size_t weft_harness_available(const weft_harness *h, uint32_t port);
/** True once the node has finished (end of stream sent downstream). */
WEFT_API bool weft_harness_finished(const weft_harness *h);

/** Call the node's flush (queued inputs dropped first). */
WEFT_API int weft_harness_flush(weft_harness *h);

/** Set the fake clock (ns). */
WEFT_API void weft_harness_set_clock(weft_harness *h, int64_t ns);

/** The node under test ((transfer none)). */
WEFT_API weft_node *weft_harness_node(weft_harness *h);
/** The negotiated output format ((transfer none)), NULL before start. */
WEFT_API const weft_format *weft_harness_output_format(const weft_harness *h,
                                                       uint32_t port);
/** The last error message ("" if none). */
WEFT_API const char *weft_harness_error(const weft_harness *h);

WEFT_END_DECLS
#endif /* WEFT_HARNESS_H */
