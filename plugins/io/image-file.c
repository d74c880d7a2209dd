/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* image.file: decode one image file to an RGB tensor. */
#include "io-util.h"

#include <stdlib.h>

typedef struct image_file {
    char *path;
    weft_buf *img;
} image_file;

static int image_file_init(weft_node *node)
{
    image_file *s = calloc(1, sizeof *s);
    char err[1024];
    int ret;

    if (!s)
        return weft_node_error(node, WEFT_ENOMEM, "out of memory");
    weft_node_set_priv(node, s);
    io_ffmpeg_setup();
    if (!(s->path = weft_node_prop_path(node, "path")))
        return WEFT_EINVAL;
    /* Decoded now so that the output format states the real size. */
    ret = io_image_load(s->path, weft_node_prop_int(node, "max_pixels"), &s->img, err,
                        sizeof err);
    if (ret < 0)
        return weft_node_error(node, ret, "%s", err);
    return 0;
}

static int image_file_negotiate(weft_node *node, const weft_format *const *in,
                                weft_format **out)
{
    image_file *s = weft_node_priv(node);
    int64_t dims[3] = { weft_buf_dim(s->img, 0), weft_buf_dim(s->img, 1), 3 };

    (void)in;
    return io_rgb_format(node, dims, NULL, out);
}

static weft_flow image_file_process(weft_node *node)
{
    image_file *s = weft_node_priv(node);
    weft_buf *b = s->img;

    if (!b)
        return WEFT_FLOW_EOS;
    s->img = NULL;
    weft_buf_set_pts(b, 0);
    weft_buf_set_flags(b, WEFT_BUF_SEGMENT_END);
    if (io_set_file_meta(node, b, io_basename(s->path)) < 0)
        return WEFT_FLOW_ERROR;
    weft_node_push(node, 0, b);
    return WEFT_FLOW_EOS;
}

static void image_file_fini(weft_node *node)
{
    image_file *s = weft_node_priv(node);

    if (!s)
        return;
    weft_buf_unref(s->img);
    free(s->path);
    free(s);
    weft_node_set_priv(node, NULL);
}

static const weft_port_desc outputs[] = {
    WEFT_PORT("out", "image/rgb dtype=u8",
              "The image: `image/rgb dtype=u8 shape=[H,W,3]`, one u8 tensor of "
              "shape [H, W, 3] (rows top to bottom, RGB interleaved), with the "
              "file name in the metadata key `file`."),
    WEFT_PORT_END
};

static const weft_prop_desc props[] = {
    WEFT_PROP_PATH("path", NULL,
                   "The image: PNG, JPEG, BMP, WebP, GIF (first frame), TIFF, "
                   "PPM/PGM, TGA, ... anything FFmpeg decodes. Relative to the "
                   "graph file."),
    WEFT_PROP_INT("max_pixels", IO_DEFAULT_MAX_PIXELS, 1, 4294836225.0, "pixels",
                  "Largest image accepted (width x height); bigger ones, or a "
                  "side over 65535, are refused before decoding."),
    WEFT_PROP_END
};

const weft_node_class io_image_file_class = {
    .struct_size = sizeof(weft_node_class),
    .name = "image.file",
    .summary = "Decode an image file to an RGB u8 tensor",
    .doc =
        "Decodes an image with FFmpeg and converts it with libswscale to 8-bit "
        "RGB: one buffer, a u8 tensor of shape [H, W, 3] in the format "
        "`image/rgb dtype=u8 shape=[H,W,3]`, then the stream ends. The image "
        "is decoded at init, so the output format states its exact size. "
        "JPEG's full-range YUV is converted at full range. Images over "
        "`max_pixels` are refused from their header, before any decoder "
        "allocates memory.\n\n"
        "Example:\n"
        "    node img = image.file { path = \"cat.jpg\" }",
    .flags = WEFT_NODE_SOURCE,
    .outputs = outputs,
    .props = props,
    .init = image_file_init,
    .negotiate = image_file_negotiate,
    .process = image_file_process,
    .fini = image_file_fini,
};
