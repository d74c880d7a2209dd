/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bert-cuda.h: the BERT-family sentence encoder of bert.h on one CUDA
 * device (bert-cuda.cu, kernels in bert-kernels.cu). C API, callable from
 * C and C++; built only with CUDA (HAVE_CUDA).
 *
 * Two objects, as on the CPU:
 *   text_cuda_model  the weights on one device in one precision, uploaded
 *                    once and read-only afterwards: one instance serves
 *                    every node and stream using that model on that device
 *                    (the plugin shares it through weft_shared_acquire).
 *   text_cuda_ws     one caller's state: a cuBLAS handle bound to the
 *                    caller's stream and the scratch memory of the largest
 *                    batch seen. Used by one thread at a time.
 *
 * Precisions: TEXT_CUDA_FP32 runs every GEMM as cublasSgemm with
 * CUBLAS_DEFAULT_MATH (fp32 FMA, TF32 never enabled). TEXT_CUDA_FP16 and
 * TEXT_CUDA_BF16 convert the dense weights at upload and run the GEMMs as
 * cublasGemmEx with fp16/bf16 inputs, fp32 output and CUBLAS_COMPUTE_32F
 * accumulation; everything else (embeddings, residual stream, layer norm,
 * attention, softmax, GELU, pooling) stays in fp32 in every precision.
 *
 * Batches are packed as on the CPU: the tokens of every sequence are
 * stacked into one [T, H] matrix for the dense layers, and attention runs
 * per (sequence, head) over that sequence's own length, so no work is
 * spent on padding and no mask is needed.
 *
 * Errors: 0 or a negative WEFT_E* code; a sentence naming the failed CUDA
 * or cuBLAS call goes to @err (@cap bytes, may be NULL/0).
 */
#ifndef WEFT_TEXT_BERT_CUDA_H
#define WEFT_TEXT_BERT_CUDA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    TEXT_CUDA_FP32 = 0,
    TEXT_CUDA_FP16 = 1,
    TEXT_CUDA_BF16 = 2
} text_cuda_prec;

/* Activations, as bert.h's text_act. */
typedef enum {
    TEXT_CUDA_GELU = 0,      /* exact: 0.5 x (1 + erf(x / sqrt 2)) */
    TEXT_CUDA_GELU_TANH = 1,
    TEXT_CUDA_RELU = 2
} text_cuda_act;

/* Host (fp32, row-major, as in model.safetensors) weights of one layer:
 * w* are [out, in], b* [out]. (transfer none), read during upload only. */
typedef struct text_cuda_layer_src {
    const float *wq, *bq, *wk, *bk, *wv, *bv; /* [H,H], [H] */
    const float *wo, *bo, *ln1_g, *ln1_b;
    const float *wi, *bi;                     /* [I,H], [I] */
    const float *wo2, *bo2, *ln2_g, *ln2_b;   /* [H,I], [H] */
} text_cuda_layer_src;

/* What the upload reads: sizes and host weights of a loaded model. */
typedef struct text_cuda_src {
    int64_t hidden, layers, heads, inter, max_pos, type_vocab, vocab_size;
    double eps;
    text_cuda_act act;
    const float *word, *pos, *type, *ln_g, *ln_b; /* [V,H] [P,H] [Y,H] [H] */
    const text_cuda_layer_src *layer;             /* [layers] */
} text_cuda_src;

typedef struct text_cuda_model text_cuda_model;
typedef struct text_cuda_ws text_cuda_ws;

/*
 * text_cuda_model_new: upload @src's weights to CUDA device @device in
 * precision @prec, on a stream of its own that is synchronized before
 * returning (the weights are complete when it returns; no device-wide
 * sync). @src is read only during the call.
 * @out: (transfer full) free with text_cuda_model_free.
 * Returns 0, WEFT_EINVAL (bad sizes or precision), WEFT_ENOTSUP (a head
 * size above 128), WEFT_ENODEV, WEFT_ENOMEM, WEFT_ECUDA. [control]
 */
int text_cuda_model_new(const text_cuda_src *src, int32_t device,
                        text_cuda_prec prec, text_cuda_model **out,
                        char *err, size_t cap);

/*
 * text_cuda_model_from_bert: text_cuda_model_new on the sizes and mapped
 * weights of a model bert.h loaded (bert-cuda-src.c; C only, since bert.h
 * is). @bert: (transfer none), needed only during the call. [control]
 */
struct text_bert;
int text_cuda_model_from_bert(const struct text_bert *bert, int32_t device,
                              text_cuda_prec prec, text_cuda_model **out,
                              char *err, size_t cap);

/* Free the device weights. NULL does nothing. (cudaFree may synchronize
 * the device: call it when the last user stops.) [control] */
void text_cuda_model_free(text_cuda_model *m);

/* The model's hidden size, device and precision. [any-thread] */
int64_t text_cuda_model_hidden(const text_cuda_model *m);
int32_t text_cuda_model_device(const text_cuda_model *m);
text_cuda_prec text_cuda_model_prec(const text_cuda_model *m);
/* Bytes of device memory the weights take. [any-thread] */
size_t text_cuda_model_bytes(const text_cuda_model *m);

/*
 * text_cuda_ws_new: state for one caller of @m: a cuBLAS handle whose work
 * goes to @stream (a cudaStream_t of @m's device, as void *; NULL: the
 * legacy default stream). (transfer none) @m and @stream must outlive the
 * workspace. Scratch memory is allocated by the first text_cuda_embed and
 * grown when a larger batch comes.
 * @out: (transfer full) free with text_cuda_ws_free.
 * Returns 0, WEFT_ENOMEM, WEFT_ECUDA. [control]
 */
int text_cuda_ws_new(const text_cuda_model *m, void *stream,
                     text_cuda_ws **out, char *err, size_t cap);

/* Free the workspace after the work queued on its stream has finished.
 * NULL does nothing. [control] */
void text_cuda_ws_free(text_cuda_ws *ws);

/*
 * text_cuda_embed: encode @batch sequences (@ids[i]: @lens[i] token ids in
 * host memory, 1 <= lens[i] <= max_pos, 0 <= id < vocab_size) and write
 * one pooled embedding of hidden floats per sequence to host memory @out
 * ([batch, hidden]): the mean over the tokens (or, with @cls, the first
 * token's state), L2-normalised when @normalize (with F.normalize's floor
 * of 1e-12). Everything is queued on the workspace's stream, which is then
 * synchronized (cudaStreamSynchronize, never the device), so @out is ready
 * when it returns. @batch == 0 does nothing.
 * Returns 0, WEFT_EINVAL (a length or id out of range: nothing is
 * queued), WEFT_ENOMEM, WEFT_ECUDA. [worker]
 */
int text_cuda_embed(const text_cuda_model *m, text_cuda_ws *ws,
                    const int32_t *const *ids, const size_t *lens,
                    size_t batch, bool cls, bool normalize, float *out,
                    char *err, size_t cap);

#ifdef __cplusplus
}
#endif
#endif /* WEFT_TEXT_BERT_CUDA_H */
