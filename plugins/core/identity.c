/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * identity: pass buffers through untouched. Its sleep_us and fail_after
 * properties make it a stand-in for a slow or failing node in tests.
 */
#include "core-util.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

typedef struct identity {
    int64_t sleep_us;
    int64_t fail_after; /* -1: never */
    int64_t passed;
} identity;

static int identity_init(weft_node *node)
{
    identity *s = calloc(1, sizeof *s);

    if (!s)
        return weft_node_error(node, WEFT_ENOMEM, "out of memory");
    weft_node_set_priv(node, s);
    s->sleep_us = weft_node_prop_int(node, "sleep_us");
    s->fail_after = weft_node_prop_int(node, "fail_after");
    return 0;
}

static int identity_negotiate(weft_node *node, const weft_format *const *in,
                              weft_format **out)
{
    /* An unlinked input cannot happen (the port is required); leaving
     * out[0] NULL would then mean the template. */
    if (in[0] && !(out[0] = weft_format_copy(in[0])))
        return weft_node_error(node, WEFT_ENOMEM, "out of memory");
    return 0;
}

static void sleep_us(int64_t us)
{
    struct timespec ts = { (time_t)(us / 1000000), (long)(us % 1000000) * 1000 };

    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

static weft_flow identity_process(weft_node *node)
{
    identity *s = weft_node_priv(node);
    weft_buf *b = NULL;
    weft_flow f;

    /* One buffer per call: the scheduler calls again while input remains
     * and output has room, which keeps backpressure exact. */
    f = weft_node_pop(node, 0, &b);
    if (f == WEFT_FLOW_AGAIN || f == WEFT_FLOW_FLUSHING)
        return WEFT_FLOW_OK;
    if (f != WEFT_FLOW_OK)
        return f;
    if (s->fail_after >= 0 && s->passed >= s->fail_after) {
        weft_buf_unref(b);
        weft_node_error(node, WEFT_ENODE,
                        "failing after %lld buffers, as fail_after asks",
                        (long long)s->passed);
        return WEFT_FLOW_ERROR;
    }
    if (s->sleep_us > 0)
        sleep_us(s->sleep_us);
    s->passed++;
    f = weft_node_push(node, 0, b);
    return f == WEFT_FLOW_EOS ? WEFT_FLOW_EOS : WEFT_FLOW_OK;
}

static void identity_fini(weft_node *node)
{
    free(weft_node_priv(node));
    weft_node_set_priv(node, NULL);
}

static const weft_port_desc inputs[] = {
    WEFT_PORT("in", "any", "Anything (`any`)."),
    WEFT_PORT_END
};

static const weft_port_desc outputs[] = {
    WEFT_PORT("out", "any", "The input buffers, in the input's format."),
    WEFT_PORT_END
};

static const weft_prop_desc props[] = {
    WEFT_PROP_INT("sleep_us", "0", 0, 60000000, "us",
                  "Sleep this long before passing each buffer on, to "
                  "simulate a slow node (0 to 60 s)."),
    WEFT_PROP_INT("fail_after", "-1", -1, 9e18, "buffers",
                  "Fail with an error on the buffer after this many have "
                  "passed (0 fails on the first); -1 never fails."),
    WEFT_PROP_END
};

const weft_node_class core_identity_class = {
    .struct_size = sizeof(weft_node_class),
    .name = "identity",
    .summary = "Pass buffers through unchanged",
    .doc =
        "Pushes every input buffer to its output as it is: the same "
        "reference, no copy, in the input's negotiated format. Mostly for "
        "tests and for experimenting with graphs: `sleep_us` makes it slow, "
        "to exercise backpressure and scheduling, and `fail_after` makes it "
        "fail after N buffers, to exercise error propagation.\n\n"
        "Example:\n"
        "    node slow = identity { sleep_us = 2000 }\n"
        "    src -> slow -> out",
    .inputs = inputs,
    .outputs = outputs,
    .props = props,
    .init = identity_init,
    .negotiate = identity_negotiate,
    .process = identity_process,
    .fini = identity_fini,
};
