/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * io-image-dec.c: decode still images to RGB24 tensors (libavformat's image
 * demuxers, libavcodec, libswscale), refusing absurd sizes before any
 * decoder allocates: the header is read here first for the common formats,
 * and FFmpeg's own max_pixels guards the rest.
 */
#include "io-util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>

static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3]; }
static uint32_t le32(const uint8_t *p) { return (uint32_t)p[3] << 24 | p[2] << 16 | p[1] << 8 | p[0]; }
static uint32_t be16(const uint8_t *p) { return (uint32_t)p[0] << 8 | p[1]; }
static uint32_t le16(const uint8_t *p) { return (uint32_t)p[1] << 8 | p[0]; }

int io_image_sniff_size(const uint8_t *h, size_t n, int64_t *w, int64_t *ht)
{
    if (n >= 24 && memcmp(h, "\x89PNG\r\n\x1a\n", 8) == 0 && memcmp(h + 12, "IHDR", 4) == 0) {
        *w = be32(h + 16);
        *ht = be32(h + 20);
        return 0;
    }
    if (n >= 10 && memcmp(h, "GIF8", 4) == 0) {
        *w = le16(h + 6);
        *ht = le16(h + 8);
        return 0;
    }
    if (n >= 26 && h[0] == 'B' && h[1] == 'M') {
        int32_t hh = (int32_t)le32(h + 22);
        *w = (int32_t)le32(h + 18);
        *ht = hh < 0 ? -(int64_t)hh : hh; /* negative: top-down rows */
        return 0;
    }
    if (n >= 30 && memcmp(h, "RIFF", 4) == 0 && memcmp(h + 8, "WEBP", 4) == 0) {
        if (memcmp(h + 12, "VP8X", 4) == 0) {
            *w = 1 + (h[24] | h[25] << 8 | h[26] << 16);
            *ht = 1 + (h[27] | h[28] << 8 | h[29] << 16);
            return 0;
        }
        if (memcmp(h + 12, "VP8L", 4) == 0 && h[20] == 0x2f) {
            uint32_t b = le32(h + 21);
            *w = 1 + (b & 0x3fff);
            *ht = 1 + ((b >> 14) & 0x3fff);
            return 0;
        }
        if (memcmp(h + 12, "VP8 ", 4) == 0) {
            *w = le16(h + 26) & 0x3fff;
            *ht = le16(h + 28) & 0x3fff;
            return 0;
        }
        return WEFT_ENOENT;
    }
    if (n >= 4 && h[0] == 0xff && h[1] == 0xd8) {
        /* JPEG: walk the segments to the first start-of-frame. */
        size_t i = 2;
        while (i + 9 < n) {
            uint8_t m;
            if (h[i] != 0xff) {
                i++;
                continue;
            }
            m = h[i + 1];
            if (m == 0xff) {
                i++;
                continue;
            }
            if (m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc) {
                *ht = be16(h + i + 5);
                *w = be16(h + i + 7);
                return 0;
            }
            if (m == 0xd8 || (m >= 0xd0 && m <= 0xd7) || m == 0x01) {
                i += 2;
                continue;
            }
            i += 2 + be16(h + i + 2);
        }
    }
    return WEFT_ENOENT;
}

struct io_rgb_conv {
    struct SwsContext *sws;
};

io_rgb_conv *io_rgb_conv_new(void)
{
    return calloc(1, sizeof(io_rgb_conv));
}

void io_rgb_conv_free(io_rgb_conv *c)
{
    if (!c)
        return;
    sws_freeContext(c->sws);
    free(c);
}

int io_rgb_conv_run(io_rgb_conv *c, const void *frame, weft_buf *dst)
{
    const AVFrame *f = frame;
    enum AVPixelFormat fmt = f->format;
    int full = f->color_range == AVCOL_RANGE_JPEG;
    uint8_t *out[4] = { weft_buf_data(dst) };
    int out_ls[4] = { (int)(f->width * 3) };
    const int *coef;

    /* The deprecated yuvj formats are their yuv twins at full range; say so
     * to swscale instead of letting it warn. */
    switch (fmt) {
    case AV_PIX_FMT_YUVJ420P: fmt = AV_PIX_FMT_YUV420P; full = 1; break;
    case AV_PIX_FMT_YUVJ422P: fmt = AV_PIX_FMT_YUV422P; full = 1; break;
    case AV_PIX_FMT_YUVJ444P: fmt = AV_PIX_FMT_YUV444P; full = 1; break;
    case AV_PIX_FMT_YUVJ440P: fmt = AV_PIX_FMT_YUV440P; full = 1; break;
    case AV_PIX_FMT_YUVJ411P: fmt = AV_PIX_FMT_YUV411P; full = 1; break;
    default: break;
    }
    c->sws = sws_getCachedContext(c->sws, f->width, f->height, fmt, f->width, f->height,
                                  AV_PIX_FMT_RGB24, SWS_BICUBIC | SWS_ACCURATE_RND |
                                  SWS_FULL_CHR_H_INT, NULL, NULL, NULL);
    if (!c->sws)
        return WEFT_ENOTSUP;
    coef = sws_getCoefficients(f->colorspace == AVCOL_SPC_BT709 ? SWS_CS_ITU709
                                                                 : SWS_CS_DEFAULT);
    sws_setColorspaceDetails(c->sws, coef, full, sws_getCoefficients(SWS_CS_DEFAULT),
                             1, 0, 1 << 16, 1 << 16);
    if (sws_scale(c->sws, (const uint8_t *const *)f->data, f->linesize, 0, f->height,
                  out, out_ls) != f->height)
        return WEFT_EIO;
    return 0;
}

static int check_size(const char *path, int64_t w, int64_t h, int64_t max_pixels,
                      char *err, size_t errlen)
{
    if (w <= 0 || h <= 0) {
        snprintf(err, errlen, "%s: invalid image size %lldx%lld", path, (long long)w,
                 (long long)h);
        return WEFT_EFORMAT;
    }
    if (w > IO_MAX_DIM || h > IO_MAX_DIM || w * h > max_pixels) {
        snprintf(err, errlen, "%s: image of %lldx%lld pixels is over the limit of "
                 "%lld pixels (max_pixels) and %d per side; refused before decoding",
                 path, (long long)w, (long long)h, (long long)max_pixels, IO_MAX_DIM);
        return WEFT_ERANGE;
    }
    return 0;
}

int io_image_load(const char *path, int64_t max_pixels, weft_buf **out, char *err,
                  size_t errlen)
{
    AVFormatContext *fmt = NULL;
    AVCodecContext *dec = NULL;
    const AVCodec *codec = NULL;
    AVPacket *pkt = NULL;
    AVFrame *frame = NULL;
    io_rgb_conv *conv = NULL;
    weft_buf *b = NULL;
    uint8_t hdr[4096];
    size_t nh;
    int64_t w, h;
    char e[128];
    int ret, idx;
    FILE *fp;

    *out = NULL;
    if ((ret = io_file_precheck(path, err, errlen)) < 0)
        return ret;
    if (!(fp = fopen(path, "rb"))) {
        snprintf(err, errlen, "%s: cannot open", path);
        return WEFT_EIO;
    }
    nh = fread(hdr, 1, sizeof hdr, fp);
    fclose(fp);
    if (io_image_sniff_size(hdr, nh, &w, &h) == 0 &&
        (ret = check_size(path, w, h, max_pixels, err, errlen)) < 0)
        return ret;
    if ((ret = avformat_open_input(&fmt, path, NULL, NULL)) < 0) {
        snprintf(err, errlen, "%s: not an image FFmpeg can read: %s", path,
                 io_averr(ret, e, sizeof e));
        ret = WEFT_EFORMAT;
        goto done;
    }
    idx = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
    if (idx < 0 || !codec) {
        snprintf(err, errlen, "%s: %s", path, idx == AVERROR_DECODER_NOT_FOUND
                     ? "unsupported image codec" : "no image in this file");
        ret = idx == AVERROR_DECODER_NOT_FOUND ? WEFT_ENOTSUP : WEFT_EFORMAT;
        goto done;
    }
    if (!(dec = avcodec_alloc_context3(codec)) || !(pkt = av_packet_alloc()) ||
        !(frame = av_frame_alloc()) || !(conv = io_rgb_conv_new())) {
        snprintf(err, errlen, "%s: out of memory", path);
        ret = WEFT_ENOMEM;
        goto done;
    }
    avcodec_parameters_to_context(dec, fmt->streams[idx]->codecpar);
    if (dec->width > 0 && (ret = check_size(path, dec->width, dec->height, max_pixels,
                                            err, errlen)) < 0)
        goto done;
    /* FFmpeg's own guard for formats sniffing does not know. */
    dec->max_pixels = max_pixels;
    if ((ret = avcodec_open2(dec, codec, NULL)) < 0) {
        snprintf(err, errlen, "%s: cannot open the %s decoder: %s", path, codec->name,
                 io_averr(ret, e, sizeof e));
        ret = WEFT_EFORMAT;
        goto done;
    }
    for (;;) {
        ret = avcodec_receive_frame(dec, frame);
        if (ret == 0)
            break;
        if (ret == AVERROR(EAGAIN)) {
            ret = av_read_frame(fmt, pkt);
            if (ret < 0) {
                avcodec_send_packet(dec, NULL);
            } else {
                if (pkt->stream_index == idx)
                    avcodec_send_packet(dec, pkt);
                av_packet_unref(pkt);
            }
            continue;
        }
        snprintf(err, errlen, "%s: cannot decode the %s image (corrupt, or over %lld "
                 "pixels): %s", path, codec->name, (long long)max_pixels,
                 io_averr(ret, e, sizeof e));
        ret = WEFT_EFORMAT;
        goto done;
    }
    if ((ret = check_size(path, frame->width, frame->height, max_pixels, err, errlen)) < 0)
        goto done;
    {
        int64_t shape[3] = { frame->height, frame->width, 3 };
        if (!(b = weft_buf_new_tensor(WEFT_DTYPE_U8, 3, shape, WEFT_DOMAIN_HOST, 0))) {
            snprintf(err, errlen, "%s: out of memory", path);
            ret = WEFT_ENOMEM;
            goto done;
        }
    }
    if ((ret = io_rgb_conv_run(conv, frame, b)) < 0) {
        snprintf(err, errlen, "%s: cannot convert %s pixels to RGB", path,
                 av_get_pix_fmt_name(frame->format));
        goto done;
    }
    *out = b;
    b = NULL;
    ret = 0;
done:
    weft_buf_unref(b);
    io_rgb_conv_free(conv);
    av_frame_free(&frame);
    av_packet_free(&pkt);
    avcodec_free_context(&dec);
    avformat_close_input(&fmt);
    return ret;
}
