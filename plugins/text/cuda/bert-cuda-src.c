/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bert-cuda-src.c: hand a model bert.c loaded to the CUDA upload. bert.h is
 * C only (C11 atomics), so this glue lives apart from the .cu files.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "../bert.h"
#include "bert-cuda.h"

int text_cuda_model_from_bert(const text_bert *m, int32_t device,
                              text_cuda_prec prec, text_cuda_model **out,
                              char *err, size_t cap)
{
    text_cuda_layer_src *ls;
    text_cuda_src src = {
        .hidden = m->hidden,
        .layers = m->layers,
        .heads = m->heads,
        .inter = m->inter,
        .max_pos = m->max_pos,
        .type_vocab = m->type_vocab,
        .vocab_size = m->vocab_size,
        .eps = m->eps,
        .act = m->act == TEXT_ACT_GELU        ? TEXT_CUDA_GELU
               : m->act == TEXT_ACT_GELU_TANH ? TEXT_CUDA_GELU_TANH
                                              : TEXT_CUDA_RELU,
        .word = m->word,
        .pos = m->pos,
        .type = m->type,
        .ln_g = m->ln_g,
        .ln_b = m->ln_b,
    };
    int ret;

    *out = NULL;
    if (!(ls = calloc((size_t)m->layers, sizeof *ls))) {
        if (err && cap)
            snprintf(err, cap, "out of memory");
        return WEFT_ENOMEM;
    }
    for (int64_t l = 0; l < m->layers; l++) {
        const text_bert_layer *L = &m->layer[l];
        ls[l] = (text_cuda_layer_src){
            .wq = L->wq, .bq = L->bq, .wk = L->wk, .bk = L->bk,
            .wv = L->wv, .bv = L->bv, .wo = L->wo, .bo = L->bo,
            .ln1_g = L->ln1_g, .ln1_b = L->ln1_b, .wi = L->wi, .bi = L->bi,
            .wo2 = L->wo2, .bo2 = L->bo2, .ln2_g = L->ln2_g,
            .ln2_b = L->ln2_b,
        };
    }
    src.layer = ls;
    ret = text_cuda_model_new(&src, device, prec, out, err, cap);
    free(ls);
    return ret;
}
