/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* audio.dir: every audio file in a folder, one segment each. */
#include "io-util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct audio_dir {
    char *dir;
    char **names;
    size_t n, next; /* next: the file being read */
    io_audio_dec *dec;
    int rate, channels, max_errors;
    int64_t chunk, pos;
    int64_t offset; /* media time before the file being read, in ns */
} audio_dir;

/* The folder's total duration for `weft run`'s progress bar, from each
 * file's header (no decoding, so a large folder costs one header read per
 * file; see io_audio_probe_duration_ns). A file whose length cannot be
 * had leaves the total unknown: a bar that ran past 100% or stalled short
 * of it would mislead more than none. */
static void report_duration(weft_node *node, const audio_dir *s)
{
    int64_t total = 0, d;

    for (size_t i = 0; i < s->n; i++) {
        char *path = io_join(s->dir, s->names[i]);
        d = path ? io_audio_probe_duration_ns(path) : WEFT_TIME_NONE;
        free(path);
        if (d == WEFT_TIME_NONE || d < 0) {
            weft_node_log(node, WEFT_LOG_DEBUG, "%s: no duration in its "
                          "header; the folder's total is unknown",
                          s->names[i]);
            return;
        }
        total += d;
    }
    weft_node_set_media_duration(node, total);
}

static int audio_dir_init(weft_node *node)
{
    audio_dir *s = calloc(1, sizeof *s);
    char err[1024];
    int ret;

    if (!s)
        return weft_node_error(node, WEFT_ENOMEM, "out of memory");
    weft_node_set_priv(node, s);
    io_ffmpeg_setup();
    s->rate = (int)weft_node_prop_int(node, "rate");
    s->channels = (int)weft_node_prop_int(node, "channels");
    s->max_errors = (int)weft_node_prop_int(node, "max_errors");
    s->chunk = llround(weft_node_prop_float(node, "chunk") * s->rate);
    if (s->chunk < 1)
        s->chunk = 1;
    if (!(s->dir = weft_node_prop_path(node, "path")))
        return WEFT_EINVAL;
    if ((ret = io_list_dir(s->dir, io_audio_exts, &s->names, &s->n, err, sizeof err)) < 0)
        return weft_node_error(node, ret, "%s", err);
    report_duration(node, s);
    return 0;
}

static int audio_dir_negotiate(weft_node *node, const weft_format *const *in,
                               weft_format **out)
{
    audio_dir *s = weft_node_priv(node);

    (void)in;
    return io_pcm_format(node, s->rate, s->channels, out);
}

static weft_flow audio_dir_process(weft_node *node)
{
    audio_dir *s = weft_node_priv(node);
    int64_t shape[2] = { s->chunk, s->channels }, n, t0;
    weft_buf *b;
    weft_buf_flags fl = 0;
    char err[1024];
    int ret, more;

    if (s->next >= s->n)
        return WEFT_FLOW_EOS;
    if (!s->dec) {
        char *path = io_join(s->dir, s->names[s->next]);
        if (!path) {
            weft_node_error(node, WEFT_ENOMEM, "out of memory");
            return WEFT_FLOW_ERROR;
        }
        ret = io_audio_dec_open(path, NULL, 0, s->rate, s->channels, s->max_errors,
                                &s->dec, err, sizeof err);
        free(path);
        if (ret < 0) {
            weft_node_error(node, ret, "%s", err);
            return WEFT_FLOW_ERROR;
        }
        s->pos = 0;
        fl |= WEFT_BUF_DISCONT;
        /* Timestamps restart in each file; progress counts on. */
        weft_node_set_media_offset(node, s->offset);
    }
    if (!(b = weft_buf_new_tensor(WEFT_DTYPE_F32, 2, shape, WEFT_DOMAIN_HOST, 0))) {
        weft_node_error(node, WEFT_ENOMEM, "out of memory");
        return WEFT_FLOW_ERROR;
    }
    n = io_audio_dec_read(s->dec, weft_buf_data(b), s->chunk, err, sizeof err);
    more = n >= 0 ? io_audio_dec_more(s->dec, err, sizeof err) : 0;
    if (n < 0 || more < 0) {
        weft_buf_unref(b);
        weft_node_error(node, (int)(n < 0 ? n : more), "%s", err);
        return WEFT_FLOW_ERROR;
    }
    /* An empty file still gives its segment: one empty, final buffer. */
    weft_buf_shrink(b, n);
    t0 = io_time_ns(s->pos, s->rate);
    weft_buf_set_pts(b, t0);
    weft_buf_set_duration(b, io_time_ns(s->pos + n, s->rate) - t0);
    weft_buf_set_segment(b, s->next);
    if (!more)
        fl |= WEFT_BUF_SEGMENT_END;
    weft_buf_set_flags(b, fl);
    if (io_set_file_meta(node, b, s->names[s->next]) < 0)
        return WEFT_FLOW_ERROR;
    s->pos += n;
    if (!more) {
        io_audio_dec_close(s->dec);
        s->dec = NULL;
        s->next++;
        s->offset += io_time_ns(s->pos, s->rate);
    }
    return io_push_source(node, b, s->next >= s->n);
}

static void audio_dir_fini(weft_node *node)
{
    audio_dir *s = weft_node_priv(node);

    if (!s)
        return;
    io_audio_dec_close(s->dec);
    io_free_list(s->names);
    free(s->dir);
    free(s);
    weft_node_set_priv(node, NULL);
}

static const weft_port_desc outputs[] = {
    WEFT_PORT("out", "audio/pcm dtype=f32",
              "`audio/pcm rate=R channels=C dtype=f32`, [frames, C] f32 tensors "
              "of `chunk` seconds; segment id = the file's position in the "
              "sorted list, metadata `file` = its name, pts from 0 in each "
              "file, first buffer of a file flagged discont, last segment-end."),
    WEFT_PORT_END
};

static const weft_prop_desc props[] = {
    WEFT_PROP_PATH("path", NULL,
                   "The folder. Files named *.wav, *.flac, *.mp3, *.ogg, *.oga, "
                   "*.opus, *.m4a, *.aac, *.mp4, *.wma, *.aif(f), *.au, *.caf, "
                   "*.webm, *.mka (any case) are read, sorted by name."),
    WEFT_PROP_INT("rate", "16000", 1000, 768000, "Hz",
                  "Output sample rate: every file is resampled to it."),
    WEFT_PROP_INT("channels", "1", 1, 64, "channels",
                  "Output channel count: every file is mixed to it."),
    WEFT_PROP_FLOAT("chunk", "0.01", 0.0001, 60, "s", "Duration of each buffer."),
    WEFT_PROP_INT("max_errors", "0", 0, 1000000, "packets",
                  "Damaged packets to skip per file before failing."),
    WEFT_PROP_END
};

const weft_node_class io_audio_dir_class = {
    .struct_size = sizeof(weft_node_class),
    .name = "audio.dir",
    .summary = "Decode every audio file in a folder, one segment per file",
    .doc =
        "For batch transcription: lists the audio files of a folder at init, "
        "sorted by name, and decodes each in turn like audio.file, at one "
        "fixed `rate` and `channels` for all. Each file is one segment: its "
        "buffers carry the file's index as segment id and its name in the "
        "metadata key `file`, timestamps restart at 0, and its last buffer "
        "is flagged segment-end (an empty file sends one empty buffer). A "
        "file that cannot be decoded stops the graph with an error naming "
        "it. Downstream nodes that pass metadata on (fbank, mfcc, "
        "asr.acoustic, ctc.greedy, ctc.beam) keep `file`, so "
        "`text.print { meta = \"file\" }` prints each result after its "
        "file's name.\n\n"
        "Progress: the folder's total duration, the sum of what each "
        "file's header states (read at init, nothing decoded; a file "
        "whose header states no length, as an MP3 without a Xing frame or "
        "ADTS AAC, is estimated from the bitrate of its first packets), is "
        "reported for `weft run`'s progress bar, and the position counts "
        "on across files. When a file's length cannot be had either way "
        "(a Matroska file written to a pipe, say) or the file cannot be "
        "opened, the total is unknown and no bar is drawn.\n\n"
        "Example:\n"
        "    node clips = audio.dir { path = \"recordings/\", rate = 16000 }",
    .flags = WEFT_NODE_SOURCE,
    .outputs = outputs,
    .props = props,
    .init = audio_dir_init,
    .negotiate = audio_dir_negotiate,
    .process = audio_dir_process,
    .fini = audio_dir_fini,
};
