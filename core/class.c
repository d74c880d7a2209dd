/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Node-class descriptors: walking plugin-built arrays whose element size
 * the plugin chose (struct_size), validating a class, and making a copy in
 * this core's layout so the rest of the core reads plain structs.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "class.h"
#include "internal.h"
#include <weft/format.h>
#include <weft/registry.h>

/* Arrays end with an entry whose struct_size is 0. Elements are stepped by
 * the first element's struct_size, which the plugin's compiler set. */
static size_t walk_count(const void *arr)
{
    if (!arr)
        return 0;
    const char *p = arr;
    uint32_t stride = *(const uint32_t *)p;
    if (stride < sizeof(uint32_t) * 2)
        return 0;
    size_t n = 0;
    while (*(const uint32_t *)(p + n * stride) != 0 && n < 4096)
        n++;
    return n;
}

static const void *walk_at(const void *arr, size_t i)
{
    const char *p = arr;
    uint32_t stride = *(const uint32_t *)p;
    return p + i * stride;
}

size_t weft_class_n_inputs(const weft_node_class *c) { return c ? walk_count(c->inputs) : 0; }
size_t weft_class_n_outputs(const weft_node_class *c) { return c ? walk_count(c->outputs) : 0; }
size_t weft_class_n_props(const weft_node_class *c) { return c ? walk_count(c->props) : 0; }

const weft_port_desc *weft_class_input(const weft_node_class *c, size_t i)
{
    return i < weft_class_n_inputs(c) ? walk_at(c->inputs, i) : NULL;
}

const weft_port_desc *weft_class_output(const weft_node_class *c, size_t i)
{
    return i < weft_class_n_outputs(c) ? walk_at(c->outputs, i) : NULL;
}

const weft_prop_desc *weft_class_prop(const weft_node_class *c, size_t i)
{
    return i < weft_class_n_props(c) ? walk_at(c->props, i) : NULL;
}

const weft_prop_desc *weft_class_find_prop(const weft_node_class *c,
                                           const char *name)
{
    size_t n = weft_class_n_props(c);
    for (size_t i = 0; i < n; i++) {
        const weft_prop_desc *p = walk_at(c->props, i);
        if (p->name && name && strcmp(p->name, name) == 0)
            return p;
    }
    return NULL;
}

/* Copy @size bytes of a plugin struct into a zeroed struct of ours: fields
 * an older plugin did not know read as zero. */
static void copy_grown(void *dst, size_t dst_size, const void *src,
                       uint32_t src_size)
{
    memset(dst, 0, dst_size);
    memcpy(dst, src, src_size < dst_size ? src_size : dst_size);
}

static bool valid_class_name(const char *s)
{
    if (!s || !*s || strlen(s) > 128)
        return false;
    if (!islower((unsigned char)s[0]))
        return false;
    for (const char *p = s; *p; p++)
        if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p) &&
            *p != '.' && *p != '_' && *p != '-')
            return false;
    return s[strlen(s) - 1] != '.';
}

static bool valid_ident(const char *s)
{
    if (!s || !*s || strlen(s) > 64)
        return false;
    if (!isalpha((unsigned char)s[0]) && s[0] != '_')
        return false;
    for (const char *p = s; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '_')
            return false;
    return true;
}

static int check_ports(const char *cname, const void *arr, const char *dir,
                       char *err, size_t errlen)
{
    size_t n = walk_count(arr);
    for (size_t i = 0; i < n; i++) {
        const weft_port_desc *p = walk_at(arr, i);
        if (!valid_ident(p->name)) {
            weft__set_err(err, errlen, "class '%s': %s port %zu has %s name",
                          cname, dir, i, p->name ? "an invalid" : "no");
            return WEFT_EPLUGIN;
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(((const weft_port_desc *)walk_at(arr, j))->name,
                       p->name) == 0) {
                weft__set_err(err, errlen,
                              "class '%s': two %s ports named '%s'", cname,
                              dir, p->name);
                return WEFT_EPLUGIN;
            }
        if (!p->format || !*p->format) {
            weft__set_err(err, errlen, "class '%s': %s port '%s' has no format",
                          cname, dir, p->name);
            return WEFT_EPLUGIN;
        }
        weft_format *f = NULL;
        char why[160];
        if (weft_format_parse(p->format, &f, why, sizeof why) < 0) {
            weft__set_err(err, errlen,
                          "class '%s': %s port '%s': bad format \"%s\": %s",
                          cname, dir, p->name, p->format, why);
            return WEFT_EPLUGIN;
        }
        weft_format_free(f);
    }
    return 0;
}

int weft__class_check(const weft_node_class *cls, char *err, size_t errlen)
{
    if (!cls || cls->struct_size < offsetof(weft_node_class, process) +
                                       sizeof cls->process) {
        weft__set_err(err, errlen, "a node class descriptor is too small");
        return WEFT_EPLUGIN;
    }
    if (!valid_class_name(cls->name)) {
        weft__set_err(err, errlen,
                      cls->name ? "class name '%s' is not lower-case dotted"
                                : "a node class has no name%s",
                      cls->name ? cls->name : "");
        return WEFT_EPLUGIN;
    }
    if (!cls->process) {
        weft__set_err(err, errlen, "class '%s' has no process callback",
                      cls->name);
        return WEFT_EPLUGIN;
    }
    int rc = check_ports(cls->name, cls->inputs, "input", err, errlen);
    if (rc == 0)
        rc = check_ports(cls->name, cls->outputs, "output", err, errlen);
    if (rc < 0)
        return rc;
    size_t np = walk_count(cls->props);
    for (size_t i = 0; i < np; i++) {
        const weft_prop_desc *p = walk_at(cls->props, i);
        char why[200];
        weft_prop_desc d;
        copy_grown(&d, sizeof d, p, p->struct_size);
        d.struct_size = sizeof d; /* an older, shorter layout is fine */
        if (weft_prop_desc_check(&d, why, sizeof why) < 0) {
            weft__set_err(err, errlen, "class '%s': property %s: %s",
                          cls->name, d.name ? d.name : "(unnamed)", why);
            return WEFT_EPLUGIN;
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(((const weft_prop_desc *)walk_at(cls->props, j))->name,
                       d.name) == 0) {
                weft__set_err(err, errlen,
                              "class '%s': two properties named '%s'",
                              cls->name, d.name);
                return WEFT_EPLUGIN;
            }
    }
    return 0;
}

weft__class *weft__class_dup(const weft_node_class *src)
{
    weft__class *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    copy_grown(&c->cls, sizeof c->cls, src, src->struct_size);
    c->cls.struct_size = sizeof c->cls;
    size_t ni = walk_count(src->inputs), no = walk_count(src->outputs),
           np = walk_count(src->props);
    c->inputs = calloc(ni + 1, sizeof *c->inputs);
    c->outputs = calloc(no + 1, sizeof *c->outputs);
    c->props = calloc(np + 1, sizeof *c->props);
    if (!c->inputs || !c->outputs || !c->props) {
        weft__class_free(c);
        return NULL;
    }
    for (size_t i = 0; i < ni; i++) {
        const weft_port_desc *p = walk_at(src->inputs, i);
        copy_grown(&c->inputs[i], sizeof *c->inputs, p, p->struct_size);
        c->inputs[i].struct_size = sizeof *c->inputs;
    }
    for (size_t i = 0; i < no; i++) {
        const weft_port_desc *p = walk_at(src->outputs, i);
        copy_grown(&c->outputs[i], sizeof *c->outputs, p, p->struct_size);
        c->outputs[i].struct_size = sizeof *c->outputs;
    }
    for (size_t i = 0; i < np; i++) {
        const weft_prop_desc *p = walk_at(src->props, i);
        copy_grown(&c->props[i], sizeof *c->props, p, p->struct_size);
        c->props[i].struct_size = sizeof *c->props;
    }
    c->cls.inputs = c->inputs;
    c->cls.outputs = c->outputs;
    c->cls.props = c->props;
    c->original = src;
    return c;
}

void weft__class_free(weft__class *c)
{
    if (!c)
        return;
    free(c->inputs);
    free(c->outputs);
    free(c->props);
    free(c);
}
