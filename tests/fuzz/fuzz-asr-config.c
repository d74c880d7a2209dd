/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target for the acoustic model's config parser and layer
 * builder (plugins/asr/model.c) and, for every model that builds, the
 * streaming forward pass (forward.c, ops.c) on the CPU. An input is
 *
 *   u32 LE   n, the length of the config text
 *   u8       the token count (tokens "t0", "t1", ...)
 *   n bytes  config.json
 *   rest     a safetensors image (model.safetensors)
 *
 * so mutations reach both files and their agreement. A model that builds
 * runs 1, 7 and 3 frames of data through one state, then is reset, so
 * ASan sees every buffer the layers size from the config.
 *
 * Build and run from a configured build folder: make fuzz-asr (FUZZ_TIME
 * seconds). Seeds: tests/fuzz/corpus-asr, the golden models in this
 * layout (tests/golden/make-asr-golden.py writes them).
 * tests/asr/replay-asr runs the seeds through the same entry point in
 * `make check`.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "asr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char names[256][8];
    static const char *toks[256];
    weft_json *doc = NULL;
    weft_st *st = NULL;
    asr_model *m = NULL;
    char err[1024];
    uint32_t n;
    int32_t nt;

    if (size < 5)
        return 0;
    memcpy(&n, data, 4);
    nt = data[4];
    data += 5;
    size -= 5;
    if (n > size)
        n = (uint32_t)size;
    for (int i = 0; i < 256; i++) {
        if (!toks[i]) {
            names[i][0] = 't';
            names[i][1] = (char)('0' + i / 100);
            names[i][2] = (char)('0' + i / 10 % 10);
            names[i][3] = (char)('0' + i % 10);
            toks[i] = names[i];
        }
    }
    if (weft_json_parse((const char *)data, n, "config.json", &doc, err,
                        sizeof err) < 0)
        return 0;
    if (weft_st_parse(data + n, size - n, "model.safetensors", &st, err,
                      sizeof err) < 0)
        goto out;
    if (asr_model_build(weft_json_root(doc), st, toks, nt, &m, err,
                        sizeof err) == 0) {
        weft_kctx *k = NULL;
        asr_state *s = NULL;
        /* Only run models small enough to stay fast per input. */
        if (m->n_params < 4000000 && m->max_width < 8192 &&
            weft_kctx_new("cpu", &k) == 0 &&
            asr_state_new(m, NULL, k, &s) == 0) {
            static const int64_t chunks[3] = { 1, 7, 3 };
            float *in = calloc(11 * (size_t)m->in_dim, sizeof *in);
            float *out = calloc(12 * (size_t)m->n_tokens, sizeof *out);
            for (int64_t i = 0; in && i < 11 * m->in_dim; i++)
                in[i] = (float)((i * 37) % 11) - 5.0f;
            for (int c = 0; in && out && c < 3; c++) {
                int64_t want = asr_out_frames(s, chunks[c]);
                if (want > chunks[c])
                    abort(); /* a stride never adds frames */
                asr_forward(s, in, chunks[c], out);
            }
            asr_state_reset(s);
            free(in);
            free(out);
        }
        asr_state_free(s);
        weft_kctx_free(k);
        asr_model_free(m);
    } else if (memchr(err, '\n', strlen(err))) {
        abort(); /* an error is one line */
    }
out:
    weft_st_free(st);
    weft_json_free(doc);
    return 0;
}
