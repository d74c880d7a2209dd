/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Helpers shared by the io and audio plugin tests (header-only). */
#ifndef WEFT_TESTS_IO_UTIL_H
#define WEFT_TESTS_IO_UTIL_H

#include <check.h>
#include <dirent.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <weft/harness.h>
#include <weft/registry.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

static weft_registry *reg;
static char tmpdir[256];

static inline char *tpath(const char *name)
{
    static char buf[8][512];
    static int k;
    char *p = buf[k++ % 8];
    snprintf(p, 512, "%s/%s", tmpdir, name);
    return p;
}

/* Run a shell command (the ffmpeg CLI makes test media); fail the test if
 * it fails. */
static inline void sh(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    int rc;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    rc = system(cmd);
    ck_assert_msg(rc == 0, "command failed (%d): %s", rc, cmd);
}

static inline void put16(FILE *f, unsigned v) { fputc(v & 255, f); fputc((v >> 8) & 255, f); }
static inline void put32(FILE *f, unsigned long v) { put16(f, v & 0xffff); put16(f, (v >> 16) & 0xffff); }

/* Write a WAV: @tag 1 (PCM s16) or 3 (float), interleaved @x of n frames. */
static inline void write_wav(const char *path, unsigned tag, int rate, int ch,
                             const float *x, long n)
{
    FILE *f = fopen(path, "wb");
    unsigned bps = tag == 3 ? 4 : 2;
    unsigned long bytes = (unsigned long)n * (unsigned long)ch * bps;
    ck_assert_ptr_nonnull(f);
    fwrite("RIFF", 1, 4, f);
    put32(f, 36 + bytes);
    fwrite("WAVEfmt ", 1, 8, f);
    put32(f, 16);
    put16(f, tag);
    put16(f, (unsigned)ch);
    put32(f, (unsigned long)rate);
    put32(f, (unsigned long)rate * (unsigned long)ch * bps);
    put16(f, (unsigned)ch * bps);
    put16(f, bps * 8);
    fwrite("data", 1, 4, f);
    put32(f, bytes);
    for (long i = 0; i < n * ch; i++) {
        if (tag == 3) {
            fwrite(&x[i], 4, 1, f);
        } else {
            long v = lrintf(x[i] * 32768.0f);
            v = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
            put16(f, (unsigned)(v & 0xffff));
        }
    }
    ck_assert_int_eq(fclose(f), 0);
}

/* Read a PCM WAV (s16 or f32) into floats; returns frames. */
static inline float *read_wav(const char *path, int *rate, int *ch, long *n)
{
    FILE *f = fopen(path, "rb");
    unsigned char h[12], c[8];
    unsigned tag = 0, bits = 0;
    float *x = NULL;
    ck_assert_msg(f != NULL, "cannot open %s", path);
    ck_assert_uint_eq(fread(h, 1, 12, f), 12);
    ck_assert(memcmp(h, "RIFF", 4) == 0 && memcmp(h + 8, "WAVE", 4) == 0);
    while (fread(c, 1, 8, f) == 8) {
        unsigned long len = c[4] | c[5] << 8 | c[6] << 16 | (unsigned long)c[7] << 24;
        if (memcmp(c, "fmt ", 4) == 0) {
            unsigned char fm[40];
            ck_assert_uint_le(len, sizeof fm);
            ck_assert_uint_eq(fread(fm, 1, len, f), len);
            tag = fm[0] | fm[1] << 8;
            *ch = fm[2] | fm[3] << 8;
            *rate = fm[4] | fm[5] << 8 | fm[6] << 16;
            bits = fm[14] | fm[15] << 8;
            if (tag == 0xfffe)
                tag = fm[24] | fm[25] << 8;
        } else if (memcmp(c, "data", 4) == 0) {
            long total = (long)(len / (bits / 8));
            x = malloc(sizeof *x * (size_t)(total + 1));
            for (long i = 0; i < total; i++) {
                if (tag == 3) {
                    ck_assert_uint_eq(fread(&x[i], 4, 1, f), 1);
                } else {
                    unsigned char s[2];
                    ck_assert_uint_eq(fread(s, 1, 2, f), 2);
                    x[i] = (float)(int16_t)(s[0] | s[1] << 8) / 32768.0f;
                }
            }
            *n = total / *ch;
            break;
        } else {
            fseek(f, (long)(len + (len & 1)), SEEK_CUR);
        }
    }
    fclose(f);
    ck_assert_msg(x != NULL, "%s: no data chunk", path);
    return x;
}

/* A harness for @cls with NULL-terminated name/value property pairs. */
static inline weft_harness *hnew(const char *cls, ...)
{
    weft_harness *h;
    va_list ap;
    int rc;
    ck_assert_msg(weft_harness_new(reg, cls, &h) == 0, "no class %s", cls);
    va_start(ap, cls);
    rc = weft_harness_set_props_v(h, ap);
    va_end(ap);
    ck_assert_msg(rc == 0, "%s", weft_harness_error(h));
    return h;
}

static inline void hstart(weft_harness *h)
{
    ck_assert_msg(weft_harness_start(h) == 0, "start: %s", weft_harness_error(h));
}

/* Decode the whole file with audio.file: interleaved samples, frame count. */
static inline float *decode_all(const char *path, const char *rate,
                                const char *channels, long *n, int *ch)
{
    weft_harness *h = hnew("audio.file", "path", path, "rate", rate,
                           "channels", channels, NULL);
    weft_buf *b;
    float *x = NULL;
    long len = 0;
    int64_t c = 0;
    weft_flow f;
    hstart(h);
    ck_assert_int_eq(weft_format_get_int(weft_harness_output_format(h, 0), "channels", &c), 0);
    f = weft_harness_run(h, 100000000);
    ck_assert_msg(f == WEFT_FLOW_EOS, "%s: %s", path, weft_harness_error(h));
    while ((b = weft_harness_pull(h, 0))) {
        long k = (long)weft_buf_dim(b, 0);
        x = realloc(x, sizeof *x * (size_t)((len + k) * c + 1));
        memcpy(x + len * c, weft_buf_cdata(b), sizeof *x * (size_t)(k * c));
        len += k;
        weft_buf_unref(b);
    }
    weft_harness_free(h);
    *n = len;
    *ch = (int)c;
    return x;
}

/* Frequency of the strongest tone in mono @x (rate @rate), by a DFT scan
 * with parabolic refinement on a Hann-windowed stretch. */
static inline double tone_freq(const float *x, long n, int rate, double lo,
                               double hi, double *level)
{
    double best = 0, bestf = 0, prev = 0, step = 0.5;
    double p[3];
    int nb = 0;
    /* coarse scan then refine */
    for (double fr = lo; fr <= hi; fr += step) {
        double re = 0, im = 0, pw;
        for (long i = 0; i < n; i++) {
            double w = 0.5 - 0.5 * cos(2 * M_PI * (double)i / (double)(n - 1));
            re += w * x[i] * cos(2 * M_PI * fr * (double)i / rate);
            im += w * x[i] * sin(2 * M_PI * fr * (double)i / rate);
        }
        pw = re * re + im * im;
        if (pw > best) {
            best = pw;
            bestf = fr;
        }
        (void)prev;
    }
    for (int k = -1; k <= 1; k++) {
        double fr = bestf + k * step, re = 0, im = 0;
        for (long i = 0; i < n; i++) {
            double w = 0.5 - 0.5 * cos(2 * M_PI * (double)i / (double)(n - 1));
            re += w * x[i] * cos(2 * M_PI * fr * (double)i / rate);
            im += w * x[i] * sin(2 * M_PI * fr * (double)i / rate);
        }
        p[nb++] = sqrt(re * re + im * im);
    }
    if (level)
        *level = 2 * p[1] / ((double)n * 0.5);
    if (p[0] + p[2] - 2 * p[1] < 0)
        return bestf + step * 0.5 * (p[0] - p[2]) / (p[0] - 2 * p[1] + p[2]);
    return bestf;
}

static inline void remove_tmpdir(void)
{
    DIR *d = opendir(tmpdir);
    struct dirent *e;
    char p[1024];
    if (!d)
        return;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(p, sizeof p, "%s/%s", tmpdir, e->d_name);
        if (unlink(p) != 0) {
            /* a sub-folder of test files */
            DIR *s = opendir(p);
            struct dirent *e2;
            char q[1536];
            while (s && (e2 = readdir(s)))
                if (e2->d_name[0] != '.') {
                    snprintf(q, sizeof q, "%s/%s", p, e2->d_name);
                    unlink(q);
                }
            if (s)
                closedir(s);
            rmdir(p);
        }
    }
    closedir(d);
    rmdir(tmpdir);
}

static inline int test_main(const char *name, const char *probe_class,
                            void (*add)(TCase *))
{
    Suite *s = suite_create(name);
    TCase *tc = tcase_create("nodes");
    SRunner *sr;
    int failed;

    reg = weft_registry_new();
    weft_registry_scan_dir(reg, TOP_BUILDDIR "/plugins/.libs");
    if (!weft_registry_find(reg, probe_class)) {
        fprintf(stderr, "%s not found in %s/plugins/.libs\n", probe_class, TOP_BUILDDIR);
        for (size_t i = 0; i < weft_registry_n_problems(reg); i++)
            fprintf(stderr, "  %s\n", weft_registry_problem(reg, i));
        return 1;
    }
    snprintf(tmpdir, sizeof tmpdir, "%s/%s-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", name);
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    tcase_set_timeout(tc, 300);
    add(tc);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    remove_tmpdir();
    weft_registry_free(reg);
    return failed ? 1 : 0;
}

#endif
