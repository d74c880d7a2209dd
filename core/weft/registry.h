/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * weft/registry.h: finding and loading plugins.
 *
 * A registry holds the plugins loaded into a process and the node classes
 * they provide. weft_registry_scan() loads every `*.so` in the directories
 * of WEFT_PLUGIN_PATH (colon-separated, searched first) and then the
 * install directory (weft_registry_default_dir()); never the current
 * directory. A file that cannot be used is skipped with a problem recorded
 * (its path and one-line reason) while the rest load:
 *
 *   - not a shared object (dlopen fails),
 *   - no weft_plugin_entry symbol,
 *   - an ABI version this core does not support,
 *   - a descriptor with a missing name, or a class without a name or with
 *     a port without a format (or whose format does not parse), or a
 *     property descriptor that does not check,
 *   - a plugin whose init returns nonzero,
 *   - a class name already registered (the first wins; both paths named).
 *
 * Problems are also logged under the "loader" category. Registries are
 * [control] objects: load and query from one thread, or guard them; after
 * loading, lookups are read-only and safe from any thread.
 */
#ifndef WEFT_REGISTRY_H
#define WEFT_REGISTRY_H

#include <weft/plugin.h>

WEFT_BEGIN_DECLS

typedef struct weft_registry weft_registry;

/**
 * A new registry holding only the built-in plugin "app" (classes app.src
 * and app.sink, through which a program feeds and drains a graph; see
 * weft/run.h). (transfer full) or NULL. [control]
 */
WEFT_API weft_registry *weft_registry_new(void);
/**
 * Run every plugin's fini and free the registry. Plugin files stay mapped
 * (they are loaded RTLD_NODELETE, as GStreamer never unloads plugins: the
 * libraries they pull in are not all safe to unload). NULL-safe. [control]
 */
WEFT_API void weft_registry_free(weft_registry *reg);

typedef uint32_t weft_scan_flags;
enum {
    WEFT_SCAN_NO_ENV = 1u << 0,    /* ignore WEFT_PLUGIN_PATH */
    WEFT_SCAN_NO_DEFAULT = 1u << 1 /* skip the install directory */
};

/**
 * weft_registry_scan: load plugins from WEFT_PLUGIN_PATH, then the install
 * directory (each subject to @flags). Returns the number of plugins loaded
 * by this call (>= 0); bad files are problems, not failures. [control]
 */
WEFT_API int weft_registry_scan(weft_registry *reg, weft_scan_flags flags);
/** Load every `*.so` directly in @dir (sorted by name). [control] */
WEFT_API int weft_registry_scan_dir(weft_registry *reg, const char *dir);
/**
 * Load one plugin file. 0 or a negative code (the problem is recorded).
 * [control]
 */
WEFT_API int weft_registry_load_file(weft_registry *reg, const char *path);
/**
 * Register an in-process plugin (an embedding program's own classes, or a
 * statically linked one). @origin names it in listings. [control]
 */
WEFT_API int weft_registry_add_plugin(weft_registry *reg,
                                      const weft_plugin_desc *desc,
                                      const char *origin);

/** The compiled-in install directory of plugins. [any-thread] */
WEFT_API const char *weft_registry_default_dir(void);

/** Problems met while loading: count and the @i-th "path: reason". */
WEFT_API size_t weft_registry_n_problems(const weft_registry *reg);
WEFT_API const char *weft_registry_problem(const weft_registry *reg, size_t i);

/** Loaded plugins, in load order. (transfer none) strings. */
WEFT_API size_t weft_registry_n_plugins(const weft_registry *reg);
WEFT_API const weft_plugin_desc *weft_registry_plugin(const weft_registry *reg,
                                                      size_t i);
/** The file a plugin came from (or the origin given to add_plugin). */
WEFT_API const char *weft_registry_plugin_path(const weft_registry *reg,
                                               size_t i);

/** Classes, sorted by name. (transfer none) [any-thread] */
WEFT_API size_t weft_registry_n_classes(const weft_registry *reg);
WEFT_API const weft_node_class *weft_registry_class(const weft_registry *reg,
                                                    size_t i);
/** Look a class up by name; NULL if none. [any-thread] */
WEFT_API const weft_node_class *weft_registry_find(const weft_registry *reg,
                                                   const char *name);
/** Index (into weft_registry_plugin) of the plugin providing @cls, or -1. */
WEFT_API int32_t weft_registry_class_plugin(const weft_registry *reg,
                                            const weft_node_class *cls);
/**
 * The registered class name closest to @name (edit distance), for "did you
 * mean" hints; NULL when nothing is close. [any-thread]
 */
WEFT_API const char *weft_registry_suggest(const weft_registry *reg,
                                           const char *name);

/* Port and property descriptors, walked by the core's own stride rules
 * (plugins may have been built against shorter structs). */
WEFT_API size_t weft_class_n_inputs(const weft_node_class *cls);
WEFT_API size_t weft_class_n_outputs(const weft_node_class *cls);
WEFT_API size_t weft_class_n_props(const weft_node_class *cls);
WEFT_API const weft_port_desc *weft_class_input(const weft_node_class *cls,
                                                size_t i);
WEFT_API const weft_port_desc *weft_class_output(const weft_node_class *cls,
                                                 size_t i);
WEFT_API const weft_prop_desc *weft_class_prop(const weft_node_class *cls,
                                               size_t i);
/** Property descriptor by name, or NULL. */
WEFT_API const weft_prop_desc *weft_class_find_prop(const weft_node_class *cls,
                                                    const char *name);

/**
 * weft_suggest: among @n @candidates, the one nearest to @name by edit
 * distance (case-insensitive), or NULL if none is within a third of its
 * length (at least 2 edits). [any-thread]
 */
WEFT_API const char *weft_suggest(const char *name,
                                  const char *const *candidates, size_t n);

WEFT_END_DECLS
#endif /* WEFT_REGISTRY_H */
