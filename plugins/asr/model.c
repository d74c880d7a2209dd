/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * model.c: an acoustic model directory (doc/acoustic-model.md) turned into
 * a list of layers: config.json is validated field by field, every
 * tensor's shape is checked against what the config implies, batch norms
 * are folded into the layer before them, and the tokens are read with the
 * ctc plugin's rules so that both compute the same vocabulary id.
 *
 * The config is untrusted input (a fuzzer drives asr_model_build): every
 * size is bounded before anything is allocated from it, and every error
 * is one line naming the file, the layer and the field.
 */
#include "config.h"

#include "asr.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bounds that keep every product of sizes far from overflow while allowing
 * any model that could run in real time. */
#define MAX_DIM 65536
#define MAX_KERNEL 1024
#define MAX_STRIDE 64
#define MAX_DILATION 1024
#define MAX_LAYERS 1024
#define MAX_PARAMS (1ll << 31)

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

void asr_vocab_id(const char *const *toks, int32_t n, char out[32])
{
    uint64_t h = 0xcbf29ce484222325ull;

    for (int32_t i = 0; i < n; i++) {
        for (const char *p = toks[i]; *p; p++) {
            h ^= (uint8_t)*p;
            h *= 0x100000001b3ull;
        }
        h ^= (uint8_t)'\n';
        h *= 0x100000001b3ull;
    }
    snprintf(out, 32, "fnv1a64:%016llx", (unsigned long long)h);
}

static void free_tokens(char **t, int32_t n)
{
    for (int32_t i = 0; t && i < n; i++)
        free(t[i]);
    free(t);
}

int asr_tokens_load(const char *path, char ***out, int32_t *n, char *err,
                    size_t cap)
{
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    FILE *f = fopen(path, "rb");
    char *line = NULL, **t = NULL;
    size_t lcap = 0;
    ssize_t got;
    int32_t cnt = 0, tcap = 0;
    int ret = 0;

    *out = NULL;
    *n = 0;
    if (!f)
        return errf(err, cap, WEFT_ENOENT, "%s: cannot open the tokens file",
                    path);
    while ((got = getline(&line, &lcap, f)) >= 0) {
        size_t len = (size_t)got;
        if (len && line[len - 1] == '\n')
            len--;
        if (len && line[len - 1] == '\r')
            len--;
        if (len == 0 || memchr(line, 0, len)) {
            ret = errf(err, cap, WEFT_EPARSE, "%s:%d: %s", base,
                       (int)cnt + 1, len ? "NUL byte in token"
                                         : "empty token");
            goto done;
        }
        if (cnt == 1000000) {
            ret = errf(err, cap, WEFT_ERANGE, "%s: more than 1000000 tokens",
                       base);
            goto done;
        }
        if (cnt == tcap) {
            int32_t nc = tcap ? tcap * 2 : 64;
            char **p = realloc(t, (size_t)nc * sizeof *p);
            if (!p)
                goto nomem;
            t = p;
            tcap = nc;
        }
        if (!(t[cnt] = strndup(line, len)))
            goto nomem;
        cnt++;
    }
    goto done;
nomem:
    ret = errf(err, cap, WEFT_ENOMEM, "%s: out of memory", base);
done:
    free(line);
    fclose(f);
    if (ret < 0) {
        free_tokens(t, cnt);
        return ret;
    }
    *out = t;
    *n = cnt;
    return 0;
}

/* ------------------------------------------------------------- fields */

/* What names a layer in messages: "config.json: layers[3] 'conv0'". */
typedef struct lctx {
    int32_t index;
    const char *name;
    const char *type;
    const weft_json_value *obj;
    char *err;
    size_t cap;
} lctx;

#define LFMT "config.json: layers[%d] '%s' (%s): "
#define LARG(c) (int)(c)->index, (c)->name, (c)->type

static int get_int(lctx *c, const char *key, bool has_def, int64_t def,
                   int64_t lo, int64_t hi, int64_t *out)
{
    const weft_json_value *v = weft_json_get(c->obj, key);

    if (!v) {
        if (!has_def)
            return errf(c->err, c->cap, WEFT_ENOENT,
                        LFMT "field '%s' is missing", LARG(c), key);
        *out = def;
        return 0;
    }
    if (!weft_json_int(v, out))
        return errf(c->err, c->cap, WEFT_ETYPE,
                    LFMT "field '%s' is not an integer", LARG(c), key);
    if (*out < lo || *out > hi)
        return errf(c->err, c->cap, WEFT_ERANGE,
                    LFMT "field '%s' is %lld, outside [%lld, %lld]", LARG(c),
                    key, (long long)*out, (long long)lo, (long long)hi);
    return 0;
}

static int get_bool(lctx *c, const char *key, bool def, bool *out)
{
    const weft_json_value *v = weft_json_get(c->obj, key);
    weft_json_type t = v ? weft_json_get_type(v) : WEFT_JSON_NULL;

    if (!v) {
        *out = def;
        return 0;
    }
    if (t != WEFT_JSON_TRUE && t != WEFT_JSON_FALSE)
        return errf(c->err, c->cap, WEFT_ETYPE,
                    LFMT "field '%s' is not true or false", LARG(c), key);
    *out = t == WEFT_JSON_TRUE;
    return 0;
}

static int get_eps(lctx *c, float *out)
{
    const weft_json_value *v = weft_json_get(c->obj, "eps");
    double d;

    if (!v) {
        *out = 1e-5f;
        return 0;
    }
    if (weft_json_get_type(v) != WEFT_JSON_NUMBER)
        return errf(c->err, c->cap, WEFT_ETYPE,
                    LFMT "field 'eps' is not a number", LARG(c));
    d = weft_json_number(v);
    if (!(d > 0 && d < 1))
        return errf(c->err, c->cap, WEFT_ERANGE,
                    LFMT "field 'eps' is %g, outside (0, 1)", LARG(c), d);
    *out = (float)d;
    return 0;
}

/* Reject fields the layer type does not have, so a typo ("strid") is an
 * error rather than a silently different model. */
static int check_keys(lctx *c, const char *const *allowed)
{
    for (size_t i = 0; i < weft_json_len(c->obj); i++) {
        const char *key;
        bool ok = false;
        weft_json_at(c->obj, i, &key);
        if (!strcmp(key, "type") || !strcmp(key, "name"))
            continue;
        for (const char *const *a = allowed; *a && !ok; a++)
            ok = strcmp(key, *a) == 0;
        if (!ok)
            return errf(c->err, c->cap, WEFT_EPARSE,
                        LFMT "unknown field '%.40s'", LARG(c), key);
    }
    return 0;
}

/* The layer's input size must be what the previous layer produces. */
static int check_in(lctx *c, const char *field, int64_t v, int64_t cur)
{
    if (v != cur)
        return errf(c->err, c->cap, WEFT_ERANGE,
                    LFMT "%s is %lld but the previous %s %lld", LARG(c),
                    field, (long long)v,
                    c->index ? "layer's output size is"
                             : "input (features.dim) is",
                    (long long)cur);
    return 0;
}

/* ------------------------------------------------------------- tensors */

typedef struct bctx {
    const weft_st *st;
    asr_model *m;
} bctx;

static int tensor(bctx *b, lctx *c, const char *suffix, uint32_t ndim,
                  int64_t d0, int64_t d1, int64_t d2, float **out)
{
    char name[160], msg[400];
    const int64_t shape[3] = { d0, d1, d2 };
    const void *data;
    size_t n = (size_t)d0 * (size_t)(ndim > 1 ? d1 : 1) *
               (size_t)(ndim > 2 ? d2 : 1);
    int ret;

    snprintf(name, sizeof name, "%s.%s", c->name, suffix);
    ret = weft_st_get(b->st, name, WEFT_DTYPE_F32, ndim, shape, &data, msg,
                      sizeof msg);
    if (ret < 0)
        return errf(c->err, c->cap, ret, "%s (config.json layers[%d] '%s', "
                    "%s)", msg, (int)c->index, c->name, c->type);
    if (posix_memalign((void **)out, 64, (n ? n : 1) * sizeof(float)))
        return errf(c->err, c->cap, WEFT_ENOMEM, "out of memory");
    memcpy(*out, data, n * sizeof(float));
    b->m->n_params += (int64_t)n;
    return 0;
}

static int const_vec(float **out, int64_t n, float v)
{
    if (posix_memalign((void **)out, 64, (size_t)(n ? n : 1) * sizeof(float)))
        return WEFT_ENOMEM;
    for (int64_t i = 0; i < n; i++)
        (*out)[i] = v;
    return 0;
}

/* Fold y' = (y - mean) / sqrt(var + eps) * gamma + beta into the affine
 * output of @prev (its weight rows, bias and residual scale), as exported
 * models expect for inference; done in double so folding adds no error
 * beyond the final rounding. */
static int fold_bn(asr_layer *prev, const float *g, const float *be,
                   const float *mu, const float *var, float eps)
{
    int64_t rows = prev->out, cols;

    cols = prev->op == ASR_CONV ? prev->in / prev->groups * prev->kernel
                                : prev->in;
    if (!prev->wt.b && const_vec(&prev->wt.b, rows, 0.0f) < 0)
        return WEFT_ENOMEM;
    if (prev->op == ASR_SEPCONV && prev->residual && !prev->wt.rs &&
        const_vec(&prev->wt.rs, rows, 1.0f) < 0)
        return WEFT_ENOMEM;
    for (int64_t o = 0; o < rows; o++) {
        double sc = (double)g[o] / sqrt((double)var[o] + (double)eps);
        for (int64_t i = 0; i < cols; i++)
            prev->wt.w[o * cols + i] = (float)(prev->wt.w[o * cols + i] * sc);
        prev->wt.b[o] = (float)(((double)prev->wt.b[o] - mu[o]) * sc + be[o]);
        if (prev->wt.rs)
            prev->wt.rs[o] = (float)(prev->wt.rs[o] * sc);
    }
    return 0;
}

/* ------------------------------------------------------------- layers */

static const char *const k_conv[] = { "in", "out", "kernel", "stride",
                                      "groups", "bias", "dilation", NULL };
static const char *const k_sep[] = { "in", "out", "kernel", "stride",
                                     "bias", "residual", "dilation", NULL };
static const char *const k_dim[] = { "dim", NULL };
static const char *const k_norm[] = { "dim", "eps", NULL };
static const char *const k_rnn[] = { "in", "hidden", NULL };
static const char *const k_lin[] = { "in", "out", "bias", NULL };
static const char *const k_drop[] = { "p", NULL };
static const char *const k_none[] = { NULL };

/* Build config layer @c into @L, given the frame size *@cur before it
 * (updated) and the last kept layer @prev. Returns 0 when @L is a layer,
 * 1 when the entry leaves none (a folded batch norm, a dropout), or an
 * error with @c's message. */
/* The fields conv1d and sepconv1d share: in (which must be @cur), out,
 * kernel, stride and dilation. */
static int get_conv_shape(lctx *c, asr_layer *L, int64_t cur)
{
    int ret;

    if ((ret = get_int(c, "in", false, 0, 1, MAX_DIM, &L->in)) < 0 ||
        (ret = check_in(c, "in", L->in, cur)) < 0 ||
        (ret = get_int(c, "out", false, 0, 1, MAX_DIM, &L->out)) < 0 ||
        (ret = get_int(c, "kernel", false, 0, 1, MAX_KERNEL, &L->kernel)) < 0 ||
        (ret = get_int(c, "stride", true, 1, 1, MAX_STRIDE, &L->stride)) < 0)
        return ret;
    return get_int(c, "dilation", true, 1, 1, MAX_DILATION, &L->dilation);
}

static int build_layer(bctx *b, lctx *c, asr_layer *L, int64_t *cur,
                       asr_layer *prev)
{
    const char *t = c->type;
    int64_t g;
    bool bias = true;
    int ret;

    L->stride = L->groups = L->dilation = L->kernel = 1;
    if (!strcmp(t, "normalize")) {
        L->op = ASR_NORMALIZE;
        if ((ret = check_keys(c, k_dim)) < 0 ||
            (ret = get_int(c, "dim", false, 0, 1, MAX_DIM, &L->in)) < 0 ||
            (ret = check_in(c, "dim", L->in, *cur)) < 0 ||
            (ret = tensor(b, c, "mean", 1, L->in, 0, 0, &L->wt.a)) < 0 ||
            (ret = tensor(b, c, "std", 1, L->in, 0, 0, &L->wt.b)) < 0)
            return ret;
        for (int64_t i = 0; i < L->in; i++)
            if (!(L->wt.b[i] > 0) || !isfinite(L->wt.b[i]))
                return errf(c->err, c->cap, WEFT_ERANGE,
                            "model.safetensors: tensor '%s.std'[%lld] is %g; "
                            "a standard deviation must be positive "
                            "(config.json layers[%d] '%s')", c->name,
                            (long long)i, (double)L->wt.b[i], (int)c->index,
                            c->name);
        L->out = L->in;
    } else if (!strcmp(t, "conv1d")) {
        L->op = ASR_CONV;
        if ((ret = check_keys(c, k_conv)) < 0 ||
            (ret = get_conv_shape(c, L, *cur)) < 0 ||
            (ret = get_int(c, "groups", true, 1, 1, MAX_DIM, &L->groups)) < 0 ||
            (ret = get_bool(c, "bias", true, &bias)) < 0)
            return ret;
        g = L->groups;
        if (L->in % g || L->out % g)
            return errf(c->err, c->cap, WEFT_ERANGE,
                        LFMT "groups %lld does not divide in %lld and out "
                        "%lld", LARG(c), (long long)g, (long long)L->in,
                        (long long)L->out);
        if ((L->in / g) * L->kernel > MAX_DIM * 16)
            return errf(c->err, c->cap, WEFT_ERANGE,
                        LFMT "in/groups * kernel = %lld is too large",
                        LARG(c), (long long)(L->in / g * L->kernel));
        if ((ret = tensor(b, c, "weight", 3, L->out, L->in / g, L->kernel,
                          &L->wt.w)) < 0 ||
            (bias && (ret = tensor(b, c, "bias", 1, L->out, 0, 0,
                                   &L->wt.b)) < 0))
            return ret;
    } else if (!strcmp(t, "sepconv1d")) {
        L->op = ASR_SEPCONV;
        if ((ret = check_keys(c, k_sep)) < 0 ||
            (ret = get_conv_shape(c, L, *cur)) < 0 ||
            (ret = get_bool(c, "bias", true, &bias)) < 0 ||
            (ret = get_bool(c, "residual", false, &L->residual)) < 0)
            return ret;
        if (L->residual && (L->in != L->out || L->stride != 1))
            return errf(c->err, c->cap, WEFT_ERANGE,
                        LFMT "residual needs in == out and stride 1, not in "
                        "%lld, out %lld, stride %lld", LARG(c),
                        (long long)L->in, (long long)L->out,
                        (long long)L->stride);
        L->groups = L->in;
        if ((ret = tensor(b, c, "depthwise.weight", 3, L->in, 1, L->kernel,
                          &L->wt.dw)) < 0 ||
            (bias && (ret = tensor(b, c, "depthwise.bias", 1, L->in, 0, 0,
                                   &L->wt.dwb)) < 0) ||
            (ret = tensor(b, c, "pointwise.weight", 3, L->out, L->in, 1,
                          &L->wt.w)) < 0 ||
            (bias && (ret = tensor(b, c, "pointwise.bias", 1, L->out, 0, 0,
                                   &L->wt.b)) < 0))
            return ret;
    } else if (!strcmp(t, "batchnorm")) {
        float *w = NULL, *bb = NULL, *mu = NULL, *var = NULL;
        L->op = ASR_AFFINE;
        if ((ret = check_keys(c, k_norm)) < 0 ||
            (ret = get_int(c, "dim", false, 0, 1, MAX_DIM, &L->in)) < 0 ||
            (ret = check_in(c, "dim", L->in, *cur)) < 0 ||
            (ret = get_eps(c, &L->eps)) < 0)
            return ret;
        L->out = L->in;
        if ((ret = tensor(b, c, "weight", 1, L->in, 0, 0, &w)) < 0 ||
            (ret = tensor(b, c, "bias", 1, L->in, 0, 0, &bb)) < 0 ||
            (ret = tensor(b, c, "running_mean", 1, L->in, 0, 0, &mu)) < 0 ||
            (ret = tensor(b, c, "running_var", 1, L->in, 0, 0, &var)) < 0)
            goto bn_out;
        for (int64_t i = 0; i < L->in; i++)
            if (!(var[i] >= 0)) {
                ret = errf(c->err, c->cap, WEFT_ERANGE,
                           "model.safetensors: tensor '%s.running_var'[%lld] "
                           "is %g; a variance cannot be negative "
                           "(config.json layers[%d] '%s')", c->name,
                           (long long)i, (double)var[i], (int)c->index,
                           c->name);
                goto bn_out;
            }
        if (prev && (prev->op == ASR_CONV || prev->op == ASR_LINEAR ||
                     prev->op == ASR_SEPCONV)) {
            if ((ret = fold_bn(prev, w, bb, mu, var, L->eps)) == 0)
                ret = 1; /* folded: the caller drops the layer */
            goto bn_out;
        } else {
            /* Nothing to fold into (a batch norm first, or after an
             * activation): it stays as y = x * scale + shift. */
            for (int64_t i = 0; i < L->in; i++) {
                double sc = (double)w[i] / sqrt((double)var[i] + L->eps);
                w[i] = (float)sc;
                bb[i] = (float)(bb[i] - mu[i] * sc);
            }
            L->wt.a = w;
            L->wt.b = bb;
            w = bb = NULL;
        }
    bn_out:
        free(w);
        free(bb);
        free(mu);
        free(var);
        if (ret != 0)
            return ret;
    } else if (!strcmp(t, "layernorm")) {
        L->op = ASR_LAYERNORM;
        if ((ret = check_keys(c, k_norm)) < 0 ||
            (ret = get_int(c, "dim", false, 0, 1, MAX_DIM, &L->in)) < 0 ||
            (ret = check_in(c, "dim", L->in, *cur)) < 0 ||
            (ret = get_eps(c, &L->eps)) < 0 ||
            (ret = tensor(b, c, "weight", 1, L->in, 0, 0, &L->wt.a)) < 0 ||
            (ret = tensor(b, c, "bias", 1, L->in, 0, 0, &L->wt.b)) < 0)
            return ret;
        L->out = L->in;
    } else if (!strcmp(t, "gru") || !strcmp(t, "lstm")) {
        int64_t G = t[0] == 'g' ? 3 : 4;
        L->op = G == 3 ? ASR_GRU : ASR_LSTM;
        if ((ret = check_keys(c, k_rnn)) < 0 ||
            (ret = get_int(c, "in", false, 0, 1, MAX_DIM, &L->in)) < 0 ||
            (ret = check_in(c, "in", L->in, *cur)) < 0 ||
            (ret = get_int(c, "hidden", false, 0, 1, MAX_DIM / 4,
                           &L->hidden)) < 0 ||
            (ret = tensor(b, c, "weight_ih", 2, G * L->hidden, L->in, 0,
                          &L->wt.w)) < 0 ||
            (ret = tensor(b, c, "weight_hh", 2, G * L->hidden, L->hidden, 0,
                          &L->wt.wh)) < 0 ||
            (ret = tensor(b, c, "bias_ih", 1, G * L->hidden, 0, 0,
                          &L->wt.b)) < 0 ||
            (ret = tensor(b, c, "bias_hh", 1, G * L->hidden, 0, 0,
                          &L->wt.bh)) < 0)
            return ret;
        L->out = L->hidden;
    } else if (!strcmp(t, "linear")) {
        L->op = ASR_LINEAR;
        if ((ret = check_keys(c, k_lin)) < 0 ||
            (ret = get_int(c, "in", false, 0, 1, MAX_DIM, &L->in)) < 0 ||
            (ret = check_in(c, "in", L->in, *cur)) < 0 ||
            (ret = get_int(c, "out", false, 0, 1, MAX_DIM, &L->out)) < 0 ||
            (ret = get_bool(c, "bias", true, &bias)) < 0 ||
            (ret = tensor(b, c, "weight", 2, L->out, L->in, 0,
                          &L->wt.w)) < 0 ||
            (bias && (ret = tensor(b, c, "bias", 1, L->out, 0, 0,
                                   &L->wt.b)) < 0))
            return ret;
    } else if (!strcmp(t, "relu") || !strcmp(t, "gelu") ||
               !strcmp(t, "silu") || !strcmp(t, "dropout")) {
        if ((ret = check_keys(c, t[0] == 'd' ? k_drop : k_none)) < 0)
            return ret;
        if (t[0] == 'd')
            return 1; /* the identity at inference */
        L->op = t[0] == 'r' ? ASR_RELU : t[0] == 'g' ? ASR_GELU : ASR_SILU;
        L->in = L->out = *cur;
    } else {
        return errf(c->err, c->cap, WEFT_EPARSE,
                    LFMT "unknown layer type (normalize, conv1d, sepconv1d, "
                    "batchnorm, layernorm, gru, lstm, linear, relu, gelu, "
                    "silu, dropout)", LARG(c));
    }
    *cur = L->out;
    return 0;
}

/* ------------------------------------------------------------- model */

static int model_fields(asr_model *m, const weft_json_value *cfg,
                        const char *const *tokens, int32_t n_tokens,
                        char *err, size_t cap)
{
    const weft_json_value *v, *f = weft_json_get(cfg, "features");
    int64_t iv;

    if (weft_json_get_type(cfg) != WEFT_JSON_OBJECT)
        return errf(err, cap, WEFT_EPARSE, "config.json: not a JSON object");
    v = weft_json_get(cfg, "format");
    if (!v || !weft_json_string(v) ||
        strcmp(weft_json_string(v), "weft-acoustic") != 0)
        return errf(err, cap, WEFT_EPARSE, "config.json: field 'format' "
                    "must be \"weft-acoustic\"");
    v = weft_json_get(cfg, "version");
    if (v && (!weft_json_int(v, &iv) || iv != 1))
        return errf(err, cap, WEFT_ENOTSUP, "config.json: version %s is not "
                    "supported (1 is)", weft_json_int(v, &iv) ? "other than 1"
                                                               : "field");
    if (!f || weft_json_get_type(f) != WEFT_JSON_OBJECT)
        return errf(err, cap, WEFT_ENOENT, "config.json: object 'features' "
                    "is missing");
    v = weft_json_get(f, "dim");
    if (!v)
        return errf(err, cap, WEFT_ENOENT, "config.json: field "
                    "'features.dim' is missing");
    if (!weft_json_int(v, &m->in_dim) || m->in_dim < 1 ||
        m->in_dim > MAX_DIM)
        return errf(err, cap, WEFT_ERANGE, "config.json: field "
                    "'features.dim' is not an integer in [1, %d]", MAX_DIM);
    if ((v = weft_json_get(f, "type"))) {
        const char *s = weft_json_string(v);
        if (!s || (strcmp(s, "mfcc") && strcmp(s, "fbank")))
            return errf(err, cap, WEFT_EINVAL, "config.json: field "
                        "'features.type' must be \"mfcc\" or \"fbank\"");
        snprintf(m->feat_type, sizeof m->feat_type, "%s", s);
    }
    if ((v = weft_json_get(f, "frame_shift_ms"))) {
        m->frame_shift_ms = weft_json_number(v);
        if (weft_json_get_type(v) != WEFT_JSON_NUMBER ||
            !(m->frame_shift_ms > 0 && m->frame_shift_ms < 1e6))
            return errf(err, cap, WEFT_ERANGE, "config.json: field "
                        "'features.frame_shift_ms' is not a positive "
                        "number");
    }
    if (n_tokens < 2)
        return errf(err, cap, WEFT_EPARSE, "tokens.txt: needs at least 2 "
                    "tokens (blank and one other), has %d", (int)n_tokens);
    m->blank = 0;
    if ((v = weft_json_get(cfg, "blank"))) {
        if (!weft_json_int(v, &iv) || iv < 0 || iv >= n_tokens)
            return errf(err, cap, WEFT_ERANGE, "config.json: field 'blank' "
                        "is not a token index in [0, %d]",
                        (int)n_tokens - 1);
        m->blank = (int32_t)iv;
    }
    v = weft_json_get(cfg, "delimiter");
    if (v && !weft_json_string(v))
        return errf(err, cap, WEFT_ETYPE, "config.json: field 'delimiter' "
                    "is not a string");
    if (!(m->delimiter = strdup(v ? weft_json_string(v) : "")))
        return errf(err, cap, WEFT_ENOMEM, "out of memory");
    if (*m->delimiter) {
        bool found = false;
        for (int32_t i = 0; i < n_tokens && !found; i++)
            found = strcmp(tokens[i], m->delimiter) == 0;
        if (!found)
            return errf(err, cap, WEFT_ENOENT, "config.json: delimiter "
                        "'%.40s' is not a token of tokens.txt",
                        m->delimiter);
    }
    m->log_softmax = true;
    if ((v = weft_json_get(cfg, "output"))) {
        const char *s = weft_json_string(v);
        if (!s || (strcmp(s, "log_softmax") && strcmp(s, "logits")))
            return errf(err, cap, WEFT_EINVAL, "config.json: field 'output' "
                        "must be \"log_softmax\" or \"logits\"");
        m->log_softmax = strcmp(s, "log_softmax") == 0;
    }
    if (!(m->tokens = calloc((size_t)n_tokens, sizeof *m->tokens)))
        return errf(err, cap, WEFT_ENOMEM, "out of memory");
    for (int32_t i = 0; i < n_tokens; i++) {
        if (!(m->tokens[i] = strdup(tokens[i])))
            return errf(err, cap, WEFT_ENOMEM, "out of memory");
        m->n_tokens = i + 1;
    }
    asr_vocab_id((const char *const *)m->tokens, m->n_tokens, m->vocab_id);
    return 0;
}

int asr_model_build(const weft_json_value *cfg, const weft_st *st,
                    const char *const *tokens, int32_t n_tokens,
                    asr_model **out, char *err, size_t cap)
{
    asr_model *m = calloc(1, sizeof *m);
    const weft_json_value *layers;
    bctx b = { st, m };
    int64_t cur;
    size_t n;
    int ret;

    *out = NULL;
    if (!m)
        return errf(err, cap, WEFT_ENOMEM, "out of memory");
    if ((ret = model_fields(m, cfg, tokens, n_tokens, err, cap)) < 0)
        goto fail;
    layers = weft_json_get(cfg, "layers");
    n = layers ? weft_json_len(layers) : 0;
    if (!layers || weft_json_get_type(layers) != WEFT_JSON_ARRAY || n == 0 ||
        n > MAX_LAYERS) {
        ret = errf(err, cap, WEFT_EPARSE, "config.json: 'layers' must be an "
                   "array of 1 to %d layers", MAX_LAYERS);
        goto fail;
    }
    if (!(m->layers = calloc(n, sizeof *m->layers))) {
        ret = errf(err, cap, WEFT_ENOMEM, "out of memory");
        goto fail;
    }
    m->n_alloc = (int32_t)n;
    cur = m->in_dim;
    m->stride = 1;
    m->max_width = cur;
    for (size_t i = 0; i < n; i++) {
        const weft_json_value *lv = weft_json_at(layers, i, NULL), *tv, *nv;
        asr_layer *L = &m->layers[m->n_layers];
        lctx c = { (int32_t)i, "", "?", lv, err, cap };

        tv = lv ? weft_json_get(lv, "type") : NULL;
        if (!lv || weft_json_get_type(lv) != WEFT_JSON_OBJECT || !tv ||
            !weft_json_string(tv)) {
            ret = errf(err, cap, WEFT_EPARSE, "config.json: layers[%d] is "
                       "not an object with a string 'type'", (int)i);
            goto fail;
        }
        c.type = weft_json_string(tv);
        nv = weft_json_get(lv, "name");
        if (nv && (!weft_json_string(nv) || !*weft_json_string(nv) ||
                   strlen(weft_json_string(nv)) >= sizeof L->name)) {
            ret = errf(err, cap, WEFT_EPARSE, "config.json: layers[%d]: "
                       "'name' is not a string of 1 to %d bytes", (int)i,
                       (int)sizeof L->name - 1);
            goto fail;
        }
        c.name = nv ? weft_json_string(nv) : c.type;
        if (!nv && strcmp(c.type, "relu") && strcmp(c.type, "gelu") &&
            strcmp(c.type, "silu") && strcmp(c.type, "dropout")) {
            ret = errf(err, cap, WEFT_ENOENT, "config.json: layers[%d] (%.40s)"
                       ": field 'name' is missing (it prefixes the layer's "
                       "tensors)", (int)i, c.type);
            goto fail;
        }
        L->index = (int32_t)i;
        snprintf(L->name, sizeof L->name, "%s", c.name);
        ret = build_layer(&b, &c, L,  &cur,
                          m->n_layers ? &m->layers[m->n_layers - 1] : NULL);
        if (ret < 0)
            goto fail;
        if (ret > 0) {      /* folded or the identity: no layer kept */
            memset(L, 0, sizeof *L);
            continue;
        }
        if (L->op == ASR_CONV || L->op == ASR_SEPCONV) {
            m->stride *= L->stride;
            if (m->stride > 1 << 20) {
                ret = errf(err, cap, WEFT_ERANGE, LFMT "the product of the "
                           "strides exceeds %d", LARG(&c), 1 << 20);
                goto fail;
            }
        }
        if (L->in > m->max_width)
            m->max_width = L->in;
        if (L->out > m->max_width)
            m->max_width = L->out;
        if (L->hidden * 4 > m->max_width)
            m->max_width = L->hidden * 4;
        m->n_layers++;
    }
    if (cur != m->n_tokens) {
        const asr_layer *L = &m->layers[m->n_layers ? m->n_layers - 1 : 0];
        ret = errf(err, cap, WEFT_ERANGE, "config.json: layers[%d] '%s': the "
                   "model's output size is %lld but tokens.txt has %d "
                   "tokens", (int)(m->n_layers ? L->index : (int)n - 1),
                   m->n_layers ? L->name : "", (long long)cur,
                   (int)m->n_tokens);
        goto fail;
    }
    *out = m;
    return 0;
fail:
    asr_model_free(m);
    return ret;
}

int asr_model_load(const char *dir, asr_model **out, char *err, size_t cap)
{
    weft_model *wm = NULL;
    const weft_json_value *tv;
    char **toks = NULL, *path = NULL, msg[512];
    int32_t n = 0;
    int ret;

    *out = NULL;
    if ((ret = weft_model_open(dir, &wm, err, cap)) < 0)
        return ret;
    tv = weft_json_get(weft_model_config(wm), "tokens");
    if (tv && (!weft_json_string(tv) || !*weft_json_string(tv))) {
        ret = errf(err, cap, WEFT_ETYPE, "%s/config.json: field 'tokens' is "
                   "not a file name", dir);
        goto out;
    }
    {
        const char *tf = tv ? weft_json_string(tv) : "tokens.txt";
        size_t len = strlen(dir) + strlen(tf) + 2;
        if (!(path = malloc(len))) {
            ret = errf(err, cap, WEFT_ENOMEM, "out of memory");
            goto out;
        }
        snprintf(path, len, "%s/%s", dir, tf);
    }
    if ((ret = asr_tokens_load(path, &toks, &n, err, cap)) < 0)
        goto out;
    ret = asr_model_build(weft_model_config(wm), weft_model_weights(wm),
                          (const char *const *)toks, n, out, msg, sizeof msg);
    if (ret < 0)
        /* Name the directory too: a graph may load several models. */
        errf(err, cap, ret, "%s%s%s", strncmp(msg, "config.json", 11) &&
             strncmp(msg, "tokens.txt", 10) ? "" : dir,
             strncmp(msg, "config.json", 11) &&
             strncmp(msg, "tokens.txt", 10) ? "" : "/", msg);
    else if (!((*out)->dir = strdup(dir))) {
        asr_model_free(*out);
        *out = NULL;
        ret = errf(err, cap, WEFT_ENOMEM, "out of memory");
    }
out:
    free_tokens(toks, n);
    free(path);
    weft_model_free(wm);
    return ret;
}

void asr_model_free(asr_model *m)
{
    if (!m)
        return;
    /* Entries past n_layers are zeroed or hold a half-built layer. */
    for (int32_t i = 0; m->layers && i < m->n_alloc; i++) {
        asr_wts *w = &m->layers[i].wt;
        free(w->w);
        free(w->b);
        free(w->wh);
        free(w->bh);
        free(w->dw);
        free(w->dwb);
        free(w->a);
        free(w->rs);
    }
    free(m->layers);
    free_tokens(m->tokens, m->n_tokens);
    free(m->delimiter);
    free(m->dir);
    free(m);
}
