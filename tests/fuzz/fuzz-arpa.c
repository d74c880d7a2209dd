/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target for the ctc plugin's parsers of untrusted files: the
 * first byte picks the ARPA parser (then a few LM queries), the grammar
 * parser (then a few matches) or the compiled-LM cache loader.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Iplugins/ctc -Icore \
 *       tests/fuzz/fuzz-arpa.c plugins/ctc/{vocab,lexicon,lm,grammar,decoder}.c \
 *       -lm -o fuzz-arpa && ./fuzz-arpa -max_total_time=600
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[CTC_ERRLEN];

    if (size < 1)
        return 0;
    switch (data[0] % 3) {
    case 0: {
        ctc_lm *lm;
        if (ctc_lm_parse((const char *)data + 1, size - 1, "f.arpa", &lm, err,
                         sizeof err) == 0) {
            void *img;
            size_t len;
            (void)ctc_lm_sentence(lm, "a b c <s> </s> <unk> the");
            if (ctc_lm_image(lm, 1, 2, 3, &img, &len) == 0) {
                ctc_lm *lm2;
                if (ctc_lm_from_image(img, len, "x", &lm2, err,
                                      sizeof err) == 0)
                    ctc_lm_free(lm2);
                free(img);
            }
            ctc_lm_free(lm);
        }
        break;
    }
    case 1: {
        ctc_grammar *g;
        if (ctc_grammar_parse((const char *)data + 1, size - 1, "f.grammar",
                              &g, err, sizeof err) == 0) {
            (void)ctc_grammar_match(g, "turn on the kitchen lights");
            (void)ctc_grammar_match(g, "a b c");
            for (int32_t i = 0; i < ctc_grammar_n_words(g) && i < 4; i++)
                (void)ctc_grammar_match(g, ctc_grammar_word(g, i));
            /* Walk a few words from the start, asking the strict search's
             * questions: every prefix of the word, the next state, and
             * whether it accepts. */
            int32_t st = ctc_grammar_start(g);
            for (int32_t i = 0; i < ctc_grammar_n_words(g) && i < 8 &&
                                st >= 0; i++) {
                const char *w = ctc_grammar_word(g, i);
                size_t len = strlen(w);
                for (size_t k = 0; k <= len; k++)
                    (void)ctc_grammar_prefix(g, st, w, k);
                (void)ctc_grammar_accepts(g, st);
                int32_t nx = ctc_grammar_next(g, st, w, len);
                if (nx >= 0)
                    st = nx;
            }
            ctc_grammar_free(g);
        }
        break;
    }
    default: {
        ctc_lm *lm;
        if (ctc_lm_from_image(data + 1, size - 1, "f.wlm", &lm, err,
                              sizeof err) == 0) {
            (void)ctc_lm_sentence(lm, "a b c <s> the");
            ctc_lm_free(lm);
        }
        break;
    }
    }
    return 0;
}
