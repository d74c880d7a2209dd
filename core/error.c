/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Error codes, flow names, version and the assertion hook. */
#include "config.h"

#include <stdlib.h>

#include <weft/common.h>
#include <weft/log.h>

const char *weft_version(void)
{
    return PACKAGE_VERSION;
}

const char *weft_strerror(int code)
{
    switch (code) {
    case WEFT_OK:
        return "success";
#define X(name, value, text) \
    case WEFT_##name:        \
        return text;
        WEFT_ERROR_LIST(X)
#undef X
    default:
        return "unknown error";
    }
}

const char *weft_errname(int code)
{
    switch (code) {
    case WEFT_OK:
        return "OK";
#define X(name, value, text) \
    case WEFT_##name:        \
        return #name;
        WEFT_ERROR_LIST(X)
#undef X
    default:
        return "EUNKNOWN";
    }
}

const char *weft_flow_name(weft_flow flow)
{
    switch (flow) {
    case WEFT_FLOW_OK:
        return "ok";
    case WEFT_FLOW_EOS:
        return "eos";
    case WEFT_FLOW_FLUSHING:
        return "flushing";
    case WEFT_FLOW_AGAIN:
        return "again";
    case WEFT_FLOW_ERROR:
        return "error";
    default:
        return "unknown";
    }
}

static weft_assert_fn assert_hook;

void weft_set_assert_hook(weft_assert_fn fn)
{
    assert_hook = fn;
}

void weft_assert_fail(const char *expr, const char *file, int line,
                      const char *func)
{
    weft_log(WEFT_LOG_ERROR, "assert", "%s:%d: %s: assertion failed: %s",
             file, line, func, expr);
    if (assert_hook)
        assert_hook(expr, file, line, func);
    /* A hook that returns has not handled the violation: the contract is
     * still broken, so stop before memory is corrupted further. */
    abort();
}
