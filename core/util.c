/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Small string and time helpers used across the core. */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include <weft/registry.h>

char *weft__strdup(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

char *weft__vasprintf(const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return NULL;
    char *s = malloc((size_t)n + 1);
    if (s)
        vsnprintf(s, (size_t)n + 1, fmt, ap);
    return s;
}

char *weft__asprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = weft__vasprintf(fmt, ap);
    va_end(ap);
    return s;
}

void weft__set_err(char *buf, size_t len, const char *fmt, ...)
{
    if (!buf || len == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, len, fmt, ap);
    va_end(ap);
}

size_t weft__edit_distance(const char *a, const char *b, size_t cap)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 256 || lb > 256)
        return cap + 1; /* names are short; don't spend time on essays */
    size_t diff = la > lb ? la - lb : lb - la;
    if (diff > cap)
        return cap + 1;
    size_t prev[257], cur[257];
    for (size_t j = 0; j <= lb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        size_t best = cur[0];
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = tolower((unsigned char)a[i - 1]) ==
                                  tolower((unsigned char)b[j - 1])
                              ? 0
                              : 1;
            size_t v = prev[j - 1] + cost;
            if (prev[j] + 1 < v)
                v = prev[j] + 1;
            if (cur[j - 1] + 1 < v)
                v = cur[j - 1] + 1;
            cur[j] = v;
            if (v < best)
                best = v;
        }
        if (best > cap)
            return cap + 1;
        memcpy(prev, cur, (lb + 1) * sizeof *prev);
    }
    return prev[lb] > cap ? cap + 1 : prev[lb];
}

const char *weft_suggest(const char *name, const char *const *candidates,
                         size_t n)
{
    if (!name || !candidates)
        return NULL;
    size_t len = strlen(name);
    /* A third of the name's length, at least 2: close enough to be a typo,
     * far enough that "did you mean" does not propose nonsense. */
    size_t cap = len / 3 > 2 ? len / 3 : 2;
    const char *best = NULL;
    size_t best_d = cap + 1;
    for (size_t i = 0; i < n; i++) {
        if (!candidates[i])
            continue;
        size_t d = weft__edit_distance(name, candidates[i], cap);
        if (d < best_d) {
            best_d = d;
            best = candidates[i];
        }
    }
    return best;
}

int64_t weft__now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
