/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * weft/format.h: port formats ("caps" in GStreamer's words).
 *
 * A format is a media type followed by fields:
 *
 *     audio/pcm rate=16000 channels=1 dtype=f32
 *     audio/pcm rate=[8000,48000] channels={1,2} dtype=f32
 *     tensor dtype=f32 shape=[T,13] vocab="models/en/tokens.txt"
 *     text
 *     message schema=intent
 *     any
 *
 * Field values: integers, floats, strings (bare words or "quoted" with C
 * escapes), booleans (true/false), integer or float ranges `[lo,hi]`, lists
 * of alternatives `{a,b,c}`. The field `shape` holds a dimension list,
 * written `[d0,d1,...]` (as in `shape=[T,13]`): each dimension is an
 * integer, a named free dimension (`T`: any size, fixed only at run time) or
 * `*` (anything). `shape=*` accepts any rank. The media type `any` accepts any
 * format.
 *
 * A field absent from a format does not constrain it. Intersecting two
 * formats keeps the media type when they agree and intersects every field
 * present in both; the result is empty (NULL) when any field has no common
 * value. Fixation turns a format into one a buffer can have: ranges become
 * their lower bound, lists their first item; named dimensions stay named
 * (they are run-time variable).
 *
 * Formats are immutable once built and may be shared between threads.
 */
#ifndef WEFT_FORMAT_H
#define WEFT_FORMAT_H

#include <weft/common.h>

WEFT_BEGIN_DECLS

typedef struct weft_format weft_format;

/** Field value types as reported by weft_format_field_type(). */
typedef uint32_t weft_fvalue_type;
enum {
    WEFT_FV_NONE = 0,
    WEFT_FV_INT = 1,
    WEFT_FV_FLOAT = 2,
    WEFT_FV_STRING = 3,
    WEFT_FV_BOOL = 4,
    WEFT_FV_INT_RANGE = 5,
    WEFT_FV_FLOAT_RANGE = 6,
    WEFT_FV_LIST = 7,
    WEFT_FV_SHAPE = 8
};

/**
 * weft_format_parse: parse @text.
 * @out: (transfer full) the format on success.
 * @err/@errlen: when non-NULL, a one-line message naming the byte offset on
 * failure ("at 14: expected ',' or ']' in range").
 * Returns 0, WEFT_EPARSE or WEFT_ENOMEM. [any-thread]
 */
WEFT_API int weft_format_parse(const char *text, weft_format **out, char *err,
                               size_t errlen);

/** Free a format. NULL-safe. [any-thread] */
WEFT_API void weft_format_free(weft_format *fmt);
/** Deep copy. (transfer full) or NULL. [any-thread] */
WEFT_API weft_format *weft_format_copy(const weft_format *fmt);

/**
 * weft_format_to_string: canonical text (fields in insertion order, floats
 * in shortest round-trip form). (transfer full) malloc'd string; free()
 * it. NULL when out of memory. [any-thread]
 */
WEFT_API char *weft_format_to_string(const weft_format *fmt);

/**
 * weft_format_intersect: the formats both @a and @b accept, or NULL when
 * none (or out of memory). When @why is non-NULL and the result is empty,
 * it receives a short reason: "rate: 16000 vs 44100". (transfer full)
 * [any-thread]
 */
WEFT_API weft_format *weft_format_intersect(const weft_format *a,
                                            const weft_format *b, char *why,
                                            size_t whylen);

/** True when @a and @b have a non-empty intersection. [any-thread] */
WEFT_API bool weft_format_can_intersect(const weft_format *a,
                                        const weft_format *b);

/** True when @sub accepts nothing that @super rejects. [any-thread] */
WEFT_API bool weft_format_is_subset(const weft_format *sub,
                                    const weft_format *super);

/** True when @a and @b are the same format. [any-thread] */
WEFT_API bool weft_format_equal(const weft_format *a, const weft_format *b);

/**
 * weft_format_fixate: a fixed copy (see above). (transfer full) or NULL.
 * [any-thread]
 */
WEFT_API weft_format *weft_format_fixate(const weft_format *fmt);
/** True when no field holds a range or a list and the type is not `any`. */
WEFT_API bool weft_format_is_fixed(const weft_format *fmt);

/** (transfer none) the media type: "audio/pcm", "tensor", "any", ... */
WEFT_API const char *weft_format_media(const weft_format *fmt);
/** True when the media type is `any`. */
WEFT_API bool weft_format_is_any(const weft_format *fmt);

/** Field count and the @i-th field's name (transfer none), NULL past end. */
WEFT_API size_t weft_format_n_fields(const weft_format *fmt);
WEFT_API const char *weft_format_field_name(const weft_format *fmt, size_t i);
/** Type of field @name, WEFT_FV_NONE when absent. */
WEFT_API weft_fvalue_type weft_format_field_type(const weft_format *fmt,
                                                 const char *name);

/**
 * Typed getters of fixed fields: 0 on success, WEFT_ENOENT when absent,
 * WEFT_ETYPE when the field holds another type (an int field may be read
 * as float). Strings are (transfer none).
 */
WEFT_API int weft_format_get_int(const weft_format *fmt, const char *name,
                                 int64_t *v);
WEFT_API int weft_format_get_float(const weft_format *fmt, const char *name,
                                   double *v);
WEFT_API int weft_format_get_string(const weft_format *fmt, const char *name,
                                    const char **v);
WEFT_API int weft_format_get_bool(const weft_format *fmt, const char *name,
                                  bool *v);

/**
 * weft_format_get_shape: the `shape` field. @ndim receives the rank (or -1
 * for `shape=*`); up to @cap dims go to @dims, with -1 for a named or `*`
 * dimension. @names, when non-NULL, gets (transfer none) each dimension's
 * name or NULL. Returns 0, WEFT_ENOENT or WEFT_ETYPE.
 */
WEFT_API int weft_format_get_shape(const weft_format *fmt, int32_t *ndim,
                                   int64_t *dims, const char **names,
                                   size_t cap);

/**
 * Builders, for negotiate callbacks. weft_format_new makes a format with
 * media type @media and no fields ((transfer full), NULL on failure); the
 * setters change @fmt in place, replacing a field of the same name, and
 * return 0, WEFT_EINVAL or WEFT_ENOMEM. Only modify a format you have not
 * yet shared.
 */
WEFT_API weft_format *weft_format_new(const char *media);
WEFT_API int weft_format_set_int(weft_format *fmt, const char *name,
                                 int64_t v);
WEFT_API int weft_format_set_float(weft_format *fmt, const char *name,
                                   double v);
WEFT_API int weft_format_set_string(weft_format *fmt, const char *name,
                                    const char *v);
WEFT_API int weft_format_set_bool(weft_format *fmt, const char *name, bool v);
/** Set `shape`: @dims[i] >= 0 fixed, -1 named by @names[i] (or `*`). */
WEFT_API int weft_format_set_shape(weft_format *fmt, int32_t ndim,
                                   const int64_t *dims,
                                   const char *const *names);
/** Remove field @name; 0 or WEFT_ENOENT. */
WEFT_API int weft_format_remove(weft_format *fmt, const char *name);

WEFT_END_DECLS
#endif /* WEFT_FORMAT_H */
