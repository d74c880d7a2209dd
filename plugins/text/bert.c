/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* BERT-family encoder on the CPU through libweft-kernels; see bert.h. */
#include "config.h"

#include "bert.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int errf(char *err, size_t cap, int code, const char *fmt, ...)
    WEFT_PRINTF(4, 5);

static int errf(char *err, size_t cap, int code, const char *fmt, ...)
{
    va_list ap;

    if (err && cap) {
        va_start(ap, fmt);
        vsnprintf(err, cap, fmt, ap);
        va_end(ap);
    }
    return code;
}

/* Fetch tensor "[prefix]name" with the given shape (ndim 1 or 2). */
static int get(const text_bert *m, const char *prefix, const char *name,
               int64_t d0, int64_t d1, const float **out, char *err,
               size_t cap)
{
    char full[256];
    int64_t shape[2] = { d0, d1 };

    snprintf(full, sizeof full, "%s%s", prefix, name);
    return weft_model_tensor_f32(m->model, full, d1 ? 2 : 1, shape, out, err,
                                 cap);
}

/* sentence-transformers' max_seq_length, when the file is there. */
static int64_t st_max_len(const char *dir)
{
    char path[4096], buf[4096];
    weft_json *doc = NULL;
    int64_t v = 0;
    size_t n;
    FILE *f;

    snprintf(path, sizeof path, "%s/sentence_bert_config.json", dir);
    if (!(f = fopen(path, "rbe")))
        return 0;
    n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    if (n < sizeof buf && weft_json_parse(buf, n, path, &doc, NULL, 0) == 0)
        weft_json_int(weft_json_get(weft_json_root(doc), "max_seq_length"),
                      &v);
    weft_json_free(doc);
    return v;
}


/*
 * The dense layers' GEMM: y[M,N] = x[M,K] W^T + b (optionally GELU), with
 * W repacked at load into panels of PANEL output columns, each panel
 * [K][PANEL] contiguous, so the kernel streams the weights once per block
 * of rows with unit stride and no per-call packing (OpenBLAS repacks the
 * whole weight matrix on every call, which at 16 tokens costs as much as
 * the arithmetic). Every output element is one fp32 FMA chain over k in
 * order, like a BLAS microkernel, so results match OpenBLAS to rounding.
 * The build has no -march flags: the kernels are compiled for AVX-512 and
 * AVX2+FMA through target attributes and picked at load with
 * __builtin_cpu_supports; the portable one uses 16-byte vectors.
 */
#define PANEL 32
#define ROWCHUNK 48 /* rows of x kept hot in L2 while the panels stream */

static size_t panels_of(size_t n)
{
    return (n + PANEL - 1) / PANEL;
}

/* Pack the row-major [N,K] weights (@parts stacked matrices of rows[i]
 * rows each) and their biases for the GEMM at *@cur (advanced past them),
 * or, when *@cur is NULL, only advance it by the floats needed. */
static void gemm_pack(size_t parts, const float *const *w,
                      const float *const *b, const size_t *rows, size_t K,
                      float **cur, size_t *used, float **wp, float **bp)
{
    size_t N = 0;
    for (size_t i = 0; i < parts; i++)
        N += rows[i];
    size_t np = panels_of(N);
    *used += np * PANEL * (K + 1);
    if (!*cur)
        return;
    *wp = *cur;
    *bp = *wp + np * PANEL * K;
    *cur = *bp + np * PANEL;
    memset(*bp, 0, np * PANEL * sizeof(float));
    /* Row n of the stacked matrix (NULL past the end: zero padding). */
    const float *src[PANEL];
    for (size_t p = 0, part = 0, r = 0; p < np; p++) {
        float *dst = *wp + p * PANEL * K;
        for (size_t j = 0; j < PANEL; j++, r++) {
            while (part < parts && r == rows[part])
                part++, r = 0;
            src[j] = part < parts ? w[part] + r * K : NULL;
            if (src[j])
                (*bp)[p * PANEL + j] = b[part][r];
        }
        /* Blocks of 16 k: one cache line of each source row. */
        for (size_t k0 = 0; k0 < K; k0 += 16) {
            size_t k1 = K - k0 < 16 ? K : k0 + 16;
            for (size_t j = 0; j < PANEL; j++)
                for (size_t k = k0; k < k1; k++)
                    dst[k * PANEL + j] = src[j] ? src[j][k] : 0.0f;
        }
    }
}

/* GELU with erf from the rational approximation Eigen and TensorFlow use
 * for float erf (x clamped to [-4, 4], where erf is 1 in float). */
#define GELU_VEC(VT, VI, v)                                                  \
    do {                                                                     \
        VT t_ = (v) * (float)M_SQRT1_2, z_ = (v) * 0.0f;                      \
        VI hi_ = t_ > z_ + 4.0f, lo_ = t_ < z_ - 4.0f;                       \
        t_ = (VT)(((VI)t_ & ~(hi_ | lo_)) | ((VI)(z_ + 4.0f) & hi_) |          \
                  ((VI)(z_ - 4.0f) & lo_));                                  \
        VT x2_ = t_ * t_;                                                    \
        VT p_ = x2_ * -2.72614225801306e-10f + 2.77068142495902e-08f;        \
        p_ = x2_ * p_ - 2.10102402082508e-06f;                               \
        p_ = x2_ * p_ - 5.69250639462346e-05f;                               \
        p_ = x2_ * p_ - 7.34990630326855e-04f;                               \
        p_ = x2_ * p_ - 2.95459980854025e-03f;                               \
        p_ = x2_ * p_ - 1.60960333262415e-02f;                               \
        p_ = t_ * p_;                                                        \
        VT q_ = x2_ * -1.45660718464996e-05f - 2.13374055278905e-04f;        \
        q_ = x2_ * q_ - 1.68282697438203e-03f;                               \
        q_ = x2_ * q_ - 7.37332916720468e-03f;                               \
        q_ = x2_ * q_ - 1.42647390514189e-02f;                               \
        (v) = 0.5f * (v) * (1.0f + p_ / q_);                                 \
    } while (0)

#define UNROLL _Pragma("GCC unroll 16")

/* One ISA's kernel: VT holds VL floats, MR rows by PANEL columns of
 * accumulators (12 vector registers on AVX2 and AVX-512). */
#define DEFINE_GEMM(SFX, ATTR, VL, MR)                                       \
    typedef float vf_##SFX __attribute__((vector_size(VL * 4)));             \
    typedef int32_t vi_##SFX __attribute__((vector_size(VL * 4)));           \
    ATTR static inline __attribute__((always_inline)) void tile_##SFX(       \
        const int mr, const float *x, size_t ldx, size_t K, const float *w,  \
        const float *b, bool gelu, float *y, size_t ldy, size_t nc)          \
    {                                                                        \
        enum { NV = PANEL / VL };                                            \
        vf_##SFX acc[MR][NV];                                                \
        UNROLL for (int r = 0; r < mr; r++)                                  \
            UNROLL for (int j = 0; j < NV; j++)                              \
                acc[r][j] = *(const vf_##SFX *)(b + j * VL);                 \
        for (size_t k = 0; k < K; k++, w += PANEL) {                         \
            vf_##SFX wv[NV];                                                 \
            UNROLL for (int j = 0; j < NV; j++)                              \
                wv[j] = *(const vf_##SFX *)(w + j * VL);                     \
            UNROLL for (int r = 0; r < mr; r++) {                            \
                const float a = x[(size_t)r * ldx + k];                      \
                UNROLL for (int j = 0; j < NV; j++)                          \
                    acc[r][j] += wv[j] * a;                                  \
            }                                                                \
        }                                                                    \
        UNROLL for (int r = 0; r < mr; r++) {                                \
            if (gelu)                                                        \
                UNROLL for (int j = 0; j < NV; j++)                          \
                    GELU_VEC(vf_##SFX, vi_##SFX, acc[r][j]);                 \
            if (nc == PANEL) {                                               \
                UNROLL for (int j = 0; j < NV; j++)                          \
                    memcpy(y + (size_t)r * ldy + j * VL, &acc[r][j],         \
                           sizeof acc[r][j]);                                \
            } else {                                                         \
                float tmp[PANEL];                                            \
                memcpy(tmp, acc[r], sizeof tmp);                             \
                memcpy(y + (size_t)r * ldy, tmp, nc * sizeof *tmp);         \
            }                                                                \
        }                                                                    \
    }                                                                        \
    ATTR static void gemm_##SFX(const float *x, size_t ldx, size_t M,        \
                                size_t K, const float *wp, const float *bp,  \
                                size_t N, bool gelu, float *y, size_t ldy)   \
    {                                                                        \
        for (size_t m0 = 0; m0 < M; m0 += ROWCHUNK) {                        \
            size_t m1 = M - m0 < ROWCHUNK ? M : m0 + ROWCHUNK;               \
            for (size_t n0 = 0; n0 < N; n0 += PANEL) {                       \
                const float *w = wp + n0 * K, *b = bp + n0;                  \
                size_t nc = N - n0 < PANEL ? N - n0 : PANEL;                 \
                for (size_t r = m0; r < m1; r += MR) {                       \
                    const float *xr = x + r * ldx;                           \
                    float *yr = y + r * ldy + n0;                            \
                    switch (m1 - r < MR ? (int)(m1 - r) : MR) {              \
                    case 1: tile_##SFX(1 < MR ? 1 : MR, xr, ldx, K, w, b, gelu, yr, ldy, nc); break; \
                    case 2: tile_##SFX(2 < MR ? 2 : MR, xr, ldx, K, w, b, gelu, yr, ldy, nc); break; \
                    case 3: tile_##SFX(3 < MR ? 3 : MR, xr, ldx, K, w, b, gelu, yr, ldy, nc); break; \
                    case 4: tile_##SFX(4 < MR ? 4 : MR, xr, ldx, K, w, b, gelu, yr, ldy, nc); break; \
                    case 5: tile_##SFX(5 < MR ? 5 : MR, xr, ldx, K, w, b, gelu, yr, ldy, nc); break; \
                    default: tile_##SFX(MR, xr, ldx, K, w, b, gelu, yr, ldy, nc); break; \
                    }                                                        \
                }                                                            \
            }                                                                \
        }                                                                    \
    }

DEFINE_GEMM(generic, , 4, 1)
#if defined(__GNUC__) && defined(__x86_64__)
#define HAVE_X86_KERNELS 1
DEFINE_GEMM(avx2, __attribute__((target("avx2,fma"))), 8, 3)
DEFINE_GEMM(avx512, __attribute__((target("avx512f"))), 16, 6)
#endif

/* The fastest kernel this CPU runs, capped by WEFT_TEXT_ISA. */
static void gemm_pick(text_bert *m)
{
    const char *cap = getenv("WEFT_TEXT_ISA");

    m->gemm = gemm_generic;
    m->gemm_isa = "generic";
    if (cap && !strcmp(cap, "generic"))
        return;
#ifdef HAVE_X86_KERNELS
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && !(cap && !strcmp(cap, "avx2"))) {
        m->gemm = gemm_avx512;
        m->gemm_isa = "avx512";
    } else if (__builtin_cpu_supports("avx2") &&
               __builtin_cpu_supports("fma")) {
        m->gemm = gemm_avx2;
        m->gemm_isa = "avx2";
    }
#endif
}

/* Pack every layer's dense weights into one allocation. */
static int pack_layers(text_bert *m)
{
    const size_t H = (size_t)m->hidden, I = (size_t)m->inter;
    float *cur = NULL;
    size_t used = 0;

    for (int pass = 0; pass < 2; pass++) {
        if (pass) {
            size_t bytes = (used * sizeof(float) + 63) / 64 * 64;
            if (!(m->packed = aligned_alloc(64, bytes)))
                return WEFT_ENOMEM;
            cur = m->packed;
        }
        for (int64_t l = 0; l < m->layers; l++) {
            text_bert_layer *L = &m->layer[l];
            const float *qkv_w[] = { L->wq, L->wk, L->wv };
            const float *qkv_b[] = { L->bq, L->bk, L->bv };
            const size_t qkv_rows[] = { H, H, H };
            gemm_pack(3, qkv_w, qkv_b, qkv_rows, H, &cur, &used, &L->qkv_p,
                      &L->qkv_b);
            gemm_pack(1, &L->wo, &L->bo, &H, H, &cur, &used, &L->wo_p,
                      &L->bo_p);
            gemm_pack(1, &L->wi, &L->bi, &I, H, &cur, &used, &L->wi_p,
                      &L->bi_p);
            gemm_pack(1, &L->wo2, &L->bo2, &H, I, &cur, &used, &L->wo2_p,
                      &L->bo2_p);
        }
    }
    return 0;
}

/* The packed weights are made by the first embedding, not at load: the
 * copy (~40 MB of fresh pages) would cost more than the whole cold start
 * the loader promises, and a model loaded to tokenize never needs it.
 * Streams sharing the model race here; the lock makes one of them pack. */
static int ensure_packed(text_bert *m)
{
    int ret = 0;

    if (atomic_load_explicit(&m->pack_ready, memory_order_acquire))
        return 0;
    pthread_mutex_lock(&m->pack_lock);
    if (!atomic_load_explicit(&m->pack_ready, memory_order_relaxed)) {
        free(m->packed);
        m->packed = NULL;
        if ((ret = pack_layers(m)) == 0)
            atomic_store_explicit(&m->pack_ready, true, memory_order_release);
    }
    pthread_mutex_unlock(&m->pack_lock);
    return ret;
}

int text_bert_load(const char *dir, text_bert **out, char *err, size_t cap)
{
    text_bert *m;
    const char *act, *type, *pre = "";
    char path[4096];
    int ret;

    *out = NULL;
    if (!(m = calloc(1, sizeof *m)))
        return errf(err, cap, WEFT_ENOMEM, "out of memory");
    if ((ret = weft_model_open(dir, &m->model, err, cap)) < 0)
        goto fail;
#define CFG_INT(key, field, has, def)                                        \
    if ((ret = weft_model_config_int(m->model, key, has, def, &m->field, err, \
                                     cap)) < 0)                              \
        goto fail;
    CFG_INT("hidden_size", hidden, false, 0);
    CFG_INT("num_hidden_layers", layers, false, 0);
    CFG_INT("num_attention_heads", heads, false, 0);
    CFG_INT("intermediate_size", inter, false, 0);
    CFG_INT("max_position_embeddings", max_pos, false, 0);
    CFG_INT("type_vocab_size", type_vocab, true, 2);
    CFG_INT("vocab_size", vocab_size, false, 0);
#undef CFG_INT
    if ((ret = weft_model_config_float(m->model, "layer_norm_eps", true,
                                       1e-12, &m->eps, err, cap)) < 0 ||
        (ret = weft_model_config_string(m->model, "hidden_act", "gelu", &act,
                                        err, cap)) < 0 ||
        (ret = weft_model_config_string(m->model, "model_type", "bert", &type,
                                        err, cap)) < 0)
        goto fail;
    snprintf(path, sizeof path, "%s/config.json", dir);
    if (strcmp(type, "bert")) {
        ret = errf(err, cap, WEFT_ENOTSUP,
                   "%s: model_type '%s' is not supported (bert)", path, type);
        goto fail;
    }
    if (!strcmp(act, "gelu")) {
        m->act = TEXT_ACT_GELU;
    } else if (!strcmp(act, "gelu_new") || !strcmp(act, "gelu_pytorch_tanh")) {
        m->act = TEXT_ACT_GELU_TANH;
    } else if (!strcmp(act, "relu")) {
        m->act = TEXT_ACT_RELU;
    } else {
        ret = errf(err, cap, WEFT_ENOTSUP,
                   "%s: hidden_act '%s' is not supported", path, act);
        goto fail;
    }
    if (m->hidden <= 0 || m->layers <= 0 || m->heads <= 0 || m->inter <= 0 ||
        m->max_pos <= 0 || m->type_vocab <= 0 || m->vocab_size <= 0 ||
        m->hidden % m->heads || m->hidden > 65536 || m->inter > 262144 ||
        m->layers > 1024 || !(m->eps > 0)) {
        ret = errf(err, cap, WEFT_EINVAL,
                   "%s: inconsistent sizes (hidden_size %lld must be a "
                   "positive multiple of num_attention_heads %lld, ...)",
                   path, (long long)m->hidden, (long long)m->heads);
        goto fail;
    }
    if (weft_st_find(weft_model_weights(m->model),
                     "bert.embeddings.word_embeddings.weight"))
        pre = "bert.";
    char p[128];
    snprintf(p, sizeof p, "%sembeddings.", pre);
    const int64_t H = m->hidden, I = m->inter;
    if ((ret = get(m, p, "word_embeddings.weight", m->vocab_size, H, &m->word,
                   err, cap)) < 0 ||
        (ret = get(m, p, "position_embeddings.weight", m->max_pos, H, &m->pos,
                   err, cap)) < 0 ||
        (ret = get(m, p, "token_type_embeddings.weight", m->type_vocab, H,
                   &m->type, err, cap)) < 0 ||
        (ret = get(m, p, "LayerNorm.weight", H, 0, &m->ln_g, err, cap)) < 0 ||
        (ret = get(m, p, "LayerNorm.bias", H, 0, &m->ln_b, err, cap)) < 0)
        goto fail;
    if (!(m->layer = calloc((size_t)m->layers, sizeof *m->layer))) {
        ret = errf(err, cap, WEFT_ENOMEM, "out of memory");
        goto fail;
    }
    for (int64_t l = 0; l < m->layers; l++) {
        text_bert_layer *L = &m->layer[l];
        snprintf(p, sizeof p, "%sencoder.layer.%lld.", pre, (long long)l);
        const struct {
            const char *n;
            int64_t d0, d1;
            const float **dst;
        } t[] = {
            { "attention.self.query.weight", H, H, &L->wq },
            { "attention.self.query.bias", H, 0, &L->bq },
            { "attention.self.key.weight", H, H, &L->wk },
            { "attention.self.key.bias", H, 0, &L->bk },
            { "attention.self.value.weight", H, H, &L->wv },
            { "attention.self.value.bias", H, 0, &L->bv },
            { "attention.output.dense.weight", H, H, &L->wo },
            { "attention.output.dense.bias", H, 0, &L->bo },
            { "attention.output.LayerNorm.weight", H, 0, &L->ln1_g },
            { "attention.output.LayerNorm.bias", H, 0, &L->ln1_b },
            { "intermediate.dense.weight", I, H, &L->wi },
            { "intermediate.dense.bias", I, 0, &L->bi },
            { "output.dense.weight", H, I, &L->wo2 },
            { "output.dense.bias", H, 0, &L->bo2 },
            { "output.LayerNorm.weight", H, 0, &L->ln2_g },
            { "output.LayerNorm.bias", H, 0, &L->ln2_b },
        };
        for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
            if ((ret = get(m, p, t[i].n, t[i].d0, t[i].d1, t[i].dst, err,
                           cap)) < 0)
                goto fail;
    }
    gemm_pick(m);
    pthread_mutex_init(&m->pack_lock, NULL);
    m->have_lock = true;
    snprintf(path, sizeof path, "%s/vocab.txt", dir);
    if ((ret = text_vocab_load(path, &m->vocab, err, cap)) < 0)
        goto fail;
    if ((int64_t)text_vocab_size(m->vocab) > m->vocab_size) {
        ret = errf(err, cap, WEFT_ERANGE,
                   "%s: %zu tokens but config.json's vocab_size is %lld",
                   path, text_vocab_size(m->vocab), (long long)m->vocab_size);
        goto fail;
    }
    m->max_len = st_max_len(dir);
    if (m->max_len <= 0 || m->max_len > m->max_pos)
        m->max_len = m->max_pos;
    *out = m;
    return 0;
fail:
    text_bert_free(m);
    return ret;
}

void text_bert_free(text_bert *m)
{
    if (!m)
        return;
    text_vocab_free(m->vocab);
    free(m->packed);
    if (m->have_lock)
        pthread_mutex_destroy(&m->pack_lock);
    free(m->layer);
    weft_model_free(m->model);
    free(m);
}

void text_bert_ws_clear(text_bert_ws *ws)
{
    if (!ws)
        return;
    free(ws->x);
    free(ws->qkv);
    free(ws->ctx);
    free(ws->tmp);
    free(ws->inter);
    free(ws->scores);
    memset(ws, 0, sizeof *ws);
}

static int ws_reserve(const text_bert *m, text_bert_ws *ws, size_t tokens,
                      size_t scores)
{
    if (tokens > ws->cap_tokens) {
        size_t H = (size_t)m->hidden, I = (size_t)m->inter;
        float **bufs[] = { &ws->x, &ws->ctx, &ws->tmp };
        for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) {
            free(*bufs[i]);
            if (!(*bufs[i] = malloc(tokens * H * sizeof(float))))
                goto oom;
        }
        free(ws->qkv);
        if (!(ws->qkv = malloc(tokens * 3 * H * sizeof(float))))
            goto oom;
        free(ws->inter);
        if (!(ws->inter = malloc(tokens * I * sizeof(float))))
            goto oom;
        ws->cap_tokens = tokens;
    }
    if (scores > ws->cap_scores) {
        free(ws->scores);
        if (!(ws->scores = malloc(scores * sizeof(float))))
            goto oom;
        ws->cap_scores = scores;
    }
    return 0;
oom:
    text_bert_ws_clear(ws);
    return WEFT_ENOMEM;
}

/* x = LayerNorm(x + y) * g + b per row of @n (@y may be NULL); the
 * statistics in double, in four interleaved sums so that the loops are not
 * bound by the latency of one chain of additions. */
static void add_layer_norm(float *x, const float *y, size_t rows, size_t n,
                           const float *g, const float *b, double eps)
{
    for (size_t r = 0; r < rows; r++) {
        float *v = x + r * n;
        double s[4] = { 0, 0, 0, 0 }, mean, var;
        size_t i;
        if (y)
            for (i = 0; i < n; i++)
                v[i] += y[r * n + i];
        for (i = 0; i + 4 <= n; i += 4)
            for (int j = 0; j < 4; j++)
                s[j] += v[i + j];
        for (; i < n; i++)
            s[0] += v[i];
        mean = (s[0] + s[1] + s[2] + s[3]) / (double)n;
        s[0] = s[1] = s[2] = s[3] = 0;
        for (i = 0; i + 4 <= n; i += 4)
            for (int j = 0; j < 4; j++)
                s[j] += (v[i + j] - mean) * (v[i + j] - mean);
        for (; i < n; i++)
            s[0] += (v[i] - mean) * (v[i] - mean);
        var = (s[0] + s[1] + s[2] + s[3]) / (double)n;
        double inv = 1.0 / sqrt(var + eps);
        for (i = 0; i < n; i++)
            v[i] = (float)((v[i] - mean) * inv) * g[i] + b[i];
    }
}

static void activate(float *x, size_t n, text_act act)
{
    switch (act) {
    case TEXT_ACT_GELU:
        for (size_t i = 0; i < n; i++)
            x[i] = (float)(0.5 * x[i] * (1.0 + erf(x[i] * M_SQRT1_2)));
        break;
    case TEXT_ACT_GELU_TANH:
        for (size_t i = 0; i < n; i++) {
            double v = x[i];
            x[i] = (float)(0.5 * v *
                           (1.0 + tanh(0.7978845608028654 *
                                       (v + 0.044715 * v * v * v))));
        }
        break;
    case TEXT_ACT_RELU:
        for (size_t i = 0; i < n; i++)
            x[i] = x[i] > 0 ? x[i] : 0;
        break;
    }
}

static void softmax_rows(float *s, size_t rows, size_t n)
{
    for (size_t r = 0; r < rows; r++) {
        float *v = s + r * n, mx = v[0];
        double sum = 0;
        for (size_t i = 1; i < n; i++)
            mx = v[i] > mx ? v[i] : mx;
        for (size_t i = 0; i < n; i++) {
            v[i] = expf(v[i] - mx);
            sum += v[i];
        }
        float inv = (float)(1.0 / sum);
        for (size_t i = 0; i < n; i++)
            v[i] *= inv;
    }
}

int text_bert_embed(const text_bert *m, text_bert_ws *ws, weft_kctx *k,
                    const int32_t *const *ids, const size_t *lens,
                    size_t batch, text_pool pool, bool normalize, float *out)
{
    const size_t H = (size_t)m->hidden, I = (size_t)m->inter;
    const size_t nh = (size_t)m->heads, dh = H / nh;
    size_t T = 0, maxl = 0;
    int ret;

    for (size_t s = 0; s < batch; s++) {
        if (lens[s] == 0 || lens[s] > (size_t)m->max_pos)
            return WEFT_EINVAL;
        T += lens[s];
        maxl = lens[s] > maxl ? lens[s] : maxl;
    }
    if (!T)
        return 0;
    if ((ret = ws_reserve(m, ws, T, nh * maxl * maxl)) < 0 ||
        (ret = ensure_packed((text_bert *)m)) < 0)
        return ret;
    /* Embeddings: word + position + token type 0, then LayerNorm. */
    for (size_t s = 0, t = 0; s < batch; s++) {
        for (size_t i = 0; i < lens[s]; i++, t++) {
            int32_t id = ids[s][i];
            if (id < 0 || id >= m->vocab_size)
                return WEFT_EINVAL;
            const float *we = m->word + (size_t)id * H, *pe = m->pos + i * H;
            float *x = ws->x + t * H;
            for (size_t j = 0; j < H; j++)
                x[j] = we[j] + pe[j] + m->type[j];
        }
    }
    add_layer_norm(ws->x, NULL, T, H, m->ln_g, m->ln_b, m->eps);
    const float scale = 1.0f / sqrtf((float)dh);
    for (int64_t l = 0; l < m->layers; l++) {
        const text_bert_layer *L = &m->layer[l];
        const size_t H3 = 3 * H;
        m->gemm(ws->x, H, T, H, L->qkv_p, L->qkv_b, H3, false, ws->qkv, H3);
        /* Attention per sequence, all heads in one batched GEMM. */
        for (size_t s = 0, off = 0; s < batch; off += lens[s], s++) {
            const int64_t n = (int64_t)lens[s];
            const float *q = ws->qkv + off * H3, *kk = q + H, *v = q + 2 * H;
            if ((ret = weft_k_gemm_batched_f32(
                     k, false, true, n, n, (int64_t)dh, scale, q, (int64_t)H3,
                     (int64_t)dh, kk, (int64_t)H3, (int64_t)dh, 0.0f,
                     ws->scores, n, n * n, (int64_t)nh)) < 0)
                return ret;
            softmax_rows(ws->scores, nh * (size_t)n, (size_t)n);
            /* The heads' outputs interleave in ctx (row stride H), which
             * a batched GEMM may not write: one GEMM per head. */
            for (size_t h = 0; h < nh; h++)
                if ((ret = weft_k_gemm_f32(
                         k, false, false, n, (int64_t)dh, n, 1.0f,
                         ws->scores + h * (size_t)(n * n), n, v + h * dh,
                         (int64_t)H3, 0.0f, ws->ctx + off * H + h * dh,
                         (int64_t)H)) < 0)
                    return ret;
        }
        m->gemm(ws->ctx, H, T, H, L->wo_p, L->bo_p, H, false, ws->tmp, H);
        add_layer_norm(ws->x, ws->tmp, T, H, L->ln1_g, L->ln1_b, m->eps);
        m->gemm(ws->x, H, T, H, L->wi_p, L->bi_p, I,
                m->act == TEXT_ACT_GELU, ws->inter, I);
        if (m->act != TEXT_ACT_GELU)
            activate(ws->inter, T * I, m->act);
        m->gemm(ws->inter, I, T, I, L->wo2_p, L->bo2_p, H, false, ws->tmp, H);
        add_layer_norm(ws->x, ws->tmp, T, H, L->ln2_g, L->ln2_b, m->eps);
    }
    /* Pooling over each sequence's tokens, then optional L2 norm (with
     * PyTorch's F.normalize floor of 1e-12). */
    for (size_t s = 0, off = 0; s < batch; off += lens[s], s++) {
        float *o = out + s * H;
        if (pool == TEXT_POOL_CLS) {
            memcpy(o, ws->x + off * H, H * sizeof *o);
        } else {
            for (size_t j = 0; j < H; j++) {
                double acc = 0;
                for (size_t i = 0; i < lens[s]; i++)
                    acc += ws->x[(off + i) * H + j];
                o[j] = (float)(acc / (double)lens[s]);
            }
        }
        if (normalize) {
            double nrm = 0;
            for (size_t j = 0; j < H; j++)
                nrm += (double)o[j] * o[j];
            nrm = sqrt(nrm);
            if (nrm < 1e-12)
                nrm = 1e-12;
            for (size_t j = 0; j < H; j++)
                o[j] = (float)(o[j] / nrm);
        }
    }
    return 0;
}
