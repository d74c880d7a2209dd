/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Categorised logging with WEFT_DEBUG thresholds. The spec is read once,
 * lazily, so a program can set WEFT_DEBUG before its first Weft call; the
 * thresholds are swapped atomically so workers can log while a control
 * thread changes them.
 */
#include "config.h"

#include <fnmatch.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"
#include <weft/log.h>

#define MAX_RULES 32
#define MAX_PATTERN 64

typedef struct rule {
    char pattern[MAX_PATTERN];
    weft_log_level level;
} rule;

typedef struct spec {
    struct spec *older; /* keeps retired specs reachable (see below) */
    size_t n;
    rule rules[MAX_RULES];
} spec;

/* Specs are never freed once published: a worker may be reading the old
 * one while a new one is installed, and specs are tiny and rarely set. */
static _Atomic(spec *) current;
static pthread_once_t env_once = PTHREAD_ONCE_INIT;
static _Atomic(weft_log_fn) handler;
static void *_Atomic handler_data;

const char *weft_log_level_name(weft_log_level level)
{
    static const char *const names[] = {"none", "error", "warning",
                                        "info", "debug", "trace"};
    return level <= WEFT_LOG_TRACE ? names[level] : "unknown";
}

static int parse_level(const char *s, size_t n, weft_log_level *out)
{
    if (n == 1 && s[0] >= '0' && s[0] <= '9') {
        *out = (weft_log_level)(s[0] - '0');
        if (*out > WEFT_LOG_TRACE)
            *out = WEFT_LOG_TRACE;
        return 0;
    }
    for (weft_log_level l = WEFT_LOG_NONE; l <= WEFT_LOG_TRACE; l++) {
        const char *name = weft_log_level_name(l);
        if (strlen(name) == n && strncasecmp(name, s, n) == 0) {
            *out = l;
            return 0;
        }
    }
    return WEFT_EPARSE;
}

static int parse_spec(const char *text, spec *sp)
{
    sp->n = 0;
    const char *p = text;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        while (len && (*p == ' ' || *p == '\t')) {
            p++;
            len--;
        }
        while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
            len--;
        if (len) {
            if (sp->n == MAX_RULES)
                return WEFT_EPARSE;
            rule *r = &sp->rules[sp->n];
            const char *colon = memchr(p, ':', len);
            const char *lv = colon ? colon + 1 : p;
            size_t lvlen = colon ? len - (size_t)(colon - p) - 1 : len;
            size_t plen = colon ? (size_t)(colon - p) : 1;
            if (plen == 0 || plen >= MAX_PATTERN)
                return WEFT_EPARSE;
            memcpy(r->pattern, colon ? p : "*", plen);
            r->pattern[plen] = '\0';
            if (parse_level(lv, lvlen, &r->level) < 0)
                return WEFT_EPARSE;
            sp->n++;
        }
        if (!end)
            break;
        p = end + 1;
    }
    return 0;
}

static void install(spec *sp)
{
    sp->older = atomic_exchange(&current, sp);
}

static void read_env(void)
{
    const char *env = getenv("WEFT_DEBUG");
    spec *sp = calloc(1, sizeof *sp);
    if (!sp)
        return;
    if (!env || parse_spec(env, sp) < 0) {
        /* No (or a broken) spec: errors and warnings pass. */
        sp->n = 1;
        strcpy(sp->rules[0].pattern, "*");
        sp->rules[0].level = WEFT_LOG_WARNING;
    }
    spec *expected = NULL;
    if (!atomic_compare_exchange_strong(&current, &expected, sp))
        free(sp); /* weft_log_set_spec won the race */
}

int weft_log_set_spec(const char *text)
{
    if (!text)
        return WEFT_EINVAL;
    spec *sp = calloc(1, sizeof *sp);
    if (!sp)
        return WEFT_ENOMEM;
    if (parse_spec(text, sp) < 0) {
        free(sp);
        return WEFT_EPARSE;
    }
    pthread_once(&env_once, read_env);
    install(sp);
    return 0;
}

weft_log_level weft_log_threshold(const char *category)
{
    pthread_once(&env_once, read_env);
    spec *sp = atomic_load(&current);
    weft_log_level level = WEFT_LOG_WARNING;
    if (!sp)
        return level;
    for (size_t i = 0; i < sp->n; i++)
        if (fnmatch(sp->rules[i].pattern, category ? category : "", 0) == 0)
            level = sp->rules[i].level; /* the last match wins */
    return level;
}

void weft_log_set_handler(weft_log_fn fn, void *user_data)
{
    atomic_store(&handler_data, user_data);
    atomic_store(&handler, fn);
}

void weft_log_handler_stderr(weft_log_level level, const char *category,
                             const char *msg, void *user_data)
{
    (void)user_data;
    fprintf(stderr, "weft:%s:%s: %s\n", weft_log_level_name(level),
            category ? category : "", msg);
}

void weft_logv(weft_log_level level, const char *category, const char *fmt,
               va_list ap)
{
    weft_log_fn fn = atomic_load(&handler);
    if (!fn || level == WEFT_LOG_NONE || level > weft_log_threshold(category))
        return;
    char small[512];
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(small, sizeof small, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return;
    if ((size_t)n < sizeof small) {
        fn(level, category, small, atomic_load(&handler_data));
        return;
    }
    char *big = weft__vasprintf(fmt, ap);
    fn(level, category, big ? big : small, atomic_load(&handler_data));
    free(big);
}

void weft_log(weft_log_level level, const char *category, const char *fmt,
              ...)
{
    va_list ap;
    va_start(ap, fmt);
    weft_logv(level, category, fmt, ap);
    va_end(ap);
}
