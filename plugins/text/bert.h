/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A BERT-family sentence encoder over the shared model loader: any
 * config.json of model_type "bert" (sizes, layer-norm epsilon, hidden_act
 * "gelu" (exact erf), "gelu_new"/"gelu_pytorch_tanh" (tanh form) or
 * "relu"), weights from model.safetensors (with or without a "bert."
 * prefix), vocabulary from vocab.txt.
 *
 * The model (text_bert) is read-only after loading: one instance serves
 * every node and stream (plugins share it through weft_shared_acquire).
 * Per-caller state lives in a text_bert_ws workspace. The dense weights
 * are repacked for the encoder's GEMM once, by the first text_bert_embed
 * (thread-safe), so loading stays a mapping and a validation.
 *
 * Batches are packed: the tokens of every sequence are stacked into one
 * matrix for the dense layers, and attention runs per sequence on its own
 * length, so no work is spent on padding and no attention mask is needed.
 */
#ifndef WEFT_TEXT_BERT_H
#define WEFT_TEXT_BERT_H

#include "wordpiece.h"

#include <pthread.h>
#include <stdatomic.h>

#include <weft/kernels.h>
#include <weft/model.h>

typedef enum { TEXT_ACT_GELU, TEXT_ACT_GELU_TANH, TEXT_ACT_RELU } text_act;

typedef struct text_bert_layer {
    const float *wq, *bq, *wk, *bk, *wv, *bv; /* [H,H], [H] */
    const float *wo, *bo, *ln1_g, *ln1_b;     /* attention output */
    const float *wi, *bi;                     /* [I,H], [I] */
    const float *wo2, *bo2, *ln2_g, *ln2_b;   /* [H,I], [H] */
    /* The dense weights repacked by the first embedding for the encoder's
     * own GEMM (text__gemm_pack in bert-gemm.c): Q, K and V fused into
     * one [3H,H]. */
    float *qkv_p, *qkv_b, *wo_p, *bo_p, *wi_p, *bi_p, *wo2_p, *bo2_p;
} text_bert_layer;

/* The GEMM kernel chosen for this CPU at load (AVX-512, AVX2+FMA or
 * portable); see bert-gemm.c. */
typedef void (*text_gemm_fn)(const float *x, size_t ldx, size_t M, size_t K,
                             const float *wp, const float *bp, size_t N,
                             bool gelu, float *y, size_t ldy);

/* Attention of one sequence of @n tokens, all @nh heads of @dh: rows of
 * q, k, v @ld floats apart, output rows @ldc apart, @work of
 * text__attn_scratch(n, dh) floats; see bert-attn.c. */
typedef void (*text_attn_fn)(const float *q, const float *k, const float *v,
                             size_t ld, size_t n, size_t nh, size_t dh,
                             float scale, float *ctx, size_t ldc,
                             float *work);

typedef struct text_bert {
    weft_model *model;
    text_vocab *vocab;
    int64_t hidden, layers, heads, inter, max_pos, type_vocab, vocab_size;
    double eps;
    text_act act;
    int64_t max_len;  /* default truncation: sentence_bert_config or max_pos */
    const float *word, *pos, *type, *ln_g, *ln_b;
    text_bert_layer *layer;
    /* The allocation behind every layer's *_p and *_b, made by the first
     * text_bert_embed (under pack_lock; pack_ready says it is done). */
    float *packed;
    pthread_mutex_t pack_lock;
    atomic_bool pack_ready;
    bool have_lock;
    text_gemm_fn gemm;
    const char *gemm_isa; /* "avx512", "avx2" or "generic" */
    text_attn_fn attn;    /* the same ISA's attention */
    /* and its residual add + layer norm: x = LN(x + y) * g + b per row
     * (@y may be NULL) */
    void (*ln)(float *x, const float *y, size_t rows, size_t n,
               const float *g, const float *b, double eps);
    size_t panel;         /* output columns per packed weight panel */
} text_bert;

/* Load the model in @dir. The environment variable WEFT_TEXT_ISA
 * ("avx512", "avx2", "generic") caps the GEMM kernel chosen (for tests). 0 or a WEFT_E* code with a message in @err. */
int text_bert_load(const char *dir, text_bert **out, char *err,
                   size_t err_cap);
void text_bert_free(text_bert *m);

/* Scratch space of one caller, grown to the largest batch seen. */
typedef struct text_bert_ws {
    float *x, *qkv, *ctx, *tmp, *inter, *scores; /* scores: attention's */
    size_t cap_tokens, cap_scores;
} text_bert_ws;
void text_bert_ws_clear(text_bert_ws *ws);

typedef enum { TEXT_POOL_MEAN, TEXT_POOL_CLS } text_pool;

/*
 * text_bert_embed: encode @batch sequences (@ids[i] of @lens[i] ids, each
 * at least 1 and at most max_pos long) and write one pooled embedding of
 * @hidden floats per sequence to @out ([batch, hidden]); L2-normalised
 * when @normalize. @k must be a CPU context. Returns 0, WEFT_EINVAL (a
 * length or id out of range), WEFT_ENOMEM.
 */
int text_bert_embed(const text_bert *m, text_bert_ws *ws, weft_kctx *k,
                    const int32_t *const *ids, const size_t *lens,
                    size_t batch, text_pool pool, bool normalize, float *out);

#endif /* WEFT_TEXT_BERT_H */
