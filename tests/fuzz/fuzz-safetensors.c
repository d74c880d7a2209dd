/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target for the shared model loader's parsers (kernels/json.c,
 * kernels/model.c), which read untrusted model files. Each input is parsed
 * as a safetensors image; what validates is checked against the promises
 * of weft/model.h (every tensor inside the data section, sizes consistent,
 * ranges disjoint, lookups by name find each tensor), and every byte of
 * every tensor is read so ASan sees any overrun. The input is also parsed
 * as plain JSON (config.json).
 *
 * Build and run (clang 14, from a configured build folder BUILD):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined \
 *       -fno-sanitize-recover=undefined -IBUILD -Icore -Ikernels \
 *       tests/fuzz/fuzz-safetensors.c kernels/json.c kernels/model.c \
 *       -lm -o fuzz-safetensors
 *   mkdir -p corpus && ./fuzz-safetensors -max_total_time=600 corpus
 * Seeds: any small .safetensors file (tests/text/test-model-loader.c
 * builds several).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <weft/model.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    weft_st *st = NULL;
    weft_json *doc = NULL;
    char err[256];
    volatile uint8_t sink = 0;

    if (weft_st_parse(data, size, "fuzz.safetensors", &st, err,
                      sizeof err) == 0) {
        size_t n = weft_st_count(st);
        const uint8_t *lo = data, *hi = data + size;
        for (size_t i = 0; i < n; i++) {
            const weft_st_tensor *t = weft_st_at(st, i);
            const uint8_t *p = t->data;
            if (t->nbytes && (p < lo + 8 || p + t->nbytes > hi))
                abort();
            if (weft_st_find(st, t->name) != t)
                abort();
            if (i && strcmp(weft_st_at(st, i - 1)->name, t->name) >= 0)
                abort();
            for (size_t j = 0; j < t->nbytes; j++)
                sink ^= p[j];
            const void *q;
            if (weft_st_get(st, t->name, t->dtype, t->ndim, t->shape, &q, err,
                            sizeof err) == 0 && q != t->data)
                abort();
        }
        weft_st_free(st);
    } else if (strnlen(err, sizeof err) == 0 ||
               memchr(err, '\n', strnlen(err, sizeof err))) {
        abort(); /* errors are one non-empty line */
    }
    if (weft_json_parse((const char *)data, size, "fuzz.json", &doc, err,
                        sizeof err) == 0) {
        const weft_json_value *r = weft_json_root(doc);
        for (size_t i = 0; i < weft_json_len(r); i++) {
            const char *k = NULL;
            const weft_json_value *v = weft_json_at(r, i, &k);
            if (k && weft_json_get(r, k) != v)
                abort();
        }
        weft_json_free(doc);
    }
    (void)sink;
    return 0;
}
