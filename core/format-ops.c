/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * format-ops.c: operations on port formats (weft/format.h): intersection,
 * subset and equality tests, and fixation. The value representation and its
 * invariants are described in format.c and declared in format-private.h.
 */
#include "format-private.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- values */

/* Integral doubles convert to int64 exactly; others are refused. */
static bool double_to_i64(double d, int64_t *out)
{
    if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0))
        return false;
    if (d != floor(d))
        return false;
    *out = (int64_t)d;
    return true;
}

static bool is_scalar(const fvalue *v)
{
    return v->type == WEFT_FV_INT || v->type == WEFT_FV_FLOAT ||
           v->type == WEFT_FV_STRING || v->type == WEFT_FV_BOOL;
}

static bool is_range(const fvalue *v)
{
    return v->type == WEFT_FV_INT_RANGE || v->type == WEFT_FV_FLOAT_RANGE;
}

/* Structural equality: the same type and the same value. */
static bool fvalue_equal(const fvalue *a, const fvalue *b)
{
    if (a->type != b->type)
        return false;
    switch (a->type) {
    case WEFT_FV_INT:
        return a->u.i == b->u.i;
    case WEFT_FV_FLOAT:
        return a->u.f == b->u.f;
    case WEFT_FV_STRING:
        return strcmp(a->u.s, b->u.s) == 0;
    case WEFT_FV_BOOL:
        return a->u.b == b->u.b;
    case WEFT_FV_INT_RANGE:
        return a->u.ir.lo == b->u.ir.lo && a->u.ir.hi == b->u.ir.hi;
    case WEFT_FV_FLOAT_RANGE:
        return a->u.fr.lo == b->u.fr.lo && a->u.fr.hi == b->u.fr.hi;
    case WEFT_FV_LIST:
        if (a->u.list.n != b->u.list.n)
            return false;
        for (size_t i = 0; i < a->u.list.n; i++)
            if (!fvalue_equal(&a->u.list.items[i], &b->u.list.items[i]))
                return false;
        return true;
    case WEFT_FV_SHAPE:
        if (a->u.shape.ndim != b->u.shape.ndim)
            return false;
        for (int32_t i = 0; i < a->u.shape.ndim; i++) {
            const dim *x = &a->u.shape.dims[i], *y = &b->u.shape.dims[i];
            if (x->size != y->size || !x->name != !y->name ||
                (x->name && strcmp(x->name, y->name) != 0))
                return false;
        }
        return true;
    default:
        return true;
    }
}

/*
 * Scalars match when they are the same value; an int and a float match when
 * the float is exactly that integer, so `rate=16000` accepts 16000.0.
 * @keep receives the scalar to keep: the int of a mixed pair, since ints are
 * exact and weft_format_get_float() reads them too.
 */
static bool scalar_match(const fvalue *a, const fvalue *b, const fvalue **keep)
{
    *keep = a;
    if (a->type == WEFT_FV_INT && b->type == WEFT_FV_FLOAT) {
        int64_t i;
        return double_to_i64(b->u.f, &i) && i == a->u.i;
    }
    if (a->type == WEFT_FV_FLOAT && b->type == WEFT_FV_INT) {
        *keep = b;
        return scalar_match(b, a, keep);
    }
    return fvalue_equal(a, b);
}

/* ---------------------------------------------------------- intersection */

/* Outcomes of value intersection, besides negative error codes. */
enum { EMPTY = 0, FOUND = 1 };

/*
 * Does scalar @x lie in the non-list, non-shape value @v? On success @out
 * gets a copy of the matching scalar (an int wins over an equal float).
 */
static int scalar_in(const fvalue *x, const fvalue *v, fvalue *out)
{
    const fvalue *keep = x;
    fvalue conv;

    if (is_scalar(v)) {
        if (!scalar_match(x, v, &keep))
            return EMPTY;
    } else if (v->type == WEFT_FV_INT_RANGE) {
        /* An int range holds integers only, so 2.5 is not in [1,5]. */
        int64_t i;
        if (x->type == WEFT_FV_INT)
            i = x->u.i;
        else if (x->type != WEFT_FV_FLOAT || !double_to_i64(x->u.f, &i))
            return EMPTY;
        if (i < v->u.ir.lo || i > v->u.ir.hi)
            return EMPTY;
        conv.type = WEFT_FV_INT;
        conv.u.i = i;
        keep = &conv;
    } else if (v->type == WEFT_FV_FLOAT_RANGE) {
        double d;
        if (x->type == WEFT_FV_INT)
            d = (double)x->u.i;
        else if (x->type == WEFT_FV_FLOAT)
            d = x->u.f;
        else
            return EMPTY;
        if (!(d >= v->u.fr.lo && d <= v->u.fr.hi))
            return EMPTY;
    } else {
        return EMPTY;
    }
    return weft__fvalue_copy(out, keep) ? WEFT_ENOMEM : FOUND;
}

/* Ceil/floor of a float bound as an int64, or false when out of range. */
static bool bound_lo(double d, int64_t *out)
{
    double c = ceil(d);
    if (c >= 9223372036854775808.0)
        return false;
    *out = c < -9223372036854775808.0 ? INT64_MIN : (int64_t)c;
    return true;
}

static bool bound_hi(double d, int64_t *out)
{
    double f = floor(d);
    if (f < -9223372036854775808.0)
        return false;
    *out = f >= 9223372036854775808.0 ? INT64_MAX : (int64_t)f;
    return true;
}

/* A range of one value collapses to that value. */
static int range_isect(const fvalue *a, const fvalue *b, fvalue *out)
{
    if (a->type == WEFT_FV_FLOAT_RANGE && b->type == WEFT_FV_FLOAT_RANGE) {
        double lo = fmax(a->u.fr.lo, b->u.fr.lo);
        double hi = fmin(a->u.fr.hi, b->u.fr.hi);
        if (lo > hi)
            return EMPTY;
        if (lo == hi) {
            out->type = WEFT_FV_FLOAT;
            out->u.f = lo;
        } else {
            out->type = WEFT_FV_FLOAT_RANGE;
            out->u.fr.lo = lo;
            out->u.fr.hi = hi;
        }
        return FOUND;
    }
    /* At least one side is an int range: the result holds integers. */
    int64_t alo, ahi, blo, bhi;
    if (a->type == WEFT_FV_INT_RANGE) {
        alo = a->u.ir.lo;
        ahi = a->u.ir.hi;
    } else if (!bound_lo(a->u.fr.lo, &alo) || !bound_hi(a->u.fr.hi, &ahi)) {
        return EMPTY;
    }
    if (b->type == WEFT_FV_INT_RANGE) {
        blo = b->u.ir.lo;
        bhi = b->u.ir.hi;
    } else if (!bound_lo(b->u.fr.lo, &blo) || !bound_hi(b->u.fr.hi, &bhi)) {
        return EMPTY;
    }
    int64_t lo = alo > blo ? alo : blo, hi = ahi < bhi ? ahi : bhi;
    if (lo > hi)
        return EMPTY;
    if (lo == hi) {
        out->type = WEFT_FV_INT;
        out->u.i = lo;
    } else {
        out->type = WEFT_FV_INT_RANGE;
        out->u.ir.lo = lo;
        out->u.ir.hi = hi;
    }
    return FOUND;
}

static int shape_isect(const fvalue *a, const fvalue *b, fvalue *out)
{
    if (a->u.shape.ndim < 0)
        return weft__fvalue_copy(out, b) ? WEFT_ENOMEM : FOUND;
    if (b->u.shape.ndim < 0)
        return weft__fvalue_copy(out, a) ? WEFT_ENOMEM : FOUND;
    if (a->u.shape.ndim != b->u.shape.ndim)
        return EMPTY;
    for (int32_t i = 0; i < a->u.shape.ndim; i++) {
        const dim *x = &a->u.shape.dims[i], *y = &b->u.shape.dims[i];
        if (x->size >= 0 && y->size >= 0 && x->size != y->size)
            return EMPTY;
    }
    if (weft__fvalue_copy(out, a))
        return WEFT_ENOMEM;
    /*
     * Keep the more constrained dimension: a fixed size beats a name, and a
     * name beats '*'. Between two names, @a's wins; each named dimension is
     * matched on its own (a repeated name is not a constraint).
     */
    for (int32_t i = 0; i < a->u.shape.ndim; i++) {
        dim *x = &out->u.shape.dims[i];
        const dim *y = &b->u.shape.dims[i];
        bool take = x->size < 0 && (y->size >= 0 || (!x->name && y->name));
        if (!take)
            continue;
        free(x->name);
        x->name = NULL;
        x->size = y->size;
        if (y->name && !(x->name = weft__dup_s(y->name))) {
            weft__fvalue_clear(out);
            return WEFT_ENOMEM;
        }
    }
    return FOUND;
}

static int value_isect(const fvalue *a, const fvalue *b, fvalue *out);

/*
 * Intersect list @l with @v item by item, in @l's order (the order of
 * preference, which fixation honours), dropping duplicates. One survivor
 * becomes a plain scalar.
 */
static int list_isect(const fvalue *l, const fvalue *v, bool list_first,
                      fvalue *out)
{
    fvalue *items = calloc(l->u.list.n, sizeof *items);
    size_t n = 0;
    int rc = 0;

    if (!items)
        return WEFT_ENOMEM;
    for (size_t i = 0; i < l->u.list.n; i++) {
        fvalue r = { 0 };
        rc = list_first ? value_isect(&l->u.list.items[i], v, &r)
                        : value_isect(v, &l->u.list.items[i], &r);
        if (rc < 0)
            goto out;
        if (rc == EMPTY)
            continue;
        bool dup = false;
        for (size_t j = 0; j < n && !dup; j++)
            dup = fvalue_equal(&items[j], &r);
        if (dup)
            weft__fvalue_clear(&r);
        else
            items[n++] = r;
    }
    if (n == 0) {
        rc = EMPTY;
    } else if (n == 1) {
        *out = items[0];
        n = 0;
        rc = FOUND;
    } else {
        out->type = WEFT_FV_LIST;
        out->u.list.items = items;
        out->u.list.n = n;
        return FOUND;
    }
out:
    for (size_t j = 0; j < n; j++)
        weft__fvalue_clear(&items[j]);
    free(items);
    return rc;
}

/*
 * The values both @a and @b accept. Returns FOUND with @out set, EMPTY, or
 * WEFT_ENOMEM. Lists hold scalars only, so the recursion is at most two
 * calls deep.
 */
static int value_isect(const fvalue *a, const fvalue *b, fvalue *out)
{
    out->type = WEFT_FV_NONE;
    if (a->type == WEFT_FV_SHAPE || b->type == WEFT_FV_SHAPE) {
        if (a->type != b->type)
            return EMPTY;
        return shape_isect(a, b, out);
    }
    if (a->type == WEFT_FV_LIST)
        return list_isect(a, b, true, out);
    if (b->type == WEFT_FV_LIST)
        return list_isect(b, a, false, out);
    if (is_scalar(a))
        return scalar_in(a, b, out);
    if (is_scalar(b))
        return scalar_in(b, a, out);
    return range_isect(a, b, out);
}

static void set_why(char *why, size_t whylen, const char *name,
                    const fvalue *a, const fvalue *b)
{
    sbuf sa = { 0 }, sb = { 0 };

    if (!why || !whylen)
        return;
    weft__print_value(&sa, a);
    weft__print_value(&sb, b);
    if (sa.oom || sb.oom)
        snprintf(why, whylen, "%s: no common value", name);
    else
        snprintf(why, whylen, "%s: %s vs %s", name, sa.p, sb.p);
    free(sa.p);
    free(sb.p);
}

WEFT_API weft_format *weft_format_intersect(const weft_format *a,
                                            const weft_format *b, char *why,
                                            size_t whylen)
{
    weft_format *r = NULL;
    bool a_any, b_any;

    if (why && whylen)
        why[0] = '\0';
    if (!a || !b)
        return NULL;
    a_any = strcmp(a->media, "any") == 0;
    b_any = strcmp(b->media, "any") == 0;
    if (!a_any && !b_any && strcmp(a->media, b->media) != 0) {
        if (why && whylen)
            snprintf(why, whylen, "media type: %s vs %s", a->media, b->media);
        return NULL;
    }
    r = weft__format_alloc(a_any ? b->media : a->media);
    if (!r)
        return NULL;
    /* @a's fields first, in order, then the fields only @b has. */
    for (size_t i = 0; i < a->n; i++) {
        const field *fa = &a->fields[i], *fb = weft__find_field(b, fa->name);
        fvalue v;
        char *name;
        int rc;

        if (fb) {
            rc = value_isect(&fa->v, &fb->v, &v);
            if (rc == EMPTY)
                set_why(why, whylen, fa->name, &fa->v, &fb->v);
            if (rc <= 0)
                goto fail;
        } else if (weft__fvalue_copy(&v, &fa->v)) {
            goto fail;
        }
        if (!(name = weft__dup_s(fa->name))) {
            weft__fvalue_clear(&v);
            goto fail;
        }
        if (weft__append_field(r, name, &v))
            goto fail;
    }
    for (size_t i = 0; i < b->n; i++) {
        const field *fb = &b->fields[i];
        fvalue v;
        char *name;

        if (weft__find_field(a, fb->name))
            continue;
        if (weft__fvalue_copy(&v, &fb->v))
            goto fail;
        if (!(name = weft__dup_s(fb->name))) {
            weft__fvalue_clear(&v);
            goto fail;
        }
        if (weft__append_field(r, name, &v))
            goto fail;
    }
    return r;
fail:
    weft_format_free(r);
    return NULL;
}

WEFT_API bool weft_format_can_intersect(const weft_format *a,
                                        const weft_format *b)
{
    weft_format *r = weft_format_intersect(a, b, NULL, 0);
    bool ok = r != NULL;
    weft_format_free(r);
    return ok;
}

/* ---------------------------------------------------------------- subset */

static bool value_subset(const fvalue *sub, const fvalue *sup);

/* Every integer of [lo,hi] lies in @sup (which is a list of scalars). */
static bool int_range_in_list(int64_t lo, int64_t hi, const fvalue *sup)
{
    /* A list can cover at most as many integers as it has items. */
    if ((uint64_t)hi - (uint64_t)lo >= sup->u.list.n)
        return false;
    for (int64_t i = lo;; i++) {
        fvalue x = { .type = WEFT_FV_INT, .u.i = i };
        if (!value_subset(&x, sup))
            return false;
        if (i == hi)
            return true;
    }
}

/* @sub accepts nothing that @sup rejects. Recursion is at most two deep. */
static bool value_subset(const fvalue *sub, const fvalue *sup)
{
    if (sub->type == WEFT_FV_SHAPE || sup->type == WEFT_FV_SHAPE) {
        if (sub->type != sup->type)
            return false;
        if (sup->u.shape.ndim < 0)
            return true;
        if (sub->u.shape.ndim != sup->u.shape.ndim)
            return false;
        for (int32_t i = 0; i < sub->u.shape.ndim; i++) {
            int64_t want = sup->u.shape.dims[i].size;
            if (want >= 0 && sub->u.shape.dims[i].size != want)
                return false;
        }
        return true;
    }
    if (sub->type == WEFT_FV_LIST) {
        for (size_t i = 0; i < sub->u.list.n; i++)
            if (!value_subset(&sub->u.list.items[i], sup))
                return false;
        return true;
    }
    if (is_scalar(sub)) {
        fvalue tmp;
        int rc;
        if (sup->type == WEFT_FV_LIST) {
            for (size_t i = 0; i < sup->u.list.n; i++)
                if (value_subset(sub, &sup->u.list.items[i]))
                    return true;
            return false;
        }
        /* scalar_in only copies scalars, and a failed copy means "no". */
        rc = scalar_in(sub, sup, &tmp);
        if (rc == FOUND)
            weft__fvalue_clear(&tmp);
        return rc == FOUND;
    }
    /* @sub is a range. */
    if (sub->type == WEFT_FV_INT_RANGE) {
        int64_t lo = sub->u.ir.lo, hi = sub->u.ir.hi;
        switch (sup->type) {
        case WEFT_FV_INT_RANGE:
            return lo >= sup->u.ir.lo && hi <= sup->u.ir.hi;
        case WEFT_FV_FLOAT_RANGE:
            return (double)lo >= sup->u.fr.lo && (double)hi <= sup->u.fr.hi;
        case WEFT_FV_LIST:
            return int_range_in_list(lo, hi, sup);
        default:
            if (lo != hi)
                return false;
            fvalue x = { .type = WEFT_FV_INT, .u.i = lo };
            return value_subset(&x, sup);
        }
    }
    /* A float range of more than one point holds non-integers too. */
    double lo = sub->u.fr.lo, hi = sub->u.fr.hi;
    if (sup->type == WEFT_FV_FLOAT_RANGE)
        return lo >= sup->u.fr.lo && hi <= sup->u.fr.hi;
    if (lo != hi)
        return false;
    fvalue x = { .type = WEFT_FV_FLOAT, .u.f = lo };
    return value_subset(&x, sup);
}

WEFT_API bool weft_format_is_subset(const weft_format *sub,
                                    const weft_format *super)
{
    if (!sub || !super)
        return false;
    if (strcmp(super->media, "any") != 0 &&
        strcmp(sub->media, super->media) != 0)
        return false;
    /* A field @super constrains must be at least as constrained in @sub. */
    for (size_t i = 0; i < super->n; i++) {
        const field *fs = weft__find_field(sub, super->fields[i].name);
        if (!fs || !value_subset(&fs->v, &super->fields[i].v))
            return false;
    }
    return true;
}

WEFT_API bool weft_format_equal(const weft_format *a, const weft_format *b)
{
    if (!a || !b)
        return a == b;
    if (strcmp(a->media, b->media) != 0 || a->n != b->n)
        return false;
    /* Field names are unique, so equal counts and a match for each of @a's
     * fields means the same set, whatever the order. */
    for (size_t i = 0; i < a->n; i++) {
        const field *fb = weft__find_field(b, a->fields[i].name);
        if (!fb || !fvalue_equal(&a->fields[i].v, &fb->v))
            return false;
    }
    return true;
}

/* -------------------------------------------------------------- fixation */

WEFT_API weft_format *weft_format_fixate(const weft_format *fmt)
{
    weft_format *c = weft_format_copy(fmt);

    if (!c)
        return NULL;
    for (size_t i = 0; i < c->n; i++) {
        fvalue *v = &c->fields[i].v;
        switch (v->type) {
        case WEFT_FV_INT_RANGE:
            v->type = WEFT_FV_INT;
            v->u.i = v->u.ir.lo;
            break;
        case WEFT_FV_FLOAT_RANGE:
            v->type = WEFT_FV_FLOAT;
            v->u.f = v->u.fr.lo;
            break;
        case WEFT_FV_LIST: {
            /* Keep the first item, the most preferred, and drop the rest. */
            fvalue first = v->u.list.items[0];
            for (size_t j = 1; j < v->u.list.n; j++)
                weft__fvalue_clear(&v->u.list.items[j]);
            free(v->u.list.items);
            *v = first;
            break;
        }
        default:
            break;
        }
    }
    return c;
}

WEFT_API bool weft_format_is_fixed(const weft_format *fmt)
{
    if (!fmt || strcmp(fmt->media, "any") == 0)
        return false;
    for (size_t i = 0; i < fmt->n; i++)
        if (is_range(&fmt->fields[i].v) ||
            fmt->fields[i].v.type == WEFT_FV_LIST)
            return false;
    return true;
}
