/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Plugin loading. Every way a file can be unusable is a recorded problem
 * with its path, never a failure of the whole scan: one broken plugin in a
 * directory must not take the others down (GStreamer's registry behaves the
 * same way).
 */
#include "config.h"

#include <dirent.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "class.h"
#include "internal.h"
#include <weft/registry.h>

#ifndef WEFT_PLUGIN_DIR
#define WEFT_PLUGIN_DIR "/usr/local/lib/weft/plugins"
#endif

typedef struct plugin {
    const weft_plugin_desc *desc;
    weft_plugin_desc copy; /* in this core's layout */
    char *path;
    void *handle; /* NULL for in-process plugins */
} plugin;

typedef struct klass {
    weft__class *c;
    size_t plugin;
} klass;

struct weft_registry {
    plugin *plugins;
    size_t n_plugins;
    klass *classes; /* sorted by name */
    size_t n_classes;
    char **problems;
    size_t n_problems;
};

const char *weft_registry_default_dir(void)
{
    return WEFT_PLUGIN_DIR;
}

/* The scheduler's app.src/app.sink (core/sched/app.c). */
extern const weft_plugin_desc weft__app_plugin;
static int add(weft_registry *reg, const weft_plugin_desc *desc,
               const char *path, void *handle);

weft_registry *weft_registry_new(void)
{
    weft_registry *reg = calloc(1, sizeof(weft_registry));
    if (reg && add(reg, &weft__app_plugin, "(built in)", NULL) < 0) {
        weft_registry_free(reg);
        return NULL;
    }
    return reg;
}

void weft_registry_free(weft_registry *reg)
{
    if (!reg)
        return;
    for (size_t i = 0; i < reg->n_classes; i++)
        weft__class_free(reg->classes[i].c);
    /* Unload in reverse order: later plugins may use earlier ones. */
    for (size_t i = reg->n_plugins; i-- > 0;) {
        plugin *p = &reg->plugins[i];
        if (p->copy.fini)
            p->copy.fini();
        if (p->handle)
            dlclose(p->handle);
        free(p->path);
    }
    for (size_t i = 0; i < reg->n_problems; i++)
        free(reg->problems[i]);
    free(reg->plugins);
    free(reg->classes);
    free(reg->problems);
    free(reg);
}

static void problem(weft_registry *reg, const char *path, const char *fmt, ...)
    WEFT_PRINTF(3, 4);

static void problem(weft_registry *reg, const char *path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *why = weft__vasprintf(fmt, ap);
    va_end(ap);
    char *line = weft__asprintf("%s: %s", path, why ? why : "out of memory");
    free(why);
    weft_log(WEFT_LOG_WARNING, "loader", "%s", line ? line : path);
    if (!line)
        return;
    char **pr = realloc(reg->problems, (reg->n_problems + 1) * sizeof *pr);
    if (!pr) {
        free(line);
        return;
    }
    reg->problems = pr;
    reg->problems[reg->n_problems++] = line;
}

static size_t n_desc_classes(const weft_plugin_desc *d)
{
    size_t n = 0;
    while (d->classes && d->classes[n] && n < 4096)
        n++;
    return n;
}

static int find_class(const weft_registry *reg, const char *name, size_t *at)
{
    size_t lo = 0, hi = reg->n_classes;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(reg->classes[mid].c->cls.name, name);
        if (c == 0) {
            *at = mid;
            return 1;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *at = lo;
    return 0;
}

/* Validate and register @desc; @handle is dlclose'd on failure. */
static int add(weft_registry *reg, const weft_plugin_desc *desc,
               const char *path, void *handle)
{
    int rc = WEFT_EPLUGIN;
    char err[400];
    weft_plugin_desc d;
    if (!desc) {
        problem(reg, path, "weft_plugin_entry returned NULL");
        goto fail;
    }
    if (desc->abi_version != WEFT_ABI_VERSION) {
        problem(reg, path,
                "built for plugin ABI %u, but this Weft supports ABI %d",
                desc->abi_version, WEFT_ABI_VERSION);
        rc = WEFT_EABI;
        goto fail;
    }
    if (desc->struct_size < offsetof(weft_plugin_desc, classes) +
                                sizeof desc->classes) {
        problem(reg, path, "plugin descriptor too small (%u bytes)",
                desc->struct_size);
        goto fail;
    }
    memset(&d, 0, sizeof d);
    memcpy(&d, desc,
           desc->struct_size < sizeof d ? desc->struct_size : sizeof d);
    if (!d.name || !*d.name) {
        problem(reg, path, "plugin descriptor has no name");
        goto fail;
    }
    for (size_t i = 0; i < reg->n_plugins; i++)
        if (strcmp(reg->plugins[i].copy.name, d.name) == 0) {
            /* Earlier directories shadow later ones (WEFT_PLUGIN_PATH before
             * the install directory): not a problem, just a note. */
            weft_log(WEFT_LOG_INFO, "loader",
                     "%s: plugin '%s' already loaded from %s; skipped", path,
                     d.name, reg->plugins[i].path);
            rc = WEFT_EEXIST;
            goto fail;
        }
    size_t nc = n_desc_classes(&d);
    for (size_t i = 0; i < nc; i++)
        if (weft__class_check(d.classes[i], err, sizeof err) < 0) {
            problem(reg, path, "%s", err);
            goto fail;
        }
    if (d.init) {
        int irc = d.init();
        if (irc != 0) {
            problem(reg, path, "plugin '%s' init failed (%d)", d.name, irc);
            goto fail;
        }
    }
    plugin *ps = realloc(reg->plugins, (reg->n_plugins + 1) * sizeof *ps);
    if (!ps)
        goto nomem;
    reg->plugins = ps;
    plugin *p = &reg->plugins[reg->n_plugins];
    p->desc = desc;
    p->copy = d;
    p->handle = handle;
    p->path = weft__strdup(path);
    if (!p->path)
        goto nomem;
    size_t pi = reg->n_plugins++;
    for (size_t i = 0; i < nc; i++) {
        const weft_node_class *cls = d.classes[i];
        size_t at;
        if (find_class(reg, cls->name, &at)) {
            problem(reg, path,
                    "class '%s' is already provided by %s; keeping that one",
                    cls->name, reg->plugins[reg->classes[at].plugin].path);
            continue;
        }
        klass *ks = realloc(reg->classes, (reg->n_classes + 1) * sizeof *ks);
        if (!ks)
            return WEFT_ENOMEM; /* the plugin stays, partially registered */
        reg->classes = ks;
        weft__class *c = weft__class_dup(cls);
        if (!c)
            return WEFT_ENOMEM;
        memmove(&ks[at + 1], &ks[at], (reg->n_classes - at) * sizeof *ks);
        ks[at].c = c;
        ks[at].plugin = pi;
        reg->n_classes++;
    }
    weft_log(WEFT_LOG_DEBUG, "loader", "%s: loaded plugin '%s' (%zu classes)",
             path, d.name, nc);
    return 0;
nomem:
    problem(reg, path, "out of memory");
    rc = WEFT_ENOMEM;
fail:
    if (handle)
        dlclose(handle);
    return rc;
}

int weft_registry_add_plugin(weft_registry *reg, const weft_plugin_desc *desc,
                             const char *origin)
{
    if (!reg || !desc)
        return WEFT_EINVAL;
    return add(reg, desc, origin ? origin : "(built in)", NULL);
}

int weft_registry_load_file(weft_registry *reg, const char *path)
{
    if (!reg || !path)
        return WEFT_EINVAL;
    dlerror();
    /* RTLD_LOCAL keeps one plugin's symbols from resolving another's.
     * RTLD_NODELETE keeps a plugin mapped after dlclose, as GStreamer never
     * unloads plugins: the libraries plugins pull in (FFmpeg's libgomp,
     * libgcrypt, pixman; ALSA) allocate in ELF constructors and keep the
     * blocks in globals, so unloading them turns still-referenced memory
     * into leaks that LeakSanitizer reports from an unknown module, where
     * no suppression can name them and a real leak would hide among them. */
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    if (!h) {
        const char *e = dlerror();
        problem(reg, path, "not a loadable shared object: %s",
                e ? e : "unknown reason");
        return WEFT_EPLUGIN;
    }
    dlerror();
    void *sym = dlsym(h, WEFT_PLUGIN_ENTRY_SYMBOL);
    if (!sym) {
        problem(reg, path, "no %s symbol: not a Weft plugin",
                WEFT_PLUGIN_ENTRY_SYMBOL);
        dlclose(h);
        return WEFT_EPLUGIN;
    }
    weft_plugin_entry_fn entry;
    /* POSIX guarantees this conversion works for dlsym results. */
    memcpy(&entry, &sym, sizeof entry);
    return add(reg, entry(), path, h);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int weft_registry_scan_dir(weft_registry *reg, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        weft_log(WEFT_LOG_DEBUG, "loader", "%s: cannot open directory", dir);
        return 0;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t len = strlen(de->d_name);
        if (len < 4 || strcmp(de->d_name + len - 3, ".so") != 0)
            continue;
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 16;
            char **nn = realloc(names, nc * sizeof *nn);
            if (!nn)
                break;
            names = nn;
            cap = nc;
        }
        names[n] = weft__strdup(de->d_name);
        if (names[n])
            n++;
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof *names, by_name);
    int loaded = 0;
    for (size_t i = 0; i < n; i++) {
        char *path = weft__asprintf("%s/%s", dir, names[i]);
        if (path && weft_registry_load_file(reg, path) == 0)
            loaded++;
        free(path);
        free(names[i]);
    }
    free(names);
    return loaded;
}

int weft_registry_scan(weft_registry *reg, weft_scan_flags flags)
{
    if (!reg)
        return WEFT_EINVAL;
    int loaded = 0;
    const char *env = getenv("WEFT_PLUGIN_PATH");
    if (env && !(flags & WEFT_SCAN_NO_ENV)) {
        char *copy = weft__strdup(env), *save = NULL;
        if (!copy)
            return WEFT_ENOMEM;
        /* Empty components would mean the current directory, which is
         * never searched (a stray .so there must not be loaded). */
        for (char *dir = strtok_r(copy, ":", &save); dir;
             dir = strtok_r(NULL, ":", &save))
            if (*dir && strcmp(dir, ".") != 0)
                loaded += weft_registry_scan_dir(reg, dir);
        free(copy);
    }
    if (!(flags & WEFT_SCAN_NO_DEFAULT))
        loaded += weft_registry_scan_dir(reg, WEFT_PLUGIN_DIR);
    return loaded;
}

size_t weft_registry_n_problems(const weft_registry *reg) { return reg ? reg->n_problems : 0; }
size_t weft_registry_n_plugins(const weft_registry *reg) { return reg ? reg->n_plugins : 0; }
size_t weft_registry_n_classes(const weft_registry *reg) { return reg ? reg->n_classes : 0; }

const char *weft_registry_problem(const weft_registry *reg, size_t i)
{
    return reg && i < reg->n_problems ? reg->problems[i] : NULL;
}

const weft_plugin_desc *weft_registry_plugin(const weft_registry *reg, size_t i)
{
    return reg && i < reg->n_plugins ? &reg->plugins[i].copy : NULL;
}

const char *weft_registry_plugin_path(const weft_registry *reg, size_t i)
{
    return reg && i < reg->n_plugins ? reg->plugins[i].path : NULL;
}

const weft_node_class *weft_registry_class(const weft_registry *reg, size_t i)
{
    return reg && i < reg->n_classes ? &reg->classes[i].c->cls : NULL;
}

const weft_node_class *weft_registry_find(const weft_registry *reg,
                                          const char *name)
{
    size_t at;
    if (!reg || !name || !find_class(reg, name, &at))
        return NULL;
    return &reg->classes[at].c->cls;
}

int32_t weft_registry_class_plugin(const weft_registry *reg,
                                   const weft_node_class *cls)
{
    for (size_t i = 0; reg && cls && i < reg->n_classes; i++)
        if (&reg->classes[i].c->cls == cls || reg->classes[i].c->original == cls)
            return (int32_t)reg->classes[i].plugin;
    return -1;
}

const char *weft_registry_suggest(const weft_registry *reg, const char *name)
{
    if (!reg || !reg->n_classes)
        return NULL;
    const char **names = malloc(reg->n_classes * sizeof *names);
    if (!names)
        return NULL;
    for (size_t i = 0; i < reg->n_classes; i++)
        names[i] = reg->classes[i].c->cls.name;
    const char *s = weft_suggest(name, names, reg->n_classes);
    free(names);
    return s;
}
