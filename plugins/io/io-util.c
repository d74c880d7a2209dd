/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* io-util.c: helpers shared by the io plugin's classes. */
#include "io-util.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include <libavutil/error.h>
#include <libavutil/log.h>

const char *const io_audio_exts[] = {
    "wav", "flac", "mp3", "ogg", "oga", "opus", "m4a", "aac", "mp4",
    "wma", "aif", "aiff", "au", "caf", "webm", "mka", NULL,
};
const char *const io_image_exts[] = {
    "png", "jpg", "jpeg", "bmp", "webp", "gif", "tif", "tiff", "ppm",
    "pgm", "pnm", "tga", NULL,
};

char *io_join(const char *dir, const char *name)
{
    size_t dl = strlen(dir), nl = strlen(name);
    char *out = malloc(dl + 1 + nl + 1);

    if (!out)
        return NULL;
    memcpy(out, dir, dl);
    out[dl] = '/';
    memcpy(out + dl + 1, name, nl + 1);
    return out;
}

const char *io_basename(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

int64_t io_time_ns(int64_t index, double rate)
{
    if (!(rate > 0))
        return WEFT_TIME_NONE;
    if (rate == floor(rate) && rate <= 1e9) {
        int64_t r = (int64_t)rate;
        return (index / r) * 1000000000 + (index % r) * 1000000000 / r;
    }
    return llround((double)index * 1e9 / rate);
}

weft_flow io_push_source(weft_node *node, weft_buf *buf, bool last)
{
    weft_flow f = weft_node_push(node, 0, buf);

    if (f == WEFT_FLOW_EOS || last)
        return WEFT_FLOW_EOS;
    return WEFT_FLOW_OK;
}

int io_set_file_meta(weft_node *node, weft_buf *buf, const char *name)
{
    if (weft_buf_set_meta(buf, "file", name) < 0) {
        weft_buf_unref(buf);
        return weft_node_error(node, WEFT_ENOMEM, "out of memory");
    }
    return 0;
}

int io_pcm_format(weft_node *node, int rate, int channels, weft_format **out)
{
    weft_format *f = weft_format_new("audio/pcm");

    if (!f || weft_format_set_int(f, "rate", rate) < 0 ||
        weft_format_set_int(f, "channels", channels) < 0 ||
        weft_format_set_string(f, "dtype", "f32") < 0) {
        weft_format_free(f);
        return weft_node_error(node, WEFT_ENOMEM, "out of memory");
    }
    out[0] = f;
    return 0;
}

int io_rgb_format(weft_node *node, const int64_t dims[3], const char *const *names,
                  weft_format **out)
{
    weft_format *f = weft_format_new("image/rgb");

    if (!f || weft_format_set_string(f, "dtype", "u8") < 0 ||
        weft_format_set_shape(f, 3, dims, names) < 0) {
        weft_format_free(f);
        return weft_node_error(node, WEFT_ENOMEM, "out of memory");
    }
    out[0] = f;
    return 0;
}

void io_sleep_until(weft_node *node, int64_t start_ns, int64_t pts_ns)
{
    for (int i = 0; i < 1000 && !weft_node_is_stopping(node); i++) {
        int64_t wait = start_ns + pts_ns - weft_node_clock_ns(node);
        struct timespec ts;

        if (wait <= 0)
            return;
        if (wait > 50000000)
            wait = 50000000;
        ts.tv_sec = 0;
        ts.tv_nsec = (long)wait;
        nanosleep(&ts, NULL);
    }
}

int io_file_precheck(const char *path, char *err, size_t errlen)
{
    struct stat st;

    if (stat(path, &st) != 0) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return errno == ENOENT ? WEFT_ENOENT : WEFT_EIO;
    }
    if (S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "%s: is a directory, not a media file", path);
        return WEFT_EINVAL;
    }
    if (S_ISREG(st.st_mode) && st.st_size == 0) {
        snprintf(err, errlen, "%s: empty file (0 bytes)", path);
        return WEFT_EFORMAT;
    }
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool has_ext(const char *name, const char *const *exts)
{
    const char *dot = strrchr(name, '.');

    if (!dot || dot == name)
        return false;
    for (size_t i = 0; exts[i]; i++)
        if (strcasecmp(dot + 1, exts[i]) == 0)
            return true;
    return false;
}

void io_free_list(char **list)
{
    if (!list)
        return;
    for (size_t i = 0; list[i]; i++)
        free(list[i]);
    free(list);
}

int io_list_dir(const char *dir, const char *const *exts, char ***out,
                size_t *n, char *err, size_t errlen)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char **list = NULL, **grown;
    size_t len = 0, cap = 0;
    int ret = 0;

    *out = NULL;
    *n = 0;
    if (!d) {
        snprintf(err, errlen, "%s: cannot open folder: %s", dir,
                 strerror(errno));
        return errno == ENOENT ? WEFT_ENOENT : WEFT_EIO;
    }
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || !has_ext(e->d_name, exts))
            continue;
        if (len + 2 > cap) {
            cap = cap ? cap * 2 : 16;
            if (!(grown = realloc(list, cap * sizeof *list))) {
                ret = WEFT_ENOMEM;
                goto done;
            }
            list = grown;
        }
        if (!(list[len] = strdup(e->d_name))) {
            ret = WEFT_ENOMEM;
            goto done;
        }
        list[++len] = NULL;
    }
    if (len)
        qsort(list, len, sizeof *list, cmp_str);
done:
    closedir(d);
    if (ret < 0) {
        snprintf(err, errlen, "%s: out of memory listing the folder", dir);
        io_free_list(list);
        return ret;
    }
    if (!list && !(list = calloc(1, sizeof *list))) {
        snprintf(err, errlen, "%s: out of memory", dir);
        return WEFT_ENOMEM;
    }
    *out = list;
    *n = len;
    return 0;
}

const char *io_averr(int averr, char *buf, size_t len)
{
    if (av_strerror(averr, buf, len) < 0)
        snprintf(buf, len, "FFmpeg error %d", averr);
    return buf;
}

/* FFmpeg prints to stderr by default; library code must not, so its lines
 * go to Weft's log. Its errors are details of what the node reports in one
 * line, hence INFO; WEFT_DEBUG=ffmpeg:4 shows everything. */
static void av_log_to_weft(void *avcl, int level, const char *fmt, va_list vl)
{
    char line[1024];
    int prefix = 1;
    weft_log_level wl;
    size_t n;

    if (level > AV_LOG_VERBOSE)
        return;
    wl = level <= AV_LOG_WARNING ? WEFT_LOG_INFO : WEFT_LOG_DEBUG;
    if (weft_log_threshold("ffmpeg") < wl)
        return;
    av_log_format_line2(avcl, level, fmt, vl, line, sizeof line, &prefix);
    n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = 0;
    if (n)
        weft_log(wl, "ffmpeg", "%s", line);
}

void io_ffmpeg_setup(void)
{
    av_log_set_callback(av_log_to_weft);
}
