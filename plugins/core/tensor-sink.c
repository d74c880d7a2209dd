/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tensor.sink: concatenate every incoming tensor along dimension 0 into a
 * .npy file, written atomically at end of stream; optionally also the row
 * count of each segment, so that a batch of utterances can share one file.
 */
#include "core-util.h"
#include "npy.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct tensor_sink {
    char *path;
    npy_writer *writer; /* NULL once committed */
    weft_dtype dtype;
    uint32_t ndim;
    int64_t shape[WEFT_TENSOR_MAX_DIMS]; /* shape[0] unused */
    uint64_t n_bufs;
    uint8_t *scratch;   /* for strided tensors */
    size_t scratch_cap;
    /* `lengths`: rows per segment, in segment order. */
    char *lengths_path; /* NULL when the property is unset */
    int64_t *lengths;
    size_t n_lengths, lengths_cap;
    int64_t seg_rows;   /* rows of the segment in progress */
    bool seg_open;      /* a buffer of it has arrived */
    uint64_t seg_id;    /* its segment id */
} tensor_sink;

static int tensor_sink_init(weft_node *node)
{
    tensor_sink *s = calloc(1, sizeof *s);
    const char *lengths;
    char err[512];
    int ret;

    if (!s)
        return weft_node_error(node, WEFT_ENOMEM, "out of memory");
    weft_node_set_priv(node, s);
    if (!(s->path = weft_node_prop_path(node, "path")))
        return WEFT_EINVAL;
    /* Unset or "" (a graph parameter left empty): no lengths file. */
    lengths = weft_node_prop_string(node, "lengths");
    if (lengths && *lengths &&
        !(s->lengths_path = weft_node_prop_path(node, "lengths")))
        return WEFT_EINVAL;
    /* Create the temporary file now, so a directory we cannot write to is
     * reported before the graph runs rather than after all the work. */
    if ((ret = npy_writer_open(s->path, &s->writer, err, sizeof err)) < 0)
        return weft_node_error(node, ret, "%s", err);
    return 0;
}

static void shape_str(char *buf, size_t cap, uint32_t ndim,
                      const int64_t *shape)
{
    size_t n = (size_t)snprintf(buf, cap, "[T");
    for (uint32_t i = 1; i < ndim && n < cap; i++)
        n += (size_t)snprintf(buf + n, cap - n, ",%lld", (long long)shape[i]);
    if (n < cap)
        snprintf(buf + n, cap - n, "]");
}

/* Gather a strided tensor into C order, one element at a time: rare
 * enough (views) not to deserve a faster path. */
static void gather(uint8_t *dst, const weft_buf *b, uint32_t ndim,
                   const int64_t *shape, size_t isz)
{
    const uint8_t *base = weft_buf_cdata(b);
    int64_t idx[WEFT_TENSOR_MAX_DIMS] = { 0 };
    int64_t numel = weft_buf_numel(b);

    for (int64_t e = 0; e < numel; e++) {
        int64_t off = 0;
        for (uint32_t d = 0; d < ndim; d++)
            off += idx[d] * weft_buf_stride(b, d);
        memcpy(dst + (size_t)e * isz, base + off, isz);
        for (int32_t d = (int32_t)ndim - 1; d >= 0; d--) {
            if (++idx[d] < shape[d])
                break;
            idx[d] = 0;
        }
    }
}

static int write_buf(weft_node *node, tensor_sink *s, const weft_buf *b)
{
    weft_dtype dt = weft_buf_dtype(b);
    uint32_t ndim = weft_buf_ndim(b);
    int64_t shape[WEFT_TENSOR_MAX_DIMS];
    const void *data;
    size_t nbytes, isz = npy_dtype_size(dt);
    char err[512], want[160], got[160];
    int ret;

    if (weft_buf_kind(b) != WEFT_KIND_TENSOR)
        return weft_node_error(node, WEFT_ETYPE,
                               "buffer %llu is %s, not a tensor",
                               (unsigned long long)s->n_bufs,
                               weft_kind_name(weft_buf_kind(b)));
    if (!isz)
        return weft_node_error(node, WEFT_ENOTSUP,
                               "dtype %s cannot be stored in a .npy file",
                               weft_dtype_name(dt));
    for (uint32_t i = 0; i < ndim; i++)
        shape[i] = weft_buf_dim(b, i);
    if (ndim == 0) {
        /* A scalar is one row of a 1-D array. */
        ndim = 1;
        shape[0] = 1;
    }
    if (!npy_writer_begun(s->writer)) {
        s->dtype = dt;
        s->ndim = ndim;
        memcpy(s->shape, shape, ndim * sizeof shape[0]);
        ret = npy_writer_begin(s->writer, dt, ndim, shape, err, sizeof err);
        if (ret < 0)
            return weft_node_error(node, ret, "%s", err);
    } else if (dt != s->dtype || ndim != s->ndim ||
               memcmp(shape + 1, s->shape + 1,
                      (ndim - 1) * sizeof shape[0]) != 0) {
        shape_str(want, sizeof want, s->ndim, s->shape);
        shape_str(got, sizeof got, ndim, shape);
        return weft_node_error(node, WEFT_EFORMAT,
                               "buffer %llu (%s %s) does not match the first "
                               "buffer (%s %s): all must share the dtype and "
                               "every dimension but the first",
                               (unsigned long long)s->n_bufs,
                               weft_dtype_name(dt), got,
                               weft_dtype_name(s->dtype), want);
    }
    /* The logical size: a strided view's storage may be larger. */
    nbytes = (size_t)weft_buf_numel(b) * isz;
    if (weft_buf_is_contiguous(b)) {
        data = weft_buf_cdata(b);
    } else {
        if (nbytes > s->scratch_cap) {
            uint8_t *p = realloc(s->scratch, nbytes);
            if (!p)
                return weft_node_error(node, WEFT_ENOMEM, "out of memory");
            s->scratch = p;
            s->scratch_cap = nbytes;
        }
        gather(s->scratch, b, weft_buf_ndim(b), shape, isz);
        data = s->scratch;
    }
    ret = npy_writer_append(s->writer, data, nbytes, shape[0], err,
                            sizeof err);
    if (ret < 0)
        return weft_node_error(node, ret, "%s", err);
    return 0;
}

/* Close the segment in progress: its row count becomes the next entry of
 * the lengths file. */
static int segment_close(weft_node *node, tensor_sink *s)
{
    if (s->n_lengths == s->lengths_cap) {
        size_t cap = s->lengths_cap ? 2 * s->lengths_cap : 256;
        int64_t *p = realloc(s->lengths, cap * sizeof *p);
        if (!p)
            return weft_node_error(node, WEFT_ENOMEM, "out of memory");
        s->lengths = p;
        s->lengths_cap = cap;
    }
    s->lengths[s->n_lengths++] = s->seg_rows;
    s->seg_rows = 0;
    s->seg_open = false;
    return 0;
}

/* Count @b's rows into its segment. A segment ends at a buffer flagged
 * segment-end; a new segment id also ends the one before (a producer that
 * never flags its ends), as does the end of the stream. */
static int segment_count(weft_node *node, tensor_sink *s, const weft_buf *b)
{
    int64_t rows = weft_buf_ndim(b) == 0 ? 1 : weft_buf_dim(b, 0);
    int ret;

    if (s->seg_open && weft_buf_segment(b) != s->seg_id &&
        (ret = segment_close(node, s)) < 0)
        return ret;
    s->seg_open = true;
    s->seg_id = weft_buf_segment(b);
    s->seg_rows += rows;
    if (weft_buf_get_flags(b) & WEFT_BUF_SEGMENT_END)
        return segment_close(node, s);
    return 0;
}

static int lengths_write(weft_node *node, tensor_sink *s)
{
    int64_t n;
    char err[512];
    int ret;

    if (s->seg_open && (ret = segment_close(node, s)) < 0)
        return ret;
    n = (int64_t)s->n_lengths;
    ret = npy_write_file(s->lengths_path, WEFT_DTYPE_I64, 1, &n,
                         s->lengths, err, sizeof err);
    if (ret < 0)
        return weft_node_error(node, ret, "%s", err);
    return 0;
}

static weft_flow tensor_sink_process(weft_node *node)
{
    tensor_sink *s = weft_node_priv(node);
    char err[512];

    for (;;) {
        weft_buf *b = NULL, *host = NULL;
        weft_flow f = weft_node_pop(node, 0, &b);
        int ret;

        if (f == WEFT_FLOW_AGAIN || f == WEFT_FLOW_FLUSHING)
            return WEFT_FLOW_OK;
        if (f == WEFT_FLOW_EOS)
            break;
        if (f != WEFT_FLOW_OK)
            return f;
        /* Device tensors come to the host first. */
        if (weft_buf_kind(b) == WEFT_KIND_TENSOR &&
            weft_buf_domain(b) == WEFT_DOMAIN_CUDA) {
            host = weft_buf_copy(b, WEFT_DOMAIN_HOST, 0);
            if (!host) {
                weft_buf_unref(b);
                weft_node_error(node, WEFT_ENOMEM,
                                "cannot copy a device tensor to the host");
                return WEFT_FLOW_ERROR;
            }
        }
        ret = write_buf(node, s, host ? host : b);
        if (ret == 0 && s->lengths_path)
            ret = segment_count(node, s, b);
        weft_buf_unref(host);
        weft_buf_unref(b);
        if (ret < 0)
            return WEFT_FLOW_ERROR;
        s->n_bufs++;
        weft_node_count(node, "buffers", 1);
    }
    /* The lengths first: a reader that finds the data file finds them. */
    if (s->lengths_path && s->writer && lengths_write(node, s) < 0)
        return WEFT_FLOW_ERROR;
    if (s->writer) {
        npy_writer *w = s->writer;
        s->writer = NULL; /* commit frees it, success or not */
        if (npy_writer_commit(w, err, sizeof err) < 0) {
            weft_node_error(node, WEFT_EIO, "%s", err);
            return WEFT_FLOW_ERROR;
        }
    }
    return WEFT_FLOW_EOS;
}

static void tensor_sink_fini(weft_node *node)
{
    tensor_sink *s = weft_node_priv(node);

    if (!s)
        return;
    /* Still open: the stream never ended (error or stop), so the target
     * keeps its old content and the temporary file goes. */
    npy_writer_abort(s->writer);
    free(s->scratch);
    free(s->lengths);
    free(s->lengths_path);
    free(s->path);
    free(s);
    weft_node_set_priv(node, NULL);
}

static const weft_port_desc inputs[] = {
    WEFT_PORT("in", "tensor",
              "Tensors of one dtype whose dimensions agree except the "
              "first (`tensor dtype=D shape=[T,...]`); any memory domain."),
    WEFT_PORT_END
};

static const weft_prop_desc props[] = {
    WEFT_PROP_PATH("path", NULL,
                   "The .npy file to write; replaced atomically at end of "
                   "stream and left untouched if the stream fails."),
    WEFT_PROP_PATH_OPTIONAL("lengths",
                            "Also write this .npy file: an int64 array "
                            "with the number of rows of each segment, in "
                            "segment order, so the rows of `path` can be "
                            "split back into utterances. Written (also "
                            "atomically) at end of stream, just before "
                            "`path`."),
    WEFT_PROP_END
};

const weft_node_class core_tensor_sink_class = {
    .struct_size = sizeof(weft_node_class),
    .name = "tensor.sink",
    .summary = "Write incoming tensors to a NumPy .npy file",
    .doc =
        "Concatenates every incoming tensor along dimension 0 and writes "
        "the result as a NumPy .npy file (format 1.0, byte for byte what "
        "numpy.save writes). All buffers must have the same dtype and the "
        "same dimensions after the first; a buffer that does not is an "
        "error naming it. A 0-d tensor counts as one row.\n\n"
        "Data streams to a temporary file beside `path` as it arrives; at "
        "end of stream the header is completed, the file synced and renamed "
        "over `path`, so a reader never sees a half-written array and a "
        "failed or interrupted run leaves the old file in place. A stream "
        "with no buffers writes an empty f32 array of shape (0,).\n\n"
        "With `lengths`, the sink also counts the rows of each segment: a "
        "segment ends at a buffer flagged segment-end, at a change of "
        "segment id, or at the end of the stream; a segment-end buffer "
        "with no rows counts as an empty segment. For a folder of "
        "utterances (audio.dir, one segment per file, sorted by name) "
        "this gives each file's row range in one array.\n\n"
        "Examples:\n"
        "    node out = tensor.sink { path = \"features.npy\" }\n"
        "    node out = tensor.sink { path = \"feats.npy\", lengths = "
        "\"lengths.npy\" }",
    .flags = WEFT_NODE_SINK,
    .inputs = inputs,
    .props = props,
    .init = tensor_sink_init,
    .process = tensor_sink_process,
    .fini = tensor_sink_fini,
};
