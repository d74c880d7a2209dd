/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Tests of the core plugin's node classes, through the node harness with
 * the plugin loaded from the build tree, plus the .npy module directly.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <weft/harness.h>
#include <weft/registry.h>

#include "npy.h"

static weft_registry *reg;
static char tmpdir[256];

/* ------------------------------------------------------------- helpers */

static char *tmp_path(const char *name)
{
    static char buf[4][512];
    static int k;
    char *p = buf[k++ % 4];
    snprintf(p, 512, "%s/%s", tmpdir, name);
    return p;
}

static void write_bytes(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
}

static uint8_t *read_bytes(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *d;
    long n;
    ck_assert_msg(f != NULL, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    d = malloc((size_t)n + 1);
    ck_assert_uint_eq(fread(d, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    d[n] = 0;
    *len = (size_t)n;
    return d;
}

/* A harness for @cls with NULL-terminated name/value property pairs. */
static weft_harness *hnew(const char *cls, ...)
{
    weft_harness *h;
    va_list ap;
    int rc;

    ck_assert_int_eq(weft_harness_new(reg, cls, &h), 0);
    va_start(ap, cls);
    rc = weft_harness_set_props_v(h, ap);
    va_end(ap);
    ck_assert_msg(rc == 0, "%s", weft_harness_error(h));
    return h;
}

static void hstart(weft_harness *h)
{
    ck_assert_msg(weft_harness_start(h) == 0, "start: %s",
                  weft_harness_error(h));
}

/* Run a source to its end; returns how many buffers it sent. */
static size_t run_source(weft_harness *h)
{
    weft_flow f = weft_harness_run(h, 1000000);
    ck_assert_msg(f != WEFT_FLOW_ERROR, "run: %s", weft_harness_error(h));
    ck_assert(weft_harness_finished(h));
    return weft_harness_available(h, 0);
}

/* Start tensor.src on @path and expect it to fail with @want in a
 * one-line error that names the file. */
static void expect_src_error(const char *path, const char *want)
{
    weft_harness *h = hnew("tensor.src", "path", path, NULL);
    const char *e;
    const char *base = strrchr(path, '/') + 1;
    ck_assert_int_lt(weft_harness_start(h), 0);
    e = weft_harness_error(h);
    ck_assert_msg(strstr(e, want) != NULL, "%s: got '%s', want '%s'", base, e,
                  want);
    ck_assert_msg(strstr(e, base) != NULL, "error does not name file: %s", e);
    ck_assert_msg(strchr(e, '\n') == NULL, "error is not one line: %s", e);
    weft_harness_free(h);
}

static weft_buf *make_tensor(weft_dtype dt, uint32_t ndim, const int64_t *shape,
                             unsigned seed)
{
    weft_buf *b = weft_buf_new_tensor(dt, ndim, shape, WEFT_DOMAIN_HOST, 0);
    uint8_t *p;
    size_t n;
    ck_assert_ptr_nonnull(b);
    p = weft_buf_data(b);
    n = weft_buf_nbytes(b);
    for (size_t i = 0; i < n; i++)
        p[i] = dt == WEFT_DTYPE_BOOL ? (uint8_t)((i + seed) % 2)
                                     : (uint8_t)(i * 37u + seed * 11u + 5u);
    return b;
}

/* --------------------------------------------------------- the plugin */

START_TEST(test_plugin_classes)
{
    static const char *const names[] = {
        "identity", "null.sink", "tensor.sink", "tensor.src",
        "test.src", "text.file", "text.lines", "text.print",
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const weft_node_class *c = weft_registry_find(reg, names[i]);
        int32_t pi;
        ck_assert_msg(c != NULL, "class %s missing", names[i]);
        pi = weft_registry_class_plugin(reg, c);
        ck_assert_int_ge(pi, 0);
        ck_assert_str_eq(weft_registry_plugin(reg, (size_t)pi)->name, "core");
        ck_assert_str_eq(weft_registry_plugin(reg, (size_t)pi)->license,
                         "LGPL-2.1-or-later");
        ck_assert(c->summary && *c->summary);
        ck_assert_msg(c->doc && strstr(c->doc, "node "),
                      "%s: doc has no example", names[i]);
        for (size_t k = 0; k < weft_class_n_props(c); k++)
            ck_assert(weft_class_prop(c, k)->doc &&
                      *weft_class_prop(c, k)->doc);
        for (size_t k = 0; k < weft_class_n_inputs(c); k++)
            ck_assert(weft_class_input(c, k)->doc);
        for (size_t k = 0; k < weft_class_n_outputs(c); k++)
            ck_assert(weft_class_output(c, k)->doc);
    }
}
END_TEST

/* ------------------------------------------------------------- npy */

static const weft_dtype all_dtypes[] = {
    WEFT_DTYPE_F32, WEFT_DTYPE_F64, WEFT_DTYPE_F16, WEFT_DTYPE_I8,
    WEFT_DTYPE_U8,  WEFT_DTYPE_I16, WEFT_DTYPE_I32, WEFT_DTYPE_I64,
    WEFT_DTYPE_BOOL,
};

static const struct {
    uint32_t ndim;
    int64_t shape[4];
} shapes[] = {
    { 1, { 5 } }, { 2, { 3, 4 } }, { 3, { 4, 2, 3 } }, { 2, { 7, 1 } },
};

/* tensor.sink (fed in chunks of 2 rows) -> file -> tensor.src, for every
 * dtype and a few shapes; the file must also be what npy_write_mem makes. */
START_TEST(test_npy_roundtrip)
{
    for (size_t d = 0; d < sizeof all_dtypes / sizeof all_dtypes[0]; d++) {
        for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
            weft_dtype dt = all_dtypes[d];
            uint32_t nd = shapes[s].ndim;
            const int64_t *shape = shapes[s].shape;
            weft_buf *whole = make_tensor(dt, nd, shape, (unsigned)(d + s));
            size_t row = weft_buf_nbytes(whole) / (size_t)shape[0], flen, mlen;
            char name[64];
            const char *path;
            uint8_t *file, *mem;
            weft_harness *h;
            weft_buf *b;
            const weft_format *of;
            const char *fdt;
            int32_t fnd;
            int64_t fdims[8];

            snprintf(name, sizeof name, "rt-%s-%zu.npy", weft_dtype_name(dt),
                     s);
            path = tmp_path(name);
            h = hnew("tensor.sink", "path", path, NULL);
            hstart(h);
            for (int64_t r = 0; r < shape[0]; r += 2) {
                int64_t cs[4];
                memcpy(cs, shape, sizeof cs);
                cs[0] = shape[0] - r < 2 ? shape[0] - r : 2;
                b = weft_buf_new_tensor(dt, nd, cs, WEFT_DOMAIN_HOST, 0);
                memcpy(weft_buf_data(b),
                       (uint8_t *)weft_buf_data(whole) + (size_t)r * row,
                       (size_t)cs[0] * row);
                ck_assert_int_eq(weft_harness_push(h, 0, b), WEFT_FLOW_OK);
            }
            ck_assert_int_eq(access(path, F_OK), -1); /* not before EOS */
            weft_harness_push_eos(h, 0);
            ck_assert_msg(weft_harness_finished(h), "%s",
                          weft_harness_error(h));
            ck_assert_int_eq(weft_node_counter(weft_harness_node(h), "buffers"),
                             (shape[0] + 1) / 2);
            weft_harness_free(h);

            file = read_bytes(path, &flen);
            ck_assert_int_eq(npy_write_mem(dt, nd, shape,
                                           weft_buf_cdata(whole), &mem, &mlen),
                             0);
            ck_assert_uint_eq(flen, mlen);
            ck_assert_msg(memcmp(file, mem, flen) == 0, "%s differs", name);
            ck_assert_uint_eq(flen % 64, weft_buf_nbytes(whole) % 64);
            free(file);
            free(mem);

            h = hnew("tensor.src", "path", path, NULL);
            hstart(h);
            of = weft_harness_output_format(h, 0);
            ck_assert_int_eq(weft_format_get_string(of, "dtype", &fdt), 0);
            ck_assert_str_eq(fdt, weft_dtype_name(dt));
            ck_assert_int_eq(weft_format_get_shape(of, &fnd, fdims, NULL, 8),
                             0);
            ck_assert_int_eq(fnd, (int32_t)nd);
            ck_assert_int_eq(fdims[0], -1);
            for (uint32_t i = 1; i < nd; i++)
                ck_assert_int_eq(fdims[i], shape[i]);
            ck_assert_uint_eq(run_source(h), 1);
            b = weft_harness_pull(h, 0);
            ck_assert_uint_eq(weft_buf_dtype(b), dt);
            ck_assert_uint_eq(weft_buf_ndim(b), nd);
            for (uint32_t i = 0; i < nd; i++)
                ck_assert_int_eq(weft_buf_dim(b, i), shape[i]);
            ck_assert_mem_eq(weft_buf_cdata(b), weft_buf_cdata(whole),
                             weft_buf_nbytes(whole));
            ck_assert(weft_buf_get_flags(b) & WEFT_BUF_SEGMENT_END);
            ck_assert_int_eq(weft_buf_pts(b), WEFT_TIME_NONE);
            weft_buf_unref(b);
            weft_harness_free(h);
            weft_buf_unref(whole);
        }
    }
}
END_TEST

/* The writer is byte for byte numpy's, and the reader gets numpy's exact
 * values, on files numpy wrote (tests/golden/make-npy.py). */
START_TEST(test_npy_numpy_fixtures)
{
    static const float f32[12] = { -2.5f, -2.0f, -1.5f, -1.0f, -0.5f, 0.0f,
                                   0.5f,  1.0f,  1.5f,  2.0f,  2.5f,  3.0f };
    static const int64_t i64[5] = { 0, -1, (int64_t)1 << 40,
                                    -((int64_t)1 << 62), INT64_MAX };
    /* 1, -2, 0.5, 65504 as IEEE half bits. */
    static const uint16_t f16[4] = { 0x3c00, 0xc000, 0x3800, 0x7bff };
    static const uint8_t bools[3] = { 1, 0, 1 };
    static const struct {
        const char *file;
        weft_dtype dt;
        uint32_t nd;
        int64_t shape[2];
        const void *data;
    } fx[] = {
        { "f32-3x4.npy", WEFT_DTYPE_F32, 2, { 3, 4 }, f32 },
        { "i64-5.npy", WEFT_DTYPE_I64, 1, { 5 }, i64 },
        { "f16-2x2.npy", WEFT_DTYPE_F16, 2, { 2, 2 }, f16 },
        { "bool-3.npy", WEFT_DTYPE_BOOL, 1, { 3 }, bools },
    };
    for (size_t i = 0; i < sizeof fx / sizeof fx[0]; i++) {
        char path[512];
        uint8_t *file, *mem;
        size_t flen, mlen;
        weft_harness *h;
        weft_buf *b;

        snprintf(path, sizeof path, "%s/tests/fixtures/npy/%s", TOP_SRCDIR,
                 fx[i].file);
        file = read_bytes(path, &flen);
        ck_assert_int_eq(npy_write_mem(fx[i].dt, fx[i].nd, fx[i].shape,
                                       fx[i].data, &mem, &mlen),
                         0);
        ck_assert_uint_eq(flen, mlen);
        ck_assert_msg(memcmp(file, mem, flen) == 0, "%s: writer differs",
                      fx[i].file);
        free(file);
        free(mem);

        h = hnew("tensor.src", "path", path, NULL);
        hstart(h);
        ck_assert_uint_eq(run_source(h), 1);
        b = weft_harness_pull(h, 0);
        ck_assert_uint_eq(weft_buf_dtype(b), fx[i].dt);
        ck_assert_uint_eq(weft_buf_ndim(b), fx[i].nd);
        for (uint32_t k = 0; k < fx[i].nd; k++)
            ck_assert_int_eq(weft_buf_dim(b, k), fx[i].shape[k]);
        ck_assert_mem_eq(weft_buf_cdata(b), fx[i].data, weft_buf_nbytes(b));
        weft_buf_unref(b);
        weft_harness_free(h);
    }
}
END_TEST

START_TEST(test_npy_chunks_and_pts)
{
    int64_t shape[2] = { 25, 3 };
    weft_buf *whole = make_tensor(WEFT_DTYPE_F32, 2, shape, 1);
    const char *path = tmp_path("chunks.npy");
    static const int64_t rows[] = { 10, 10, 5 };
    char err[256];
    weft_harness *h;

    ck_assert_int_eq(npy_write_file(path, WEFT_DTYPE_F32, 2, shape,
                                    weft_buf_cdata(whole), err, sizeof err),
                     0);

    h = hnew("tensor.src", "path", path, "chunk", "10", "frame_rate", "100",
             NULL);
    hstart(h);
    ck_assert_uint_eq(run_source(h), 3);
    for (int k = 0; k < 3; k++) {
        weft_buf *b = weft_harness_pull(h, 0);
        ck_assert_int_eq(weft_buf_dim(b, 0), rows[k]);
        ck_assert_int_eq(weft_buf_dim(b, 1), 3);
        ck_assert_int_eq(weft_buf_pts(b), k * 100000000LL);
        ck_assert_int_eq(weft_buf_duration(b), rows[k] * 10000000LL);
        ck_assert_int_eq(!!(weft_buf_get_flags(b) & WEFT_BUF_SEGMENT_END),
                         k == 2);
        ck_assert_mem_eq(weft_buf_cdata(b),
                         (const float *)weft_buf_cdata(whole) + k * 30,
                         weft_buf_nbytes(b));
        weft_buf_unref(b);
    }
    weft_harness_free(h);

    /* A rate that does not divide a second: times come from the row index
     * (never accumulated), so they do not drift. */
    h = hnew("tensor.src", "path", path, "chunk", "1", "frame_rate", "3",
             NULL);
    hstart(h);
    ck_assert_uint_eq(run_source(h), 25);
    for (int k = 0; k < 25; k++) {
        weft_buf *b = weft_harness_pull(h, 0);
        /* Whole-number rates use integer arithmetic: floor(i * 1e9 / r). */
        ck_assert_int_eq(weft_buf_pts(b), k * 1000000000LL / 3);
        ck_assert_int_eq(weft_buf_pts(b) + weft_buf_duration(b),
                         (k + 1) * 1000000000LL / 3);
        weft_buf_unref(b);
    }
    weft_harness_free(h);

    /* A fractional rate: 2.5 rows per second, 10 rows = 4 s. */
    h = hnew("tensor.src", "path", path, "chunk", "10", "frame_rate", "2.5",
             NULL);
    hstart(h);
    ck_assert_uint_eq(run_source(h), 3);
    for (int k = 0; k < 3; k++) {
        weft_buf *b = weft_harness_pull(h, 0);
        ck_assert_int_eq(weft_buf_pts(b), k * 4000000000LL);
        ck_assert_int_eq(weft_buf_duration(b), rows[k] * 400000000LL);
        weft_buf_unref(b);
    }
    weft_harness_free(h);

    /* chunk larger than the array: one buffer; no rate: no timestamps. */
    h = hnew("tensor.src", "path", path, "chunk", "1000", NULL);
    hstart(h);
    ck_assert_uint_eq(run_source(h), 1);
    {
        weft_buf *b = weft_harness_pull(h, 0);
        ck_assert_int_eq(weft_buf_dim(b, 0), 25);
        ck_assert_int_eq(weft_buf_pts(b), WEFT_TIME_NONE);
        weft_buf_unref(b);
    }
    weft_harness_free(h);
    weft_buf_unref(whole);
}
END_TEST

START_TEST(test_npy_empty_and_scalar)
{
    const char *path = tmp_path("empty.npy");
    int64_t shape[2] = { 0, 4 };
    float one = 1.5f;
    char err[256];
    weft_harness *h;
    weft_buf *b;

    ck_assert_int_eq(npy_write_file(path, WEFT_DTYPE_F32, 2, shape, NULL, err,
                                    sizeof err),
                     0);
    h = hnew("tensor.src", "path", path, NULL);
    hstart(h);
    ck_assert_uint_le(run_source(h), 1);
    b = weft_harness_pull(h, 0);
    if (b) {
        ck_assert_int_eq(weft_buf_dim(b, 0), 0);
        ck_assert_int_eq(weft_buf_dim(b, 1), 4);
        weft_buf_unref(b);
    }
    weft_harness_free(h);

    path = tmp_path("scalar.npy");
    ck_assert_int_eq(npy_write_file(path, WEFT_DTYPE_F32, 0, NULL, &one, err,
                                    sizeof err),
                     0);
    h = hnew("tensor.src", "path", path, NULL);
    hstart(h);
    ck_assert_uint_eq(run_source(h), 1);
    b = weft_harness_pull(h, 0);
    ck_assert_uint_eq(weft_buf_ndim(b), 1);
    ck_assert_int_eq(weft_buf_dim(b, 0), 1);
    ck_assert(*(const float *)weft_buf_cdata(b) == 1.5f);
    weft_buf_unref(b);
    weft_harness_free(h);

    /* A sink that sees no buffer still writes a valid (empty) file. */
    path = tmp_path("none.npy");
    h = hnew("tensor.sink", "path", path, NULL);
    hstart(h);
    weft_harness_push_eos(h, 0);
    ck_assert(weft_harness_finished(h));
    weft_harness_free(h);
    {
        npy_reader *r;
        ck_assert_int_eq(npy_reader_open(path, &r, err, sizeof err), 0);
        ck_assert_uint_eq(npy_reader_info(r)->ndim, 1);
        ck_assert_int_eq(npy_reader_info(r)->shape[0], 0);
        npy_reader_close(r);
    }
}
END_TEST

/* A valid header text, for building bad files around. */
static size_t header_with(uint8_t *out, uint8_t major, const char *dict)
{
    size_t dl = strlen(dict), pre = major == 1 ? 10 : 12;
    memcpy(out, "\x93NUMPY", 6);
    out[6] = major;
    out[7] = 0;
    if (major == 1) {
        out[8] = (uint8_t)dl;
        out[9] = (uint8_t)(dl >> 8);
    } else {
        out[8] = (uint8_t)dl;
        out[9] = (uint8_t)(dl >> 8);
        out[10] = (uint8_t)(dl >> 16);
        out[11] = (uint8_t)(dl >> 24);
    }
    memcpy(out + pre, dict, dl);
    return pre + dl;
}

static void bad_file(const char *name, uint8_t major, const char *dict,
                     size_t data_bytes, const char *want)
{
    uint8_t buf[2048] = { 0 };
    size_t n = header_with(buf, major, dict);
    const char *path = tmp_path(name);
    npy_info info;
    char err[256];

    write_bytes(path, buf, n + data_bytes);
    expect_src_error(path, want);
    /* The memory parser agrees, without the file name. */
    ck_assert_int_eq(npy_parse(buf, n + data_bytes, &info, err, sizeof err),
                     WEFT_EPARSE);
    ck_assert_msg(strstr(err, want), "memory: got '%s'", err);
}

START_TEST(test_npy_malformed)
{
    const char *ok = "{'descr': '<f4', 'fortran_order': False, "
                     "'shape': (3, 4), }\n";
    uint8_t buf[256] = { 0 };
    size_t n;
    const char *path;

    bad_file("fortran.npy", 1,
             "{'descr': '<f4', 'fortran_order': True, 'shape': (3, 4), }\n",
             48, "fortran_order arrays are not supported");
    bad_file("bigend.npy", 1,
             "{'descr': '>f4', 'fortran_order': False, 'shape': (3, 4), }\n",
             48, "header: unsupported dtype '>f4'");
    bad_file("u16.npy", 1,
             "{'descr': '<u2', 'fortran_order': False, 'shape': (3,), }\n",
             6, "header: unsupported dtype '<u2'");
    bad_file("struct.npy", 1,
             "{'descr': [('a', '<f4')], 'fortran_order': False, "
             "'shape': (3,), }\n",
             12, "unsupported dtype");
    bad_file("toobig.npy", 1, ok, 47, "shape (3, 4) needs 48 bytes of data");
    bad_file("syntax.npy", 1,
             "{'descr': '<f4' 'fortran_order': False, 'shape': (3, 4), }\n",
             48, "header: expected ',' or '}'");
    bad_file("unknown.npy", 1,
             "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), "
             "'x': 1}\n",
             48, "header: unknown key 'x'");
    bad_file("missing.npy", 1, "{'descr': '<f4', 'shape': (3, 4), }\n", 48,
             "header: missing key 'fortran_order'");
    bad_file("notuple.npy", 1,
             "{'descr': '<f4', 'fortran_order': False, 'shape': (3), }\n", 12,
             "shape must be a tuple");
    bad_file("rank9.npy", 1,
             "{'descr': '<f4', 'fortran_order': False, "
             "'shape': (1,1,1,1,1,1,1,1,1), }\n",
             4, "more than 8 dimensions");
    bad_file("overflow.npy", 1,
             "{'descr': '<f8', 'fortran_order': False, "
             "'shape': (4294967296, 4294967296), }\n",
             0, "is too large");
    bad_file("hugedim.npy", 1,
             "{'descr': '<f4', 'fortran_order': False, "
             "'shape': (99999999999999999999,), }\n",
             0, "dimension too large");
    bad_file("version.npy", 4, ok, 48, "unsupported format version 4.0");

    /* Bad magic. */
    path = tmp_path("magic.npy");
    n = header_with(buf, 1, ok);
    buf[1] = 'X';
    write_bytes(path, buf, n + 48);
    expect_src_error(path, "bad magic");

    /* Not even a header: cut inside the magic, and inside the dict. */
    path = tmp_path("cut.npy");
    write_bytes(path, "\x93NUM", 4);
    expect_src_error(path, "truncated header");
    path = tmp_path("cut2.npy");
    n = header_with(buf, 1, ok);
    write_bytes(path, buf, n - 20);
    expect_src_error(path, "truncated header");

    /* Header length over the limit (version 2 has room to claim it). */
    path = tmp_path("longhdr.npy");
    n = header_with(buf, 2, ok);
    buf[8] = 0;
    buf[9] = 0;
    buf[10] = 0x10; /* 1 MiB */
    write_bytes(path, buf, n);
    expect_src_error(path, "header length 1048576 exceeds the limit");

    /* Empty file, missing file. */
    path = tmp_path("zero.npy");
    write_bytes(path, "", 0);
    expect_src_error(path, "truncated header");
    expect_src_error(tmp_path("nonexistent.npy"), "cannot open");

    /* Versions 2.0 and 3.0 parse. */
    {
        float d[12] = { 0 };
        npy_info info;
        char err[256];
        for (uint8_t v = 2; v <= 3; v++) {
            n = header_with(buf, v, ok);
            memcpy(buf + n, d, sizeof d);
            ck_assert_msg(npy_parse(buf, n + sizeof d, &info, err,
                                    sizeof err) == 0,
                          "v%u: %s", v, err);
            ck_assert_uint_eq(info.major, v);
            ck_assert_uint_eq(info.data_offset, n);
        }
    }
}
END_TEST

static size_t count_dir_entries(const char *prefix)
{
    DIR *d = opendir(tmpdir);
    struct dirent *e;
    size_t n = 0;
    while ((e = readdir(d)))
        n += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
    closedir(d);
    return n;
}

START_TEST(test_sink_mismatch_and_atomic)
{
    const char *path = tmp_path("keep.npy");
    int64_t s1[2] = { 2, 3 }, s2[2] = { 2, 4 };
    weft_harness *h;
    const char *e;
    uint8_t *old;
    size_t len;

    write_bytes(path, "old content", 11);
    ck_assert_int_eq(weft_harness_new(reg, "tensor.sink", &h), 0);
    ck_assert_int_eq(weft_harness_set_prop(h, "path", path), 0);
    hstart(h);
    ck_assert_int_eq(weft_harness_push(h, 0, make_tensor(WEFT_DTYPE_F32, 2, s1,
                                                         0)),
                     WEFT_FLOW_OK);
    ck_assert_int_eq(weft_harness_push(h, 0, make_tensor(WEFT_DTYPE_F32, 2, s2,
                                                         0)),
                     WEFT_FLOW_ERROR);
    e = weft_harness_error(h);
    ck_assert_msg(strstr(e, "tensor.sink") && strstr(e, "does not match") &&
                      strstr(e, "[T,4]") && strstr(e, "[T,3]"),
                  "%s", e);
    weft_harness_free(h);
    /* The old file is intact and no temporary file is left. */
    old = read_bytes(path, &len);
    ck_assert_uint_eq(len, 11);
    ck_assert_mem_eq(old, "old content", 11);
    free(old);
    ck_assert_uint_eq(count_dir_entries("keep.npy"), 1);

    /* A dtype change is refused too. */
    h = hnew("tensor.sink", "path", path, NULL);
    hstart(h);
    weft_harness_push(h, 0, make_tensor(WEFT_DTYPE_F32, 2, s1, 0));
    ck_assert_int_eq(weft_harness_push(h, 0, make_tensor(WEFT_DTYPE_I32, 2, s1,
                                                         0)),
                     WEFT_FLOW_ERROR);
    weft_harness_free(h);

    /* A good stream replaces it. */
    h = hnew("tensor.sink", "path", path, NULL);
    hstart(h);
    weft_harness_push(h, 0, make_tensor(WEFT_DTYPE_F32, 2, s1, 0));
    weft_harness_push(h, 0, make_tensor(WEFT_DTYPE_F32, 2, s1, 1));
    weft_harness_push_eos(h, 0);
    ck_assert(weft_harness_finished(h));
    weft_harness_free(h);
    {
        npy_reader *r;
        char err[256];
        ck_assert_int_eq(npy_reader_open(path, &r, err, sizeof err), 0);
        ck_assert_int_eq(npy_reader_info(r)->shape[0], 4);
        ck_assert_int_eq(npy_reader_info(r)->shape[1], 3);
        npy_reader_close(r);
    }
    ck_assert_uint_eq(count_dir_entries("keep.npy"), 1);

    /* An unwritable directory fails at start, naming the file. */
    h = hnew("tensor.sink", "path", "/nonexistent-dir/x.npy", NULL);
    ck_assert_int_lt(weft_harness_start(h), 0);
    ck_assert_ptr_nonnull(strstr(weft_harness_error(h), "/nonexistent-dir/x.npy"));
    weft_harness_free(h);
}
END_TEST

/* tensor.sink's `lengths`: one row count per segment, ends found by the
 * segment-end flag, a new segment id, or the end of the stream. */
static void push_seg(weft_harness *h, int64_t rows, uint64_t seg, bool end)
{
    int64_t shape[2] = { rows, 3 };
    weft_buf *b = make_tensor(WEFT_DTYPE_F32, 2, shape, (unsigned)seg);
    weft_buf_set_segment(b, seg);
    if (end)
        weft_buf_set_flags(b, WEFT_BUF_SEGMENT_END);
    ck_assert_int_eq(weft_harness_push(h, 0, b), WEFT_FLOW_OK);
}

START_TEST(test_sink_lengths)
{
    const char *path = tmp_path("rows.npy");
    const char *lpath = tmp_path("rows-len.npy");
    static const int64_t want[] = { 5, 0, 4, 1 };
    npy_reader *r;
    char err[256];
    int64_t got[4];
    weft_harness *h;

    h = hnew("tensor.sink", "path", path, "lengths", lpath, NULL);
    hstart(h);
    push_seg(h, 2, 0, false);
    push_seg(h, 3, 0, true);   /* segment 0: 5 rows */
    push_seg(h, 0, 1, true);   /* segment 1: empty (an empty file) */
    push_seg(h, 4, 2, false);  /* segment 2: ended by segment 3's id */
    push_seg(h, 1, 3, false);  /* segment 3: ended by the end of stream */
    weft_harness_push_eos(h, 0);
    ck_assert_msg(weft_harness_finished(h), "%s", weft_harness_error(h));
    weft_harness_free(h);

    ck_assert_int_eq(npy_reader_open(lpath, &r, err, sizeof err), 0);
    ck_assert_int_eq(npy_reader_info(r)->dtype, WEFT_DTYPE_I64);
    ck_assert_uint_eq(npy_reader_info(r)->ndim, 1);
    ck_assert_int_eq(npy_reader_info(r)->shape[0], 4);
    npy_reader_close(r);
    {
        size_t len;
        uint8_t *d = read_bytes(lpath, &len);
        npy_info info;
        ck_assert_int_eq(npy_parse(d, len, &info, err, sizeof err), 0);
        memcpy(got, d + info.data_offset, sizeof got);
        free(d);
    }
    ck_assert_mem_eq(got, want, sizeof want);
    /* The data file holds every row, in order. */
    ck_assert_int_eq(npy_reader_open(path, &r, err, sizeof err), 0);
    ck_assert_int_eq(npy_reader_info(r)->shape[0], 10);
    npy_reader_close(r);

    /* A stream with no buffers gives an empty lengths array. */
    h = hnew("tensor.sink", "path", path, "lengths", lpath, NULL);
    hstart(h);
    weft_harness_push_eos(h, 0);
    ck_assert(weft_harness_finished(h));
    weft_harness_free(h);
    ck_assert_int_eq(npy_reader_open(lpath, &r, err, sizeof err), 0);
    ck_assert_int_eq(npy_reader_info(r)->shape[0], 0);
    npy_reader_close(r);

    /* lengths = "" (a graph parameter left empty) is the same as unset. */
    unlink(lpath);
    h = hnew("tensor.sink", "path", path, "lengths", "", NULL);
    hstart(h);
    push_seg(h, 2, 0, true);
    weft_harness_push_eos(h, 0);
    ck_assert(weft_harness_finished(h));
    weft_harness_free(h);
    ck_assert_int_eq(access(lpath, F_OK), -1);
}
END_TEST

/* ------------------------------------------------------------- text */

START_TEST(test_text_lines)
{
    static const char data[] = "\xef\xbb\xbf"
                               "first\r\n"
                               "second\n"
                               "\n"
                               "bad \xff\xfe bytes\n"
                               "caf\xc3\xa9\n"
                               "over\xc0\xaflong\n"
                               "last";
    static const char *const want[] = {
        "first", "second", "", "bad \xff\xfe bytes", "caf\xc3\xa9",
        "over\xc0\xaflong", "last",
    };
    const char *path = tmp_path("lines.txt");
    weft_harness *h;

    write_bytes(path, data, sizeof data - 1);
    h = hnew("text.lines", "path", path, NULL);
    hstart(h);
    ck_assert_uint_eq(run_source(h), 7);
    for (size_t i = 0; i < 7; i++) {
        weft_buf *b = weft_harness_pull(h, 0);
        size_t len;
        const char *t = weft_buf_text(b, &len);
        ck_assert_uint_eq(len, strlen(want[i]));
        ck_assert_mem_eq(t, want[i], len);
        ck_assert_uint_eq(weft_buf_segment(b), i + 1);
        ck_assert(weft_buf_get_flags(b) & WEFT_BUF_SEGMENT_END);
        weft_buf_unref(b);
    }
    ck_assert_int_eq(weft_node_counter(weft_harness_node(h), "invalid_utf8"),
                     2);
    weft_harness_free(h);

    /* Empty file: nothing. A file that is one newline: one empty line. */
    path = tmp_path("empty.txt");
    write_bytes(path, "", 0);
    h = hnew("text.lines", "path", path, NULL);
    hstart(h);
    ck_assert_uint_eq(run_source(h), 0);
    weft_harness_free(h);
    path = tmp_path("nl.txt");
    write_bytes(path, "\r\n", 2);
    h = hnew("text.lines", "path", path, NULL);
    hstart(h);
    ck_assert_uint_eq(run_source(h), 1);
    weft_harness_free(h);

    h = hnew("text.lines", "path", tmp_path("missing.txt"), NULL);
    ck_assert_int_lt(weft_harness_start(h), 0);
    ck_assert_ptr_nonnull(strstr(weft_harness_error(h), "missing.txt"));
    weft_harness_free(h);
}
END_TEST

static weft_buf *text_at(const char *s, int64_t pts)
{
    weft_buf *b = weft_buf_new_text(s, SIZE_MAX);
    weft_buf_set_pts(b, pts);
    return b;
}

START_TEST(test_text_file)
{
    const char *path = tmp_path("out.txt");
    weft_harness *h;
    uint8_t *d;
    size_t len;

    for (int round = 0; round < 2; round++) {
        h = hnew("text.file", "path", path, "append",
                 round ? "true" : "false", NULL);
        hstart(h);
        weft_harness_push(h, 0, text_at("hello", 0));
        /* Flushed per line: visible before the end of the stream. */
        d = read_bytes(path, &len);
        ck_assert_str_eq((char *)d, round ? "hello\nworld\nhello\n" : "hello\n");
        free(d);
        weft_harness_push(h, 0, text_at("world", 0));
        weft_harness_push_eos(h, 0);
        ck_assert(weft_harness_finished(h));
        weft_harness_free(h);
    }
    d = read_bytes(path, &len);
    ck_assert_str_eq((char *)d, "hello\nworld\nhello\nworld\n");
    free(d);
}
END_TEST

START_TEST(test_text_print)
{
    const char *path = tmp_path("stdout.txt");
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644), saved;
    weft_harness *h;
    uint8_t *d;
    size_t len;

    /* The test runs in its own process (CK_FORK), so stdout can be
     * redirected to a file for the length of it. */
    fflush(stdout);
    saved = dup(1);
    dup2(fd, 1);
    close(fd);

    h = hnew("text.print", "prefix", "\"> \"", "timestamps", "true", NULL);
    hstart(h);
    weft_harness_push(h, 0, text_at("turn on the lights", 1234567890));
    weft_harness_push(h, 0, text_at("ok", WEFT_TIME_NONE));
    weft_harness_push(h, 0, weft_buf_new_empty());
    weft_harness_push_eos(h, 0);
    ck_assert(weft_harness_finished(h));
    ck_assert_int_eq(weft_node_counter(weft_harness_node(h), "skipped"), 1);
    weft_harness_free(h);

    h = hnew("text.print", NULL);
    hstart(h);
    weft_harness_push(h, 0, text_at("plain", 0));
    weft_harness_free(h);

    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    d = read_bytes(path, &len);
    ck_assert_str_eq((char *)d,
                     "> [1.234] turn on the lights\n> [-] ok\nplain\n");
    free(d);
    ck_assert(weft_registry_find(reg, "text.print")->flags &
              WEFT_NODE_ANY_INPUT);
    ck_assert(weft_class_input(weft_registry_find(reg, "text.print"), 0)->flags &
              WEFT_PORT_MULTI);
}
END_TEST

/* text.print's segments and words: a decoder's result with per-word times
 * prints them after a tab; spans outside the text are skipped. */
START_TEST(test_text_print_words)
{
    const char *path = tmp_path("words.txt");
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644), saved;
    const weft_token_score tok[] = {
        { 0, 4, 0.9f, 320000000, 560000000 },
        { 5, 2, 0.8f, 600000000, 724999999 },
        { 8, 3, 0.7f, WEFT_TIME_NONE, WEFT_TIME_NONE },
        { 10, 5, 0.7f, 0, 0 },
    };
    weft_harness *h;
    weft_buf *b;
    uint8_t *d;
    size_t len;

    fflush(stdout);
    saved = dup(1);
    dup2(fd, 1);
    close(fd);

    h = hnew("text.print", "segments", "true", "words", "true", NULL);
    hstart(h);
    b = text_at("turn on now", 0);
    ck_assert_int_eq(weft_buf_set_tokens(b, tok, 4), 0);
    weft_buf_set_segment(b, 3);
    weft_harness_push(h, 0, b);
    weft_harness_push(h, 0, text_at("", 0));
    weft_harness_push_eos(h, 0);
    ck_assert(weft_harness_finished(h));
    weft_harness_free(h);

    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    d = read_bytes(path, &len);
    ck_assert_str_eq((char *)d, "#3 turn on now\tturn@0.32-0.56 "
                                "on@0.60-0.72 now@?-?\n#0 \n");
    free(d);
}
END_TEST

/* text.print's meta: a metadata value (audio.dir's file name) leads the
 * line as "VALUE: ", "-: " when the buffer lacks the key. */
START_TEST(test_text_print_meta)
{
    const char *path = tmp_path("meta.txt");
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644), saved;
    const weft_token_score tok[] = { { 0, 2, 0.9f, 100000000, 200000000 } };
    weft_harness *h;
    weft_buf *b;
    uint8_t *d;
    size_t len;

    fflush(stdout);
    saved = dup(1);
    dup2(fd, 1);
    close(fd);

    h = hnew("text.print", "meta", "file", "words", "true", NULL);
    hstart(h);
    b = text_at("on", 0);
    ck_assert_int_eq(weft_buf_set_tokens(b, tok, 1), 0);
    ck_assert_int_eq(weft_buf_set_meta(b, "file", "a b.wav"), 0);
    weft_harness_push(h, 0, b);
    weft_harness_push(h, 0, text_at("off", 0));
    weft_harness_push_eos(h, 0);
    weft_harness_free(h);

    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    d = read_bytes(path, &len);
    ck_assert_str_eq((char *)d, "a b.wav: on\ton@0.10-0.20\n-: off\n");
    free(d);
}
END_TEST

/* ------------------------------------------------------------- misc */

START_TEST(test_null_sink)
{
    weft_harness *h = hnew("null.sink", NULL);
    int64_t shape[1] = { 3 };

    hstart(h);
    for (int i = 0; i < 5; i++)
        weft_harness_push(h, 0, make_tensor(WEFT_DTYPE_F32, 1, shape, 0));
    weft_harness_push(h, 0, text_at("x", 0));
    weft_harness_push_eos(h, 0);
    ck_assert(weft_harness_finished(h));
    ck_assert_int_eq(weft_node_counter(weft_harness_node(h), "buffers"), 6);
    weft_harness_free(h);
}
END_TEST

START_TEST(test_identity_refcount)
{
    weft_harness *h = hnew("identity", NULL);
    int64_t shape[2] = { 2, 3 };
    weft_buf *b = make_tensor(WEFT_DTYPE_F32, 2, shape, 0), *out;
    const weft_format *of;
    const char *dt;

    ck_assert_int_eq(weft_harness_set_input_format(h, 0,
                                                   "tensor dtype=f32 shape=[T,3]"),
                     0);
    hstart(h);
    of = weft_harness_output_format(h, 0);
    ck_assert_str_eq(weft_format_media(of), "tensor");
    ck_assert_int_eq(weft_format_get_string(of, "dtype", &dt), 0);
    ck_assert_str_eq(dt, "f32");

    weft_buf_ref(b); /* keep one to compare */
    ck_assert_int_eq(weft_buf_refcount(b), 2);
    ck_assert_int_eq(weft_harness_push(h, 0, b), WEFT_FLOW_OK);
    out = weft_harness_pull(h, 0);
    ck_assert_ptr_eq(out, b);
    ck_assert_int_eq(weft_buf_refcount(b), 2);
    weft_buf_unref(out);
    ck_assert_int_eq(weft_buf_refcount(b), 1);
    weft_buf_unref(b);
    weft_harness_push_eos(h, 0);
    ck_assert(weft_harness_finished(h));
    weft_harness_free(h);
}
END_TEST

START_TEST(test_identity_fail_after)
{
    weft_harness *h = hnew("identity", "fail_after", "2", "sleep_us", "100",
                           NULL);
    int64_t shape[1] = { 1 };

    hstart(h);
    ck_assert_int_eq(weft_harness_push(h, 0, make_tensor(WEFT_DTYPE_F32, 1,
                                                         shape, 0)),
                     WEFT_FLOW_OK);
    ck_assert_int_eq(weft_harness_push(h, 0, make_tensor(WEFT_DTYPE_F32, 1,
                                                         shape, 0)),
                     WEFT_FLOW_OK);
    ck_assert_int_eq(weft_harness_push(h, 0, make_tensor(WEFT_DTYPE_F32, 1,
                                                         shape, 0)),
                     WEFT_FLOW_ERROR);
    ck_assert_ptr_nonnull(strstr(weft_harness_error(h), "fail_after"));
    ck_assert_ptr_nonnull(strstr(weft_harness_error(h), "identity"));
    ck_assert_uint_eq(weft_harness_available(h, 0), 2);
    weft_harness_free(h);
}
END_TEST

static weft_harness *run_test_src(size_t want, ...)
{
    weft_harness *h;
    va_list ap;
    const char *k;

    ck_assert_int_eq(weft_harness_new(reg, "test.src", &h), 0);
    va_start(ap, want);
    while ((k = va_arg(ap, const char *))) {
        const char *v = va_arg(ap, const char *);
        ck_assert_msg(weft_harness_set_prop(h, k, v) == 0, "%s", k);
    }
    va_end(ap);
    hstart(h);
    ck_assert_uint_eq(run_source(h), want);
    return h;
}

START_TEST(test_test_src_tensor)
{
    weft_harness *a, *b, *c;
    const weft_format *of;
    int32_t nd;
    int64_t dims[8];

    /* ramp: element i of buffer k is k * numel + i. */
    a = run_test_src(3, "count", "3", "shape", "[2, 5]", "frame_rate", "100",
                     NULL);
    of = weft_harness_output_format(a, 0);
    ck_assert_int_eq(weft_format_get_shape(of, &nd, dims, NULL, 8), 0);
    ck_assert_int_eq(nd, 2);
    ck_assert_int_eq(dims[0], 2);
    ck_assert_int_eq(dims[1], 5);
    for (int k = 0; k < 3; k++) {
        weft_buf *x = weft_harness_pull(a, 0);
        const float *f = weft_buf_cdata(x);
        for (int i = 0; i < 10; i++)
            ck_assert(f[i] == (float)(k * 10 + i));
        ck_assert_int_eq(weft_buf_pts(x), k * 20000000LL);
        ck_assert_int_eq(weft_buf_duration(x), 20000000LL);
        ck_assert_int_eq(!!(weft_buf_get_flags(x) & WEFT_BUF_SEGMENT_END),
                         k == 2);
        weft_buf_unref(x);
    }
    weft_harness_free(a);

    /* random: the same seed, the same bytes; another seed, others. */
    a = run_test_src(4, "count", "4", "shape", "[7]", "pattern", "random",
                     "seed", "42", NULL);
    b = run_test_src(4, "count", "4", "shape", "[7]", "pattern", "random",
                     "seed", "42", NULL);
    c = run_test_src(4, "count", "4", "shape", "[7]", "pattern", "random",
                     "seed", "43", NULL);
    for (int k = 0; k < 4; k++) {
        weft_buf *x = weft_harness_pull(a, 0), *y = weft_harness_pull(b, 0),
                 *z = weft_harness_pull(c, 0);
        const float *f = weft_buf_cdata(x);
        ck_assert_mem_eq(weft_buf_cdata(x), weft_buf_cdata(y), 28);
        ck_assert(memcmp(weft_buf_cdata(x), weft_buf_cdata(z), 28) != 0);
        for (int i = 0; i < 7; i++)
            ck_assert(f[i] >= -1.0f && f[i] < 1.0f);
        weft_buf_unref(x);
        weft_buf_unref(y);
        weft_buf_unref(z);
    }
    weft_harness_free(a);
    weft_harness_free(b);
    weft_harness_free(c);

    a = run_test_src(2, "count", "2", "pattern", "zeros", NULL);
    {
        weft_buf *x = weft_harness_pull(a, 0);
        static const float zero[4];
        ck_assert_int_eq(weft_buf_dim(x, 0), 4);
        ck_assert_mem_eq(weft_buf_cdata(x), zero, sizeof zero);
        weft_buf_unref(x);
    }
    weft_harness_free(a);

    /* count = 0: nothing; count = -1: endless. */
    a = run_test_src(0, "count", "0", NULL);
    weft_harness_free(a);
    ck_assert_int_eq(weft_harness_new(reg, "test.src", &a), 0);
    weft_harness_set_prop(a, "count", "-1");
    hstart(a);
    ck_assert_int_eq(weft_harness_run(a, 500), WEFT_FLOW_OK);
    ck_assert(!weft_harness_finished(a));
    ck_assert_uint_eq(weft_harness_available(a, 0), 500);
    weft_harness_free(a);
}
END_TEST

START_TEST(test_test_src_audio)
{
    weft_harness *h;
    const weft_format *of;
    int64_t v;
    const char *s;
    int64_t next = 0;

    /* 22050 Hz, 10 ms: 220.5 samples round to 221 per buffer; timestamps
     * are sample-exact, floor(n * 1e9 / rate), and contiguous. */
    h = run_test_src(1000, "kind", "audio", "rate", "22050", "channels", "2",
                     "count", "1000", "wave", "square", "freq", "1000", NULL);
    of = weft_harness_output_format(h, 0);
    ck_assert_str_eq(weft_format_media(of), "audio/pcm");
    ck_assert_int_eq(weft_format_get_int(of, "rate", &v), 0);
    ck_assert_int_eq(v, 22050);
    ck_assert_int_eq(weft_format_get_int(of, "channels", &v), 0);
    ck_assert_int_eq(v, 2);
    ck_assert_int_eq(weft_format_get_string(of, "dtype", &s), 0);
    ck_assert_str_eq(s, "f32");
    for (int64_t k = 0; k < 1000; k++) {
        weft_buf *b = weft_harness_pull(h, 0);
        __int128 n = (__int128)k * 221 * 1000000000;
        ck_assert_int_eq(weft_buf_dim(b, 0), 221);
        ck_assert_int_eq(weft_buf_dim(b, 1), 2);
        ck_assert_int_eq(weft_buf_pts(b), (int64_t)(n / 22050));
        ck_assert_int_eq(weft_buf_pts(b), next);
        next = weft_buf_pts(b) + weft_buf_duration(b);
        if (k == 0) {
            const float *f = weft_buf_cdata(b);
            ck_assert(f[0] == 0.5f && f[1] == 0.5f);
            /* 1 kHz at 22050 Hz: sample 12 is past half a period. */
            ck_assert(f[24] == -0.5f && f[25] == -0.5f);
        }
        weft_buf_unref(b);
    }
    weft_harness_free(h);

    /* A sine: sample 4 of 1 kHz at 16 kHz is the peak. */
    h = run_test_src(1, "kind", "audio", "count", "1", "freq", "1000",
                     "amplitude", "0.25", NULL);
    {
        weft_buf *b = weft_harness_pull(h, 0);
        const float *f = weft_buf_cdata(b);
        ck_assert_int_eq(weft_buf_dim(b, 0), 160);
        ck_assert(fabsf(f[0]) < 1e-7f);
        ck_assert(fabsf(f[4] - 0.25f) < 1e-7f);
        ck_assert(fabsf(f[12] + 0.25f) < 1e-6f);
        ck_assert(weft_buf_get_flags(b) & WEFT_BUF_SEGMENT_END);
        weft_buf_unref(b);
    }
    weft_harness_free(h);
}
END_TEST

/* ------------------------------------------------------------- main */

static void remove_tmpdir(void)
{
    DIR *d = opendir(tmpdir);
    struct dirent *e;
    char p[600];

    if (!d)
        return;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(p, sizeof p, "%s/%s", tmpdir, e->d_name);
        unlink(p);
    }
    closedir(d);
    rmdir(tmpdir);
}

int main(void)
{
    Suite *s = suite_create("core-plugin");
    TCase *tc = tcase_create("nodes");
    SRunner *sr;
    int failed;

    reg = weft_registry_new();
    if (weft_registry_scan_dir(reg, TOP_BUILDDIR "/plugins/.libs") < 1 ||
        !weft_registry_find(reg, "tensor.src")) {
        fprintf(stderr, "core plugin not found in %s/plugins/.libs\n",
                TOP_BUILDDIR);
        for (size_t i = 0; i < weft_registry_n_problems(reg); i++)
            fprintf(stderr, "  %s\n", weft_registry_problem(reg, i));
        return 1;
    }
    snprintf(tmpdir, sizeof tmpdir, "%s/test-core-plugin-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }

    tcase_add_test(tc, test_plugin_classes);
    tcase_add_test(tc, test_npy_roundtrip);
    tcase_add_test(tc, test_npy_numpy_fixtures);
    tcase_add_test(tc, test_npy_chunks_and_pts);
    tcase_add_test(tc, test_npy_empty_and_scalar);
    tcase_add_test(tc, test_npy_malformed);
    tcase_add_test(tc, test_sink_mismatch_and_atomic);
    tcase_add_test(tc, test_sink_lengths);
    tcase_add_test(tc, test_text_lines);
    tcase_add_test(tc, test_text_file);
    tcase_add_test(tc, test_text_print);
    tcase_add_test(tc, test_text_print_words);
    tcase_add_test(tc, test_text_print_meta);
    tcase_add_test(tc, test_null_sink);
    tcase_add_test(tc, test_identity_refcount);
    tcase_add_test(tc, test_identity_fail_after);
    tcase_add_test(tc, test_test_src_tensor);
    tcase_add_test(tc, test_test_src_audio);
    suite_add_tcase(s, tc);

    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    remove_tmpdir();
    weft_registry_free(reg);
    return failed ? 1 : 0;
}
