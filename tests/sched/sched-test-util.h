/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Test-local node classes and helpers shared by the scheduler tests:
 *
 *   t.seq     source: `count` f32 scalars 0, 1, 2, ... (pts = i ms),
 *             `burst` of them per process call
 *   t.collect sink (ANY_INPUT): records every value it pops, in order,
 *             and how many final calls it got
 *   t.add     two inputs (all-inputs readiness): pushes a + b
 *   t.accum   stateful: pushes the running sum; flush resets it
 *   t.live    live source on a fake clock: one buffer per clock tick,
 *             blocks until the test advances the clock
 *   t.gate    sink that blocks in its first call until released
 *   t.merge   ANY_INPUT pass-through of a MULTI input; `fail_after`
 *
 * t.collect and t.merge count calls that found another thread inside the
 * same node (tu_reentered), which must never happen.
 */
#ifndef SCHED_TEST_UTIL_H
#define SCHED_TEST_UTIL_H

#include <stdatomic.h>
#include <weft/weft.h>

#define COLLECT_MAX 200000

typedef struct collect {
    atomic_int busy;
    float *vals;
    size_t n;
    int final_calls;
    int flushes;
} collect;

/* A registry with the core plugin and the test classes. */
weft_registry *tu_registry(void);
/* Add a node and set "k=v" properties (NULL-terminated); aborts the test
 * on failure. */
void tu_node(weft_graph *g, const char *name, const char *cls, ...);
void tu_link(weft_graph *g, const char *a, const char *ap, const char *b,
             const char *bp, uint32_t cap, weft_overflow pol);
/* The collector state of a t.collect node. */
collect *tu_collect(weft_graph *g, const char *name);
/* Run to the end with @threads; returns weft_graph_wait's result. */
int tu_run(weft_graph *g, uint32_t threads, const char *trace);

/* The fake clock driving t.live. */
void tu_clock_reset(void);
void tu_clock_advance(int64_t ns);
int64_t tu_clock_now(void *ctx);
/* Release every t.gate. */
void tu_gate_open(void);
void tu_gate_close(void);
/* Calls that overlapped another call of the same node (must be 0). */
int tu_reentered(void);
/* Number of t.live buffers produced so far. */
int64_t tu_live_produced(void);

#endif
