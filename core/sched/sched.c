/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The scheduler: bounded link queues, readiness, a worker pool, a thread
 * per live source, end of stream, errors, stop and flush.
 *
 * Readiness (weft/plugin.h): a node runs when every linked input has data
 * or has ended (any one input for WEFT_NODE_ANY_INPUT) and every blocking
 * output link has room; a source runs while its outputs have room. When
 * every input has ended, the node gets one last call and then finishes,
 * which ends its output links. Readiness is re-evaluated only on the
 * events that can change it (a push into an input, a pop that makes room,
 * an end, a flush, stop), so idle nodes cost nothing.
 *
 * Ready nodes wait in one FIFO run queue served by the workers. A worker
 * keeps running the node it took while it stays ready (up to BATCH calls),
 * which keeps its data in cache; with one worker the FIFO makes the order
 * of calls, hence outputs and traces, a pure function of the graph. A
 * sleeping worker is woken only when every awake one is busy with a heavy
 * node (wake_worker()), so cheap nodes do not bounce between threads.
 *
 * Queues are fixed rings sized at start: steady state allocates nothing.
 * Capacity is the readiness threshold; a node that pushes several buffers
 * in one call may overfill a blocking link by that burst, and only then
 * does its ring grow (once, amortised), because blocking a worker in push
 * would deadlock a single-threaded run.
 */
#define _GNU_SOURCE 1 /* PTHREAD_MUTEX_ADAPTIVE_NP */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../internal.h"
#include "sched.h"

#define BATCH 64
#define POLL_NS 10000000       /* wait() looks at stop requests this often */
#define DRAIN_LIMIT_NS 1000000000 /* stop drains at most this long */

/* ------------------------------------------------------------ clock */

int64_t weft__sched_now(const weft__sched *s)
{
    return s->clock ? s->clock(s->clock_ctx) : weft__now_ns();
}

static int64_t io_clock(void *ctx) { return weft__sched_now(ctx); }

static void abs_time(struct timespec *ts, int64_t mono_ns)
{
    ts->tv_sec = (time_t)(mono_ns / 1000000000);
    ts->tv_nsec = (long)(mono_ns % 1000000000);
}

/* Wait on @cv until the monotonic time @until_ns (INT64_MAX: forever). */
static void cv_wait(pthread_cond_t *cv, pthread_mutex_t *mu, int64_t until_ns)
{
    if (until_ns == INT64_MAX) {
        pthread_cond_wait(cv, mu);
        return;
    }
    struct timespec ts;
    abs_time(&ts, until_ns);
    pthread_cond_timedwait(cv, mu, &ts);
}

/* ------------------------------------------------------------ set-up */

weft__sched *weft__sched_get(weft_graph *g)
{
    if (g->sched)
        return g->sched;
    weft__sched *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutexattr_t ma;
    pthread_mutexattr_init(&ma);
#ifdef PTHREAD_MUTEX_ADAPTIVE_NP
    /* Critical sections are a few dozen instructions: spinning briefly
     * beats sleeping in the kernel when workers collide. */
    pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_ADAPTIVE_NP);
#endif
    pthread_mutex_init(&s->mu, &ma);
    pthread_mutexattr_destroy(&ma);
    pthread_cond_init(&s->work_cv, &ca);
    pthread_cond_init(&s->done_cv, &ca);
    pthread_cond_init(&s->ext_cv, &ca);
    pthread_condattr_destroy(&ca);
    atomic_init(&s->stop_req, false);
    s->g = g;
    g->sched = s;
    return s;
}

int weft_graph_set_clock(weft_graph *g, weft_clock_fn fn, void *ctx)
{
    if (!g)
        return WEFT_EINVAL;
    weft__sched *s = weft__sched_get(g);
    if (!s)
        return WEFT_ENOMEM;
    if (s->started)
        return WEFT_ESTATE;
    s->clock = fn;
    s->clock_ctx = ctx;
    return 0;
}

int weft_graph_set_trace_logical(weft_graph *g, bool logical)
{
    if (!g)
        return WEFT_EINVAL;
    weft__sched *s = weft__sched_get(g);
    if (!s)
        return WEFT_ENOMEM;
    if (s->started)
        return WEFT_ESTATE;
    s->trace_logical = logical;
    return 0;
}

/* ------------------------------------------------------------ queues */

static inline sched_node *edge_src(weft__sched *s, const sched_edge *e)
{
    return &s->nodes[e->src];
}

static inline sched_node *edge_dst(weft__sched *s, const sched_edge *e)
{
    return &s->nodes[e->dst];
}

static void edge_drain(sched_edge *e)
{
    while (e->n) {
        weft_buf_unref(e->ring[e->head].buf);
        e->ring[e->head].buf = NULL;
        e->head = (e->head + 1) & (e->size - 1);
        e->n--;
    }
}

static int edge_grow(sched_edge *e)
{
    uint32_t size = e->size * 2;
    sched_slot *r = malloc(size * sizeof *r);
    if (!r)
        return WEFT_ENOMEM;
    for (uint32_t i = 0; i < e->n; i++)
        r[i] = e->ring[(e->head + i) & (e->size - 1)];
    free(e->ring);
    e->ring = r;
    e->size = size;
    e->head = 0;
    return 0;
}

/* Queue @b ((transfer full)) on @e under its overflow policy. */
static void enqueue(weft__sched *s, sched_edge *e, weft_buf *b, int tid)
{
    e->pushed++;
    if (e->n >= e->cap && e->policy != WEFT_OVERFLOW_BLOCK) {
        e->drops++;
        if (s->trace)
            weft__trace_drop(s, e, tid);
        if (e->policy == WEFT_OVERFLOW_DROP_NEWEST) {
            weft_buf_unref(b);
            return;
        }
        weft_buf_unref(e->ring[e->head].buf);
        e->head = (e->head + 1) & (e->size - 1);
        e->n--;
    }
    if (e->n == e->size && edge_grow(e) < 0) {
        e->drops++; /* out of memory: losing data beats crashing */
        weft_buf_unref(b);
        return;
    }
    sched_slot *sl = &e->ring[(e->head + e->n) & (e->size - 1)];
    sl->buf = b;
    sl->seq = s->seq++;
    if (++e->n > e->max_depth)
        e->max_depth = e->n;
}

/* ------------------------------------------------------------ readiness */

bool weft__sched_outputs_room(const weft__sched *s, const sched_node *n)
{
    for (uint32_t p = 0; p < n->n_out; p++)
        for (uint32_t i = 0; i < n->out[p].n; i++) {
            const sched_edge *e = &s->edges[n->out[p].edges[i]];
            if (!e->closed && e->policy == WEFT_OVERFLOW_BLOCK &&
                e->n >= e->cap)
                return false;
        }
    return true;
}

static bool port_has_data(const weft__sched *s, const sched_port *p)
{
    for (uint32_t i = 0; i < p->n; i++)
        if (s->edges[p->edges[i]].n)
            return true;
    return false;
}

static bool port_ended(const weft__sched *s, const sched_port *p)
{
    for (uint32_t i = 0; i < p->n; i++) {
        const sched_edge *e = &s->edges[p->edges[i]];
        if (!e->eos || e->n)
            return false;
    }
    return true;
}

static bool inputs_ended(const weft__sched *s, const sched_node *n)
{
    for (uint32_t p = 0; p < n->n_in; p++)
        if (!port_ended(s, &n->in[p]))
            return false;
    return true;
}

static bool ready(weft__sched *s, sched_node *n)
{
    if (n->finished || n->flushing || s->aborting)
        return false;
    switch (n->kind) {
    case KIND_SOURCE:
    case KIND_LIVE:
        if (s->stopping)
            return false;
        if (n->due_ns && weft__sched_now(s) < n->due_ns)
            return false;
        return weft__sched_outputs_room(s, n);
    case KIND_APP_SRC:
    case KIND_APP_SINK:
        return false;
    default:
        break;
    }
    if (n->final_called)
        return false;
    bool any = false, all = true, ended = true;
    for (uint32_t p = 0; p < n->n_in; p++) {
        const sched_port *pt = &n->in[p];
        if (!pt->n)
            continue;
        bool has = port_has_data(s, pt);
        bool end = !has && port_ended(s, pt);
        any |= has;
        all &= has || end;
        ended &= end;
    }
    if (ended)
        return weft__sched_outputs_room(s, n); /* the final call */
    if (n->stalled)
        return false;
    if (!(n->node->cls->flags & WEFT_NODE_ANY_INPUT) ? !(any && all) : !any)
        return false;
    return weft__sched_outputs_room(s, n);
}

static void set_done(weft__sched *s)
{
    s->done = true;
    s->t_end = weft__sched_now(s);
    pthread_cond_broadcast(&s->work_cv);
    pthread_cond_broadcast(&s->done_cv);
    pthread_cond_broadcast(&s->ext_cv);
}

/* An app.sink counts as finished once all its inputs have ended, even with
 * data still queued for the program to pull after the run. */
static void app_sink_check(weft__sched *s, sched_node *n)
{
    for (uint32_t p = 0; p < n->n_in; p++)
        for (uint32_t i = 0; i < n->in[p].n; i++)
            if (!s->edges[n->in[p].edges[i]].eos)
                return;
    n->finished = true;
    if (--s->n_unfinished == 0)
        set_done(s);
}

/* Wake a sleeping worker only when no awake worker will come back to the
 * run queue soon, that is when every awake worker is inside a batch of a
 * heavy node (see heavy()), or none is awake. An awake worker running
 * light nodes is back at the queue within about HEAVY_NS and takes the
 * work itself, which keeps a chain of cheap nodes on one thread: with one
 * global lock, two workers trading such a chain spend more on the lock's
 * cache line, futex wake-ups and context switches than the hops
 * themselves cost. Heavy nodes still get a worker each. */
static void wake_worker(weft__sched *s)
{
    uint32_t awake = s->n_workers - s->n_idle + s->n_waking;
    if (s->n_idle > s->n_waking && awake <= s->n_heavy) {
        s->n_waking++;
        pthread_cond_signal(&s->work_cv);
    }
}

/* Something changed around @n: queue it if it is now ready. */
static void wake(weft__sched *s, sched_node *n)
{
    if (n->state != NODE_IDLE || n->finished)
        return;
    switch (n->kind) {
    case KIND_APP_SINK:
        app_sink_check(s, n);
        /* fall through */
    case KIND_LIVE:
    case KIND_APP_SRC:
        pthread_cond_broadcast(&s->ext_cv);
        return;
    default:
        break;
    }
    if (!ready(s, n))
        return;
    n->state = NODE_QUEUED;
    s->runq[(s->rq_head + s->rq_n++) % s->n_nodes] = n->idx;
    wake_worker(s);
}

void weft__sched_finish(weft__sched *s, sched_node *n)
{
    if (n->finished)
        return;
    n->finished = true;
    for (uint32_t p = 0; p < n->n_out; p++)
        for (uint32_t i = 0; i < n->out[p].n; i++) {
            sched_edge *e = &s->edges[n->out[p].edges[i]];
            e->eos = true;
            sched_node *d = edge_dst(s, e);
            d->stalled = false;
            d->events++;
            wake(s, d);
        }
    /* Nobody will read these any more: free the data and let the
     * producers see end of stream on their next push. */
    for (uint32_t p = 0; p < n->n_in; p++)
        for (uint32_t i = 0; i < n->in[p].n; i++) {
            sched_edge *e = &s->edges[n->in[p].edges[i]];
            e->closed = true;
            edge_drain(e);
            sched_node *src = edge_src(s, e);
            src->stalled = false;
            src->events++;
            wake(s, src);
        }
    pthread_cond_broadcast(&s->ext_cv);
    if (--s->n_unfinished == 0)
        set_done(s);
}

/* ------------------------------------------------------------ stop, errors */

static bool is_source(const sched_node *n)
{
    return n->kind == KIND_SOURCE || n->kind == KIND_LIVE ||
           n->kind == KIND_APP_SRC;
}

/* Sources stop producing; what is queued flows on to the sinks. */
static void handle_stop(weft__sched *s)
{
    if (s->stopping)
        return;
    s->stopping = true;
    s->abort_deadline = weft__now_ns() + DRAIN_LIMIT_NS;
    for (size_t i = 0; i < s->n_nodes; i++)
        atomic_store(&s->nodes[i].node->stopping, true);
    for (size_t i = 0; i < s->n_nodes; i++) {
        sched_node *n = &s->nodes[i];
        if (!is_source(n) || n->finished)
            continue;
        if (n->state == NODE_RUNNING) {
            n->finish_pending = true;
            /* A live source may sit in a device read: make it return. */
            if (n->node->cls->unblock)
                n->node->cls->unblock(n->node);
        } else {
            weft__sched_finish(s, n);
        }
    }
    pthread_cond_broadcast(&s->ext_cv);
    pthread_cond_broadcast(&s->done_cv);
}

/* Draining took too long (or the graph is being freed): drop everything
 * and finish every node as soon as it is not running. */
static void do_abort(weft__sched *s)
{
    if (s->aborting)
        return;
    handle_stop(s);
    s->aborting = true;
    for (size_t i = 0; i < s->n_edges; i++)
        edge_drain(&s->edges[i]);
    for (size_t i = 0; i < s->n_nodes; i++) {
        sched_node *n = &s->nodes[i];
        if (n->finished)
            continue;
        if (n->state == NODE_RUNNING)
            n->finish_pending = true;
        else
            weft__sched_finish(s, n);
    }
}

static void check_stop_request(weft__sched *s)
{
    if (!s->stopping && atomic_load(&s->stop_req)) {
        s->user_stop = true;
        handle_stop(s);
    }
}

static void node_failed(weft__sched *s, sched_node *n)
{
    weft_node *nd = n->node;
    if (!s->err_code) {
        s->err_code = nd->error_code < 0 ? nd->error_code : WEFT_ENODE;
        free(s->g->error);
        s->g->error = weft__asprintf("node '%s' (%s): %s", nd->name,
                                     nd->cls->name,
                                     nd->error ? nd->error : "failed");
        if (s->trace)
            weft__trace_error(s, n, n->tid, s->g->error);
    }
    weft__sched_finish(s, n);
    handle_stop(s);
}

/* ------------------------------------------------------------ running */

/* A node whose batches of calls take this long on average is heavy: it
 * keeps its worker away from the run queue long enough that queued work
 * should go to another worker. */
#define HEAVY_NS 20000

/* HEAVY_NS in ticks. The tick rate is measured over the run's first
 * millisecond; until then a rate of 4 ticks/ns (above any TSC) is assumed,
 * which errs towards calling nodes light. */
static int64_t heavy_ticks(weft__sched *s)
{
    if (s->heavy_ticks)
        return s->heavy_ticks;
    if (weft__now_ns() - s->tick_ns0 < 1000000)
        return 4 * HEAVY_NS;
    int64_t t = (int64_t)(HEAVY_NS / weft__sched_ns_per_tick(s));
    s->heavy_ticks = t > 0 ? t : 1;
    return s->heavy_ticks;
}

/* One call of @n's process. Called and returns with s->mu held, and @n
 * left RUNNING: a thread keeps a node for a batch of calls, and only
 * release() lets events queue it again, so no other worker can take it
 * between two calls of the batch. */
static void dispatch(weft__sched *s, sched_node *n, int tid)
{
    if (n->kind == KIND_NORMAL && inputs_ended(s, n))
        n->final_called = true;
    n->state = NODE_RUNNING;
    n->tid = tid;
    n->progress = 0;
    uint64_t events = n->events;
    int64_t tt0 = s->trace ? weft__trace_ts(s) : 0;
    pthread_mutex_unlock(&s->mu);
    int64_t a = weft__ticks();
    weft_flow f = weft__node_process(n->node);
    int64_t b = weft__ticks();
    pthread_mutex_lock(&s->mu);
    n->calls++;
    n->busy_ticks += b - a;
    weft__hist_add(&n->proc, b - a);
    n->batch_ticks += b - a;
    if (s->trace) {
        weft__trace_span(s, n, tid, tt0, weft__trace_ts(s));
        weft__trace_depths(s, n);
    }
    if (f == WEFT_FLOW_ERROR)
        node_failed(s, n);
    else if (f == WEFT_FLOW_EOS || n->final_called || n->finish_pending ||
             s->aborting)
        weft__sched_finish(s, n);
    else if (n->kind == KIND_NORMAL && n->progress == 0 && n->events == events)
        n->stalled = true; /* wait for an event instead of spinning */
    check_stop_request(s);
}

/* The thread running @n is done with it for now. */
static void release(weft__sched *s, sched_node *n)
{
    n->state = NODE_IDLE;
    if (n->finish_pending)
        weft__sched_finish(s, n);
    if (n->flushing)
        pthread_cond_broadcast(&s->ext_cv);
    wake(s, n);
}

typedef struct worker {
    weft__sched *s;
    int tid;
} worker;

/* Queue realtime sources whose time has come; return the next due time
 * (as a monotonic deadline for a timed wait) or INT64_MAX. */
static int64_t poll_paced(weft__sched *s)
{
    int64_t now = weft__sched_now(s), next = INT64_MAX;
    for (size_t i = 0; i < s->n_nodes; i++) {
        sched_node *n = &s->nodes[i];
        if (n->kind != KIND_SOURCE || n->finished || n->state != NODE_IDLE)
            continue;
        if (n->due_ns <= now)
            wake(s, n);
        else if (n->due_ns < next)
            next = n->due_ns;
    }
    return next == INT64_MAX ? next : weft__now_ns() + (next - now);
}

/* Decide, as @n's batch starts, whether it holds its worker long. A node
 * not yet timed counts as heavy, so a graph starts with every core busy.
 * Readiness bounds a batch: a node in a chain runs until its input is
 * empty or its output full, a link's capacity at most. */
static bool heavy(weft__sched *s, const sched_node *n)
{
    if (s->n_workers < 2)
        return false;
    return !n->calls || n->avg_ticks >= heavy_ticks(s);
}

/* Go back to sleep, leaving the run queue to the others, rather than take
 * a light node while another worker that runs only light ones is awake:
 * it will be back within a batch, and one thread running a chain of cheap
 * nodes beats two contending for it. The last awake worker never leaves
 * queued work, so nothing is stranded. */
static bool leave_to_others(weft__sched *s, const sched_node *head)
{
    uint32_t others = s->n_workers - s->n_idle - 1;
    return others > s->n_heavy && !heavy(s, head);
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    weft__sched *s = w->s;
    pthread_mutex_lock(&s->mu);
    while (!s->done) {
        check_stop_request(s);
        if (!s->rq_n || leave_to_others(s, &s->nodes[s->runq[s->rq_head]])) {
            int64_t until = s->n_paced ? poll_paced(s) : INT64_MAX;
            if (s->done || (s->rq_n && !leave_to_others(
                                           s, &s->nodes[s->runq[s->rq_head]])))
                continue;
            s->n_idle++;
            cv_wait(&s->work_cv, &s->mu, until);
            s->n_idle--;
            if (s->n_waking)
                s->n_waking--;
            continue;
        }
        sched_node *n = &s->nodes[s->runq[s->rq_head]];
        s->rq_head = (s->rq_head + 1) % s->n_nodes;
        s->rq_n--;
        n->heavy_run = heavy(s, n);
        s->n_heavy += n->heavy_run;
        if (s->rq_n)
            wake_worker(s); /* more work than this worker can take */
        n->state = NODE_IDLE;
        n->batch_ticks = 0;
        n->batch_t0 = weft__ticks();
        for (int i = 0; i < BATCH && ready(s, n); i++)
            dispatch(s, n, w->tid);
        if (s->n_workers > 1) {
            /* A batch preempted by another process lasts milliseconds:
             * clip it, so that only a run of slow batches makes the node
             * heavy. */
            int64_t d = n->batch_ticks, top = 2 * heavy_ticks(s);
            n->avg_ticks += ((d < top ? d : top) - n->avg_ticks) / 8;
        }
        s->n_heavy -= n->heavy_run;
        n->heavy_run = false;
        release(s, n);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

/* A live source's own thread: it may block in process (a device read);
 * stop unblocks it. */
static void *live_main(void *arg)
{
    sched_node *n = arg;
    weft__sched *s = n->s;
    int tid = n->tid;
    pthread_mutex_lock(&s->mu);
    while (!n->finished) {
        check_stop_request(s);
        if (s->stopping || s->aborting) {
            weft__sched_finish(s, n);
            break;
        }
        if (n->flushing || !weft__sched_outputs_room(s, n)) {
            cv_wait(&s->ext_cv, &s->mu, weft__now_ns() + POLL_NS);
            continue;
        }
        dispatch(s, n, tid);
        release(s, n);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

/* ------------------------------------------------------------ node I/O */

weft_flow weft__sched_pop_locked(weft__sched *s, sched_node *n, uint32_t port,
                                 weft_buf **out)
{
    *out = NULL;
    if (port >= n->n_in)
        return WEFT_FLOW_EOS;
    if (n->flushing)
        return WEFT_FLOW_FLUSHING;
    const sched_port *p = &n->in[port];
    sched_edge *best = NULL;
    /* Fan-in merges in arrival order, which one thread makes repeatable. */
    for (uint32_t i = 0; i < p->n; i++) {
        sched_edge *e = &s->edges[p->edges[i]];
        if (e->n && (!best || e->ring[e->head].seq < best->ring[best->head].seq))
            best = e;
    }
    if (!best)
        return port_ended(s, p) ? WEFT_FLOW_EOS : WEFT_FLOW_AGAIN;
    *out = best->ring[best->head].buf;
    best->ring[best->head].buf = NULL;
    best->head = (best->head + 1) & (best->size - 1);
    best->n--;
    n->progress++;
    n->buf_in++;
    if (n->sink) {
        int64_t pts = weft_buf_pts(*out);
        if (pts != WEFT_TIME_NONE) {
            int64_t lat = weft__sched_now(s) - s->t0 - pts;
            weft__hist_add(&n->lat, lat < 0 ? 0 : lat);
        }
    }
    if (best->n + 1 >= best->cap) {
        sched_node *src = edge_src(s, best);
        src->stalled = false;
        src->events++;
        wake(s, src);
    }
    return WEFT_FLOW_OK;
}

weft_flow weft__sched_push_locked(weft__sched *s, sched_node *n, uint32_t port,
                                  weft_buf *buf)
{
    if (s->aborting || port >= n->n_out) {
        weft_buf_unref(buf);
        return s->aborting ? WEFT_FLOW_EOS : WEFT_FLOW_OK;
    }
    if (n->flushing) {
        weft_buf_unref(buf);
        return WEFT_FLOW_FLUSHING;
    }
    const sched_port *p = &n->out[port];
    n->progress++;
    n->buf_out++;
    if (n->kind != KIND_NORMAL) {
        int64_t pts = weft_buf_pts(buf), dur = weft_buf_duration(buf);
        if (pts != WEFT_TIME_NONE) {
            /* The offset is set by the node's own process, which is the
             * caller here: no race. */
            int64_t end = n->node->media_offset + pts +
                          (dur != WEFT_TIME_NONE && dur > 0 ? dur : 0);
            if (end > n->pos_ns)
                n->pos_ns = end;
            if (s->realtime && n->kind == KIND_SOURCE)
                n->due_ns = s->t0 + n->pos_ns;
        }
    }
    uint32_t receivers = 0;
    bool open = false;
    for (uint32_t i = 0; i < p->n; i++) {
        const sched_edge *e = &s->edges[p->edges[i]];
        if (e->closed)
            continue;
        open = true;
        if (!edge_dst(s, e)->flushing)
            receivers++;
    }
    if (!receivers) {
        weft_buf_unref(buf);
        return open ? WEFT_FLOW_FLUSHING
                    : p->n ? WEFT_FLOW_EOS : WEFT_FLOW_OK;
    }
    /* Fan-out shares the buffer: one reference per receiving link. */
    for (uint32_t k = 1; k < receivers; k++)
        weft_buf_ref(buf);
    for (uint32_t i = 0; i < p->n; i++) {
        sched_edge *e = &s->edges[p->edges[i]];
        sched_node *d = edge_dst(s, e);
        if (e->closed || d->flushing)
            continue;
        enqueue(s, e, buf, n->tid);
        d->stalled = false;
        d->events++;
        wake(s, d);
    }
    return WEFT_FLOW_OK;
}

static weft_flow io_pop(void *ctx, weft_node *node, uint32_t port,
                        weft_buf **out)
{
    weft__sched *s = ctx;
    pthread_mutex_lock(&s->mu);
    weft_flow f = weft__sched_pop_locked(s, node->driver_data, port, out);
    pthread_mutex_unlock(&s->mu);
    return f;
}

static weft_flow io_push(void *ctx, weft_node *node, uint32_t port,
                         weft_buf *buf)
{
    weft__sched *s = ctx;
    pthread_mutex_lock(&s->mu);
    weft_flow f = weft__sched_push_locked(s, node->driver_data, port, buf);
    pthread_mutex_unlock(&s->mu);
    return f;
}

static const weft_buf *io_peek(void *ctx, const weft_node *node, uint32_t port)
{
    weft__sched *s = ctx;
    const sched_node *n = node->driver_data;
    const weft_buf *b = NULL;
    pthread_mutex_lock(&s->mu);
    if (port < n->n_in && !n->flushing) {
        const sched_port *p = &n->in[port];
        const sched_edge *best = NULL;
        for (uint32_t i = 0; i < p->n; i++) {
            const sched_edge *e = &s->edges[p->edges[i]];
            if (e->n &&
                (!best || e->ring[e->head].seq < best->ring[best->head].seq))
                best = e;
        }
        /* Only this node pops this port, so the buffer stays valid for
         * the rest of its call. */
        b = best ? best->ring[best->head].buf : NULL;
    }
    pthread_mutex_unlock(&s->mu);
    return b;
}

static uint32_t io_queued(void *ctx, const weft_node *node, uint32_t port)
{
    weft__sched *s = ctx;
    const sched_node *n = node->driver_data;
    uint32_t q = 0;
    pthread_mutex_lock(&s->mu);
    if (port < n->n_in)
        for (uint32_t i = 0; i < n->in[port].n; i++)
            q += s->edges[n->in[port].edges[i]].n;
    pthread_mutex_unlock(&s->mu);
    return q;
}

static const weft__node_io sched_io = {io_pop, io_peek, io_queued, io_push,
                                       io_clock};

/* ------------------------------------------------------------ build */

static int build_ports(sched_port **ports, uint32_t n_ports,
                       const uint32_t *counts)
{
    *ports = calloc(n_ports + 1, sizeof **ports);
    if (!*ports)
        return WEFT_ENOMEM;
    for (uint32_t p = 0; p < n_ports; p++) {
        (*ports)[p].edges = calloc(counts[p] + 1, sizeof(uint32_t));
        if (!(*ports)[p].edges)
            return WEFT_ENOMEM;
    }
    return 0;
}

static uint32_t pow2_at_least(uint32_t v)
{
    uint32_t p = 4;
    while (p < v)
        p <<= 1;
    return p;
}

/* Kahn's algorithm over the links, ties by declaration order, so flush
 * goes upstream first and deterministic runs start in a stable order. */
static int build_topo(weft__sched *s)
{
    uint32_t *indeg = calloc(s->n_nodes + 1, sizeof *indeg);
    s->topo = calloc(s->n_nodes + 1, sizeof *s->topo);
    if (!indeg || !s->topo) {
        free(indeg);
        return WEFT_ENOMEM;
    }
    for (size_t i = 0; i < s->n_edges; i++)
        indeg[s->edges[i].dst]++;
    size_t done = 0;
    bool *taken = calloc(s->n_nodes + 1, sizeof *taken);
    if (!taken) {
        free(indeg);
        return WEFT_ENOMEM;
    }
    while (done < s->n_nodes) {
        size_t pick = s->n_nodes;
        for (size_t i = 0; i < s->n_nodes; i++)
            if (!taken[i] && indeg[i] == 0) {
                pick = i;
                break;
            }
        if (pick == s->n_nodes) /* a cycle (check refuses those): any order */
            for (size_t i = 0; i < s->n_nodes; i++)
                if (!taken[i]) {
                    pick = i;
                    break;
                }
        taken[pick] = true;
        s->nodes[pick].topo = (uint32_t)done;
        s->topo[done++] = (uint32_t)pick;
        for (size_t i = 0; i < s->n_edges; i++)
            if (s->edges[i].src == pick && indeg[s->edges[i].dst])
                indeg[s->edges[i].dst]--;
    }
    free(taken);
    free(indeg);
    return 0;
}

static int build(weft__sched *s, const weft_graph *g)
{
    s->n_nodes = g->n_nodes;
    s->n_edges = g->n_edges;
    s->nodes = calloc(s->n_nodes + 1, sizeof *s->nodes);
    s->edges = calloc(s->n_edges + 1, sizeof *s->edges);
    s->runq = calloc(s->n_nodes + 1, sizeof *s->runq);
    if (!s->nodes || !s->edges || !s->runq)
        return WEFT_ENOMEM;
    for (size_t i = 0; i < s->n_edges; i++) {
        const weft__edge *ge = &g->edges[i];
        sched_edge *e = &s->edges[i];
        e->src = ge->src;
        e->dst = ge->dst;
        e->src_port = ge->src_port;
        e->dst_port = ge->dst_port;
        e->cap = ge->capacity ? ge->capacity : WEFT_LINK_DEFAULT_CAPACITY;
        e->policy = ge->overflow;
        e->size = pow2_at_least(e->cap * 2);
        e->ring = calloc(e->size, sizeof *e->ring);
        const weft_node *a = g->nodes[e->src].node, *b = g->nodes[e->dst].node;
        e->label = weft__asprintf("%s.%s->%s.%s", a->name,
                                  a->out_desc[e->src_port]->name, b->name,
                                  b->in_desc[e->dst_port]->name);
        if (!e->ring || !e->label)
            return WEFT_ENOMEM;
    }
    for (size_t i = 0; i < s->n_nodes; i++) {
        sched_node *n = &s->nodes[i];
        n->node = g->nodes[i].node;
        n->s = s;
        n->idx = (uint32_t)i;
        n->n_in = n->node->n_in;
        n->n_out = n->node->n_out;
        uint32_t *cin = calloc(n->n_in + 1, sizeof *cin);
        uint32_t *cout = calloc(n->n_out + 1, sizeof *cout);
        int rc = cin && cout ? 0 : WEFT_ENOMEM;
        for (size_t k = 0; rc == 0 && k < s->n_edges; k++) {
            if (s->edges[k].dst == i)
                cin[s->edges[k].dst_port]++;
            if (s->edges[k].src == i)
                cout[s->edges[k].src_port]++;
        }
        if (rc == 0)
            rc = build_ports(&n->in, n->n_in, cin);
        if (rc == 0)
            rc = build_ports(&n->out, n->n_out, cout);
        free(cin);
        free(cout);
        if (rc < 0)
            return rc;
    }
    for (size_t k = 0; k < s->n_edges; k++) {
        sched_edge *e = &s->edges[k];
        sched_port *pi = &s->nodes[e->dst].in[e->dst_port];
        sched_port *po = &s->nodes[e->src].out[e->src_port];
        pi->edges[pi->n++] = (uint32_t)k;
        po->edges[po->n++] = (uint32_t)k;
    }
    for (size_t i = 0; i < s->n_nodes; i++) {
        sched_node *n = &s->nodes[i];
        const weft_node_class *cls = n->node->cls;
        bool outs = false;
        for (uint32_t p = 0; p < n->n_in; p++)
            n->n_linked_in += n->in[p].n ? 1 : 0;
        for (uint32_t p = 0; p < n->n_out; p++)
            outs |= n->out[p].n > 0;
        if (weft__is_app_class(cls, &weft__app_src_class))
            n->kind = KIND_APP_SRC;
        else if (weft__is_app_class(cls, &weft__app_sink_class))
            n->kind = KIND_APP_SINK;
        else if (n->n_linked_in == 0 &&
                 (n->n_in == 0 ||
                  (cls->flags & (WEFT_NODE_SOURCE | WEFT_NODE_LIVE))))
            n->kind = cls->flags & WEFT_NODE_LIVE ? KIND_LIVE : KIND_SOURCE;
        else
            n->kind = KIND_NORMAL;
        n->sink = !outs && !is_source(n);
        if (n->kind == KIND_SOURCE && s->realtime)
            s->n_paced++;
    }
    return build_topo(s);
}

static void join_threads(weft__sched *s)
{
    if (s->threads_joined)
        return;
    s->threads_joined = true;
    for (uint32_t i = 0; i < s->n_workers; i++)
        pthread_join(s->workers[i], NULL);
    for (size_t i = 0; i < s->n_nodes; i++)
        if (s->nodes[i].has_thread) {
            pthread_join(s->nodes[i].thread, NULL);
            s->nodes[i].has_thread = false;
        }
    pthread_mutex_lock(&s->mu);
    if (s->trace)
        weft__trace_close(s);
    pthread_mutex_unlock(&s->mu);
}

static uint32_t default_threads(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 && n < 1024 ? (uint32_t)n : 1;
}

int weft__sched_start(weft_graph *g, const weft_run_opts *opts)
{
    weft__sched *s = weft__sched_get(g);
    if (!s)
        return WEFT_ENOMEM;
    if (s->started)
        return WEFT_ESTATE;
    uint32_t threads = opts && opts->threads ? opts->threads : default_threads();
    s->realtime = opts && opts->realtime;
    int rc = build(s, g);
    if (rc < 0)
        return rc;
    if (opts && opts->trace_path && *opts->trace_path &&
        (rc = weft__trace_open(s, opts->trace_path)) < 0)
        return rc;
    uint32_t schedulable = 0;
    for (size_t i = 0; i < s->n_nodes; i++)
        if (s->nodes[i].kind == KIND_NORMAL || s->nodes[i].kind == KIND_SOURCE)
            schedulable++;
    if (threads > schedulable)
        threads = schedulable ? schedulable : 1;
    worker *ws = calloc(threads, sizeof *ws);
    s->workers = calloc(threads, sizeof *s->workers);
    if (!ws || !s->workers) {
        free(ws);
        return WEFT_ENOMEM;
    }
    for (size_t i = 0; i < s->n_nodes; i++) {
        weft__node_set_io(s->nodes[i].node, &sched_io, s);
        s->nodes[i].node->driver_data = &s->nodes[i];
    }

    pthread_mutex_lock(&s->mu);
    s->started = true;
    s->t0 = weft__sched_now(s);
    s->tick0 = weft__ticks();
    s->tick_ns0 = weft__now_ns();
    s->n_unfinished = (uint32_t)s->n_nodes;
    /* Keep the worker descriptors alive with the scheduler: they are
     * freed with it (stored after the workers array). */
    for (uint32_t i = 0; i < threads; i++) {
        ws[i].s = s;
        ws[i].tid = (int)i + 1;
        if (s->trace) {
            char name[32];
            snprintf(name, sizeof name, "worker %u", i + 1);
            weft__trace_thread(s, (int)i + 1, name);
        }
    }
    if (s->n_nodes == 0)
        set_done(s);
    for (size_t i = 0; i < s->n_nodes; i++)
        wake(s, &s->nodes[s->topo[i]]);
    int next_tid = (int)threads + 1;
    for (size_t i = 0; i < s->n_nodes; i++) {
        sched_node *n = &s->nodes[i];
        if (n->kind != KIND_LIVE)
            continue;
        n->tid = next_tid++;
        if (s->trace) {
            char name[96];
            snprintf(name, sizeof name, "live %s", n->node->name);
            weft__trace_thread(s, n->tid, name);
        }
        if (pthread_create(&n->thread, NULL, live_main, n) != 0) {
            rc = WEFT_ENOMEM;
            break;
        }
        n->has_thread = true;
    }
    for (uint32_t i = 0; rc == 0 && i < threads; i++) {
        if (pthread_create(&s->workers[i], NULL, worker_main, &ws[i]) != 0) {
            rc = WEFT_ENOMEM;
            break;
        }
        s->n_workers++;
    }
    s->worker_args = ws;
    if (rc < 0) {
        /* Whatever started must end before the caller frees the graph. */
        do_abort(s);
        if (!s->done)
            set_done(s);
    }
    pthread_mutex_unlock(&s->mu);
    if (rc < 0)
        join_threads(s);
    return rc;
}

/* A light node whose batch has lasted far longer than its history says
 * (a call that suddenly blocks or computes) would hold queued work back
 * while the other workers sleep: count it as heavy from now on, so that
 * wake_worker() lets another worker take that work. Called by the waiting
 * thread every POLL_NS, with s->mu held. */
static void promote_stuck(weft__sched *s)
{
    if (s->n_workers < 2 || !s->rq_n)
        return;
    int64_t now = weft__ticks(), limit = 50 * heavy_ticks(s);
    for (size_t i = 0; i < s->n_nodes; i++) {
        sched_node *n = &s->nodes[i];
        if (n->state == NODE_RUNNING && n->kind != KIND_LIVE &&
            !n->heavy_run && now - n->batch_t0 > limit) {
            n->heavy_run = true;
            s->n_heavy++;
            wake_worker(s);
        }
    }
}

int weft__sched_wait(weft_graph *g, int64_t timeout_ns)
{
    weft__sched *s = g->sched;
    if (!s || !s->started)
        return WEFT_ESTATE;
    int64_t deadline = timeout_ns < 0 ? INT64_MAX : weft__now_ns() + timeout_ns;
    pthread_mutex_lock(&s->mu);
    while (!s->done) {
        check_stop_request(s);
        int64_t now = weft__now_ns();
        if (s->stopping && !s->aborting && now >= s->abort_deadline)
            do_abort(s);
        if (s->done)
            break;
        if (now >= deadline) {
            pthread_mutex_unlock(&s->mu);
            return WEFT_ETIMEDOUT;
        }
        int64_t until = now + POLL_NS;
        if (until > deadline)
            until = deadline;
        promote_stuck(s);
        cv_wait(&s->done_cv, &s->mu, until);
    }
    pthread_mutex_unlock(&s->mu);
    join_threads(s);
    return s->err_code ? s->err_code : s->user_stop ? WEFT_EINTR : 0;
}

void weft__sched_stop(weft_graph *g)
{
    /* Only an atomic store: async-signal-safe. The waiting thread, a
     * worker or a live thread acts on it within POLL_NS. */
    if (g->sched)
        atomic_store(&g->sched->stop_req, true);
}

int weft__sched_flush(weft_graph *g, const uint32_t *idx, size_t k)
{
    weft__sched *s = g->sched;
    if (!s || !s->started)
        return WEFT_ESTATE;
    int rc = 0;
    pthread_mutex_lock(&s->mu);
    while (s->flush_busy && !s->done)
        pthread_cond_wait(&s->ext_cv, &s->mu);
    if (s->done) {
        pthread_mutex_unlock(&s->mu);
        return 0;
    }
    s->flush_busy = true;
    for (size_t i = 0; i < k; i++)
        s->nodes[idx[i]].flushing = true;
    /* Each node is flushed while it is not processing. */
    for (;;) {
        bool busy = false;
        for (size_t i = 0; i < k; i++)
            busy |= s->nodes[idx[i]].state == NODE_RUNNING;
        if (!busy)
            break;
        pthread_cond_wait(&s->ext_cv, &s->mu);
    }
    for (size_t t = 0; t < s->n_nodes; t++) {
        sched_node *n = &s->nodes[s->topo[t]];
        if (!n->flushing)
            continue;
        for (uint32_t p = 0; p < n->n_in; p++)
            for (uint32_t i = 0; i < n->in[p].n; i++)
                edge_drain(&s->edges[n->in[p].edges[i]]);
        if (n->finished || n->kind == KIND_APP_SRC || n->kind == KIND_APP_SINK)
            continue;
        /* While flushing is set no thread dispatches the node, so its
         * callback runs here without the lock. */
        pthread_mutex_unlock(&s->mu);
        int r = weft__node_flush(n->node);
        pthread_mutex_lock(&s->mu);
        if (r < 0 && rc == 0) {
            rc = r;
            node_failed(s, n);
        }
    }
    for (size_t i = 0; i < k; i++) {
        sched_node *n = &s->nodes[idx[i]];
        n->flushing = false;
        n->stalled = false;
    }
    for (size_t i = 0; i < k; i++) {
        sched_node *n = &s->nodes[idx[i]];
        wake(s, n);
        for (uint32_t p = 0; p < n->n_in; p++)
            for (uint32_t j = 0; j < n->in[p].n; j++)
                wake(s, edge_src(s, &s->edges[n->in[p].edges[j]]));
    }
    s->flush_busy = false;
    pthread_cond_broadcast(&s->ext_cv);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

void weft__sched_free(weft_graph *g)
{
    weft__sched *s = g->sched;
    if (!s)
        return;
    if (s->started) {
        pthread_mutex_lock(&s->mu);
        if (!s->done)
            do_abort(s);
        while (!s->done)
            cv_wait(&s->done_cv, &s->mu, weft__now_ns() + POLL_NS);
        pthread_mutex_unlock(&s->mu);
        join_threads(s);
    }
    for (size_t i = 0; s->edges && i < s->n_edges; i++) {
        if (s->edges[i].ring)
            edge_drain(&s->edges[i]);
        free(s->edges[i].ring);
        free(s->edges[i].label);
    }
    for (size_t i = 0; s->nodes && i < s->n_nodes; i++) {
        sched_node *n = &s->nodes[i];
        for (uint32_t p = 0; n->in && p < n->n_in; p++)
            free(n->in[p].edges);
        for (uint32_t p = 0; n->out && p < n->n_out; p++)
            free(n->out[p].edges);
        free(n->in);
        free(n->out);
        if (n->node) {
            weft__node_set_io(n->node, NULL, NULL);
            n->node->driver_data = NULL;
        }
    }
    free(s->nodes);
    free(s->edges);
    free(s->topo);
    free(s->runq);
    free(s->workers);
    free(s->worker_args);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->work_cv);
    pthread_cond_destroy(&s->done_cv);
    pthread_cond_destroy(&s->ext_cv);
    free(s);
    g->sched = NULL;
}

double weft__sched_ns_per_tick(const weft__sched *s)
{
    int64_t dt = weft__ticks() - s->tick0, dn = weft__now_ns() - s->tick_ns0;
    return dt > 0 && dn > 0 ? (double)dn / (double)dt : 1.0;
}

sched_node *weft__sched_find(weft__sched *s, const char *name, int kind)
{
    for (size_t i = 0; name && i < s->n_nodes; i++)
        if (s->nodes[i].kind == kind && strcmp(s->nodes[i].node->name, name) == 0)
            return &s->nodes[i];
    return NULL;
}
