/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Scheduler tests: order, determinism, backpressure, drop policies, end of
 * stream through fan-out and fan-in, errors, flush, live sources on a fake
 * clock, realtime pacing, stop, and the steady-state allocation count.
 * Only counts, orders and bounds are asserted, never durations.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sched-test-util.h"

static void nap(void)
{
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL);
}

static uint64_t node_in(weft_graph *g, const char *name)
{
    for (size_t i = 0; i < weft_graph_n_nodes(g); i++) {
        weft_node_stats st = {.struct_size = sizeof st};
        ck_assert_int_eq(weft_graph_node_stats(g, i, &st), 0);
        if (strcmp(st.name, name) == 0)
            return st.buffers_in;
    }
    ck_abort_msg("no node %s", name);
    return 0;
}

static weft_link_stats link_stats(weft_graph *g, size_t i)
{
    weft_link_stats ls = {.struct_size = sizeof ls};
    ck_assert_int_eq(weft_graph_link_stats(g, i, &ls), 0);
    return ls;
}

/* ------------------------------------------------------------ order */

static void chain(weft_graph *g, int count, int k)
{
    char c[32];
    snprintf(c, sizeof c, "count=%d", count);
    tu_node(g, "src", "t.seq", c, NULL);
    const char *prev = "src";
    static char names[16][16];
    for (int i = 0; i < k; i++) {
        snprintf(names[i], sizeof names[i], "id%d", i);
        tu_node(g, names[i], "identity", NULL);
        tu_link(g, prev, NULL, names[i], NULL, 0, WEFT_OVERFLOW_BLOCK);
        prev = names[i];
    }
    tu_node(g, "out", "t.collect", NULL);
    tu_link(g, prev, NULL, "out", NULL, 0, WEFT_OVERFLOW_BLOCK);
}

START_TEST(chain_order)
{
    uint32_t threads[] = {1, 2, 4};
    for (size_t t = 0; t < 3; t++) {
        weft_registry *reg = tu_registry();
        weft_graph *g = weft_graph_new(reg);
        chain(g, 5000, 4);
        ck_assert_int_eq(tu_run(g, threads[t], NULL), 0);
        collect *c = tu_collect(g, "out");
        ck_assert_uint_eq(c->n, 5000);
        for (size_t i = 0; i < c->n; i++)
            ck_assert_float_eq(c->vals[i], (float)i);
        ck_assert_int_eq(c->final_calls, 1);
        ck_assert_ptr_null(weft_graph_error(g));
        weft_graph_free(g);
        weft_registry_free(reg);
    }
}
END_TEST

/* A graph with fan-out, fan-in into a MULTI port and an all-inputs join. */
static void diamond(weft_graph *g, int count)
{
    char c[32];
    snprintf(c, sizeof c, "count=%d", count);
    tu_node(g, "src", "t.seq", c, "burst=3", NULL);
    tu_node(g, "a", "identity", NULL);
    tu_node(g, "b", "identity", NULL);
    tu_node(g, "sum", "t.add", NULL);
    tu_node(g, "both", "t.collect", NULL);
    tu_node(g, "sums", "t.collect", NULL);
    tu_link(g, "src", NULL, "a", NULL, 4, WEFT_OVERFLOW_BLOCK);
    tu_link(g, "src", NULL, "b", NULL, 7, WEFT_OVERFLOW_BLOCK);
    tu_link(g, "a", NULL, "sum", "a", 0, WEFT_OVERFLOW_BLOCK);
    tu_link(g, "b", NULL, "sum", "b", 3, WEFT_OVERFLOW_BLOCK);
    tu_link(g, "a", NULL, "both", NULL, 0, WEFT_OVERFLOW_BLOCK);
    tu_link(g, "b", NULL, "both", NULL, 0, WEFT_OVERFLOW_BLOCK);
    tu_link(g, "sum", NULL, "sums", NULL, 2, WEFT_OVERFLOW_BLOCK);
}

START_TEST(eos_fan_out_fan_in)
{
    uint32_t threads[] = {1, 3};
    for (size_t t = 0; t < 2; t++) {
        weft_registry *reg = tu_registry();
        weft_graph *g = weft_graph_new(reg);
        diamond(g, 700);
        ck_assert_int_eq(tu_run(g, threads[t], NULL), 0);
        collect *s = tu_collect(g, "sums"), *b = tu_collect(g, "both");
        ck_assert_uint_eq(s->n, 700);
        for (size_t i = 0; i < s->n; i++)
            ck_assert_float_eq(s->vals[i], 2.0f * (float)i);
        ck_assert_uint_eq(b->n, 1400);
        /* Each value arrives once from each branch; per branch in order. */
        int seen[700] = {0};
        for (size_t i = 0; i < b->n; i++)
            seen[(int)b->vals[i]]++;
        for (int i = 0; i < 700; i++)
            ck_assert_int_eq(seen[i], 2);
        ck_assert_int_eq(s->final_calls, 1);
        ck_assert_int_eq(b->final_calls, 1);
        weft_graph_free(g);
        weft_registry_free(reg);
    }
}
END_TEST

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    ck_assert_uint_eq(fread(s, 1, (size_t)n, f), (size_t)n);
    s[n] = 0;
    fclose(f);
    return s;
}

START_TEST(deterministic_single_thread)
{
    char path[2][64];
    float *vals[2];
    size_t nv[2];
    for (int r = 0; r < 2; r++) {
        snprintf(path[r], sizeof path[r], "/tmp/weft-sched-trace-%d-%d.json",
                 (int)getpid(), r);
        weft_registry *reg = tu_registry();
        weft_graph *g = weft_graph_new(reg);
        diamond(g, 300);
        ck_assert_int_eq(weft_graph_set_trace_logical(g, true), 0);
        ck_assert_int_eq(tu_run(g, 1, path[r]), 0);
        collect *b = tu_collect(g, "both");
        nv[r] = b->n;
        vals[r] = malloc(b->n * sizeof(float));
        memcpy(vals[r], b->vals, b->n * sizeof(float));
        weft_graph_free(g);
        weft_registry_free(reg);
    }
    ck_assert_uint_eq(nv[0], nv[1]);
    ck_assert_int_eq(memcmp(vals[0], vals[1], nv[0] * sizeof(float)), 0);
    char *a = slurp(path[0]), *b = slurp(path[1]);
    ck_assert_str_eq(a, b);
    ck_assert_ptr_nonnull(strstr(a, "\"traceEvents\""));
    ck_assert_ptr_nonnull(strstr(a, "\"ph\":\"X\""));
    ck_assert_ptr_nonnull(strstr(a, "\"ph\":\"C\""));
    free(a);
    free(b);
    free(vals[0]);
    free(vals[1]);
    unlink(path[0]);
    unlink(path[1]);
}
END_TEST

/* ------------------------------------------------------------ backpressure */

START_TEST(backpressure_bounded)
{
    weft_registry *reg = tu_registry();
    weft_graph *g = weft_graph_new(reg);
    tu_node(g, "src", "t.seq", "count=400", NULL);
    tu_node(g, "fast", "identity", NULL);
    tu_node(g, "slow", "identity", "sleep_us=200", NULL);
    tu_node(g, "out", "t.collect", NULL);
    tu_link(g, "src", NULL, "fast", NULL, 3, WEFT_OVERFLOW_BLOCK);
    tu_link(g, "fast", NULL, "slow", NULL, 5, WEFT_OVERFLOW_BLOCK);
    tu_link(g, "slow", NULL, "out", NULL, 2, WEFT_OVERFLOW_BLOCK);
    weft_mem_stats m0, m;
    weft_mem_stats_get(&m0);
    weft_run_opts o = {sizeof o, 4, false, NULL};
    ck_assert_int_eq(weft_graph_start(g, &o), 0);
    uint64_t max_live = 0;
    while (weft_graph_wait(g, 200000) == WEFT_ETIMEDOUT) {
        weft_mem_stats_get(&m);
        if (m.live_bufs > max_live)
            max_live = m.live_bufs;
    }
    /* Every queue stayed within its capacity (one buffer per call), so
     * buffers alive at once are bounded by the queues plus one in flight
     * per node, whatever the source could produce. */
    ck_assert_uint_le(link_stats(g, 0).max_depth, 3);
    ck_assert_uint_le(link_stats(g, 1).max_depth, 5);
    ck_assert_uint_le(link_stats(g, 2).max_depth, 2);
    ck_assert_uint_le(max_live, m0.live_bufs + 3 + 5 + 2 + 4);
    ck_assert_uint_eq(tu_collect(g, "out")->n, 400);
    weft_graph_free(g);
    weft_registry_free(reg);
}
END_TEST

/* The pool wakes a second worker only for nodes whose batches keep a
 * worker busy (it keeps a chain of cheap nodes on one thread): two slow
 * branches must still run side by side. They sleep rather than compute,
 * so the check holds on a loaded machine and under valgrind. */
static double run_seconds(weft_registry *reg, uint32_t threads)
{
    weft_graph *g = weft_graph_new(reg);
    tu_node(g, "src", "t.seq", "count=30", NULL);
    tu_node(g, "a", "identity", "sleep_us=4000", NULL);
    tu_node(g, "b", "identity", "sleep_us=4000", NULL);
    tu_node(g, "oa", "t.collect", NULL);
    tu_node(g, "ob", "t.collect", NULL);
    tu_link(g, "src", NULL, "a", NULL, 0, WEFT_OVERFLOW_BLOCK);
    tu_link(g, "src", NULL, "b", NULL, 0, WEFT_OVERFLOW_BLOCK);
    tu_link(g, "a", NULL, "oa", NULL, 0, WEFT_OVERFLOW_BLOCK);
    tu_link(g, "b", NULL, "ob", NULL, 0, WEFT_OVERFLOW_BLOCK);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ck_assert_int_eq(tu_run(g, threads, NULL), 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ck_assert_uint_eq(tu_collect(g, "oa")->n, 30);
    ck_assert_uint_eq(tu_collect(g, "ob")->n, 30);
    weft_graph_free(g);
    return (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) * 1e-9;
}

START_TEST(heavy_nodes_run_in_parallel)
{
    weft_registry *reg = tu_registry();
    double one = run_seconds(reg, 1), two = run_seconds(reg, 2);
    /* 60 calls of 4 ms: 240 ms on one worker, about half on two. */
    ck_assert_msg(two < 0.8 * one, "threads=2 took %.3f s, threads=1 %.3f s",
                  two, one);
    weft_registry_free(reg);
}
END_TEST

/* ------------------------------------------------------------ drops */

static void burst_drop(weft_overflow pol, float first)
{
    weft_registry *reg = tu_registry();
    weft_graph *g = weft_graph_new(reg);
    tu_node(g, "src", "t.seq", "count=100", "burst=100", NULL);
    tu_node(g, "out", "t.collect", NULL);
    tu_link(g, "src", NULL, "out", NULL, 4, pol);
    /* One worker: the sink cannot run during the source's single call. */
    ck_assert_int_eq(tu_run(g, 1, NULL), 0);
    collect *c = tu_collect(g, "out");
    ck_assert_uint_eq(c->n, 4);
    for (size_t i = 0; i < 4; i++)
        ck_assert_float_eq(c->vals[i], first + (float)i);
    weft_link_stats ls = link_stats(g, 0);
    ck_assert_uint_eq(ls.dropped, 96);
    ck_assert_uint_eq(ls.pushed, 100);
    weft_node_stats st = {.struct_size = sizeof st};
    weft_graph_node_stats(g, 1, &st);
    ck_assert_uint_eq(st.drops, 96);
    weft_graph_free(g);
    weft_registry_free(reg);
}

START_TEST(drop_oldest_exact)
{
    burst_drop(WEFT_OVERFLOW_DROP_OLDEST, 96);
}
END_TEST

START_TEST(drop_newest_exact)
{
    burst_drop(WEFT_OVERFLOW_DROP_NEWEST, 0);
}
END_TEST

/* A live source on the fake clock into a sink that does not read until
 * the gate opens: every buffer past the capacity is dropped, exactly. */
static void live_drop(weft_overflow pol, float first)
{
    tu_clock_reset();
    tu_gate_close();
    weft_registry *reg = tu_registry();
    weft_graph *g = weft_graph_new(reg);
    tu_node(g, "mic", "t.live", "count=50", "period=1000", NULL);
    tu_node(g, "out", "t.gate", NULL);
    tu_link(g, "mic", NULL, "out", NULL, 5, pol);
    ck_assert_int_eq(weft_graph_set_clock(g, tu_clock_now, NULL), 0);
    weft_run_opts o = {sizeof o, 2, false, NULL};
    ck_assert_int_eq(weft_graph_start(g, &o), 0);
    for (int i = 1; i <= 50; i++) {
        tu_clock_advance(1000);
        while (tu_live_produced() < i)
            nap();
    }
    tu_gate_open();
    ck_assert_int_eq(weft_graph_wait(g, -1), 0);
    collect *c = tu_collect(g, "out");
    ck_assert_uint_eq(c->n, 5);
    for (size_t i = 0; i < 5; i++)
        ck_assert_float_eq(c->vals[i], first + (float)i);
    ck_assert_uint_eq(link_stats(g, 0).dropped, 45);
    /* Latency on the fake clock: buffer k was stamped at k us and read at
     * 50 us or later. */
    weft_node_stats st = {.struct_size = sizeof st};
    weft_graph_node_stats(g, 1, &st);
    ck_assert_uint_eq(st.latency_samples, 5);
    ck_assert_int_ge(st.latency_p50_ns, 0);
    weft_graph_free(g);
    weft_registry_free(reg);
}

START_TEST(live_drop_oldest)
{
    live_drop(WEFT_OVERFLOW_DROP_OLDEST, 45);
}
END_TEST

START_TEST(live_drop_newest)
{
    live_drop(WEFT_OVERFLOW_DROP_NEWEST, 0);
}
END_TEST

START_TEST(live_stop_drains)
{
    tu_clock_reset();
    weft_registry *reg = tu_registry();
    weft_graph *g = weft_graph_new(reg);
    tu_node(g, "mic", "t.live", "period=1000", NULL); /* endless */
    tu_node(g, "id", "identity", NULL);
    tu_node(g, "out", "t.collect", NULL);
    tu_link(g, "mic", NULL, "id", NULL, 0, WEFT_OVERFLOW_BLOCK);
    tu_link(g, "id", NULL, "out", NULL, 0, WEFT_OVERFLOW_BLOCK);
    ck_assert_int_eq(weft_graph_set_clock(g, tu_clock_now, NULL), 0);
    weft_run_opts o = {sizeof o, 1, false, NULL};
    ck_assert_int_eq(weft_graph_start(g, &o), 0);
    for (int i = 1; i <= 10; i++) {
        tu_clock_advance(1000);
        while (tu_live_produced() < i)
            nap();
    }
    /* The source now blocks in its "device read"; stop unblocks it and
     * what it produced drains to the sink. */
    weft_graph_stop(g);
    ck_assert_int_eq(weft_graph_wait(g, -1), WEFT_EINTR);
    collect *c = tu_collect(g, "out");
    ck_assert_uint_eq(c->n, 10);
    for (size_t i = 0; i < 10; i++)
        ck_assert_float_eq(c->vals[i], (float)i);
    ck_assert_int_eq(c->final_calls, 1);
    weft_graph_free(g);
    weft_registry_free(reg);
}
END_TEST

/* ------------------------------------------------------------ errors */

START_TEST(error_mid_stream)
{
    weft_mem_stats m0, m1;
    uint32_t threads[] = {1, 4};
    for (size_t t = 0; t < 2; t++) {
        weft_mem_stats_get(&m0);
        weft_registry *reg = tu_registry();
        weft_graph *g = weft_graph_new(reg);
        tu_node(g, "src", "t.seq", "count=100000", NULL);
        tu_node(g, "pre", "identity", NULL);
        tu_node(g, "dec", "identity", "fail_after=100", NULL);
        tu_node(g, "out", "t.collect", NULL);
        tu_link(g, "src", NULL, "pre", NULL, 0, WEFT_OVERFLOW_BLOCK);
        tu_link(g, "pre", NULL, "dec", NULL, 0, WEFT_OVERFLOW_BLOCK);
        tu_link(g, "dec", NULL, "out", NULL, 0, WEFT_OVERFLOW_BLOCK);
        int rc = tu_run(g, threads[t], NULL);
        ck_assert_int_eq(rc, WEFT_ENODE);
        ck_assert_str_eq(weft_graph_error(g),
                         "node 'dec' (identity): failing after 100 buffers, "
                         "as fail_after asks");
        collect *c = tu_collect(g, "out");
        ck_assert_uint_eq(c->n, 100);
        ck_assert_int_eq(c->final_calls, 1);
        weft_graph_free(g);
        weft_registry_free(reg);
        weft_mem_stats_get(&m1);
        ck_assert_uint_eq(m1.live_bufs, m0.live_bufs); /* nothing leaked */
    }
}
END_TEST

/* ------------------------------------------------------------ flush */

static weft_buf *scalar(float v)
{
    int64_t shape[1] = {1};
    weft_buf *b = weft_buf_new_tensor(WEFT_DTYPE_F32, 1, shape,
                                      WEFT_DOMAIN_HOST, 0);
    *(float *)weft_buf_data(b) = v;
    weft_buf_set_pts(b, 0);
    return b;
}

static float pull1(weft_graph *g, const char *name)
{
    weft_buf *b;
    ck_assert_int_eq(weft_graph_app_pull(g, name, -1, &b), WEFT_FLOW_OK);
    float v = *(const float *)weft_buf_cdata(b);
    weft_buf_unref(b);
    return v;
}

START_TEST(flush_mid_stream)
{
    weft_registry *reg = tu_registry();
    weft_graph *g = weft_graph_new(reg);
    tu_node(g, "in", "app.src", "format=tensor dtype=f32 shape=[1]", NULL);
    tu_node(g, "acc", "t.accum", NULL);
    tu_node(g, "acc2", "t.accum", NULL);
    tu_node(g, "out", "app.sink", NULL);
    tu_link(g, "in", NULL, "acc", NULL, 0, WEFT_OVERFLOW_BLOCK);
    tu_link(g, "acc", NULL, "acc2", NULL, 0, WEFT_OVERFLOW_BLOCK);
    tu_link(g, "acc2", NULL, "out", NULL, 0, WEFT_OVERFLOW_BLOCK);
    weft_run_opts o = {sizeof o, 2, false, NULL};
    ck_assert_int_eq(weft_graph_start(g, &o), 0);
    for (int i = 1; i <= 3; i++)
        ck_assert_int_eq(weft_graph_app_push(g, "in", scalar((float)i)),
                         WEFT_FLOW_OK);
    /* acc: 1 3 6; acc2: 1 4 10 */
    ck_assert_float_eq(pull1(g, "out"), 1);
    ck_assert_float_eq(pull1(g, "out"), 4);
    ck_assert_float_eq(pull1(g, "out"), 10);
    const char *names[] = {"acc2", "acc"}; /* flushed upstream first anyway */
    ck_assert_int_eq(weft_graph_flush(g, names, 2), 0);
    ck_assert_int_eq(weft_graph_app_push(g, "in", scalar(5)), WEFT_FLOW_OK);
    ck_assert_float_eq(pull1(g, "out"), 5); /* state was forgotten */
    ck_assert_int_eq(weft_graph_app_end(g, "in"), 0);
    weft_buf *b;
    ck_assert_int_eq(weft_graph_app_pull(g, "out", -1, &b), WEFT_FLOW_EOS);
    ck_assert_int_eq(weft_graph_wait(g, -1), 0);
    ck_assert_int_eq(weft_node_counter(weft_graph_find_node(g, "acc"),
                                       "flushes"), 1);
    ck_assert_int_eq(weft_node_counter(weft_graph_find_node(g, "acc2"),
                                       "flushes"), 1);
    weft_graph_free(g);
    weft_registry_free(reg);
}
END_TEST

/* Flushing a busy chain while it runs: the queues empty, nothing breaks,
 * the stream still ends. */
START_TEST(flush_while_running)
{
    weft_registry *reg = tu_registry();
    weft_graph *g = weft_graph_new(reg);
    tu_node(g, "src", "t.seq", "count=20000", NULL);
    tu_node(g, "acc", "t.accum", NULL);
    tu_node(g, "id", "identity", NULL);
    tu_node(g, "out", "t.collect", NULL);
    tu_link(g, "src", NULL, "acc", NULL, 0, WEFT_OVERFLOW_BLOCK);
    tu_link(g, "acc", NULL, "id", NULL, 0, WEFT_OVERFLOW_BLOCK);
    tu_link(g, "id", NULL, "out", NULL, 0, WEFT_OVERFLOW_BLOCK);
    weft_run_opts o = {sizeof o, 3, false, NULL};
    ck_assert_int_eq(weft_graph_start(g, &o), 0);
    const char *names[] = {"id", "acc"};
    int flushes = 0;
    while (weft_graph_wait(g, 0) == WEFT_ETIMEDOUT && flushes < 20) {
        ck_assert_int_eq(weft_graph_flush(g, names, 2), 0);
        flushes++;
    }
    ck_assert_int_eq(weft_graph_wait(g, -1), 0);
    collect *c = tu_collect(g, "out");
    ck_assert_uint_le(c->n, 20000);
    ck_assert_int_eq(c->final_calls, 1);
    ck_assert_int_eq(weft_node_counter(weft_graph_find_node(g, "acc"),
                                       "flushes"), flushes);
    weft_graph_free(g);
    weft_registry_free(reg);
}
END_TEST

/* ------------------------------------------------------------ realtime */

START_TEST(realtime_paced_by_pts)
{
    tu_clock_reset();
    weft_registry *reg = tu_registry();
    weft_graph *g = weft_graph_new(reg);
    tu_node(g, "src", "t.seq", "count=20", NULL); /* 1 ms per buffer */
    tu_node(g, "out", "t.collect", NULL);
    tu_link(g, "src", NULL, "out", NULL, 0, WEFT_OVERFLOW_BLOCK);
    ck_assert_int_eq(weft_graph_set_clock(g, tu_clock_now, NULL), 0);
    weft_run_opts o = {sizeof o, 1, true, NULL};
    ck_assert_int_eq(weft_graph_start(g, &o), 0);
    tu_clock_advance(5000000); /* 5 ms: buffers with pts 0..5 are due */
    while (node_in(g, "out") < 6)
        nap();
    for (int i = 0; i < 20; i++)
        nap();
    ck_assert_uint_eq(node_in(g, "out"), 6);
    weft_progress p = {.struct_size = sizeof p};
    ck_assert_int_eq(weft_graph_progress(g, &p), 0);
    ck_assert_int_eq(p.duration_ns, 20000000);
    ck_assert_int_eq(p.position_ns, 6000000);
    ck_assert_int_eq(p.elapsed_ns, 5000000);
    tu_clock_advance(100000000);
    ck_assert_int_eq(weft_graph_wait(g, -1), 0);
    ck_assert_uint_eq(tu_collect(g, "out")->n, 20);
    weft_graph_free(g);
    weft_registry_free(reg);
}
END_TEST

/* ------------------------------------------------------------ allocation */

START_TEST(steady_state_allocates_nothing)
{
    weft_registry *reg = tu_registry();
    uint64_t allocs[2];
    int counts[2] = {2000, 200000};
    for (int r = 0; r < 2; r++) {
        weft_graph *g = weft_graph_new(reg);
        char c[32];
        snprintf(c, sizeof c, "count=%d", counts[r]);
        tu_node(g, "src", "test.src", c, "shape=[16]", NULL);
        tu_node(g, "a", "identity", NULL);
        tu_node(g, "b", "identity", NULL);
        tu_node(g, "out", "null.sink", NULL);
        tu_link(g, "src", NULL, "a", NULL, 0, WEFT_OVERFLOW_BLOCK);
        tu_link(g, "a", NULL, "b", NULL, 0, WEFT_OVERFLOW_BLOCK);
        tu_link(g, "b", NULL, "out", NULL, 0, WEFT_OVERFLOW_BLOCK);
        weft_mem_stats m0, m1;
        weft_mem_stats_get(&m0);
        ck_assert_int_eq(tu_run(g, r ? 2 : 1, NULL), 0);
        weft_mem_stats_get(&m1);
        allocs[r] = m1.sys_allocs - m0.sys_allocs;
        ck_assert_int_eq(weft_node_counter(weft_graph_find_node(g, "out"),
                                           "buffers"), counts[r]);
        weft_graph_free(g);
    }
    /* The first run warmed the pools; 200,000 buffers later the system
     * saw at most a handful of new blocks (a second thread's working set),
     * not one per buffer. */
    ck_assert_uint_le(allocs[1], 64);
    weft_registry_free(reg);
}
END_TEST

/* ------------------------------------------------------------ stats */

START_TEST(stats_table_and_json)
{
    weft_registry *reg = tu_registry();
    weft_graph *g = weft_graph_new(reg);
    chain(g, 1000, 2);
    ck_assert_ptr_null(weft_graph_stats_json(g));
    ck_assert_int_eq(tu_run(g, 2, NULL), 0);
    for (size_t i = 0; i < weft_graph_n_nodes(g); i++) {
        weft_node_stats st = {.struct_size = sizeof st};
        ck_assert_int_eq(weft_graph_node_stats(g, i, &st), 0);
        if (i > 0)
            ck_assert_uint_eq(st.buffers_in, 1000);
        if (i + 1 < weft_graph_n_nodes(g))
            ck_assert_uint_eq(st.buffers_out, 1000);
        ck_assert_int_ge(st.process_p99_ns, st.process_p50_ns);
    }
    char *t = weft_graph_stats_table(g), *j = weft_graph_stats_json(g);
    ck_assert_ptr_nonnull(strstr(t, "id1"));
    ck_assert_ptr_nonnull(strstr(t, "t.collect"));
    ck_assert_ptr_nonnull(strstr(j, "\"name\":\"id0\""));
    ck_assert_ptr_nonnull(strstr(j, "\"latency_p99_ns\""));
    ck_assert_ptr_nonnull(strstr(j, "\"link\":\"src.out->id0.in\""));
    free(t);
    free(j);
    weft_graph_free(g);
    weft_registry_free(reg);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("sched");
    TCase *tc = tcase_create("sched");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, chain_order);
    tcase_add_test(tc, eos_fan_out_fan_in);
    tcase_add_test(tc, deterministic_single_thread);
    tcase_add_test(tc, backpressure_bounded);
    tcase_add_test(tc, heavy_nodes_run_in_parallel);
    tcase_add_test(tc, drop_oldest_exact);
    tcase_add_test(tc, drop_newest_exact);
    tcase_add_test(tc, live_drop_oldest);
    tcase_add_test(tc, live_drop_newest);
    tcase_add_test(tc, live_stop_drains);
    tcase_add_test(tc, error_mid_stream);
    tcase_add_test(tc, flush_mid_stream);
    tcase_add_test(tc, flush_while_running);
    tcase_add_test(tc, realtime_paced_by_pts);
    tcase_add_test(tc, steady_state_allocates_nothing);
    tcase_add_test(tc, stats_table_and_json);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
