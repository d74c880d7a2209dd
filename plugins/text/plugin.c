/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The text plugin: BERT WordPiece tokenization and BERT-family sentence
 * embeddings (all-MiniLM-L6-v2 and its kin), plus nearest-neighbour search
 * over example sentences. One class per file; this file lists them and
 * holds what they share (shared model loading, the embedding engine).
 */
#include "config.h"

#include "text-plugin.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int model_load(const char *dir, void **obj, char *err, size_t cap)
{
    text_bert *m = NULL;
    int ret = text_bert_load(dir, &m, err, cap);

    *obj = m;
    return ret;
}

static void model_destroy(void *obj)
{
    text_bert_free(obj);
}

int text_model_acquire(weft_node *node, const char *dir, text_bert **out)
{
    void *obj = NULL;
    int ret = weft_shared_acquire_dir(node, "text.bert", dir, model_load,
                                      model_destroy, &obj);

    *out = obj;
    return ret;
}

int text_engine_open(weft_node *node, text_engine *e, const char *kdev)
{
    char *dir;
    int ret;

    if ((ret = weft_kctx_new(kdev, &e->k)) < 0)
        return weft_node_error(node, ret, "device '%s': %s", kdev,
                               weft_strerror(ret));
    if (!(dir = weft_node_prop_path(node, "model")))
        return WEFT_EINVAL;
    ret = text_model_acquire(node, dir, &e->model);
    free(dir);
    if (ret < 0)
        return ret;
    e->max_len = (size_t)e->model->max_len;
    if (weft_node_prop(node, "max_length")) {
        int64_t v = weft_node_prop_int(node, "max_length");
        if (v > e->model->max_pos)
            return weft_node_error(node, WEFT_ERANGE,
                                   "max_length %lld exceeds the model's "
                                   "%lld positions", (long long)v,
                                   (long long)e->model->max_pos);
        if (v > 0)
            e->max_len = (size_t)v;
    }
    e->pool = TEXT_POOL_MEAN;
    if (weft_node_prop(node, "pooling"))
        e->pool = weft_node_prop_enum(node, "pooling") == 1 ? TEXT_POOL_CLS
                                                            : TEXT_POOL_MEAN;
    e->normalize = true;
    if (weft_node_prop(node, "normalize"))
        e->normalize = weft_node_prop_bool(node, "normalize");
    return 0;
}

int text_engine_init(weft_node *node, text_engine *e)
{
    const char *dev = weft_node_prop_string(node, "device");
    weft_k_backend be = WEFT_K_BACKEND_CPU;
    int ret;

    if ((ret = weft_k_device_parse(dev, &be, NULL)) < 0)
        return weft_node_error(node, ret, "device '%s': %s", dev ? dev : "",
                               weft_strerror(ret));
    /* Only text.embed has a CUDA path (embed.c): "auto" stays on the CPU
     * here and an explicit CUDA device is refused rather than ignored. */
    if (dev && strncmp(dev, "cuda", 4) == 0)
        return weft_node_error(node, WEFT_ENOTSUP,
                               "device '%s': this node runs on the CPU "
                               "only", dev);
    return text_engine_open(node, e, "cpu");
}

void text_engine_fini(text_engine *e)
{
    if (e->model)
        weft_shared_release(e->model);
    weft_kctx_free(e->k);
    text_tok_clear(&e->tok);
    text_bert_ws_clear(&e->ws);
    free(e->ids);
    free(e->off);
    free(e->len);
    free(e->ptr);
    free(e->out);
    memset(e, 0, sizeof *e);
}

static int reserve_seq(text_engine *e, size_t n)
{
    size_t H = (size_t)e->model->hidden;

    if (n <= e->seq_cap)
        return 0;
    free(e->off);
    free(e->len);
    free(e->ptr);
    free(e->out);
    e->off = malloc(n * sizeof *e->off);
    e->len = malloc(n * sizeof *e->len);
    e->ptr = malloc(n * sizeof *e->ptr);
    e->out = malloc(n * H * sizeof *e->out);
    e->seq_cap = n;
    if (!e->off || !e->len || !e->ptr || !e->out) {
        e->seq_cap = 0;
        return WEFT_ENOMEM;
    }
    return 0;
}

int text_engine_tokenize(weft_node *node, text_engine *e,
                         const char *const *text, const size_t *len, size_t n)
{
    if (reserve_seq(e, n) < 0)
        return weft_node_error(node, WEFT_ENOMEM, "out of memory");
    e->ids_n = 0;
    for (size_t i = 0; i < n; i++) {
        const int32_t *ids;
        size_t k;
        text_tok_info info;
        if (text_tokenize(e->model->vocab, &e->tok, text[i], len[i],
                          e->max_len, &ids, &k, &info) < 0)
            return weft_node_error(node, WEFT_ENOMEM, "out of memory");
        if (info.n_invalid)
            weft_node_count(node, "invalid_utf8", (int64_t)info.n_invalid);
        if (info.truncated) {
            weft_node_count(node, "truncated", 1);
            weft_node_log(node, WEFT_LOG_WARNING,
                          "text of %zu tokens truncated to %zu", info.n_full,
                          k);
        }
        if (e->ids_n + k > e->ids_cap) {
            size_t cap = e->ids_cap ? e->ids_cap : 1024;
            while (cap < e->ids_n + k)
                cap *= 2;
            int32_t *p = realloc(e->ids, cap * sizeof *p);
            if (!p)
                return weft_node_error(node, WEFT_ENOMEM, "out of memory");
            e->ids = p;
            e->ids_cap = cap;
        }
        memcpy(e->ids + e->ids_n, ids, k * sizeof *ids);
        e->off[i] = e->ids_n;
        e->len[i] = k;
        e->ids_n += k;
    }
    for (size_t i = 0; i < n; i++)
        e->ptr[i] = e->ids + e->off[i];
    return 0;
}

int text_engine_run(weft_node *node, text_engine *e, const char *const *text,
                    const size_t *len, size_t n)
{
    int ret = text_engine_tokenize(node, e, text, len, n);

    if (ret < 0)
        return ret;
    ret = text_bert_embed(e->model, &e->ws, e->k, e->ptr, e->len, n, e->pool,
                          e->normalize, e->out);
    if (ret < 0)
        return weft_node_error(node, ret, "encoder failed: %s",
                               weft_strerror(ret));
    return 0;
}

static const weft_node_class *const classes[] = {
    &text_embed_class, &text_nearest_class, &text_tokenize_class, NULL,
};

static const weft_plugin_desc desc = {
    .abi_version = WEFT_ABI_VERSION,
    .struct_size = sizeof(weft_plugin_desc),
    .name = "text",
    .version = PACKAGE_VERSION,
    .license = "LGPL-2.1-or-later",
    .summary = "BERT WordPiece tokenization, sentence embeddings and "
               "nearest-sentence search",
    .classes = classes,
};

WEFT_PLUGIN_EXPORT const weft_plugin_desc *weft_plugin_entry(void);

WEFT_PLUGIN_EXPORT const weft_plugin_desc *weft_plugin_entry(void)
{
    return &desc;
}
