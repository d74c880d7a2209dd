/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cpu/elementwise.c: fp32 elementwise ops. Plain loops: the compiler
 * vectorizes them, and they are memory bound. out may alias an input
 * exactly, so no restrict qualifiers.
 */
#include <config.h>

#include "kinternal.h"

void weft__kcpu_add_f32(const float *a, const float *b, float *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = a[i] + b[i];
}

void weft__kcpu_mul_f32(const float *a, const float *b, float *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = a[i] * b[i];
}

void weft__kcpu_scale_f32(const float *x, float alpha, float *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = alpha * x[i];
}
