/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * weft/weft.h: the umbrella header of libweft.
 *
 * Weft runs declarative dataflow graphs of nodes that plugins provide:
 * audio/video I/O, speech features, acoustic and text models, decoders,
 * speech output. This header pulls in the whole public API:
 *
 *   weft/common.h    error codes, flow results, thread tags
 *   weft/buf.h       reference-counted buffers (tensor, text, message)
 *   weft/format.h    port formats: parse, intersect, fixate
 *   weft/prop.h      typed property values
 *   weft/log.h       categorised logging (WEFT_DEBUG)
 *   weft/plugin.h    the plugin ABI (all a plugin needs)
 *   weft/registry.h  loading plugins, finding node classes
 *   weft/harness.h   driving one node in tests
 *   weft/graph.h     building, checking and running graphs
 *   weft/run.h       run statistics, progress, app sources and sinks
 *
 * Example: load the installed plugins and run one `identity` node by hand
 * (build with `cc demo.c $(pkg-config --cflags --libs weft-1)`):
 *
 *     #include <stdio.h>
 *     #include <weft/weft.h>
 *
 *     int main(void)
 *     {
 *         weft_log_set_handler(weft_log_handler_stderr, NULL);
 *         weft_registry *reg = weft_registry_new();
 *         weft_registry_scan(reg, 0);
 *         weft_harness *h;
 *         if (weft_harness_new(reg, "identity", &h) < 0)
 *             return 1;
 *         weft_harness_set_input_format(h, 0, "tensor dtype=f32 shape=[3]");
 *         weft_harness_start(h);
 *         int64_t shape[] = {3};
 *         weft_buf *in = weft_buf_new_tensor(WEFT_DTYPE_F32, 1, shape,
 *                                            WEFT_DOMAIN_HOST, 0);
 *         float *x = weft_buf_data(in);
 *         x[0] = 1, x[1] = 2, x[2] = 3;
 *         weft_harness_push(h, 0, in);            // hands the reference over
 *         weft_buf *out = weft_harness_pull(h, 0);
 *         const float *y = weft_buf_cdata(out);
 *         printf("%g %g %g\n", y[0], y[1], y[2]);
 *         weft_buf_unref(out);
 *         weft_harness_free(h);
 *         weft_registry_free(reg);
 *         return 0;
 *     }
 */
#ifndef WEFT_WEFT_H
#define WEFT_WEFT_H

#include <weft/buf.h>
#include <weft/common.h>
#include <weft/format.h>
#include <weft/harness.h>
#include <weft/log.h>
#include <weft/plugin.h>
#include <weft/prop.h>
#include <weft/registry.h>
#include <weft/run.h>

#endif /* WEFT_WEFT_H */
