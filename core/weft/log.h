/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * weft/log.h: categorised logging.
 *
 * Messages belong to a category ("loader", "graph", "sched", a plugin's
 * name, ...) and have a level. Which levels pass is set by WEFT_DEBUG,
 * modelled on GST_DEBUG: a comma-separated list of `pattern:level` where
 * pattern is a category name or a glob (`*`, `ctc*`), e.g.
 * `WEFT_DEBUG=loader:4,*:2`. The last matching pattern wins. A bare level
 * (`WEFT_DEBUG=3`) means `*:3`. Without WEFT_DEBUG, errors and warnings
 * pass.
 *
 * The library never prints: messages that pass go to the installed handler.
 * No handler is installed by default; programs install one (the `weft`
 * command installs weft_log_handler_stderr), embedders route messages into
 * their own logging.
 */
#ifndef WEFT_LOG_H
#define WEFT_LOG_H

#include <stdarg.h>
#include <weft/common.h>

WEFT_BEGIN_DECLS

typedef uint32_t weft_log_level;
enum {
    WEFT_LOG_NONE = 0,
    WEFT_LOG_ERROR = 1,
    WEFT_LOG_WARNING = 2,
    WEFT_LOG_INFO = 3,
    WEFT_LOG_DEBUG = 4,
    WEFT_LOG_TRACE = 5
};
/** "error", "warning", ... [any-thread] */
WEFT_API const char *weft_log_level_name(weft_log_level level);

/**
 * The handler receives each message that passes the threshold. It may be
 * called from any thread, concurrently; it must not call back into the
 * logging API. @category and @msg are (transfer none).
 */
typedef void (*weft_log_fn)(weft_log_level level, const char *category,
                            const char *msg, void *user_data);

/** Install @fn (NULL: drop messages). [control] */
WEFT_API void weft_log_set_handler(weft_log_fn fn, void *user_data);
/**
 * A ready-made handler that writes "weft:LEVEL:CATEGORY: msg" to stderr,
 * for programs (not for library code to install). [any-thread]
 */
WEFT_API void weft_log_handler_stderr(weft_log_level level,
                                      const char *category, const char *msg,
                                      void *user_data);

/**
 * weft_log_set_spec: replace the thresholds with a WEFT_DEBUG-style spec.
 * Returns 0 or WEFT_EPARSE (the old thresholds stay). [control]
 */
WEFT_API int weft_log_set_spec(const char *spec);

/** The threshold that applies to @category. [any-thread] */
WEFT_API weft_log_level weft_log_threshold(const char *category);

/** Log a message if @level passes for @category. [any-thread] */
WEFT_API void weft_log(weft_log_level level, const char *category,
                       const char *fmt, ...) WEFT_PRINTF(3, 4);
WEFT_API void weft_logv(weft_log_level level, const char *category,
                        const char *fmt, va_list ap);

WEFT_END_DECLS
#endif /* WEFT_LOG_H */
