/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Internal helpers shared by libweft's files. Nothing here is installed or
 * exported; names carry the weft__ prefix.
 */
#ifndef WEFT_INTERNAL_H
#define WEFT_INTERNAL_H

#include <stdarg.h>
#include <weft/common.h>

/* strdup that tolerates NULL (returns NULL) and never sets errno oddly. */
char *weft__strdup(const char *s);
/* malloc'd printf; NULL when out of memory. */
char *weft__asprintf(const char *fmt, ...) WEFT_PRINTF(1, 2);
char *weft__vasprintf(const char *fmt, va_list ap);
/* snprintf into a caller's error buffer, tolerating buf == NULL. */
void weft__set_err(char *buf, size_t len, const char *fmt, ...)
    WEFT_PRINTF(3, 4);
/* Case-insensitive Levenshtein distance, capped at @cap + 1. */
size_t weft__edit_distance(const char *a, const char *b, size_t cap);
/* CLOCK_MONOTONIC in nanoseconds. */
int64_t weft__now_ns(void);

#endif
