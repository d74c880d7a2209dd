/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* null.sink: accept anything, drop it, count it. */
#include "core-util.h"

static weft_flow null_sink_process(weft_node *node)
{
    for (;;) {
        weft_buf *b = NULL;
        weft_flow f = weft_node_pop(node, 0, &b);

        if (f == WEFT_FLOW_AGAIN || f == WEFT_FLOW_FLUSHING)
            return WEFT_FLOW_OK;
        if (f != WEFT_FLOW_OK)
            return f;
        weft_buf_unref(b);
        weft_node_count(node, "buffers", 1);
    }
}

static const weft_port_desc inputs[] = {
    WEFT_PORT_F("in", "any", WEFT_PORT_MULTI,
                "Anything (`any`); several links may feed it."),
    WEFT_PORT_END
};

const weft_node_class core_null_sink_class = {
    .struct_size = sizeof(weft_node_class),
    .name = "null.sink",
    .summary = "Drop every buffer, counting them",
    .doc =
        "Accepts buffers of any format and drops them, adding each to the "
        "counter `buffers` (shown by `weft run --stats`). Useful to end a "
        "branch whose output is not needed, and to measure the throughput "
        "of what comes before it.\n\n"
        "Example:\n"
        "    node drop = null.sink\n"
        "    feat -> drop",
    .flags = WEFT_NODE_SINK | WEFT_NODE_ANY_INPUT,
    .inputs = inputs,
    .process = null_sink_process,
};
