/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* core-util.c: helpers shared by the core plugin's classes. */
#include "core-util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

char *core_path(weft_node *node, const char *prop)
{
    const char *path = weft_node_prop_string(node, prop);
    const char *base = weft_node_base_dir(node);
    char *out;
    size_t bl, pl;

    if (!path || !*path) {
        weft_node_error(node, WEFT_EINVAL, "property '%s' is not set", prop);
        return NULL;
    }
    /* A relative path in a graph file means relative to that file, not to
     * wherever `weft run` happens to be started. */
    if (path[0] == '/' || !base || !*base) {
        out = strdup(path);
    } else {
        bl = strlen(base);
        pl = strlen(path);
        out = malloc(bl + 1 + pl + 1);
        if (out) {
            memcpy(out, base, bl);
            out[bl] = '/';
            memcpy(out + bl + 1, path, pl + 1);
        }
    }
    if (!out)
        weft_node_error(node, WEFT_ENOMEM, "out of memory");
    return out;
}

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
