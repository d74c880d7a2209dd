/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * npy.h: reading and writing NumPy .npy files (format versions 1.0, 2.0 and
 * 3.0), little-endian, C order, the dtypes Weft has: f32, f64, f16, i8, u8,
 * i16, i32, i64 and bool.
 *
 * The reader treats its input as hostile: every length, every dimension and
 * the product of the shape are checked before anything is sized from them,
 * and each failure is one line ("header: unsupported dtype '>f4'"); the
 * file-based calls prefix the path ("x.npy: header: ...").
 *
 * The writer produces the bytes numpy >= 1.24 writes: the header dict in
 * sorted key order, spare room for 21 digits in dimension 0 and padding to
 * a multiple of 64 bytes. That spare room is what lets the streaming writer
 * emit data before it knows how many rows there will be and patch the
 * header in place at the end.
 *
 * This module depends only on the enums of <weft/buf.h> and on libc, so
 * that tests, the fuzzer and other plugins can compile it in. Not
 * thread-safe per object; separate objects may be used from separate
 * threads.
 */
#ifndef WEFT_PLUGIN_CORE_NPY_H
#define WEFT_PLUGIN_CORE_NPY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <weft/buf.h>

/* A header longer than this is refused: numpy itself refuses headers above
 * 10000 bytes by default, and no sane array needs more. */
#define NPY_MAX_HEADER_LEN 65536

/** What a header says. */
typedef struct npy_info {
    weft_dtype dtype;
    uint32_t ndim;                         /* 0 for a scalar */
    int64_t shape[WEFT_TENSOR_MAX_DIMS];
    uint8_t major, minor;                  /* format version */
    size_t itemsize;                       /* bytes per element */
    uint64_t numel;                        /* product of the shape */
    uint64_t data_offset;                  /* bytes before the data */
    uint64_t data_bytes;                   /* numel * itemsize */
} npy_info;

/** The .npy descr of @dt ("<f4", "|u1", ...), or NULL if unsupported. */
const char *npy_descr(weft_dtype dt);
/** Bytes per element of @dt (0 for unsupported dtypes). */
size_t npy_dtype_size(weft_dtype dt);

/**
 * npy_parse_header: parse the magic and header dict from the first @len
 * bytes of a file. Succeeds as soon as the whole header is present; it
 * does not look at the data (see npy_parse). Returns 0, or WEFT_EPARSE with
 * a one-line reason in @err (which may be NULL).
 */
int npy_parse_header(const void *data, size_t len, npy_info *info, char *err,
                     size_t errlen);

/**
 * npy_parse: npy_parse_header over a whole file held in memory, also
 * checking that the data the shape promises is there. Trailing bytes after
 * the data are allowed, as numpy allows them.
 */
int npy_parse(const void *data, size_t len, npy_info *info, char *err,
              size_t errlen);

/**
 * npy_header_build: the header bytes (magic to newline) numpy would write
 * for an array of @dtype and @shape, version 1.0 unless it does not fit.
 * @out gets a malloc'd buffer ((transfer full): free() it), @out_len its
 * length. Returns 0, WEFT_EINVAL (unsupported dtype, bad rank or a negative
 * dimension) or WEFT_ENOMEM.
 */
int npy_header_build(weft_dtype dtype, uint32_t ndim, const int64_t *shape,
                     uint8_t **out, size_t *out_len);

/* ------------------------------------------------------------ file reader */

typedef struct npy_reader npy_reader;

/**
 * npy_reader_open: open @path and parse its header, checking the file is
 * long enough for the shape. (transfer full) reader in @out. Returns 0,
 * WEFT_EIO (cannot open/read), WEFT_EPARSE (malformed) or WEFT_ENOMEM, with
 * "PATH: reason" in @err.
 */
int npy_reader_open(const char *path, npy_reader **out, char *err,
                    size_t errlen);
/** The parsed header ((transfer none)). */
const npy_info *npy_reader_info(const npy_reader *r);
/** Bytes of one row of dimension 0 (the whole array for a scalar). */
uint64_t npy_reader_row_bytes(const npy_reader *r);
/**
 * npy_reader_read_rows: copy rows [@row0, @row0 + @nrows) of dimension 0 to
 * @dst. Returns 0, WEFT_ERANGE or WEFT_EIO ("PATH: reason" in @err).
 */
int npy_reader_read_rows(npy_reader *r, int64_t row0, int64_t nrows,
                         void *dst, char *err, size_t errlen);
/** Close and free. NULL-safe. */
void npy_reader_close(npy_reader *r);

/* ------------------------------------------------------------ file writer */

typedef struct npy_writer npy_writer;

/**
 * npy_writer_open: start writing @path atomically. The data goes to a
 * temporary file beside @path which npy_writer_commit renames over it;
 * until then @path is untouched. Returns 0, WEFT_EIO or WEFT_ENOMEM.
 */
int npy_writer_open(const char *path, npy_writer **out, char *err,
                    size_t errlen);
/**
 * npy_writer_begin: fix the dtype and the dimensions after the first
 * (@shape[0] is ignored: rows are counted as they are appended). Once only.
 */
int npy_writer_begin(npy_writer *w, weft_dtype dtype, uint32_t ndim,
                     const int64_t *shape, char *err, size_t errlen);
/** True once npy_writer_begin has succeeded. */
bool npy_writer_begun(const npy_writer *w);
/** Append @rows rows of C-order data (@nbytes = rows * row bytes). */
int npy_writer_append(npy_writer *w, const void *data, size_t nbytes,
                      int64_t rows, char *err, size_t errlen);
/**
 * npy_writer_commit: write the final header, fsync, rename over the target,
 * fsync the directory, and free @w in every case. A writer never begun
 * writes an empty f32 array of shape (0,).
 */
int npy_writer_commit(npy_writer *w, char *err, size_t errlen);
/** Remove the temporary file and free. NULL-safe. */
void npy_writer_abort(npy_writer *w);

/**
 * npy_write_file: write a whole C-order array to @path atomically (a
 * convenience over the writer). For ndim 0, @shape may be NULL.
 */
int npy_write_file(const char *path, weft_dtype dtype, uint32_t ndim,
                   const int64_t *shape, const void *data, char *err,
                   size_t errlen);

/**
 * npy_write_mem: the bytes of a whole .npy file in memory ((transfer full)
 * malloc'd @out, free() it). Returns 0, WEFT_EINVAL or WEFT_ENOMEM.
 */
int npy_write_mem(weft_dtype dtype, uint32_t ndim, const int64_t *shape,
                  const void *data, uint8_t **out, size_t *out_len);

#endif /* WEFT_PLUGIN_CORE_NPY_H */
