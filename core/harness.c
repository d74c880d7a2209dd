/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The node test harness: one node, in-memory queues on its ports, and the
 * scheduler's readiness rules applied on the caller's thread.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "class.h"
#include "internal.h"
#include "node.h"
#include <weft/harness.h>

typedef struct bufq {
    weft_buf **items;
    size_t head, n, cap;
} bufq;

struct weft_harness {
    weft__class *own_class; /* when built from a class outside a registry */
    weft_node *node;
    bufq *in, *out;
    bool *in_eos;
    weft_format **in_fmt;
    bool started, finished, final_called;
    uint64_t pops; /* progress marker: a call that pops nothing stops loops */
    int64_t clock;
    char err[512];
};

static int q_push(bufq *q, weft_buf *b)
{
    if (q->n == q->cap) {
        size_t cap = q->cap ? q->cap * 2 : 16;
        weft_buf **it = malloc(cap * sizeof *it);
        if (!it)
            return WEFT_ENOMEM;
        for (size_t i = 0; i < q->n; i++)
            it[i] = q->items[(q->head + i) % q->cap];
        free(q->items);
        q->items = it;
        q->cap = cap;
        q->head = 0;
    }
    q->items[(q->head + q->n) % q->cap] = b;
    q->n++;
    return 0;
}

static weft_buf *q_pop(bufq *q)
{
    if (!q->n)
        return NULL;
    weft_buf *b = q->items[q->head];
    q->head = (q->head + 1) % q->cap;
    q->n--;
    return b;
}

static void q_clear(bufq *q)
{
    weft_buf *b;
    while ((b = q_pop(q)))
        weft_buf_unref(b);
    free(q->items);
    memset(q, 0, sizeof *q);
}

static weft_flow h_pop(void *ctx, weft_node *node, uint32_t port,
                       weft_buf **out)
{
    (void)node;
    weft_harness *h = ctx;
    *out = q_pop(&h->in[port]);
    if (*out) {
        h->pops++;
        return WEFT_FLOW_OK;
    }
    return h->in_eos[port] ? WEFT_FLOW_EOS : WEFT_FLOW_AGAIN;
}

static const weft_buf *h_peek(void *ctx, const weft_node *node, uint32_t port)
{
    (void)node;
    weft_harness *h = ctx;
    bufq *q = &h->in[port];
    return q->n ? q->items[q->head] : NULL;
}

static uint32_t h_queued(void *ctx, const weft_node *node, uint32_t port)
{
    (void)node;
    weft_harness *h = ctx;
    return (uint32_t)h->in[port].n;
}

static weft_flow h_push(void *ctx, weft_node *node, uint32_t port,
                        weft_buf *buf)
{
    (void)node;
    weft_harness *h = ctx;
    if (q_push(&h->out[port], buf) < 0) {
        weft_buf_unref(buf);
        return WEFT_FLOW_ERROR;
    }
    return WEFT_FLOW_OK;
}

static int64_t h_clock(void *ctx)
{
    return ((weft_harness *)ctx)->clock;
}

static const weft__node_io harness_io = {h_pop, h_peek, h_queued, h_push,
                                         h_clock};

int weft_harness_new_class(const weft_node_class *cls, weft_harness **out)
{
    *out = NULL;
    char err[256];
    if (weft__class_check(cls, err, sizeof err) < 0)
        return WEFT_EPLUGIN;
    weft_harness *h = calloc(1, sizeof *h);
    if (!h)
        return WEFT_ENOMEM;
    h->own_class = weft__class_dup(cls);
    if (!h->own_class) {
        free(h);
        return WEFT_ENOMEM;
    }
    int rc = weft__node_new(&h->own_class->cls, NULL, &h->node, h->err,
                            sizeof h->err);
    if (rc < 0) {
        weft_harness_free(h);
        return rc;
    }
    uint32_t ni = h->node->n_in, no = h->node->n_out;
    h->in = calloc(ni + 1, sizeof *h->in);
    h->out = calloc(no + 1, sizeof *h->out);
    h->in_eos = calloc(ni + 1, sizeof *h->in_eos);
    h->in_fmt = calloc(ni + 1, sizeof *h->in_fmt);
    if (!h->in || !h->out || !h->in_eos || !h->in_fmt) {
        weft_harness_free(h);
        return WEFT_ENOMEM;
    }
    weft__node_set_io(h->node, &harness_io, h);
    *out = h;
    return 0;
}

int weft_harness_new(const weft_registry *reg, const char *name,
                     weft_harness **out)
{
    const weft_node_class *cls = weft_registry_find(reg, name);
    if (!cls) {
        *out = NULL;
        return WEFT_ENOENT;
    }
    return weft_harness_new_class(cls, out);
}

void weft_harness_free(weft_harness *h)
{
    if (!h)
        return;
    uint32_t ni = h->node ? h->node->n_in : 0, no = h->node ? h->node->n_out : 0;
    weft__node_free(h->node);
    for (uint32_t i = 0; h->in && i < ni; i++)
        q_clear(&h->in[i]);
    for (uint32_t i = 0; h->out && i < no; i++)
        q_clear(&h->out[i]);
    for (uint32_t i = 0; h->in_fmt && i < ni; i++)
        weft_format_free(h->in_fmt[i]);
    free(h->in);
    free(h->out);
    free(h->in_eos);
    free(h->in_fmt);
    weft__class_free(h->own_class);
    free(h);
}

static void note_error(weft_harness *h)
{
    const char *m = weft_node_error_message(h->node);
    if (m)
        snprintf(h->err, sizeof h->err, "node '%s' (%s): %s", h->node->name,
                 h->node->cls->name, m);
}

int weft_harness_set_prop(weft_harness *h, const char *name,
                          const char *value)
{
    if (h->started)
        return WEFT_ESTATE;
    char why[400];
    int rc = weft__node_set_prop(h->node, name, value, why, sizeof why);
    if (rc < 0)
        snprintf(h->err, sizeof h->err, "property '%s': %s", name, why);
    return rc;
}

int weft_harness_set_props_v(weft_harness *h, va_list ap)
{
    const char *k;
    while ((k = va_arg(ap, const char *))) {
        const char *v = va_arg(ap, const char *);
        int rc = weft_harness_set_prop(h, k, v ? v : "");
        if (rc < 0)
            return rc;
    }
    return 0;
}

int weft_harness_set_props(weft_harness *h, ...)
{
    va_list ap;
    va_start(ap, h);
    int rc = weft_harness_set_props_v(h, ap);
    va_end(ap);
    return rc;
}

int weft_harness_set_input_format(weft_harness *h, uint32_t port,
                                  const char *format)
{
    if (h->started || port >= h->node->n_in)
        return h->started ? WEFT_ESTATE : WEFT_EINVAL;
    weft_format *f;
    int rc = weft_format_parse(format, &f, h->err, sizeof h->err);
    if (rc < 0)
        return rc;
    weft_format_free(h->in_fmt[port]);
    h->in_fmt[port] = f;
    return 0;
}

int weft_harness_unlink_output(weft_harness *h, uint32_t port)
{
    if (h->started || port >= h->node->n_out)
        return h->started ? WEFT_ESTATE : WEFT_EINVAL;
    h->node->out_linked[port] = false;
    return 0;
}

int weft_harness_start(weft_harness *h)
{
    if (h->started)
        return WEFT_ESTATE;
    int rc = weft__node_init(h->node);
    if (rc == 0) {
        /* An input given no format is offered its own template. */
        const weft_format **in = calloc(h->node->n_in + 1, sizeof *in);
        if (!in)
            return WEFT_ENOMEM;
        for (uint32_t i = 0; i < h->node->n_in; i++)
            in[i] = h->in_fmt[i] ? h->in_fmt[i] : h->node->in_tmpl[i];
        rc = weft__node_negotiate(h->node, in);
        free(in);
    }
    if (rc < 0) {
        note_error(h);
        return rc;
    }
    h->started = true;
    return 0;
}

static bool all_inputs_done(const weft_harness *h)
{
    for (uint32_t i = 0; i < h->node->n_in; i++)
        if (!h->in_eos[i] || h->in[i].n)
            return false;
    return true;
}

static bool is_ready(const weft_harness *h)
{
    const weft_node *n = h->node;
    if (h->finished)
        return false;
    if (n->n_in == 0)
        return true;
    bool any = false, all = true;
    for (uint32_t i = 0; i < n->n_in; i++) {
        bool has = h->in[i].n > 0;
        any |= has;
        all &= has || h->in_eos[i] || !n->in_linked[i];
    }
    if (n->cls->flags & WEFT_NODE_ANY_INPUT)
        return any;
    return any && all;
}

static void finish(weft_harness *h)
{
    h->finished = true;
}

/* Run process while the node is ready and makes progress; then, once every
 * input has ended, the final call that lets it push what it holds. */
static weft_flow drive(weft_harness *h)
{
    weft_flow last = WEFT_FLOW_OK;
    while (is_ready(h) && h->node->n_in > 0) {
        uint64_t before = h->pops;
        last = weft__node_process(h->node);
        if (last == WEFT_FLOW_ERROR) {
            note_error(h);
            finish(h);
            return last;
        }
        if (last == WEFT_FLOW_EOS) {
            finish(h);
            return last;
        }
        if (h->pops == before)
            break; /* the node consumed nothing: waiting for more input */
    }
    if (!h->finished && h->node->n_in > 0 && all_inputs_done(h) &&
        !h->final_called) {
        h->final_called = true;
        last = weft__node_process(h->node);
        if (last == WEFT_FLOW_ERROR)
            note_error(h);
        finish(h);
    }
    return last;
}

weft_flow weft_harness_push(weft_harness *h, uint32_t port, weft_buf *buf)
{
    if (!h->started || port >= h->node->n_in || h->in_eos[port]) {
        weft_buf_unref(buf);
        return WEFT_FLOW_ERROR;
    }
    if (h->finished) {
        weft_buf_unref(buf); /* nobody wants more, as downstream of EOS */
        return WEFT_FLOW_EOS;
    }
    if (q_push(&h->in[port], buf) < 0) {
        weft_buf_unref(buf);
        return WEFT_FLOW_ERROR;
    }
    return drive(h);
}

weft_flow weft_harness_push_eos(weft_harness *h, uint32_t port)
{
    if (!h->started || port >= h->node->n_in)
        return WEFT_FLOW_ERROR;
    h->in_eos[port] = true;
    return drive(h);
}

weft_flow weft_harness_step(weft_harness *h)
{
    if (!h->started)
        return WEFT_FLOW_ERROR;
    if (h->node->n_in > 0)
        return is_ready(h) ? drive(h) : WEFT_FLOW_AGAIN;
    if (h->finished)
        return WEFT_FLOW_EOS;
    weft_flow f = weft__node_process(h->node);
    if (f == WEFT_FLOW_ERROR)
        note_error(h);
    if (f == WEFT_FLOW_EOS || f == WEFT_FLOW_ERROR)
        finish(h);
    return f;
}

weft_flow weft_harness_run(weft_harness *h, uint64_t max_calls)
{
    weft_flow f = WEFT_FLOW_OK;
    for (uint64_t i = 0; i < max_calls && !h->finished; i++) {
        f = weft_harness_step(h);
        if (f == WEFT_FLOW_ERROR || f == WEFT_FLOW_EOS || f == WEFT_FLOW_AGAIN)
            break;
    }
    return f;
}

weft_buf *weft_harness_pull(weft_harness *h, uint32_t port)
{
    return port < h->node->n_out ? q_pop(&h->out[port]) : NULL;
}

size_t weft_harness_available(const weft_harness *h, uint32_t port)
{
    return port < h->node->n_out ? h->out[port].n : 0;
}

bool weft_harness_finished(const weft_harness *h)
{
    return h->finished;
}

int weft_harness_flush(weft_harness *h)
{
    for (uint32_t i = 0; i < h->node->n_in; i++) {
        weft_buf *b;
        while ((b = q_pop(&h->in[i])))
            weft_buf_unref(b);
    }
    int rc = weft__node_flush(h->node);
    if (rc < 0)
        note_error(h);
    return rc;
}

void weft_harness_set_clock(weft_harness *h, int64_t ns)
{
    h->clock = ns;
}

weft_node *weft_harness_node(weft_harness *h)
{
    return h->node;
}

const weft_format *weft_harness_output_format(const weft_harness *h,
                                              uint32_t port)
{
    return h->started ? weft_node_output_format(h->node, port) : NULL;
}

const char *weft_harness_error(const weft_harness *h)
{
    return h->err;
}
