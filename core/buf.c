/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Buffers. Headers and payload blocks both come from the domain pools
 * (memory.c), so a steady stream of same-shaped buffers reuses memory.
 * Token scores, message fields and metadata are malloc'd: they are small
 * and belong to text/message paths that are not per-sample hot loops.
 */
#include "config.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "memory.h"
#include <weft/buf.h>

typedef struct field {
    char *key;
    weft_field_type type;
    union {
        int64_t i;
        double f;
        bool b;
        char *s;
    } v;
} field;

typedef struct meta {
    char *key, *value;
} meta;

struct weft_buf {
    atomic_int refcount;
    weft_kind kind;
    int64_t pts, duration;
    uint64_t segment;
    weft_buf_flags flags;

    /* Payload block (tensor data or text), from the pools. */
    void *data;
    size_t cap;
    weft_domain domain;
    int32_t device;

    weft_dtype dtype;
    uint32_t ndim;
    int64_t shape[WEFT_TENSOR_MAX_DIMS];
    int64_t strides[WEFT_TENSOR_MAX_DIMS];
    size_t nbytes; /* tensor bytes, or text length */
    void *cuda_event;

    weft_token_score *tokens;
    size_t n_tokens;

    char *schema;
    field *fields;
    size_t n_fields;

    meta *meta;
    size_t n_meta;
};

static const struct {
    const char *name;
    size_t size;
} dtypes[WEFT_DTYPE_COUNT_] = {
    [WEFT_DTYPE_INVALID] = {"invalid", 0}, [WEFT_DTYPE_F32] = {"f32", 4},
    [WEFT_DTYPE_F64] = {"f64", 8},         [WEFT_DTYPE_F16] = {"f16", 2},
    [WEFT_DTYPE_BF16] = {"bf16", 2},       [WEFT_DTYPE_I8] = {"i8", 1},
    [WEFT_DTYPE_U8] = {"u8", 1},           [WEFT_DTYPE_I16] = {"i16", 2},
    [WEFT_DTYPE_I32] = {"i32", 4},         [WEFT_DTYPE_I64] = {"i64", 8},
    [WEFT_DTYPE_BOOL] = {"bool", 1},
};

size_t weft_dtype_size(weft_dtype dt)
{
    return dt < WEFT_DTYPE_COUNT_ ? dtypes[dt].size : 0;
}

const char *weft_dtype_name(weft_dtype dt)
{
    return dt < WEFT_DTYPE_COUNT_ ? dtypes[dt].name : "invalid";
}

weft_dtype weft_dtype_from_name(const char *name)
{
    if (!name)
        return WEFT_DTYPE_INVALID;
    for (weft_dtype d = 1; d < WEFT_DTYPE_COUNT_; d++)
        if (strcmp(dtypes[d].name, name) == 0)
            return d;
    return WEFT_DTYPE_INVALID;
}

const char *weft_domain_name(weft_domain d)
{
    switch (d) {
    case WEFT_DOMAIN_HOST:
        return "host";
    case WEFT_DOMAIN_PINNED:
        return "pinned";
    case WEFT_DOMAIN_CUDA:
        return "cuda";
    default:
        return "unknown";
    }
}

const char *weft_kind_name(weft_kind k)
{
    static const char *const names[] = {"none", "tensor", "text", "message"};
    return k <= WEFT_KIND_MESSAGE ? names[k] : "unknown";
}

/* ---------------------------------------------------------------- life */

static weft_buf *buf_alloc(weft_kind kind)
{
    size_t cap;
    weft_buf *b = weft__mem_alloc(sizeof *b, WEFT_DOMAIN_HOST, 0, &cap);
    if (!b)
        return NULL;
    memset(b, 0, sizeof *b);
    atomic_init(&b->refcount, 1);
    b->kind = kind;
    b->pts = WEFT_TIME_NONE;
    b->duration = WEFT_TIME_NONE;
    weft__mem_count_live(1);
    return b;
}

static void clear_fields(weft_buf *b)
{
    for (size_t i = 0; i < b->n_fields; i++) {
        free(b->fields[i].key);
        if (b->fields[i].type == WEFT_FIELD_STRING)
            free(b->fields[i].v.s);
    }
    free(b->fields);
    b->fields = NULL;
    b->n_fields = 0;
}

static void clear_meta(weft_buf *b)
{
    for (size_t i = 0; i < b->n_meta; i++) {
        free(b->meta[i].key);
        free(b->meta[i].value);
    }
    free(b->meta);
    b->meta = NULL;
    b->n_meta = 0;
}

static void buf_release(weft_buf *b)
{
    if (b->data)
        weft__mem_free(b->data, b->cap, b->domain, b->device);
    free(b->tokens);
    free(b->schema);
    clear_fields(b);
    clear_meta(b);
    weft__mem_count_live(-1);
    /* weft__mem_free derives the size class from the size asked for. */
    weft__mem_free(b, sizeof *b, WEFT_DOMAIN_HOST, 0);
}

static bool shape_valid(weft_dtype dtype, uint32_t ndim, const int64_t *shape,
                        size_t *nbytes)
{
    size_t es = weft_dtype_size(dtype);
    if (!es || ndim > WEFT_TENSOR_MAX_DIMS || (ndim && !shape))
        return false;
    size_t n = es;
    for (uint32_t i = 0; i < ndim; i++) {
        if (shape[i] < 0)
            return false;
        if (shape[i] && n > SIZE_MAX / 2 / (size_t)shape[i])
            return false;
        n *= (size_t)shape[i];
    }
    *nbytes = n;
    return true;
}

static void set_contiguous(weft_buf *b)
{
    int64_t stride = (int64_t)weft_dtype_size(b->dtype);
    for (uint32_t i = b->ndim; i-- > 0;) {
        b->strides[i] = stride;
        stride *= b->shape[i];
    }
}

weft_buf *weft_buf_new_tensor(weft_dtype dtype, uint32_t ndim,
                              const int64_t *shape, weft_domain domain,
                              int32_t device)
{
    size_t nbytes;
    if (!shape_valid(dtype, ndim, shape, &nbytes))
        return NULL;
    if (domain == WEFT_DOMAIN_HOST || domain == WEFT_DOMAIN_PINNED)
        device = 0;
    weft_buf *b = buf_alloc(WEFT_KIND_TENSOR);
    if (!b)
        return NULL;
    b->data = weft__mem_alloc(nbytes, domain, device, &b->cap);
    if (!b->data) {
        buf_release(b);
        return NULL;
    }
    b->domain = domain;
    b->device = device;
    b->dtype = dtype;
    b->ndim = ndim;
    b->nbytes = nbytes;
    memcpy(b->shape, shape, ndim * sizeof *shape);
    set_contiguous(b);
    return b;
}

weft_buf *weft_buf_new_text(const char *text, size_t len)
{
    if (!text && len)
        return NULL;
    if (len == SIZE_MAX)
        len = strlen(text);
    weft_buf *b = buf_alloc(WEFT_KIND_TEXT);
    if (!b)
        return NULL;
    b->data = weft__mem_alloc(len + 1, WEFT_DOMAIN_HOST, 0, &b->cap);
    if (!b->data) {
        buf_release(b);
        return NULL;
    }
    if (len)
        memcpy(b->data, text, len);
    ((char *)b->data)[len] = '\0';
    b->nbytes = len;
    return b;
}

weft_buf *weft_buf_new_message(const char *schema)
{
    weft_buf *b = buf_alloc(WEFT_KIND_MESSAGE);
    if (!b)
        return NULL;
    b->schema = weft__strdup(schema ? schema : "");
    if (!b->schema) {
        buf_release(b);
        return NULL;
    }
    return b;
}

weft_buf *weft_buf_new_empty(void)
{
    return buf_alloc(WEFT_KIND_NONE);
}

weft_buf *weft_buf_ref(weft_buf *buf)
{
    if (buf)
        atomic_fetch_add_explicit(&buf->refcount, 1, memory_order_relaxed);
    return buf;
}

void weft_buf_unref(weft_buf *buf)
{
    if (!buf)
        return;
    /* Release ordering makes our writes visible to whoever frees it. */
    if (atomic_fetch_sub_explicit(&buf->refcount, 1, memory_order_acq_rel) ==
        1)
        buf_release(buf);
}

int32_t weft_buf_refcount(const weft_buf *buf)
{
    return buf ? atomic_load(&((weft_buf *)buf)->refcount) : 0;
}

bool weft_buf_is_writable(const weft_buf *buf)
{
    return weft_buf_refcount(buf) == 1;
}

weft_buf *weft_buf_make_writable(weft_buf *buf)
{
    if (!buf || weft_buf_is_writable(buf))
        return buf;
    weft_buf *c = weft_buf_copy(buf, buf->domain, buf->device);
    weft_buf_unref(buf);
    return c;
}

static int copy_extras(weft_buf *dst, const weft_buf *src)
{
    if (src->n_tokens &&
        weft_buf_set_tokens(dst, src->tokens, src->n_tokens) < 0)
        return WEFT_ENOMEM;
    for (size_t i = 0; i < src->n_fields; i++) {
        const field *f = &src->fields[i];
        int rc = 0;
        switch (f->type) {
        case WEFT_FIELD_INT:
            rc = weft_msg_set_int(dst, f->key, f->v.i);
            break;
        case WEFT_FIELD_FLOAT:
            rc = weft_msg_set_float(dst, f->key, f->v.f);
            break;
        case WEFT_FIELD_BOOL:
            rc = weft_msg_set_bool(dst, f->key, f->v.b);
            break;
        case WEFT_FIELD_STRING:
            rc = weft_msg_set_string(dst, f->key, f->v.s);
            break;
        }
        if (rc < 0)
            return rc;
    }
    return weft_buf_copy_meta(dst, src);
}

/* Gather a strided tensor into contiguous @dst (host memory only). */
static void gather(char *dst, const char *src, const weft_buf *b, uint32_t dim,
                   size_t es)
{
    if (dim == b->ndim) {
        memcpy(dst, src, es);
        return;
    }
    size_t inner = es;
    for (uint32_t i = dim + 1; i < b->ndim; i++)
        inner *= (size_t)b->shape[i];
    for (int64_t k = 0; k < b->shape[dim]; k++)
        gather(dst + (size_t)k * inner, src + k * b->strides[dim], b, dim + 1,
               es);
}

weft_buf *weft_buf_copy(const weft_buf *buf, weft_domain domain,
                        int32_t device)
{
    if (!buf)
        return NULL;
    weft_buf *c = NULL;
    switch (buf->kind) {
    case WEFT_KIND_TENSOR:
        c = weft_buf_new_tensor(buf->dtype, buf->ndim, buf->shape, domain,
                                device);
        if (!c)
            return NULL;
        if (weft_buf_is_contiguous(buf)) {
            if (weft__mem_copy(c->data, domain, c->device, buf->data,
                               buf->domain, buf->device, buf->nbytes) < 0)
                goto fail;
        } else if (buf->domain == WEFT_DOMAIN_CUDA ||
                   domain == WEFT_DOMAIN_CUDA) {
            goto fail; /* strided device views are made contiguous first */
        } else {
            gather(c->data, buf->data, buf, 0, weft_dtype_size(buf->dtype));
        }
        break;
    case WEFT_KIND_TEXT:
        c = weft_buf_new_text(buf->data, buf->nbytes);
        break;
    case WEFT_KIND_MESSAGE:
        c = weft_buf_new_message(buf->schema);
        break;
    default:
        c = weft_buf_new_empty();
        break;
    }
    if (!c)
        return NULL;
    if (copy_extras(c, buf) < 0)
        goto fail;
    return c;
fail:
    weft_buf_unref(c);
    return NULL;
}

/* ---------------------------------------------------------------- common */

weft_kind weft_buf_kind(const weft_buf *b) { return b ? b->kind : WEFT_KIND_NONE; }
int64_t weft_buf_pts(const weft_buf *b) { return b ? b->pts : WEFT_TIME_NONE; }
void weft_buf_set_pts(weft_buf *b, int64_t v) { if (b) b->pts = v; }
int64_t weft_buf_duration(const weft_buf *b) { return b ? b->duration : WEFT_TIME_NONE; }
void weft_buf_set_duration(weft_buf *b, int64_t v) { if (b) b->duration = v; }
uint64_t weft_buf_segment(const weft_buf *b) { return b ? b->segment : 0; }
void weft_buf_set_segment(weft_buf *b, uint64_t v) { if (b) b->segment = v; }
weft_buf_flags weft_buf_get_flags(const weft_buf *b) { return b ? b->flags : 0; }
void weft_buf_set_flags(weft_buf *b, weft_buf_flags f) { if (b) b->flags = f; }

int weft_buf_copy_meta(weft_buf *dst, const weft_buf *src)
{
    if (!dst || !src)
        return WEFT_EINVAL;
    dst->pts = src->pts;
    dst->duration = src->duration;
    dst->segment = src->segment;
    dst->flags = src->flags;
    if (dst == src)
        return 0;
    for (size_t i = 0; i < src->n_meta; i++) {
        int rc = weft_buf_set_meta(dst, src->meta[i].key, src->meta[i].value);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int weft_buf_keep_meta(weft_buf **carrier, const weft_buf *src)
{
    if (!carrier || !src)
        return WEFT_EINVAL;
    weft_buf *m = weft_buf_new_empty();
    if (!m || weft_buf_copy_meta(m, src) < 0) {
        weft_buf_unref(m);
        return WEFT_ENOMEM;
    }
    weft_buf_unref(*carrier);
    *carrier = m;
    return 0;
}

int weft_buf_set_meta(weft_buf *b, const char *key, const char *value)
{
    if (!b || !key)
        return WEFT_EINVAL;
    for (size_t i = 0; i < b->n_meta; i++) {
        if (strcmp(b->meta[i].key, key) != 0)
            continue;
        if (!value) {
            free(b->meta[i].key);
            free(b->meta[i].value);
            b->meta[i] = b->meta[--b->n_meta];
            return 0;
        }
        char *v = weft__strdup(value);
        if (!v)
            return WEFT_ENOMEM;
        free(b->meta[i].value);
        b->meta[i].value = v;
        return 0;
    }
    if (!value)
        return 0;
    meta *m = realloc(b->meta, (b->n_meta + 1) * sizeof *m);
    if (!m)
        return WEFT_ENOMEM;
    b->meta = m;
    char *k = weft__strdup(key), *v = weft__strdup(value);
    if (!k || !v) {
        free(k);
        free(v);
        return WEFT_ENOMEM;
    }
    b->meta[b->n_meta].key = k;
    b->meta[b->n_meta].value = v;
    b->n_meta++;
    return 0;
}

const char *weft_buf_get_meta(const weft_buf *b, const char *key)
{
    if (!b || !key)
        return NULL;
    for (size_t i = 0; i < b->n_meta; i++)
        if (strcmp(b->meta[i].key, key) == 0)
            return b->meta[i].value;
    return NULL;
}

/* ---------------------------------------------------------------- tensor */

static bool is_tensor(const weft_buf *b)
{
    return b && b->kind == WEFT_KIND_TENSOR;
}

void *weft_buf_data(weft_buf *b) { return is_tensor(b) ? b->data : NULL; }
const void *weft_buf_cdata(const weft_buf *b) { return is_tensor(b) ? b->data : NULL; }
weft_dtype weft_buf_dtype(const weft_buf *b) { return is_tensor(b) ? b->dtype : WEFT_DTYPE_INVALID; }
uint32_t weft_buf_ndim(const weft_buf *b) { return is_tensor(b) ? b->ndim : 0; }
weft_domain weft_buf_domain(const weft_buf *b) { return b ? b->domain : WEFT_DOMAIN_HOST; }
int32_t weft_buf_device(const weft_buf *b) { return b ? b->device : 0; }
size_t weft_buf_nbytes(const weft_buf *b) { return is_tensor(b) ? b->nbytes : 0; }

int64_t weft_buf_dim(const weft_buf *b, uint32_t i)
{
    return is_tensor(b) && i < b->ndim ? b->shape[i] : 0;
}

int64_t weft_buf_stride(const weft_buf *b, uint32_t i)
{
    return is_tensor(b) && i < b->ndim ? b->strides[i] : 0;
}

int64_t weft_buf_numel(const weft_buf *b)
{
    if (!is_tensor(b))
        return 0;
    int64_t n = 1;
    for (uint32_t i = 0; i < b->ndim; i++)
        n *= b->shape[i];
    return n;
}

bool weft_buf_is_contiguous(const weft_buf *b)
{
    if (!is_tensor(b))
        return false;
    int64_t stride = (int64_t)weft_dtype_size(b->dtype);
    for (uint32_t i = b->ndim; i-- > 0;) {
        if (b->shape[i] != 1 && b->strides[i] != stride)
            return false;
        stride *= b->shape[i];
    }
    return true;
}

int weft_buf_reshape(weft_buf *b, uint32_t ndim, const int64_t *shape)
{
    size_t nbytes;
    if (!is_tensor(b) || !weft_buf_is_contiguous(b) ||
        !shape_valid(b->dtype, ndim, shape, &nbytes) || nbytes != b->nbytes)
        return WEFT_EINVAL;
    b->ndim = ndim;
    memcpy(b->shape, shape, ndim * sizeof *shape);
    set_contiguous(b);
    return 0;
}

int weft_buf_shrink(weft_buf *b, int64_t rows)
{
    if (!is_tensor(b) || b->ndim == 0 || rows < 0 || rows > b->shape[0])
        return WEFT_EINVAL;
    b->nbytes = b->shape[0] ? b->nbytes / (size_t)b->shape[0] * (size_t)rows
                            : 0;
    b->shape[0] = rows;
    return 0;
}

void *weft_buf_cuda_event(const weft_buf *b) { return b ? b->cuda_event : NULL; }
void weft_buf_set_cuda_event(weft_buf *b, void *e) { if (b) b->cuda_event = e; }

/* ---------------------------------------------------------------- text */

const char *weft_buf_text(const weft_buf *b, size_t *len)
{
    if (!b || b->kind != WEFT_KIND_TEXT)
        return NULL;
    if (len)
        *len = b->nbytes;
    return b->data;
}

int weft_buf_set_tokens(weft_buf *b, const weft_token_score *tok, size_t n)
{
    if (!b || (n && !tok))
        return WEFT_EINVAL;
    weft_token_score *t = NULL;
    if (n) {
        if (n > SIZE_MAX / sizeof *t)
            return WEFT_ENOMEM;
        t = malloc(n * sizeof *t);
        if (!t)
            return WEFT_ENOMEM;
        memcpy(t, tok, n * sizeof *t);
    }
    free(b->tokens);
    b->tokens = t;
    b->n_tokens = n;
    return 0;
}

const weft_token_score *weft_buf_tokens(const weft_buf *b, size_t *n)
{
    if (n)
        *n = b ? b->n_tokens : 0;
    return b ? b->tokens : NULL;
}

/* ---------------------------------------------------------------- message */

const char *weft_msg_schema(const weft_buf *m)
{
    return m && m->kind == WEFT_KIND_MESSAGE ? m->schema : NULL;
}

static bool is_message(const weft_buf *m)
{
    return m && m->kind == WEFT_KIND_MESSAGE;
}

static field *find_field(const weft_buf *m, const char *key)
{
    if (!is_message(m) || !key)
        return NULL;
    for (size_t i = 0; i < m->n_fields; i++)
        if (strcmp(m->fields[i].key, key) == 0)
            return &m->fields[i];
    return NULL;
}

/* The slot for @key, new or existing (its old string freed). */
static field *slot(weft_buf *m, const char *key)
{
    field *f = find_field(m, key);
    if (f) {
        if (f->type == WEFT_FIELD_STRING)
            free(f->v.s);
        f->type = WEFT_FIELD_NONE;
        return f;
    }
    char *k = weft__strdup(key);
    if (!k)
        return NULL;
    field *fs = realloc(m->fields, (m->n_fields + 1) * sizeof *fs);
    if (!fs) {
        free(k);
        return NULL;
    }
    m->fields = fs;
    f = &fs[m->n_fields++];
    f->key = k;
    f->type = WEFT_FIELD_NONE;
    return f;
}

int weft_msg_set_int(weft_buf *m, const char *key, int64_t v)
{
    if (!is_message(m) || !key)
        return WEFT_EINVAL;
    field *f = slot(m, key);
    if (!f)
        return WEFT_ENOMEM;
    f->type = WEFT_FIELD_INT;
    f->v.i = v;
    return 0;
}

int weft_msg_set_float(weft_buf *m, const char *key, double v)
{
    if (!is_message(m) || !key)
        return WEFT_EINVAL;
    field *f = slot(m, key);
    if (!f)
        return WEFT_ENOMEM;
    f->type = WEFT_FIELD_FLOAT;
    f->v.f = v;
    return 0;
}

int weft_msg_set_bool(weft_buf *m, const char *key, bool v)
{
    if (!is_message(m) || !key)
        return WEFT_EINVAL;
    field *f = slot(m, key);
    if (!f)
        return WEFT_ENOMEM;
    f->type = WEFT_FIELD_BOOL;
    f->v.b = v;
    return 0;
}

int weft_msg_set_string(weft_buf *m, const char *key, const char *v)
{
    if (!is_message(m) || !key || !v)
        return WEFT_EINVAL;
    char *s = weft__strdup(v);
    if (!s)
        return WEFT_ENOMEM;
    field *f = slot(m, key);
    if (!f) {
        free(s);
        return WEFT_ENOMEM;
    }
    f->type = WEFT_FIELD_STRING;
    f->v.s = s;
    return 0;
}

static int get_field(const weft_buf *m, const char *key, weft_field_type t,
                     const field **out)
{
    const field *f = find_field(m, key);
    if (!f)
        return WEFT_ENOENT;
    if (f->type != t)
        return WEFT_ETYPE;
    *out = f;
    return 0;
}

int weft_msg_get_int(const weft_buf *m, const char *key, int64_t *v)
{
    const field *f;
    int rc = get_field(m, key, WEFT_FIELD_INT, &f);
    if (rc == 0 && v)
        *v = f->v.i;
    return rc;
}

int weft_msg_get_float(const weft_buf *m, const char *key, double *v)
{
    const field *f = find_field(m, key);
    if (!f)
        return WEFT_ENOENT;
    if (f->type == WEFT_FIELD_INT) { /* ints widen, as in formats */
        if (v)
            *v = (double)f->v.i;
        return 0;
    }
    if (f->type != WEFT_FIELD_FLOAT)
        return WEFT_ETYPE;
    if (v)
        *v = f->v.f;
    return 0;
}

int weft_msg_get_bool(const weft_buf *m, const char *key, bool *v)
{
    const field *f;
    int rc = get_field(m, key, WEFT_FIELD_BOOL, &f);
    if (rc == 0 && v)
        *v = f->v.b;
    return rc;
}

int weft_msg_get_string(const weft_buf *m, const char *key, const char **v)
{
    const field *f;
    int rc = get_field(m, key, WEFT_FIELD_STRING, &f);
    if (rc == 0 && v)
        *v = f->v.s;
    return rc;
}

size_t weft_msg_n_fields(const weft_buf *m)
{
    return m && m->kind == WEFT_KIND_MESSAGE ? m->n_fields : 0;
}

const char *weft_msg_field_key(const weft_buf *m, size_t i,
                               weft_field_type *type)
{
    if (i >= weft_msg_n_fields(m))
        return NULL;
    if (type)
        *type = m->fields[i].type;
    return m->fields[i].key;
}
