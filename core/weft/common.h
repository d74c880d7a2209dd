/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * weft/common.h: export macro, thread tags, error codes and flow results.
 *
 * Thread tags used on every public function in Weft's headers (CLAP's idea):
 *   [any-thread]  may be called from any thread at any time.
 *   [control]     the thread that owns the graph or registry: it creates,
 *                 configures, starts, stops and frees them. Never concurrently
 *                 with another [control] call on the same object.
 *   [worker]      a scheduler worker thread (or the harness's caller) running
 *                 a node's process/flush callback. A node's callbacks never run
 *                 on two threads at once.
 *
 * Ownership words (GStreamer's): (transfer full) hands the reference or
 * allocation over to the callee or caller; (transfer none) lends it.
 */
#ifndef WEFT_COMMON_H
#define WEFT_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
#define WEFT_BEGIN_DECLS extern "C" {
#define WEFT_END_DECLS }
#else
#define WEFT_BEGIN_DECLS
#define WEFT_END_DECLS
#endif

#if defined(_WIN32)
#define WEFT_API __declspec(dllexport)
#elif defined(__GNUC__)
#define WEFT_API __attribute__((visibility("default")))
#else
#define WEFT_API
#endif

#if defined(__GNUC__)
#define WEFT_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define WEFT_PRINTF(f, a)
#endif

WEFT_BEGIN_DECLS

/** Version of this header set. Since: 0.1 */
#define WEFT_VERSION_MAJOR 0
#define WEFT_VERSION_MINOR 1
#define WEFT_VERSION_MICRO 0
#define WEFT_VERSION_STRING "0.1.0"

/** The library's version string, e.g. "0.1.0". [any-thread] */
WEFT_API const char *weft_version(void);

/*
 * Error codes: 0 is success, failures are negative. The X-list generates the
 * enum and weft_strerror()'s table so the two never drift apart.
 */
#define WEFT_ERROR_LIST(X)                                                   \
    X(ENOMEM, -1, "out of memory")                                           \
    X(EINVAL, -2, "invalid argument")                                        \
    X(ENOENT, -3, "not found")                                               \
    X(EIO, -4, "input/output error")                                         \
    X(EPARSE, -5, "parse error")                                             \
    X(ERANGE, -6, "value out of range")                                      \
    X(EFORMAT, -7, "formats cannot be negotiated")                           \
    X(EABI, -8, "unsupported plugin ABI version")                            \
    X(EPLUGIN, -9, "invalid plugin")                                         \
    X(EEXIST, -10, "already exists")                                         \
    X(ENOTSUP, -11, "not supported")                                         \
    X(ENODEV, -12, "no such device")                                         \
    X(ESTATE, -13, "invalid state for this call")                            \
    X(ETYPE, -14, "wrong type")                                              \
    X(ECUDA, -15, "CUDA error")                                              \
    X(ETIMEDOUT, -16, "timed out")                                           \
    X(EINTR, -17, "interrupted")                                             \
    X(ENODE, -18, "node failed")                                             \
    X(EINTERNAL, -19, "internal error")

typedef enum weft_error {
    WEFT_OK = 0,
#define WEFT_X_ENUM(name, value, text) WEFT_##name = value,
    WEFT_ERROR_LIST(WEFT_X_ENUM)
#undef WEFT_X_ENUM
    WEFT_ELAST = -20
} weft_error;

/**
 * weft_strerror: a static English sentence for an error code, "unknown error"
 * for codes it does not know. Never NULL. [any-thread]
 */
WEFT_API const char *weft_strerror(int code);

/**
 * weft_errname: the code's symbolic name ("EINVAL"), "EUNKNOWN" if unknown.
 * [any-thread]
 */
WEFT_API const char *weft_errname(int code);

/*
 * Flow results: what the data path returns. A node's process callback and
 * weft_node_push/pop speak these, not error codes, so that end of stream and
 * flushing are not mistaken for failures.
 */
typedef int32_t weft_flow;
enum {
    WEFT_FLOW_OK = 0,       /* carry on */
    WEFT_FLOW_EOS = 1,      /* end of stream: no more data will come/go */
    WEFT_FLOW_FLUSHING = 2, /* the pad is being flushed: drop and return */
    WEFT_FLOW_AGAIN = 3,    /* nothing available right now (pop) */
    WEFT_FLOW_ERROR = -1    /* failed: the node has recorded why */
};

/** Human name of a flow result ("ok", "eos", ...). [any-thread] */
WEFT_API const char *weft_flow_name(weft_flow flow);

/*
 * Contract violations abort through a hookable callback (after logging), the
 * way GLib's g_return_if_fail can be made fatal. Embedders that must never
 * abort install a hook that longjmps or records; the default calls abort().
 */
typedef void (*weft_assert_fn)(const char *expr, const char *file, int line,
                               const char *func);
/** Install the assertion hook; NULL restores the default. [control] */
WEFT_API void weft_set_assert_hook(weft_assert_fn fn);
/** Internal: called by WEFT_ASSERT on failure. [any-thread] */
WEFT_API void weft_assert_fail(const char *expr, const char *file, int line,
                               const char *func);
#define WEFT_ASSERT(e) \
    ((e) ? (void)0 : weft_assert_fail(#e, __FILE__, __LINE__, __func__))

WEFT_END_DECLS
#endif /* WEFT_COMMON_H */
