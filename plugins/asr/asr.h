/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * asr.h: the acoustic model behind `asr.acoustic` (doc/acoustic-model.md).
 *
 * Two halves, kept apart so one model serves many streams (whisper's
 * context/state split):
 *
 *   asr_model   read-only: the layers built from config.json, with weights
 *               copied out of model.safetensors (batch norms folded in),
 *               and the token list. Built once per model directory and
 *               shared by every node naming it.
 *   asr_state   per stream: a kernel context's scratch, the convolutions'
 *               left context and stride phase, the recurrent layers' h/c.
 *
 * Everything is causal, so asr_forward on a segment cut into chunks gives
 * what one call on the whole segment gives (up to float rounding in the
 * GEMMs), and nothing is ever held back: each call returns every output
 * frame its input completes.
 *
 * This module depends on libc and libweft-kernels only, so tests, the
 * fuzzer and the bench compile it in. Nothing here prints or exits.
 */
#ifndef WEFT_ASR_H
#define WEFT_ASR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <weft/kernels.h>
#include <weft/model.h>

/* Layer operations after building (batchnorm becomes ASR_AFFINE when it
 * cannot be folded into the layer before it). */
typedef enum asr_op {
    ASR_NORMALIZE,
    ASR_CONV,
    ASR_SEPCONV,
    ASR_AFFINE,
    ASR_LAYERNORM,
    ASR_GRU,
    ASR_LSTM,
    ASR_LINEAR,
    ASR_RELU,
    ASR_GELU,
    ASR_SILU
} asr_op;

/*
 * Weights of one layer, in one memory domain (host for the model, device
 * memory for a CUDA copy). Unused pointers are NULL.
 *   normalize  a = mean [dim], b = std [dim]
 *   conv       w = weight [out, in/groups * kernel], b = bias [out]
 *   sepconv    dw = depthwise [in, kernel], dwb [in]; w = pointwise
 *              [out, in], b [out]; rs = residual scale [out] (a batch norm
 *              folded into a residual block scales the skip path too)
 *   affine     a = scale [dim], b = shift [dim]
 *   layernorm  a = weight [dim], b = bias [dim]
 *   gru/lstm   w = weight_ih [G*h, in], wh = weight_hh [G*h, h],
 *              b = bias_ih [G*h], bh = bias_hh [G*h]  (G = 3 or 4)
 *   linear     w = weight [out, in], b = bias [out]
 */
typedef struct asr_wts {
    float *w, *b, *wh, *bh, *dw, *dwb, *a, *rs;
} asr_wts;

typedef struct asr_layer {
    asr_op op;
    char name[64];
    int32_t index;            /* position in config.json's "layers" */
    int64_t in, out;          /* frame sizes in and out */
    int64_t kernel, stride, groups, dilation, hidden;
    bool residual;
    float eps;
    asr_wts wt;               /* host, owned by the model */
} asr_layer;

typedef struct asr_model {
    char *dir;
    asr_layer *layers;
    int32_t n_layers;
    int32_t n_alloc;          /* entries of layers[] */
    int64_t in_dim;           /* features.dim */
    char feat_type[16];       /* "mfcc", "fbank" or "" */
    double frame_shift_ms;    /* features.frame_shift_ms, 0 if absent */
    int64_t stride;           /* product of the convolutions' strides */
    int64_t max_width;        /* largest frame size of any layer */
    bool log_softmax;         /* output: log_softmax, else logits */
    int32_t blank;
    char *delimiter;          /* may be "" */
    char **tokens;
    int32_t n_tokens;
    char vocab_id[32];        /* "fnv1a64:<16 hex>", as ctc computes it */
    int64_t n_params;
} asr_model;

/*
 * asr_model_load: build the model in directory @dir. Every error is one
 * line in @err naming the file (config.json, model.safetensors,
 * tokens.txt), the layer ("layers[3] 'conv0'") and the field or tensor,
 * with both values or shapes. Returns 0, WEFT_ENOENT, WEFT_EPARSE,
 * WEFT_ERANGE, WEFT_ETYPE, WEFT_EINVAL, WEFT_EIO or WEFT_ENOMEM.
 * @out: (transfer full) free with asr_model_free. [any-thread]
 */
int asr_model_load(const char *dir, asr_model **out, char *err, size_t cap);

/*
 * asr_model_build: the same from an already parsed config root and
 * weights (the fuzzer's entry); @tokens/@n_tokens (transfer none, copied)
 * stand for tokens.txt. [any-thread]
 */
int asr_model_build(const weft_json_value *cfg, const weft_st *st,
                    const char *const *tokens, int32_t n_tokens,
                    asr_model **out, char *err, size_t cap);

void asr_model_free(asr_model *m);

/*
 * asr_vocab_id: the vocabulary id of @n tokens: FNV-1a 64 over each
 * token's bytes followed by '\n', as "fnv1a64:%016llx". It must stay the
 * same function as ctc_vocab_id (plugins/ctc/vocab.c), which the ctc
 * nodes compare at negotiate; a test checks the two agree. [any-thread]
 */
void asr_vocab_id(const char *const *toks, int32_t n, char out[32]);

/*
 * asr_tokens_load: read a tokens file with the ctc plugin's rules (one
 * token a line, "\n" or "\r\n", no empty line). @out (transfer full)
 * free each and the array. [any-thread]
 */
int asr_tokens_load(const char *path, char ***out, int32_t *n, char *err,
                    size_t cap);

/*
 * asr_weights: a copy of a model's weights on one CUDA device, read-only
 * once made, so every stream on that device shares it (the plugin keeps
 * one per model and device with weft_shared_acquire).
 * asr_weights_new: upload @m's weights to @device ("cuda:N") through a
 * context of its own; returns when the copy is complete. Returns 0,
 * WEFT_EINVAL (not a CUDA device), WEFT_ENODEV, WEFT_ENOMEM, WEFT_ECUDA.
 * @out: (transfer full) free with asr_weights_free, after every state
 * using it. [control]
 */
typedef struct asr_weights asr_weights;
int asr_weights_new(const asr_model *m, const char *device,
                    asr_weights **out);
void asr_weights_free(asr_weights *w);

typedef struct asr_state asr_state;

/*
 * asr_state_new: per-stream state for @m running on @k ((transfer none),
 * must outlive the state). On a CUDA context the state reads @w
 * ((transfer none), on @k's device, outliving the state) or, when @w is
 * NULL, uploads a copy of its own; a CPU context reads the model's host
 * weights and ignores @w. Returns 0, WEFT_ENOMEM, WEFT_ECUDA. [control]
 */
int asr_state_new(const asr_model *m, const asr_weights *w, weft_kctx *k,
                  asr_state **out);
void asr_state_free(asr_state *s);

/* asr_state_reset: forget the stream (a new segment). [worker] */
void asr_state_reset(asr_state *s);

/*
 * asr_out_frames: how many output frames the next @t input frames give,
 * given what the state has seen of the segment. [worker]
 */
int64_t asr_out_frames(const asr_state *s, int64_t t);

/*
 * asr_state_pos: input frames seen in the current segment. [worker]
 */
int64_t asr_state_pos(const asr_state *s);

/*
 * asr_forward: run @t frames of host memory @in ([t, in_dim]) through the
 * model, writing asr_out_frames(s, t) frames of [V] scores to host memory
 * @out, and advance the state. On CUDA the frames are uploaded, the work is
 * queued on the context's stream and the call waits for the result.
 * Returns 0 or WEFT_ENOMEM, WEFT_ECUDA. [worker]
 */
int asr_forward(asr_state *s, const float *in, int64_t t, float *out);

#endif /* WEFT_ASR_H */
