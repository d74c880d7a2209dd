/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* BERT-family encoder on the CPU: loading, packing and the layer loop;
 * the kernels are in bert-gemm.c and bert-attn.c. See bert.h. */
#include "config.h"

#include "bert-cpu.h"

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
            text__gemm_pack(m->panel, 3, qkv_w, qkv_b, qkv_rows, H, &cur,
                            &used, &L->qkv_p, &L->qkv_b);
            text__gemm_pack(m->panel, 1, &L->wo, &L->bo, &H, H, &cur, &used,
                            &L->wo_p, &L->bo_p);
            text__gemm_pack(m->panel, 1, &L->wi, &L->bi, &I, H, &cur, &used,
                            &L->wi_p, &L->bi_p);
            text__gemm_pack(m->panel, 1, &L->wo2, &L->bo2, &H, I, &cur,
                            &used, &L->wo2_p, &L->bo2_p);
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
    text__cpu_pick(m);
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

int text_bert_embed(const text_bert *m, text_bert_ws *ws, weft_kctx *k,
                    const int32_t *const *ids, const size_t *lens,
                    size_t batch, text_pool pool, bool normalize, float *out)
{
    const size_t H = (size_t)m->hidden, I = (size_t)m->inter;
    const size_t nh = (size_t)m->heads, dh = H / nh;
    size_t T = 0, maxl = 0;
    int ret;

    (void)k; /* every kernel is the encoder's own now */

    for (size_t s = 0; s < batch; s++) {
        if (lens[s] == 0 || lens[s] > (size_t)m->max_pos)
            return WEFT_EINVAL;
        T += lens[s];
        maxl = lens[s] > maxl ? lens[s] : maxl;
    }
    if (!T)
        return 0;
    if ((ret = ws_reserve(m, ws, T, text__attn_scratch(maxl, dh))) < 0 ||
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
    m->ln(ws->x, NULL, T, H, m->ln_g, m->ln_b, m->eps);
    const float scale = 1.0f / sqrtf((float)dh);
    for (int64_t l = 0; l < m->layers; l++) {
        const text_bert_layer *L = &m->layer[l];
        const size_t H3 = 3 * H;
        m->gemm(ws->x, H, T, H, L->qkv_p, L->qkv_b, H3, false, ws->qkv, H3);
        /* Attention per sequence, on its own length. */
        for (size_t s = 0, off = 0; s < batch; off += lens[s], s++) {
            const float *q = ws->qkv + off * H3;
            m->attn(q, q + H, q + 2 * H, H3, lens[s], nh, dh, scale,
                    ws->ctx + off * H, H, ws->scores);
        }
        m->gemm(ws->ctx, H, T, H, L->wo_p, L->bo_p, H, false, ws->tmp, H);
        m->ln(ws->x, ws->tmp, T, H, L->ln1_g, L->ln1_b, m->eps);
        m->gemm(ws->x, H, T, H, L->wi_p, L->bi_p, I,
                m->act == TEXT_ACT_GELU, ws->inter, I);
        if (m->act != TEXT_ACT_GELU)
            activate(ws->inter, T * I, m->act);
        m->gemm(ws->inter, I, T, I, L->wo2_p, L->bo2_p, H, false, ws->tmp, H);
        m->ln(ws->x, ws->tmp, T, H, L->ln2_g, L->ln2_b, m->eps);
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
