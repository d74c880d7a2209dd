/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The asr plugin: acoustic models (feature frames to CTC log-probabilities)
 * from a model directory (doc/acoustic-model.md). One class per file; this
 * file lists them and holds what they share (shared model loading).
 */
#include "config.h"

#include "asr-plugin.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int model_load(const char *dir, void **obj, char *err, size_t cap)
{
    asr_model *m = NULL;
    int ret = asr_model_load(dir, &m, err, cap);

    *obj = m;
    return ret;
}

static void model_destroy(void *obj)
{
    asr_model_free(obj);
}

int asr_model_acquire(weft_node *node, const char *dir, asr_model **out)
{
    void *obj = NULL;
    int ret = weft_shared_acquire_dir(node, "asr.acoustic", dir, model_load,
                                      model_destroy, &obj);

    *out = obj;
    return ret;
}

typedef struct dev_arg {
    const asr_model *m;
    const char *device;
} dev_arg;

static int weights_create(void *arg, void **obj)
{
    dev_arg *a = arg;
    asr_weights *w;
    int ret = asr_weights_new(a->m, a->device, &w);

    *obj = ret < 0 ? NULL : w;
    return ret;
}

static void weights_destroy(void *obj)
{
    asr_weights_free(obj);
}

int asr_weights_acquire(weft_node *node, const char *dir,
                        const asr_model *m, const char *device,
                        asr_weights **out)
{
    char real[PATH_MAX], key[PATH_MAX + 64];
    dev_arg a = { m, device };
    void *obj = NULL;
    int ret;

    *out = NULL;
    snprintf(key, sizeof key, "asr.acoustic:%s@%s",
             realpath(dir, real) ? real : dir, device);
    ret = weft_shared_acquire(key, weights_create, weights_destroy, &a, &obj);
    if (ret < 0)
        return weft_node_error(node, ret, "cannot load the model's weights "
                               "onto %s: %s", device, weft_strerror(ret));
    *out = obj;
    return 0;
}

static const weft_node_class *const classes[] = { &asr_acoustic_class, NULL };

static const weft_plugin_desc desc = {
    .abi_version = WEFT_ABI_VERSION,
    .struct_size = sizeof(weft_plugin_desc),
    .name = "asr",
    .version = PACKAGE_VERSION,
    .license = "LGPL-2.1-or-later",
    .summary = "Streaming acoustic models: feature frames to CTC "
               "log-probabilities",
    .classes = classes,
};

WEFT_PLUGIN_EXPORT const weft_plugin_desc *weft_plugin_entry(void);

WEFT_PLUGIN_EXPORT const weft_plugin_desc *weft_plugin_entry(void)
{
    return &desc;
}
