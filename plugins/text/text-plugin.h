/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The text plugin's classes and what they share. */
#ifndef WEFT_TEXT_PLUGIN_H
#define WEFT_TEXT_PLUGIN_H

#include <weft/plugin.h>

#include "bert.h"

extern const weft_node_class text_embed_class;
extern const weft_node_class text_tokenize_class;
extern const weft_node_class text_nearest_class;

/*
 * text_model_acquire: the shared, read-only model in directory @dir
 * (loaded on first use, then shared by every node naming the same
 * directory). Release with weft_shared_release. 0 or an error already
 * reported with weft_node_error(). [control]
 */
int text_model_acquire(weft_node *node, const char *dir, text_bert **out);

/* The embedding engine one node owns: a CPU kernel context, tokenizer and
 * encoder scratch, and the batch being built. */
typedef struct text_engine {
    text_bert *model;
    weft_kctx *k;
    text_tok tok;
    text_bert_ws ws;
    int32_t *ids;      /* ids of the batch, back to back */
    size_t ids_cap, ids_n;
    size_t *off, *len; /* per sequence */
    const int32_t **ptr;
    float *out;        /* [batch, hidden] */
    size_t seq_cap;
    size_t max_len;
    text_pool pool;
    bool normalize;
} text_engine;

/* Set up from the node's `model` property (and pooling, normalize,
 * max_length when the class has them) with a kernel context on @kdev
 * ("cpu", "cuda:N"). [control] */
int text_engine_open(weft_node *node, text_engine *e, const char *kdev);
/* text_engine_open on the CPU after checking the node's `device` property
 * (CUDA devices are refused). [control] */
int text_engine_init(weft_node *node, text_engine *e);
void text_engine_fini(text_engine *e);
/* Tokenize @n texts into e->ids, e->ptr and e->len (as text_engine_run
 * does before encoding); counts truncation and invalid UTF-8 on @node. 0
 * or an error already reported. [worker] */
int text_engine_tokenize(weft_node *node, text_engine *e,
                         const char *const *text, const size_t *len, size_t n);
/* Embed @n texts into e->out ([n, hidden]); counts truncation and invalid
 * UTF-8 on @node. 0 or an error already reported. [worker] */
int text_engine_run(weft_node *node, text_engine *e, const char *const *text,
                    const size_t *len, size_t n);

#endif /* WEFT_TEXT_PLUGIN_H */
