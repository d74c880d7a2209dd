/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-ctc-cuda: batched CTC greedy decoding on the GPU (greedy.cu) against
 * ctc_greedy() on the CPU, on fresh random batches (peaked and flat rows,
 * exact ties, ragged lengths): tokens, frames and counts must be identical.
 * Prints the GPU throughput as a BENCH line for scripts/gpu-check. Exits 77
 * (SKIP) in a build without CUDA or on a machine without a GPU.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctc.h"

#ifdef WEFT_HAVE_CUDA
#include <cuda_runtime.h>

#include "cuda/greedy-cuda.h"

#define CK(call)                                                            \
    do {                                                                    \
        cudaError_t e_ = (call);                                            \
        if (e_ != cudaSuccess) {                                            \
            fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #call,   \
                    cudaGetErrorString(e_));                                \
            return 1;                                                       \
        }                                                                   \
    } while (0)

static int run(int64_t B, int64_t T, int64_t V, unsigned seed, int bench)
{
    size_t n = (size_t)(B * T * V);
    float *x = malloc(n * sizeof *x), *dx;
    int32_t *len = malloc((size_t)B * sizeof *len), *dlen, *dbest, *dtok,
            *dfr, *dcnt;
    int32_t *tok = malloc((size_t)(B * T) * sizeof *tok),
            *fr = malloc((size_t)(B * T) * sizeof *fr),
            *cnt = malloc((size_t)B * sizeof *cnt),
            *ref = malloc((size_t)T * sizeof *ref);
    int64_t *rfr = malloc((size_t)T * sizeof *rfr);
    int bad = 0;

    for (int64_t b = 0; b < B; b++)
        len[b] = (int32_t)(b % 3 == 0 ? T : rand_r(&seed) % (T + 1));
    for (size_t i = 0; i < n; i++) {
        /* Coarse values make exact ties common. */
        x[i] = (float)(rand_r(&seed) % 8) * -0.5f;
        if (rand_r(&seed) % 4 == 0)
            x[i] = 0;
    }
    CK(cudaMalloc((void **)&dx, n * sizeof *dx));
    CK(cudaMalloc((void **)&dlen, (size_t)B * sizeof *dlen));
    CK(cudaMalloc((void **)&dbest, (size_t)(B * T) * sizeof *dbest));
    CK(cudaMalloc((void **)&dtok, (size_t)(B * T) * sizeof *dtok));
    CK(cudaMalloc((void **)&dfr, (size_t)(B * T) * sizeof *dfr));
    CK(cudaMalloc((void **)&dcnt, (size_t)B * sizeof *dcnt));
    CK(cudaMemcpy(dx, x, n * sizeof *x, cudaMemcpyHostToDevice));
    CK(cudaMemcpy(dlen, len, (size_t)B * sizeof *len, cudaMemcpyHostToDevice));
    if (ctc_cuda_greedy(dx, B, T, V, dlen, 0, dbest, dtok, dfr, dcnt, NULL))
        return 1;
    CK(cudaDeviceSynchronize());
    CK(cudaMemcpy(tok, dtok, (size_t)(B * T) * sizeof *tok,
                  cudaMemcpyDeviceToHost));
    CK(cudaMemcpy(fr, dfr, (size_t)(B * T) * sizeof *fr,
                  cudaMemcpyDeviceToHost));
    CK(cudaMemcpy(cnt, dcnt, (size_t)B * sizeof *cnt, cudaMemcpyDeviceToHost));
    for (int64_t b = 0; b < B && !bad; b++) {
        int32_t prev = -1;
        int64_t k = ctc_greedy(x + b * T * V, len[b], V, V, 0, &prev, ref, rfr);
        if (k != cnt[b]) {
            fprintf(stderr, "B=%lld T=%lld V=%lld utt %lld: %d tokens, CPU "
                    "%lld\n", (long long)B, (long long)T, (long long)V,
                    (long long)b, cnt[b], (long long)k);
            bad = 1;
        }
        for (int64_t i = 0; i < k && !bad; i++)
            if (tok[b * T + i] != ref[i] || fr[b * T + i] != rfr[i]) {
                fprintf(stderr, "utt %lld token %lld: %d@%d, CPU %d@%lld\n",
                        (long long)b, (long long)i, tok[b * T + i],
                        fr[b * T + i], ref[i], (long long)rfr[i]);
                bad = 1;
            }
    }
    if (!bad && bench) {
        cudaEvent_t e0, e1;
        float ms;
        CK(cudaEventCreate(&e0));
        CK(cudaEventCreate(&e1));
        CK(cudaEventRecord(e0, NULL));
        for (int r = 0; r < 20; r++)
            ctc_cuda_greedy(dx, B, T, V, dlen, 0, dbest, dtok, dfr, dcnt, NULL);
        CK(cudaEventRecord(e1, NULL));
        CK(cudaEventSynchronize(e1));
        CK(cudaEventElapsedTime(&ms, e0, e1));
        printf("BENCH ctc-greedy-batch cuda %.1f Mframes/s\n",
               20.0 * (double)(B * T) / (ms * 1e3));
    }
    cudaFree(dx);
    cudaFree(dlen);
    cudaFree(dbest);
    cudaFree(dtok);
    cudaFree(dfr);
    cudaFree(dcnt);
    free(x);
    free(len);
    free(tok);
    free(fr);
    free(cnt);
    free(ref);
    free(rfr);
    return bad;
}

int main(void)
{
    int n = 0;
    unsigned seed = (unsigned)time(NULL);
    static const int64_t shapes[][3] = {
        { 1, 1, 2 }, { 3, 7, 29 }, { 17, 300, 29 }, { 5, 1000, 33 },
        { 64, 513, 500 }, { 2, 0, 29 },
    };

    if (cudaGetDeviceCount(&n) != cudaSuccess || n == 0) {
        printf("SKIP: no CUDA device\n");
        return 77;
    }
    printf("seed %u\n", seed);
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        if (run(shapes[i][0], shapes[i][1], shapes[i][2], seed + (unsigned)i,
                0))
            return 1;
    /* Throughput: 1024 streams x 500 frames x 29 tokens. */
    if (run(1024, 500, 29, seed, 1))
        return 1;
    printf("PASS: CUDA greedy matches the CPU on %zu shapes\n",
           sizeof shapes / sizeof shapes[0] + 1);
    return 0;
}
#else
int main(void)
{
    printf("SKIP: built without CUDA\n");
    return 77;
}
#endif
