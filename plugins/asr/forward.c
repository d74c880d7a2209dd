/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * forward.c: per-stream state and the streaming forward pass.
 *
 * Each call runs all its frames through one layer before the next, so the
 * input projections and convolutions are single GEMMs over the call's
 * frames (im2col for the convolutions); only the recurrent update is per
 * frame. A causal convolution keeps the last (kernel-1)*dilation input
 * frames of the segment (zeros at its start, the left padding) and the
 * phase of its stride, so a segment cut anywhere gives the frames one call
 * would give.
 *
 * The same code drives both backends: GEMMs through weft_k_gemm_f32 and
 * the rest through ops.h, with every buffer in the context's domain.
 */
#include "config.h"

#include "asr.h"
#include "ops.h"

#include <stdlib.h>
#include <string.h>

typedef struct lstate {
    float *ctx;         /* [(kernel-1)*dilation, in], conv and sepconv */
    int64_t ctx_rows;
    int64_t phase;      /* input frames seen modulo the stride */
    float *h, *c;       /* [hidden], recurrent layers */
} lstate;

struct asr_weights {
    weft_kctx *k;       /* the context that allocated block */
    bool own_k;
    float *block;       /* every weight in one device allocation */
    asr_wts *wt;        /* per layer, pointing into block */
};

struct asr_state {
    const asr_model *m;
    weft_kctx *k;
    bool cuda;
    const asr_wts *wt;  /* per layer, in the context's domain */
    asr_weights *own;   /* CUDA weights uploaded for this state alone */
    lstate *ls;
    int64_t pos;
    /* Scratch for up to cap_t input frames. */
    float *act[2], *ext, *col, *gates, *gh;
    int64_t cap_t;
    int64_t ext_w, max_ctx, col_w, gate_w;
};

#define CK(x)                                                                \
    do {                                                                     \
        if ((ret = (x)) < 0)                                                 \
            return ret;                                                      \
    } while (0)

static int kcopy(asr_state *s, float *dst, const float *src, int64_t n)
{
    if (n == 0)
        return 0;
    return weft_k_copy(s->k, dst, src, (size_t)n * sizeof(float),
                       s->cuda ? WEFT_K_COPY_D2D : WEFT_K_COPY_H2H);
}

static int64_t count(int64_t phase, int64_t n, int64_t s)
{
    int64_t f = (s - phase) % s;
    return f >= n ? 0 : (n - 1 - f) / s + 1;
}

int64_t asr_out_frames(const asr_state *s, int64_t t)
{
    for (int32_t i = 0; i < s->m->n_layers; i++) {
        const asr_layer *L = &s->m->layers[i];
        if (L->op == ASR_CONV || L->op == ASR_SEPCONV)
            t = count(s->ls[i].phase, t, L->stride);
    }
    return t;
}

int64_t asr_state_pos(const asr_state *s)
{
    return s->pos;
}

void asr_state_reset(asr_state *s)
{
    for (int32_t i = 0; i < s->m->n_layers; i++) {
        const asr_layer *L = &s->m->layers[i];
        lstate *ls = &s->ls[i];
        ls->phase = 0;
        if (ls->ctx)
            weft_k_memset(s->k, ls->ctx, 0,
                          (size_t)(ls->ctx_rows * L->in) * sizeof(float));
        if (ls->h)
            weft_k_memset(s->k, ls->h, 0, (size_t)L->hidden * sizeof(float));
        if (ls->c)
            weft_k_memset(s->k, ls->c, 0, (size_t)L->hidden * sizeof(float));
    }
    s->pos = 0;
}

static void free_scratch(asr_state *s)
{
    weft_k_free(s->k, s->act[0]);
    weft_k_free(s->k, s->act[1]);
    weft_k_free(s->k, s->ext);
    weft_k_free(s->k, s->col);
    weft_k_free(s->k, s->gates);
    s->act[0] = s->act[1] = s->ext = s->col = s->gates = NULL;
    s->cap_t = 0;
}

static int reserve(asr_state *s, int64_t t)
{
    const asr_model *m = s->m;
    int64_t cap = s->cap_t ? s->cap_t : 64;
    int ret;

    if (t <= s->cap_t)
        return 0;
    while (cap < t)
        cap *= 2;
    free_scratch(s);
    if ((ret = weft_k_alloc(s->k, (size_t)(cap * m->max_width) * 4,
                            (void **)&s->act[0])) < 0 ||
        (ret = weft_k_alloc(s->k, (size_t)(cap * m->max_width) * 4,
                            (void **)&s->act[1])) < 0 ||
        (ret = weft_k_alloc(s->k, (size_t)((cap + s->max_ctx) * s->ext_w) * 4,
                            (void **)&s->ext)) < 0 ||
        (ret = weft_k_alloc(s->k, (size_t)(cap * s->col_w) * 4,
                            (void **)&s->col)) < 0 ||
        (ret = weft_k_alloc(s->k, (size_t)(cap * s->gate_w) * 4,
                            (void **)&s->gates)) < 0) {
        free_scratch(s);
        return ret;
    }
    s->cap_t = cap;
    return 0;
}

/* Copy every weight of @m into one allocation on @k's device. */
static int upload(const asr_model *m, weft_kctx *k, asr_weights *w)
{
    size_t total = 0, off = 0;
    int ret;

    for (int pass = 0; pass < 2; pass++) {
        for (int32_t i = 0; i < m->n_layers; i++) {
            const asr_layer *L = &m->layers[i];
            int64_t G = L->op == ASR_GRU ? 3 : 4;
            const float *src[8] = { L->wt.w, L->wt.b, L->wt.wh, L->wt.bh,
                                    L->wt.dw, L->wt.dwb, L->wt.a, L->wt.rs };
            float **dst[8] = { &w->wt[i].w, &w->wt[i].b, &w->wt[i].wh,
                               &w->wt[i].bh, &w->wt[i].dw, &w->wt[i].dwb,
                               &w->wt[i].a, &w->wt[i].rs };
            int64_t n[8] = { 0 };
            switch (L->op) {
            case ASR_CONV:
                n[0] = L->out * (L->in / L->groups) * L->kernel;
                n[1] = L->out;
                break;
            case ASR_SEPCONV:
                n[0] = L->out * L->in;
                n[1] = n[7] = L->out;
                n[4] = L->in * L->kernel;
                n[5] = L->in;
                break;
            case ASR_LINEAR:
                n[0] = L->out * L->in;
                n[1] = L->out;
                break;
            case ASR_GRU:
            case ASR_LSTM:
                n[0] = G * L->hidden * L->in;
                n[1] = n[3] = G * L->hidden;
                n[2] = G * L->hidden * L->hidden;
                break;
            case ASR_NORMALIZE:
            case ASR_AFFINE:
            case ASR_LAYERNORM:
                n[6] = n[1] = L->in;
                break;
            default:
                break;
            }
            for (int j = 0; j < 8; j++) {
                if (!src[j] || !n[j])
                    continue;
                if (pass == 1) {
                    *dst[j] = w->block + off;
                    if ((ret = weft_k_copy(k, *dst[j], src[j],
                                           (size_t)n[j] * 4,
                                           WEFT_K_COPY_H2D)) < 0)
                        return ret;
                }
                /* 64-byte aligned starts, as cuBLAS likes them */
                off += ((size_t)n[j] + 15) & ~(size_t)15;
            }
        }
        if (pass == 0) {
            total = off;
            off = 0;
            if ((ret = weft_k_alloc(k, total * 4, (void **)&w->block)) < 0)
                return ret;
        }
    }
    return weft_k_sync(k);
}

static int weights_new(const asr_model *m, weft_kctx *k, bool own_k,
                       asr_weights **out)
{
    asr_weights *w = calloc(1, sizeof *w);
    int ret = WEFT_ENOMEM;

    *out = NULL;
    if (!w) {
        if (own_k)
            weft_kctx_free(k);
        return WEFT_ENOMEM;
    }
    w->k = k;
    w->own_k = own_k;
    if (!(w->wt = calloc((size_t)m->n_layers + 1, sizeof *w->wt)) ||
        (ret = upload(m, k, w)) < 0) {
        asr_weights_free(w);
        return ret;
    }
    *out = w;
    return 0;
}

int asr_weights_new(const asr_model *m, const char *device,
                    asr_weights **out)
{
    weft_kctx *k;
    int ret;

    *out = NULL;
    if ((ret = weft_kctx_new(device, &k)) < 0)
        return ret;
    if (weft_kctx_backend(k) != WEFT_K_BACKEND_CUDA) {
        weft_kctx_free(k);
        return WEFT_EINVAL;
    }
    return weights_new(m, k, true, out);
}

void asr_weights_free(asr_weights *w)
{
    if (!w)
        return;
    weft_k_free(w->k, w->block);
    free(w->wt);
    if (w->own_k)
        weft_kctx_free(w->k);
    free(w);
}

int asr_state_new(const asr_model *m, const asr_weights *w, weft_kctx *k,
                  asr_state **out)
{
    asr_state *s = calloc(1, sizeof *s);
    asr_wts *host = NULL;
    int ret = WEFT_ENOMEM;

    *out = NULL;
    if (!s)
        return WEFT_ENOMEM;
    s->m = m;
    s->k = k;
    s->cuda = weft_kctx_backend(k) == WEFT_K_BACKEND_CUDA;
    s->ls = calloc((size_t)m->n_layers + 1, sizeof *s->ls);
    host = calloc((size_t)m->n_layers + 1, sizeof *host);
    if (!s->ls || !host)
        goto fail;
    s->ext_w = s->col_w = s->gate_w = 1;
    for (int32_t i = 0; i < m->n_layers; i++) {
        const asr_layer *L = &m->layers[i];
        lstate *ls = &s->ls[i];
        host[i] = L->wt;
        if (L->op == ASR_CONV || L->op == ASR_SEPCONV) {
            ls->ctx_rows = (L->kernel - 1) * L->dilation;
            if (ls->ctx_rows &&
                (ret = weft_k_alloc(k, (size_t)(ls->ctx_rows * L->in) * 4,
                                    (void **)&ls->ctx)) < 0)
                goto fail;
            if (ls->ctx_rows > s->max_ctx)
                s->max_ctx = ls->ctx_rows;
            if (L->in > s->ext_w)
                s->ext_w = L->in;
            if (L->op == ASR_CONV && L->in * L->kernel > s->col_w)
                s->col_w = L->in * L->kernel;
            if (L->in > s->col_w)
                s->col_w = L->in;
        }
        if (L->op == ASR_GRU || L->op == ASR_LSTM) {
            int64_t G = L->op == ASR_GRU ? 3 : 4;
            if ((ret = weft_k_alloc(k, (size_t)L->hidden * 4,
                                    (void **)&ls->h)) < 0 ||
                (L->op == ASR_LSTM &&
                 (ret = weft_k_alloc(k, (size_t)L->hidden * 4,
                                     (void **)&ls->c)) < 0))
                goto fail;
            if (G * L->hidden > s->gate_w)
                s->gate_w = G * L->hidden;
        }
    }
    if ((ret = weft_k_alloc(k, (size_t)s->gate_w * 4, (void **)&s->gh)) < 0)
        goto fail;
    if (!s->cuda) {
        s->wt = host;
        host = NULL;
    } else if (w) {
        s->wt = w->wt;
    } else {
        if ((ret = weights_new(m, k, false, &s->own)) < 0)
            goto fail;
        s->wt = s->own->wt;
    }
    if ((ret = reserve(s, 64)) < 0)
        goto fail;
    asr_state_reset(s);
    free(host);
    *out = s;
    return 0;
fail:
    free(host);
    asr_state_free(s);
    return ret;
}

void asr_state_free(asr_state *s)
{
    if (!s)
        return;
    for (int32_t i = 0; s->ls && i < s->m->n_layers; i++) {
        weft_k_free(s->k, s->ls[i].ctx);
        weft_k_free(s->k, s->ls[i].h);
        weft_k_free(s->k, s->ls[i].c);
    }
    free_scratch(s);
    weft_k_free(s->k, s->gh);
    if (!s->cuda)
        free((asr_wts *)s->wt);
    asr_weights_free(s->own);
    free(s->ls);
    free(s);
}

/* A causal convolution (or depthwise-separable block) over @n frames of @x
 * into @y; *@n_out gets the frames it completes. */
static int run_conv(asr_state *s, int32_t li, const float *x, int64_t n,
                    float *y, int64_t *n_out)
{
    const asr_layer *L = &s->m->layers[li];
    const asr_wts *w = &s->wt[li];
    lstate *ls = &s->ls[li];
    const int64_t in = L->in, out = L->out, kw = L->kernel, st = L->stride;
    const int64_t rows = ls->ctx_rows, t0 = (st - ls->phase) % st;
    const int64_t no = count(ls->phase, n, st);
    const float *ext = x;
    int ret;

    *n_out = no;
    if (rows) {
        CK(kcopy(s, s->ext, ls->ctx, rows * in));
        CK(kcopy(s, s->ext + rows * in, x, n * in));
        ext = s->ext;
    }
    if (L->op == ASR_SEPCONV) {
        CK(asr_op_depthwise(s->k, s->col, ext, w->dw, w->dwb, no, t0, st, kw,
                            L->dilation, in));
        CK(asr_op_bias_rows(s->k, y, w->b, no, out));
        CK(weft_k_gemm_f32(s->k, false, true, no, out, in, 1.0f, s->col, in,
                           w->w, in, 1.0f, y, out));
        if (L->residual)
            CK(asr_op_residual(s->k, y, x, w->rs, no, out));
    } else if (L->groups == in && out == in) {
        CK(asr_op_depthwise(s->k, y, ext, w->w, w->b, no, t0, st, kw,
                            L->dilation, in));
    } else {
        const int64_t G = L->groups, cin = in / G, cout = out / G;
        const float *a = ext;
        int64_t lda = in;
        if (kw > 1 || st > 1) {
            CK(asr_op_im2col(s->k, s->col, ext, no, t0, st, kw, L->dilation,
                             in));
            a = s->col;
            lda = in * kw;
        }
        CK(asr_op_bias_rows(s->k, y, w->b, no, out));
        for (int64_t g = 0; g < G; g++)
            CK(weft_k_gemm_f32(s->k, false, true, no, cout, cin * kw, 1.0f,
                               a + g * cin * kw, lda,
                               w->w + g * cout * cin * kw, cin * kw, 1.0f,
                               y + g * cout, out));
    }
    if (rows) /* the last `rows` frames seen are the next call's context */
        CK(kcopy(s, ls->ctx, s->ext + n * in, rows * in));
    ls->phase = (ls->phase + n) % st;
    return 0;
}

static int run_rnn(asr_state *s, int32_t li, const float *x, int64_t n,
                   float *y)
{
    const asr_layer *L = &s->m->layers[li];
    const asr_wts *w = &s->wt[li];
    lstate *ls = &s->ls[li];
    const int64_t H = L->hidden, GH = (L->op == ASR_GRU ? 3 : 4) * H;
    int ret;

    /* The input projection of every frame at once; then per frame only
     * the hidden-to-hidden product. */
    CK(asr_op_bias_rows(s->k, s->gates, w->b, n, GH));
    CK(weft_k_gemm_f32(s->k, false, true, n, GH, L->in, 1.0f, x, L->in, w->w,
                       L->in, 1.0f, s->gates, GH));
    for (int64_t t = 0; t < n; t++) {
        float *g = s->gates + t * GH;
        if (L->op == ASR_GRU) {
            CK(asr_op_bias_rows(s->k, s->gh, w->bh, 1, GH));
            CK(weft_k_gemm_f32(s->k, false, true, 1, GH, H, 1.0f, ls->h, H,
                               w->wh, H, 1.0f, s->gh, GH));
            CK(asr_op_gru_gates(s->k, g, s->gh, ls->h, y + t * H, H));
        } else {
            CK(weft_k_gemm_f32(s->k, false, true, 1, GH, H, 1.0f, ls->h, H,
                               w->wh, H, 1.0f, g, GH));
            CK(asr_op_lstm_gates(s->k, g, w->bh, ls->c, ls->h, y + t * H,
                                 H));
        }
    }
    return 0;
}

/* Scratch grows with the frames of one call; a long buffer (a whole file
 * at once) runs in slices of this many frames, which gives the same
 * result since the model streams. */
#define MAX_SLICE 4096

static int forward_slice(asr_state *s, const float *in, int64_t t,
                         float *out)
{
    const asr_model *m = s->m;
    float *x, *y, *tmp;
    int64_t n = t, d = m->in_dim;
    int ret;

    if (t <= 0)
        return 0;
    CK(reserve(s, t));
    x = s->act[0];
    y = s->act[1];
    CK(weft_k_copy(s->k, x, in, (size_t)(t * d) * sizeof(float),
                   s->cuda ? WEFT_K_COPY_H2D : WEFT_K_COPY_H2H));
    for (int32_t i = 0; i < m->n_layers; i++) {
        const asr_layer *L = &m->layers[i];
        const asr_wts *w = &s->wt[i];
        bool swap = true;
        switch (L->op) {
        case ASR_NORMALIZE:
            CK(asr_op_normalize(s->k, x, w->a, w->b, n, d));
            swap = false;
            break;
        case ASR_AFFINE:
            CK(asr_op_affine(s->k, x, w->a, w->b, n, d));
            swap = false;
            break;
        case ASR_LAYERNORM:
            CK(asr_op_layernorm(s->k, x, w->a, w->b, L->eps, n, d));
            swap = false;
            break;
        case ASR_RELU:
        case ASR_GELU:
        case ASR_SILU:
            CK(asr_op_act(s->k, L->op, x, n * d));
            swap = false;
            break;
        case ASR_LINEAR:
            CK(asr_op_bias_rows(s->k, y, w->b, n, L->out));
            CK(weft_k_gemm_f32(s->k, false, true, n, L->out, L->in, 1.0f, x,
                               L->in, w->w, L->in, 1.0f, y, L->out));
            break;
        case ASR_CONV:
        case ASR_SEPCONV:
            CK(run_conv(s, i, x, n, y, &n));
            break;
        case ASR_GRU:
        case ASR_LSTM:
            CK(run_rnn(s, i, x, n, y));
            break;
        }
        d = L->out;
        if (swap) {
            tmp = x;
            x = y;
            y = tmp;
        }
    }
    if (m->log_softmax && n > 0)
        CK(asr_op_log_softmax(s->k, x, n, d));
    if (n > 0)
        CK(weft_k_copy(s->k, out, x, (size_t)(n * d) * sizeof(float),
                       s->cuda ? WEFT_K_COPY_D2H : WEFT_K_COPY_H2H));
    CK(weft_k_sync(s->k));
    s->pos += t;
    return 0;
}

int asr_forward(asr_state *s, const float *in, int64_t t, float *out)
{
    while (t > 0) {
        int64_t n = t < MAX_SLICE ? t : MAX_SLICE;
        int64_t o = asr_out_frames(s, n);
        int ret = forward_slice(s, in, n, out);
        if (ret < 0)
            return ret;
        in += n * s->m->in_dim;
        if (out)
            out += o * s->m->n_tokens;
        t -= n;
    }
    return 0;
}
