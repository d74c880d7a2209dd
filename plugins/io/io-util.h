/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * io-util.h: helpers shared by the classes of the io plugin (FFmpeg file
 * sources and sinks). Internal to the plugin (hidden by its version script);
 * the decoders are also compiled into tests and the fuzz target.
 */
#ifndef WEFT_PLUGIN_IO_UTIL_H
#define WEFT_PLUGIN_IO_UTIL_H

#include <weft/plugin.h>

/* The node classes, one per file. */
extern const weft_node_class io_audio_file_class;
extern const weft_node_class io_audio_write_class;
extern const weft_node_class io_audio_dir_class;
extern const weft_node_class io_image_file_class;
extern const weft_node_class io_image_dir_class;
extern const weft_node_class io_video_file_class;

/* Limits shared by the image and video decoders: refused before decoding. */
#define IO_DEFAULT_MAX_PIXELS "100000000"
#define IO_MAX_DIM 65535

/** io_join: "@dir/@name", malloc'd, NULL when out of memory. */
char *io_join(const char *dir, const char *name);

/** The last component of @path ((transfer none), inside @path). */
const char *io_basename(const char *path);

/**
 * io_time_ns: time of item @index at @rate items per second, in ns, exact
 * for whole-number rates (computed from the index, never accumulated).
 */
int64_t io_time_ns(int64_t index, double rate);

/**
 * io_push_source: push @buf ((transfer full)) on output 0 and turn the
 * result into what a source's process returns: EOS when @last or when
 * downstream wants no more, OK otherwise.
 */
weft_flow io_push_source(weft_node *node, weft_buf *buf, bool last);

/**
 * io_set_file_meta: set metadata key `file` of @buf to @name. On failure
 * (out of memory) @buf is unreferenced and the error reported; returns 0 or
 * a negative code.
 */
int io_set_file_meta(weft_node *node, weft_buf *buf, const char *name);

/**
 * io_pcm_format / io_rgb_format: the output formats of the io sources,
 * `audio/pcm rate=@rate channels=@channels dtype=f32` and `image/rgb
 * dtype=u8` of shape @dims (-1: free) with dimension @names (or NULL), set
 * as out[0] ((transfer full)). 0, or a negative code after
 * weft_node_error().
 */
int io_pcm_format(weft_node *node, int rate, int channels, weft_format **out);
int io_rgb_format(weft_node *node, const int64_t dims[3], const char *const *names,
                  weft_format **out);

/**
 * io_sleep_until: sleep until the graph clock passes @start_ns + @pts_ns
 * (for `realtime` sources), in slices of at most 50 ms so that a stopping
 * graph is noticed.
 */
void io_sleep_until(weft_node *node, int64_t start_ns, int64_t pts_ns);

/**
 * io_file_precheck: a clear one-line reason in @err when @path cannot be a
 * media file (missing, a directory, empty). 0 when it may be one.
 */
int io_file_precheck(const char *path, char *err, size_t errlen);

/**
 * io_list_dir: the names in @dir whose extension (case-insensitive) is in
 * the NULL-terminated @exts, sorted bytewise. (transfer full) a
 * NULL-terminated array of malloc'd strings (free with io_free_list); 0 or
 * a negative code with a reason in @err.
 */
int io_list_dir(const char *dir, const char *const *exts, char ***out,
                size_t *n, char *err, size_t errlen);
void io_free_list(char **list);

/* Extensions the directory sources pick up. */
extern const char *const io_audio_exts[];
extern const char *const io_image_exts[];

/**
 * io_ffmpeg_setup: route FFmpeg's log lines into Weft's log (category
 * "ffmpeg") instead of stderr. Idempotent. [control]
 */
void io_ffmpeg_setup(void);

/** FFmpeg error text for @averr into @buf; returns @buf. */
const char *io_averr(int averr, char *buf, size_t len);

/* ------------------------------------------------- audio decoding */

typedef struct io_audio_dec io_audio_dec;

/**
 * io_audio_dec_open: open @path (or, when @data is non-NULL, the @size bytes
 * at @data, named @path in messages) and prepare to decode its best audio
 * stream to interleaved float32 at @rate Hz with @channels channels (0 for
 * either: as the stream has). @max_errors: packets the decoder may reject
 * before decoding fails (damaged files). On failure @err gets one line
 * naming @path. (transfer full) @out; 0 or a negative WEFT_E* code.
 */
int io_audio_dec_open(const char *path, const uint8_t *data, size_t size,
                      int rate, int channels, int max_errors,
                      io_audio_dec **out, char *err, size_t errlen);
/** Output rate and channels (the fixed ones). */
int io_audio_dec_rate(const io_audio_dec *d);
int io_audio_dec_channels(const io_audio_dec *d);
/** The stream's own rate and channels. */
int io_audio_dec_src_rate(const io_audio_dec *d);
int io_audio_dec_src_channels(const io_audio_dec *d);
/** Codec name ("mp3", "flac", ...). */
const char *io_audio_dec_codec(const io_audio_dec *d);
/** Duration the container states, in ns, or WEFT_TIME_NONE. */
int64_t io_audio_dec_duration_ns(const io_audio_dec *d);
/**
 * io_audio_probe_duration_ns: the duration of @path's audio stream from
 * its header (libavformat reads the header; nothing is decoded): the
 * stream's stated duration, else the container's. A header without one
 * (an MP3 without a Xing frame, ADTS AAC) gets libavformat's estimate
 * from the bitrate of the first packets (at most 32 KiB and 0.5 s read).
 * WEFT_TIME_NONE when there is no estimate either or the file cannot be
 * opened (the decoder says why when the file's turn comes).
 */
int64_t io_audio_probe_duration_ns(const char *path);
/** Packets the decoder rejected so far (tolerated via max_errors). */
int64_t io_audio_dec_errors(const io_audio_dec *d);
/**
 * io_audio_dec_read: up to @frames frames into @dst (interleaved). Returns
 * the number read (fewer only at the end), 0 at the end, or a negative code
 * with a line in @err.
 */
int64_t io_audio_dec_read(io_audio_dec *d, float *dst, int64_t frames,
                          char *err, size_t errlen);
/**
 * io_audio_dec_more: 1 when at least one more frame can be read, 0 at the
 * end, or a negative code (decodes ahead as needed, so a source can flag
 * its last buffer).
 */
int io_audio_dec_more(io_audio_dec *d, char *err, size_t errlen);
void io_audio_dec_close(io_audio_dec *d);

/* ------------------------------------------------- image decoding */

/**
 * io_image_sniff_size: width and height from the header of a PNG, JPEG,
 * GIF, BMP or WebP file (the first @n bytes at @hdr), so that absurd sizes
 * are refused before any decoder allocates. 0 when found, WEFT_ENOENT when
 * the format is not one of these or the header is short.
 */
int io_image_sniff_size(const uint8_t *hdr, size_t n, int64_t *w, int64_t *h);

/**
 * io_image_load: decode the first frame of image file @path to a
 * `[H, W, 3]` u8 RGB tensor. Images over @max_pixels pixels (or a side
 * over IO_MAX_DIM) are refused before decoding. (transfer full) @out; 0 or
 * a negative code with one line naming the file in @err.
 */
int io_image_load(const char *path, int64_t max_pixels, weft_buf **out,
                  char *err, size_t errlen);

/* Opaque pixel converter for video and images: (re)configures itself when
 * the frame's size or pixel format changes. */
typedef struct io_rgb_conv io_rgb_conv;
io_rgb_conv *io_rgb_conv_new(void);
void io_rgb_conv_free(io_rgb_conv *c);
/** Convert @frame (an AVFrame *) to RGB24 into the [H,W,3] tensor @dst.
 * 0 or a negative code. */
int io_rgb_conv_run(io_rgb_conv *c, const void *frame, weft_buf *dst);

#endif /* WEFT_PLUGIN_IO_UTIL_H */
