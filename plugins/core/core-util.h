/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * core-util.h: small helpers shared by the classes of the core plugin.
 * Internal to the plugin (hidden by its version script).
 */
#ifndef WEFT_PLUGIN_CORE_UTIL_H
#define WEFT_PLUGIN_CORE_UTIL_H

#include <weft/plugin.h>

/* The node classes, one per file. */
extern const weft_node_class core_tensor_src_class;
extern const weft_node_class core_tensor_sink_class;
extern const weft_node_class core_text_print_class;
extern const weft_node_class core_text_file_class;
extern const weft_node_class core_text_lines_class;
extern const weft_node_class core_null_sink_class;
extern const weft_node_class core_identity_class;
extern const weft_node_class core_test_src_class;

/**
 * core_time_ns: the time of item @index at @rate items per second, in
 * nanoseconds. Computed from the index each time (never accumulated), and
 * exactly for whole-number rates, so timestamps do not drift.
 * WEFT_TIME_NONE when @rate <= 0.
 */
int64_t core_time_ns(int64_t index, double rate);

/**
 * core_push_source: push @buf ((transfer full)) from a source and turn the
 * result into what its process should return: EOS when @last or when
 * downstream wants no more, OK otherwise.
 */
weft_flow core_push_source(weft_node *node, weft_buf *buf, bool last);

#endif /* WEFT_PLUGIN_CORE_UTIL_H */
