/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Stress: hundreds of random graphs (fan-out, fan-in, random capacities
 * and overflow policies, 1 to 4 threads), some with an injected failure
 * and some stopped mid-run. After each run: no node was ever entered by
 * two threads, every sink got its final call, blocking-only graphs
 * delivered exactly what their sources sent (times the fan-out), lossy
 * ones no more, and no buffer outlived the graph. Meant to be run under
 * ThreadSanitizer and valgrind as well: WEFT_STRESS_RUNS sets the count.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sched-test-util.h"

#define MAXN 16

typedef struct rng {
    uint64_t s;
} rng;

static uint32_t rnd(rng *r, uint32_t n)
{
    r->s = r->s * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)((r->s >> 33) % n);
}

static int runs(void)
{
    const char *e = getenv("WEFT_STRESS_RUNS");
    return e ? atoi(e) : 300;
}

START_TEST(random_graphs)
{
    weft_registry *reg = tu_registry();
    int n_runs = runs();
    int failed_runs = 0, stopped_runs = 0, exact_runs = 0;
    for (int run = 0; run < n_runs; run++) {
        rng r = {(uint64_t)run * 7919 + 1};
        weft_mem_stats m0, m1;
        weft_mem_stats_get(&m0);
        weft_graph *g = weft_graph_new(reg);
        char name[MAXN][8];
        int64_t expect[MAXN] = {0}; /* buffers each node sees, lossless */
        int n = 0, n_src = 1 + (int)rnd(&r, 3), n_mid = (int)rnd(&r, 7);
        int n_sink = 1 + (int)rnd(&r, 3);
        bool out_linked[MAXN] = {false};
        bool lossy = false, fail = rnd(&r, 10) == 0, stop = rnd(&r, 10) == 0;
        for (int i = 0; i < n_src; i++, n++) {
            char c[32], b[32];
            int count = (int)rnd(&r, 300);
            snprintf(name[n], sizeof name[n], "s%d", i);
            snprintf(c, sizeof c, "count=%d", count);
            snprintf(b, sizeof b, "burst=%u", 1 + rnd(&r, 4));
            tu_node(g, name[n], "t.seq", c, b, NULL);
            expect[n] = count;
        }
        for (int i = 0; i < n_mid + n_sink; i++, n++) {
            bool sink = i >= n_mid;
            snprintf(name[n], sizeof name[n], "%c%d", sink ? 'k' : 'm', i);
            char fa[32];
            snprintf(fa, sizeof fa, "fail_after=%d",
                     fail && i == 0 && !sink ? (int)rnd(&r, 50) : -1);
            if (sink)
                tu_node(g, name[n], "t.collect", NULL);
            else
                tu_node(g, name[n], "t.merge", fa, NULL);
            int k = 1 + (int)rnd(&r, 3);
            bool used[MAXN] = {false};
            for (int j = 0; j < k; j++) {
                /* Only from nodes declared before: no cycles. Sinks take
                 * from sources and mids only; a pair is linked once. */
                int from = (int)rnd(&r, (uint32_t)(n_src + (i < n_mid ? i : n_mid)));
                if (used[from])
                    continue;
                used[from] = true;
                out_linked[from] = true;
                uint32_t cap = 1 + rnd(&r, 8), p = rnd(&r, 10);
                weft_overflow pol = p == 0   ? WEFT_OVERFLOW_DROP_OLDEST
                                    : p == 1 ? WEFT_OVERFLOW_DROP_NEWEST
                                             : WEFT_OVERFLOW_BLOCK;
                lossy |= pol != WEFT_OVERFLOW_BLOCK;
                tu_link(g, name[from], NULL, name[n], NULL, cap, pol);
                expect[n] += expect[from];
            }
        }
        /* Every output must go somewhere: the rest feed a null sink. */
        bool drain = false;
        for (int i = 0; i < n_src + n_mid; i++)
            if (!out_linked[i]) {
                if (!drain)
                    tu_node(g, "drain", "null.sink", NULL);
                drain = true;
                tu_link(g, name[i], NULL, "drain", NULL, 0,
                        WEFT_OVERFLOW_BLOCK);
            }
        uint32_t threads = 1 + rnd(&r, 4);
        weft_run_opts o = {sizeof o, threads, false, NULL};
        int src = weft_graph_start(g, &o);
        if (src < 0) {
            char *d = weft_graph_render_diags(g, false);
            ck_abort_msg("run %d: start: %s\n%s", run, weft_strerror(src), d);
        }
        if (stop) {
            for (uint32_t spin = rnd(&r, 20000); spin; spin--)
                __asm__ volatile("" ::: "memory");
            weft_graph_stop(g);
        }
        int rc = weft_graph_wait(g, -1);
        if (fail && rc == WEFT_EIO) {
            failed_runs++;
            ck_assert_ptr_nonnull(strstr(weft_graph_error(g),
                                         "(t.merge): injected failure"));
        } else if (stop && rc == WEFT_EINTR) {
            stopped_runs++;
        } else {
            ck_assert_msg(rc == 0, "run %d: rc %d", run, rc);
        }
        for (int i = n_src + n_mid; i < n; i++) {
            collect *c = tu_collect(g, name[i]);
            ck_assert_msg(c->final_calls == 1, "run %d sink %s: %d final calls",
                          run, name[i], c->final_calls);
            ck_assert_int_le((int64_t)c->n, expect[i]);
            if (rc == 0 && !lossy)
                ck_assert_msg((int64_t)c->n == expect[i],
                              "run %d sink %s: %zu of %lld", run, name[i],
                              c->n, (long long)expect[i]);
        }
        if (rc == 0 && !lossy)
            exact_runs++;
        weft_graph_free(g);
        weft_mem_stats_get(&m1);
        ck_assert_msg(m1.live_bufs == m0.live_bufs, "run %d leaked %lld", run,
                      (long long)(m1.live_bufs - m0.live_bufs));
        ck_assert_int_eq(tu_reentered(), 0);
    }
    /* The generator must actually exercise each path. */
    if (n_runs >= 100) {
        ck_assert_int_gt(failed_runs, 0);
        ck_assert_int_gt(stopped_runs, 0);
        ck_assert_int_gt(exact_runs, n_runs / 10);
    }
    weft_registry_free(reg);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sched-stress");
    TCase *tc = tcase_create("stress");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, random_graphs);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
