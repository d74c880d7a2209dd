/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The shared model loader: safetensors files (mapped read-only, every header
 * field validated) and model directories (config.json + model.safetensors).
 * See weft/model.h for the rules checked.
 */
#include "config.h"

#include <weft/model.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

struct weft_st {
    weft_json *header;
    weft_st_tensor *t; /* sorted by name */
    size_t n;
    const weft_json_value *meta;
    void *map; /* when mapped by weft_st_open */
    size_t map_len;
    char *what;
};

struct weft_model {
    char *dir;
    char *config_path;
    weft_json *config;
    weft_st *weights;
};

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

/* A tensor or key name fit for a one-line message: names come from the
 * file, so control bytes become '?' and long names are cut. */
static const char *printable(char *buf, size_t cap, const char *s)
{
    size_t i = 0;

    for (; s[i] && i + 1 < cap; i++)
        buf[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
    buf[i] = '\0';
    return buf;
}

static const struct {
    const char *name;
    weft_dtype dtype;
    size_t size;
} dtypes[] = {
    { "F64", WEFT_DTYPE_F64, 8 },  { "F32", WEFT_DTYPE_F32, 4 },
    { "F16", WEFT_DTYPE_F16, 2 },  { "BF16", WEFT_DTYPE_BF16, 2 },
    { "I64", WEFT_DTYPE_I64, 8 },  { "I32", WEFT_DTYPE_I32, 4 },
    { "I16", WEFT_DTYPE_I16, 2 },  { "I8", WEFT_DTYPE_I8, 1 },
    { "U8", WEFT_DTYPE_U8, 1 },    { "BOOL", WEFT_DTYPE_BOOL, 1 },
};
#define N_DTYPES (sizeof dtypes / sizeof dtypes[0])

static size_t dtype_size(weft_dtype dt)
{
    for (size_t i = 0; i < N_DTYPES; i++)
        if (dtypes[i].dtype == dt)
            return dtypes[i].size;
    return 0;
}

static const char *dtype_st_name(weft_dtype dt)
{
    for (size_t i = 0; i < N_DTYPES; i++)
        if (dtypes[i].dtype == dt)
            return dtypes[i].name;
    return "?";
}

static void shape_str(char *b, size_t cap, uint32_t ndim, const int64_t *s)
{
    size_t n = (size_t)snprintf(b, cap, "[");
    for (uint32_t i = 0; i < ndim && n < cap; i++)
        n += (size_t)snprintf(b + n, cap - n, "%s%lld", i ? "," : "",
                              (long long)s[i]);
    if (n < cap)
        snprintf(b + n, cap - n, "]");
}

static int cmp_tensor(const void *a, const void *b)
{
    return strcmp(((const weft_st_tensor *)a)->name,
                  ((const weft_st_tensor *)b)->name);
}

static int cmp_begin(const void *a, const void *b)
{
    const weft_st_tensor *x = *(const weft_st_tensor *const *)a;
    const weft_st_tensor *y = *(const weft_st_tensor *const *)b;
    const uint8_t *p = x->data, *q = y->data;
    return p < q ? -1 : p > q;
}

/* Validate one tensor entry @v named @name; fill @t. */
static int parse_entry(const char *what, const char *name,
                       const weft_json_value *v, const uint8_t *base,
                       uint64_t data_len, weft_st_tensor *t, char *err,
                       size_t cap)
{
    const weft_json_value *dt = NULL, *shape = NULL, *offs = NULL;
    const char *key, *s;
    uint64_t nbytes, begin, end;
    int64_t b, e;
    char nm[84], kb[44];
    const char *raw = name;

    name = printable(nm, sizeof nm, raw);
    if (!*raw)
        return errf(err, cap, WEFT_EPARSE, "%s: a tensor has an empty name",
                    what);
    if (weft_json_get_type(v) != WEFT_JSON_OBJECT)
        return errf(err, cap, WEFT_EPARSE,
                    "%s: tensor '%.80s': entry is not an object", what, name);
    for (size_t i = 0; i < weft_json_len(v); i++) {
        const weft_json_value *f = weft_json_at(v, i, &key);
        if (!strcmp(key, "dtype"))
            dt = f;
        else if (!strcmp(key, "shape"))
            shape = f;
        else if (!strcmp(key, "data_offsets"))
            offs = f;
        else
            return errf(err, cap, WEFT_EPARSE,
                        "%s: tensor '%.80s': unknown field '%.40s'", what,
                        name, printable(kb, sizeof kb, key));
    }
    if (!dt || !shape || !offs)
        return errf(err, cap, WEFT_EPARSE,
                    "%s: tensor '%.80s': field '%s' is missing", what, name,
                    !dt ? "dtype" : !shape ? "shape" : "data_offsets");
    if (!(s = weft_json_string(dt)))
        return errf(err, cap, WEFT_EPARSE,
                    "%s: tensor '%.80s': dtype is not a string", what, name);
    t->dtype = WEFT_DTYPE_INVALID;
    for (size_t i = 0; i < N_DTYPES; i++)
        if (!strcmp(s, dtypes[i].name))
            t->dtype = dtypes[i].dtype;
    if (t->dtype == WEFT_DTYPE_INVALID)
        return errf(err, cap, WEFT_ENOTSUP,
                    "%s: tensor '%.80s': dtype '%.20s' is not supported", what,
                    name, printable(kb, sizeof kb, s));
    nbytes = dtype_size(t->dtype);
    if (weft_json_get_type(shape) != WEFT_JSON_ARRAY)
        return errf(err, cap, WEFT_EPARSE,
                    "%s: tensor '%.80s': shape is not an array", what, name);
    if (weft_json_len(shape) > WEFT_TENSOR_MAX_DIMS)
        return errf(err, cap, WEFT_EPARSE,
                    "%s: tensor '%.80s': shape has %zu dims (at most %d)",
                    what, name, weft_json_len(shape), WEFT_TENSOR_MAX_DIMS);
    t->ndim = (uint32_t)weft_json_len(shape);
    for (uint32_t i = 0; i < t->ndim; i++) {
        int64_t d;
        if (!weft_json_int(weft_json_at(shape, i, NULL), &d) || d < 0)
            return errf(err, cap, WEFT_EPARSE,
                        "%s: tensor '%.80s': shape[%u] is not a non-negative "
                        "integer", what, name, i);
        t->shape[i] = d;
        if (d && nbytes > UINT64_MAX / (uint64_t)d)
            return errf(err, cap, WEFT_EPARSE,
                        "%s: tensor '%.80s': shape overflows", what, name);
        nbytes *= (uint64_t)d;
    }
    if (weft_json_get_type(offs) != WEFT_JSON_ARRAY ||
        weft_json_len(offs) != 2 ||
        !weft_json_int(weft_json_at(offs, 0, NULL), &b) ||
        !weft_json_int(weft_json_at(offs, 1, NULL), &e) || b < 0 || e < 0)
        return errf(err, cap, WEFT_EPARSE,
                    "%s: tensor '%.80s': data_offsets is not [begin, end] of "
                    "non-negative integers", what, name);
    begin = (uint64_t)b;
    end = (uint64_t)e;
    if (begin > end)
        return errf(err, cap, WEFT_EPARSE,
                    "%s: tensor '%.80s': data_offsets [%llu, %llu] ends "
                    "before it begins", what, name, (unsigned long long)begin,
                    (unsigned long long)end);
    if (end > data_len)
        return errf(err, cap, WEFT_EPARSE,
                    "%s: tensor '%.80s': data_offsets [%llu, %llu] reach past "
                    "the end of the data (%llu bytes; file truncated?)", what,
                    name, (unsigned long long)begin, (unsigned long long)end,
                    (unsigned long long)data_len);
    if (end - begin != nbytes) {
        char sh[128];
        shape_str(sh, sizeof sh, t->ndim, t->shape);
        return errf(err, cap, WEFT_EPARSE,
                    "%s: tensor '%.80s': %s %s needs %llu bytes but "
                    "data_offsets [%llu, %llu] hold %llu", what, name,
                    printable(kb, sizeof kb, s), sh,
                    (unsigned long long)nbytes, (unsigned long long)begin,
                    (unsigned long long)end,
                    (unsigned long long)(end - begin));
    }
    t->name = raw;
    t->data = base + begin;
    t->nbytes = (size_t)nbytes;
    return 0;
}

int weft_st_parse(const void *data, size_t size, const char *what,
                  weft_st **out, char *err, size_t cap)
{
    const uint8_t *p = data;
    uint64_t hlen = 0, data_len;
    const weft_json_value *root;
    weft_st_tensor **order = NULL;
    weft_st *st;
    int ret;

    *out = NULL;
    if (err && cap)
        err[0] = '\0';
    if (!what)
        what = "safetensors";
    if (!(st = calloc(1, sizeof *st)) || !(st->what = strdup(what))) {
        free(st);
        return errf(err, cap, WEFT_ENOMEM, "%s: out of memory", what);
    }
    if (size < 8) {
        ret = errf(err, cap, WEFT_EPARSE,
                   "%s: %zu bytes, too short for the 8-byte header length",
                   what, size);
        goto fail;
    }
    for (int i = 7; i >= 0; i--)
        hlen = hlen << 8 | p[i];
    if (hlen > size - 8 || hlen > WEFT_ST_MAX_HEADER) {
        ret = errf(err, cap, WEFT_EPARSE,
                   "%s: header length %llu exceeds the file (%zu bytes) or "
                   "the %u-byte limit", what, (unsigned long long)hlen, size,
                   WEFT_ST_MAX_HEADER);
        goto fail;
    }
    data_len = size - 8 - hlen;
    if ((ret = weft_json_parse((const char *)p + 8, (size_t)hlen, what,
                               &st->header, err, cap)) < 0)
        goto fail;
    root = weft_json_root(st->header);
    if (weft_json_get_type(root) != WEFT_JSON_OBJECT) {
        ret = errf(err, cap, WEFT_EPARSE, "%s: header is not a JSON object",
                   what);
        goto fail;
    }
    st->t = calloc(weft_json_len(root) + 1, sizeof *st->t);
    order = calloc(weft_json_len(root) + 1, sizeof *order);
    if (!st->t || !order) {
        ret = errf(err, cap, WEFT_ENOMEM, "%s: out of memory", what);
        goto fail;
    }
    for (size_t i = 0; i < weft_json_len(root); i++) {
        const char *name;
        const weft_json_value *v = weft_json_at(root, i, &name);
        if (!strcmp(name, "__metadata__")) {
            if (weft_json_get_type(v) != WEFT_JSON_OBJECT) {
                ret = errf(err, cap, WEFT_EPARSE,
                           "%s: __metadata__ is not an object", what);
                goto fail;
            }
            for (size_t j = 0; j < weft_json_len(v); j++) {
                const char *k;
                char kb[64];
                if (!weft_json_string(weft_json_at(v, j, &k))) {
                    ret = errf(err, cap, WEFT_EPARSE,
                               "%s: __metadata__ '%s' is not a string",
                               what, printable(kb, sizeof kb, k));
                    goto fail;
                }
            }
            st->meta = v;
            continue;
        }
        if ((ret = parse_entry(what, name, v, p + 8 + hlen, data_len,
                               &st->t[st->n], err, cap)) < 0)
            goto fail;
        order[st->n] = &st->t[st->n];
        st->n++;
    }
    /* Non-overlapping ranges: sort by start, each starts after the last
     * one's end (empty tensors overlap nothing). */
    qsort(order, st->n, sizeof *order, cmp_begin);
    const weft_st_tensor *last = NULL;
    for (size_t i = 0; i < st->n; i++) {
        const weft_st_tensor *t = order[i];
        if (!t->nbytes)
            continue;
        if (last && (const uint8_t *)t->data <
                        (const uint8_t *)last->data + last->nbytes) {
            char n1[84], n2[84];
            ret = errf(err, cap, WEFT_EPARSE,
                       "%s: tensors '%s' and '%s' overlap", what,
                       printable(n1, sizeof n1, last->name),
                       printable(n2, sizeof n2, t->name));
            goto fail;
        }
        last = t;
    }
    qsort(st->t, st->n, sizeof *st->t, cmp_tensor);
    free(order);
    *out = st;
    return 0;
fail:
    free(order);
    weft_st_free(st);
    return ret;
}

int weft_st_open(const char *path, weft_st **out, char *err, size_t cap)
{
    struct stat sb;
    void *map = NULL;
    size_t len = 0;
    int fd, ret;

    *out = NULL;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errf(err, cap, errno == ENOENT ? WEFT_ENOENT : WEFT_EIO,
                    "%s: cannot open: %s", path, strerror(errno));
    if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
        ret = errf(err, cap, WEFT_EIO, "%s: not a regular file", path);
        goto out;
    }
    len = (size_t)sb.st_size;
    if (len) {
        map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
        if (map == MAP_FAILED) {
            map = NULL;
            ret = errf(err, cap, WEFT_EIO, "%s: cannot map: %s", path,
                       strerror(errno));
            goto out;
        }
    }
    if ((ret = weft_st_parse(map ? map : "", len, path, out, err, cap)) < 0)
        goto out;
    (*out)->map = map;
    (*out)->map_len = len;
    map = NULL;
out:
    if (map)
        munmap(map, len);
    close(fd);
    return ret;
}

void weft_st_free(weft_st *st)
{
    if (!st)
        return;
    if (st->map)
        munmap(st->map, st->map_len);
    weft_json_free(st->header);
    free(st->t);
    free(st->what);
    free(st);
}

size_t weft_st_count(const weft_st *st)
{
    return st ? st->n : 0;
}

const weft_st_tensor *weft_st_at(const weft_st *st, size_t i)
{
    return st && i < st->n ? &st->t[i] : NULL;
}

const weft_st_tensor *weft_st_find(const weft_st *st, const char *name)
{
    weft_st_tensor key;

    if (!st || !name || !st->n)
        return NULL;
    key.name = name;
    return bsearch(&key, st->t, st->n, sizeof *st->t, cmp_tensor);
}

const char *weft_st_metadata(const weft_st *st, const char *key)
{
    return st ? weft_json_string(weft_json_get(st->meta, key)) : NULL;
}

int weft_st_get(const weft_st *st, const char *name, weft_dtype dtype,
                uint32_t ndim, const int64_t *shape, const void **data,
                char *err, size_t cap)
{
    const weft_st_tensor *t = weft_st_find(st, name);
    size_t isz;
    char nb[200];

    *data = NULL;
    name = printable(nb, sizeof nb, name);
    if (!t)
        return errf(err, cap, WEFT_ENOENT, "%s: tensor '%s' is missing",
                    st ? st->what : "safetensors", name);
    if (t->dtype != dtype)
        return errf(err, cap, WEFT_ETYPE,
                    "%s: tensor '%s': dtype %s in the file, %s expected",
                    st->what, name, dtype_st_name(t->dtype),
                    dtype_st_name(dtype));
    if (shape) {
        bool same = t->ndim == ndim;
        for (uint32_t i = 0; same && i < ndim; i++)
            same = t->shape[i] == shape[i];
        if (!same) {
            char a[160], b[160];
            shape_str(a, sizeof a, t->ndim, t->shape);
            shape_str(b, sizeof b, ndim, shape);
            return errf(err, cap, WEFT_ERANGE,
                        "%s: tensor '%s': shape %s in the file, %s expected",
                        st->what, name, a, b);
        }
    }
    isz = dtype_size(dtype);
    if (isz && (uintptr_t)t->data % isz)
        return errf(err, cap, WEFT_EPARSE,
                    "%s: tensor '%s': data is not aligned to its %zu-byte "
                    "elements", st->what, name, isz);
    *data = t->data;
    return 0;
}

/* ----------------------------------------------------------------- model */

static char *join(const char *dir, const char *file)
{
    size_t n = strlen(dir) + strlen(file) + 2;
    char *p = malloc(n);

    if (p)
        snprintf(p, n, "%s/%s", dir, file);
    return p;
}

static int read_file(const char *path, char **out, size_t *len, char *err,
                     size_t cap)
{
    FILE *f = fopen(path, "rbe");
    char *buf = NULL;
    long n;
    int ret = 0;

    *out = NULL;
    if (!f)
        return errf(err, cap, errno == ENOENT ? WEFT_ENOENT : WEFT_EIO,
                    "%s: cannot open: %s", path, strerror(errno));
    if (fseek(f, 0, SEEK_END) < 0 || (n = ftell(f)) < 0 ||
        fseek(f, 0, SEEK_SET) < 0) {
        ret = errf(err, cap, WEFT_EIO, "%s: cannot read", path);
        goto out;
    }
    if (n > 64L * 1024 * 1024) {
        ret = errf(err, cap, WEFT_EPARSE, "%s: %ld bytes is too large", path,
                   n);
        goto out;
    }
    if (!(buf = malloc((size_t)n + 1))) {
        ret = errf(err, cap, WEFT_ENOMEM, "%s: out of memory", path);
        goto out;
    }
    if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
        ret = errf(err, cap, WEFT_EIO, "%s: read error", path);
        goto out;
    }
    buf[n] = '\0';
    *out = buf;
    *len = (size_t)n;
    buf = NULL;
out:
    free(buf);
    fclose(f);
    return ret;
}

int weft_model_open(const char *dir, weft_model **out, char *err, size_t cap)
{
    weft_model *m;
    char *text = NULL, *st_path = NULL;
    size_t len = 0;
    struct stat sb;
    int ret;

    *out = NULL;
    if (err && cap)
        err[0] = '\0';
    if (!dir || !*dir)
        return errf(err, cap, WEFT_EINVAL, "model directory not set");
    if (stat(dir, &sb) < 0 || !S_ISDIR(sb.st_mode))
        return errf(err, cap, WEFT_ENOENT, "%s: no such model directory",
                    dir);
    if (!(m = calloc(1, sizeof *m)))
        return errf(err, cap, WEFT_ENOMEM, "%s: out of memory", dir);
    if (!(m->dir = strdup(dir)) ||
        !(m->config_path = join(dir, "config.json")) ||
        !(st_path = join(dir, "model.safetensors"))) {
        ret = errf(err, cap, WEFT_ENOMEM, "%s: out of memory", dir);
        goto fail;
    }
    if ((ret = read_file(m->config_path, &text, &len, err, cap)) < 0)
        goto fail;
    if ((ret = weft_json_parse(text, len, m->config_path, &m->config, err,
                               cap)) < 0)
        goto fail;
    if (weft_json_get_type(weft_json_root(m->config)) != WEFT_JSON_OBJECT) {
        ret = errf(err, cap, WEFT_EPARSE, "%s: not a JSON object",
                   m->config_path);
        goto fail;
    }
    if ((ret = weft_st_open(st_path, &m->weights, err, cap)) < 0)
        goto fail;
    free(text);
    free(st_path);
    *out = m;
    return 0;
fail:
    free(text);
    free(st_path);
    weft_model_free(m);
    return ret;
}

void weft_model_free(weft_model *m)
{
    if (!m)
        return;
    weft_st_free(m->weights);
    weft_json_free(m->config);
    free(m->config_path);
    free(m->dir);
    free(m);
}

const char *weft_model_dir(const weft_model *m)
{
    return m ? m->dir : NULL;
}

const weft_json_value *weft_model_config(const weft_model *m)
{
    return m ? weft_json_root(m->config) : NULL;
}

const weft_st *weft_model_weights(const weft_model *m)
{
    return m ? m->weights : NULL;
}

static int cfg_field(const weft_model *m, const char *key, bool has_def,
                     const weft_json_value **v, char *err, size_t cap)
{
    *v = weft_json_get(weft_model_config(m), key);
    if (!*v && !has_def)
        return errf(err, cap, WEFT_ENOENT, "%s: field '%s' is missing",
                    m->config_path, key);
    return 0;
}

int weft_model_config_int(const weft_model *m, const char *key, bool has_def,
                          int64_t def, int64_t *out, char *err, size_t cap)
{
    const weft_json_value *v;
    int ret = cfg_field(m, key, has_def, &v, err, cap);

    *out = def;
    if (ret < 0 || !v)
        return ret;
    if (!weft_json_int(v, out))
        return errf(err, cap, WEFT_ETYPE, "%s: field '%s' is not an integer",
                    m->config_path, key);
    return 0;
}

int weft_model_config_float(const weft_model *m, const char *key,
                            bool has_def, double def, double *out, char *err,
                            size_t cap)
{
    const weft_json_value *v;
    int ret = cfg_field(m, key, has_def, &v, err, cap);

    *out = def;
    if (ret < 0 || !v)
        return ret;
    if (weft_json_get_type(v) != WEFT_JSON_NUMBER)
        return errf(err, cap, WEFT_ETYPE, "%s: field '%s' is not a number",
                    m->config_path, key);
    *out = weft_json_number(v);
    return 0;
}

int weft_model_config_string(const weft_model *m, const char *key,
                             const char *def, const char **out, char *err,
                             size_t cap)
{
    const weft_json_value *v;
    int ret = cfg_field(m, key, def != NULL, &v, err, cap);

    *out = def;
    if (ret < 0 || !v)
        return ret;
    if (!(*out = weft_json_string(v)))
        return errf(err, cap, WEFT_ETYPE, "%s: field '%s' is not a string",
                    m->config_path, key);
    return 0;
}

int weft_model_tensor_f32(const weft_model *m, const char *name, uint32_t ndim,
                          const int64_t *shape, const float **data, char *err,
                          size_t cap)
{
    const void *p;
    int ret = weft_st_get(m->weights, name, WEFT_DTYPE_F32, ndim, shape, &p,
                          err, cap);

    *data = p;
    return ret;
}
