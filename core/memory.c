/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "memory.h"

#define MIN_SHIFT 6   /* 64 B: a cache line, also the alignment */
#define MAX_SHIFT 40
#define N_CLASSES (MAX_SHIFT - MIN_SHIFT + 1)
/* Blocks above this are not pooled: they are rare and would pin memory. */
#define POOL_MAX_BYTES ((size_t)256 << 20)
/* Free blocks kept per class; enough for deep queues of equal buffers. */
#define POOL_DEPTH 256
#define MAX_DEVICES 16
#define N_POOLS (2 + MAX_DEVICES) /* host, pinned, cuda:0..15 */

typedef struct free_block {
    struct free_block *next;
} free_block;

/* Device memory cannot hold the free-list link, so device pools keep their
 * free blocks in a side array. */
typedef struct size_class {
    pthread_mutex_t lock;
    free_block *head; /* host and pinned */
    void **slots;     /* device */
    size_t n;
} size_class;

static size_class pools[N_POOLS][N_CLASSES];
static pthread_once_t pools_once = PTHREAD_ONCE_INIT;
static atomic_uint_fast64_t n_sys_allocs, n_pool_hits, n_live;
static atomic_int_fast64_t n_pooled_bytes;

static void pools_init(void)
{
    for (size_t p = 0; p < N_POOLS; p++)
        for (size_t c = 0; c < N_CLASSES; c++)
            pthread_mutex_init(&pools[p][c].lock, NULL);
}

static int pool_index(weft_domain domain, int32_t device)
{
    switch (domain) {
    case WEFT_DOMAIN_HOST:
        return 0;
    case WEFT_DOMAIN_PINNED:
        return 1;
    case WEFT_DOMAIN_CUDA:
        return device >= 0 && device < MAX_DEVICES ? 2 + device : -1;
    default:
        return -1;
    }
}

static int class_of(size_t bytes, size_t *cap)
{
    int shift = MIN_SHIFT;
    while (shift < MAX_SHIFT && ((size_t)1 << shift) < bytes)
        shift++;
    *cap = (size_t)1 << shift;
    return shift - MIN_SHIFT;
}

static void *sys_alloc(weft_domain domain, int32_t device, size_t bytes)
{
    atomic_fetch_add(&n_sys_allocs, 1);
    if (domain == WEFT_DOMAIN_HOST) {
        void *p = NULL;
        return posix_memalign(&p, 64, bytes) == 0 ? p : NULL;
    }
    return weft__cuda_alloc(domain, device, bytes);
}

static void sys_free(weft_domain domain, int32_t device, void *p)
{
    if (domain == WEFT_DOMAIN_HOST)
        free(p);
    else
        weft__cuda_free(domain, device, p);
}

void *weft__mem_alloc(size_t bytes, weft_domain domain, int32_t device,
                      size_t *cap)
{
    int pi = pool_index(domain, device);
    if (pi < 0)
        return NULL;
    if (bytes == 0)
        bytes = 1;
    if (bytes > POOL_MAX_BYTES) {
        *cap = bytes;
        return sys_alloc(domain, device, bytes);
    }
    pthread_once(&pools_once, pools_init);
    int c = class_of(bytes, cap);
    size_class *sc = &pools[pi][c];
    void *p = NULL;
    pthread_mutex_lock(&sc->lock);
    if (domain == WEFT_DOMAIN_CUDA) {
        if (sc->n)
            p = sc->slots[--sc->n];
    } else if (sc->head) {
        p = sc->head;
        sc->head = sc->head->next;
        sc->n--;
    }
    pthread_mutex_unlock(&sc->lock);
    if (p) {
        atomic_fetch_add(&n_pool_hits, 1);
        atomic_fetch_sub(&n_pooled_bytes, (int_fast64_t)*cap);
        return p;
    }
    return sys_alloc(domain, device, *cap);
}

void weft__mem_free(void *p, size_t cap, weft_domain domain, int32_t device)
{
    if (!p)
        return;
    int pi = pool_index(domain, device);
    if (pi < 0 || cap > POOL_MAX_BYTES) {
        sys_free(domain, device, p);
        return;
    }
    pthread_once(&pools_once, pools_init);
    size_t real;
    size_class *sc = &pools[pi][class_of(cap, &real)];
    bool parked = false;
    pthread_mutex_lock(&sc->lock);
    if (sc->n < POOL_DEPTH) {
        if (domain == WEFT_DOMAIN_CUDA) {
            if (!sc->slots)
                sc->slots = malloc(POOL_DEPTH * sizeof *sc->slots);
            if (sc->slots) {
                sc->slots[sc->n++] = p;
                parked = true;
            }
        } else {
            free_block *b = p;
            b->next = sc->head;
            sc->head = b;
            sc->n++;
            parked = true;
        }
    }
    pthread_mutex_unlock(&sc->lock);
    if (parked)
        atomic_fetch_add(&n_pooled_bytes, (int_fast64_t)cap);
    else
        sys_free(domain, device, p);
}

int weft__mem_copy(void *dst, weft_domain dd, int32_t ddev, const void *src,
                   weft_domain sd, int32_t sdev, size_t bytes)
{
    if (bytes == 0)
        return 0;
    if (dd != WEFT_DOMAIN_CUDA && sd != WEFT_DOMAIN_CUDA) {
        memcpy(dst, src, bytes);
        return 0;
    }
    return weft__cuda_copy(dst, dd, ddev, src, sd, sdev, bytes);
}

void weft__mem_count_live(int delta)
{
    if (delta > 0)
        atomic_fetch_add(&n_live, (uint_fast64_t)delta);
    else
        atomic_fetch_sub(&n_live, (uint_fast64_t)-delta);
}

void weft_mem_stats_get(weft_mem_stats *out)
{
    if (!out)
        return;
    out->sys_allocs = atomic_load(&n_sys_allocs);
    out->pool_hits = atomic_load(&n_pool_hits);
    out->live_bufs = atomic_load(&n_live);
    int_fast64_t pb = atomic_load(&n_pooled_bytes);
    out->pooled_bytes = pb > 0 ? (uint64_t)pb : 0;
}

void weft_mem_trim(void)
{
    pthread_once(&pools_once, pools_init);
    for (int pi = 0; pi < N_POOLS; pi++) {
        weft_domain domain = pi == 0   ? WEFT_DOMAIN_HOST
                             : pi == 1 ? WEFT_DOMAIN_PINNED
                                       : WEFT_DOMAIN_CUDA;
        int32_t device = pi >= 2 ? pi - 2 : 0;
        for (int c = 0; c < N_CLASSES; c++) {
            size_class *sc = &pools[pi][c];
            size_t cap = (size_t)1 << (c + MIN_SHIFT);
            pthread_mutex_lock(&sc->lock);
            while (sc->n) {
                void *p;
                if (domain == WEFT_DOMAIN_CUDA) {
                    p = sc->slots[--sc->n];
                } else {
                    p = sc->head;
                    sc->head = sc->head->next;
                    sc->n--;
                }
                atomic_fetch_sub(&n_pooled_bytes, (int_fast64_t)cap);
                sys_free(domain, device, p);
            }
            pthread_mutex_unlock(&sc->lock);
        }
    }
}

#ifndef WEFT_HAVE_CUDA
void *weft__cuda_alloc(weft_domain domain, int32_t device, size_t bytes)
{
    (void)domain;
    (void)device;
    (void)bytes;
    return NULL;
}

void weft__cuda_free(weft_domain domain, int32_t device, void *p)
{
    (void)domain;
    (void)device;
    (void)p;
}

int weft__cuda_copy(void *dst, weft_domain dd, int32_t ddev, const void *src,
                    weft_domain sd, int32_t sdev, size_t bytes)
{
    (void)dst, (void)dd, (void)ddev, (void)src, (void)sd, (void)sdev,
        (void)bytes;
    return WEFT_ENODEV;
}
#endif
