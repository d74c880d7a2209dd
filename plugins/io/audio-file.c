/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * audio.file: decode an audio file (or the audio of a video file) with
 * FFmpeg and stream it as float32 PCM at a chosen rate and channel count.
 */
#include "io-util.h"

#include <math.h>
#include <stdlib.h>

typedef struct audio_file {
    char *path;
    io_audio_dec *dec;
    int rate, channels;
    int64_t chunk;    /* frames per buffer */
    int64_t pos;      /* frames sent */
    int64_t errors;   /* decode errors already counted */
    bool realtime;
    int64_t start_ns; /* graph clock at the first buffer (realtime) */
} audio_file;

static int audio_file_init(weft_node *node)
{
    audio_file *s = calloc(1, sizeof *s);
    char err[1024];
    int ret;
    int64_t dur;

    if (!s)
        return weft_node_error(node, WEFT_ENOMEM, "out of memory");
    weft_node_set_priv(node, s);
    io_ffmpeg_setup();
    if (!(s->path = weft_node_prop_path(node, "path")))
        return WEFT_EINVAL;
    /* The file is opened now, not at the first process, so that negotiate
     * states the rate and channels it really produces and `weft check`
     * catches a mismatch downstream before anything runs. */
    ret = io_audio_dec_open(s->path, NULL, 0, (int)weft_node_prop_int(node, "rate"),
                            (int)weft_node_prop_int(node, "channels"),
                            (int)weft_node_prop_int(node, "max_errors"), &s->dec,
                            err, sizeof err);
    if (ret < 0)
        return weft_node_error(node, ret, "%s", err);
    s->rate = io_audio_dec_rate(s->dec);
    s->channels = io_audio_dec_channels(s->dec);
    s->chunk = llround(weft_node_prop_float(node, "chunk") * s->rate);
    if (s->chunk < 1)
        s->chunk = 1;
    s->realtime = weft_node_prop_bool(node, "realtime");
    dur = io_audio_dec_duration_ns(s->dec);
    if (dur != WEFT_TIME_NONE)
        weft_node_set_media_duration(node, dur);
    return 0;
}

static int audio_file_negotiate(weft_node *node, const weft_format *const *in,
                                weft_format **out)
{
    audio_file *s = weft_node_priv(node);

    (void)in;
    return io_pcm_format(node, s->rate, s->channels, out);
}

static weft_flow audio_file_process(weft_node *node)
{
    audio_file *s = weft_node_priv(node);
    int64_t shape[2] = { s->chunk, s->channels }, n, t0, errs;
    weft_buf *b;
    char err[1024];
    int more;

    b = weft_buf_new_tensor(WEFT_DTYPE_F32, 2, shape, WEFT_DOMAIN_HOST, 0);
    if (!b) {
        weft_node_error(node, WEFT_ENOMEM, "%s: out of memory", s->path);
        return WEFT_FLOW_ERROR;
    }
    n = io_audio_dec_read(s->dec, weft_buf_data(b), s->chunk, err, sizeof err);
    more = n > 0 ? io_audio_dec_more(s->dec, err, sizeof err) : 0;
    errs = io_audio_dec_errors(s->dec);
    if (errs > s->errors) {
        weft_node_count(node, "decode_errors", errs - s->errors);
        s->errors = errs;
    }
    if (n < 0 || more < 0) {
        weft_buf_unref(b);
        weft_node_error(node, (int)(n < 0 ? n : more), "%s", err);
        return WEFT_FLOW_ERROR;
    }
    if (n == 0) {
        /* Nothing (more) to send: an empty file sends no buffer at all. */
        weft_buf_unref(b);
        return WEFT_FLOW_EOS;
    }
    if (n < s->chunk)
        weft_buf_shrink(b, n);
    t0 = io_time_ns(s->pos, s->rate);
    weft_buf_set_pts(b, t0);
    weft_buf_set_duration(b, io_time_ns(s->pos + n, s->rate) - t0);
    if (!more)
        weft_buf_set_flags(b, weft_buf_get_flags(b) | WEFT_BUF_SEGMENT_END);
    if (s->realtime) {
        if (s->pos == 0)
            s->start_ns = weft_node_clock_ns(node);
        io_sleep_until(node, s->start_ns, t0);
    }
    s->pos += n;
    return io_push_source(node, b, !more);
}

static void audio_file_fini(weft_node *node)
{
    audio_file *s = weft_node_priv(node);

    if (!s)
        return;
    io_audio_dec_close(s->dec);
    free(s->path);
    free(s);
    weft_node_set_priv(node, NULL);
}

static const weft_port_desc outputs[] = {
    WEFT_PORT("out", "audio/pcm dtype=f32",
              "Interleaved samples: `audio/pcm rate=R channels=C dtype=f32`, "
              "each buffer an f32 tensor of shape [frames, C] holding `chunk` "
              "seconds (the last one may be shorter)."),
    WEFT_PORT_END
};

static const weft_prop_desc props[] = {
    WEFT_PROP_PATH("path", NULL,
                   "The file to decode: anything FFmpeg reads (WAV, FLAC, MP3, "
                   "Ogg Vorbis/Opus, M4A/AAC, the audio of a video file). A "
                   "relative path is relative to the graph file."),
    WEFT_PROP_INT("rate", "0", 0, 768000, "Hz",
                  "Output sample rate, resampled with libswresample; 0 keeps "
                  "the file's rate."),
    WEFT_PROP_INT("channels", "0", 0, 64, "channels",
                  "Output channel count (stereo to mono averages the two "
                  "channels); 0 keeps the file's channels."),
    WEFT_PROP_FLOAT("chunk", "0.01", 0.0001, 60, "s",
                    "Duration of each buffer (10 ms by default)."),
    WEFT_PROP_BOOLEAN("realtime", "false",
                      "Pace the output at the speed of the media (a buffer "
                      "leaves when the graph clock reaches its pts) instead "
                      "of as fast as possible."),
    WEFT_PROP_INT("max_errors", "0", 0, 1000000, "packets",
                  "Damaged packets to skip before failing; 0 makes any "
                  "decode error (a truncated or corrupt file) an error. "
                  "Skipped packets are counted as `decode_errors`."),
    WEFT_PROP_END
};

const weft_node_class io_audio_file_class = {
    .struct_size = sizeof(weft_node_class),
    .name = "audio.file",
    .summary = "Decode an audio file to float32 PCM at a chosen rate",
    .doc =
        "Decodes the best audio stream of a file with FFmpeg (libavformat, "
        "libavcodec) and converts it with libswresample to interleaved "
        "float32 at `rate` Hz and `channels` channels, sent in buffers of "
        "`chunk` seconds: f32 tensors of shape [frames, channels]. The file "
        "is opened at init, so the output format states the real rate and "
        "channels and `weft check` rejects a graph whose consumer wants "
        "another rate.\n\n"
        "Timestamps are sample-exact: a buffer's pts is the index of its "
        "first frame divided by the rate (the first at 0), its duration "
        "covers its frames, and they never drift. The last buffer is "
        "flagged segment-end. The container's duration is reported for "
        "`weft run`'s progress. With `realtime`, buffers leave at the speed "
        "of the media, as a live source would.\n\n"
        "Errors (a missing, empty or non-media file, a file without audio, "
        "an unsupported codec, a truncated or corrupt stream) fail with one "
        "line naming the file.\n\n"
        "Example:\n"
        "    node src = audio.file { path = \"speech.mp3\", rate = 16000, "
        "channels = 1 }",
    .flags = WEFT_NODE_SOURCE,
    .outputs = outputs,
    .props = props,
    .init = audio_file_init,
    .negotiate = audio_file_negotiate,
    .process = audio_file_process,
    .fini = audio_file_fini,
};
