/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* image.dir: every image in a folder, sorted, one RGB tensor each. */
#include "io-util.h"

#include <stdio.h>
#include <stdlib.h>

typedef struct image_dir {
    char *dir;
    char **names;
    size_t n, next;
    int64_t max_pixels;
} image_dir;

static int image_dir_init(weft_node *node)
{
    image_dir *s = calloc(1, sizeof *s);
    char err[1024];
    int ret;

    if (!s)
        return weft_node_error(node, WEFT_ENOMEM, "out of memory");
    weft_node_set_priv(node, s);
    io_ffmpeg_setup();
    s->max_pixels = weft_node_prop_int(node, "max_pixels");
    if (!(s->dir = weft_node_prop_path(node, "path")))
        return WEFT_EINVAL;
    if ((ret = io_list_dir(s->dir, io_image_exts, &s->names, &s->n, err, sizeof err)) < 0)
        return weft_node_error(node, ret, "%s", err);
    return 0;
}

static int image_dir_negotiate(weft_node *node, const weft_format *const *in,
                               weft_format **out)
{
    static const char *const names[] = { "H", "W", NULL };
    static const int64_t dims[3] = { -1, -1, 3 };

    (void)in;
    return io_rgb_format(node, dims, names, out);
}

static weft_flow image_dir_process(weft_node *node)
{
    image_dir *s = weft_node_priv(node);
    char err[1024], *path;
    weft_buf *b = NULL;
    bool last;
    int ret;

    if (s->next >= s->n)
        return WEFT_FLOW_EOS;
    if (!(path = io_join(s->dir, s->names[s->next]))) {
        weft_node_error(node, WEFT_ENOMEM, "out of memory");
        return WEFT_FLOW_ERROR;
    }
    ret = io_image_load(path, s->max_pixels, &b, err, sizeof err);
    free(path);
    if (ret < 0) {
        weft_node_error(node, ret, "%s", err);
        return WEFT_FLOW_ERROR;
    }
    weft_buf_set_segment(b, s->next);
    weft_buf_set_flags(b, WEFT_BUF_SEGMENT_END);
    if (io_set_file_meta(node, b, s->names[s->next]) < 0)
        return WEFT_FLOW_ERROR;
    s->next++;
    last = s->next >= s->n;
    return io_push_source(node, b, last);
}

static void image_dir_fini(weft_node *node)
{
    image_dir *s = weft_node_priv(node);

    if (!s)
        return;
    io_free_list(s->names);
    free(s->dir);
    free(s);
    weft_node_set_priv(node, NULL);
}

static const weft_port_desc outputs[] = {
    WEFT_PORT("out", "image/rgb dtype=u8",
              "One buffer per image: `image/rgb dtype=u8 shape=[H,W,3]` with "
              "H and W free (each image keeps its size), segment id = the "
              "image's position in the sorted list, metadata `file` = its "
              "name."),
    WEFT_PORT_END
};

static const weft_prop_desc props[] = {
    WEFT_PROP_PATH("path", NULL,
                   "The folder. Files named *.png, *.jpg, *.jpeg, *.bmp, *.webp, "
                   "*.gif, *.tif, *.tiff, *.ppm, *.pgm, *.pnm, *.tga (any case) "
                   "are read, sorted by name; hidden files and others are skipped."),
    WEFT_PROP_INT("max_pixels", IO_DEFAULT_MAX_PIXELS, 1, 4294836225.0, "pixels",
                  "Largest image accepted (width x height); a bigger one stops "
                  "the graph with an error naming it, before it is decoded."),
    WEFT_PROP_END
};

const weft_node_class io_image_dir_class = {
    .struct_size = sizeof(weft_node_class),
    .name = "image.dir",
    .summary = "Decode every image in a folder, one RGB tensor each",
    .doc =
        "For batch jobs: lists the images in a folder at init, sorted by "
        "name (bytewise), and sends each as a u8 [H, W, 3] RGB tensor like "
        "image.file does, its file name in the metadata key `file` and its "
        "index as the segment id. A file that fails to decode stops the "
        "graph with an error naming it. An empty folder sends nothing.\n\n"
        "Example:\n"
        "    node imgs = image.dir { path = \"photos/\" }",
    .flags = WEFT_NODE_SOURCE,
    .outputs = outputs,
    .props = props,
    .init = image_dir_init,
    .negotiate = image_dir_negotiate,
    .process = image_dir_process,
    .fini = image_dir_fini,
};
