/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Shared read-only objects (model weights) keyed by name and reference
 * counted, so many nodes and graph instances use one copy. A single mutex
 * is enough: acquire/release happen at node init and fini, not per buffer.
 * create runs under the lock so that two nodes asking at once build the
 * object once.
 */
#include "config.h"

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include <weft/plugin.h>

typedef struct entry {
    struct entry *next;
    char *key;
    void *obj;
    weft_shared_destroy_fn destroy;
    int64_t refs;
} entry;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static entry *entries;

int weft_shared_acquire(const char *key, weft_shared_create_fn create,
                        weft_shared_destroy_fn destroy, void *arg, void **obj)
{
    if (!key || !create || !obj)
        return WEFT_EINVAL;
    *obj = NULL;
    int rc = 0;
    pthread_mutex_lock(&lock);
    for (entry *e = entries; e; e = e->next)
        if (strcmp(e->key, key) == 0) {
            e->refs++;
            *obj = e->obj;
            goto out;
        }
    entry *e = calloc(1, sizeof *e);
    if (!e || !(e->key = weft__strdup(key))) {
        free(e);
        rc = WEFT_ENOMEM;
        goto out;
    }
    rc = create(arg, &e->obj);
    if (rc < 0) {
        free(e->key);
        free(e);
        goto out;
    }
    e->destroy = destroy;
    e->refs = 1;
    e->next = entries;
    entries = e;
    *obj = e->obj;
out:
    pthread_mutex_unlock(&lock);
    return rc;
}

void weft_shared_release(void *obj)
{
    if (!obj)
        return;
    entry *dead = NULL;
    pthread_mutex_lock(&lock);
    for (entry **pp = &entries; *pp; pp = &(*pp)->next)
        if ((*pp)->obj == obj) {
            if (--(*pp)->refs == 0) {
                dead = *pp;
                *pp = dead->next;
            }
            break;
        }
    pthread_mutex_unlock(&lock);
    if (dead) {
        if (dead->destroy)
            dead->destroy(dead->obj);
        free(dead->key);
        free(dead);
    }
}

typedef struct dir_arg {
    const char *dir;
    weft_dir_load_fn load;
    char err[1024];
} dir_arg;

static int dir_create(void *arg, void **obj)
{
    dir_arg *a = arg;

    return a->load(a->dir, obj, a->err, sizeof a->err);
}

int weft_shared_acquire_dir(weft_node *node, const char *kind,
                            const char *dir, weft_dir_load_fn load,
                            weft_shared_destroy_fn destroy, void **obj)
{
    char real[PATH_MAX], key[PATH_MAX + 64];
    dir_arg a = { dir, load, "" };
    int ret;

    *obj = NULL;
    /* One key per directory, however it is spelled. */
    snprintf(key, sizeof key, "%s:%s", kind,
             realpath(dir, real) ? real : dir);
    ret = weft_shared_acquire(key, dir_create, destroy, &a, obj);
    if (ret < 0)
        return weft_node_error(node, ret, "%s",
                               a.err[0] ? a.err : weft_strerror(ret));
    return 0;
}
