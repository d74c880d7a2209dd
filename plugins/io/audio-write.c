/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * audio.write: write float32 PCM to a WAV or FLAC file, 16-bit or float,
 * with libavformat/libavcodec. The file appears complete or not at all: the
 * samples go to a temporary file beside it, renamed over @path at the end.
 */
#include "io-util.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/audio_fifo.h>
#include <libavutil/channel_layout.h>
#include <libavutil/common.h>

enum { FMT_AUTO, FMT_WAV, FMT_FLAC };
enum { SF_S16, SF_F32 };
static const char *const format_names[] = { "auto", "wav", "flac", NULL };
static const char *const sample_names[] = { "s16", "f32", NULL };

typedef struct audio_write {
    char *path, *tmp;
    int container, sample_fmt;
    int rate, channels;
    AVFormatContext *oc;
    AVCodecContext *enc;
    AVStream *st;
    AVAudioFifo *fifo;
    AVFrame *frame;
    AVPacket *pkt;
    int frame_size;
    int64_t written; /* frames handed to the encoder */
    void *conv;      /* converted samples of one input buffer */
    size_t conv_cap;
    bool done;
} audio_write;

static int audio_write_init(weft_node *node)
{
    audio_write *s = calloc(1, sizeof *s);
    const char *dot;

    if (!s)
        return weft_node_error(node, WEFT_ENOMEM, "out of memory");
    weft_node_set_priv(node, s);
    io_ffmpeg_setup();
    if (!(s->path = weft_node_prop_path(node, "path")))
        return WEFT_EINVAL;
    s->container = weft_node_prop_enum(node, "format");
    s->sample_fmt = weft_node_prop_enum(node, "sample_format");
    if (s->container == FMT_AUTO) {
        dot = strrchr(io_basename(s->path), '.');
        if (dot && strcasecmp(dot, ".wav") == 0)
            s->container = FMT_WAV;
        else if (dot && strcasecmp(dot, ".flac") == 0)
            s->container = FMT_FLAC;
        else
            return weft_node_error(node, WEFT_EINVAL,
                                   "%s: cannot tell the format from the extension "
                                   "(use .wav or .flac, or set format)", s->path);
    }
    if (s->container == FMT_FLAC && s->sample_fmt == SF_F32)
        return weft_node_error(node, WEFT_ENOTSUP,
                               "%s: FLAC stores integer samples: use "
                               "sample_format = s16 or write a WAV file", s->path);
    return 0;
}

static int audio_write_negotiate(weft_node *node, const weft_format *const *in,
                                 weft_format **out)
{
    audio_write *s = weft_node_priv(node);
    int64_t rate = 0, ch = 0;

    (void)out;
    if (!in[0] || weft_format_get_int(in[0], "rate", &rate) < 0 ||
        weft_format_get_int(in[0], "channels", &ch) < 0 || rate <= 0 ||
        rate > 768000 || ch <= 0 || ch > 64)
        return weft_node_error(node, WEFT_EFORMAT,
                               "%s: the input must state a rate and 1 to 64 channels",
                               s->path);
    s->rate = (int)rate;
    s->channels = (int)ch;
    return 0;
}

static int open_output(weft_node *node, audio_write *s)
{
    static const char *const muxers[] = { NULL, "wav", "flac" };
    enum AVCodecID id;
    const AVCodec *codec;
    char e[128];
    int ret;
    size_t n = strlen(s->path);

    id = s->container == FMT_FLAC ? AV_CODEC_ID_FLAC
         : s->sample_fmt == SF_F32 ? AV_CODEC_ID_PCM_F32LE
                                   : AV_CODEC_ID_PCM_S16LE;
    if (!(codec = avcodec_find_encoder(id)))
        return weft_node_error(node, WEFT_ENOTSUP, "%s: this FFmpeg has no %s encoder",
                               s->path, avcodec_get_name(id));
    if (!(s->tmp = malloc(n + 16)))
        return weft_node_error(node, WEFT_ENOMEM, "out of memory");
    snprintf(s->tmp, n + 16, "%s.part%ld", s->path, (long)getpid());
    ret = avformat_alloc_output_context2(&s->oc, NULL, muxers[s->container], s->tmp);
    if (ret < 0 || !(s->st = avformat_new_stream(s->oc, NULL)) ||
        !(s->enc = avcodec_alloc_context3(codec)))
        return weft_node_error(node, WEFT_ENOMEM, "%s: out of memory", s->path);
    s->oc->flags |= AVFMT_FLAG_BITEXACT; /* no version strings: reproducible */
    s->enc->sample_fmt = s->sample_fmt == SF_F32 ? AV_SAMPLE_FMT_FLT : AV_SAMPLE_FMT_S16;
    s->enc->sample_rate = s->rate;
    av_channel_layout_default(&s->enc->ch_layout, s->channels);
    s->enc->time_base = (AVRational){ 1, s->rate };
    s->enc->flags |= AV_CODEC_FLAG_BITEXACT;
    if (s->oc->oformat->flags & AVFMT_GLOBALHEADER)
        s->enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    if ((ret = avcodec_open2(s->enc, codec, NULL)) < 0 ||
        (ret = avcodec_parameters_from_context(s->st->codecpar, s->enc)) < 0)
        return weft_node_error(node, WEFT_EFORMAT, "%s: cannot encode %d Hz %d-channel %s: %s",
                               s->path, s->rate, s->channels, codec->name,
                               io_averr(ret, e, sizeof e));
    s->st->time_base = s->enc->time_base;
    s->frame_size = (s->enc->frame_size > 0 &&
                     !(codec->capabilities & AV_CODEC_CAP_VARIABLE_FRAME_SIZE))
                        ? s->enc->frame_size : 4096;
    s->fifo = av_audio_fifo_alloc(s->enc->sample_fmt, s->channels, s->frame_size * 2);
    s->frame = av_frame_alloc();
    s->pkt = av_packet_alloc();
    if (!s->fifo || !s->frame || !s->pkt)
        return weft_node_error(node, WEFT_ENOMEM, "out of memory");
    if ((ret = avio_open(&s->oc->pb, s->tmp, AVIO_FLAG_WRITE)) < 0)
        return weft_node_error(node, WEFT_EIO, "%s: cannot create: %s", s->path,
                               io_averr(ret, e, sizeof e));
    if ((ret = avformat_write_header(s->oc, NULL)) < 0)
        return weft_node_error(node, WEFT_EIO, "%s: cannot write the header: %s",
                               s->path, io_averr(ret, e, sizeof e));
    return 0;
}

/* Hand the encoder's packets to the muxer. */
static int drain_packets(weft_node *node, audio_write *s)
{
    char e[128];
    int ret;

    while ((ret = avcodec_receive_packet(s->enc, s->pkt)) == 0) {
        av_packet_rescale_ts(s->pkt, s->enc->time_base, s->st->time_base);
        s->pkt->stream_index = s->st->index;
        if ((ret = av_interleaved_write_frame(s->oc, s->pkt)) < 0)
            return weft_node_error(node, WEFT_EIO, "%s: write failed: %s",
                                   s->path, io_averr(ret, e, sizeof e));
    }
    if (ret != AVERROR(EAGAIN) && ret != AVERROR_EOF)
        return weft_node_error(node, WEFT_EIO, "%s: encoding failed: %s", s->path,
                               io_averr(ret, e, sizeof e));
    return 0;
}

/* Encode whole frames from the fifo; with @final, the remainder too and
 * then the encoder's flush. */
static int encode(weft_node *node, audio_write *s, bool final)
{
    char e[128];
    int ret;

    while (av_audio_fifo_size(s->fifo) >= s->frame_size ||
           (final && av_audio_fifo_size(s->fifo) > 0)) {
        int n = FFMIN(av_audio_fifo_size(s->fifo), s->frame_size);
        av_frame_unref(s->frame);
        s->frame->nb_samples = n;
        s->frame->format = s->enc->sample_fmt;
        s->frame->sample_rate = s->rate;
        if ((ret = av_channel_layout_copy(&s->frame->ch_layout, &s->enc->ch_layout)) < 0 ||
            (ret = av_frame_get_buffer(s->frame, 0)) < 0)
            return weft_node_error(node, WEFT_ENOMEM, "out of memory");
        if (av_audio_fifo_read(s->fifo, (void **)s->frame->data, n) < n)
            return weft_node_error(node, WEFT_EINTERNAL, "%s: internal fifo error", s->path);
        s->frame->pts = s->written;
        s->written += n;
        if ((ret = avcodec_send_frame(s->enc, s->frame)) < 0)
            return weft_node_error(node, WEFT_EIO, "%s: encoding failed: %s",
                                   s->path, io_averr(ret, e, sizeof e));
        if ((ret = drain_packets(node, s)) < 0)
            return ret;
    }
    if (final) {
        if ((ret = avcodec_send_frame(s->enc, NULL)) < 0 && ret != AVERROR_EOF)
            return weft_node_error(node, WEFT_EIO, "%s: encoding failed: %s",
                                   s->path, io_averr(ret, e, sizeof e));
        return drain_packets(node, s);
    }
    return 0;
}

/* Convert one [frames, channels] f32 buffer to the file's sample format,
 * as libswresample would (round to nearest, clip), into the fifo. */
static int add_samples(weft_node *node, audio_write *s, const weft_buf *b)
{
    int64_t frames = weft_buf_dim(b, 0), total;
    const float *x = weft_buf_cdata(b);
    size_t need;
    void *p;

    if (weft_buf_kind(b) != WEFT_KIND_TENSOR || weft_buf_dtype(b) != WEFT_DTYPE_F32 ||
        !weft_buf_is_contiguous(b) || weft_buf_domain(b) != WEFT_DOMAIN_HOST ||
        weft_buf_numel(b) != frames * s->channels ||
        (weft_buf_ndim(b) == 2 && weft_buf_dim(b, 1) != s->channels) ||
        weft_buf_ndim(b) > 2)
        return weft_node_error(node, WEFT_EFORMAT,
                               "%s: expected a host f32 tensor of shape [frames, %d]",
                               s->path, s->channels);
    if (frames == 0)
        return 0;
    if (frames > INT32_MAX / 64)
        return weft_node_error(node, WEFT_ERANGE, "%s: buffer too large", s->path);
    total = frames * s->channels;
    if (s->sample_fmt == SF_F32) {
        p = (void *)x;
    } else {
        need = (size_t)total * sizeof(int16_t);
        if (need > s->conv_cap) {
            void *q = realloc(s->conv, need);
            if (!q)
                return weft_node_error(node, WEFT_ENOMEM, "out of memory");
            s->conv = q;
            s->conv_cap = need;
        }
        for (int64_t i = 0; i < total; i++)
            ((int16_t *)s->conv)[i] = av_clip_int16((int)lrintf(x[i] * 32768.0f));
        p = s->conv;
    }
    if (av_audio_fifo_write(s->fifo, &p, (int)frames) < frames)
        return weft_node_error(node, WEFT_ENOMEM, "out of memory");
    return 0;
}

static int finish(weft_node *node, audio_write *s)
{
    char e[128];
    int ret;

    if ((ret = encode(node, s, true)) < 0)
        return ret;
    if ((ret = av_write_trailer(s->oc)) < 0)
        return weft_node_error(node, WEFT_EIO, "%s: cannot finish the file: %s",
                               s->path, io_averr(ret, e, sizeof e));
    if ((ret = avio_closep(&s->oc->pb)) < 0)
        return weft_node_error(node, WEFT_EIO, "%s: cannot close: %s", s->path,
                               io_averr(ret, e, sizeof e));
    if (rename(s->tmp, s->path) != 0)
        return weft_node_error(node, WEFT_EIO, "%s: cannot rename %s into place: %s",
                               s->path, s->tmp, strerror(errno));
    s->done = true;
    return 0;
}

static weft_flow audio_write_process(weft_node *node)
{
    audio_write *s = weft_node_priv(node);
    weft_buf *b;
    weft_flow f;
    int ret;

    if (s->done)
        return WEFT_FLOW_EOS;
    if (!s->oc && open_output(node, s) < 0)
        return WEFT_FLOW_ERROR;
    while ((f = weft_node_pop(node, 0, &b)) == WEFT_FLOW_OK) {
        ret = add_samples(node, s, b);
        weft_buf_unref(b);
        if (ret < 0 || encode(node, s, false) < 0)
            return WEFT_FLOW_ERROR;
    }
    if (f == WEFT_FLOW_EOS)
        return finish(node, s) < 0 ? WEFT_FLOW_ERROR : WEFT_FLOW_EOS;
    return WEFT_FLOW_OK;
}

static void audio_write_fini(weft_node *node)
{
    audio_write *s = weft_node_priv(node);

    if (!s)
        return;
    if (s->oc) {
        if (s->oc->pb)
            avio_closep(&s->oc->pb);
        avformat_free_context(s->oc);
    }
    if (s->tmp && !s->done)
        unlink(s->tmp); /* a failed or stopped run leaves no partial file */
    avcodec_free_context(&s->enc);
    if (s->fifo)
        av_audio_fifo_free(s->fifo);
    av_frame_free(&s->frame);
    av_packet_free(&s->pkt);
    free(s->conv);
    free(s->tmp);
    free(s->path);
    free(s);
    weft_node_set_priv(node, NULL);
}

static const weft_port_desc inputs[] = {
    WEFT_PORT("in", "audio/pcm dtype=f32",
              "Samples to write: `audio/pcm rate=R channels=C dtype=f32`, f32 "
              "tensors of shape [frames, C] (or [frames] for mono)."),
    WEFT_PORT_END
};

static const weft_prop_desc props[] = {
    WEFT_PROP_PATH("path", NULL,
                   "The file to write (replaced if it exists). A relative path "
                   "is relative to the graph file."),
    WEFT_PROP_ENUM("format", "auto", format_names,
                   "Container: `wav`, `flac`, or `auto` to pick by the "
                   "extension of path (.wav, .flac)."),
    WEFT_PROP_ENUM("sample_format", "s16", sample_names,
                   "Stored samples: `s16` (16-bit integers, rounded to nearest "
                   "and clipped, as FFmpeg converts) or `f32` (32-bit float, "
                   "WAV only)."),
    WEFT_PROP_END
};

const weft_node_class io_audio_write_class = {
    .struct_size = sizeof(weft_node_class),
    .name = "audio.write",
    .summary = "Write PCM audio to a WAV or FLAC file",
    .doc =
        "Writes its input, at the rate and channel count negotiated with "
        "the producer, to a WAV (16-bit or float) or FLAC (16-bit) file "
        "with FFmpeg. Float samples become 16-bit integers by rounding "
        "x * 32768 to the nearest integer and clipping, exactly as FFmpeg's "
        "own conversion does. Timestamps are not used: samples are written "
        "back to back.\n\n"
        "The file is written under a temporary name beside @path and "
        "renamed into place once complete, so a failed or interrupted run "
        "never leaves a truncated file behind.\n\n"
        "Example:\n"
        "    node out = audio.write { path = \"out.wav\", sample_format = s16 }",
    .flags = WEFT_NODE_SINK,
    .inputs = inputs,
    .props = props,
    .init = audio_write_init,
    .negotiate = audio_write_negotiate,
    .process = audio_write_process,
    .fini = audio_write_fini,
};
