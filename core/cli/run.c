/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * weft run FILE [NAME=VALUE...] [options]: run a graph file to its end.
 *
 * Exit status: 0 done (or stopped by --timeout), 1 a node failed, 2 usage
 * or a graph that does not check, 130 interrupted (SIGINT drains and
 * stops within a second; a second SIGINT kills).
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

static void run_usage(FILE *out)
{
    fprintf(out,
            "usage: weft run FILE [NAME=VALUE...] [--threads N] [--realtime]\n"
            "                [--stats[=json]] [--trace OUT.json] "
            "[--timeout S] [--quiet]\n\n"
            "Run the graph in FILE until every sink has seen the end of "
            "its stream.\n"
            "NAME=VALUE arguments override the file's params.\n\n"
            "  --threads N     worker threads (default: one per core); 1 "
            "gives a\n"
            "                  deterministic order\n"
            "  --realtime      file sources run at the speed of their media\n"
            "  --stats         print per-node statistics at the end "
            "(stderr)\n"
            "  --stats=json    the same as JSON\n"
            "  --trace FILE    write a Chrome trace-event JSON (open it in "
            "Perfetto)\n"
            "  --trace-clock=logical  timestamps are event numbers: with "
            "--threads 1\n"
            "                  two runs write the same bytes\n"
            "  --timeout S     stop (draining) after S seconds; exit 0\n"
            "  --quiet, -q     no progress line\n\n"
            "Exit status: 0 done, 1 a node failed, 2 usage or check error, "
            "130 interrupted.\n");
}

static weft_graph *volatile running_graph;
static volatile sig_atomic_t interrupted;

/* weft_graph_stop is an atomic store: safe in a signal handler. */
static void on_sigint(int sig)
{
    (void)sig;
    interrupted = 1;
    if (running_graph)
        weft_graph_stop(running_graph);
    /* A second ^C kills at once, for a node stuck in a long call. */
    signal(SIGINT, SIG_DFL);
}

/* Node failures reach the user as the graph's error line; the log would
 * only say them twice. Everything else goes to stderr as usual. */
static void log_filter(weft_log_level level, const char *cat, const char *msg,
                       void *ud)
{
    if (level == WEFT_LOG_ERROR && !getenv("WEFT_DEBUG"))
        return;
    weft_log_handler_stderr(level, cat, msg, ud);
}

static void fmt_time(char *buf, size_t n, int64_t ns)
{
    if (ns < 0) {
        snprintf(buf, n, "--:--");
        return;
    }
    int64_t ds = ns / 100000000, s = ds / 10;
    if (s >= 3600)
        snprintf(buf, n, "%lld:%02lld:%02lld.%lld", (long long)(s / 3600),
                 (long long)(s / 60 % 60), (long long)(s % 60),
                 (long long)(ds % 10));
    else
        snprintf(buf, n, "%02lld:%02lld.%lld", (long long)(s / 60),
                 (long long)(s % 60), (long long)(ds % 10));
}

static void show_progress(weft_graph *g, bool *shown)
{
    weft_progress p = {.struct_size = sizeof p};
    if (weft_graph_progress(g, &p) < 0 || p.duration_ns <= 0)
        return;
    char pos[32], dur[32], eta[32];
    fmt_time(pos, sizeof pos, p.position_ns);
    fmt_time(dur, sizeof dur, p.duration_ns);
    fmt_time(eta, sizeof eta, p.eta_ns);
    double pct = 100.0 * (double)p.position_ns / (double)p.duration_ns;
    fprintf(stderr, "\r\033[K%5.1f%%  %s / %s  %6.2fx  ETA %s", pct, pos, dur,
            p.speed, eta);
    fflush(stderr);
    *shown = true;
}

static int parse_uint(const char *s, uint32_t *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || !*s || *end || v > 4096)
        return -1;
    *out = (uint32_t)v;
    return 0;
}

int cmd_run(int argc, char **argv)
{
    const char *file = NULL, *trace = NULL;
    const char **overrides = calloc((size_t)argc + 1, sizeof *overrides);
    size_t n_over = 0;
    uint32_t threads = 0;
    bool realtime = false, quiet = false, stats = false, json = false;
    bool logical = false;
    double timeout = -1;
    int ret = CLI_USAGE;
    weft_registry *reg = NULL;
    weft_graph *g = NULL;

    if (!overrides) {
        fprintf(stderr, "weft run: out of memory\n");
        return CLI_FAIL;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            run_usage(stdout);
            ret = CLI_OK;
            goto out;
        } else if (!strcmp(a, "--threads") || !strcmp(a, "-j")) {
            if (i + 1 >= argc || parse_uint(argv[++i], &threads) < 0) {
                fprintf(stderr, "weft run: --threads needs a number from 0 "
                                "to 4096\n");
                goto out;
            }
        } else if (!strncmp(a, "--threads=", 10)) {
            if (parse_uint(a + 10, &threads) < 0) {
                fprintf(stderr, "weft run: --threads needs a number from 0 "
                                "to 4096\n");
                goto out;
            }
        } else if (!strcmp(a, "--realtime")) {
            realtime = true;
        } else if (!strcmp(a, "--stats")) {
            stats = true;
        } else if (!strcmp(a, "--stats=json")) {
            stats = json = true;
        } else if (!strcmp(a, "--stats=table")) {
            stats = true;
        } else if (!strcmp(a, "--trace") || !strncmp(a, "--trace=", 8)) {
            trace = a[7] == '=' ? a + 8 : i + 1 < argc ? argv[++i] : NULL;
            if (!trace || !*trace) {
                fprintf(stderr, "weft run: --trace needs a file name\n");
                goto out;
            }
        } else if (!strcmp(a, "--timeout") || !strncmp(a, "--timeout=", 10)) {
            const char *v = a[9] == '=' ? a + 10 : i + 1 < argc ? argv[++i]
                                                                : NULL;
            char *end = NULL;
            timeout = v ? strtod(v, &end) : -1;
            if (!v || end == v || *end || !(timeout >= 0)) {
                fprintf(stderr, "weft run: --timeout needs seconds (>= 0)\n");
                goto out;
            }
        } else if (!strcmp(a, "--trace-clock=logical")) {
            logical = true;
        } else if (!strcmp(a, "--trace-clock=wall")) {
            logical = false;
        } else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
            quiet = true;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "weft run: unknown option '%s'\n", a);
            run_usage(stderr);
            goto out;
        } else if (!file) {
            file = a;
        } else if (strchr(a, '=')) {
            overrides[n_over++] = a;
        } else {
            fprintf(stderr, "weft run: '%s' is neither an option nor "
                            "NAME=VALUE\n", a);
            goto out;
        }
    }
    if (!file) {
        run_usage(stderr);
        goto out;
    }

    reg = cli_load_registry();
    weft_log_set_handler(log_filter, NULL);
    bool color = isatty(STDERR_FILENO) && !getenv("NO_COLOR");
    int rc = weft_graph_parse_file(reg, file, overrides, &g);
    if (rc == 0)
        rc = weft_graph_check(g);
    /* Notes (an optional port left unlinked) are for `weft check`; a run
     * shows diagnostics only when there is a warning or an error. */
    if (g && (weft_graph_count_diags(g, WEFT_DIAG_ERROR) ||
              weft_graph_count_diags(g, WEFT_DIAG_WARNING))) {
        char *d = weft_graph_render_diags(g, color);
        if (d)
            fputs(d, stderr);
        free(d);
    }
    if (rc < 0) {
        if (!g || !weft_graph_count_diags(g, WEFT_DIAG_ERROR))
            fprintf(stderr, "weft run: %s: %s\n", file, weft_strerror(rc));
        ret = CLI_USAGE;
        goto out;
    }

    running_graph = g;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);

    weft_graph_set_trace_logical(g, logical);
    weft_run_opts opts = {sizeof opts, threads, realtime, trace};
    rc = weft_graph_start(g, &opts);
    if (rc < 0) {
        const char *e = weft_graph_error(g);
        fprintf(stderr, "error: %s\n", e ? e : weft_strerror(rc));
        if (rc == WEFT_EIO && trace)
            fprintf(stderr, "weft run: cannot write the trace '%s'\n", trace);
        ret = CLI_FAIL;
        goto out;
    }
    bool progress = !quiet && isatty(STDERR_FILENO), shown = false;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    bool timed_out = false;
    for (;;) {
        rc = weft_graph_wait(g, 100000000);
        if (rc != WEFT_ETIMEDOUT)
            break;
        if (progress)
            show_progress(g, &shown);
        if (timeout >= 0 && !timed_out) {
            struct timespec t;
            clock_gettime(CLOCK_MONOTONIC, &t);
            double el = (double)(t.tv_sec - t0.tv_sec) +
                        (double)(t.tv_nsec - t0.tv_nsec) * 1e-9;
            if (el >= timeout) {
                timed_out = true;
                weft_graph_stop(g);
            }
        }
    }
    running_graph = NULL;
    signal(SIGINT, SIG_DFL);
    if (shown)
        fputs("\r\033[K", stderr);

    if (stats) {
        char *s = json ? weft_graph_stats_json(g) : weft_graph_stats_table(g);
        if (s)
            fputs(s, stderr);
        free(s);
    }
    const char *err = weft_graph_error(g);
    if (err) {
        fprintf(stderr, "error: %s\n", err);
        ret = CLI_FAIL;
    } else if (interrupted) {
        if (!quiet)
            fprintf(stderr, "weft run: interrupted\n");
        ret = CLI_INTERRUPTED;
    } else if (rc < 0 && !(rc == WEFT_EINTR && timed_out)) {
        fprintf(stderr, "error: %s\n", weft_strerror(rc));
        ret = CLI_FAIL;
    } else {
        if (timed_out && !quiet)
            fprintf(stderr, "weft run: stopped after %g s (--timeout)\n",
                    timeout);
        ret = CLI_OK;
    }
    if (interrupted)
        ret = CLI_INTERRUPTED;
out:
    weft_graph_free(g);
    weft_registry_free(reg);
    free(overrides);
    return ret;
}
