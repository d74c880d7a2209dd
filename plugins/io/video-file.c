/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* video.file: decode the frames of a video file to RGB tensors. */
#include "io-util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>

typedef struct video_file {
    char *path;
    AVFormatContext *fmt;
    AVCodecContext *dec;
    AVPacket *pkt;
    AVFrame *frame, *held; /* held: the last frame, for a chosen fps */
    io_rgb_conv *conv;
    int stream, width, height;
    double fps;            /* requested; 0: the stream's own frames */
    int64_t k;             /* next output frame index (fps mode) */
    int64_t start_pts;     /* stream start, in stream time base */
    bool input_done, eof;
} video_file;

static int video_file_init(weft_node *node)
{
    video_file *s = calloc(1, sizeof *s);
    const AVCodec *codec = NULL;
    const AVStream *st;
    int64_t max_pixels = weft_node_prop_int(node, "max_pixels");
    char err[1024], e[128];
    int ret;

    if (!s)
        return weft_node_error(node, WEFT_ENOMEM, "out of memory");
    weft_node_set_priv(node, s);
    io_ffmpeg_setup();
    s->fps = weft_node_prop_float(node, "fps");
    if (!(s->path = weft_node_prop_path(node, "path")))
        return WEFT_EINVAL;
    if ((ret = io_file_precheck(s->path, err, sizeof err)) < 0)
        return weft_node_error(node, ret, "%s", err);
    if ((ret = avformat_open_input(&s->fmt, s->path, NULL, NULL)) < 0 ||
        (ret = avformat_find_stream_info(s->fmt, NULL)) < 0)
        return weft_node_error(node, WEFT_EFORMAT, "%s: not a media file FFmpeg can read: %s",
                               s->path, io_averr(ret, e, sizeof e));
    ret = av_find_best_stream(s->fmt, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
    if (ret < 0 || !codec)
        return weft_node_error(node, ret == AVERROR_DECODER_NOT_FOUND ? WEFT_ENOTSUP : WEFT_EFORMAT,
                               "%s: %s", s->path, ret == AVERROR_DECODER_NOT_FOUND
                               ? "unsupported video codec" : "no video stream");
    s->stream = ret;
    st = s->fmt->streams[ret];
    for (unsigned i = 0; i < s->fmt->nb_streams; i++)
        if ((int)i != ret)
            s->fmt->streams[i]->discard = AVDISCARD_ALL;
    s->width = st->codecpar->width;
    s->height = st->codecpar->height;
    if (s->width <= 0 || s->height <= 0 || s->width > IO_MAX_DIM || s->height > IO_MAX_DIM ||
        (int64_t)s->width * s->height > max_pixels)
        return weft_node_error(node, WEFT_ERANGE, "%s: video frames of %dx%d pixels are "
                               "invalid or over the limit of %lld pixels (max_pixels)",
                               s->path, s->width, s->height, (long long)max_pixels);
    s->start_pts = st->start_time != AV_NOPTS_VALUE ? st->start_time : 0;
    if (!(s->dec = avcodec_alloc_context3(codec)) || !(s->pkt = av_packet_alloc()) ||
        !(s->frame = av_frame_alloc()) || !(s->held = av_frame_alloc()) ||
        !(s->conv = io_rgb_conv_new()))
        return weft_node_error(node, WEFT_ENOMEM, "out of memory");
    avcodec_parameters_to_context(s->dec, st->codecpar);
    s->dec->max_pixels = max_pixels;
    if ((ret = avcodec_open2(s->dec, codec, NULL)) < 0)
        return weft_node_error(node, WEFT_EFORMAT, "%s: cannot open the %s decoder: %s",
                               s->path, codec->name, io_averr(ret, e, sizeof e));
    if (s->fmt->duration > 0)
        weft_node_set_media_duration(node, av_rescale(s->fmt->duration, 1000000000,
                                                      AV_TIME_BASE));
    return 0;
}

static int video_file_negotiate(weft_node *node, const weft_format *const *in,
                                weft_format **out)
{
    video_file *s = weft_node_priv(node);
    int64_t dims[3] = { s->height, s->width, 3 };

    (void)in;
    return io_rgb_format(node, dims, NULL, out);
}

/* The next decoded frame into s->frame: 1, 0 at the end, <0 on error. */
static int next_frame(weft_node *node, video_file *s)
{
    char e[128];
    int ret;

    for (;;) {
        ret = avcodec_receive_frame(s->dec, s->frame);
        if (ret == 0)
            return 1;
        if (ret == AVERROR_EOF)
            return 0;
        if (ret != AVERROR(EAGAIN))
            return weft_node_error(node, WEFT_EFORMAT, "%s: corrupt video: %s", s->path,
                                   io_averr(ret, e, sizeof e));
        if (s->input_done)
            return 0;
        ret = av_read_frame(s->fmt, s->pkt);
        if (ret < 0) {
            s->input_done = true;
            avcodec_send_packet(s->dec, NULL);
            continue;
        }
        if (s->pkt->stream_index == s->stream &&
            (ret = avcodec_send_packet(s->dec, s->pkt)) < 0 && ret != AVERROR(EAGAIN)) {
            av_packet_unref(s->pkt);
            return weft_node_error(node, WEFT_EFORMAT, "%s: corrupt video: %s", s->path,
                                   io_averr(ret, e, sizeof e));
        }
        av_packet_unref(s->pkt);
    }
}

static int64_t frame_ns(const video_file *s, const AVFrame *f)
{
    int64_t p = f->best_effort_timestamp;
    if (p == AV_NOPTS_VALUE)
        return WEFT_TIME_NONE;
    return av_rescale_q(p - s->start_pts, s->fmt->streams[s->stream]->time_base,
                        (AVRational){ 1, 1000000000 });
}

static weft_flow emit(weft_node *node, video_file *s, const AVFrame *f, int64_t pts,
                      int64_t dur)
{
    int64_t shape[3] = { s->height, s->width, 3 };
    weft_buf *b;

    if (f->width != s->width || f->height != s->height) {
        weft_node_error(node, WEFT_EFORMAT, "%s: frame size changed from %dx%d to %dx%d",
                        s->path, s->width, s->height, f->width, f->height);
        return WEFT_FLOW_ERROR;
    }
    if (!(b = weft_buf_new_tensor(WEFT_DTYPE_U8, 3, shape, WEFT_DOMAIN_HOST, 0))) {
        weft_node_error(node, WEFT_ENOMEM, "out of memory");
        return WEFT_FLOW_ERROR;
    }
    if (io_rgb_conv_run(s->conv, f, b) < 0) {
        weft_buf_unref(b);
        weft_node_error(node, WEFT_ENOTSUP, "%s: cannot convert the frames to RGB", s->path);
        return WEFT_FLOW_ERROR;
    }
    weft_buf_set_pts(b, pts);
    weft_buf_set_duration(b, dur);
    return weft_node_push(node, 0, b) == WEFT_FLOW_EOS ? WEFT_FLOW_EOS : WEFT_FLOW_OK;
}

static weft_flow video_file_process(weft_node *node)
{
    video_file *s = weft_node_priv(node);
    const AVStream *st = s->fmt->streams[s->stream];
    int ret;

    if (s->eof)
        return WEFT_FLOW_EOS;
    if (s->fps <= 0) {
        /* The stream's own frames and timestamps. */
        int64_t dur = WEFT_TIME_NONE;
        if ((ret = next_frame(node, s)) <= 0) {
            s->eof = true;
            return ret < 0 ? WEFT_FLOW_ERROR : WEFT_FLOW_EOS;
        }
        if (s->frame->pkt_duration > 0)
            dur = av_rescale_q(s->frame->pkt_duration, st->time_base, (AVRational){ 1, 1000000000 });
        weft_flow f = emit(node, s, s->frame, frame_ns(s, s->frame), dur);
        av_frame_unref(s->frame);
        return f;
    }
    /* A chosen rate: output frame k (at k / fps) shows the last decoded
     * frame whose pts is not after it; frames are repeated or dropped. */
    for (;;) {
        int64_t t = io_time_ns(s->k, s->fps);
        if (s->held->buf[0] && (s->input_done && !s->frame->buf[0] ? true : false)) {
            /* After the last frame: cover its duration, then stop. */
            int64_t end = frame_ns(s, s->held) +
                          av_rescale_q(s->held->pkt_duration > 0 ? s->held->pkt_duration : 0,
                                       st->time_base, (AVRational){ 1, 1000000000 });
            if (t >= end) {
                s->eof = true;
                return WEFT_FLOW_EOS;
            }
            s->k++;
            return emit(node, s, s->held, t, io_time_ns(s->k, s->fps) - t);
        }
        if (!s->frame->buf[0]) {
            if ((ret = next_frame(node, s)) < 0)
                return WEFT_FLOW_ERROR;
            if (ret == 0) {
                s->input_done = true;
                if (!s->held->buf[0]) {
                    s->eof = true;
                    return WEFT_FLOW_EOS;
                }
                continue;
            }
        }
        if (frame_ns(s, s->frame) <= t) {
            /* The newest frame at or before t becomes the one shown. */
            av_frame_unref(s->held);
            av_frame_move_ref(s->held, s->frame);
            continue;
        }
        if (!s->held->buf[0]) {
            /* The first frame starts after t: show it from the start. */
            av_frame_move_ref(s->held, s->frame);
            continue;
        }
        s->k++;
        return emit(node, s, s->held, t, io_time_ns(s->k, s->fps) - t);
    }
}

static void video_file_fini(weft_node *node)
{
    video_file *s = weft_node_priv(node);

    if (!s)
        return;
    io_rgb_conv_free(s->conv);
    av_frame_free(&s->frame);
    av_frame_free(&s->held);
    av_packet_free(&s->pkt);
    avcodec_free_context(&s->dec);
    avformat_close_input(&s->fmt);
    free(s->path);
    free(s);
    weft_node_set_priv(node, NULL);
}

static const weft_port_desc outputs[] = {
    WEFT_PORT("out", "image/rgb dtype=u8",
              "Frames: `image/rgb dtype=u8 shape=[H,W,3]`, u8 tensors of shape "
              "[H, W, 3], pts in ns from the stream's start."),
    WEFT_PORT_END
};

static const weft_prop_desc props[] = {
    WEFT_PROP_PATH("path", NULL, "The video file (anything FFmpeg reads). Relative "
                   "to the graph file."),
    WEFT_PROP_FLOAT("fps", "0", 0, 1000, "Hz",
                    "Output frame rate: frames are repeated or dropped to give "
                    "exactly this rate, frame k at k / fps; 0 sends the stream's "
                    "own frames with their timestamps."),
    WEFT_PROP_INT("max_pixels", IO_DEFAULT_MAX_PIXELS, 1, 4294836225.0, "pixels",
                  "Largest frame accepted (width x height), checked at init."),
    WEFT_PROP_END
};

const weft_node_class io_video_file_class = {
    .struct_size = sizeof(weft_node_class),
    .name = "video.file",
    .summary = "Decode video frames to RGB u8 tensors",
    .doc =
        "Decodes the best video stream of a file with FFmpeg and converts "
        "each frame with libswscale to 8-bit RGB: u8 tensors of shape "
        "[H, W, 3] (`image/rgb dtype=u8 shape=[H,W,3]`, the size fixed at "
        "init from the stream). Timestamps are the frames' own, from the "
        "stream's start, or with `fps` an exact grid k / fps, frames "
        "repeated or dropped to fill it. The duration is reported for "
        "progress.\n\n"
        "Example:\n"
        "    node cam = video.file { path = \"clip.mp4\", fps = 5 }",
    .flags = WEFT_NODE_SOURCE,
    .outputs = outputs,
    .props = props,
    .init = video_file_init,
    .negotiate = video_file_negotiate,
    .process = video_file_process,
    .fini = video_file_fini,
};
