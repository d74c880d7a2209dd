/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Node instances and the node services of weft/plugin.h. */
#include "config.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "node.h"
#include <weft/registry.h>

int weft__node_new(const weft_node_class *cls, const char *name,
                   weft_node **out, char *err, size_t errlen)
{
    *out = NULL;
    weft_node *n = calloc(1, sizeof *n);
    if (!n)
        return WEFT_ENOMEM;
    n->cls = cls;
    n->name = weft__strdup(name ? name : cls->name);
    n->base_dir = weft__strdup("");
    n->media_duration = -1;
    n->n_props = weft_class_n_props(cls);
    n->n_in = (uint32_t)weft_class_n_inputs(cls);
    n->n_out = (uint32_t)weft_class_n_outputs(cls);
    n->prop_desc = calloc(n->n_props + 1, sizeof *n->prop_desc);
    n->values = calloc(n->n_props + 1, sizeof *n->values);
    n->in_desc = calloc(n->n_in + 1, sizeof *n->in_desc);
    n->out_desc = calloc(n->n_out + 1, sizeof *n->out_desc);
    n->in_tmpl = calloc(n->n_in + 1, sizeof *n->in_tmpl);
    n->out_tmpl = calloc(n->n_out + 1, sizeof *n->out_tmpl);
    n->in_fmt = calloc(n->n_in + 1, sizeof *n->in_fmt);
    n->out_fmt = calloc(n->n_out + 1, sizeof *n->out_fmt);
    n->in_linked = calloc(n->n_in + 1, sizeof *n->in_linked);
    n->out_linked = calloc(n->n_out + 1, sizeof *n->out_linked);
    if (!n->name || !n->base_dir || !n->prop_desc || !n->values ||
        !n->in_desc || !n->out_desc || !n->in_tmpl || !n->out_tmpl ||
        !n->in_fmt || !n->out_fmt || !n->in_linked || !n->out_linked)
        goto nomem;
    for (size_t i = 0; i < n->n_props; i++) {
        n->prop_desc[i] = weft_class_prop(cls, i);
        const char *def = n->prop_desc[i]->default_value;
        if (def && weft_value_parse(n->prop_desc[i], def, &n->values[i], err,
                                    errlen) < 0)
            goto fail;
    }
    for (uint32_t i = 0; i < n->n_in; i++) {
        n->in_desc[i] = weft_class_input(cls, i);
        n->in_linked[i] = true;
        if (weft_format_parse(n->in_desc[i]->format, &n->in_tmpl[i], err,
                              errlen) < 0)
            goto fail;
    }
    for (uint32_t i = 0; i < n->n_out; i++) {
        n->out_desc[i] = weft_class_output(cls, i);
        n->out_linked[i] = true;
        if (weft_format_parse(n->out_desc[i]->format, &n->out_tmpl[i], err,
                              errlen) < 0)
            goto fail;
    }
    *out = n;
    return 0;
nomem:
    weft__set_err(err, errlen, "out of memory");
    weft__node_free(n);
    return WEFT_ENOMEM;
fail:
    weft__node_free(n);
    return WEFT_EPLUGIN;
}

void weft__node_free(weft_node *n)
{
    if (!n)
        return;
    if (n->cls->fini && n->init_done)
        n->cls->fini(n);
    for (size_t i = 0; n->values && i < n->n_props; i++)
        weft_value_free(n->values[i]);
    for (uint32_t i = 0; i < n->n_in; i++) {
        if (n->in_tmpl)
            weft_format_free(n->in_tmpl[i]);
        if (n->in_fmt)
            weft_format_free(n->in_fmt[i]);
    }
    for (uint32_t i = 0; i < n->n_out; i++) {
        if (n->out_tmpl)
            weft_format_free(n->out_tmpl[i]);
        if (n->out_fmt)
            weft_format_free(n->out_fmt[i]);
    }
    free(n->prop_desc);
    free(n->values);
    free(n->in_desc);
    free(n->out_desc);
    free(n->in_tmpl);
    free(n->out_tmpl);
    free(n->in_fmt);
    free(n->out_fmt);
    free(n->in_linked);
    free(n->out_linked);
    free(n->error);
    free(n->name);
    free(n->base_dir);
    free(n);
}

static int prop_index(const weft_node *n, const char *name)
{
    for (size_t i = 0; name && i < n->n_props; i++)
        if (strcmp(n->prop_desc[i]->name, name) == 0)
            return (int)i;
    return -1;
}

int weft__node_set_prop(weft_node *n, const char *name, const char *text,
                        char *err, size_t errlen)
{
    int i = prop_index(n, name);
    if (i < 0) {
        weft__set_err(err, errlen, "class '%s' has no property '%s'",
                      n->cls->name, name ? name : "");
        return WEFT_ENOENT;
    }
    weft_value *v;
    int rc = weft_value_parse(n->prop_desc[i], text, &v, err, errlen);
    if (rc < 0)
        return rc;
    weft_value_free(n->values[i]);
    n->values[i] = v;
    return 0;
}

int weft__node_set_value(weft_node *n, const char *name, weft_value *v)
{
    int i = prop_index(n, name);
    if (i < 0) {
        weft_value_free(v);
        return WEFT_ENOENT;
    }
    weft_value_free(n->values[i]);
    n->values[i] = v;
    return 0;
}

int weft__node_set_base_dir(weft_node *n, const char *dir)
{
    char *d = weft__strdup(dir ? dir : "");
    if (!d)
        return WEFT_ENOMEM;
    free(n->base_dir);
    n->base_dir = d;
    return 0;
}

void weft__node_set_io(weft_node *n, const weft__node_io *io, void *ctx)
{
    n->io = io;
    n->io_ctx = ctx;
}

int weft__node_init(weft_node *n)
{
    /* Optional properties without a default (strings, paths, lists) may
     * stay unset: their getters return NULL. */
    for (size_t i = 0; i < n->n_props; i++)
        if (!n->values[i] && (n->prop_desc[i]->flags & WEFT_PROP_REQUIRED))
            return weft__node_fail(n, WEFT_EINVAL,
                                   "property '%s' is required and not set",
                                   n->prop_desc[i]->name);
    /* fini runs from here on, even if init fails half-way. */
    n->init_done = true;
    if (!n->cls->init)
        return 0;
    int rc = n->cls->init(n);
    if (rc < 0 && !n->error)
        weft__node_fail(n, rc, "init failed: %s", weft_strerror(rc));
    return rc < 0 ? rc : 0;
}

/* Without a negotiate callback: one input passes its format through to each
 * output whose template accepts it; otherwise each output's template. */
static int default_negotiate(weft_node *n, const weft_format *const *in,
                             weft_format **out)
{
    for (uint32_t o = 0; o < n->n_out; o++) {
        if (n->n_in == 1 && in[0]) {
            out[o] = weft_format_intersect(in[0], n->out_tmpl[o], NULL, 0);
            if (out[o])
                continue;
        }
        out[o] = weft_format_fixate(n->out_tmpl[o]);
        if (!out[o])
            return WEFT_ENOMEM;
    }
    return 0;
}

int weft__node_negotiate(weft_node *n, const weft_format *const *in)
{
    char why[200];
    for (uint32_t i = 0; i < n->n_in; i++) {
        weft_format_free(n->in_fmt[i]);
        n->in_fmt[i] = NULL;
        if (!in[i] || !n->in_linked[i])
            continue;
        n->in_fmt[i] = weft_format_intersect(in[i], n->in_tmpl[i], why,
                                             sizeof why);
        if (!n->in_fmt[i]) {
            char *a = weft_format_to_string(in[i]);
            int rc = weft__node_fail(n, WEFT_EFORMAT,
                                     "input '%s' accepts \"%s\", got \"%s\" (%s)",
                                     n->in_desc[i]->name, n->in_desc[i]->format,
                                     a ? a : "?", why);
            free(a);
            return rc;
        }
    }
    weft_format **out = calloc(n->n_out + 1, sizeof *out);
    if (!out)
        return WEFT_ENOMEM;
    int rc = n->cls->negotiate
                 ? n->cls->negotiate(n, (const weft_format *const *)n->in_fmt,
                                     out)
                 : default_negotiate(n, (const weft_format *const *)n->in_fmt,
                                     out);
    if (rc < 0) {
        if (!n->error)
            weft__node_fail(n, rc, "negotiation failed: %s",
                            weft_strerror(rc));
        goto done;
    }
    for (uint32_t o = 0; o < n->n_out; o++) {
        if (!out[o]) {
            out[o] = weft_format_fixate(n->out_tmpl[o]);
            if (!out[o]) {
                rc = WEFT_ENOMEM;
                goto done;
            }
        }
        if (!weft_format_can_intersect(out[o], n->out_tmpl[o])) {
            char *s = weft_format_to_string(out[o]);
            rc = weft__node_fail(n, WEFT_EFORMAT,
                                 "negotiate produced \"%s\" for output '%s', "
                                 "whose template is \"%s\"",
                                 s ? s : "?", n->out_desc[o]->name,
                                 n->out_desc[o]->format);
            free(s);
            goto done;
        }
        weft_format_free(n->out_fmt[o]);
        n->out_fmt[o] = out[o];
        out[o] = NULL;
    }
done:
    for (uint32_t o = 0; o < n->n_out; o++)
        weft_format_free(out[o]);
    free(out);
    return rc < 0 ? rc : 0;
}

weft_flow weft__node_process(weft_node *n)
{
    weft_flow f = n->cls->process(n);
    if (f == WEFT_FLOW_ERROR && !n->error)
        weft__node_fail(n, WEFT_ENODE, "process failed without a message");
    return f;
}

int weft__node_flush(weft_node *n)
{
    if (!n->cls->flush)
        return 0;
    int rc = n->cls->flush(n);
    if (rc < 0 && !n->error)
        weft__node_fail(n, rc, "flush failed: %s", weft_strerror(rc));
    return rc;
}

void weft__node_stop(weft_node *n)
{
    atomic_store(&n->stopping, true);
    if (n->cls->unblock)
        n->cls->unblock(n);
}

static int set_error_v(weft_node *n, int code, const char *fmt, va_list ap)
{
    /* The first error explains the failure; later ones are consequences. */
    if (!n->error) {
        n->error = weft__vasprintf(fmt, ap);
        n->error_code = code;
        weft_log(WEFT_LOG_ERROR, n->cls->name, "node '%s': %s", n->name,
                 n->error ? n->error : "(out of memory)");
    }
    return code < 0 ? code : WEFT_ENODE;
}

int weft__node_fail(weft_node *n, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = set_error_v(n, code, fmt, ap);
    va_end(ap);
    return rc;
}

/* ------------------------------------------------------ plugin services */

void *weft_node_priv(const weft_node *n) { return n->priv; }
void weft_node_set_priv(weft_node *n, void *priv) { n->priv = priv; }
const char *weft_node_name(const weft_node *n) { return n->name; }
const weft_node_class *weft_node_get_class(const weft_node *n) { return n->cls; }
uint32_t weft_node_n_inputs(const weft_node *n) { return n->n_in; }
uint32_t weft_node_n_outputs(const weft_node *n) { return n->n_out; }
const char *weft_node_base_dir(const weft_node *n) { return n->base_dir; }

char *weft_node_prop_path(weft_node *n, const char *prop)
{
    const char *path = weft_node_prop_string(n, prop);
    const char *base = n->base_dir;
    size_t bl, pl;
    char *out;

    if (!path || !*path) {
        weft_node_error(n, WEFT_EINVAL, "property '%s' is not set", prop);
        return NULL;
    }
    if (path[0] == '/' || !base || !*base) {
        out = strdup(path);
    } else {
        bl = strlen(base);
        pl = strlen(path);
        if ((out = malloc(bl + 1 + pl + 1))) {
            memcpy(out, base, bl);
            out[bl] = '/';
            memcpy(out + bl + 1, path, pl + 1);
        }
    }
    if (!out)
        weft_node_error(n, WEFT_ENOMEM, "out of memory");
    return out;
}

const weft_value *weft_node_prop(const weft_node *n, const char *name)
{
    int i = prop_index(n, name);
    return i < 0 ? NULL : n->values[i];
}

bool weft_node_prop_bool(const weft_node *n, const char *name)
{
    const weft_value *v = weft_node_prop(n, name);
    return v && weft_value_type(v) == WEFT_PROP_BOOL ? weft_value_bool(v)
                                                      : false;
}

int64_t weft_node_prop_int(const weft_node *n, const char *name)
{
    const weft_value *v = weft_node_prop(n, name);
    return v && weft_value_type(v) == WEFT_PROP_INT ? weft_value_int(v) : 0;
}

double weft_node_prop_float(const weft_node *n, const char *name)
{
    const weft_value *v = weft_node_prop(n, name);
    if (!v)
        return 0;
    weft_prop_type t = weft_value_type(v);
    return t == WEFT_PROP_FLOAT || t == WEFT_PROP_INT ? weft_value_float(v)
                                                       : 0;
}

const char *weft_node_prop_string(const weft_node *n, const char *name)
{
    const weft_value *v = weft_node_prop(n, name);
    if (!v)
        return NULL;
    weft_prop_type t = weft_value_type(v);
    return t == WEFT_PROP_STRING || t == WEFT_PROP_PATH || t == WEFT_PROP_ENUM
               ? weft_value_string(v)
               : NULL;
}

int32_t weft_node_prop_enum(const weft_node *n, const char *name)
{
    const weft_value *v = weft_node_prop(n, name);
    return v && weft_value_type(v) == WEFT_PROP_ENUM ? weft_value_enum(v) : -1;
}

int32_t weft_node_input_index(const weft_node *n, const char *name)
{
    for (uint32_t i = 0; name && i < n->n_in; i++)
        if (strcmp(n->in_desc[i]->name, name) == 0)
            return (int32_t)i;
    return -1;
}

int32_t weft_node_output_index(const weft_node *n, const char *name)
{
    for (uint32_t i = 0; name && i < n->n_out; i++)
        if (strcmp(n->out_desc[i]->name, name) == 0)
            return (int32_t)i;
    return -1;
}

bool weft_node_input_linked(const weft_node *n, uint32_t port)
{
    return port < n->n_in && n->in_linked[port];
}

bool weft_node_output_linked(const weft_node *n, uint32_t port)
{
    return port < n->n_out && n->out_linked[port];
}

const weft_format *weft_node_input_format(const weft_node *n, uint32_t port)
{
    return port < n->n_in ? n->in_fmt[port] : NULL;
}

const weft_format *weft_node_output_format(const weft_node *n, uint32_t port)
{
    return port < n->n_out ? n->out_fmt[port] : NULL;
}

weft_flow weft_node_pop(weft_node *n, uint32_t port, weft_buf **out)
{
    *out = NULL;
    WEFT_ASSERT(port < n->n_in);
    if (!n->io)
        return WEFT_FLOW_EOS;
    return n->io->pop(n->io_ctx, n, port, out);
}

const weft_buf *weft_node_peek(const weft_node *n, uint32_t port)
{
    if (port >= n->n_in || !n->io)
        return NULL;
    return n->io->peek(n->io_ctx, n, port);
}

uint32_t weft_node_queued(const weft_node *n, uint32_t port)
{
    if (port >= n->n_in || !n->io)
        return 0;
    return n->io->queued(n->io_ctx, n, port);
}

weft_flow weft_node_push(weft_node *n, uint32_t port, weft_buf *buf)
{
    WEFT_ASSERT(port < n->n_out);
    WEFT_ASSERT(buf != NULL);
    if (!n->out_linked[port] || !n->io) {
        weft_buf_unref(buf);
        return WEFT_FLOW_OK;
    }
    return n->io->push(n->io_ctx, n, port, buf);
}

int weft_node_error(weft_node *n, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = set_error_v(n, code, fmt, ap);
    va_end(ap);
    return rc;
}

const char *weft_node_error_message(const weft_node *n)
{
    return n->error;
}

void weft_node_log(const weft_node *n, weft_log_level level, const char *fmt,
                   ...)
{
    if (level > weft_log_threshold(n->cls->name))
        return;
    va_list ap;
    va_start(ap, fmt);
    char *msg = weft__vasprintf(fmt, ap);
    va_end(ap);
    weft_log(level, n->cls->name, "%s: %s", n->name, msg ? msg : fmt);
    free(msg);
}

int64_t weft_node_clock_ns(const weft_node *n)
{
    if (n->io && n->io->clock)
        return n->io->clock(n->io_ctx);
    return weft__now_ns();
}

bool weft_node_is_stopping(const weft_node *n)
{
    return atomic_load(&((weft_node *)n)->stopping);
}

void weft_node_set_media_duration(weft_node *n, int64_t d)
{
    n->media_duration = d;
}

void weft_node_set_media_offset(weft_node *n, int64_t offset_ns)
{
    n->media_offset = offset_ns;
}

void weft_node_count(weft_node *n, const char *counter, int64_t delta)
{
    int k = atomic_load(&n->n_counters);
    for (int i = 0; i < k; i++)
        if (n->counters[i].name == counter ||
            strcmp(n->counters[i].name, counter) == 0) {
            atomic_fetch_add(&n->counters[i].value, delta);
            return;
        }
    /* New counters are added by the node's own callbacks, which never run
     * concurrently, so only readers race with this append. */
    if (k == WEFT__MAX_COUNTERS)
        return;
    n->counters[k].name = counter;
    atomic_store(&n->counters[k].value, delta);
    atomic_store(&n->n_counters, k + 1);
}

int64_t weft_node_counter(const weft_node *n, const char *counter)
{
    int k = atomic_load(&((weft_node *)n)->n_counters);
    for (int i = 0; i < k; i++)
        if (strcmp(n->counters[i].name, counter) == 0)
            return atomic_load(&((weft_node *)n)->counters[i].value);
    return 0;
}
