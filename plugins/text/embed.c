/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * text.embed: sentence embeddings from a BERT-family model, on the CPU
 * (text_engine, bert.c) or on a CUDA device (cuda/bert-cuda.h).
 *
 * The CUDA path keeps the CPU model for its vocabulary and tokenizes here;
 * the device weights are shared like the CPU model: one upload per model
 * directory, device and precision (weft_shared_acquire), whatever the
 * number of nodes. Each node has its own kernel context (its CUDA stream)
 * and cuBLAS workspace.
 */
#include "config.h"

#include "text-plugin.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef WEFT_HAVE_CUDA
#include "cuda/bert-cuda.h"
#endif

static const char *const precisions[] = { "fp32", "fp16", "bf16", NULL };

typedef struct embed {
    text_engine e;
    size_t batch;
    bool row;   /* [1,D] instead of [D] */
    weft_buf **in;
    const char **text;
    size_t *len;
#ifdef WEFT_HAVE_CUDA
    text_cuda_model *cm; /* shared; NULL on the CPU */
    text_cuda_ws *cws;
#endif
} embed;

#ifdef WEFT_HAVE_CUDA
typedef struct cuda_load_arg {
    const text_bert *bert;
    int32_t device;
    text_cuda_prec prec;
    char err[512];
} cuda_load_arg;

static int cuda_model_create(void *arg, void **obj)
{
    cuda_load_arg *a = arg;
    text_cuda_model *m;
    int ret = text_cuda_model_from_bert(a->bert, a->device, a->prec, &m,
                                        a->err, sizeof a->err);

    *obj = ret < 0 ? NULL : m;
    return ret;
}

static void cuda_model_destroy(void *obj)
{
    text_cuda_model_free(obj);
}

/* The CUDA engine: what text_engine_init does for the CPU (model,
 * truncation, pooling), then the shared device weights and this node's
 * workspace on the stream of a CUDA kernel context. */
static int cuda_init(weft_node *node, embed *s, const char *dev,
                     int32_t index, text_cuda_prec prec)
{
    text_engine *e = &s->e;
    char real[PATH_MAX], key[PATH_MAX + 64], err[512] = "";
    char *dir;
    void *obj = NULL;
    int ret;

    /* The CPU model stays loaded for its vocabulary and sizes. */
    if ((ret = text_engine_open(node, e, dev)) < 0)
        return ret;
    if (!(dir = weft_node_prop_path(node, "model")))
        return WEFT_EINVAL;
    snprintf(key, sizeof key, "text.bert.cuda:%d:%s:%s", (int)index,
             precisions[prec], realpath(dir, real) ? real : dir);
    free(dir);

    cuda_load_arg a = { e->model, index, prec, "" };
    if ((ret = weft_shared_acquire(key, cuda_model_create,
                                   cuda_model_destroy, &a, &obj)) < 0)
        return weft_node_error(node, ret, "device '%s': cannot upload the "
                               "model: %s", dev,
                               a.err[0] ? a.err : weft_strerror(ret));
    s->cm = obj;
    if ((ret = text_cuda_ws_new(s->cm, weft_kctx_stream(e->k), &s->cws, err,
                                sizeof err)) < 0)
        return weft_node_error(node, ret, "device '%s': %s", dev, err);
    return 0;
}

/* text_engine_run on the device: the CPU engine's tokenization (same
 * truncation, same counters), then one text_cuda_embed for the batch. */
static int cuda_run(weft_node *node, embed *s, size_t n)
{
    text_engine *e = &s->e;
    char err[512] = "";
    int ret;

    if ((ret = text_engine_tokenize(node, e, s->text, s->len, n)) < 0)
        return ret;
    ret = text_cuda_embed(s->cm, s->cws, e->ptr, e->len, n,
                          e->pool == TEXT_POOL_CLS, e->normalize, e->out, err,
                          sizeof err);
    if (ret < 0)
        return weft_node_error(node, ret, "CUDA encoder on %s failed: %s",
                               weft_kctx_name(e->k), err);
    return 0;
}
#endif /* WEFT_HAVE_CUDA */

/* Where to run, from `device` and `precision`: 0 with *@cuda set, or an
 * error already reported in one line naming the property. */
static int pick_device(weft_node *node, bool *cuda, int32_t *index,
                       int *prec)
{
    const char *dev = weft_node_prop_string(node, "device");
    weft_k_backend be = WEFT_K_BACKEND_CPU;
    const char *why = "";
    int ret;

    *prec = weft_node_prop_enum(node, "precision");
    if (!dev)
        dev = "cpu";
    ret = weft_k_device_parse(dev, &be, index);
    if (ret == WEFT_ENODEV) {
        if (weft_k_cuda_available(&why))
            return weft_node_error(node, ret, "device '%s': no such device "
                                   "(this machine has %s)", dev, why);
        return weft_node_error(node, ret, "device '%s': CUDA is not "
                               "available: %s", dev, why);
    }
    if (ret < 0)
        return weft_node_error(node, ret, "device '%s': not a device (cpu, "
                               "auto, cuda or cuda:N)", dev);
    *cuda = be == WEFT_K_BACKEND_CUDA;
    if (!*cuda && *prec != 0)
        return weft_node_error(node, WEFT_EINVAL, "precision '%s' needs a "
                               "CUDA device; device '%s' runs on the CPU "
                               "(fp32 only)", precisions[*prec], dev);
    return 0;
}

static int embed_init(weft_node *node)
{
    embed *s = calloc(1, sizeof *s);
    bool cuda = false;
    int32_t index = 0;
    int prec = 0, ret;

    if (!s)
        return weft_node_error(node, WEFT_ENOMEM, "out of memory");
    weft_node_set_priv(node, s);
    if ((ret = pick_device(node, &cuda, &index, &prec)) < 0)
        return ret;
    if (cuda) {
#ifdef WEFT_HAVE_CUDA
        char name[32];
        /* "auto" and "cuda" name device 0; the context gets the index. */
        snprintf(name, sizeof name, "cuda:%d", (int)index);
        if ((ret = cuda_init(node, s, name, index,
                             (text_cuda_prec)prec)) < 0)
            return ret;
#else
        (void)index;
        return weft_node_error(node, WEFT_ENODEV, "device: built without "
                               "CUDA");
#endif
    } else if ((ret = text_engine_open(node, &s->e, "cpu")) < 0) {
        return ret;
    }
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
    int ret;

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
#ifdef WEFT_HAVE_CUDA
    if (s->cm)
        ret = cuda_run(node, s, n);
    else
#endif
        ret = text_engine_run(node, &s->e, s->text, s->len, n);
    if (ret < 0) {
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
#ifdef WEFT_HAVE_CUDA
    /* The workspace waits for its stream, which the context owns. */
    text_cuda_ws_free(s->cws);
    if (s->cm)
        weft_shared_release(s->cm);
#endif
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
    WEFT_PROP_STRING("device", "cpu", "Where to run: cpu, cuda:N (CUDA "
                     "device N; cuda is cuda:0) or auto (CUDA device 0 when "
                     "one is present, else the CPU). A CUDA device that is "
                     "not there fails init with the reason."),
    WEFT_PROP_ENUM("precision", "fp32", precisions, "Arithmetic of the "
                   "dense layers on CUDA: fp32 (no TF32), or fp16/bf16 "
                   "weights and GEMM inputs with fp32 accumulation (layer "
                   "norm, softmax and pooling stay fp32; cosine >= 0.999 "
                   "to fp32). The CPU takes only fp32."),
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
        "With `device = \"cuda:N\"` the encoder runs on that GPU: cuBLAS "
        "GEMMs and the project's kernels for the embedding layer norm, "
        "attention over the packed sequences, GELU and pooling, on the "
        "node's own CUDA stream; tokenization stays on the CPU. The device "
        "weights are uploaded once per model directory, device and "
        "`precision`, and shared by every node that uses them. fp32 "
        "matches the CPU within 1e-5; `precision = \"fp16\"` or "
        "`\"bf16\"` converts the dense weights at upload for tensor-core "
        "GEMMs (fp32 accumulation). A build without CUDA, or a machine "
        "without the device, fails init with a one-line reason.\n\n"
        "Example:\n"
        "    node emb = text.embed { model = \"../models/all-minilm-l6-v2\" }\n"
        "    node gpu = text.embed { model = \"../models/all-minilm-l6-v2\",\n"
        "                            device = \"cuda:0\", precision = \"fp16\","
        " batch = 256 }",
    .flags = WEFT_NODE_ANY_INPUT,
    .inputs = inputs,
    .outputs = outputs,
    .props = props,
    .init = embed_init,
    .negotiate = embed_negotiate,
    .process = embed_process,
    .fini = embed_fini,
};
