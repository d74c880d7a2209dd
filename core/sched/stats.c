/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Run statistics and progress: snapshots taken under the scheduler lock. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "../internal.h"
#include "sched.h"

/* ------------------------------------------------------------ histogram */

static int bucket_of(int64_t v)
{
    if (v < 16)
        return v < 0 ? 0 : (int)v;
    int e = 63 - __builtin_clzll((unsigned long long)v); /* e >= 4 */
    int idx = 16 + (e - 4) * 8 + (int)((v >> (e - 3)) & 7);
    return idx < SCHED_HIST_BUCKETS ? idx : SCHED_HIST_BUCKETS - 1;
}

/* The middle of bucket @idx: the estimate a percentile reports. */
static int64_t bucket_mid(int idx)
{
    if (idx < 16)
        return idx;
    int e = (idx - 16) / 8 + 4, sub = (idx - 16) % 8;
    int64_t lo = (int64_t)(8 + sub) << (e - 3);
    return lo + ((int64_t)1 << (e - 3)) / 2;
}

void weft__hist_add(sched_hist *h, int64_t v)
{
    h->count[bucket_of(v)]++;
    h->n++;
}

int64_t weft__hist_quantile(const sched_hist *h, double q)
{
    if (!h->n)
        return -1;
    uint64_t target = (uint64_t)(q * (double)h->n + 0.999999);
    if (target < 1)
        target = 1;
    uint64_t acc = 0;
    for (int i = 0; i < SCHED_HIST_BUCKETS; i++) {
        acc += h->count[i];
        if (acc >= target)
            return bucket_mid(i);
    }
    return bucket_mid(SCHED_HIST_BUCKETS - 1);
}

/* ------------------------------------------------------------ snapshots */

static weft__sched *started(const weft_graph *g)
{
    return g && g->sched && g->sched->started ? g->sched : NULL;
}

static void node_stats_locked(weft__sched *s, size_t i, weft_node_stats *o)
{
    const sched_node *n = &s->nodes[i];
    uint32_t size = o->struct_size ? o->struct_size : sizeof *o;
    weft_node_stats r;
    memset(&r, 0, sizeof r);
    r.struct_size = size;
    r.name = n->node->name;
    r.class_name = n->node->cls->name;
    r.buffers_in = n->buf_in;
    r.buffers_out = n->buf_out;
    r.calls = n->calls;
    double k = weft__sched_ns_per_tick(s);
    r.busy_ns = (int64_t)((double)n->busy_ticks * k);
    r.process_mean_ns = n->calls ? r.busy_ns / (int64_t)n->calls : -1;
    r.process_p50_ns = n->calls ? (int64_t)((double)weft__hist_quantile(
                                      &n->proc, 0.50) * k) : -1;
    r.process_p99_ns = n->calls ? (int64_t)((double)weft__hist_quantile(
                                      &n->proc, 0.99) * k) : -1;
    for (uint32_t p = 0; p < n->n_in; p++)
        for (uint32_t k = 0; k < n->in[p].n; k++) {
            const sched_edge *e = &s->edges[n->in[p].edges[k]];
            if (e->max_depth > r.max_queue_depth)
                r.max_queue_depth = e->max_depth;
            r.drops += e->drops;
        }
    r.latency_samples = n->lat.n;
    r.latency_p50_ns = weft__hist_quantile(&n->lat, 0.50);
    r.latency_p99_ns = weft__hist_quantile(&n->lat, 0.99);
    /* Callers built against a shorter struct get its prefix only. */
    memcpy(o, &r, size < sizeof r ? size : sizeof r);
}

int weft_graph_node_stats(const weft_graph *g, size_t i, weft_node_stats *out)
{
    weft__sched *s = started(g);
    if (!s)
        return WEFT_ESTATE;
    if (!out || i >= s->n_nodes)
        return WEFT_EINVAL;
    pthread_mutex_lock(&s->mu);
    node_stats_locked(s, i, out);
    pthread_mutex_unlock(&s->mu);
    return 0;
}

int weft_graph_link_stats(const weft_graph *g, size_t i, weft_link_stats *out)
{
    weft__sched *s = started(g);
    if (!s)
        return WEFT_ESTATE;
    if (!out || i >= s->n_edges)
        return WEFT_EINVAL;
    uint32_t size = out->struct_size ? out->struct_size : sizeof *out;
    weft_link_stats r;
    memset(&r, 0, sizeof r);
    r.struct_size = size;
    pthread_mutex_lock(&s->mu);
    const sched_edge *e = &s->edges[i];
    r.pushed = e->pushed;
    r.dropped = e->drops;
    r.depth = e->n;
    r.max_depth = e->max_depth;
    pthread_mutex_unlock(&s->mu);
    memcpy(out, &r, size < sizeof r ? size : sizeof r);
    return 0;
}

static int64_t wall_locked(const weft__sched *s)
{
    return (s->done ? s->t_end : weft__sched_now(s)) - s->t0;
}

/* ------------------------------------------------------------ text */

static void fmt_ms(char *b, size_t n, int64_t ns)
{
    if (ns < 0)
        snprintf(b, n, "-");
    else
        snprintf(b, n, "%.3f", (double)ns / 1e6);
}

static void fmt_us(char *b, size_t n, int64_t ns)
{
    if (ns < 0)
        snprintf(b, n, "-");
    else
        snprintf(b, n, "%.2f", (double)ns / 1e3);
}

char *weft_graph_stats_table(const weft_graph *g)
{
    weft__sched *s = started(g);
    if (!s)
        return NULL;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return NULL;
    int wn = 4, wc = 5;
    for (size_t i = 0; i < s->n_nodes; i++) {
        int a = (int)strlen(s->nodes[i].node->name);
        int b = (int)strlen(s->nodes[i].node->cls->name);
        wn = a > wn ? a : wn;
        wc = b > wc ? b : wc;
    }
    pthread_mutex_lock(&s->mu);
    /* A call may take several buffers (or none), so the per-call columns
     * (mean, p50, p99) sit after the call count they divide by. */
    fprintf(f, "%-*s  %-*s %9s %9s %10s %8s %9s %9s %9s %5s %7s %10s %10s\n",
            wn, "node", wc, "class", "in", "out", "busy ms", "calls",
            "us/call", "p50 us", "p99 us", "maxq", "drops", "lat50 ms",
            "lat99 ms");
    for (size_t i = 0; i < s->n_nodes; i++) {
        weft_node_stats st = {.struct_size = sizeof st};
        node_stats_locked(s, i, &st);
        char busy[32], mean[32], p50[32], p99[32], l50[32], l99[32];
        fmt_ms(busy, sizeof busy, st.busy_ns);
        fmt_us(mean, sizeof mean, st.process_mean_ns);
        fmt_us(p50, sizeof p50, st.process_p50_ns);
        fmt_us(p99, sizeof p99, st.process_p99_ns);
        fmt_ms(l50, sizeof l50, s->nodes[i].sink ? st.latency_p50_ns : -1);
        fmt_ms(l99, sizeof l99, s->nodes[i].sink ? st.latency_p99_ns : -1);
        fprintf(f, "%-*s  %-*s %9llu %9llu %10s %8llu %9s %9s %9s %5u %7llu "
                "%10s %10s\n",
                wn, st.name, wc, st.class_name,
                (unsigned long long)st.buffers_in,
                (unsigned long long)st.buffers_out, busy,
                (unsigned long long)st.calls, mean, p50, p99,
                st.max_queue_depth, (unsigned long long)st.drops, l50, l99);
    }
    bool header = false;
    for (size_t i = 0; i < s->n_nodes; i++) {
        weft_node *n = s->nodes[i].node;
        int k = atomic_load(&n->n_counters);
        for (int c = 0; c < k; c++) {
            if (!header)
                fprintf(f, "counters:");
            header = true;
            fprintf(f, " %s.%s=%lld", n->name, n->counters[c].name,
                    (long long)atomic_load(&n->counters[c].value));
        }
    }
    if (header)
        fputc('\n', f);
    for (size_t i = 0; i < s->n_edges; i++)
        if (s->edges[i].drops)
            fprintf(f, "link %s (%s): %llu of %llu dropped\n",
                    s->edges[i].label, weft_overflow_name(s->edges[i].policy),
                    (unsigned long long)s->edges[i].drops,
                    (unsigned long long)s->edges[i].pushed);
    fprintf(f, "wall %.3f ms\n", (double)wall_locked(s) / 1e6);
    pthread_mutex_unlock(&s->mu);
    fclose(f);
    return text;
}

/* ------------------------------------------------------------ JSON */

void weft__json_str(FILE *f, const char *str)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)(str ? str : "");
         *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

char *weft_graph_stats_json(const weft_graph *g)
{
    weft__sched *s = started(g);
    if (!s)
        return NULL;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return NULL;
    weft_mem_stats ms;
    weft_mem_stats_get(&ms);
    pthread_mutex_lock(&s->mu);
    fprintf(f, "{\"wall_ns\":%lld,\"sys_allocs\":%llu,\"nodes\":[",
            (long long)wall_locked(s), (unsigned long long)ms.sys_allocs);
    for (size_t i = 0; i < s->n_nodes; i++) {
        weft_node_stats st = {.struct_size = sizeof st};
        node_stats_locked(s, i, &st);
        fprintf(f, "%s{\"name\":", i ? "," : "");
        weft__json_str(f, st.name);
        fprintf(f, ",\"class\":");
        weft__json_str(f, st.class_name);
        fprintf(f,
                ",\"buffers_in\":%llu,\"buffers_out\":%llu,\"calls\":%llu,"
                "\"busy_ns\":%lld,\"process_mean_ns\":%lld,"
                "\"process_p50_ns\":%lld,\"process_p99_ns\":%lld,"
                "\"max_queue_depth\":%u,\"drops\":%llu",
                (unsigned long long)st.buffers_in,
                (unsigned long long)st.buffers_out,
                (unsigned long long)st.calls, (long long)st.busy_ns,
                (long long)st.process_mean_ns, (long long)st.process_p50_ns,
                (long long)st.process_p99_ns, st.max_queue_depth,
                (unsigned long long)st.drops);
        if (s->nodes[i].sink)
            fprintf(f,
                    ",\"latency_samples\":%llu,\"latency_p50_ns\":%lld,"
                    "\"latency_p99_ns\":%lld",
                    (unsigned long long)st.latency_samples,
                    (long long)st.latency_p50_ns,
                    (long long)st.latency_p99_ns);
        weft_node *n = s->nodes[i].node;
        int k = atomic_load(&n->n_counters);
        fprintf(f, ",\"counters\":{");
        for (int c = 0; c < k; c++) {
            fprintf(f, "%s", c ? "," : "");
            weft__json_str(f, n->counters[c].name);
            fprintf(f, ":%lld", (long long)atomic_load(&n->counters[c].value));
        }
        fprintf(f, "}}");
    }
    fprintf(f, "],\"links\":[");
    for (size_t i = 0; i < s->n_edges; i++) {
        const sched_edge *e = &s->edges[i];
        fprintf(f, "%s{\"link\":", i ? "," : "");
        weft__json_str(f, e->label);
        fprintf(f,
                ",\"capacity\":%u,\"overflow\":\"%s\",\"pushed\":%llu,"
                "\"dropped\":%llu,\"max_depth\":%u}",
                e->cap, weft_overflow_name(e->policy),
                (unsigned long long)e->pushed, (unsigned long long)e->drops,
                e->max_depth);
    }
    fprintf(f, "]}\n");
    pthread_mutex_unlock(&s->mu);
    fclose(f);
    return text;
}

/* ------------------------------------------------------------ progress */

int weft_graph_progress(const weft_graph *g, weft_progress *out)
{
    weft__sched *s = started(g);
    if (!s)
        return WEFT_ESTATE;
    if (!out)
        return WEFT_EINVAL;
    uint32_t size = out->struct_size ? out->struct_size : sizeof *out;
    weft_progress r;
    memset(&r, 0, sizeof r);
    r.struct_size = size;
    r.duration_ns = -1;
    r.eta_ns = -1;
    int64_t pos = INT64_MAX;
    pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < s->n_nodes; i++) {
        const sched_node *n = &s->nodes[i];
        int64_t d = n->node->media_duration;
        if (n->kind == KIND_NORMAL || d < 0)
            continue;
        if (d > r.duration_ns)
            r.duration_ns = d;
        int64_t p = n->finished ? d : n->pos_ns < d ? n->pos_ns : d;
        if (p < pos)
            pos = p;
    }
    r.elapsed_ns = wall_locked(s);
    r.finished = s->done;
    pthread_mutex_unlock(&s->mu);
    r.position_ns = pos == INT64_MAX ? 0 : pos;
    if (r.elapsed_ns > 0 && r.position_ns > 0) {
        r.speed = (double)r.position_ns / (double)r.elapsed_ns;
        if (r.duration_ns >= 0)
            r.eta_ns = (int64_t)((double)(r.duration_ns - r.position_ns) /
                                 r.speed);
    }
    memcpy(out, &r, size < sizeof r ? size : sizeof r);
    return 0;
}
