/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target for audio.file's open/decode path
 * (plugins/io/io-audio-dec.c): every input is opened from memory through a
 * custom AVIOContext, probed, decoded and resampled to 16 kHz mono (or,
 * by the first byte, kept at its own rate and channels) to the end. Errors
 * must be one line naming the input.
 *
 * Build and run (clang 14, from a configured build folder B):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined \
 *       -fno-sanitize-recover=undefined -I. -Icore -Iplugins/io -IB \
 *       tests/fuzz/fuzz-audio-file.c plugins/io/io-audio-dec.c \
 *       plugins/io/io-util.c -LB/core/.libs -lweft \
 *       $(pkg-config --libs libavformat libavcodec libavutil libswresample) \
 *       -lm -Wl,-rpath,B/core/.libs -o fuzz-audio-file
 *   mkdir -p corpus && cp tests/fuzz/corpus-audio/[a-z]* corpus/
 *   ./fuzz-audio-file -max_total_time=600 -rss_limit_mb=2048 corpus
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "io-util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static float buf[4096 * 64];
    static bool setup;
    io_audio_dec *d;
    char err[1024];
    int64_t n, total = 0;
    int keep = size > 0 && (data[0] & 1);

    if (!setup) {
        io_ffmpeg_setup(); /* FFmpeg's log into Weft's, which drops it */
        setup = true;
    }
    if (io_audio_dec_open("fuzz-input", data, size, keep ? 0 : 16000, keep ? 0 : 1,
                          0, &d, err, sizeof err) < 0) {
        if (!strstr(err, "fuzz-input") || strchr(err, '\n'))
            abort();
        return 0;
    }
    /* Bounded work per input: 30 s of audio at most. */
    while ((n = io_audio_dec_read(d, buf, 4096 * 64 / io_audio_dec_channels(d) < 4096
                                              ? 4096 * 64 / io_audio_dec_channels(d) : 4096,
                                  err, sizeof err)) > 0) {
        total += n;
        if (total > (int64_t)io_audio_dec_rate(d) * 30)
            break;
    }
    if (n < 0 && (!strstr(err, "fuzz-input") || strchr(err, '\n')))
        abort();
    io_audio_dec_close(d);
    return 0;
}
