/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * weft/model.h: the shared model loader of libweft-kernels, for every model
 * plugin (acoustic model, text encoder, vision encoder, aligner).
 *
 * A model directory holds `config.json` (architecture and sizes),
 * `model.safetensors` (the weights) and whatever vocabulary or lexicon
 * files the model needs. weft_model_open maps the weights read-only
 * (mmap), validates every field of the safetensors header, and parses the
 * configuration. Plugins then read sizes from the configuration and look
 * tensors up by name with the shape the configuration implies; a mismatch
 * names the tensor and both shapes.
 *
 * Three layers, each usable alone:
 *   weft_json   a small strict JSON parser (RFC 8259) with a depth limit;
 *   weft_st     a safetensors file: parsed from memory or mapped from disk;
 *   weft_model  a model directory: config.json + model.safetensors.
 *
 * Validation of a safetensors file: the 8-byte little-endian header length
 * fits the file (and at most 100 MB, as the reference implementation
 * allows); the header is one JSON object without duplicate keys; every
 * tensor entry has exactly `dtype` (F64, F32, F16, BF16, I64, I32, I16, I8,
 * U8, BOOL), `shape` (non-negative integers, at most WEFT_TENSOR_MAX_DIMS)
 * and `data_offsets` ([begin, end], begin <= end); the byte count the dtype
 * and shape imply equals end - begin without overflow; every range lies
 * inside the data section, and no two ranges overlap. `__metadata__`, when
 * present, maps strings to strings.
 *
 * Errors: functions return 0 or a negative WEFT_E* code (WEFT_EIO for a
 * file that cannot be read, WEFT_EPARSE for malformed content, WEFT_ENOENT
 * for a missing file, tensor or field, WEFT_ERANGE for a shape mismatch,
 * WEFT_ETYPE for a field or tensor of the wrong type, WEFT_ENOMEM) and,
 * when @err is not NULL, write one line (no newline) into @err naming the
 * file and the field: "model.safetensors: tensor 'a.weight': shape [384,
 * 384] in the file, [384,1536] expected".
 *
 * Threads: parsing and opening are [any-thread]; a parsed document, file
 * or model is immutable, so any number of threads may read it at once.
 * Nothing here prints or exits.
 *
 * Since: 0.1
 */
#ifndef WEFT_MODEL_H
#define WEFT_MODEL_H

#include <weft/buf.h>
#include <weft/common.h>

WEFT_BEGIN_DECLS

/* ------------------------------------------------------------------ JSON */

/** JSON value types. Values are part of the ABI. */
typedef uint32_t weft_json_type;
enum {
    WEFT_JSON_NULL = 0,
    WEFT_JSON_FALSE = 1,
    WEFT_JSON_TRUE = 2,
    WEFT_JSON_NUMBER = 3,
    WEFT_JSON_STRING = 4,
    WEFT_JSON_ARRAY = 5,
    WEFT_JSON_OBJECT = 6
};

/** A parsed JSON document (opaque); its values live as long as it does. */
typedef struct weft_json weft_json;
/** A value inside a document (opaque, (transfer none)). */
typedef struct weft_json_value weft_json_value;

/** Nesting deeper than this is a parse error (no stack exhaustion). */
#define WEFT_JSON_MAX_DEPTH 64

/**
 * weft_json_parse: parse @len bytes of UTF-8 @text as one JSON value
 * (surrounding whitespace allowed). Strings are decoded (escapes, surrogate
 * pairs) and must be valid UTF-8 without NUL; objects with a duplicate key
 * are rejected.
 * @what: (transfer none) (optional) the file name used in messages.
 * @out: (out) (transfer full) the document; free with weft_json_free.
 * Returns 0, WEFT_EPARSE (with "what:line:col: reason" in @err), WEFT_ENOMEM.
 * [any-thread]
 */
WEFT_API int weft_json_parse(const char *text, size_t len, const char *what,
                             weft_json **out, char *err, size_t err_cap);
/** Free a document. NULL does nothing. [any-thread] */
WEFT_API void weft_json_free(weft_json *doc);
/** The root value. (transfer none) [any-thread] */
WEFT_API const weft_json_value *weft_json_root(const weft_json *doc);

/** A value's type. [any-thread] */
WEFT_API weft_json_type weft_json_get_type(const weft_json_value *v);
/** The number (0 for other types). [any-thread] */
WEFT_API double weft_json_number(const weft_json_value *v);
/**
 * weft_json_int: true when @v is a number written without fraction or
 * exponent that fits in int64_t, with the value in @out. [any-thread]
 */
WEFT_API bool weft_json_int(const weft_json_value *v, int64_t *out);
/** The decoded string ((transfer none), NUL-terminated) or NULL. */
WEFT_API const char *weft_json_string(const weft_json_value *v);
/** Number of elements of an array or members of an object; else 0. */
WEFT_API size_t weft_json_len(const weft_json_value *v);
/**
 * The @i-th element of an array or member value of an object (in file
 * order), or NULL. For an object, @key (optional) gets the member's key.
 * [any-thread]
 */
WEFT_API const weft_json_value *weft_json_at(const weft_json_value *v,
                                             size_t i, const char **key);
/** The member @key of an object, or NULL. [any-thread] */
WEFT_API const weft_json_value *weft_json_get(const weft_json_value *obj,
                                              const char *key);

/* ----------------------------------------------------------- safetensors */

/** One tensor of a safetensors file. Pointers are (transfer none). */
typedef struct weft_st_tensor {
    const char *name;
    weft_dtype dtype;
    uint32_t ndim;
    int64_t shape[WEFT_TENSOR_MAX_DIMS];
    const void *data; /* inside the mapping; may be unaligned, see below */
    size_t nbytes;
} weft_st_tensor;

/** A validated safetensors file or memory image (opaque). */
typedef struct weft_st weft_st;

/** The header may not exceed this (the reference implementation's limit). */
#define WEFT_ST_MAX_HEADER (100u * 1000u * 1000u)

/**
 * weft_st_parse: validate a safetensors image of @size bytes at @data.
 * @data: (transfer none) must outlive the result (tensors point into it).
 * @what: (optional) the name used in messages ("model.safetensors").
 * @out: (out) (transfer full) free with weft_st_free.
 * Returns 0, WEFT_EPARSE, WEFT_ENOTSUP (a dtype Weft has no type for),
 * WEFT_ENOMEM. [any-thread]
 */
WEFT_API int weft_st_parse(const void *data, size_t size, const char *what,
                           weft_st **out, char *err, size_t err_cap);
/**
 * weft_st_open: map @path read-only and validate it as weft_st_parse does.
 * Returns 0, WEFT_ENOENT (no such file), WEFT_EIO, or weft_st_parse's codes.
 * [any-thread]
 */
WEFT_API int weft_st_open(const char *path, weft_st **out, char *err,
                          size_t err_cap);
/** Unmap and free. NULL does nothing. [any-thread] */
WEFT_API void weft_st_free(weft_st *st);
/** Number of tensors. [any-thread] */
WEFT_API size_t weft_st_count(const weft_st *st);
/** The @i-th tensor in name order, or NULL. (transfer none) [any-thread] */
WEFT_API const weft_st_tensor *weft_st_at(const weft_st *st, size_t i);
/** The tensor called @name, or NULL. (transfer none) [any-thread] */
WEFT_API const weft_st_tensor *weft_st_find(const weft_st *st,
                                            const char *name);
/** A `__metadata__` value, or NULL. (transfer none) [any-thread] */
WEFT_API const char *weft_st_metadata(const weft_st *st, const char *key);
/**
 * weft_st_get: the data of tensor @name, checked to have @dtype and, when
 * @shape is not NULL, exactly @ndim dims equal to @shape. The data must be
 * aligned to its element size (mmap'd files always are when the header is
 * padded, as every writer does); misaligned data is WEFT_EPARSE.
 * @data: (out) (transfer none) valid while @st lives.
 * Returns 0, WEFT_ENOENT, WEFT_ETYPE, WEFT_ERANGE (shape), WEFT_EPARSE.
 * [any-thread]
 */
WEFT_API int weft_st_get(const weft_st *st, const char *name, weft_dtype dtype,
                         uint32_t ndim, const int64_t *shape,
                         const void **data, char *err, size_t err_cap);

/* ----------------------------------------------------------------- model */

/** A model directory: config.json and model.safetensors (opaque). */
typedef struct weft_model weft_model;

/**
 * weft_model_open: open the model in directory @dir: parse
 * @dir/config.json (whose root must be an object) and map
 * @dir/model.safetensors.
 * @out: (out) (transfer full) free with weft_model_free.
 * Returns 0 or the codes of weft_json_parse and weft_st_open; a missing
 * directory or file is WEFT_ENOENT naming the path. [any-thread]
 */
WEFT_API int weft_model_open(const char *dir, weft_model **out, char *err,
                             size_t err_cap);
/** Free. NULL does nothing. [any-thread] */
WEFT_API void weft_model_free(weft_model *m);
/** The directory as given. (transfer none) [any-thread] */
WEFT_API const char *weft_model_dir(const weft_model *m);
/** config.json's root object. (transfer none) [any-thread] */
WEFT_API const weft_json_value *weft_model_config(const weft_model *m);
/** The weights. (transfer none) [any-thread] */
WEFT_API const weft_st *weft_model_weights(const weft_model *m);
/**
 * Read a config.json field. A missing field gives @def when @has_def, else
 * WEFT_ENOENT ("config.json: field 'hidden_size' is missing"); a field of
 * the wrong type, WEFT_ETYPE. [any-thread]
 */
WEFT_API int weft_model_config_int(const weft_model *m, const char *key,
                                   bool has_def, int64_t def, int64_t *out,
                                   char *err, size_t err_cap);
WEFT_API int weft_model_config_float(const weft_model *m, const char *key,
                                     bool has_def, double def, double *out,
                                     char *err, size_t err_cap);
/** @out: (transfer none) the string, or @def. */
WEFT_API int weft_model_config_string(const weft_model *m, const char *key,
                                      const char *def, const char **out,
                                      char *err, size_t err_cap);
/**
 * weft_model_tensor_f32: weft_st_get for an F32 tensor of the model's
 * weights, with the weights file named in messages.
 */
WEFT_API int weft_model_tensor_f32(const weft_model *m, const char *name,
                                   uint32_t ndim, const int64_t *shape,
                                   const float **data, char *err,
                                   size_t err_cap);

WEFT_END_DECLS
#endif /* WEFT_MODEL_H */
