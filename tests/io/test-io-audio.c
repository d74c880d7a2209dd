/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Tests of the io plugin's audio classes (audio.file, audio.write,
 * audio.dir) through the node harness. Test media is made at test time:
 * WAV files written here sample by sample, everything else encoded from
 * them with the ffmpeg CLI.
 */
#include "io-test-util.h"

#define SR 44100
#define F0 1000.0
#define AMP 0.5

/* 1 s of a 1 kHz sine at 0.5 in 44.1 kHz stereo float WAV: the source
 * every container test encodes from. */
static const char *sine_wav(void)
{
    static char path[512];
    float *x;
    if (path[0])
        return path;
    x = malloc(sizeof *x * SR * 2);
    for (long i = 0; i < SR; i++)
        x[2 * i] = x[2 * i + 1] = (float)(AMP * sin(2 * M_PI * F0 * (double)i / SR));
    snprintf(path, sizeof path, "%s", tpath("sine.wav"));
    write_wav(path, 3, SR, 2, x, SR);
    free(x);
    return path;
}

START_TEST(test_classes_documented)
{
    static const char *const names[] = { "audio.file", "audio.write", "audio.dir",
                                         "image.file", "image.dir", "video.file" };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const weft_node_class *c = weft_registry_find(reg, names[i]);
        ck_assert_msg(c != NULL, "class %s missing", names[i]);
        ck_assert(c->summary && *c->summary);
        ck_assert_msg(c->doc && strstr(c->doc, "node "), "%s: no example", names[i]);
        for (size_t k = 0; k < weft_class_n_props(c); k++) {
            const weft_prop_desc *p = weft_class_prop(c, k);
            ck_assert(p->doc && *p->doc);
            if (p->type == WEFT_PROP_INT || p->type == WEFT_PROP_FLOAT)
                ck_assert_msg(p->unit && (p->flags & WEFT_PROP_HAS_MAX),
                              "%s.%s: no unit or range", names[i], p->name);
        }
        for (size_t k = 0; k < weft_class_n_inputs(c); k++)
            ck_assert(weft_class_input(c, k)->doc && weft_class_input(c, k)->format);
        for (size_t k = 0; k < weft_class_n_outputs(c); k++)
            ck_assert(weft_class_output(c, k)->doc && weft_class_output(c, k)->format);
    }
}
END_TEST

/* 44.1 kHz stereo -> 16 kHz mono: level, frequency and phase against the
 * exact sine, sample count, chunking and pts. */
START_TEST(test_sine_resample_snr)
{
    weft_harness *h = hnew("audio.file", "path", sine_wav(), "rate", "16000",
                           "channels", "1", NULL);
    const weft_format *of;
    char *fs;
    weft_buf *b;
    long total = 0, nbuf = 0;
    float *y = malloc(sizeof *y * 20000);
    double sig = 0, err = 0, snr, lvl, fr;

    hstart(h);
    of = weft_harness_output_format(h, 0);
    fs = weft_format_to_string(of);
    ck_assert_str_eq(fs, "audio/pcm rate=16000 channels=1 dtype=f32");
    free(fs);
    ck_assert_int_eq(weft_harness_run(h, 100000), WEFT_FLOW_EOS);
    while ((b = weft_harness_pull(h, 0))) {
        long k = (long)weft_buf_dim(b, 0);
        ck_assert_int_eq(weft_buf_ndim(b), 2);
        ck_assert_int_eq(weft_buf_dim(b, 1), 1);
        ck_assert_int_eq(k, 160); /* 10 ms */
        ck_assert_int_eq(weft_buf_pts(b), (int64_t)total * 1000000000 / 16000);
        ck_assert_int_eq(weft_buf_duration(b), 10000000);
        ck_assert(!!(weft_buf_get_flags(b) & WEFT_BUF_SEGMENT_END) == (total + k == 16000));
        ck_assert_int_le(total + k, 20000);
        memcpy(y + total, weft_buf_cdata(b), sizeof *y * (size_t)k);
        total += k;
        nbuf++;
        weft_buf_unref(b);
    }
    ck_assert_int_eq(total, 16000);
    ck_assert_int_eq(nbuf, 100);
    /* The reference starts and stops abruptly, which no band-limited
     * resampler reproduces: the first and last 4 ms are left out. */
    for (long i = 64; i < total - 64; i++) {
        double r = AMP * sin(2 * M_PI * F0 * (double)i / 16000.0);
        sig += r * r;
        err += (y[i] - r) * (y[i] - r);
    }
    snr = 10 * log10(sig / err);
    fprintf(stderr, "sine 44.1k stereo -> 16k mono: SNR %.1f dB\n", snr);
    ck_assert_msg(snr >= 60, "SNR %.1f dB", snr);
    fr = tone_freq(y + 4000, 8000, 16000, 990, 1010, &lvl);
    ck_assert_msg(fabs(fr - F0) < 0.05, "frequency %.4f", fr);
    ck_assert_msg(fabs(lvl - AMP) < 0.001, "level %.5f", lvl);
    weft_harness_free(h);
    free(y);
}
END_TEST

/* Every container and codec the issue names decodes to the sine. */
START_TEST(test_containers)
{
    static const struct {
        const char *name, *args;
        double tol_len; /* allowed length error in samples at 16 kHz */
    } c[] = {
        { "s16.wav", "-c:a pcm_s16le", 0 },
        { "a.flac", "-c:a flac", 0 },
        { "a.mp3", "-c:a libmp3lame -b:a 192k", 0 },
        /* FFmpeg's Vorbis decoder drops the first half block (128 source
         * samples): the same in the ffmpeg CLI. */
        { "a.ogg", "-c:a libvorbis -q:a 6", 48 },
        { "a.opus", "-c:a libopus -b:a 128k", 0 },
        /* AAC's padding to whole 1024-sample frames is not trimmed by
         * FFmpeg 5.1's MP4 demuxer (the ffmpeg CLI keeps it too). */
        { "a.m4a", "-c:a aac -b:a 192k", 400 },
        /* the audio of a video file */
        { "v.mp4", "-f lavfi -i testsrc=size=64x48:rate=10:duration=1 "
                   "-map 1:v -map 0:a -c:v mpeg4 -c:a aac -shortest", 400 },
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        long n;
        int ch;
        float *y;
        double lvl, fr;
        sh("ffmpeg -nostdin -v error -y -i '%s' %s '%s'", sine_wav(), c[i].args,
           tpath(c[i].name));
        y = decode_all(tpath(c[i].name), "16000", "1", &n, &ch);
        ck_assert_int_eq(ch, 1);
        /* Encoder delay and padding are trimmed by the demuxers (LAME
         * header, Opus pre-skip, MP4 edit list): 1 s stays 1 s. */
        ck_assert_msg(labs(n - 16000) <= (long)c[i].tol_len + 0, "%s: %ld samples",
                      c[i].name, n);
        fr = tone_freq(y + 4000, 8000, 16000, 990, 1010, &lvl);
        ck_assert_msg(fabs(fr - F0) < 0.1, "%s: frequency %.3f", c[i].name, fr);
        /* Lossy codecs may move the level a little. */
        ck_assert_msg(fabs(20 * log10(lvl / AMP)) < 0.5, "%s: level %.4f", c[i].name, lvl);
        free(y);
    }
}
END_TEST

/* No resampling: every sample exact, counts and pts exact for odd sizes. */
START_TEST(test_exact_samples_and_pts)
{
    const long n = 12345;
    float *x = malloc(sizeof *x * n * 2), *y;
    long m;
    int ch, shift[] = { 1, 0 };
    weft_harness *h;
    weft_buf *b;
    int64_t pos = 0;

    for (long i = 0; i < n * 2; i++)
        x[i] = (float)((int)((i * 7919) % 65536) - 32768) / 32768.0f;
    write_wav(tpath("exact.wav"), 1, 16000, 2, x, n);
    y = decode_all(tpath("exact.wav"), "0", "0", &m, &ch);
    ck_assert_int_eq(m, n);
    ck_assert_int_eq(ch, 2);
    ck_assert(memcmp(x, y, sizeof *x * (size_t)n * 2) == 0);
    free(y);
    (void)shift;

    /* chunk of 25 ms at 16 kHz = 400 frames: 30 full buffers and 345 */
    h = hnew("audio.file", "path", tpath("exact.wav"), "chunk", "25ms", NULL);
    hstart(h);
    ck_assert_int_eq(weft_harness_run(h, 100000), WEFT_FLOW_EOS);
    ck_assert_uint_eq(weft_harness_available(h, 0), 31);
    while ((b = weft_harness_pull(h, 0))) {
        int64_t k = weft_buf_dim(b, 0);
        ck_assert_int_eq(weft_buf_pts(b), pos * 1000000000 / 16000);
        ck_assert_int_eq(weft_buf_duration(b),
                         (pos + k) * 1000000000 / 16000 - pos * 1000000000 / 16000);
        ck_assert_int_eq(k, pos + 400 <= n ? 400 : n - pos);
        pos += k;
        weft_buf_unref(b);
    }
    ck_assert_int_eq(pos, n);
    weft_harness_free(h);

    /* 16 kHz -> 8 kHz: exactly half the frames, rounded up. */
    y = decode_all(tpath("exact.wav"), "8000", "1", &m, &ch);
    ck_assert_int_eq(m, (n + 1) / 2);
    free(y);
    free(x);
}
END_TEST

/* The MP3 -> 16 kHz mono WAV conversion matches FFmpeg's own. */
START_TEST(test_mp3_convert_matches_ffmpeg)
{
    const long n = 3 * SR;
    float *x = malloc(sizeof *x * n * 2), *a, *r;
    long na, nr;
    int ra, rr, ca, cr;
    weft_harness *src, *snk;
    weft_buf *b;
    long maxd = 0;
    unsigned s = 1;

    /* A chirp in the left channel, a tone and noise in the right. */
    for (long i = 0; i < n; i++) {
        double t = (double)i / SR;
        s = s * 1103515245u + 12345u;
        x[2 * i] = (float)(0.4 * sin(2 * M_PI * (200 * t + 600 * t * t)));
        x[2 * i + 1] = (float)(0.3 * sin(2 * M_PI * 440 * t) +
                               0.05 * ((double)(s >> 16) / 32768.0 - 1));
    }
    write_wav(tpath("conv.wav"), 1, SR, 2, x, n);
    sh("ffmpeg -nostdin -v error -y -i '%s' -c:a libmp3lame -b:a 128k '%s'",
       tpath("conv.wav"), tpath("conv.mp3"));
    sh("ffmpeg -nostdin -v error -y -i '%s' -ar 16000 -ac 1 '%s'",
       tpath("conv.mp3"), tpath("ref.wav"));

    src = hnew("audio.file", "path", tpath("conv.mp3"), "rate", "16000",
               "channels", "1", NULL);
    snk = hnew("audio.write", "path", tpath("ours.wav"), NULL);
    hstart(src);
    {
        char *fs = weft_format_to_string(weft_harness_output_format(src, 0));
        ck_assert_int_eq(weft_harness_set_input_format(snk, 0, fs), 0);
        free(fs);
    }
    hstart(snk);
    ck_assert_int_eq(weft_harness_run(src, 100000), WEFT_FLOW_EOS);
    while ((b = weft_harness_pull(src, 0)))
        ck_assert_int_ne(weft_harness_push(snk, 0, b), WEFT_FLOW_ERROR);
    ck_assert_int_eq(weft_harness_push_eos(snk, 0), WEFT_FLOW_EOS);
    ck_assert_str_eq(weft_harness_error(snk), "");
    weft_harness_free(src);
    weft_harness_free(snk);

    a = read_wav(tpath("ours.wav"), &ra, &ca, &na);
    r = read_wav(tpath("ref.wav"), &rr, &cr, &nr);
    ck_assert_int_eq(ra, 16000);
    ck_assert_int_eq(ca, 1);
    ck_assert_int_eq(rr, 16000);
    ck_assert_int_eq(na, nr);
    for (long i = 0; i < na; i++) {
        long d = labs(lrintf((a[i] - r[i]) * 32768.0f));
        if (d > maxd)
            maxd = d;
    }
    fprintf(stderr, "mp3 -> 16 kHz mono: %ld samples, max difference from "
                    "ffmpeg %ld LSB\n", na, maxd);
    ck_assert_msg(maxd <= 1, "max difference %ld LSB", maxd);
    free(a);
    free(r);
    free(x);
}
END_TEST

/* audio.write: WAV s16, WAV f32 and FLAC read back exactly. */
START_TEST(test_write_roundtrip)
{
    static const struct {
        const char *name, *sfmt;
        bool exact_float;
    } w[] = { { "w16.wav", "s16", false }, { "wf.wav", "f32", true },
              { "w.flac", "s16", false } };
    const long n = 5000;
    float *x = malloc(sizeof *x * n * 2);

    for (long i = 0; i < n * 2; i++)
        x[i] = (float)(0.9 * sin((double)i * 0.01) + 1e-5 * (double)(i % 7));
    x[10] = 1.5f; /* clipped in s16 */
    for (size_t k = 0; k < sizeof w / sizeof w[0]; k++) {
        weft_harness *h = hnew("audio.write", "path", tpath(w[k].name),
                               "sample_format", w[k].sfmt, NULL);
        float *y;
        long m;
        int ch;
        ck_assert_int_eq(weft_harness_set_input_format(h, 0,
                             "audio/pcm rate=22050 channels=2 dtype=f32"), 0);
        hstart(h);
        for (long off = 0; off < n; off += 1234) {
            int64_t shape[2] = { n - off < 1234 ? n - off : 1234, 2 };
            weft_buf *b = weft_buf_new_tensor(WEFT_DTYPE_F32, 2, shape, WEFT_DOMAIN_HOST, 0);
            memcpy(weft_buf_data(b), x + off * 2, sizeof *x * (size_t)shape[0] * 2);
            ck_assert_int_eq(weft_harness_push(h, 0, b), WEFT_FLOW_OK);
        }
        /* Nothing is visible under the final name before the end. */
        ck_assert_int_ne(access(tpath(w[k].name), F_OK), 0);
        ck_assert_int_eq(weft_harness_push_eos(h, 0), WEFT_FLOW_EOS);
        weft_harness_free(h);
        y = decode_all(tpath(w[k].name), "0", "0", &m, &ch);
        ck_assert_int_eq(m, n);
        ck_assert_int_eq(ch, 2);
        for (long i = 0; i < n * 2; i++) {
            float want = w[k].exact_float ? x[i]
                       : (float)fmax(-32768, fmin(32767, lrintf(x[i] * 32768.0f))) / 32768.0f;
            ck_assert_msg(y[i] == want, "%s[%ld]: %g vs %g", w[k].name, i, y[i], want);
        }
        free(y);
    }
    free(x);
}
END_TEST

static void expect_error(const char *cls, const char *path, const char *want)
{
    weft_harness *h = hnew(cls, "path", path, NULL);
    const char *e, *base = strrchr(path, '/') + 1;
    weft_flow f;
    int ret = weft_harness_start(h);
    if (ret == 0) {
        /* Some damage shows only while decoding. */
        f = weft_harness_run(h, 100000000);
        ck_assert_msg(f == WEFT_FLOW_ERROR, "%s: no error", base);
    }
    e = weft_harness_error(h);
    fprintf(stderr, "  %s: %s\n", base, e);
    ck_assert_msg(strstr(e, want) != NULL, "%s: got '%s', want '%s'", base, e, want);
    ck_assert_msg(strstr(e, base) != NULL, "error does not name the file: %s", e);
    ck_assert_msg(strchr(e, '\n') == NULL, "error is not one line: %s", e);
    weft_harness_free(h);
}

START_TEST(test_bad_inputs)
{
    FILE *f;
    long size;
    char *buf;

    expect_error("audio.file", tpath("missing.wav"), "No such file");
    f = fopen(tpath("text.wav"), "w");
    fputs("This is not a WAV file, just some text.\nSecond line.\n", f);
    fclose(f);
    expect_error("audio.file", tpath("text.wav"), "not a media file");
    fclose(fopen(tpath("empty.mp3"), "w"));
    expect_error("audio.file", tpath("empty.mp3"), "empty file");
    expect_error("audio.file", tmpdir, "is a directory");

    /* A truncated MP3: the first 40% of a real one, cut mid-frame. */
    sh("ffmpeg -nostdin -v error -y -i '%s' -c:a libmp3lame -b:a 128k '%s'",
       sine_wav(), tpath("full.mp3"));
    f = fopen(tpath("full.mp3"), "rb");
    fseek(f, 0, SEEK_END);
    size = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)size);
    ck_assert_int_eq(fread(buf, 1, (size_t)size, f), size);
    fclose(f);
    f = fopen(tpath("truncated.mp3"), "wb");
    fwrite(buf, 1, (size_t)(size * 2 / 5) + 77, f);
    fclose(f);
    free(buf);
    expect_error("audio.file", tpath("truncated.mp3"), "truncated");

    /* A WAV whose format tag no decoder knows. */
    {
        float z[16] = { 0 };
        write_wav(tpath("codec.wav"), 1, 8000, 1, z, 16);
        f = fopen(tpath("codec.wav"), "r+b");
        fseek(f, 20, SEEK_SET);
        fputc(0x34, f);
        fputc(0x12, f);
        fclose(f);
    }
    expect_error("audio.file", tpath("codec.wav"), "unsupported audio codec");

    /* A 60-byte WAV whose LIST INFO chunk claims 2.7 GB and its one item
     * 2 GB: FFmpeg 5.1 would zero 2 GB for the item before reading it (the
     * fuzz target's find, tests/fuzz/corpus-audio/riff-list-oversize.wav). */
    {
        static const uint8_t wav[] = {
            'R', 'I', 'F', 'F', 52, 0, 0, 0, 'W', 'A', 'V', 'E',
            'f', 'm', 't', ' ', 16, 0, 0, 0, 1, 0, 1, 0, 0x40, 0x1f, 0, 0,
            0x80, 0x3e, 0, 0, 2, 0, 16, 0,
            'L', 'I', 'S', 'T', 0x1a, 0, 0, 0xa1, 'I', 'N', 'F', 'O',
            'I', 'S', 'F', 'T', 0xf0, 0xff, 0xff, 0x7f, 'L', 'a', 'v', 'f',
        };
        f = fopen(tpath("oversize-list.wav"), "wb");
        ck_assert_int_eq(fwrite(wav, 1, sizeof wav, f), sizeof wav);
        fclose(f);
    }
    expect_error("audio.file", tpath("oversize-list.wav"), "LIST INFO chunk");

    /* An AU header stating 134 MHz: libswresample would spend seconds and a
     * gigabyte building the filter to 16 kHz. */
    {
        static const uint8_t au[] = {
            '.', 's', 'n', 'd', 0, 0, 0, 24, 0, 0, 0, 16, 0, 0, 0, 1,
            0x08, 0, 0, 0x1f, 0, 0, 0, 1,
            0xff, 0xba, 0xb2, 0xaf, 0xb5, 0xc5, 0x30, 0x3a,
            0, 0, 0xff, 0xba, 0xb2, 0xaf, 0xb5, 0xc5,
        };
        f = fopen(tpath("fast.au"), "wb");
        ck_assert_int_eq(fwrite(au, 1, sizeof au, f), sizeof au);
        fclose(f);
    }
    expect_error("audio.file", tpath("fast.au"), "sample rate 134217759 Hz");

    /* A file with no audio at all. */
    sh("ffmpeg -nostdin -v error -y -f lavfi -i testsrc=size=32x32:duration=0.2 "
       "-c:v mpeg4 '%s'", tpath("silent.mp4"));
    expect_error("audio.file", tpath("silent.mp4"), "no audio stream");

    /* audio.write: an extension it cannot tell, FLAC as float. */
    {
        weft_harness *h = hnew("audio.write", "path", tpath("out.xyz"), NULL);
        ck_assert_int_lt(weft_harness_start(h), 0);
        ck_assert(strstr(weft_harness_error(h), "out.xyz"));
        weft_harness_free(h);
        h = hnew("audio.write", "path", tpath("out.flac"), "sample_format", "f32", NULL);
        ck_assert_int_lt(weft_harness_start(h), 0);
        ck_assert(strstr(weft_harness_error(h), "FLAC"));
        weft_harness_free(h);
    }
}
END_TEST

/* A damaged file can be read anyway with max_errors, counting the damage. */
START_TEST(test_truncated_tolerated)
{
    weft_harness *h;
    sh("ffmpeg -nostdin -v error -y -i '%s' -c:a libmp3lame '%s'", sine_wav(),
       tpath("t2.mp3"));
    sh("head -c 9000 '%s' > '%s'", tpath("t2.mp3"), tpath("t2cut.mp3"));
    h = hnew("audio.file", "path", tpath("t2cut.mp3"), "max_errors", "10", NULL);
    hstart(h);
    ck_assert_int_eq(weft_harness_run(h, 1000000), WEFT_FLOW_EOS);
    ck_assert_uint_gt(weft_harness_available(h, 0), 10);
    weft_harness_free(h);
}
END_TEST

static void add_tests(TCase *tc)
{
    tcase_add_test(tc, test_classes_documented);
    tcase_add_test(tc, test_sine_resample_snr);
    tcase_add_test(tc, test_containers);
    tcase_add_test(tc, test_exact_samples_and_pts);
    tcase_add_test(tc, test_mp3_convert_matches_ffmpeg);
    tcase_add_test(tc, test_write_roundtrip);
    tcase_add_test(tc, test_bad_inputs);
    tcase_add_test(tc, test_truncated_tolerated);
}

int main(void)
{
    return test_main("test-io-audio", "audio.file", add_tests);
}
