/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench/hop: the cost of moving a buffer from one node to the next, in
 * Weft and in GStreamer, side by side.
 *
 * Weft:      test.src ! identity x k ! null.sink   (N buffers of 1 float)
 * GStreamer: fakesrc num-buffers=N ! identity x k ! fakesink
 *
 * Each pipeline runs with k identities and with none; the difference,
 * divided by N * k, is the cost of one identity hop with the source, the
 * sink and start-up cancelled out. Two modes:
 *
 *   same thread:  Weft threads=1; GStreamer as is (one streaming thread).
 *   cross thread: GStreamer puts a `queue` (a thread boundary) before
 *                 every element; Weft runs threads=k+2, a worker per
 *                 node. Weft's pool decides where nodes run: it wakes
 *                 another worker only for nodes whose batches keep one
 *                 busy (sched.c, heavy()), so with cheap identities the
 *                 chain mostly stays on one worker and this measures the
 *                 pool's cost, not a forced hand-off per hop.
 *
 * Usage: hop [-n BUFFERS] [-k IDENTITIES] [-r REPEATS] [--no-gst]
 *            [--same-only | --cross-only]
 * Each figure is the median (and range) of REPEATS (default 5) paired runs
 * after a warm-up pair, as doc/performance.md asks.
 * Needs WEFT_PLUGIN_PATH pointing at the core plugin (or an installed
 * Weft), and gst-launch-1.0 on PATH for the GStreamer half. Prints
 * `BENCH name device value unit` lines and a summary.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <weft/weft.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double run_weft(weft_registry *reg, long n, int k, uint32_t threads)
{
    weft_graph *g = weft_graph_new(reg);
    char count[32], name[32], prev[32] = "src";
    snprintf(count, sizeof count, "%ld", n);
    int rc = weft_graph_add_node(g, "src", "test.src");
    rc |= weft_graph_set_prop(g, "src", "count", count);
    rc |= weft_graph_set_prop(g, "src", "shape", "[1]");
    rc |= weft_graph_set_prop(g, "src", "pattern", "zeros");
    for (int i = 0; i < k; i++) {
        snprintf(name, sizeof name, "id%d", i);
        rc |= weft_graph_add_node(g, name, "identity");
        rc |= weft_graph_link(g, prev, NULL, name, NULL, NULL);
        snprintf(prev, sizeof prev, "%s", name);
    }
    rc |= weft_graph_add_node(g, "sink", "null.sink");
    rc |= weft_graph_link(g, prev, NULL, "sink", NULL, NULL);
    weft_run_opts o = {sizeof o, threads, false, NULL};
    if (rc < 0 || weft_graph_check(g) < 0) {
        char *d = weft_graph_render_diags(g, false);
        fprintf(stderr, "hop: cannot build the Weft graph (is "
                        "WEFT_PLUGIN_PATH set?)\n%s", d ? d : "");
        exit(1);
    }
    double t0 = now_s();
    if (weft_graph_start(g, &o) < 0 || weft_graph_wait(g, -1) < 0) {
        fprintf(stderr, "hop: run failed: %s\n",
                weft_graph_error(g) ? weft_graph_error(g) : "?");
        exit(1);
    }
    double t = now_s() - t0;
    weft_graph_free(g);
    return t;
}

static double run_gst(long n, int k, int queues)
{
    char cmd[4096];
    int len = snprintf(cmd, sizeof cmd,
                       "gst-launch-1.0 -q fakesrc num-buffers=%ld sizetype=2 "
                       "sizemax=4 silent=true",
                       n);
    for (int i = 0; i < k; i++)
        len += snprintf(cmd + len, sizeof cmd - (size_t)len,
                        "%s ! identity silent=true", queues ? " ! queue" : "");
    snprintf(cmd + len, sizeof cmd - (size_t)len,
             "%s ! fakesink silent=true sync=false >/dev/null 2>&1",
             queues ? " ! queue" : "");
    double t0 = now_s();
    int st = system(cmd);
    double t = now_s() - t0;
    if (st != 0)
        return -1;
    return t;
}

/* Per-hop figures of @r paired repetitions (with k, without): median,
 * min and max, after one warm-up pair. */
typedef struct fig {
    double med, lo, hi;
} fig;

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static fig summarise(double *v, int r)
{
    qsort(v, (size_t)r, sizeof *v, cmp_d);
    fig f = {r % 2 ? v[r / 2] : (v[r / 2 - 1] + v[r / 2]) / 2, v[0], v[r - 1]};
    return f;
}

#define PAIRED(r, with, without, scale)                                      \
    ({                                                                       \
        double v_[64];                                                       \
        fig f_ = {-1, -1, -1};                                               \
        int ok_ = (with) >= 0 && (without) >= 0; /* warm-up */               \
        for (int i_ = 0; ok_ && i_ < (r); i_++) {                            \
            double a_ = (with), b_ = (without);                              \
            ok_ = a_ >= 0 && b_ >= 0;                                        \
            v_[i_] = (a_ - b_) * (scale);                                    \
        }                                                                    \
        if (ok_)                                                             \
            f_ = summarise(v_, (r));                                         \
        f_;                                                                  \
    })

int main(int argc, char **argv)
{
    long n = 1000000;
    int k = 4, reps = 5, gst = 1, same = 1, cross = 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-n") && i + 1 < argc)
            n = atol(argv[++i]);
        else if (!strcmp(argv[i], "-k") && i + 1 < argc)
            k = atoi(argv[++i]);
        else if (!strcmp(argv[i], "-r") && i + 1 < argc)
            reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--no-gst"))
            gst = 0;
        else if (!strcmp(argv[i], "--same-only"))
            cross = 0;
        else if (!strcmp(argv[i], "--cross-only"))
            same = 0;
        else {
            fprintf(stderr, "usage: hop [-n BUFFERS] [-k IDENTITIES] "
                            "[-r REPEATS] [--no-gst] [--same-only | "
                            "--cross-only]\n");
            return 2;
        }
    }
    if (n < 1 || k < 1 || reps < 1 || reps > 64)
        return 2;
    weft_registry *reg = weft_registry_new();
    weft_registry_scan(reg, 0);

    double scale = 1e9 / ((double)n * k);
    fig none = {-1, -1, -1};
    fig w1 = same ? PAIRED(reps, run_weft(reg, n, k, 1), run_weft(reg, n, 0, 1),
                           scale) : none;
    fig wx = cross ? PAIRED(reps, run_weft(reg, n, k, (uint32_t)k + 2),
                            run_weft(reg, n, 0, 2), scale) : none;
    fig g1 = none, gx = none;
    if (gst) {
        if (same)
            g1 = PAIRED(reps, run_gst(n, k, 0), run_gst(n, 0, 0), scale);
        if (cross)
            gx = PAIRED(reps, run_gst(n, k, 1), run_gst(n, 0, 1), scale);
        if ((same && g1.med < 0) || (cross && gx.med < 0))
            fprintf(stderr, "hop: gst-launch-1.0 failed or is missing\n");
    }
    const char *lbl[4] = {"hop.weft.same_thread", "hop.weft.cross_thread",
                          "hop.gst.same_thread", "hop.gst.cross_thread"};
    fig all[4] = {w1, wx, g1, gx};
    for (int i = 0; i < 4; i++)
        if (all[i].med >= 0)
            printf("BENCH %s cpu %.1f ns\n", lbl[i], all[i].med);
    printf("\n%ld buffers, k=%d identities, median of %d [min-max], ns per "
           "hop\n", n, k, reps);
    printf("%-13s %22s %22s %6s\n", "", "weft", "gstreamer", "ratio");
    for (int m = 0; m < 2; m++) {
        fig w = m ? wx : w1, gg = m ? gx : g1;
        char a[64], b[64];
        snprintf(a, sizeof a, "%.0f [%.0f-%.0f]", w.med, w.lo, w.hi);
        snprintf(b, sizeof b, "%.0f [%.0f-%.0f]", gg.med, gg.lo, gg.hi);
        printf("%-13s %22s %22s %6.2f\n", m ? "cross thread" : "same thread",
               w.med >= 0 ? a : "-", gg.med >= 0 ? b : "-",
               w.med >= 0 && gg.med > 0 ? w.med / gg.med : 0.0);
    }
    weft_registry_free(reg);
    return 0;
}
