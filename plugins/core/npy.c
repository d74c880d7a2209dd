/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * npy.c: a strict reader and an atomic writer of NumPy .npy files.
 * See npy.h for what is supported and why the writer pads as it does.
 */
#include "npy.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NPY_MAGIC "\x93NUMPY"
#define NPY_MAGIC_LEN 6
#define NPY_ALIGN 64
/* numpy leaves room for this many digits in the growth axis (dim 0). */
#define NPY_GROWTH_DIGITS 21
/* Longest descr or key we ever need to hold; longer strings are refused. */
#define NPY_MAX_STR 32

static void seterr(char *err, size_t errlen, const char *fmt, ...)
    WEFT_PRINTF(3, 4);
static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (!err || errlen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* ----------------------------------------------------------------- dtypes */

static const struct {
    weft_dtype dt;
    const char *descr; /* what the writer emits */
    size_t size;
} dtypes[] = {
    { WEFT_DTYPE_F32, "<f4", 4 }, { WEFT_DTYPE_F64, "<f8", 8 },
    { WEFT_DTYPE_F16, "<f2", 2 }, { WEFT_DTYPE_I8, "|i1", 1 },
    { WEFT_DTYPE_U8, "|u1", 1 },  { WEFT_DTYPE_I16, "<i2", 2 },
    { WEFT_DTYPE_I32, "<i4", 4 }, { WEFT_DTYPE_I64, "<i8", 8 },
    { WEFT_DTYPE_BOOL, "|b1", 1 },
};
#define N_DTYPES (sizeof dtypes / sizeof dtypes[0])

const char *npy_descr(weft_dtype dt)
{
    for (size_t i = 0; i < N_DTYPES; i++)
        if (dtypes[i].dt == dt)
            return dtypes[i].descr;
    return NULL;
}

size_t npy_dtype_size(weft_dtype dt)
{
    for (size_t i = 0; i < N_DTYPES; i++)
        if (dtypes[i].dt == dt)
            return dtypes[i].size;
    return 0;
}

/*
 * Map a descr to a dtype. Byte order does not matter for one-byte types,
 * so any of '|', '<', '>', '=' is taken there; wider types must say '<'
 * explicitly ('=' would depend on the writer's machine).
 */
static weft_dtype dtype_from_descr(const char *d)
{
    if (strlen(d) != 3 || !strchr("|<>=", d[0]))
        return WEFT_DTYPE_INVALID;
    for (size_t i = 0; i < N_DTYPES; i++) {
        const char *ref = dtypes[i].descr;
        if (strcmp(d + 1, ref + 1) != 0)
            continue;
        if (dtypes[i].size == 1 || d[0] == '<')
            return dtypes[i].dt;
    }
    return WEFT_DTYPE_INVALID;
}

/* "(3, 4)" as Python's repr writes a tuple. */
static void shape_repr(char *buf, size_t cap, uint32_t ndim,
                       const int64_t *shape)
{
    size_t n = 0;

    n += (size_t)snprintf(buf + n, cap - n, "(");
    for (uint32_t i = 0; i < ndim && n < cap; i++)
        n += (size_t)snprintf(buf + n, cap - n, "%s%lld", i ? ", " : "",
                              (long long)shape[i]);
    if (n < cap)
        snprintf(buf + n, cap - n, ndim == 1 ? ",)" : ")");
}

/* ------------------------------------------------------------ dict parser */

/*
 * The header is a Python dict literal. Rather than a general evaluator we
 * accept exactly the grammar numpy (any version) writes: string keys, and
 * values that are a string, True/False or a tuple of non-negative integers
 * (with Python 2's optional 'L' suffix), with optional trailing commas and
 * whitespace padding.
 */
typedef struct cursor {
    const char *p, *start, *end;
} cursor;

static void skip_ws(cursor *c)
{
    while (c->p < c->end &&
           (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

static bool accept(cursor *c, char ch)
{
    skip_ws(c);
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return true;
    }
    return false;
}

static size_t at(const cursor *c)
{
    return (size_t)(c->p - c->start);
}

static int parse_str(cursor *c, char *out, char *err, size_t errlen)
{
    char q;
    size_t n = 0;

    skip_ws(c);
    if (c->p >= c->end || (*c->p != '\'' && *c->p != '"')) {
        seterr(err, errlen, "header: expected a string at byte %zu", at(c));
        return WEFT_EPARSE;
    }
    q = *c->p++;
    while (c->p < c->end && *c->p != q) {
        unsigned char ch = (unsigned char)*c->p;
        /* Escapes and non-ASCII never occur in a valid header; refusing
         * them keeps error messages printable. */
        if (ch < 0x20 || ch > 0x7e || ch == '\\') {
            seterr(err, errlen, "header: bad character in string at byte %zu",
                   at(c));
            return WEFT_EPARSE;
        }
        if (n + 1 >= NPY_MAX_STR) {
            seterr(err, errlen, "header: string too long at byte %zu", at(c));
            return WEFT_EPARSE;
        }
        out[n++] = (char)ch;
        c->p++;
    }
    if (c->p >= c->end) {
        seterr(err, errlen, "header: unterminated string");
        return WEFT_EPARSE;
    }
    c->p++;
    out[n] = '\0';
    return 0;
}

static int parse_bool(cursor *c, bool *v, char *err, size_t errlen)
{
    skip_ws(c);
    if ((size_t)(c->end - c->p) >= 4 && memcmp(c->p, "True", 4) == 0) {
        c->p += 4;
        *v = true;
        return 0;
    }
    if ((size_t)(c->end - c->p) >= 5 && memcmp(c->p, "False", 5) == 0) {
        c->p += 5;
        *v = false;
        return 0;
    }
    seterr(err, errlen, "header: expected True or False at byte %zu", at(c));
    return WEFT_EPARSE;
}

static int parse_dim(cursor *c, int64_t *v, char *err, size_t errlen)
{
    uint64_t x = 0;
    const char *first;

    skip_ws(c);
    first = c->p;
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
        unsigned d = (unsigned)(*c->p - '0');
        if (x > ((uint64_t)INT64_MAX - d) / 10) {
            seterr(err, errlen, "header: dimension too large at byte %zu",
                   (size_t)(first - c->start));
            return WEFT_EPARSE;
        }
        x = x * 10 + d;
        c->p++;
    }
    if (c->p == first) {
        seterr(err, errlen, "header: expected a dimension at byte %zu", at(c));
        return WEFT_EPARSE;
    }
    if (c->p < c->end && *c->p == 'L')
        c->p++;
    *v = (int64_t)x;
    return 0;
}

static int parse_shape(cursor *c, npy_info *info, char *err, size_t errlen)
{
    int ret;
    uint32_t n = 0;

    if (!accept(c, '(')) {
        seterr(err, errlen, "header: shape must be a tuple (byte %zu)", at(c));
        return WEFT_EPARSE;
    }
    for (;;) {
        if (accept(c, ')'))
            break;
        if (n == WEFT_TENSOR_MAX_DIMS) {
            seterr(err, errlen, "header: more than %d dimensions",
                   WEFT_TENSOR_MAX_DIMS);
            return WEFT_EPARSE;
        }
        if ((ret = parse_dim(c, &info->shape[n], err, errlen)) < 0)
            return ret;
        n++;
        if (accept(c, ','))
            continue;
        if (accept(c, ')')) {
            /* "(3)" is the int 3 in Python, not a tuple. */
            if (n == 1) {
                seterr(err, errlen, "header: shape must be a tuple");
                return WEFT_EPARSE;
            }
            break;
        }
        seterr(err, errlen, "header: expected ',' or ')' in shape at byte %zu",
               at(c));
        return WEFT_EPARSE;
    }
    info->ndim = n;
    return 0;
}

static int parse_dict(const char *text, size_t len, npy_info *info,
                      char *err, size_t errlen)
{
    cursor c = { text, text, text + len };
    char key[NPY_MAX_STR], descr[NPY_MAX_STR];
    bool have_descr = false, have_order = false, have_shape = false;
    bool fortran = false;
    int ret;

    if (!accept(&c, '{')) {
        seterr(err, errlen, "header: expected '{' at byte %zu", at(&c));
        return WEFT_EPARSE;
    }
    for (;;) {
        if (accept(&c, '}'))
            break;
        if ((ret = parse_str(&c, key, err, errlen)) < 0)
            return ret;
        if (!accept(&c, ':')) {
            seterr(err, errlen, "header: expected ':' at byte %zu", at(&c));
            return WEFT_EPARSE;
        }
        if (strcmp(key, "descr") == 0 && !have_descr) {
            skip_ws(&c);
            if (c.p < c.end && (*c.p == '[' || *c.p == '{')) {
                seterr(err, errlen,
                       "header: unsupported dtype (structured arrays)");
                return WEFT_EPARSE;
            }
            if ((ret = parse_str(&c, descr, err, errlen)) < 0)
                return ret;
            have_descr = true;
        } else if (strcmp(key, "fortran_order") == 0 && !have_order) {
            if ((ret = parse_bool(&c, &fortran, err, errlen)) < 0)
                return ret;
            have_order = true;
        } else if (strcmp(key, "shape") == 0 && !have_shape) {
            if ((ret = parse_shape(&c, info, err, errlen)) < 0)
                return ret;
            have_shape = true;
        } else {
            bool dup = !strcmp(key, "descr") || !strcmp(key, "fortran_order") ||
                       !strcmp(key, "shape");
            seterr(err, errlen, "header: %s key '%s'",
                   dup ? "duplicate" : "unknown", key);
            return WEFT_EPARSE;
        }
        if (accept(&c, ','))
            continue;
        if (accept(&c, '}'))
            break;
        seterr(err, errlen, "header: expected ',' or '}' at byte %zu", at(&c));
        return WEFT_EPARSE;
    }
    skip_ws(&c);
    if (c.p != c.end) {
        seterr(err, errlen, "header: unexpected text after the dict at byte %zu",
               at(&c));
        return WEFT_EPARSE;
    }
    if (!have_descr || !have_order || !have_shape) {
        seterr(err, errlen, "header: missing key '%s'",
               !have_descr ? "descr" : !have_order ? "fortran_order" : "shape");
        return WEFT_EPARSE;
    }
    info->dtype = dtype_from_descr(descr);
    if (info->dtype == WEFT_DTYPE_INVALID) {
        bool big = descr[0] == '>' && strlen(descr) == 3;
        seterr(err, errlen, "header: unsupported dtype '%s'%s", descr,
               big ? " (big-endian; only little-endian is read)" : "");
        return WEFT_EPARSE;
    }
    if (fortran) {
        seterr(err, errlen,
               "header: fortran_order arrays are not supported (save in C order)");
        return WEFT_EPARSE;
    }
    return 0;
}

/* ----------------------------------------------------------------- parse */

int npy_parse_header(const void *data, size_t len, npy_info *info, char *err,
                     size_t errlen)
{
    const uint8_t *d = data;
    size_t prefix;
    uint32_t hlen;
    uint64_t numel = 1;
    bool zero = false;
    int ret;

    memset(info, 0, sizeof *info);
    /* Compare what there is of the magic, so a file cut inside it reads
     * as truncated rather than as not a .npy file. */
    if (len && memcmp(d, NPY_MAGIC, len < NPY_MAGIC_LEN ? len : NPY_MAGIC_LEN)) {
        seterr(err, errlen, "bad magic (not a .npy file)");
        return WEFT_EPARSE;
    }
    if (len < 10) {
        seterr(err, errlen, "truncated header (%zu bytes)", len);
        return WEFT_EPARSE;
    }
    info->major = d[6];
    info->minor = d[7];
    if (info->major < 1 || info->major > 3 || info->minor != 0) {
        seterr(err, errlen, "unsupported format version %u.%u", info->major,
               info->minor);
        return WEFT_EPARSE;
    }
    if (info->major == 1) {
        hlen = (uint32_t)d[8] | (uint32_t)d[9] << 8;
        prefix = 10;
    } else {
        if (len < 12) {
            seterr(err, errlen, "truncated header (%zu bytes)", len);
            return WEFT_EPARSE;
        }
        hlen = (uint32_t)d[8] | (uint32_t)d[9] << 8 | (uint32_t)d[10] << 16 |
               (uint32_t)d[11] << 24;
        prefix = 12;
    }
    if (hlen > NPY_MAX_HEADER_LEN) {
        seterr(err, errlen, "header length %u exceeds the limit of %d bytes",
               hlen, NPY_MAX_HEADER_LEN);
        return WEFT_EPARSE;
    }
    if (len - prefix < hlen) {
        seterr(err, errlen, "truncated header (%zu of %u bytes)", len - prefix,
               hlen);
        return WEFT_EPARSE;
    }
    if (memchr(d + prefix, '\0', hlen)) {
        seterr(err, errlen, "header: NUL byte in header");
        return WEFT_EPARSE;
    }
    if ((ret = parse_dict((const char *)d + prefix, hlen, info, err, errlen)) < 0)
        return ret;

    info->itemsize = npy_dtype_size(info->dtype);
    /* The product skips zero dimensions (the array is then empty) but must
     * still fit: every partial product, a row's size for one, is later
     * computed without further checks. */
    for (uint32_t i = 0; i < info->ndim; i++) {
        uint64_t dim = (uint64_t)info->shape[i];
        if (dim == 0) {
            zero = true;
            continue;
        }
        if (numel > (uint64_t)INT64_MAX / info->itemsize / dim) {
            char s[256];
            shape_repr(s, sizeof s, info->ndim, info->shape);
            seterr(err, errlen, "header: shape %s is too large", s);
            return WEFT_EPARSE;
        }
        numel *= dim;
    }
    info->numel = zero ? 0 : numel;
    info->data_bytes = info->numel * info->itemsize;
    info->data_offset = prefix + hlen;
    return 0;
}

static int check_data(const npy_info *info, uint64_t total, char *err,
                      size_t errlen)
{
    if (total < info->data_offset ||
        total - info->data_offset < info->data_bytes) {
        char s[256];
        shape_repr(s, sizeof s, info->ndim, info->shape);
        seterr(err, errlen,
               "shape %s needs %llu bytes of data, the file has %llu", s,
               (unsigned long long)info->data_bytes,
               (unsigned long long)(total > info->data_offset
                                        ? total - info->data_offset
                                        : 0));
        return WEFT_EPARSE;
    }
    return 0;
}

int npy_parse(const void *data, size_t len, npy_info *info, char *err,
              size_t errlen)
{
    int ret = npy_parse_header(data, len, info, err, errlen);

    if (ret < 0)
        return ret;
    return check_data(info, len, err, errlen);
}

/* ---------------------------------------------------------------- header */

int npy_header_build(weft_dtype dtype, uint32_t ndim, const int64_t *shape,
                     uint8_t **out, size_t *out_len)
{
    const char *descr = npy_descr(dtype);
    char dict[512], s[256];
    size_t dlen, hlen, pad, prefix = 10, total;
    uint8_t *h;
    int n;

    *out = NULL;
    *out_len = 0;
    if (!descr || ndim > WEFT_TENSOR_MAX_DIMS || (ndim && !shape))
        return WEFT_EINVAL;
    for (uint32_t i = 0; i < ndim; i++)
        if (shape[i] < 0)
            return WEFT_EINVAL;
    shape_repr(s, sizeof s, ndim, shape);
    n = snprintf(dict, sizeof dict,
                 "{'descr': '%s', 'fortran_order': False, 'shape': %s, }",
                 descr, s);
    if (n < 0 || (size_t)n >= sizeof dict)
        return WEFT_EINVAL;
    dlen = (size_t)n;
    if (ndim > 0) {
        /* numpy's spare room for dimension 0 to grow in place. */
        int digits = snprintf(NULL, 0, "%lld", (long long)shape[0]);
        size_t spare = (size_t)(NPY_GROWTH_DIGITS - digits);
        if (dlen + spare >= sizeof dict)
            return WEFT_EINVAL;
        memset(dict + dlen, ' ', spare);
        dlen += spare;
    }
    hlen = dlen + 1; /* the final newline */
    pad = NPY_ALIGN - (NPY_MAGIC_LEN + 4 + hlen) % NPY_ALIGN;
    total = NPY_MAGIC_LEN + 4 + hlen + pad;
    h = malloc(total);
    if (!h)
        return WEFT_ENOMEM;
    memcpy(h, NPY_MAGIC, NPY_MAGIC_LEN);
    h[6] = 1;
    h[7] = 0;
    h[8] = (uint8_t)((hlen + pad) & 0xff);
    h[9] = (uint8_t)((hlen + pad) >> 8);
    memcpy(h + prefix, dict, dlen);
    memset(h + prefix + dlen, ' ', pad);
    h[total - 1] = '\n';
    *out = h;
    *out_len = total;
    return 0;
}

/* ---------------------------------------------------------------- reader */

struct npy_reader {
    int fd;
    char *path;
    npy_info info;
    uint64_t row_bytes;
};

int npy_reader_open(const char *path, npy_reader **out, char *err,
                    size_t errlen)
{
    npy_reader *r = NULL;
    uint8_t *head = NULL;
    struct stat st;
    size_t want, got = 0;
    char why[256];
    int ret = WEFT_EIO;

    *out = NULL;
    r = calloc(1, sizeof *r);
    if (r)
        r->fd = -1;
    if (!r || !(r->path = strdup(path))) {
        ret = WEFT_ENOMEM;
        seterr(err, errlen, "%s: out of memory", path);
        goto fail;
    }
    r->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (r->fd < 0) {
        seterr(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        goto fail;
    }
    if (fstat(r->fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        seterr(err, errlen, "%s: not a regular file", path);
        goto fail;
    }
    /* Read just enough for the largest header we accept. */
    want = 12 + NPY_MAX_HEADER_LEN;
    if ((uint64_t)st.st_size < want)
        want = (size_t)st.st_size;
    head = malloc(want ? want : 1);
    if (!head) {
        ret = WEFT_ENOMEM;
        seterr(err, errlen, "%s: out of memory", path);
        goto fail;
    }
    while (got < want) {
        ssize_t n = pread(r->fd, head + got, want - got, (off_t)got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            seterr(err, errlen, "%s: read error: %s", path, strerror(errno));
            goto fail;
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    ret = npy_parse_header(head, got, &r->info, why, sizeof why);
    if (ret == 0)
        ret = check_data(&r->info, (uint64_t)st.st_size, why, sizeof why);
    if (ret < 0) {
        seterr(err, errlen, "%s: %s", path, why);
        goto fail;
    }
    r->row_bytes = r->info.itemsize;
    for (uint32_t i = 1; i < r->info.ndim; i++)
        r->row_bytes *= (uint64_t)r->info.shape[i];
    free(head);
    *out = r;
    return 0;

fail:
    free(head);
    npy_reader_close(r);
    return ret;
}

const npy_info *npy_reader_info(const npy_reader *r)
{
    return &r->info;
}

uint64_t npy_reader_row_bytes(const npy_reader *r)
{
    return r->row_bytes;
}

int npy_reader_read_rows(npy_reader *r, int64_t row0, int64_t nrows,
                         void *dst, char *err, size_t errlen)
{
    int64_t rows = r->info.ndim ? r->info.shape[0] : 1;
    uint64_t off, left;
    uint8_t *p = dst;

    if (row0 < 0 || nrows < 0 || row0 > rows || nrows > rows - row0) {
        seterr(err, errlen, "%s: rows %lld..%lld out of range", r->path,
               (long long)row0, (long long)(row0 + nrows));
        return WEFT_ERANGE;
    }
    off = r->info.data_offset + (uint64_t)row0 * r->row_bytes;
    left = (uint64_t)nrows * r->row_bytes;
    while (left > 0) {
        size_t step = left > (1u << 30) ? (1u << 30) : (size_t)left;
        ssize_t n = pread(r->fd, p, step, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            seterr(err, errlen, "%s: read error: %s", r->path, strerror(errno));
            return WEFT_EIO;
        }
        if (n == 0) {
            /* The file shrank after we checked its size. */
            seterr(err, errlen, "%s: unexpected end of file", r->path);
            return WEFT_EIO;
        }
        p += n;
        off += (uint64_t)n;
        left -= (uint64_t)n;
    }
    return 0;
}

void npy_reader_close(npy_reader *r)
{
    if (!r)
        return;
    if (r->fd >= 0)
        close(r->fd);
    free(r->path);
    free(r);
}

/* ---------------------------------------------------------------- writer */

struct npy_writer {
    int fd;
    char *path, *tmp;
    bool begun;
    weft_dtype dtype;
    uint32_t ndim;
    int64_t shape[WEFT_TENSOR_MAX_DIMS];
    int64_t rows;
    size_t header_len;
};

static int write_all(int fd, const void *data, size_t len, off_t *off)
{
    const uint8_t *p = data;

    while (len > 0) {
        ssize_t n = off ? pwrite(fd, p, len, *off) : write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        p += n;
        len -= (size_t)n;
        if (off)
            *off += n;
    }
    return 0;
}

int npy_writer_open(const char *path, npy_writer **out, char *err,
                    size_t errlen)
{
    static unsigned counter;
    npy_writer *w;
    size_t cap;

    *out = NULL;
    w = calloc(1, sizeof *w);
    cap = strlen(path) + 64;
    if (!w || !(w->path = strdup(path)) || !(w->tmp = malloc(cap))) {
        seterr(err, errlen, "%s: out of memory", path);
        npy_writer_abort(w);
        return WEFT_ENOMEM;
    }
    w->fd = -1;
    /* A name of our own beside the target, so the final rename stays on one
     * file system; O_EXCL keeps two writers from sharing it. The file mode
     * follows the umask as an ordinary create would (mkstemp's 0600 would
     * not). */
    for (int tries = 0; tries < 100 && w->fd < 0; tries++) {
        unsigned k = __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED);
        snprintf(w->tmp, cap, "%s.tmp-%ld-%u", path, (long)getpid(), k);
        w->fd = open(w->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (w->fd < 0 && errno != EEXIST)
            break;
    }
    if (w->fd < 0) {
        seterr(err, errlen, "%s: cannot create: %s", path, strerror(errno));
        free(w->tmp);
        w->tmp = NULL; /* nothing to unlink */
        npy_writer_abort(w);
        return WEFT_EIO;
    }
    *out = w;
    return 0;
}

bool npy_writer_begun(const npy_writer *w)
{
    return w->begun;
}

int npy_writer_begin(npy_writer *w, weft_dtype dtype, uint32_t ndim,
                     const int64_t *shape, char *err, size_t errlen)
{
    uint8_t *h = NULL;
    int ret;

    if (w->begun || ndim == 0 || ndim > WEFT_TENSOR_MAX_DIMS) {
        seterr(err, errlen, "%s: bad rank %u for a stream of rows", w->path,
               ndim);
        return WEFT_EINVAL;
    }
    w->dtype = dtype;
    w->ndim = ndim;
    memcpy(w->shape, shape, ndim * sizeof *shape);
    w->shape[0] = 0;
    ret = npy_header_build(dtype, ndim, w->shape, &h, &w->header_len);
    if (ret < 0) {
        seterr(err, errlen, "%s: cannot write dtype %u", w->path,
               (unsigned)dtype);
        return ret;
    }
    if (write_all(w->fd, h, w->header_len, NULL) < 0) {
        seterr(err, errlen, "%s: write error: %s", w->path, strerror(errno));
        free(h);
        return WEFT_EIO;
    }
    free(h);
    w->begun = true;
    return 0;
}

int npy_writer_append(npy_writer *w, const void *data, size_t nbytes,
                      int64_t rows, char *err, size_t errlen)
{
    if (!w->begun || rows < 0 || w->rows > INT64_MAX - rows) {
        seterr(err, errlen, "%s: bad append", w->path);
        return WEFT_EINVAL;
    }
    if (write_all(w->fd, data, nbytes, NULL) < 0) {
        seterr(err, errlen, "%s: write error: %s", w->path, strerror(errno));
        return WEFT_EIO;
    }
    w->rows += rows;
    return 0;
}

static void fsync_dir(const char *path)
{
    char *dir = strdup(path), *slash;
    int fd;

    if (!dir)
        return;
    slash = strrchr(dir, '/');
    if (!slash)
        strcpy(dir, ".");
    else if (slash == dir)
        slash[1] = '\0';
    else
        *slash = '\0';
    /* Best effort: some file systems cannot fsync a directory; the data
     * itself was already synced before the rename. */
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
    free(dir);
}

/* Sync, close and rename the temporary file into place. Frees nothing. */
static int finish(npy_writer *w, char *err, size_t errlen)
{
    int fd = w->fd;

    w->fd = -1;
    if (fsync(fd) < 0) {
        seterr(err, errlen, "%s: write error: %s", w->path, strerror(errno));
        close(fd);
        return WEFT_EIO;
    }
    if (close(fd) < 0) {
        seterr(err, errlen, "%s: write error: %s", w->path, strerror(errno));
        return WEFT_EIO;
    }
    if (rename(w->tmp, w->path) < 0) {
        seterr(err, errlen, "%s: cannot rename into place: %s", w->path,
               strerror(errno));
        return WEFT_EIO;
    }
    free(w->tmp);
    w->tmp = NULL; /* renamed: nothing left to unlink */
    fsync_dir(w->path);
    return 0;
}

int npy_writer_commit(npy_writer *w, char *err, size_t errlen)
{
    uint8_t *h = NULL;
    size_t hlen;
    off_t off = 0;
    int ret;

    if (!w->begun) {
        int64_t empty = 0;
        if ((ret = npy_writer_begin(w, WEFT_DTYPE_F32, 1, &empty, err,
                                    errlen)) < 0)
            goto out;
    }
    w->shape[0] = w->rows;
    if ((ret = npy_header_build(w->dtype, w->ndim, w->shape, &h, &hlen)) < 0) {
        seterr(err, errlen, "%s: cannot build header", w->path);
        goto out;
    }
    /* The growth padding makes the header length independent of dim 0. */
    if (hlen != w->header_len) {
        seterr(err, errlen, "%s: header size changed", w->path);
        ret = WEFT_EINTERNAL;
        goto out;
    }
    if (write_all(w->fd, h, hlen, &off) < 0) {
        seterr(err, errlen, "%s: write error: %s", w->path, strerror(errno));
        ret = WEFT_EIO;
        goto out;
    }
    ret = finish(w, err, errlen);
out:
    free(h);
    npy_writer_abort(w);
    return ret;
}

void npy_writer_abort(npy_writer *w)
{
    if (!w)
        return;
    if (w->fd >= 0)
        close(w->fd);
    if (w->tmp)
        unlink(w->tmp);
    free(w->tmp);
    free(w->path);
    free(w);
}

int npy_write_file(const char *path, weft_dtype dtype, uint32_t ndim,
                   const int64_t *shape, const void *data, char *err,
                   size_t errlen)
{
    uint8_t *bytes = NULL;
    size_t len;
    npy_writer *w = NULL;
    int ret;

    /* The whole image at once: a 0-d array has no rows to stream. */
    ret = npy_write_mem(dtype, ndim, shape, data, &bytes, &len);
    if (ret < 0) {
        seterr(err, errlen, "%s: cannot encode this array", path);
        return ret;
    }
    if ((ret = npy_writer_open(path, &w, err, errlen)) < 0)
        goto out;
    if (write_all(w->fd, bytes, len, NULL) < 0) {
        seterr(err, errlen, "%s: write error: %s", path, strerror(errno));
        ret = WEFT_EIO;
        goto out;
    }
    ret = finish(w, err, errlen);
out:
    npy_writer_abort(w);
    free(bytes);
    return ret;
}

int npy_write_mem(weft_dtype dtype, uint32_t ndim, const int64_t *shape,
                  const void *data, uint8_t **out, size_t *out_len)
{
    uint8_t *h = NULL, *all;
    size_t hlen, isz = npy_dtype_size(dtype);
    uint64_t numel = 1;
    int ret;

    *out = NULL;
    *out_len = 0;
    if ((ret = npy_header_build(dtype, ndim, shape, &h, &hlen)) < 0)
        return ret;
    for (uint32_t i = 0; i < ndim; i++) {
        if (shape[i] != 0 && numel > SIZE_MAX / isz / (uint64_t)shape[i]) {
            free(h);
            return WEFT_EINVAL;
        }
        numel *= (uint64_t)shape[i];
    }
    if (numel * isz > SIZE_MAX - hlen) {
        free(h);
        return WEFT_EINVAL;
    }
    all = realloc(h, hlen + numel * isz);
    if (!all) {
        free(h);
        return WEFT_ENOMEM;
    }
    if (numel)
        memcpy(all + hlen, data, numel * isz);
    *out = all;
    *out_len = hlen + numel * isz;
    return 0;
}
