/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* core-util.c: helpers shared by the core plugin's classes. */
#include "core-util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int64_t core_time_ns(int64_t index, double rate)
{
    if (!(rate > 0))
        return WEFT_TIME_NONE;
    if (rate == floor(rate) && rate <= 1e9) {
        /* Split to stay exact and clear of overflow for any int64 index
         * whose time fits in int64. */
        int64_t r = (int64_t)rate;
        return (index / r) * 1000000000 + (index % r) * 1000000000 / r;
    }
    return llround((double)index * 1e9 / rate);
}

weft_flow core_push_source(weft_node *node, weft_buf *buf, bool last)
{
    weft_flow f = weft_node_push(node, 0, buf);

    if (f == WEFT_FLOW_EOS || last)
        return WEFT_FLOW_EOS;
    /* FLUSHING: the buffer was dropped; carry on when called again. */
    return WEFT_FLOW_OK;
}
