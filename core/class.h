/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef WEFT_CLASS_H
#define WEFT_CLASS_H

#include <weft/plugin.h>

/* A node class in this core's struct layout, with its own arrays. */
typedef struct weft__class {
    weft_node_class cls; /* must stay first: &c->cls is handed out */
    weft_port_desc *inputs, *outputs;
    weft_prop_desc *props;
    const weft_node_class *original;
} weft__class;

/* Validate a plugin's class; a one-line reason in @err. */
int weft__class_check(const weft_node_class *cls, char *err, size_t errlen);
/* Copy into this core's layout (fields unknown to the plugin zeroed). */
weft__class *weft__class_dup(const weft_node_class *cls);
void weft__class_free(weft__class *c);

#endif
