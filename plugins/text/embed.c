/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* text.embed: sentence embeddings from a BERT-family model. */
#include "config.h"

#include "text-plugin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct embed {
    text_engine e;
    size_t batch;
    bool row;   /* [1,D] instead of [D] */
    weft_buf **in;
    const char **text;
    size_t *len;
} embed;

static int embed_init(weft_node *node)
{
    embed *s = calloc(1, sizeof *s);
    int ret;

    if (!s)
        return weft_node_error(node, WEFT_ENOMEM, "out of memory");
    weft_node_set_priv(node, s);
    if ((ret = text_engine_init(node, &s->e)) < 0)
        return ret;
    s->batch = (size_t)weft_node_prop_int(node, "batch");
    s->row = weft_node_prop_bool(node, "row");
    s->in = calloc(s->batch, sizeof *s->in);
    s->text = calloc(s->batch, sizeof *s->text);
    s->len = calloc(s->batch, sizeof *s->len);
    if (!s->in || !s->text || !s->len)
        return weft_node_error(node, WEFT_ENOMEM, "out of memory");
    return 0;
}

static int embed_negotiate(weft_node *node, const weft_format *const *in,
                           weft_format **out)
{
    embed *s = weft_node_priv(node);
    char fmt[96];
    int ret;

    (void)in;
    snprintf(fmt, sizeof fmt, "tensor dtype=f32 shape=[%s%lld]",
             s->row ? "1," : "", (long long)s->e.model->hidden);
    if ((ret = weft_format_parse(fmt, &out[0], NULL, 0)) < 0)
        return weft_node_error(node, ret, "cannot build format '%s'", fmt);
    return 0;
}

static weft_flow embed_process(weft_node *node)
{
    embed *s = weft_node_priv(node);
    weft_flow f = WEFT_FLOW_OK, last = WEFT_FLOW_OK;
    const int64_t H = s->e.model->hidden, shape[2] = { 1, H };
    size_t n = 0;

    /* Batch what has arrived together, up to `batch` buffers. */
    while (n < s->batch) {
        weft_buf *b;
        last = weft_node_pop(node, 0, &b);
        if (last != WEFT_FLOW_OK)
            break;
        if (weft_buf_kind(b) != WEFT_KIND_TEXT) {
            weft_buf_unref(b);
            weft_node_error(node, WEFT_ETYPE, "input is not a text buffer");
            f = WEFT_FLOW_ERROR;
            goto out;
        }
        s->in[n] = b;
        s->text[n] = weft_buf_text(b, &s->len[n]);
        n++;
    }
    if (n == 0)
        return last == WEFT_FLOW_AGAIN ? WEFT_FLOW_OK : last;
    if (text_engine_run(node, &s->e, s->text, s->len, n) < 0) {
        f = WEFT_FLOW_ERROR;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        weft_buf *o = weft_buf_new_tensor(WEFT_DTYPE_F32, s->row ? 2 : 1,
                                          s->row ? shape : &shape[1],
                                          WEFT_DOMAIN_HOST, 0);
        if (!o) {
            weft_node_error(node, WEFT_ENOMEM, "out of memory");
            f = WEFT_FLOW_ERROR;
            goto out;
        }
        memcpy(weft_buf_data(o), s->e.out + i * (size_t)H,
               (size_t)H * sizeof(float));
        weft_buf_copy_meta(o, s->in[i]);
        weft_buf_unref(s->in[i]);
        s->in[i] = NULL;
        f = weft_node_push(node, 0, o);
        if (f != WEFT_FLOW_OK)
            goto out;
    }
    if (last == WEFT_FLOW_EOS)
        f = WEFT_FLOW_EOS;
out:
    for (size_t i = 0; i < n; i++) {
        weft_buf_unref(s->in[i]);
        s->in[i] = NULL;
    }
    return f;
}

static void embed_fini(weft_node *node)
{
    embed *s = weft_node_priv(node);

    if (!s)
        return;
    text_engine_fini(&s->e);
    free(s->in);
    free(s->text);
    free(s->len);
    free(s);
    weft_node_set_priv(node, NULL);
}

static const char *const pools[] = { "mean", "cls", NULL };

static const weft_port_desc inputs[] = {
    WEFT_PORT("in", "text", "Sentences, one per buffer (an empty text is a "
              "sentence too)."),
    WEFT_PORT_END
};

static const weft_port_desc outputs[] = {
    WEFT_PORT("out", "tensor dtype=f32 shape=*",
              "One embedding per sentence, `shape=[D]` (D: the model's "
              "hidden size), or `[1,D]` with `row`; with the input's "
              "timing, segment and metadata."),
    WEFT_PORT_END
};

static const weft_prop_desc props[] = {
    WEFT_PROP_PATH("model", NULL, "Model directory: config.json, "
                   "model.safetensors and vocab.txt of a BERT-family "
                   "encoder (e.g. models/all-minilm-l6-v2)."),
    WEFT_PROP_STRING("device", "auto", "Where to run: auto, cpu (cuda:N is "
                     "refused until the CUDA path lands; auto uses the "
                     "CPU)."),
    WEFT_PROP_ENUM("pooling", "mean", pools, "Mean over all tokens "
                   "(sentence-transformers) or the [CLS] token."),
    WEFT_PROP_BOOLEAN("normalize", "true", "L2-normalise each embedding."),
    WEFT_PROP_INT("max_length", "0", 0, 1000000, "tokens", "Truncate to this "
                  "many tokens with [CLS] and [SEP]; 0: the model's "
                  "max_seq_length (256 for all-MiniLM-L6-v2)."),
    WEFT_PROP_BOOLEAN("row", "false", "Output each embedding as a [1,D] "
                      "row, so that tensor.sink stacks a file of sentences "
                      "into [N,D]."),
    WEFT_PROP_INT("batch", "32", 1, 4096, "buffers", "Most sentences "
                  "encoded in one call; buffers queued together are "
                  "batched."),
    WEFT_PROP_END
};

const weft_node_class text_embed_class = {
    .struct_size = sizeof(weft_node_class),
    .name = "text.embed",
    .summary = "Sentence embeddings from a BERT-family model",
    .doc =
        "Tokenizes each text buffer with the model's uncased WordPiece "
        "vocabulary (identical to Hugging Face tokenizers), runs the "
        "encoder and pools the last hidden states into one vector per "
        "sentence: the mean over its tokens, L2-normalised, as "
        "sentence-transformers does for all-MiniLM-L6-v2.\n\n"
        "Buffers queued together are encoded in one batch; sequences are "
        "packed, so no work is spent on padding. Texts longer than "
        "max_length tokens are truncated (counter `truncated`, and a "
        "warning); invalid UTF-8 is replaced (counter `invalid_utf8`).\n\n"
        "The weights are mapped read-only and shared by every node that "
        "names the same model directory.\n\n"
        "Example:\n"
        "    node emb = text.embed { model = \"../models/all-minilm-l6-v2\" }",
    .flags = WEFT_NODE_ANY_INPUT,
    .inputs = inputs,
    .outputs = outputs,
    .props = props,
    .init = embed_init,
    .negotiate = embed_negotiate,
    .process = embed_process,
    .fini = embed_fini,
};
