/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * io-audio-dec.c: decode the best audio stream of a file (or of bytes in
 * memory, for the fuzz target) to interleaved float32 at a fixed rate and
 * channel count, through libavformat, libavcodec and libswresample.
 *
 * Converted samples wait in an AVAudioFifo, so a reader takes exactly the
 * number of frames it asks for whatever the codec's frame size. A stream
 * whose rate or layout changes midway (chained Ogg, some broadcasts) gets a
 * fresh resampler after the old one is drained, so no samples are lost.
 */
#include "io-util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/audio_fifo.h>
#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>
#include <libswresample/swresample.h>

#define IO_AVIO_BUF 16384
/* Resampled channels are limited to what a tensor of audio sensibly has. */
#define IO_MAX_CHANNELS 64
/* libswresample's filter grows with the rate ratio (32 taps per unit of
 * ratio, 1024 phases, zeroed and computed at init): a damaged header's
 * 134 MHz took 11 s and 1 GB to set up, 500 MHz would take 2 GB. Real
 * audio stays well inside these bounds. */
#define IO_MAX_RATE 768000
#define IO_MAX_RATIO 512

typedef struct mem_src {
    const uint8_t *data;
    size_t size, pos;
} mem_src;

struct io_audio_dec {
    const char *name; /* (transfer none) path used in messages */
    AVFormatContext *fmt;
    AVIOContext *avio; /* custom IO over memory, else NULL */
    mem_src mem;
    AVCodecContext *dec;
    SwrContext *swr;
    AVChannelLayout swr_in_layout; /* what swr was configured for */
    int swr_in_rate, swr_in_fmt;
    AVAudioFifo *fifo;
    AVPacket *pkt;
    AVFrame *frame;
    float *tmp;        /* swr output before the fifo */
    int tmp_cap;       /* in frames */
    int stream;
    int rate, channels;         /* output */
    int src_rate, src_channels; /* the stream's */
    int max_errors;
    int64_t errors;
    int64_t last_pts_ns;        /* of the last good packet, for messages */
    double decoded_s;           /* audio the decoder gave, in seconds */
    bool input_done, dec_done, eof;
};

static int mem_read(void *opaque, uint8_t *buf, int size)
{
    mem_src *m = opaque;
    size_t left = m->size - m->pos;

    if (left == 0)
        return AVERROR_EOF;
    if ((size_t)size > left)
        size = (int)left;
    memcpy(buf, m->data + m->pos, (size_t)size);
    m->pos += (size_t)size;
    return size;
}

static int64_t mem_seek(void *opaque, int64_t off, int whence)
{
    mem_src *m = opaque;
    int64_t base;

    switch (whence & ~AVSEEK_FORCE) {
    case AVSEEK_SIZE:
        return (int64_t)m->size;
    case SEEK_SET:
        base = 0;
        break;
    case SEEK_CUR:
        base = (int64_t)m->pos;
        break;
    case SEEK_END:
        base = (int64_t)m->size;
        break;
    default:
        return AVERROR(EINVAL);
    }
    if (off < -base || base + off > (int64_t)m->size)
        return AVERROR(EINVAL);
    m->pos = (size_t)(base + off);
    return (int64_t)m->pos;
}

int io_audio_dec_rate(const io_audio_dec *d) { return d->rate; }
int io_audio_dec_channels(const io_audio_dec *d) { return d->channels; }
int io_audio_dec_src_rate(const io_audio_dec *d) { return d->src_rate; }
int io_audio_dec_src_channels(const io_audio_dec *d) { return d->src_channels; }
int64_t io_audio_dec_errors(const io_audio_dec *d) { return d->errors; }

const char *io_audio_dec_codec(const io_audio_dec *d)
{
    return avcodec_get_name(d->dec->codec_id);
}

int64_t io_audio_dec_duration_ns(const io_audio_dec *d)
{
    const AVStream *st = d->fmt->streams[d->stream];

    if (st->duration > 0 && st->duration != AV_NOPTS_VALUE)
        return av_rescale_q(st->duration, st->time_base, (AVRational){1, 1000000000});
    if (d->fmt->duration > 0 && d->fmt->duration != AV_NOPTS_VALUE)
        return av_rescale(d->fmt->duration, 1000000000, AV_TIME_BASE);
    return WEFT_TIME_NONE;
}

void io_audio_dec_close(io_audio_dec *d)
{
    if (!d)
        return;
    av_frame_free(&d->frame);
    av_packet_free(&d->pkt);
    if (d->fifo)
        av_audio_fifo_free(d->fifo);
    swr_free(&d->swr);
    av_channel_layout_uninit(&d->swr_in_layout);
    avcodec_free_context(&d->dec);
    avformat_close_input(&d->fmt);
    if (d->avio) {
        av_freep(&d->avio->buffer);
        avio_context_free(&d->avio);
    }
    free(d->tmp);
    free(d);
}

/* Refuse rates no real audio has, and ratios whose resampling filter would
 * cost more than the audio itself. */
static int check_rate(const io_audio_dec *d, int src_rate, char *err, size_t errlen)
{
    if (src_rate > IO_MAX_RATE) {
        snprintf(err, errlen, "%s: sample rate %d Hz is over the %d Hz supported "
                 "(a damaged header?)", d->name, src_rate, IO_MAX_RATE);
        return WEFT_ENOTSUP;
    }
    if (d->rate > 0 && src_rate / d->rate >= IO_MAX_RATIO) {
        snprintf(err, errlen, "%s: cannot resample %d Hz to %d Hz: a ratio over %d",
                 d->name, src_rate, d->rate, IO_MAX_RATIO);
        return WEFT_ENOTSUP;
    }
    return 0;
}

/* Make swr convert what @f holds; drains the previous resampler into the
 * fifo first when the input parameters changed. */
static int setup_swr(io_audio_dec *d, const AVFrame *f, char *err, size_t errlen)
{
    AVChannelLayout in = { 0 }, out = { 0 }, seen = { 0 };
    char e[128];
    int ret;

    if (f->ch_layout.nb_channels <= 0 || f->sample_rate <= 0) {
        snprintf(err, errlen, "%s: decoder gave audio without a rate or channels",
                 d->name);
        return WEFT_EFORMAT;
    }
    if ((ret = check_rate(d, f->sample_rate, err, errlen)) < 0)
        return ret;
    if (d->swr && f->sample_rate == d->swr_in_rate && f->format == d->swr_in_fmt &&
        !av_channel_layout_compare(&f->ch_layout, &d->swr_in_layout))
        return 0;
    if (d->swr) {
        /* Drain what the old resampler holds before replacing it. */
        int n;
        while ((n = swr_convert(d->swr, (uint8_t **)&d->tmp, d->tmp_cap, NULL, 0)) > 0)
            if (av_audio_fifo_write(d->fifo, (void **)&d->tmp, n) < n)
                return WEFT_ENOMEM;
        swr_free(&d->swr);
    }
    if (av_channel_layout_copy(&seen, &f->ch_layout) < 0)
        return WEFT_ENOMEM;
    if (f->ch_layout.order == AV_CHANNEL_ORDER_UNSPEC)
        av_channel_layout_default(&in, f->ch_layout.nb_channels);
    else if (av_channel_layout_copy(&in, &f->ch_layout) < 0) {
        av_channel_layout_uninit(&seen);
        return WEFT_ENOMEM;
    }
    av_channel_layout_default(&out, d->channels);
    ret = swr_alloc_set_opts2(&d->swr, &out, AV_SAMPLE_FMT_FLT, d->rate, &in,
                              f->format, f->sample_rate, 0, NULL);
    /* Mix down as FFmpeg does for integer output (what `ffmpeg -ac 1`
     * writes to a 16-bit WAV): normalised, so stereo to mono averages and
     * a level survives the downmix. */
    if (ret >= 0)
        ret = av_opt_set_double(d->swr, "rematrix_maxval", 1.0, 0);
    if (ret >= 0)
        ret = swr_init(d->swr);
    av_channel_layout_uninit(&out);
    av_channel_layout_uninit(&in);
    if (ret < 0) {
        av_channel_layout_uninit(&seen);
        snprintf(err, errlen, "%s: cannot convert %d Hz %d-channel audio to %d Hz %d channels: %s",
                 d->name, f->sample_rate, f->ch_layout.nb_channels, d->rate,
                 d->channels, io_averr(ret, e, sizeof e));
        return WEFT_EFORMAT;
    }
    av_channel_layout_uninit(&d->swr_in_layout);
    d->swr_in_layout = seen;
    d->swr_in_rate = f->sample_rate;
    d->swr_in_fmt = f->format;
    return 0;
}

static int ensure_tmp(io_audio_dec *d, int frames)
{
    float *p;

    if (frames <= d->tmp_cap)
        return 0;
    p = realloc(d->tmp, (size_t)frames * (size_t)d->channels * sizeof *p);
    if (!p)
        return WEFT_ENOMEM;
    d->tmp = p;
    d->tmp_cap = frames;
    return 0;
}

static int convert(io_audio_dec *d, const AVFrame *f, char *err, size_t errlen)
{
    int ret, n, want;

    if ((ret = setup_swr(d, f, err, errlen)) < 0)
        return ret;
    want = swr_get_out_samples(d->swr, f ? f->nb_samples : 0);
    if (want < 0 || (ret = ensure_tmp(d, want + 16)) < 0) {
        snprintf(err, errlen, "%s: out of memory", d->name);
        return WEFT_ENOMEM;
    }
    n = swr_convert(d->swr, (uint8_t **)&d->tmp, d->tmp_cap,
                    (const uint8_t **)f->extended_data, f->nb_samples);
    if (n < 0) {
        char e[128];
        snprintf(err, errlen, "%s: resampling failed: %s", d->name,
                 io_averr(n, e, sizeof e));
        return WEFT_EIO;
    }
    if (n > 0 && av_audio_fifo_write(d->fifo, (void **)&d->tmp, n) < n) {
        snprintf(err, errlen, "%s: out of memory", d->name);
        return WEFT_ENOMEM;
    }
    return 0;
}

static int drain_swr(io_audio_dec *d, char *err, size_t errlen)
{
    int n;

    if (!d->swr)
        return 0;
    if (ensure_tmp(d, 4096) < 0) {
        snprintf(err, errlen, "%s: out of memory", d->name);
        return WEFT_ENOMEM;
    }
    while ((n = swr_convert(d->swr, (uint8_t **)&d->tmp, d->tmp_cap, NULL, 0)) > 0)
        if (av_audio_fifo_write(d->fifo, (void **)&d->tmp, n) < n) {
            snprintf(err, errlen, "%s: out of memory", d->name);
            return WEFT_ENOMEM;
        }
    return 0;
}

/* A packet the decoder rejected: fatal unless the file may have some. */
static int decode_error(io_audio_dec *d, int averr, char *err, size_t errlen)
{
    char e[128];

    if (++d->errors <= d->max_errors)
        return 0;
    snprintf(err, errlen, "%s: corrupt or truncated %s audio after %.3f s: %s",
             d->name, avcodec_get_name(d->dec->codec_id),
             (double)d->last_pts_ns / 1e9, io_averr(averr, e, sizeof e));
    return WEFT_EFORMAT;
}

/* A file cut short still decodes cleanly up to the cut; what gives it away
 * is a header (WAV data size, MP3 Xing/LAME frame count, FLAC STREAMINFO,
 * MP4 moov) that promised more. Durations FFmpeg only estimated from the
 * bitrate prove nothing and are not checked. */
static int check_length(io_audio_dec *d, char *err, size_t errlen)
{
    int64_t stated = io_audio_dec_duration_ns(d);
    double want;

    if (d->max_errors > 0 || stated == WEFT_TIME_NONE ||
        d->fmt->duration_estimation_method == AVFMT_DURATION_FROM_BITRATE)
        return 0;
    want = (double)stated / 1e9;
    if (d->decoded_s >= want * 0.99 - 0.1)
        return 0;
    snprintf(err, errlen, "%s: truncated or corrupt: the %s audio ends after %.3f s "
             "of the %.3f s the header states", d->name,
             avcodec_get_name(d->dec->codec_id), d->decoded_s, want);
    return WEFT_EFORMAT;
}

/* Decode until at least one frame went into the fifo or the stream ended. */
static int decode_some(io_audio_dec *d, char *err, size_t errlen)
{
    char e[128];
    int ret;

    for (;;) {
        ret = avcodec_receive_frame(d->dec, d->frame);
        if (ret == 0) {
            if (d->frame->sample_rate > 0)
                d->decoded_s += (double)d->frame->nb_samples / d->frame->sample_rate;
            ret = d->frame->nb_samples > 0 ? convert(d, d->frame, err, errlen) : 0;
            av_frame_unref(d->frame);
            return ret;
        }
        if (ret == AVERROR_EOF) {
            d->dec_done = true;
            if ((ret = check_length(d, err, errlen)) < 0)
                return ret;
            if ((ret = drain_swr(d, err, errlen)) < 0)
                return ret;
            d->eof = true;
            return 0;
        }
        if (ret != AVERROR(EAGAIN)) {
            if ((ret = decode_error(d, ret, err, errlen)) < 0)
                return ret;
            continue;
        }
        if (d->input_done) {
            /* The decoder wants input after it was told there is none. */
            d->eof = true;
            return drain_swr(d, err, errlen);
        }
        ret = av_read_frame(d->fmt, d->pkt);
        if (ret == AVERROR_EOF || (ret < 0 && d->fmt->pb && avio_feof(d->fmt->pb))) {
            /* A read error at the end of a short file reads as its end;
             * what the decoder makes of the rest decides. */
            d->input_done = true;
            avcodec_send_packet(d->dec, NULL);
            continue;
        }
        if (ret < 0) {
            snprintf(err, errlen, "%s: read error: %s", d->name,
                     io_averr(ret, e, sizeof e));
            return WEFT_EIO;
        }
        if (d->pkt->stream_index == d->stream) {
            const AVStream *st = d->fmt->streams[d->stream];
            if (d->pkt->pts != AV_NOPTS_VALUE)
                d->last_pts_ns = av_rescale_q(d->pkt->pts, st->time_base,
                                              (AVRational){1, 1000000000});
            ret = avcodec_send_packet(d->dec, d->pkt);
            if (ret < 0 && ret != AVERROR(EAGAIN)) {
                av_packet_unref(d->pkt);
                if ((ret = decode_error(d, ret, err, errlen)) < 0)
                    return ret;
                continue;
            }
        }
        av_packet_unref(d->pkt);
    }
}

int64_t io_audio_dec_read(io_audio_dec *d, float *dst, int64_t frames,
                          char *err, size_t errlen)
{
    int ret;
    int64_t got = 0;

    while (got < frames) {
        int avail = av_audio_fifo_size(d->fifo);
        if (avail > 0) {
            int take = (int)((frames - got) < avail ? (frames - got) : avail);
            void *p = dst + got * d->channels;
            if (av_audio_fifo_read(d->fifo, &p, take) < take) {
                snprintf(err, errlen, "%s: internal error reading samples", d->name);
                return WEFT_EINTERNAL;
            }
            got += take;
            continue;
        }
        if (d->eof)
            break;
        if ((ret = decode_some(d, err, errlen)) < 0)
            return ret;
    }
    return got;
}

int io_audio_dec_more(io_audio_dec *d, char *err, size_t errlen)
{
    int ret;

    while (av_audio_fifo_size(d->fifo) == 0 && !d->eof)
        if ((ret = decode_some(d, err, errlen)) < 0)
            return ret;
    return av_audio_fifo_size(d->fifo) > 0;
}

/* ------------------------------------------------- RIFF sanity check
 *
 * FFmpeg 5.1's RIFF INFO reader (ff_read_riff_info, used by the WAV and
 * AVI demuxers) bounds each INFO item only by the size its LIST chunk
 * claims, not by the file, and zeroes a buffer of that size before
 * reading: a 100-byte WAV whose LIST claims 2.7 GB costs 2 GB of touched
 * memory. Walking the chunks the way those demuxers do and refusing an
 * INFO list that claims more than the file holds bounds every such
 * allocation by the file's size. */

#define RIFF_MAX_CHUNKS 65536 /* the demuxers walk no further, nor do we */

typedef struct riff_src {
    const uint8_t *data; /* the bytes, or NULL to read @f */
    FILE *f;
    int64_t size;
} riff_src;

static bool riff_read(riff_src *s, int64_t off, uint8_t *buf, size_t n)
{
    if (off < 0 || off > s->size || (int64_t)n > s->size - off)
        return false;
    if (s->data) {
        memcpy(buf, s->data + off, n);
        return true;
    }
    return fseeko(s->f, (off_t)off, SEEK_SET) == 0 && fread(buf, 1, n, s->f) == n;
}

static uint32_t riff_u32(const uint8_t *p, bool be)
{
    return be ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]
              : (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static int riff_too_big(const io_audio_dec *d, int64_t off, uint32_t size,
                        int64_t file_size, char *err, size_t errlen)
{
    snprintf(err, errlen, "%s: corrupt RIFF header: the LIST INFO chunk at byte %lld "
             "claims %lu bytes, more than the %lld left in the file", d->name,
             (long long)off, (unsigned long)size, (long long)(file_size - off - 8));
    return WEFT_EFORMAT;
}

/* The WAV demuxer: top-level chunks one after the other, from after the
 * ds64 chunk for RF64/BW64, until 'data' of unknown end or the file's end. */
static int riff_check_wav(const io_audio_dec *d, riff_src *s, bool be, bool rf64,
                          char *err, size_t errlen)
{
    uint8_t h[12];
    int64_t off = 12, data_size = 0;

    if (rf64) {
        if (!riff_read(s, 12, h, 8) || memcmp(h, "ds64", 4) ||
            !riff_read(s, 28, h, 8))
            return 0;
        data_size = (int64_t)((uint64_t)riff_u32(h + 4, false) << 32 | riff_u32(h, false));
        if (!riff_read(s, 16, h, 4))
            return 0;
        off = 20 + (int64_t)riff_u32(h, false);
    }
    for (int i = 0; i < RIFF_MAX_CHUNKS && riff_read(s, off, h, 8); i++) {
        uint32_t size = riff_u32(h + 4, be);
        int64_t next = off + 8 + (int64_t)size;

        if (!memcmp(h, "data", 4)) {
            if (rf64)
                next = data_size < 0 || data_size > s->size ? s->size : off + 8 + data_size;
            else if (size == 0 || size == 0xFFFFFFFFu)
                break;
        } else if ((!memcmp(h, "LIST", 4) || !memcmp(h, "list", 4)) && size >= 4 &&
                   riff_read(s, off + 8, h + 8, 4) && !memcmp(h + 8, "INFO", 4) &&
                   next > s->size) {
            return riff_too_big(d, off, size, s->size, err, errlen);
        } else if (!memcmp(h, "SMV0", 4)) {
            break;
        }
        if (next < 0 || next >= s->size)
            break;
        off = next + (next & 1);
    }
    return 0;
}

/* The AVI demuxer: it reads the header chunk by chunk, stepping into every
 * LIST but 'movi', where the header ends. */
static int riff_check_avi(const io_audio_dec *d, riff_src *s, char *err, size_t errlen)
{
    uint8_t h[12];
    int64_t off = 12;

    for (int i = 0; i < RIFF_MAX_CHUNKS && riff_read(s, off, h, 8); i++) {
        uint32_t size = riff_u32(h + 4, false);

        if (!memcmp(h, "LIST", 4)) {
            if (!riff_read(s, off + 8, h + 8, 4) || !memcmp(h + 8, "movi", 4))
                break;
            if (!memcmp(h + 8, "INFO", 4)) {
                if (off + 8 + (int64_t)size > s->size)
                    return riff_too_big(d, off, size, s->size, err, errlen);
                off += 8 + (int64_t)size + (size & 1);
            } else {
                off += 12;
            }
        } else {
            off += 8 + (int64_t)size + (size & 1);
        }
    }
    return 0;
}

/* 0 unless the input is a RIFF file (WAV, RF64, BW64, AVI) whose INFO list
 * claims more than the file holds. */
static int riff_check(const io_audio_dec *d, const uint8_t *data, size_t size,
                      char *err, size_t errlen)
{
    riff_src s = { .data = data, .size = (int64_t)size };
    uint8_t h[12];
    int ret = 0;

    if (!data) {
        if (!(s.f = fopen(d->name, "rb")))
            return 0; /* libavformat reports why */
        if (fseeko(s.f, 0, SEEK_END) != 0 || (s.size = (int64_t)ftello(s.f)) < 0)
            s.size = 0;
    }
    if (riff_read(&s, 0, h, 12)) {
        bool riff = !memcmp(h, "RIFF", 4), rifx = !memcmp(h, "RIFX", 4);
        bool rf64 = !memcmp(h, "RF64", 4) || !memcmp(h, "BW64", 4);

        if ((riff || rifx || rf64) && !memcmp(h + 8, "WAVE", 4))
            ret = riff_check_wav(d, &s, rifx, rf64, err, errlen);
        else if (riff && (!memcmp(h + 8, "AVI", 3) || !memcmp(h + 8, "AMV ", 4) ||
                          !memcmp(h + 8, "ON2 ", 4) || !memcmp(h + 8, "RMP3", 4)))
            ret = riff_check_avi(d, &s, err, errlen);
    }
    if (s.f)
        fclose(s.f);
    return ret;
}

static int open_input(io_audio_dec *d, const uint8_t *data, size_t size,
                      char *err, size_t errlen)
{
    char e[128];
    int ret;

    if (!(d->fmt = avformat_alloc_context()))
        return WEFT_ENOMEM;
    if (data) {
        uint8_t *buf = av_malloc(IO_AVIO_BUF);
        d->mem.data = data;
        d->mem.size = size;
        if (!buf || !(d->avio = avio_alloc_context(buf, IO_AVIO_BUF, 0, &d->mem,
                                                   mem_read, NULL, mem_seek))) {
            av_free(buf);
            return WEFT_ENOMEM;
        }
        d->fmt->pb = d->avio;
        d->fmt->flags |= AVFMT_FLAG_CUSTOM_IO;
    } else if ((ret = io_file_precheck(d->name, err, errlen)) < 0) {
        return ret;
    }
    if ((ret = riff_check(d, data, size, err, errlen)) < 0)
        return ret;
    /* On failure avformat_open_input frees the context. */
    ret = avformat_open_input(&d->fmt, data ? "" : d->name, NULL, NULL);
    if (ret < 0) {
        snprintf(err, errlen, "%s: not a media file FFmpeg can read: %s",
                 d->name, io_averr(ret, e, sizeof e));
        return ret == AVERROR(ENOENT) ? WEFT_ENOENT : WEFT_EFORMAT;
    }
    if ((ret = avformat_find_stream_info(d->fmt, NULL)) < 0) {
        snprintf(err, errlen, "%s: cannot read the stream layout: %s", d->name,
                 io_averr(ret, e, sizeof e));
        return WEFT_EFORMAT;
    }
    return 0;
}

static int open_decoder(io_audio_dec *d, char *err, size_t errlen)
{
    const AVCodec *codec = NULL;
    AVStream *st;
    char e[128];
    int ret;

    ret = av_find_best_stream(d->fmt, AVMEDIA_TYPE_AUDIO, -1, -1, &codec, 0);
    if (ret == AVERROR_STREAM_NOT_FOUND) {
        snprintf(err, errlen, "%s: no audio stream in this %s file", d->name,
                 d->fmt->iformat->name);
        return WEFT_EFORMAT;
    }
    if (ret == AVERROR_DECODER_NOT_FOUND || (ret >= 0 && !codec)) {
        int i = av_find_best_stream(d->fmt, AVMEDIA_TYPE_AUDIO, -1, -1, NULL, 0);
        const AVCodecParameters *par = i >= 0 ? d->fmt->streams[i]->codecpar : NULL;
        if (par && par->codec_id != AV_CODEC_ID_NONE)
            snprintf(err, errlen, "%s: unsupported audio codec '%s' (this FFmpeg "
                     "has no decoder for it)", d->name, avcodec_get_name(par->codec_id));
        else
            snprintf(err, errlen, "%s: unsupported audio codec (unknown %s tag 0x%04x)",
                     d->name, d->fmt->iformat->name, par ? par->codec_tag : 0);
        return WEFT_ENOTSUP;
    }
    if (ret < 0) {
        snprintf(err, errlen, "%s: no usable audio stream: %s", d->name,
                 io_averr(ret, e, sizeof e));
        return WEFT_EFORMAT;
    }
    d->stream = ret;
    st = d->fmt->streams[ret];
    /* Other streams (cover art, video) are not demuxed into packets. */
    for (unsigned i = 0; i < d->fmt->nb_streams; i++)
        if ((int)i != ret)
            d->fmt->streams[i]->discard = AVDISCARD_ALL;
    if (!(d->dec = avcodec_alloc_context3(codec)))
        return WEFT_ENOMEM;
    if ((ret = avcodec_parameters_to_context(d->dec, st->codecpar)) < 0 ||
        (ret = avcodec_open2(d->dec, codec, NULL)) < 0) {
        snprintf(err, errlen, "%s: cannot open the %s decoder: %s", d->name,
                 codec->name, io_averr(ret, e, sizeof e));
        return WEFT_EFORMAT;
    }
    d->src_rate = d->dec->sample_rate;
    d->src_channels = d->dec->ch_layout.nb_channels;
    if (d->src_rate <= 0 || d->src_channels <= 0) {
        snprintf(err, errlen, "%s: the %s stream states no sample rate or channel count",
                 d->name, codec->name);
        return WEFT_EFORMAT;
    }
    return 0;
}

int io_audio_dec_open(const char *path, const uint8_t *data, size_t size,
                      int rate, int channels, int max_errors,
                      io_audio_dec **out, char *err, size_t errlen)
{
    io_audio_dec *d = calloc(1, sizeof *d);
    int ret;

    *out = NULL;
    if (!d) {
        ret = WEFT_ENOMEM;
        goto fail;
    }
    d->name = path;
    d->max_errors = max_errors;
    d->last_pts_ns = 0;
    if ((ret = open_input(d, data, size, err, errlen)) < 0 ||
        (ret = open_decoder(d, err, errlen)) < 0)
        goto fail;
    d->rate = rate > 0 ? rate : d->src_rate;
    d->channels = channels > 0 ? channels : d->src_channels;
    if ((ret = check_rate(d, d->src_rate, err, errlen)) < 0)
        goto fail;
    if (d->channels > IO_MAX_CHANNELS) {
        snprintf(err, errlen, "%s: %d channels is more than the %d supported",
                 path, d->channels, IO_MAX_CHANNELS);
        ret = WEFT_ENOTSUP;
        goto fail;
    }
    d->fifo = av_audio_fifo_alloc(AV_SAMPLE_FMT_FLT, d->channels, 4096);
    d->pkt = av_packet_alloc();
    d->frame = av_frame_alloc();
    if (!d->fifo || !d->pkt || !d->frame) {
        ret = WEFT_ENOMEM;
        goto fail;
    }
    *out = d;
    return 0;
fail:
    if (ret == WEFT_ENOMEM)
        snprintf(err, errlen, "%s: out of memory", path);
    io_audio_dec_close(d);
    return ret;
}

/* The duration the stream, or else the container, states; NONE when
 * neither does. */
static int64_t stated_duration(const AVFormatContext *fmt, const AVStream *st)
{
    if (st->duration > 0 && st->duration != AV_NOPTS_VALUE &&
        st->time_base.num > 0 && st->time_base.den > 0)
        return av_rescale_q(st->duration, st->time_base,
                            (AVRational){ 1, 1000000000 });
    if (fmt->duration > 0 && fmt->duration != AV_NOPTS_VALUE)
        return av_rescale(fmt->duration, 1000000000, AV_TIME_BASE);
    return WEFT_TIME_NONE;
}

int64_t io_audio_probe_duration_ns(const char *path)
{
    AVFormatContext *fmt = NULL;
    const AVStream *st;
    int64_t out = WEFT_TIME_NONE, size;
    io_audio_dec probe = { .name = path };
    char err[256];
    int i;

    /* The checks io_audio_dec_open makes before libavformat sees a file,
     * so that a damaged header costs no more here than there. */
    if (io_file_precheck(path, err, sizeof err) < 0 ||
        riff_check(&probe, NULL, 0, err, sizeof err) < 0)
        return WEFT_TIME_NONE;
    /* avformat_open_input reads the header only. avformat_find_stream_info
     * would decode frames of every file, which is what audio.dir must not
     * do up front for a folder of thousands. */
    if (avformat_open_input(&fmt, path, NULL, NULL) < 0)
        return WEFT_TIME_NONE;
    /* av_find_best_stream skips audio streams whose rate and channels are
     * not known yet, which for MP3 and FLAC needs the frames that were
     * not read: without it, the first audio stream. */
    i = av_find_best_stream(fmt, AVMEDIA_TYPE_AUDIO, -1, -1, NULL, 0);
    for (unsigned k = 0; i < 0 && k < fmt->nb_streams; k++)
        if (fmt->streams[k]->codecpar->codec_type == AVMEDIA_TYPE_AUDIO)
            i = (int)k;
    if (i < 0)
        goto done;
    st = fmt->streams[i];
    out = stated_duration(fmt, st);
    if (out == WEFT_TIME_NONE && st->codecpar->bit_rate > 0 && fmt->pb &&
        (size = avio_size(fmt->pb)) > 0 && (size -= avio_tell(fmt->pb)) > 0)
        /* What is left after the header, at the stated bitrate: what
         * FFmpeg itself estimates for such streams. */
        out = av_rescale(size, 8 * (int64_t)1000000000,
                         st->codecpar->bit_rate);
    if (out != WEFT_TIME_NONE)
        goto done;
    /* No length in the header (an MP3 without a Xing frame, ADTS AAC):
     * libavformat estimates one from the bitrate of the first packets.
     * A few kilobytes and half a second of audio are enough for that
     * and keep this cheap; the frames read are thrown away. */
    fmt->probesize = 32768;
    fmt->max_analyze_duration = 500000;
    if (avformat_find_stream_info(fmt, NULL) >= 0)
        out = stated_duration(fmt, fmt->streams[i]);
done:
    avformat_close_input(&fmt);
    return out;
}
