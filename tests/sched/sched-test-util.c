/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Test-local node classes for the scheduler tests (see the header). */
#include "sched-test-util.h"

#include <check.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ helpers */

static atomic_int reentered; /* see t.merge */

static weft_buf *scalar(float v, int64_t pts)
{
    int64_t shape[1] = {1};
    weft_buf *b = weft_buf_new_tensor(WEFT_DTYPE_F32, 1, shape,
                                      WEFT_DOMAIN_HOST, 0);
    if (b) {
        *(float *)weft_buf_data(b) = v;
        weft_buf_set_pts(b, pts);
        weft_buf_set_duration(b, 1000000);
    }
    return b;
}

static float value(const weft_buf *b)
{
    return *(const float *)weft_buf_cdata(b);
}

/* ------------------------------------------------------------ t.seq */

typedef struct seq {
    int64_t count, burst, next;
} seq;

static int seq_init(weft_node *n)
{
    seq *s = calloc(1, sizeof *s);
    if (!s)
        return WEFT_ENOMEM;
    s->count = weft_node_prop_int(n, "count");
    s->burst = weft_node_prop_int(n, "burst");
    weft_node_set_priv(n, s);
    weft_node_set_media_duration(n, s->count * 1000000);
    return 0;
}

static weft_flow seq_process(weft_node *n)
{
    seq *s = weft_node_priv(n);
    for (int64_t k = 0; k < s->burst && s->next < s->count; k++) {
        weft_buf *b = scalar((float)s->next, s->next * 1000000);
        s->next++;
        if (weft_node_push(n, 0, b) == WEFT_FLOW_EOS)
            return WEFT_FLOW_EOS;
    }
    return s->next >= s->count ? WEFT_FLOW_EOS : WEFT_FLOW_OK;
}

static void free_priv(weft_node *n)
{
    free(weft_node_priv(n));
}

static const weft_port_desc scalar_out[] = {
    WEFT_PORT("out", "tensor dtype=f32 shape=[1]", "Scalars."), WEFT_PORT_END};
static const weft_prop_desc seq_props[] = {
    WEFT_PROP_INT("count", "10", 0, 1e12, NULL, "Buffers."),
    WEFT_PROP_INT("burst", "1", 1, 1e9, NULL, "Buffers per call."),
    WEFT_PROP_END};
static const weft_node_class seq_class = {
    .struct_size = sizeof(weft_node_class),
    .name = "t.seq",
    .summary = "Scalars 0..count-1",
    .flags = WEFT_NODE_SOURCE,
    .outputs = scalar_out,
    .props = seq_props,
    .init = seq_init,
    .process = seq_process,
    .fini = free_priv,
};

/* ------------------------------------------------------------ t.collect */

static int collect_init(weft_node *n)
{
    collect *c = calloc(1, sizeof *c);
    if (!c)
        return WEFT_ENOMEM;
    c->vals = malloc(COLLECT_MAX * sizeof *c->vals);
    weft_node_set_priv(n, c);
    return c->vals ? 0 : WEFT_ENOMEM;
}

static weft_flow collect_process(weft_node *n)
{
    collect *c = weft_node_priv(n);
    size_t popped = 0;
    if (atomic_fetch_add(&c->busy, 1) != 0)
        atomic_fetch_add(&reentered, 1);
    for (uint32_t p = 0;; ) {
        weft_buf *b;
        weft_flow f = weft_node_pop(n, p, &b);
        if (f == WEFT_FLOW_OK) {
            if (c->n < COLLECT_MAX)
                c->vals[c->n++] = value(b);
            weft_buf_unref(b);
            popped++;
            continue;
        }
        if (f == WEFT_FLOW_EOS && ++p < weft_node_n_inputs(n))
            continue;
        /* Called with nothing to pop and every input ended: the final
         * call (an ANY_INPUT node is otherwise only called with data). */
        if (f == WEFT_FLOW_EOS && !popped)
            c->final_calls++;
        atomic_fetch_sub(&c->busy, 1);
        return WEFT_FLOW_OK;
    }
}

static void collect_fini(weft_node *n)
{
    collect *c = weft_node_priv(n);
    if (c)
        free(c->vals);
    free(c);
}

static const weft_port_desc any_multi_in[] = {
    WEFT_PORT_F("in", "any", WEFT_PORT_MULTI, "Anything."), WEFT_PORT_END};
static const weft_node_class collect_class = {
    .struct_size = sizeof(weft_node_class),
    .name = "t.collect",
    .summary = "Record values",
    .flags = WEFT_NODE_SINK | WEFT_NODE_ANY_INPUT,
    .inputs = any_multi_in,
    .init = collect_init,
    .process = collect_process,
    .fini = collect_fini,
};

/* ------------------------------------------------------------ t.add */

static weft_flow add_process(weft_node *n)
{
    weft_buf *a = NULL, *b = NULL;
    weft_flow fa = weft_node_pop(n, 0, &a);
    weft_flow fb = weft_node_pop(n, 1, &b);
    weft_flow r = WEFT_FLOW_OK;
    if (fa == WEFT_FLOW_OK && fb == WEFT_FLOW_OK) {
        weft_buf *o = scalar(value(a) + value(b), weft_buf_pts(a));
        r = weft_node_push(n, 0, o) == WEFT_FLOW_EOS ? WEFT_FLOW_EOS
                                                      : WEFT_FLOW_OK;
    } else if (fa == WEFT_FLOW_OK || fb == WEFT_FLOW_OK) {
        /* One side ended early: pass the other through alone. */
        weft_buf *o = a ? a : b;
        r = weft_node_push(n, 0, weft_buf_ref(o)) == WEFT_FLOW_EOS
                ? WEFT_FLOW_EOS
                : WEFT_FLOW_OK;
    }
    weft_buf_unref(a);
    weft_buf_unref(b);
    return r;
}

static const weft_port_desc add_in[] = {
    WEFT_PORT("a", "tensor dtype=f32", "A."),
    WEFT_PORT("b", "tensor dtype=f32", "B."), WEFT_PORT_END};
static const weft_node_class add_class = {
    .struct_size = sizeof(weft_node_class),
    .name = "t.add",
    .summary = "a + b",
    .inputs = add_in,
    .outputs = scalar_out,
    .process = add_process,
};

/* ------------------------------------------------------------ t.accum */

typedef struct accum {
    float sum;
} accum;

static int accum_init(weft_node *n)
{
    accum *a = calloc(1, sizeof *a);
    weft_node_set_priv(n, a);
    return a ? 0 : WEFT_ENOMEM;
}

static weft_flow accum_process(weft_node *n)
{
    accum *a = weft_node_priv(n);
    weft_buf *b;
    weft_flow f = weft_node_pop(n, 0, &b);
    if (f == WEFT_FLOW_AGAIN || f == WEFT_FLOW_FLUSHING)
        return WEFT_FLOW_OK;
    if (f != WEFT_FLOW_OK)
        return f;
    a->sum += value(b);
    weft_buf *o = scalar(a->sum, weft_buf_pts(b));
    weft_buf_unref(b);
    f = weft_node_push(n, 0, o);
    return f == WEFT_FLOW_EOS ? WEFT_FLOW_EOS : WEFT_FLOW_OK;
}

static int accum_flush(weft_node *n)
{
    accum *a = weft_node_priv(n);
    a->sum = 0;
    weft_node_count(n, "flushes", 1);
    return 0;
}

static const weft_port_desc scalar_in[] = {
    WEFT_PORT("in", "tensor dtype=f32", "Scalars."), WEFT_PORT_END};
static const weft_node_class accum_class = {
    .struct_size = sizeof(weft_node_class),
    .name = "t.accum",
    .summary = "Running sum",
    .flags = WEFT_NODE_STATEFUL,
    .inputs = scalar_in,
    .outputs = scalar_out,
    .init = accum_init,
    .process = accum_process,
    .flush = accum_flush,
    .fini = free_priv,
};

/* ------------------------------------------------------------ fake clock */

static pthread_mutex_t clk_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t clk_cv = PTHREAD_COND_INITIALIZER;
static int64_t clk_now;
static int64_t live_produced;
static bool gate_open;

void tu_clock_reset(void)
{
    pthread_mutex_lock(&clk_mu);
    clk_now = 0;
    live_produced = 0;
    pthread_mutex_unlock(&clk_mu);
}

void tu_clock_advance(int64_t ns)
{
    pthread_mutex_lock(&clk_mu);
    clk_now += ns;
    pthread_cond_broadcast(&clk_cv);
    pthread_mutex_unlock(&clk_mu);
}

int64_t tu_clock_now(void *ctx)
{
    (void)ctx;
    pthread_mutex_lock(&clk_mu);
    int64_t t = clk_now;
    pthread_mutex_unlock(&clk_mu);
    return t;
}

int64_t tu_live_produced(void)
{
    pthread_mutex_lock(&clk_mu);
    int64_t n = live_produced;
    pthread_mutex_unlock(&clk_mu);
    return n;
}

void tu_gate_open(void)
{
    pthread_mutex_lock(&clk_mu);
    gate_open = true;
    pthread_cond_broadcast(&clk_cv);
    pthread_mutex_unlock(&clk_mu);
}

void tu_gate_close(void)
{
    pthread_mutex_lock(&clk_mu);
    gate_open = false;
    pthread_mutex_unlock(&clk_mu);
}

/* ------------------------------------------------------------ t.live */

typedef struct live {
    int64_t period, count, next;
} live;

static int live_init(weft_node *n)
{
    live *l = calloc(1, sizeof *l);
    if (!l)
        return WEFT_ENOMEM;
    l->period = weft_node_prop_int(n, "period");
    l->count = weft_node_prop_int(n, "count");
    weft_node_set_priv(n, l);
    return 0;
}

/* Blocks like a device read: until the fake clock reaches the next
 * buffer's time, or stop unblocks it. */
static weft_flow live_process(weft_node *n)
{
    live *l = weft_node_priv(n);
    if (l->count >= 0 && l->next >= l->count)
        return WEFT_FLOW_EOS;
    int64_t due = (l->next + 1) * l->period;
    pthread_mutex_lock(&clk_mu);
    while (clk_now < due && !weft_node_is_stopping(n))
        pthread_cond_wait(&clk_cv, &clk_mu);
    bool stop = clk_now < due;
    pthread_mutex_unlock(&clk_mu);
    if (stop)
        return WEFT_FLOW_EOS;
    weft_buf *b = scalar((float)l->next, weft_node_clock_ns(n) - l->period);
    l->next++;
    weft_flow f = weft_node_push(n, 0, b);
    /* Counted once pushed, so a test that waits for the count knows the
     * buffer is in the link (or was dropped). */
    pthread_mutex_lock(&clk_mu);
    live_produced++;
    pthread_cond_broadcast(&clk_cv);
    pthread_mutex_unlock(&clk_mu);
    return f == WEFT_FLOW_EOS ? WEFT_FLOW_EOS : WEFT_FLOW_OK;
}

static void live_unblock(weft_node *n)
{
    (void)n;
    pthread_mutex_lock(&clk_mu);
    pthread_cond_broadcast(&clk_cv);
    pthread_mutex_unlock(&clk_mu);
}

static const weft_prop_desc live_props[] = {
    WEFT_PROP_INT("period", "1000000", 1, 1e12, "ns", "Clock per buffer."),
    WEFT_PROP_INT("count", "-1", -1, 1e12, NULL, "Buffers; -1 endless."),
    WEFT_PROP_END};
static const weft_node_class live_class = {
    .struct_size = sizeof(weft_node_class),
    .name = "t.live",
    .summary = "Live source on the fake clock",
    .flags = WEFT_NODE_SOURCE | WEFT_NODE_LIVE,
    .outputs = scalar_out,
    .props = live_props,
    .init = live_init,
    .process = live_process,
    .fini = free_priv,
    .unblock = live_unblock,
};

/* ------------------------------------------------------------ t.gate */

static weft_flow gate_process(weft_node *n)
{
    pthread_mutex_lock(&clk_mu);
    while (!gate_open)
        pthread_cond_wait(&clk_cv, &clk_mu);
    pthread_mutex_unlock(&clk_mu);
    return collect_process(n);
}

static const weft_node_class gate_class = {
    .struct_size = sizeof(weft_node_class),
    .name = "t.gate",
    .summary = "Collect once the gate opens",
    .flags = WEFT_NODE_SINK | WEFT_NODE_ANY_INPUT,
    .inputs = any_multi_in,
    .init = collect_init,
    .process = gate_process,
    .fini = collect_fini,
};

/* ------------------------------------------------------------ t.merge */

/* Two threads in one node's callbacks would be the worst scheduler bug:
 * every t.merge and t.collect call checks for it. */
int tu_reentered(void)
{
    return atomic_load(&reentered);
}

typedef struct merge {
    atomic_int busy;
    int64_t fail_after, passed;
} merge;

static int merge_init(weft_node *n)
{
    merge *m = calloc(1, sizeof *m);
    if (!m)
        return WEFT_ENOMEM;
    m->fail_after = weft_node_prop_int(n, "fail_after");
    weft_node_set_priv(n, m);
    return 0;
}

static weft_flow merge_process(weft_node *n)
{
    merge *m = weft_node_priv(n);
    weft_flow r = WEFT_FLOW_OK;
    if (atomic_fetch_add(&m->busy, 1) != 0)
        atomic_fetch_add(&reentered, 1);
    for (;;) {
        weft_buf *b;
        weft_flow f = weft_node_pop(n, 0, &b);
        if (f != WEFT_FLOW_OK) {
            r = f == WEFT_FLOW_EOS ? WEFT_FLOW_EOS : WEFT_FLOW_OK;
            break;
        }
        if (m->fail_after >= 0 && m->passed >= m->fail_after) {
            weft_buf_unref(b);
            weft_node_error(n, WEFT_EIO, "injected failure");
            r = WEFT_FLOW_ERROR;
            break;
        }
        m->passed++;
        if (weft_node_push(n, 0, b) == WEFT_FLOW_EOS) {
            r = WEFT_FLOW_EOS;
            break;
        }
        /* One buffer per call now and then, to vary the interleaving. */
        if (m->passed % 3 == 0)
            break;
    }
    atomic_fetch_sub(&m->busy, 1);
    return r;
}

static const weft_prop_desc merge_props[] = {
    WEFT_PROP_INT("fail_after", "-1", -1, 1e12, NULL, "Fail then."),
    WEFT_PROP_END};
static const weft_node_class merge_class = {
    .struct_size = sizeof(weft_node_class),
    .name = "t.merge",
    .summary = "Pass through everything from any input",
    .flags = WEFT_NODE_ANY_INPUT,
    .inputs = any_multi_in,
    .outputs = scalar_out,
    .props = merge_props,
    .init = merge_init,
    .process = merge_process,
    .fini = free_priv,
};

/* ------------------------------------------------------------ plugin */

static const weft_node_class *const classes[] = {
    &seq_class, &collect_class, &add_class, &accum_class,
    &live_class, &gate_class, &merge_class, NULL};
static const weft_plugin_desc desc = {WEFT_ABI_VERSION, sizeof desc,
                                      "sched-test", "1", "LGPL-2.1-or-later",
                                      "Scheduler test classes", classes,
                                      NULL, NULL};

weft_registry *tu_registry(void)
{
    weft_registry *reg = weft_registry_new();
    ck_assert_ptr_nonnull(reg);
    /* Only the core plugin: the tests must not depend on (or inherit the
     * start-up allocations of) whatever other plugins the tree built. */
    ck_assert_int_eq(
        weft_registry_load_file(reg, TOP_BUILDDIR "/plugins/.libs/core.so"), 0);
    ck_assert_int_eq(weft_registry_add_plugin(reg, &desc, "test"), 0);
    ck_assert_ptr_nonnull(weft_registry_find(reg, "identity"));
    return reg;
}

static void fail_diags(weft_graph *g, const char *what)
{
    char *d = weft_graph_render_diags(g, false);
    ck_abort_msg("%s failed:\n%s", what, d ? d : "");
    free(d);
}

void tu_node(weft_graph *g, const char *name, const char *cls, ...)
{
    if (weft_graph_add_node(g, name, cls) < 0)
        fail_diags(g, name);
    va_list ap;
    va_start(ap, cls);
    const char *kv;
    while ((kv = va_arg(ap, const char *))) {
        char key[64];
        const char *eq = strchr(kv, '=');
        ck_assert_ptr_nonnull(eq);
        snprintf(key, sizeof key, "%.*s", (int)(eq - kv), kv);
        if (weft_graph_set_prop(g, name, key, eq + 1) < 0)
            fail_diags(g, kv);
    }
    va_end(ap);
}

void tu_link(weft_graph *g, const char *a, const char *ap, const char *b,
             const char *bp, uint32_t cap, weft_overflow pol)
{
    weft_link_opts o = {sizeof o, cap, pol};
    if (weft_graph_link(g, a, ap, b, bp, &o) < 0)
        fail_diags(g, "link");
}

collect *tu_collect(weft_graph *g, const char *name)
{
    weft_node *n = weft_graph_find_node(g, name);
    ck_assert_ptr_nonnull(n);
    return weft_node_priv(n);
}

int tu_run(weft_graph *g, uint32_t threads, const char *trace)
{
    weft_run_opts o = {sizeof o, threads, false, trace};
    int rc = weft_graph_start(g, &o);
    if (rc < 0)
        fail_diags(g, "start");
    return weft_graph_wait(g, -1);
}
