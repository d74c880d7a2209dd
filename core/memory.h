/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Block pools per memory domain. Blocks come in power-of-two size classes;
 * freeing parks a block on its class's free list (bounded), so a graph that
 * keeps making same-sized buffers stops calling the system allocator.
 */
#ifndef WEFT_MEMORY_H
#define WEFT_MEMORY_H

#include <weft/buf.h>

/* A block of at least @bytes in @domain/@device; *cap gets its real size.
 * NULL when out of memory or the domain is unavailable. */
void *weft__mem_alloc(size_t bytes, weft_domain domain, int32_t device,
                      size_t *cap);
/* Return a block from weft__mem_alloc (same domain, device and cap). */
void weft__mem_free(void *p, size_t cap, weft_domain domain, int32_t device);
/* Copy @bytes between domains (host<->device through CUDA). 0 or an error. */
int weft__mem_copy(void *dst, weft_domain dd, int32_t ddev, const void *src,
                   weft_domain sd, int32_t sdev, size_t bytes);
void weft__mem_count_live(int delta);

/* CUDA hooks (memory-cuda.c); without CUDA they fail with WEFT_ENODEV. */
void *weft__cuda_alloc(weft_domain domain, int32_t device, size_t bytes);
void weft__cuda_free(weft_domain domain, int32_t device, void *p);
int weft__cuda_copy(void *dst, weft_domain dd, int32_t ddev, const void *src,
                    weft_domain sd, int32_t sdev, size_t bytes);

#endif
