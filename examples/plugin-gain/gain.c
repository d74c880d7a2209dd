/* SPDX-License-Identifier: MIT */
/*
 * gain.c: a complete third-party Weft plugin with one node class, `gain`,
 * which multiplies every element of an f32 tensor by a constant.
 *
 * It is built out of tree against an installed Weft, with nothing but
 * `pkg-config --cflags --libs weft-1` (see the Makefile beside it), and is
 * meant to be copied as the starting point of a new plugin.
 */
#include <stdlib.h>

#include <weft/plugin.h>

/* Per-node state, made in init and freed in fini. */
typedef struct gain_state {
    float gain;
} gain_state;

/*
 * init [control]: properties are already parsed and range-checked by the
 * core against the descriptor below, so reading them cannot fail.
 */
static int gain_init(weft_node *node)
{
    gain_state *st = calloc(1, sizeof *st);
    if (!st)
        return weft_node_error(node, WEFT_ENOMEM, "out of memory");
    st->gain = (float)weft_node_prop_float(node, "gain");
    weft_node_set_priv(node, st);
    return 0;
}

/* fini [control]: called even when init failed, so priv may be NULL. */
static void gain_fini(weft_node *node)
{
    free(weft_node_priv(node));
}

/* Scale one buffer; @buf is (transfer full) and is always consumed. */
static weft_flow gain_buffer(weft_node *node, const gain_state *st,
                             weft_buf *buf)
{
    if (weft_buf_kind(buf) != WEFT_KIND_TENSOR ||
        weft_buf_dtype(buf) != WEFT_DTYPE_F32) {
        weft_buf_unref(buf);
        weft_node_error(node, WEFT_ETYPE, "expected an f32 tensor");
        return WEFT_FLOW_ERROR;
    }
    if (weft_buf_domain(buf) == WEFT_DOMAIN_CUDA) {
        weft_buf_unref(buf);
        weft_node_error(node, WEFT_ENOTSUP,
                        "gain runs on the CPU; got a CUDA buffer");
        return WEFT_FLOW_ERROR;
    }

    /* A gain of exactly 1 passes the buffer on untouched, without a copy. */
    if (st->gain != 1.0f) {
        /*
         * The buffer may be shared with other consumers (fan-out): write
         * only into a private copy. When this node holds the only
         * reference, make_writable returns the buffer itself and the
         * scaling happens in place.
         */
        buf = weft_buf_make_writable(buf);
        if (!buf) {
            weft_node_error(node, WEFT_ENOMEM, "out of memory");
            return WEFT_FLOW_ERROR;
        }
        if (!weft_buf_is_contiguous(buf)) {
            weft_buf_unref(buf);
            weft_node_error(node, WEFT_ENOTSUP,
                            "non-contiguous tensors are not supported");
            return WEFT_FLOW_ERROR;
        }
        float *x = weft_buf_data(buf);
        int64_t n = weft_buf_numel(buf);
        for (int64_t i = 0; i < n; i++)
            x[i] *= st->gain;
    }

    /* Pushing hands our reference over, whatever the result. */
    return weft_node_push(node, 0, buf);
}

/*
 * process [worker]: take every queued buffer. Returning OK means "call me
 * again when there is more"; EOS means this node has finished.
 */
static weft_flow gain_process(weft_node *node)
{
    const gain_state *st = weft_node_priv(node);

    for (;;) {
        weft_buf *buf;
        weft_flow f = weft_node_pop(node, 0, &buf);
        if (f == WEFT_FLOW_AGAIN || f == WEFT_FLOW_FLUSHING)
            return WEFT_FLOW_OK; /* nothing more for now */
        if (f != WEFT_FLOW_OK)
            return f; /* EOS: the input has ended and is drained */

        f = gain_buffer(node, st, buf);
        if (f == WEFT_FLOW_FLUSHING)
            return WEFT_FLOW_OK;
        if (f != WEFT_FLOW_OK)
            return f; /* ERROR, or EOS: nobody downstream wants more */
    }
}

static const weft_port_desc gain_inputs[] = {
    WEFT_PORT("in", "tensor dtype=f32", "Tensors to scale, of any shape."),
    WEFT_PORT_END
};

static const weft_port_desc gain_outputs[] = {
    WEFT_PORT("out", "tensor dtype=f32",
              "The input tensors, each element multiplied by `gain`; shape, "
              "timestamps and metadata are unchanged."),
    WEFT_PORT_END
};

static const weft_prop_desc gain_props[] = {
    WEFT_PROP_FLOAT("gain", "1.0", -1e6, 1e6, NULL,
                    "Factor every element is multiplied by. 1.0 passes "
                    "buffers through untouched, 0 gives zeros, a negative "
                    "value also inverts the sign."),
    WEFT_PROP_END
};

static const weft_node_class gain_class = {
    .struct_size = sizeof(weft_node_class),
    .name = "gain",
    .summary = "Multiply an f32 tensor by a constant factor",
    .doc = "Multiplies every element of each f32 tensor on `in` by the "
           "property `gain` and pushes the result on `out`. For audio this "
           "is a volume change: gain=0.5 lowers the level by about 6 dB.\n"
           "\n"
           "The output format is the input format. Buffers are scaled in "
           "place when this node holds the only reference, and copied "
           "otherwise. Host memory only.",
    .flags = 0,
    .inputs = gain_inputs,
    .outputs = gain_outputs,
    .props = gain_props,
    .init = gain_init,
    .negotiate = NULL, /* the default passes the input format through */
    .process = gain_process,
    .flush = NULL,     /* no state to drop */
    .fini = gain_fini,
    .unblock = NULL,   /* process never blocks */
};

static const weft_node_class *const gain_classes[] = { &gain_class, NULL };

static const weft_plugin_desc gain_plugin = {
    .abi_version = WEFT_ABI_VERSION,
    .struct_size = sizeof(weft_plugin_desc),
    .name = "gain",
    .version = "1.0",
    .license = "MIT",
    .summary = "Example third-party plugin: scale tensors",
    .classes = gain_classes,
};

/* The one exported symbol (gain.map hides everything else). */
WEFT_PLUGIN_EXPORT const weft_plugin_desc *weft_plugin_entry(void)
{
    return &gain_plugin;
}
