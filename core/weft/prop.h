/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * weft/prop.h: typed node properties.
 *
 * A node class declares its properties with weft_prop_desc entries (use the
 * WEFT_PROP_* macros in weft/plugin.h). Values arrive as text, from a graph
 * file, the command line or weft_node_set_prop(), and are parsed against the
 * descriptor with precise errors:
 *
 *   bool    true, false (also yes/no, on/off, 1/0)
 *   int     decimal or 0x hex, with an SI suffix k/M/G where the property
 *           has a unit ("16k" = 16000); range-checked
 *   float   decimal/exponent, with a unit: for unit "s" the suffixes
 *           ns, us, ms, s, min; for "Hz" k/M/kHz/MHz/Hz; else k/M/G
 *   string  any text ("quoted" with C escapes, or bare)
 *   enum    one of the declared choices (the error lists them)
 *   path    a file name, stored as given; a node resolves a relative one
 *           against weft_node_base_dir() (the graph file's directory).
 *           An optional path without a default may be "" (no file)
 *   list    `[a, b, c]` of the element type
 *
 * Parsed values (weft_value) are immutable and owned by the node that holds
 * them; accessors return (transfer none) views.
 */
#ifndef WEFT_PROP_H
#define WEFT_PROP_H

#include <weft/common.h>

WEFT_BEGIN_DECLS

typedef uint32_t weft_prop_type;
enum {
    WEFT_PROP_BOOL = 1,
    WEFT_PROP_INT = 2,
    WEFT_PROP_FLOAT = 3,
    WEFT_PROP_STRING = 4,
    WEFT_PROP_ENUM = 5,
    WEFT_PROP_PATH = 6,
    WEFT_PROP_LIST = 7
};
/** "bool", "int", ... [any-thread] */
WEFT_API const char *weft_prop_type_name(weft_prop_type t);

typedef uint32_t weft_prop_flags;
enum {
    WEFT_PROP_REQUIRED = 1u << 0, /* no default: the graph must set it */
    WEFT_PROP_HAS_MIN = 1u << 1,  /* min is meaningful */
    WEFT_PROP_HAS_MAX = 1u << 2,  /* max is meaningful */
    WEFT_PROP_RUNTIME = 1u << 3   /* may change while the graph runs */
};

/**
 * weft_prop_desc: one property of a node class. Arrays of these end with a
 * zeroed entry; struct_size is sizeof(weft_prop_desc) as the plugin saw it,
 * so the core can step through arrays built against an older, shorter
 * version. The struct only grows at the end.
 */
typedef struct weft_prop_desc {
    uint32_t struct_size;
    weft_prop_type type;
    const char *name;          /* lower_snake_case */
    const char *doc;           /* one or more sentences */
    const char *default_value; /* text parsed like a graph value; NULL if
                                  WEFT_PROP_REQUIRED */
    const char *unit;          /* "Hz", "s", "frames", ... or NULL */
    double min, max;           /* inclusive bounds (see flags) */
    const char *const *choices;/* ENUM: NULL-terminated list of names */
    weft_prop_type elem_type;  /* LIST: type of the elements */
    weft_prop_flags flags;
} weft_prop_desc;

/** A parsed, immutable property value. */
typedef struct weft_value weft_value;

/**
 * weft_value_parse: parse @text against @desc.
 * @out: (transfer full) the value. @err/@errlen: a one-line reason on
 * failure, e.g. "expected one of: povey, hamming, hann, rectangular" or
 * "65536 is above the maximum 48000". Returns 0, WEFT_EPARSE, WEFT_ERANGE,
 * WEFT_ETYPE or WEFT_ENOMEM. [any-thread]
 */
WEFT_API int weft_value_parse(const weft_prop_desc *desc, const char *text,
                              weft_value **out, char *err, size_t errlen);
/** Free a value. NULL-safe. [any-thread] */
WEFT_API void weft_value_free(weft_value *v);
/** Deep copy; NULL when out of memory. [any-thread] */
WEFT_API weft_value *weft_value_copy(const weft_value *v);

WEFT_API weft_prop_type weft_value_type(const weft_value *v);
WEFT_API bool weft_value_bool(const weft_value *v);
WEFT_API int64_t weft_value_int(const weft_value *v);
/** Float value; an INT value converts. */
WEFT_API double weft_value_float(const weft_value *v);
/** String, enum name or path; (transfer none). */
WEFT_API const char *weft_value_string(const weft_value *v);
/** Enum: index of the choice. */
WEFT_API int32_t weft_value_enum(const weft_value *v);
/** List length and element @i ((transfer none)). */
WEFT_API size_t weft_value_list_len(const weft_value *v);
WEFT_API const weft_value *weft_value_list_at(const weft_value *v, size_t i);

/**
 * weft_value_to_string: canonical text that parses back to the same value
 * (strings quoted when needed). (transfer full): free() it. [any-thread]
 */
WEFT_API char *weft_value_to_string(const weft_value *v);

/**
 * weft_prop_desc_check: validate a descriptor (name, type, default parses,
 * choices for enums, min <= max). 0 or WEFT_EPLUGIN with a reason in @err.
 */
WEFT_API int weft_prop_desc_check(const weft_prop_desc *desc, char *err,
                                  size_t errlen);

WEFT_END_DECLS
#endif /* WEFT_PROP_H */
