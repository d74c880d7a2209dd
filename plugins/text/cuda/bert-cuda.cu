/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bert-cuda.cu: the BERT encoder on CUDA (see bert-cuda.h): weight upload,
 * per-caller workspace, and the forward pass over a packed batch.
 *
 * Device memory of a model: one allocation of fp32 data (embedding tables,
 * layer-norm parameters, biases and, in fp32, the dense weights) and, in
 * fp16/bf16, one of the converted dense weights. Q, K and V are stacked
 * into one [3H, H] matrix (and their biases into one [3H] vector) so that
 * one GEMM makes the [T, 3H] rows the attention kernel reads, the same
 * layout as bert.c's fused QKV.
 *
 * The forward pass, all on the workspace's stream (T tokens, H hidden,
 * I intermediate; "(lp)" marks the fp16/bf16 copy that feeds the next GEMM
 * in those precisions, the fp32 buffer itself in fp32):
 *
 *   x, xh      = LN(word[id] + pos[p] + type[0])              embed_ln
 *   per layer:
 *     qkv      = x(lp) Wqkv^T, + bqkv                     GEMM, bias_act
 *     ctx(lp)  = softmax(Q K^T / sqrt(dh)) V per head/seq      attention
 *     tmp      = ctx Wo^T                                          GEMM
 *     x, xh    = LN(x + tmp + bo)                                 add_ln
 *     inter(lp)= act(x(lp) Wi^T + bi)                     GEMM, bias_act
 *     tmp      = inter Wo2^T                                       GEMM
 *     x, xh    = LN(x + tmp + bo2)                                add_ln
 *   out        = normalize(mean over each sequence's rows)          pool
 *
 * The cuBLAS calls are column-major: a row-major Y[T, N] = X[T, K] W^T,
 * with W row-major [N, K], is the column-major Y^T (N x T, ld N) =
 * op_T(W as K x N, ld K) * op_N(X^T as K x T, ld K).
 */
#include <climits>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <weft/common.h>

#include "bert-cuda.h"
#include "bert-kernels.h"

namespace {

int errf(char *err, size_t cap, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

int errf(char *err, size_t cap, int code, const char *fmt, ...)
{
    if (err && cap) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, cap, fmt, ap);
        va_end(ap);
    }
    return code;
}

int cuda_fail(char *err, size_t cap, const char *what, cudaError_t e)
{
    return errf(err, cap,
                e == cudaErrorMemoryAllocation ? WEFT_ENOMEM : WEFT_ECUDA,
                "%s: %s (%s)", what, cudaGetErrorName(e),
                cudaGetErrorString(e));
}

int blas_fail(char *err, size_t cap, const char *what, cublasStatus_t s)
{
    return errf(err, cap,
                s == CUBLAS_STATUS_ALLOC_FAILED ? WEFT_ENOMEM : WEFT_ECUDA,
                "%s: %s (%s)", what, cublasGetStatusName(s),
                cublasGetStatusString(s));
}

/* Return from the calling function on failure; err and cap in scope. */
#define CK(what, call)                                                       \
    do {                                                                     \
        cudaError_t e_ = (call);                                             \
        if (e_ != cudaSuccess)                                               \
            return cuda_fail(err, cap, (what), e_);                          \
    } while (0)

#define CKB(what, call)                                                      \
    do {                                                                     \
        cublasStatus_t s_ = (call);                                          \
        if (s_ != CUBLAS_STATUS_SUCCESS)                                     \
            return blas_fail(err, cap, (what), s_);                          \
    } while (0)

/* Make @device current on this thread (workers differ from call to call;
 * cudaGetDevice and cudaSetDevice touch no device state). */
int enter(int device, char *err, size_t cap)
{
    int cur = -1;
    CK("cudaGetDevice", cudaGetDevice(&cur));
    if (cur != device)
        CK("cudaSetDevice", cudaSetDevice(device));
    return 0;
}

size_t lp_size(text_cuda_prec p)
{
    return p == TEXT_CUDA_FP32 ? sizeof(float) : 2;
}

/* Sub-buffers start on 256-byte boundaries (cuBLAS and vector loads like
 * that); sizes in bytes. */
size_t align256(size_t n)
{
    return (n + 255) / 256 * 256;
}

} // namespace

struct tcu_layer {
    const void *wqkv, *wo, *wi, *wo2; /* fp32 or lp, [3H,H] [H,H] [I,H] [H,I] */
    const float *bqkv, *bo, *bi, *bo2, *ln1_g, *ln1_b, *ln2_g, *ln2_b;
};

struct text_cuda_model {
    int device;
    text_cuda_prec prec;
    int64_t H, layers, heads, I, max_pos, vocab;
    double eps;
    text_cuda_act act;
    void *f32mem, *lpmem;
    size_t bytes;
    const float *word, *pos, *type, *ln_g, *ln_b;
    tcu_layer *layer; /* host array of device pointers */
};

struct text_cuda_ws {
    const text_cuda_model *m;
    cudaStream_t stream;
    cublasHandle_t blas;
    size_t cap_tok, cap_seq;
    void *dmem;   /* one allocation for every scratch buffer below */
    float *x, *qkv, *tmp, *inter, *out;
    void *ctx, *xh, *interh; /* ctx: fp32 or lp; xh, interh: lp only */
    int32_t *ints; /* [id T][pos T][start B][len B] */
    void *hmem;   /* pinned: the ints to upload and the embeddings back */
    int32_t *ints_h;
    float *out_h;
};

/* ------------------------------------------------------------- upload */

namespace {

/* Carve device memory: pass 0 (base NULL) only counts bytes. */
struct carver {
    char *base;
    size_t used;
    void *take(size_t bytes)
    {
        void *p = base ? base + used : nullptr;
        used += align256(bytes);
        return p;
    }
};

struct uploader {
    text_cuda_model *m;
    cudaStream_t s;
    float *stage; /* fp32 staging for conversion, [3H*H or I*H] */
    char *err;
    size_t cap;

    int f32(float *dst, const float *src, size_t n)
    {
        CK("cudaMemcpyAsync (weights)",
           cudaMemcpyAsync(dst, src, n * sizeof(float),
                           cudaMemcpyHostToDevice, s));
        return 0;
    }
    /* A dense weight made of @parts host matrices stacked by rows, @n[i]
     * floats each, into @dst (fp32, or lp via the staging buffer). */
    int dense(void *dst, size_t parts, const float *const *src,
              const size_t *n)
    {
        size_t total = 0;
        float *to = m->prec == TEXT_CUDA_FP32 ? (float *)dst : stage;
        for (size_t i = 0; i < parts; i++) {
            int ret = f32(to + total, src[i], n[i]);
            if (ret < 0)
                return ret;
            total += n[i];
        }
        if (m->prec != TEXT_CUDA_FP32)
            CK("convert kernel", tcu_convert(stage, dst, total, m->prec, s));
        return 0;
    }
};

int upload(text_cuda_model *m, const text_cuda_src *src, char *err,
           size_t cap)
{
    const size_t H = (size_t)m->H, I = (size_t)m->I;
    const size_t lp = lp_size(m->prec);
    const bool low = m->prec != TEXT_CUDA_FP32;
    carver f = { nullptr, 0 }, w = { nullptr, 0 };
    cudaStream_t s = nullptr;
    float *stage = nullptr;
    int ret = 0;

    for (int pass = 0; pass < 2; pass++) {
        if (pass) {
            cudaError_t e = cudaMalloc(&m->f32mem, f.used);
            if (e != cudaSuccess)
                m->f32mem = nullptr;
            else if (w.used && (e = cudaMalloc(&m->lpmem, w.used)) !=
                                   cudaSuccess)
                m->lpmem = nullptr;
            if (e != cudaSuccess)
                return cuda_fail(err, cap, "cudaMalloc (weights)", e);
            m->bytes = f.used + w.used;
            f = { (char *)m->f32mem, 0 };
            w = { (char *)m->lpmem, 0 };
        }
        carver &dw = low ? w : f; /* where dense weights go */
        m->word = (const float *)f.take((size_t)m->vocab * H * 4);
        m->pos = (const float *)f.take((size_t)m->max_pos * H * 4);
        m->type = (const float *)f.take(H * 4);
        m->ln_g = (const float *)f.take(H * 4);
        m->ln_b = (const float *)f.take(H * 4);
        for (int64_t l = 0; l < m->layers; l++) {
            tcu_layer *L = &m->layer[l];
            L->wqkv = dw.take(3 * H * H * lp);
            L->wo = dw.take(H * H * lp);
            L->wi = dw.take(I * H * lp);
            L->wo2 = dw.take(H * I * lp);
            L->bqkv = (const float *)f.take(3 * H * 4);
            L->bo = (const float *)f.take(H * 4);
            L->bi = (const float *)f.take(I * 4);
            L->bo2 = (const float *)f.take(H * 4);
            L->ln1_g = (const float *)f.take(H * 4);
            L->ln1_b = (const float *)f.take(H * 4);
            L->ln2_g = (const float *)f.take(H * 4);
            L->ln2_b = (const float *)f.take(H * 4);
        }
    }

    /* The copies run on a stream of our own, synchronized at the end: the
     * host weights (the mapped file) must stay put until then, and every
     * later user sees complete weights without any event. */
    cudaError_t e = cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking);
    if (e != cudaSuccess)
        return cuda_fail(err, cap, "cudaStreamCreate", e);
    if (low) {
        size_t big = 3 * H * H > I * H ? 3 * H * H : I * H;
        if ((e = cudaMalloc(&stage, big * sizeof(float))) != cudaSuccess) {
            stage = nullptr;
            ret = cuda_fail(err, cap, "cudaMalloc (staging)", e);
            goto out;
        }
    }
    {
        uploader u = { m, s, stage, err, cap };
#define UP(call)                                                             \
        if ((ret = (call)) < 0)                                              \
            goto out;
        /* Only token type 0 is used (single-segment input). */
        UP(u.f32((float *)m->word, src->word, (size_t)m->vocab * H));
        UP(u.f32((float *)m->pos, src->pos, (size_t)m->max_pos * H));
        UP(u.f32((float *)m->type, src->type, H));
        UP(u.f32((float *)m->ln_g, src->ln_g, H));
        UP(u.f32((float *)m->ln_b, src->ln_b, H));
        for (int64_t l = 0; l < m->layers; l++) {
            const text_cuda_layer_src *S = &src->layer[l];
            tcu_layer *L = &m->layer[l];
            const float *qkv_w[] = { S->wq, S->wk, S->wv };
            const size_t qkv_n[] = { H * H, H * H, H * H };
            const size_t hh = H * H, ih = I * H;
            UP(u.dense((void *)L->wqkv, 3, qkv_w, qkv_n));
            UP(u.dense((void *)L->wo, 1, &S->wo, &hh));
            UP(u.dense((void *)L->wi, 1, &S->wi, &ih));
            UP(u.dense((void *)L->wo2, 1, &S->wo2, &ih));
            UP(u.f32((float *)L->bqkv, S->bq, H));
            UP(u.f32((float *)L->bqkv + H, S->bk, H));
            UP(u.f32((float *)L->bqkv + 2 * H, S->bv, H));
            UP(u.f32((float *)L->bo, S->bo, H));
            UP(u.f32((float *)L->bi, S->bi, I));
            UP(u.f32((float *)L->bo2, S->bo2, H));
            UP(u.f32((float *)L->ln1_g, S->ln1_g, H));
            UP(u.f32((float *)L->ln1_b, S->ln1_b, H));
            UP(u.f32((float *)L->ln2_g, S->ln2_g, H));
            UP(u.f32((float *)L->ln2_b, S->ln2_b, H));
        }
#undef UP
    }
    if ((e = cudaStreamSynchronize(s)) != cudaSuccess)
        ret = cuda_fail(err, cap, "cudaStreamSynchronize (weights)", e);
out:
    if (ret < 0)
        cudaStreamSynchronize(s); /* nothing may still read @src */
    if (stage)
        cudaFree(stage);
    cudaStreamDestroy(s);
    return ret;
}

} // namespace

extern "C" int text_cuda_model_new(const text_cuda_src *src, int32_t device,
                                   text_cuda_prec prec, text_cuda_model **out,
                                   char *err, size_t cap)
{
    text_cuda_model *m;
    int n = 0, ret;

    *out = nullptr;
    if (!src || !src->layer || !src->word || !src->pos || !src->type ||
        !src->ln_g || !src->ln_b)
        return errf(err, cap, WEFT_EINVAL, "no model to upload");
    if (prec != TEXT_CUDA_FP32 && prec != TEXT_CUDA_FP16 &&
        prec != TEXT_CUDA_BF16)
        return errf(err, cap, WEFT_EINVAL, "unknown precision %d", (int)prec);
    if (src->hidden <= 0 || src->heads <= 0 || src->hidden % src->heads ||
        src->layers <= 0 || src->inter <= 0 || src->max_pos <= 0 ||
        src->vocab_size <= 0 || src->hidden > 65536 || src->inter > 262144 ||
        src->max_pos > 65536 || !(src->eps > 0))
        return errf(err, cap, WEFT_EINVAL, "inconsistent model sizes");
    if (src->hidden / src->heads > TCU_MAX_HEAD)
        return errf(err, cap, WEFT_ENOTSUP,
                    "head size %lld: the CUDA encoder takes at most %d",
                    (long long)(src->hidden / src->heads), TCU_MAX_HEAD);
    cudaError_t e = cudaGetDeviceCount(&n);
    if (e != cudaSuccess || device < 0 || device >= n)
        return errf(err, cap, WEFT_ENODEV, "no CUDA device %d (%s)",
                    (int)device,
                    e != cudaSuccess ? cudaGetErrorName(e)
                                     : "not that many devices");
    if ((ret = enter(device, err, cap)) < 0)
        return ret;
    if (!(m = new (std::nothrow) text_cuda_model()))
        return errf(err, cap, WEFT_ENOMEM, "out of memory");
    m->device = device;
    m->prec = prec;
    m->H = src->hidden;
    m->layers = src->layers;
    m->heads = src->heads;
    m->I = src->inter;
    m->max_pos = src->max_pos;
    m->vocab = src->vocab_size;
    m->eps = src->eps;
    m->act = src->act;
    if (!(m->layer = new (std::nothrow) tcu_layer[(size_t)m->layers]())) {
        delete m;
        return errf(err, cap, WEFT_ENOMEM, "out of memory");
    }
    if ((ret = upload(m, src, err, cap)) < 0) {
        text_cuda_model_free(m);
        return ret;
    }
    *out = m;
    return 0;
}

extern "C" void text_cuda_model_free(text_cuda_model *m)
{
    if (!m)
        return;
    if (cudaSetDevice(m->device) == cudaSuccess) {
        cudaFree(m->f32mem);
        cudaFree(m->lpmem);
    }
    delete[] m->layer;
    delete m;
}

extern "C" int64_t text_cuda_model_hidden(const text_cuda_model *m)
{
    return m->H;
}

extern "C" int32_t text_cuda_model_device(const text_cuda_model *m)
{
    return m->device;
}

extern "C" text_cuda_prec text_cuda_model_prec(const text_cuda_model *m)
{
    return m->prec;
}

extern "C" size_t text_cuda_model_bytes(const text_cuda_model *m)
{
    return m->bytes;
}

/* ------------------------------------------------------------- workspace */

extern "C" int text_cuda_ws_new(const text_cuda_model *m, void *stream,
                                text_cuda_ws **out, char *err, size_t cap)
{
    text_cuda_ws *ws;
    cublasStatus_t s;
    int ret;

    *out = nullptr;
    if ((ret = enter(m->device, err, cap)) < 0)
        return ret;
    if (!(ws = new (std::nothrow) text_cuda_ws()))
        return errf(err, cap, WEFT_ENOMEM, "out of memory");
    ws->m = m;
    ws->stream = (cudaStream_t)stream;
    if ((s = cublasCreate(&ws->blas)) != CUBLAS_STATUS_SUCCESS) {
        delete ws;
        return blas_fail(err, cap, "cublasCreate", s);
    }
    /* fp32 GEMMs stay fp32: no TF32 tensor-op math (CUBLAS_DEFAULT_MATH
     * without CUBLAS_TF32_TENSOR_OP_MATH). The fp16/bf16 GEMMs pick their
     * tensor-op algorithms through cublasGemmEx's compute type. */
    if ((s = cublasSetMathMode(ws->blas, CUBLAS_DEFAULT_MATH)) !=
            CUBLAS_STATUS_SUCCESS ||
        (s = cublasSetStream(ws->blas, ws->stream)) != CUBLAS_STATUS_SUCCESS) {
        cublasDestroy(ws->blas);
        delete ws;
        return blas_fail(err, cap, "cublasSetMathMode/cublasSetStream", s);
    }
    *out = ws;
    return 0;
}

namespace {

void ws_release(text_cuda_ws *ws)
{
    if (ws->dmem)
        cudaFree(ws->dmem);
    if (ws->hmem)
        cudaFreeHost(ws->hmem);
    ws->dmem = ws->hmem = nullptr;
    ws->cap_tok = ws->cap_seq = 0;
}

/* Scratch for @T tokens and @B sequences, grown by doubling so that a
 * stream of varied batches settles after a few calls. Called only after
 * the stream was synchronized (every embed ends so), so nothing queued
 * still uses the old buffers. */
int ws_reserve(text_cuda_ws *ws, size_t T, size_t B, char *err, size_t cap)
{
    const text_cuda_model *m = ws->m;
    const size_t H = (size_t)m->H, I = (size_t)m->I;
    const size_t lp = lp_size(m->prec);
    const bool low = m->prec != TEXT_CUDA_FP32;

    if (T <= ws->cap_tok && B <= ws->cap_seq)
        return 0;
    size_t ct = ws->cap_tok > T ? ws->cap_tok : T;
    size_t cs = ws->cap_seq > B ? ws->cap_seq : B;
    if (T > ws->cap_tok && ws->cap_tok && 2 * ws->cap_tok > ct)
        ct = 2 * ws->cap_tok;
    if (B > ws->cap_seq && ws->cap_seq && 2 * ws->cap_seq > cs)
        cs = 2 * ws->cap_seq;
    ws_release(ws);

    carver c = { nullptr, 0 };
    for (int pass = 0; pass < 2; pass++) {
        if (pass) {
            cudaError_t e = cudaMalloc(&ws->dmem, c.used);
            if (e != cudaSuccess) {
                ws->dmem = nullptr;
                return cuda_fail(err, cap, "cudaMalloc (scratch)", e);
            }
            c = { (char *)ws->dmem, 0 };
        }
        ws->x = (float *)c.take(ct * H * 4);
        ws->qkv = (float *)c.take(ct * 3 * H * 4);
        ws->tmp = (float *)c.take(ct * H * 4);
        ws->inter = (float *)c.take(ct * I * 4);
        ws->ctx = c.take(ct * H * 4);
        ws->xh = low ? c.take(ct * H * lp) : nullptr;
        ws->interh = low ? c.take(ct * I * lp) : nullptr;
        ws->out = (float *)c.take(cs * H * 4);
        ws->ints = (int32_t *)c.take((2 * ct + 2 * cs) * 4);
    }
    const size_t ibytes = align256((2 * ct + 2 * cs) * 4);
    cudaError_t e = cudaHostAlloc(&ws->hmem, ibytes + cs * H * 4,
                                  cudaHostAllocPortable);
    if (e != cudaSuccess) {
        ws->hmem = nullptr;
        ws_release(ws);
        return cuda_fail(err, cap, "cudaHostAlloc (scratch)", e);
    }
    ws->ints_h = (int32_t *)ws->hmem;
    ws->out_h = (float *)((char *)ws->hmem + ibytes);
    ws->cap_tok = ct;
    ws->cap_seq = cs;
    return 0;
}

/* Y[T, N] = X[T, K] W^T (row-major; W is [N, K]) in the model's precision
 * with fp32 output and accumulation; see the top of the file. */
int gemm(text_cuda_ws *ws, const void *W, const void *X, float *Y, int N,
         int T, int K, char *err, size_t cap)
{
    const float one = 1.0f, zero = 0.0f;
    const text_cuda_prec p = ws->m->prec;

    if (p == TEXT_CUDA_FP32) {
        CKB("cublasSgemm",
            cublasSgemm(ws->blas, CUBLAS_OP_T, CUBLAS_OP_N, N, T, K, &one,
                        (const float *)W, K, (const float *)X, K, &zero, Y,
                        N));
    } else {
        const cudaDataType_t dt =
            p == TEXT_CUDA_FP16 ? CUDA_R_16F : CUDA_R_16BF;
        CKB("cublasGemmEx",
            cublasGemmEx(ws->blas, CUBLAS_OP_T, CUBLAS_OP_N, N, T, K, &one, W,
                         dt, K, X, dt, K, &zero, Y, CUDA_R_32F, N,
                         CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
    }
    return 0;
}

} // namespace

extern "C" void text_cuda_ws_free(text_cuda_ws *ws)
{
    if (!ws)
        return;
    if (cudaSetDevice(ws->m->device) == cudaSuccess) {
        cudaStreamSynchronize(ws->stream);
        ws_release(ws);
    }
    cublasDestroy(ws->blas);
    delete ws;
}

/* ------------------------------------------------------------- forward */

namespace {

/* Queue the forward pass of a validated batch of @T tokens (longest
 * @maxl) and wait for the embeddings in ws->out_h. */
int forward(const text_cuda_model *m, text_cuda_ws *ws,
            const int32_t *const *ids, const size_t *lens, size_t batch,
            size_t T, size_t maxl, bool cls, bool normalize, char *err,
            size_t cap)
{
    const size_t H = (size_t)m->H, I = (size_t)m->I;
    const bool low = m->prec != TEXT_CUDA_FP32;
    const cudaStream_t s = ws->stream;
    int ret;

    /* Token ids and positions, then each sequence's start and length. */
    int32_t *tok = ws->ints_h, *seq = ws->ints_h + 2 * T;
    for (size_t i = 0, t = 0; i < batch; i++) {
        seq[i] = (int32_t)t;
        seq[batch + i] = (int32_t)lens[i];
        for (size_t j = 0; j < lens[i]; j++, t++) {
            tok[t] = ids[i][j];
            tok[T + t] = (int32_t)j;
        }
    }
    const int Ti = (int)T, Bi = (int)batch, Hi = (int)H, Ii = (int)I;
    const int32_t *dtok = ws->ints, *dseq = ws->ints + 2 * T;
    CK("cudaMemcpyAsync (ids)",
       cudaMemcpyAsync(ws->ints, ws->ints_h, (2 * T + 2 * batch) * 4,
                       cudaMemcpyHostToDevice, s));
    /* GEMM inputs: the lp copies in fp16/bf16, the fp32 buffers in fp32. */
    const void *xin = low ? ws->xh : ws->x;
    const void *iin = low ? ws->interh : ws->inter;
    CK("embed_ln kernel",
       tcu_embed_ln(dtok, Ti, m->word, m->pos, m->type, m->ln_g, m->ln_b, Hi,
                    m->eps, ws->x, ws->xh, m->prec, s));
    const float scale = 1.0f / sqrtf((float)(H / (size_t)m->heads));
    for (int64_t l = 0; l < m->layers; l++) {
        const tcu_layer *L = &m->layer[l];
        if ((ret = gemm(ws, L->wqkv, xin, ws->qkv, 3 * Hi, Ti, Hi, err,
                        cap)) < 0)
            return ret;
        CK("bias kernel (qkv)",
           tcu_bias_act(ws->qkv, L->bqkv, Ti, 3 * Hi, -1, nullptr, m->prec,
                        s));
        CK("attention kernel",
           tcu_attention(ws->qkv, dseq, Bi, (int)maxl, Hi, (int)m->heads,
                         scale, ws->ctx, low, m->prec, s));
        if ((ret = gemm(ws, L->wo, ws->ctx, ws->tmp, Hi, Ti, Hi, err, cap)) <
            0)
            return ret;
        CK("add_ln kernel",
           tcu_add_ln(ws->x, ws->tmp, L->bo, L->ln1_g, L->ln1_b, Ti, Hi,
                      m->eps, ws->xh, m->prec, s));
        if ((ret = gemm(ws, L->wi, xin, ws->inter, Ii, Ti, Hi, err, cap)) < 0)
            return ret;
        CK("bias_act kernel",
           tcu_bias_act(ws->inter, L->bi, Ti, Ii, (int)m->act, ws->interh,
                        m->prec, s));
        if ((ret = gemm(ws, L->wo2, iin, ws->tmp, Hi, Ti, Ii, err, cap)) < 0)
            return ret;
        CK("add_ln kernel",
           tcu_add_ln(ws->x, ws->tmp, L->bo2, L->ln2_g, L->ln2_b, Ti, Hi,
                      m->eps, ws->xh, m->prec, s));
    }
    CK("pool kernel",
       tcu_pool(ws->x, dseq, Bi, Hi, cls, normalize, ws->out, s));
    CK("cudaMemcpyAsync (embeddings)",
       cudaMemcpyAsync(ws->out_h, ws->out, batch * H * 4,
                       cudaMemcpyDeviceToHost, s));
    CK("cudaStreamSynchronize", cudaStreamSynchronize(s));
    return 0;
}

} // namespace

extern "C" int text_cuda_embed(const text_cuda_model *m, text_cuda_ws *ws,
                               const int32_t *const *ids, const size_t *lens,
                               size_t batch, bool cls, bool normalize,
                               float *out, char *err, size_t cap)
{
    const size_t H = (size_t)m->H;
    size_t T = 0, maxl = 0;
    int ret;

    if (batch == 0)
        return 0;
    if (ws->m != m)
        return errf(err, cap, WEFT_EINVAL, "workspace of another model");
    /* Token and sequence counts are int for the kernels and cuBLAS; the
     * kernels index memory in size_t. */
    if (batch > (size_t)INT_MAX / 4)
        return errf(err, cap, WEFT_EINVAL, "batch of %zu sequences", batch);
    for (size_t i = 0; i < batch; i++) {
        if (lens[i] == 0 || lens[i] > (size_t)m->max_pos)
            return errf(err, cap, WEFT_EINVAL,
                        "sequence %zu: %zu tokens (1 to %lld)", i, lens[i],
                        (long long)m->max_pos);
        for (size_t j = 0; j < lens[i]; j++)
            if (ids[i][j] < 0 || ids[i][j] >= m->vocab)
                return errf(err, cap, WEFT_EINVAL,
                            "sequence %zu: token id %d out of range", i,
                            (int)ids[i][j]);
        T += lens[i];
        maxl = lens[i] > maxl ? lens[i] : maxl;
    }
    if (T > (size_t)INT_MAX / 4)
        return errf(err, cap, WEFT_EINVAL, "batch of %zu tokens", T);
    if ((ret = enter(m->device, err, cap)) < 0 ||
        (ret = ws_reserve(ws, T, batch, err, cap)) < 0)
        return ret;
    /* After a failure part of the batch may be queued: wait for it, so
     * that the next call may reuse (or free) the scratch buffers. */
    if ((ret = forward(m, ws, ids, lens, batch, T, maxl, cls, normalize,
                       err, cap)) < 0) {
        cudaStreamSynchronize(ws->stream);
        return ret;
    }
    memcpy(out, ws->out_h, batch * H * sizeof *out);
    return 0;
}

