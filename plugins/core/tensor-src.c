/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tensor.src: stream a .npy file as tensor buffers, `chunk` rows of
 * dimension 0 at a time.
 */
#include "core-util.h"
#include "npy.h"

#include <stdlib.h>
#include <string.h>

typedef struct tensor_src {
    char *path;
    npy_reader *reader;
    int64_t chunk;     /* rows per buffer; 0: all */
    double frame_rate; /* rows per second; 0: no timestamps */
    uint32_t ndim;     /* as emitted: a 0-d array becomes [1] */
    int64_t shape[WEFT_TENSOR_MAX_DIMS];
    int64_t row;       /* next row to emit */
    bool emitted;      /* at least one buffer went out */
} tensor_src;

static int tensor_src_init(weft_node *node)
{
    tensor_src *s = calloc(1, sizeof *s);
    const npy_info *info;
    char err[512];
    int ret;

    if (!s)
        return weft_node_error(node, WEFT_ENOMEM, "out of memory");
    weft_node_set_priv(node, s);
    s->chunk = weft_node_prop_int(node, "chunk");
    s->frame_rate = weft_node_prop_float(node, "frame_rate");
    if (!(s->path = weft_node_prop_path(node, "path")))
        return WEFT_EINVAL;
    /* The header is read now, not at the first process, so that negotiate
     * can state the dtype and shape and `weft check` catches a mismatch
     * before anything runs. */
    if ((ret = npy_reader_open(s->path, &s->reader, err, sizeof err)) < 0)
        return weft_node_error(node, ret, "%s", err);
    info = npy_reader_info(s->reader);
    if (info->ndim == 0) {
        /* A scalar has no dimension to stream along: emit it as one row. */
        s->ndim = 1;
        s->shape[0] = 1;
    } else {
        s->ndim = info->ndim;
        memcpy(s->shape, info->shape, info->ndim * sizeof info->shape[0]);
    }
    if (s->frame_rate > 0)
        weft_node_set_media_duration(node,
                                     core_time_ns(s->shape[0], s->frame_rate));
    return 0;
}

static int tensor_src_negotiate(weft_node *node, const weft_format *const *in,
                                weft_format **out)
{
    tensor_src *s = weft_node_priv(node);
    const npy_info *info = npy_reader_info(s->reader);
    int64_t dims[WEFT_TENSOR_MAX_DIMS];
    const char *names[WEFT_TENSOR_MAX_DIMS] = { "T" };
    weft_format *f;

    (void)in;
    /* Dimension 0 stays free: chunks (and the last one above all) vary. */
    memcpy(dims, s->shape, s->ndim * sizeof dims[0]);
    dims[0] = -1;
    f = weft_format_new("tensor");
    if (!f || weft_format_set_string(f, "dtype", weft_dtype_name(info->dtype)) < 0 ||
        weft_format_set_shape(f, (int32_t)s->ndim, dims, names) < 0) {
        weft_format_free(f);
        return weft_node_error(node, WEFT_ENOMEM, "out of memory");
    }
    out[0] = f;
    return 0;
}

static weft_flow tensor_src_process(weft_node *node)
{
    tensor_src *s = weft_node_priv(node);
    const npy_info *info = npy_reader_info(s->reader);
    int64_t rows = s->shape[0], n, shape[WEFT_TENSOR_MAX_DIMS];
    weft_buf *b;
    char err[512];
    int ret;
    bool last;

    if (s->row >= rows && s->emitted)
        return WEFT_FLOW_EOS;
    n = rows - s->row;
    if (s->chunk > 0 && s->chunk < n)
        n = s->chunk;
    last = s->row + n >= rows;
    memcpy(shape, s->shape, s->ndim * sizeof shape[0]);
    shape[0] = n;
    b = weft_buf_new_tensor(info->dtype, s->ndim, shape, WEFT_DOMAIN_HOST, 0);
    if (!b) {
        /* An empty array is sent as one empty buffer where the core allows
         * zero-sized tensors, and as nothing where it does not. */
        if (n == 0)
            return WEFT_FLOW_EOS;
        weft_node_error(node, WEFT_ENOMEM, "%s: cannot allocate %lld rows",
                        s->path, (long long)n);
        return WEFT_FLOW_ERROR;
    }
    ret = npy_reader_read_rows(s->reader, s->row, n, weft_buf_data(b), err,
                               sizeof err);
    if (ret < 0) {
        weft_buf_unref(b);
        weft_node_error(node, ret, "%s", err);
        return WEFT_FLOW_ERROR;
    }
    if (s->frame_rate > 0) {
        int64_t t0 = core_time_ns(s->row, s->frame_rate);
        weft_buf_set_pts(b, t0);
        weft_buf_set_duration(b, core_time_ns(s->row + n, s->frame_rate) - t0);
    } else {
        weft_buf_set_pts(b, WEFT_TIME_NONE);
        weft_buf_set_duration(b, WEFT_TIME_NONE);
    }
    if (last)
        weft_buf_set_flags(b, weft_buf_get_flags(b) | WEFT_BUF_SEGMENT_END);
    s->row += n;
    s->emitted = true;
    return core_push_source(node, b, last);
}

static void tensor_src_fini(weft_node *node)
{
    tensor_src *s = weft_node_priv(node);

    if (!s)
        return;
    npy_reader_close(s->reader);
    free(s->path);
    free(s);
    weft_node_set_priv(node, NULL);
}

static const weft_port_desc outputs[] = {
    WEFT_PORT("out", "tensor",
              "The array's rows: `tensor dtype=D shape=[T,...]` with the "
              "dtype and the trailing dimensions of the file."),
    WEFT_PORT_END
};

static const weft_prop_desc props[] = {
    WEFT_PROP_PATH("path", NULL,
                   "The .npy file to read (format 1.0-3.0, little-endian, C "
                   "order; f32, f64, f16, i8, u8, i16, i32, i64 or bool)."),
    WEFT_PROP_INT("chunk", "0", 0, 9e18, "rows",
                  "Rows of dimension 0 per buffer; 0 sends the whole array "
                  "in one buffer. The last buffer may be shorter."),
    WEFT_PROP_FLOAT("frame_rate", "0", 0, 1e9, "Hz",
                    "Rows per second, for timestamps: row i is at i / "
                    "frame_rate seconds. 0 leaves pts and duration unset."),
    WEFT_PROP_END
};

const weft_node_class core_tensor_src_class = {
    .struct_size = sizeof(weft_node_class),
    .name = "tensor.src",
    .summary = "Read a NumPy .npy file and stream it as tensors",
    .doc =
        "Reads a NumPy .npy array and sends it downstream in chunks of "
        "`chunk` rows along dimension 0 (all of it in one buffer when chunk "
        "is 0). The output format names the file's dtype and trailing "
        "dimensions, with dimension 0 free: an f32 array of shape (100, 29) "
        "gives `tensor dtype=f32 shape=[T,29]`. A 0-d array is sent as one "
        "row of shape [1].\n\n"
        "With `frame_rate` set, each buffer's pts is its first row's index "
        "divided by the rate and its duration covers its rows. The last "
        "buffer is flagged segment-end, then the stream ends. The header is "
        "checked strictly (magic, length, dict syntax, dtype, shape against "
        "the file size); a bad file fails at init with one line naming it.\n\n"
        "Example:\n"
        "    node src = tensor.src { path = \"logits.npy\", chunk = 10, "
        "frame_rate = 100 }",
    .flags = WEFT_NODE_SOURCE,
    .outputs = outputs,
    .props = props,
    .init = tensor_src_init,
    .negotiate = tensor_src_negotiate,
    .process = tensor_src_process,
    .fini = tensor_src_fini,
};
