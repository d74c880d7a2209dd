/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Chrome trace-event JSON (the format Perfetto and chrome://tracing open):
 * a track per worker and live thread with a complete ("X") event per
 * process call, counter ("C") events with link queue depths, and instant
 * ("i") events for drops and errors. Written as the run goes, under the
 * scheduler lock, through stdio's buffer; timestamps are microseconds
 * since start, or event numbers with the logical clock so that two
 * single-threaded runs write the same bytes.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "../internal.h"
#include "sched.h"

int weft__trace_open(weft__sched *s, const char *path)
{
    s->trace = fopen(path, "w");
    if (!s->trace)
        return WEFT_EIO;
    /* Large buffer: one write per 256 KiB keeps tracing cheap. */
    setvbuf(s->trace, NULL, _IOFBF, 1 << 18);
    fputs("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n", s->trace);
    s->t0_trace = weft__now_ns();
    fprintf(s->trace,
            "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":1,\"tid\":0,"
            "\"args\":{\"name\":\"weft\"}}");
    return 0;
}

void weft__trace_close(weft__sched *s)
{
    if (!s->trace)
        return;
    fputs("\n]}\n", s->trace);
    fclose(s->trace);
    s->trace = NULL;
}

int64_t weft__trace_ts(weft__sched *s)
{
    if (s->trace_logical)
        return (int64_t)(s->trace_tick++) * 1000;
    return weft__now_ns();
}

/* Microseconds since the start, as Chrome's ts wants them. */
static double us(const weft__sched *s, int64_t ts)
{
    if (s->trace_logical)
        return (double)ts / 1000.0;
    int64_t base = s->t0_trace;
    return (double)(ts - base) / 1000.0;
}

static void sep(weft__sched *s)
{
    fputs(",\n", s->trace);
}

void weft__trace_thread(weft__sched *s, int tid, const char *name)
{
    sep(s);
    fprintf(s->trace,
            "{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,\"tid\":%d,"
            "\"args\":{\"name\":",
            tid);
    weft__json_str(s->trace, name);
    fputs("}}", s->trace);
}

void weft__trace_span(weft__sched *s, const sched_node *n, int tid,
                      int64_t t0, int64_t t1)
{
    sep(s);
    fprintf(s->trace, "{\"name\":");
    weft__json_str(s->trace, n->node->name);
    fprintf(s->trace, ",\"cat\":");
    weft__json_str(s->trace, n->node->cls->name);
    fprintf(s->trace,
            ",\"ph\":\"X\",\"ts\":%.3f,\"dur\":%.3f,\"pid\":1,\"tid\":%d}",
            us(s, t0), (double)(t1 - t0) / 1000.0, tid);
}

static void depth(weft__sched *s, const sched_edge *e, double ts)
{
    sep(s);
    fprintf(s->trace, "{\"name\":");
    weft__json_str(s->trace, e->label);
    fprintf(s->trace,
            ",\"ph\":\"C\",\"ts\":%.3f,\"pid\":1,\"args\":{\"depth\":%u}}", ts,
            e->n);
}

void weft__trace_depths(weft__sched *s, const sched_node *n)
{
    double ts = us(s, weft__trace_ts(s));
    for (uint32_t p = 0; p < n->n_in; p++)
        for (uint32_t i = 0; i < n->in[p].n; i++)
            depth(s, &s->edges[n->in[p].edges[i]], ts);
    for (uint32_t p = 0; p < n->n_out; p++)
        for (uint32_t i = 0; i < n->out[p].n; i++)
            depth(s, &s->edges[n->out[p].edges[i]], ts);
}

void weft__trace_drop(weft__sched *s, const sched_edge *e, int tid)
{
    sep(s);
    fprintf(s->trace, "{\"name\":\"drop\",\"cat\":\"queue\",\"ph\":\"i\","
                      "\"s\":\"t\",\"ts\":%.3f,\"pid\":1,\"tid\":%d,"
                      "\"args\":{\"link\":",
            us(s, weft__trace_ts(s)), tid);
    weft__json_str(s->trace, e->label);
    fprintf(s->trace, ",\"policy\":\"%s\",\"drops\":%llu}}",
            weft_overflow_name(e->policy), (unsigned long long)e->drops);
}

void weft__trace_error(weft__sched *s, const sched_node *n, int tid,
                       const char *msg)
{
    (void)n;
    sep(s);
    fprintf(s->trace, "{\"name\":\"error\",\"cat\":\"error\",\"ph\":\"i\","
                      "\"s\":\"g\",\"ts\":%.3f,\"pid\":1,\"tid\":%d,"
                      "\"args\":{\"message\":",
            us(s, weft__trace_ts(s)), tid);
    weft__json_str(s->trace, msg);
    fputs("}}", s->trace);
}
