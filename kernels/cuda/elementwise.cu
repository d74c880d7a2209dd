/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cuda/elementwise.cu: fp32 elementwise kernels (add, mul, scale) and the
 * strided matrix scale GEMM uses for K == 0.
 *
 * The ops are memory bound. Each kernel is a grid-stride loop over float4
 * when every pointer is 16-byte aligned (cudaMalloc memory is, at offsets
 * that are multiples of 4 elements), with a scalar loop for the tail and
 * for unaligned pointers. Results are bit-identical to the CPU: one IEEE
 * operation per element, no fast-math.
 */
#include <config.h>

#include <cstdint>

#include "kcuda.h"

namespace {

constexpr int kThreads = 256;

struct Add {
    __device__ float operator()(float x, float y) const { return x + y; }
};
struct Mul {
    __device__ float operator()(float x, float y) const { return x * y; }
};

template <class Op>
__global__ void binary_vec4(const float4 *a,
                            const float4 *b, float4 *out,
                            size_t n4, Op op)
{
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n4;
         i += (size_t)gridDim.x * blockDim.x) {
        float4 x = a[i], y = b[i];
        out[i] = make_float4(op(x.x, y.x), op(x.y, y.y), op(x.z, y.z),
                             op(x.w, y.w));
    }
}

template <class Op>
__global__ void binary_scalar(const float *a, const float *b, float *out,
                              size_t n, Op op)
{
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x)
        out[i] = op(a[i], b[i]);
}

__global__ void scale_vec4(const float4 *x, float alpha, float4 *out,
                           size_t n4)
{
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n4;
         i += (size_t)gridDim.x * blockDim.x) {
        float4 v = x[i];
        out[i] = make_float4(alpha * v.x, alpha * v.y, alpha * v.z,
                             alpha * v.w);
    }
}

__global__ void scale_scalar(const float *x, float alpha, float *out,
                             size_t n)
{
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x)
        out[i] = alpha * x[i];
}

/* C[b][i][j] = beta * C (0 when beta == 0, so NaNs in C do not survive, as
 * BLAS specifies). One thread per element of a rows x cols matrix, batch
 * on blockIdx.y (capped, with a stride loop). */
__global__ void scale_matrix(float *c, int rows, int cols, int ld,
                             long long stride, int batch, float beta)
{
    size_t total = (size_t)rows * cols;
    for (int bi = blockIdx.y; bi < batch; bi += gridDim.y) {
        float *m = c + (size_t)bi * stride;
        for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
             i < total; i += (size_t)gridDim.x * blockDim.x) {
            size_t r = i / cols, col = i % cols;
            float *p = m + r * (size_t)ld + col;
            *p = beta == 0.0f ? 0.0f : beta * *p;
        }
    }
}

unsigned blocks_for(size_t n)
{
    size_t b = (n + kThreads - 1) / kThreads;
    /* Enough blocks to fill any current GPU many times over; the stride
     * loops cover the rest. */
    return (unsigned)(b < 65536 ? (b ? b : 1) : 65536);
}

bool aligned16(const void *p)
{
    return ((uintptr_t)p & 15) == 0;
}

template <class Op>
int binary(weft__kcuda *cu, const float *a, const float *b, float *out,
           size_t n, Op op, char *err)
{
    int rc = weft__kcuda_enter(cu, err);
    if (rc < 0)
        return rc;
    size_t done = 0;
    if (aligned16(a) && aligned16(b) && aligned16(out) && n >= 4) {
        size_t n4 = n / 4;
        binary_vec4<<<blocks_for(n4), kThreads, 0, cu->stream>>>(
            (const float4 *)a, (const float4 *)b, (float4 *)out, n4, op);
        WEFT_CK("elementwise kernel launch", cudaGetLastError());
        done = n4 * 4;
    }
    if (done < n) {
        binary_scalar<<<blocks_for(n - done), kThreads, 0, cu->stream>>>(
            a + done, b + done, out + done, n - done, op);
        WEFT_CK("elementwise kernel launch", cudaGetLastError());
    }
    return 0;
}

} // namespace

extern "C" int weft__kcuda_add_f32(weft__kcuda *cu, const float *a,
                                   const float *b, float *out, size_t n,
                                   char *err)
{
    return binary(cu, a, b, out, n, Add(), err);
}

extern "C" int weft__kcuda_mul_f32(weft__kcuda *cu, const float *a,
                                   const float *b, float *out, size_t n,
                                   char *err)
{
    return binary(cu, a, b, out, n, Mul(), err);
}

extern "C" int weft__kcuda_scale_f32(weft__kcuda *cu, const float *x,
                                     float alpha, float *out, size_t n,
                                     char *err)
{
    int rc = weft__kcuda_enter(cu, err);
    if (rc < 0)
        return rc;
    size_t done = 0;
    if (aligned16(x) && aligned16(out) && n >= 4) {
        size_t n4 = n / 4;
        scale_vec4<<<blocks_for(n4), kThreads, 0, cu->stream>>>(
            (const float4 *)x, alpha, (float4 *)out, n4);
        WEFT_CK("scale kernel launch", cudaGetLastError());
        done = n4 * 4;
    }
    if (done < n) {
        scale_scalar<<<blocks_for(n - done), kThreads, 0, cu->stream>>>(
            x + done, alpha, out + done, n - done);
        WEFT_CK("scale kernel launch", cudaGetLastError());
    }
    return 0;
}

int weft__kcuda_scale_matrix(weft__kcuda *cu, float *c, int rows, int cols,
                             int ld, long long stride, int batch, float beta,
                             char *err)
{
    size_t total = (size_t)rows * cols;
    dim3 grid(blocks_for(total), batch < 65535 ? batch : 65535);
    scale_matrix<<<grid, kThreads, 0, cu->stream>>>(c, rows, cols, ld, stride,
                                                    batch, beta);
    WEFT_CK("scale_matrix kernel launch", cudaGetLastError());
    return 0;
}
