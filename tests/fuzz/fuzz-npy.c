/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target for the .npy reader (plugins/core/npy.c), which parses
 * untrusted files. Every input is parsed from memory; what parses is
 * written back with the writer and parsed again, which must give the same
 * header, so the fuzzer checks the writer too.
 *
 * Build and run (clang 14, from the source tree):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined \
 *       -fno-sanitize-recover=undefined -Icore -Iplugins/core \
 *       tests/fuzz/fuzz-npy.c plugins/core/npy.c -o fuzz-npy
 *   mkdir -p corpus && cp tests/fixtures/npy/[a-z]*.npy corpus/
 *   ./fuzz-npy -max_total_time=300 corpus
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "npy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    npy_info a, b;
    char err[256];
    uint8_t *again = NULL;
    size_t len;
    volatile uint8_t sink = 0;

    if (npy_parse(data, size, &a, err, sizeof err) != 0) {
        /* Errors are one line. */
        if (memchr(err, '\n', strnlen(err, sizeof err)))
            abort();
        return 0;
    }
    /* The promised data lies inside the input. */
    if (a.data_offset > size || size - a.data_offset < a.data_bytes)
        abort();
    if (a.data_bytes)
        sink ^= data[a.data_offset + a.data_bytes - 1];
    (void)sink;
    if (a.data_bytes > (1u << 20))
        return 0;
    if (npy_write_mem(a.dtype, a.ndim, a.shape, data + a.data_offset, &again,
                      &len) != 0)
        abort();
    if (npy_parse(again, len, &b, err, sizeof err) != 0 ||
        b.dtype != a.dtype || b.ndim != a.ndim ||
        memcmp(b.shape, a.shape, a.ndim * sizeof a.shape[0]) != 0 ||
        b.data_bytes != a.data_bytes || b.data_offset % 64 != 0 ||
        memcmp(again + b.data_offset, data + a.data_offset, a.data_bytes) != 0)
        abort();
    free(again);
    return 0;
}
