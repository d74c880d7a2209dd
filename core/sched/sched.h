/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The scheduler's internal state, shared by its files (sched.c: queues,
 * readiness, workers, live threads; app.c: app.src/app.sink; stats.c:
 * statistics and progress; trace.c: Chrome trace events).
 *
 * One mutex (mu) guards everything below except what is marked atomic. It
 * is held for queue operations and bookkeeping only, never across a
 * node's callback, so it is short and uncontended at one thread; a node's
 * process runs unlocked and re-enters through the pop/push hooks.
 */
#ifndef WEFT_SCHED_H
#define WEFT_SCHED_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

#include "../graph-private.h"
#include <weft/run.h>

/* Log-linear histogram: 8 sub-buckets per power of two, so a percentile is
 * exact to 1/8 of its value; fixed size, so recording never allocates. */
#define SCHED_HIST_BUCKETS 512
typedef struct sched_hist {
    uint64_t n;
    uint64_t count[SCHED_HIST_BUCKETS];
} sched_hist;
void weft__hist_add(sched_hist *h, int64_t v);
int64_t weft__hist_quantile(const sched_hist *h, double q);

typedef struct sched_slot {
    weft_buf *buf;
    uint64_t seq; /* arrival order, to merge fan-in deterministically */
} sched_slot;

typedef struct sched_edge {
    sched_slot *ring;    /* power-of-two ring; grows only on a burst */
    uint32_t size, head, n;
    uint32_t cap;        /* logical capacity: readiness and drop threshold */
    weft_overflow policy;
    uint32_t src, dst, src_port, dst_port;
    bool eos;    /* the producer finished: nothing more will come */
    bool closed; /* the consumer finished: pushes are dropped */
    uint64_t pushed, drops;
    uint32_t max_depth;
    char *label; /* "src.port->dst.port" for traces */
} sched_edge;

typedef struct sched_port {
    uint32_t *edges;
    uint32_t n;
} sched_port;

enum { NODE_IDLE = 0, NODE_QUEUED, NODE_RUNNING };
enum {
    KIND_NORMAL = 0, /* has linked inputs */
    KIND_SOURCE,     /* no linked inputs: runs while outputs have room */
    KIND_LIVE,       /* a source on a thread of its own */
    KIND_APP_SRC,    /* fed by weft_graph_app_push, never scheduled */
    KIND_APP_SINK    /* drained by weft_graph_app_pull, never scheduled */
};

typedef struct sched_node {
    weft_node *node;
    struct weft__sched *s;
    uint32_t idx, topo;
    int kind;
    int state;
    sched_port *in, *out;
    uint32_t n_in, n_out, n_linked_in;
    bool finished;
    bool final_called;   /* the last call, with every input ended, is made */
    bool stalled;        /* its last call consumed and produced nothing */
    bool flushing;
    bool finish_pending; /* finish when the running call returns */
    bool sink;           /* no linked outputs: records latency */
    uint64_t progress;   /* pops + pushes, to detect a call that did nothing */
    uint64_t events;     /* pushes in, room out, ends: may make it ready */
    int64_t due_ns;      /* realtime pacing: not before this clock time */
    int64_t pos_ns;      /* end time of the last buffer pushed (progress) */
    /* statistics */
    uint64_t buf_in, buf_out, calls;
    int64_t busy_ticks; /* see weft__ticks */
    sched_hist proc;    /* process time in ticks */
    sched_hist lat;     /* sink latency in ns */
    pthread_t thread; /* live sources */
    bool has_thread;
    int tid; /* trace track of the thread running it now */
    int64_t avg_ticks;   /* moving average of a batch's process time */
    int64_t batch_ticks; /* process time of the batch running now */
    int64_t batch_t0;    /* when the batch running now started (ticks) */
    bool heavy_run;    /* counted in s->n_heavy while its batch runs */
} sched_node;

typedef struct weft__sched {
    weft_graph *g;
    pthread_mutex_t mu;
    pthread_cond_t work_cv; /* workers: a node became ready, or done */
    pthread_cond_t done_cv; /* waiters: done, or something to look at */
    pthread_cond_t ext_cv;  /* live threads, app push/pull, flush */

    sched_node *nodes;
    size_t n_nodes;
    sched_edge *edges;
    size_t n_edges;
    uint32_t *topo; /* node indices, upstream first */

    uint32_t *runq; /* FIFO of ready nodes; each at most once */
    size_t rq_head, rq_n;

    pthread_t *workers;
    void *worker_args;
    uint32_t n_workers, n_idle;
    uint32_t n_waking; /* signalled workers that have not woken yet */
    uint32_t n_heavy;   /* workers running a batch of a heavy node */
    int64_t heavy_ticks; /* HEAVY_NS in ticks, once measured (0: not yet) */
    bool flush_busy;
    bool threads_joined;

    /* configuration (set before start) */
    weft_clock_fn clock;
    void *clock_ctx;
    bool trace_logical;
    bool realtime;
    uint32_t n_paced;

    bool started, done;
    bool stopping;  /* stop handled: sources finish, data drains */
    bool aborting;  /* drain took too long or failed: drop everything */
    atomic_bool stop_req;
    bool user_stop;
    int64_t t0, t_end, abort_deadline;
    int64_t tick0, tick_ns0; /* weft__ticks and monotonic ns at start */
    uint32_t n_unfinished;
    int err_code;
    uint64_t seq;

    /* trace (NULL when off); written under mu */
    FILE *trace;
    int64_t t0_trace;
    uint64_t trace_tick;
} weft__sched;

/* A cheap timestamp for timing process calls: the TSC where there is one
 * (a quarter of clock_gettime's cost, which shows at 100 ns per hop),
 * converted to ns when read. */
#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
static inline int64_t weft__ticks(void) { return (int64_t)__rdtsc(); }
#else
int64_t weft__now_ns(void);
static inline int64_t weft__ticks(void) { return weft__now_ns(); }
#endif
/* Nanoseconds per tick, measured over the run so far. */
double weft__sched_ns_per_tick(const weft__sched *s);

/* Graph clock in ns. [any-thread] */
int64_t weft__sched_now(const weft__sched *s);
/* Allocate the not-yet-started state so configuration can be stored. */
weft__sched *weft__sched_get(weft_graph *g);

/* Locked helpers shared by app.c (caller holds s->mu). */
bool weft__sched_outputs_room(const weft__sched *s, const sched_node *n);
weft_flow weft__sched_push_locked(weft__sched *s, sched_node *n,
                                  uint32_t port, weft_buf *buf);
weft_flow weft__sched_pop_locked(weft__sched *s, sched_node *n,
                                 uint32_t port, weft_buf **out);
void weft__sched_finish(weft__sched *s, sched_node *n);
sched_node *weft__sched_find(weft__sched *s, const char *name, int kind);

/* Built-in classes (app.c). */
const weft_node_class *weft__builtin_find(const char *name);
extern const weft_node_class weft__app_src_class;
extern const weft_node_class weft__app_sink_class;
extern const weft_plugin_desc weft__app_plugin;
/* True when @cls is (the registry's copy of) @which. */
bool weft__is_app_class(const weft_node_class *cls,
                        const weft_node_class *which);

/* Trace events (trace.c); all under s->mu. */
int weft__trace_open(weft__sched *s, const char *path);
void weft__trace_close(weft__sched *s);
int64_t weft__trace_ts(weft__sched *s); /* a timestamp for an event */
void weft__trace_span(weft__sched *s, const sched_node *n, int tid,
                      int64_t t0, int64_t t1);
void weft__trace_depths(weft__sched *s, const sched_node *n);
void weft__trace_drop(weft__sched *s, const sched_edge *e, int tid);
void weft__trace_error(weft__sched *s, const sched_node *n, int tid,
                       const char *msg);
void weft__trace_thread(weft__sched *s, int tid, const char *name);

/* JSON string escaping into a stream (stats.c). */
void weft__json_str(FILE *f, const char *s);

#endif
