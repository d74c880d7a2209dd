/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The representation of port formats, shared by format.c (parsing,
 * printing, getters, builders) and format-ops.c (intersection, subset,
 * equality, fixation). Nothing outside these two files includes it.
 */
#ifndef WEFT_FORMAT_PRIVATE_H
#define WEFT_FORMAT_PRIVATE_H

#include <weft/format.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct dim {
    int64_t size; /* >= 0 when fixed, -1 when free (named or '*') */
    char *name;   /* the name of a named free dimension, NULL otherwise */
} dim;

typedef struct fvalue fvalue;
struct fvalue {
    weft_fvalue_type type;
    union {
        int64_t i;
        double f;
        char *s;
        bool b;
        struct {
            int64_t lo, hi;
        } ir;
        struct {
            double lo, hi;
        } fr;
        struct {
            fvalue *items;
            size_t n;
        } list;
        struct {
            int32_t ndim; /* -1 for `shape=*` */
            dim *dims;
        } shape;
    } u;
};

typedef struct field {
    char *name;
    fvalue v;
} field;

struct weft_format {
    char *media;
    field *fields;
    size_t n, cap;
};

/* A growable string; an append that fails to allocate sets @oom. */
typedef struct sbuf {
    char *p;
    size_t len, cap;
    bool oom;
} sbuf;

/* Duplicate @s, or NULL when out of memory. */
char *weft__dup_s(const char *s);

/* Free what @v owns and leave it WEFT_FV_NONE. */
void weft__fvalue_clear(fvalue *v);

/* Deep copy; on failure @dst is WEFT_FV_NONE and WEFT_ENOMEM is returned. */
int weft__fvalue_copy(fvalue *dst, const fvalue *src);

/* Append @v to @sb in the canonical text form that the parser reads. */
void weft__print_value(sbuf *sb, const fvalue *v);

/* The field named @name, or NULL. */
const field *weft__find_field(const weft_format *fmt, const char *name);

/* Append a field, taking ownership of @name and @v even on failure. */
int weft__append_field(weft_format *fmt, char *name, fvalue *v);

/* A new format of media type @media with no fields, or NULL. */
weft_format *weft__format_alloc(const char *media);

#endif /* WEFT_FORMAT_PRIVATE_H */
