/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench-gemm: fp32 GEMM throughput (GFLOP/s) of libweft-kernels on the CPU
 * and, when present, on CUDA, for square sizes; plus the bandwidth of an
 * elementwise add. Each figure is one line that scripts/gpu-check parses:
 *
 *   BENCH <name> <device> <value> <unit>
 *
 * Usage: bench-gemm [--device cpu|cuda|all] [--sizes 256,512,...]
 *                   [--min-time SECONDS]
 * Timing: a warm-up call, then as many calls as fill --min-time (default
 * 0.3 s), queued back to back with one weft_k_sync at the end, so CUDA
 * figures include launch overhead but no per-call synchronization.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <weft/kernels.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int fill_device(weft_kctx *k, float **out, size_t n)
{
    float *h = malloc(n * sizeof *h);
    int rc;
    if (!h)
        return WEFT_ENOMEM;
    for (size_t i = 0; i < n; i++)
        h[i] = (float)((i * 2654435761u) % 2001) / 1000.0f - 1.0f;
    rc = weft_k_alloc(k, n * sizeof *h, (void **)out);
    if (rc == 0)
        rc = weft_k_copy(k, *out, h, n * sizeof *h, WEFT_K_COPY_H2D);
    if (rc == 0)
        rc = weft_k_sync(k);
    free(h);
    return rc;
}

static int bench_gemm(weft_kctx *k, int n, double min_time)
{
    size_t e = (size_t)n * n;
    float *a = NULL, *b = NULL, *c = NULL;
    double t0, t1, flops = 2.0 * n * n * (double)n;
    long reps, i;
    int rc;

    if ((rc = fill_device(k, &a, e)) || (rc = fill_device(k, &b, e)) ||
        (rc = fill_device(k, &c, e)))
        goto out;
    /* Warm-up (cuBLAS picks its kernel, OpenBLAS starts its threads),
     * then one timed call to size the run. */
    if ((rc = weft_k_gemm_f32(k, 0, 0, n, n, n, 1, a, n, b, n, 0, c, n)) ||
        (rc = weft_k_sync(k)))
        goto out;
    t0 = now();
    if ((rc = weft_k_gemm_f32(k, 0, 0, n, n, n, 1, a, n, b, n, 0, c, n)) ||
        (rc = weft_k_sync(k)))
        goto out;
    t1 = now() - t0;
    reps = t1 > 0 ? (long)(min_time / t1) + 1 : 1000;
    if (reps > 1000)
        reps = 1000;
    t0 = now();
    for (i = 0; i < reps && !rc; i++)
        rc = weft_k_gemm_f32(k, 0, 0, n, n, n, 1, a, n, b, n, 0, c, n);
    if (!rc)
        rc = weft_k_sync(k);
    t1 = now() - t0;
    if (!rc)
        printf("BENCH gemm_f32_n%d %s %.1f GFLOP/s\n", n, weft_kctx_name(k),
               flops * reps / t1 * 1e-9);
out:
    if (rc)
        fprintf(stderr, "bench-gemm: %s n=%d failed: %d %s\n",
                weft_kctx_name(k), n, rc, weft_kctx_last_error(k));
    weft_k_free(k, a);
    weft_k_free(k, b);
    weft_k_free(k, c);
    fflush(stdout);
    return rc;
}

static int bench_add(weft_kctx *k, size_t n, double min_time)
{
    float *a = NULL, *b = NULL;
    double t0, t1;
    long reps, i;
    int rc;

    if ((rc = fill_device(k, &a, n)) || (rc = fill_device(k, &b, n)))
        goto out;
    if ((rc = weft_k_add_f32(k, a, b, a, n)) || (rc = weft_k_sync(k)))
        goto out;
    t0 = now();
    if ((rc = weft_k_add_f32(k, a, b, a, n)) || (rc = weft_k_sync(k)))
        goto out;
    t1 = now() - t0;
    reps = t1 > 0 ? (long)(min_time / t1) + 1 : 1000;
    if (reps > 1000)
        reps = 1000;
    t0 = now();
    for (i = 0; i < reps && !rc; i++)
        rc = weft_k_add_f32(k, a, b, a, n);
    if (!rc)
        rc = weft_k_sync(k);
    t1 = now() - t0;
    if (!rc) /* two loads and a store per element */
        printf("BENCH add_f32_%zuM %s %.1f GB/s\n", n >> 20, weft_kctx_name(k),
               12.0 * (double)n * reps / t1 * 1e-9);
out:
    if (rc)
        fprintf(stderr, "bench-gemm: %s add failed: %d %s\n",
                weft_kctx_name(k), rc, weft_kctx_last_error(k));
    weft_k_free(k, a);
    weft_k_free(k, b);
    fflush(stdout);
    return rc;
}

static int run_device(const char *dev, const char *sizes, double min_time)
{
    weft_kctx *k;
    char *list, *tok, *save = NULL;
    int rc = weft_kctx_new(dev, &k), failed = 0;

    if (rc < 0) {
        const char *why;
        weft_k_cuda_available(&why);
        fprintf(stderr, "bench-gemm: no context for %s: %d (%s)\n", dev, rc,
                why);
        return 1;
    }
    list = strdup(sizes);
    for (tok = strtok_r(list, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        int n = atoi(tok);
        if (n > 0 && bench_gemm(k, n, min_time))
            failed = 1;
    }
    free(list);
    if (bench_add(k, (size_t)32 << 20, min_time))
        failed = 1;
    weft_kctx_free(k);
    return failed;
}

int main(int argc, char **argv)
{
    const char *device = "all", *sizes = "256,512,1024,2048,4096";
    double min_time = 0.3;
    int failed = 0;

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--device") && i + 1 < argc)
            device = argv[++i];
        else if (!strcmp(argv[i], "--sizes") && i + 1 < argc)
            sizes = argv[++i];
        else if (!strcmp(argv[i], "--min-time") && i + 1 < argc)
            min_time = atof(argv[++i]);
        else {
            fprintf(stderr, "usage: %s [--device cpu|cuda|all] "
                            "[--sizes N,N,...] [--min-time S]\n", argv[0]);
            return 2;
        }
    }
    if (!strcmp(device, "all") || !strcmp(device, "cpu"))
        failed |= run_device("cpu", sizes, min_time);
    if (!strcmp(device, "all") || !strncmp(device, "cuda", 4)) {
        const char *why;
        if (weft_k_cuda_available(&why))
            failed |= run_device(strcmp(device, "all") ? device : "cuda",
                                 sizes, min_time);
        else
            printf("bench-gemm: CUDA skipped: %s\n", why);
    }
    return failed;
}
