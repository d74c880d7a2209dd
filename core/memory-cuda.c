/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * CUDA memory for the pinned and device domains. Built only with CUDA.
 * Without a driver every call fails cleanly (cudaMalloc returns an error),
 * so buffer allocation in these domains returns NULL and callers fall back
 * or report WEFT_ENODEV.
 */
#include "config.h"

#include <cuda_runtime.h>

#include "memory.h"

void *weft__cuda_alloc(weft_domain domain, int32_t device, size_t bytes)
{
    void *p = NULL;
    if (domain == WEFT_DOMAIN_PINNED) {
        if (cudaHostAlloc(&p, bytes, cudaHostAllocPortable) != cudaSuccess)
            return NULL;
        return p;
    }
    int prev = 0;
    if (cudaGetDevice(&prev) != cudaSuccess)
        return NULL;
    if (prev != device && cudaSetDevice(device) != cudaSuccess)
        return NULL;
    if (cudaMalloc(&p, bytes) != cudaSuccess)
        p = NULL;
    if (prev != device)
        cudaSetDevice(prev);
    return p;
}

void weft__cuda_free(weft_domain domain, int32_t device, void *p)
{
    (void)device;
    if (domain == WEFT_DOMAIN_PINNED)
        cudaFreeHost(p);
    else
        cudaFree(p);
}

int weft__cuda_copy(void *dst, weft_domain dd, int32_t ddev, const void *src,
                    weft_domain sd, int32_t sdev, size_t bytes)
{
    (void)ddev;
    (void)sdev;
    enum cudaMemcpyKind kind = cudaMemcpyDefault; /* unified addressing */
    (void)dd;
    (void)sd;
    return cudaMemcpy(dst, src, bytes, kind) == cudaSuccess ? 0 : WEFT_ECUDA;
}
