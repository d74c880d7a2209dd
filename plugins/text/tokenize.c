/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* text.tokenize: BERT WordPiece token ids of each text buffer. */
#include "config.h"

#include "text-plugin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct tokenize {
    text_vocab *vocab;
    text_tok tok;
    size_t max_len;
} tokenize;

static int tokenize_init(weft_node *node)
{
    tokenize *s = calloc(1, sizeof *s);
    char *dir, *path, err[512];
    size_t n;
    int ret;

    if (!s)
        return weft_node_error(node, WEFT_ENOMEM, "out of memory");
    weft_node_set_priv(node, s);
    s->max_len = (size_t)weft_node_prop_int(node, "max_length");
    if (s->max_len == 1)
        return weft_node_error(node, WEFT_ERANGE,
                               "max_length 1 leaves no room for [CLS] and "
                               "[SEP]");
    if (!(dir = weft_node_prop_path(node, "model")))
        return WEFT_EINVAL;
    n = strlen(dir) + sizeof "/vocab.txt";
    path = malloc(n);
    if (path)
        snprintf(path, n, "%s/vocab.txt", dir);
    free(dir);
    if (!path)
        return weft_node_error(node, WEFT_ENOMEM, "out of memory");
    ret = text_vocab_load(path, &s->vocab, err, sizeof err);
    free(path);
    if (ret < 0)
        return weft_node_error(node, ret, "%s", err);
    return 0;
}

static weft_flow tokenize_process(weft_node *node)
{
    tokenize *s = weft_node_priv(node);
    weft_buf *b, *o;
    weft_flow f = weft_node_pop(node, 0, &b);
    const int32_t *ids;
    const char *text;
    size_t len, n;
    text_tok_info info;

    if (f != WEFT_FLOW_OK)
        return f == WEFT_FLOW_AGAIN ? WEFT_FLOW_OK : f;
    if (!(text = weft_buf_text(b, &len))) {
        weft_buf_unref(b);
        weft_node_error(node, WEFT_ETYPE, "input is not a text buffer");
        return WEFT_FLOW_ERROR;
    }
    if (text_tokenize(s->vocab, &s->tok, text, len, s->max_len, &ids, &n,
                      &info) < 0) {
        weft_buf_unref(b);
        weft_node_error(node, WEFT_ENOMEM, "out of memory");
        return WEFT_FLOW_ERROR;
    }
    if (info.n_invalid)
        weft_node_count(node, "invalid_utf8", (int64_t)info.n_invalid);
    if (info.truncated)
        weft_node_count(node, "truncated", 1);
    int64_t shape = (int64_t)n;
    if (!(o = weft_buf_new_tensor(WEFT_DTYPE_I64, 1, &shape, WEFT_DOMAIN_HOST,
                                  0))) {
        weft_buf_unref(b);
        weft_node_error(node, WEFT_ENOMEM, "out of memory");
        return WEFT_FLOW_ERROR;
    }
    int64_t *d = weft_buf_data(o);
    for (size_t i = 0; i < n; i++)
        d[i] = ids[i];
    weft_buf_copy_meta(o, b);
    weft_buf_unref(b);
    return weft_node_push(node, 0, o);
}

static void tokenize_fini(weft_node *node)
{
    tokenize *s = weft_node_priv(node);

    if (!s)
        return;
    text_vocab_free(s->vocab);
    text_tok_clear(&s->tok);
    free(s);
    weft_node_set_priv(node, NULL);
}

static const weft_port_desc inputs[] = {
    WEFT_PORT("in", "text", "Text to tokenize."), WEFT_PORT_END
};

static const weft_port_desc outputs[] = {
    WEFT_PORT("out", "tensor dtype=i64 shape=[T]",
              "Token ids with [CLS] first and [SEP] last."),
    WEFT_PORT_END
};

static const weft_prop_desc props[] = {
    WEFT_PROP_PATH("model", NULL, "Model directory holding vocab.txt."),
    WEFT_PROP_INT("max_length", "0", 0, 1000000, "tokens", "Truncate to "
                  "this many ids, [SEP] kept last; 0: no limit."),
    WEFT_PROP_END
};

const weft_node_class text_tokenize_class = {
    .struct_size = sizeof(weft_node_class),
    .name = "text.tokenize",
    .summary = "BERT uncased WordPiece token ids",
    .doc =
        "Tokenizes each text buffer exactly as Hugging Face tokenizers does "
        "for uncased BERT models (BertNormalizer, BertPreTokenizer, "
        "WordPiece, [CLS]/[SEP]): control characters dropped, CJK "
        "ideographs split, accents stripped, lowercased, punctuation split, "
        "greedy longest-match WordPieces. Outputs one i64 tensor of ids per "
        "buffer. Invalid UTF-8 is replaced (counter `invalid_utf8`); "
        "truncation is counted (`truncated`).",
    .inputs = inputs,
    .outputs = outputs,
    .props = props,
    .init = tokenize_init,
    .process = tokenize_process,
    .fini = tokenize_fini,
};
