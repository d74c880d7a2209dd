/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* weft inspect [CLASS|PLUGIN]: what the registry holds, in full. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void inspect_usage(FILE *out)
{
    fprintf(out,
            "usage: weft inspect [CLASS | PLUGIN]\n\n"
            "Without an argument, list every plugin, class and loading "
            "problem.\n"
            "With a class name, print everything the class declares: ports "
            "and\n"
            "their formats, properties with type, default, range, unit and "
            "doc,\n"
            "and flags. With a plugin name, list that plugin's classes.\n");
}

static void print_flags(weft_node_flags f)
{
    static const struct {
        weft_node_flags bit;
        const char *name;
    } names[] = {
        {WEFT_NODE_SOURCE, "source"},       {WEFT_NODE_SINK, "sink"},
        {WEFT_NODE_LIVE, "live"},           {WEFT_NODE_CUDA, "cuda"},
        {WEFT_NODE_STATEFUL, "stateful"},   {WEFT_NODE_ANY_INPUT, "any-input"},
    };
    int n = 0;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (f & names[i].bit)
            printf("%s%s", n++ ? ", " : "", names[i].name);
    printf("%s\n", n ? "" : "none");
}

static void print_ports(const char *title, const weft_node_class *cls,
                        bool inputs)
{
    size_t n = inputs ? weft_class_n_inputs(cls) : weft_class_n_outputs(cls);
    printf("\n%s:%s\n", title, n ? "" : " none");
    for (size_t i = 0; i < n; i++) {
        const weft_port_desc *p =
            inputs ? weft_class_input(cls, i) : weft_class_output(cls, i);
        printf("  %-12s %s", p->name, p->format);
        if (p->flags & (WEFT_PORT_OPTIONAL | WEFT_PORT_MULTI))
            printf("  (%s%s%s)", p->flags & WEFT_PORT_OPTIONAL ? "optional" : "",
                   (p->flags & WEFT_PORT_OPTIONAL) && (p->flags & WEFT_PORT_MULTI)
                       ? ", "
                       : "",
                   p->flags & WEFT_PORT_MULTI ? "accepts several links" : "");
        printf("\n");
        cli_wrap(stdout, p->doc ? p->doc : "(undocumented)", 15, 78);
    }
}

static void print_number(double v, weft_prop_type t)
{
    if (t == WEFT_PROP_INT)
        printf("%lld", (long long)v);
    else
        printf("%g", v);
}

static void print_props(const weft_node_class *cls)
{
    size_t n = weft_class_n_props(cls);
    printf("\nProperties:%s\n", n ? "" : " none");
    for (size_t i = 0; i < n; i++) {
        const weft_prop_desc *p = weft_class_prop(cls, i);
        printf("  %-18s %s", p->name, weft_prop_type_name(p->type));
        if (p->type == WEFT_PROP_LIST)
            printf(" of %s", weft_prop_type_name(p->elem_type));
        if (p->unit)
            printf(", unit %s", p->unit);
        if (p->flags & WEFT_PROP_REQUIRED)
            printf(", required");
        else if (p->default_value)
            printf(", default %s", p->default_value);
        if (p->flags & (WEFT_PROP_HAS_MIN | WEFT_PROP_HAS_MAX)) {
            printf(", range ");
            if (p->flags & WEFT_PROP_HAS_MIN)
                print_number(p->min, p->type);
            else
                printf("-inf");
            printf(" .. ");
            if (p->flags & WEFT_PROP_HAS_MAX)
                print_number(p->max, p->type);
            else
                printf("inf");
        }
        if (p->flags & WEFT_PROP_RUNTIME)
            printf(", changeable while running");
        printf("\n");
        if (p->type == WEFT_PROP_ENUM && p->choices) {
            printf("%*sone of:", 21, "");
            for (size_t k = 0; p->choices[k]; k++)
                printf(" %s", p->choices[k]);
            printf("\n");
        }
        cli_wrap(stdout, p->doc ? p->doc : "(undocumented)", 21, 78);
    }
}

static int inspect_class(const weft_registry *reg, const weft_node_class *cls)
{
    int32_t pi = weft_registry_class_plugin(reg, cls);
    const weft_plugin_desc *pd = pi >= 0 ? weft_registry_plugin(reg, (size_t)pi)
                                         : NULL;
    printf("%s - %s\n\n", cls->name, cls->summary ? cls->summary : "");
    if (pd)
        printf("Plugin:  %s %s (%s), %s\n", pd->name,
               pd->version ? pd->version : "?", pd->license ? pd->license : "?",
               weft_registry_plugin_path(reg, (size_t)pi));
    printf("Flags:   ");
    print_flags(cls->flags);
    if (cls->doc) {
        printf("\n");
        cli_wrap(stdout, cls->doc, 2, 78);
    }
    print_ports("Inputs", cls, true);
    print_ports("Outputs", cls, false);
    print_props(cls);
    return CLI_OK;
}

static int inspect_plugin(const weft_registry *reg, size_t pi)
{
    const weft_plugin_desc *pd = weft_registry_plugin(reg, pi);
    printf("%s - %s\n\n", pd->name, pd->summary ? pd->summary : "");
    printf("Version: %s\nLicense: %s\nFile:    %s\n\nClasses:\n",
           pd->version ? pd->version : "?", pd->license ? pd->license : "?",
           weft_registry_plugin_path(reg, pi));
    for (size_t i = 0; i < weft_registry_n_classes(reg); i++) {
        const weft_node_class *c = weft_registry_class(reg, i);
        if (weft_registry_class_plugin(reg, c) == (int32_t)pi)
            printf("  %-20s %s\n", c->name, c->summary ? c->summary : "");
    }
    return CLI_OK;
}

static int inspect_all(const weft_registry *reg)
{
    size_t np = weft_registry_n_plugins(reg), nc = weft_registry_n_classes(reg);
    printf("Plugins (%zu):\n", np);
    for (size_t i = 0; i < np; i++) {
        const weft_plugin_desc *pd = weft_registry_plugin(reg, i);
        printf("  %-12s %-8s %-20s %s\n", pd->name,
               pd->version ? pd->version : "?", pd->license ? pd->license : "?",
               weft_registry_plugin_path(reg, i));
    }
    printf("\nClasses (%zu):\n", nc);
    for (size_t i = 0; i < nc; i++) {
        const weft_node_class *c = weft_registry_class(reg, i);
        int32_t pi = weft_registry_class_plugin(reg, c);
        printf("  %-20s %-10s %s\n", c->name,
               pi >= 0 ? weft_registry_plugin(reg, (size_t)pi)->name : "?",
               c->summary ? c->summary : "");
    }
    size_t nq = weft_registry_n_problems(reg);
    if (nq) {
        printf("\nProblems (%zu):\n", nq);
        for (size_t i = 0; i < nq; i++)
            printf("  %s\n", weft_registry_problem(reg, i));
    }
    if (!np)
        printf("\nNo plugins found: set WEFT_PLUGIN_PATH or install them in "
               "%s.\n",
               weft_registry_default_dir());
    return CLI_OK;
}

int cmd_inspect(int argc, char **argv)
{
    if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        inspect_usage(stdout);
        return CLI_OK;
    }
    if (argc > 2) {
        inspect_usage(stderr);
        return CLI_USAGE;
    }
    /* Loading problems are listed by inspect itself; don't also log them. */
    weft_log_set_handler(NULL, NULL);
    weft_registry *reg = cli_load_registry();
    weft_log_set_handler(weft_log_handler_stderr, NULL);
    int rc;
    if (argc == 1) {
        rc = inspect_all(reg);
    } else {
        const weft_node_class *cls = weft_registry_find(reg, argv[1]);
        rc = CLI_FAIL;
        if (cls) {
            rc = inspect_class(reg, cls);
        } else {
            size_t i;
            for (i = 0; i < weft_registry_n_plugins(reg); i++)
                if (!strcmp(weft_registry_plugin(reg, i)->name, argv[1]))
                    break;
            if (i < weft_registry_n_plugins(reg)) {
                rc = inspect_plugin(reg, i);
            } else {
                const char *s = weft_registry_suggest(reg, argv[1]);
                fprintf(stderr, "weft inspect: no class or plugin named '%s'",
                        argv[1]);
                if (s)
                    fprintf(stderr, "; did you mean '%s'?", s);
                fprintf(stderr, "\n");
            }
        }
    }
    weft_registry_free(reg);
    return rc;
}
