/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * app.src and app.sink: the built-in classes through which a program feeds
 * a graph and reads its results (GStreamer's appsrc/appsink). The
 * scheduler never calls their process: weft_graph_app_push acts as the
 * app.src node pushing (same links, same overflow policies, the caller
 * blocking for room), and weft_graph_app_pull pops the app.sink's inputs,
 * so data crosses into and out of the graph without an extra queue.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "../internal.h"
#include "sched.h"

/* Never called: the scheduler skips app nodes. Present because every
 * class must have a process. */
static weft_flow app_process(weft_node *node)
{
    (void)node;
    return WEFT_FLOW_EOS;
}

static int app_src_negotiate(weft_node *node, const weft_format *const *in,
                             weft_format **out)
{
    (void)in;
    const char *text = weft_node_prop_string(node, "format");
    if (!text || !*text)
        return 0; /* the template: "any" */
    char err[256];
    int rc = weft_format_parse(text, &out[0], err, sizeof err);
    if (rc < 0)
        return weft_node_error(node, rc, "format: %s", err);
    return 0;
}

static const weft_port_desc app_src_out[] = {
    WEFT_PORT("out", "any", "What the program pushes, as `format` says."),
    WEFT_PORT_END};

static const weft_prop_desc app_src_props[] = {
    WEFT_PROP_STRING("format", "",
                     "The format of the buffers the program will push, e.g. "
                     "\"audio/pcm rate=16000 channels=1 dtype=f32\"; empty "
                     "lets downstream decide."),
    WEFT_PROP_END};

const weft_node_class weft__app_src_class = {
    .struct_size = sizeof(weft_node_class),
    .name = "app.src",
    .summary = "Buffers pushed by the embedding program",
    .doc = "A source fed from C with weft_graph_app_push(graph, NAME, buf); "
           "weft_graph_app_end(graph, NAME) ends its stream. A push into a "
           "full blocking link waits for room. See weft/run.h.\n\n"
           "Example:\n"
           "    node mic = app.src { format = \"audio/pcm rate=16000 "
           "channels=1 dtype=f32\" }",
    .flags = WEFT_NODE_SOURCE,
    .outputs = app_src_out,
    .props = app_src_props,
    .negotiate = app_src_negotiate,
    .process = app_process,
};

static const weft_port_desc app_sink_in[] = {
    WEFT_PORT_F("in", "any", WEFT_PORT_MULTI,
                "Anything; several links merge in arrival order."),
    WEFT_PORT_END};

const weft_node_class weft__app_sink_class = {
    .struct_size = sizeof(weft_node_class),
    .name = "app.sink",
    .summary = "Buffers pulled by the embedding program",
    .doc = "A sink read from C with weft_graph_app_pull(graph, NAME, "
           "timeout, &buf), which answers WEFT_FLOW_EOS once its inputs "
           "ended and everything was pulled. Buffers wait in its input "
           "link (its capacity and overflow policy apply), so a program "
           "that stops pulling holds the graph back. See weft/run.h.\n\n"
           "Example:\n"
           "    node out = app.sink\n"
           "    dec -> out",
    .flags = WEFT_NODE_SINK,
    .inputs = app_sink_in,
    .process = app_process,
};

static const weft_node_class *const app_classes[] = {
    &weft__app_src_class, &weft__app_sink_class, NULL};

/* Every registry starts with this in-process plugin (weft_registry_new),
 * so `weft inspect` lists app.src and app.sink like any other class. */
const weft_plugin_desc weft__app_plugin = {
    .abi_version = WEFT_ABI_VERSION,
    .struct_size = sizeof(weft_plugin_desc),
    .name = "app",
    .version = PACKAGE_VERSION,
    .license = "LGPL-2.1-or-later",
    .summary = "Sources and sinks an embedding program feeds and drains",
    .classes = app_classes,
};

bool weft__is_app_class(const weft_node_class *cls,
                        const weft_node_class *which)
{
    /* The registry hands out its own copy of each class, so compare what
     * the copy keeps: the callbacks and the name. */
    return cls == which || (cls->process == which->process &&
                            strcmp(cls->name, which->name) == 0);
}

/* ------------------------------------------------------------ the API */

static weft__sched *running(weft_graph *g)
{
    return g && g->sched && g->sched->started ? g->sched : NULL;
}

weft_flow weft_graph_app_push(weft_graph *g, const char *name, weft_buf *buf)
{
    weft__sched *s = running(g);
    if (!buf)
        return WEFT_FLOW_ERROR;
    if (!s) {
        weft_buf_unref(buf);
        return WEFT_FLOW_ERROR;
    }
    pthread_mutex_lock(&s->mu);
    sched_node *n = weft__sched_find(s, name, KIND_APP_SRC);
    if (!n) {
        pthread_mutex_unlock(&s->mu);
        weft_buf_unref(buf);
        return WEFT_FLOW_ERROR;
    }
    while (!n->finished && !s->done &&
           (n->flushing || !weft__sched_outputs_room(s, n)))
        pthread_cond_wait(&s->ext_cv, &s->mu);
    weft_flow f;
    if (n->finished || s->done) {
        weft_buf_unref(buf);
        f = WEFT_FLOW_EOS;
    } else {
        n->tid = 0;
        f = weft__sched_push_locked(s, n, 0, buf);
        if (f == WEFT_FLOW_EOS) /* everything downstream finished */
            weft__sched_finish(s, n);
    }
    pthread_mutex_unlock(&s->mu);
    return f == WEFT_FLOW_FLUSHING ? WEFT_FLOW_OK : f;
}

int weft_graph_app_end(weft_graph *g, const char *name)
{
    weft__sched *s = running(g);
    if (!s)
        return WEFT_ESTATE;
    pthread_mutex_lock(&s->mu);
    sched_node *n = weft__sched_find(s, name, KIND_APP_SRC);
    if (n)
        weft__sched_finish(s, n);
    pthread_mutex_unlock(&s->mu);
    return n ? 0 : WEFT_ENOENT;
}

weft_flow weft_graph_app_pull(weft_graph *g, const char *name,
                              int64_t timeout_ns, weft_buf **out)
{
    weft__sched *s = running(g);
    if (!out)
        return WEFT_FLOW_ERROR;
    *out = NULL;
    if (!s)
        return WEFT_FLOW_ERROR;
    int64_t deadline = timeout_ns < 0 ? INT64_MAX : weft__now_ns() + timeout_ns;
    pthread_mutex_lock(&s->mu);
    sched_node *n = weft__sched_find(s, name, KIND_APP_SINK);
    weft_flow f = n ? WEFT_FLOW_AGAIN : WEFT_FLOW_ERROR;
    while (n) {
        f = n->n_in ? weft__sched_pop_locked(s, n, 0, out) : WEFT_FLOW_EOS;
        if (f == WEFT_FLOW_OK || f == WEFT_FLOW_EOS)
            break;
        /* After an abort the links are drained and closed, not ended. */
        if (s->done) {
            f = WEFT_FLOW_EOS;
            break;
        }
        int64_t now = weft__now_ns();
        if (now >= deadline) {
            f = WEFT_FLOW_AGAIN;
            break;
        }
        struct timespec ts;
        int64_t until = deadline == INT64_MAX ? now + 100000000 : deadline;
        ts.tv_sec = (time_t)(until / 1000000000);
        ts.tv_nsec = (long)(until % 1000000000);
        pthread_cond_timedwait(&s->ext_cv, &s->mu, &ts);
    }
    pthread_mutex_unlock(&s->mu);
    return f;
}
