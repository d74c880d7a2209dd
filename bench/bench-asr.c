/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench-asr: the acoustic model alone (plugins/asr: asr_forward), on a
 * random model of about a million parameters shaped like a small
 * streaming CTC model (80 fbank features at 100 Hz, conv stride 3,
 * three residual separable blocks, a 320-unit GRU, 29 tokens).
 *
 *   BENCH asr-acoustic cpu <x> realtime        audio seconds per second
 *                                              of one core, one stream
 *   BENCH asr-acoustic-streams cuda <n> streams streams kept in real time
 *                                              on one GPU (each its own
 *                                              state and CUDA stream)
 *
 * Usage: bench-asr [--device cpu|cuda|all] [--seconds S] [--chunk FRAMES]
 *                  [--streams N] [--model-dir DIR]
 * Features arrive in chunks of --chunk frames (default 10: 100 ms), as
 * from a live mfcc/fbank node. --model-dir keeps the model directory it
 * writes, so a whole graph can be timed with `weft run` (see
 * doc/performance.md).
 */
#include <config.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "asr.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static float frand(void)
{
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    return (float)((rng >> 40) & 0xffffff) / 16777216.0f * 2.0f - 1.0f;
}

typedef struct tens {
    char name[64];
    int nd;
    int64_t dim[3];
    float *data;
} tens;

static tens T[64];
static int nt;

/* A tensor filled uniformly in [lo-ish range]: scale * U(-1,1) + shift. */
static void add(const char *name, int nd, int64_t d0, int64_t d1, int64_t d2,
                float scale, float shift)
{
    tens *t = &T[nt++];
    int64_t n = d0 * (nd > 1 ? d1 : 1) * (nd > 2 ? d2 : 1);
    snprintf(t->name, sizeof t->name, "%s", name);
    t->nd = nd;
    t->dim[0] = d0;
    t->dim[1] = d1;
    t->dim[2] = d2;
    t->data = malloc((size_t)n * sizeof(float));
    for (int64_t i = 0; i < n; i++)
        t->data[i] = scale * frand() + shift;
}

static int64_t numel(const tens *t)
{
    int64_t n = 1;
    for (int i = 0; i < t->nd; i++)
        n *= t->dim[i];
    return n;
}

static void bn(const char *p, int64_t d)
{
    char n[64];
    snprintf(n, sizeof n, "%s.weight", p);
    add(n, 1, d, 0, 0, 0.2f, 1.0f);
    snprintf(n, sizeof n, "%s.bias", p);
    add(n, 1, d, 0, 0, 0.1f, 0.0f);
    snprintf(n, sizeof n, "%s.running_mean", p);
    add(n, 1, d, 0, 0, 0.1f, 0.0f);
    snprintf(n, sizeof n, "%s.running_var", p);
    add(n, 1, d, 0, 0, 0.2f, 1.0f);
}

static const char config[] =
    "{\"format\":\"weft-acoustic\",\"version\":1,\n"
    " \"features\":{\"type\":\"fbank\",\"dim\":80,\"rate\":16000,"
    "\"frame_shift_ms\":10,\"options\":{\"preset\":\"kaldi\","
    "\"num_mel_bins\":80}},\n"
    " \"tokens\":\"tokens.txt\",\"blank\":0,\"delimiter\":\"|\","
    "\"output\":\"log_softmax\",\n"
    " \"layers\":[\n"
    "  {\"type\":\"normalize\",\"name\":\"cmvn\",\"dim\":80},\n"
    "  {\"type\":\"conv1d\",\"name\":\"conv0\",\"in\":80,\"out\":256,"
    "\"kernel\":5,\"stride\":3},\n"
    "  {\"type\":\"batchnorm\",\"name\":\"bn0\",\"dim\":256},\n"
    "  {\"type\":\"relu\"},\n"
    "  {\"type\":\"sepconv1d\",\"name\":\"b1\",\"in\":256,\"out\":256,"
    "\"kernel\":9,\"residual\":true},\n"
    "  {\"type\":\"batchnorm\",\"name\":\"b1.bn\",\"dim\":256},\n"
    "  {\"type\":\"relu\"},\n"
    "  {\"type\":\"sepconv1d\",\"name\":\"b2\",\"in\":256,\"out\":256,"
    "\"kernel\":9,\"residual\":true},\n"
    "  {\"type\":\"batchnorm\",\"name\":\"b2.bn\",\"dim\":256},\n"
    "  {\"type\":\"relu\"},\n"
    "  {\"type\":\"sepconv1d\",\"name\":\"b3\",\"in\":256,\"out\":256,"
    "\"kernel\":9,\"residual\":true},\n"
    "  {\"type\":\"batchnorm\",\"name\":\"b3.bn\",\"dim\":256},\n"
    "  {\"type\":\"relu\"},\n"
    "  {\"type\":\"gru\",\"name\":\"rnn\",\"in\":256,\"hidden\":320},\n"
    "  {\"type\":\"layernorm\",\"name\":\"ln\",\"dim\":320},\n"
    "  {\"type\":\"linear\",\"name\":\"proj\",\"in\":320,\"out\":320},\n"
    "  {\"type\":\"gelu\"},\n"
    "  {\"type\":\"linear\",\"name\":\"out\",\"in\":320,\"out\":29}\n"
    " ]}\n";

static int write_model(const char *dir, int64_t *params)
{
    char p[600], hdr[16384];
    size_t hl = 0, off = 0;
    FILE *f;
    uint64_t len;

    add("cmvn.mean", 1, 80, 0, 0, 0.5f, 0.0f);
    add("cmvn.std", 1, 80, 0, 0, 0.2f, 1.0f);
    add("conv0.weight", 3, 256, 80, 5, 1.0f / sqrtf(400.0f), 0.0f);
    add("conv0.bias", 1, 256, 0, 0, 0.05f, 0.0f);
    bn("bn0", 256);
    for (int b = 1; b <= 3; b++) {
        char n[64], q[64];
        snprintf(n, sizeof n, "b%d.depthwise.weight", b);
        add(n, 3, 256, 1, 9, 1.0f / 3.0f, 0.0f);
        snprintf(n, sizeof n, "b%d.depthwise.bias", b);
        add(n, 1, 256, 0, 0, 0.05f, 0.0f);
        snprintf(n, sizeof n, "b%d.pointwise.weight", b);
        add(n, 3, 256, 256, 1, 1.0f / 16.0f, 0.0f);
        snprintf(n, sizeof n, "b%d.pointwise.bias", b);
        add(n, 1, 256, 0, 0, 0.05f, 0.0f);
        snprintf(q, sizeof q, "b%d.bn", b);
        bn(q, 256);
    }
    add("rnn.weight_ih", 2, 960, 256, 0, 0.056f, 0.0f);
    add("rnn.weight_hh", 2, 960, 320, 0, 0.056f, 0.0f);
    add("rnn.bias_ih", 1, 960, 0, 0, 0.05f, 0.0f);
    add("rnn.bias_hh", 1, 960, 0, 0, 0.05f, 0.0f);
    add("ln.weight", 1, 320, 0, 0, 0.1f, 1.0f);
    add("ln.bias", 1, 320, 0, 0, 0.1f, 0.0f);
    add("proj.weight", 2, 320, 320, 0, 0.056f, 0.0f);
    add("proj.bias", 1, 320, 0, 0, 0.05f, 0.0f);
    add("out.weight", 2, 29, 320, 0, 0.056f, 0.0f);
    add("out.bias", 1, 29, 0, 0, 0.05f, 0.0f);

    *params = 0;
    hl += (size_t)snprintf(hdr + hl, sizeof hdr - hl, "{");
    for (int i = 0; i < nt; i++) {
        size_t nb = (size_t)numel(&T[i]) * 4;
        hl += (size_t)snprintf(hdr + hl, sizeof hdr - hl,
                               "%s\"%s\":{\"dtype\":\"F32\",\"shape\":[",
                               i ? "," : "", T[i].name);
        for (int d = 0; d < T[i].nd; d++)
            hl += (size_t)snprintf(hdr + hl, sizeof hdr - hl, "%s%lld",
                                   d ? "," : "", (long long)T[i].dim[d]);
        hl += (size_t)snprintf(hdr + hl, sizeof hdr - hl,
                               "],\"data_offsets\":[%zu,%zu]}", off,
                               off + nb);
        off += nb;
        *params += numel(&T[i]);
    }
    hl += (size_t)snprintf(hdr + hl, sizeof hdr - hl, "}");
    while (hl % 8)
        hdr[hl++] = ' ';
    mkdir(dir, 0755);
    snprintf(p, sizeof p, "%s/model.safetensors", dir);
    if (!(f = fopen(p, "wb")))
        return -1;
    len = hl;
    fwrite(&len, 8, 1, f); /* little-endian hosts only, as the bench runs */
    fwrite(hdr, 1, hl, f);
    for (int i = 0; i < nt; i++)
        fwrite(T[i].data, 4, (size_t)numel(&T[i]), f);
    fclose(f);
    snprintf(p, sizeof p, "%s/config.json", dir);
    if (!(f = fopen(p, "w")))
        return -1;
    fputs(config, f);
    fclose(f);
    snprintf(p, sizeof p, "%s/tokens.txt", dir);
    if (!(f = fopen(p, "w")))
        return -1;
    fputs("<blank>\n|\n'\n", f);
    for (char c = 'a'; c <= 'z'; c++)
        fprintf(f, "%c\n", c);
    fclose(f);
    return 0;
}

/* One stream on the CPU: the audio seconds processed per second. */
static int bench_cpu(const asr_model *m, const float *feat, int64_t frames,
                     int64_t chunk)
{
    weft_kctx *k;
    asr_state *s;
    float *out = malloc((size_t)(chunk + 1) * (size_t)m->n_tokens * 4);
    double t0, dt;
    int rc;

    if ((rc = weft_kctx_new("cpu", &k)) < 0 ||
        (rc = asr_state_new(m, NULL, k, &s)) < 0) {
        fprintf(stderr, "bench-asr: cpu: %s\n", weft_strerror(rc));
        return 1;
    }
    /* warm-up: one second */
    for (int64_t r = 0; r + chunk <= 100; r += chunk)
        asr_forward(s, feat + r * m->in_dim, chunk, out);
    asr_state_reset(s);
    t0 = now();
    for (int64_t r = 0; r < frames; r += chunk) {
        int64_t n = r + chunk > frames ? frames - r : chunk;
        if ((rc = asr_forward(s, feat + r * m->in_dim, n, out)) < 0) {
            fprintf(stderr, "bench-asr: %s\n", weft_strerror(rc));
            return 1;
        }
    }
    dt = now() - t0;
    printf("# cpu: %.1f s of audio in %.3f s, chunks of %lld frames: RTF "
           "%.4f\n", (double)frames / 100.0, dt, (long long)chunk,
           dt / ((double)frames / 100.0));
    printf("BENCH asr-acoustic cpu %.1f realtime\n",
           (double)frames / 100.0 / dt);
    asr_state_free(s);
    weft_kctx_free(k);
    free(out);
    return 0;
}

/* @n streams on CUDA, each its own context (stream, cuBLAS handle) and
 * state, fed round-robin chunk by chunk as live audio would arrive. */
static int bench_cuda(const asr_model *m, const float *feat, int64_t frames,
                      int64_t chunk, int n)
{
    weft_kctx **k = calloc((size_t)n, sizeof *k);
    asr_state **s = calloc((size_t)n, sizeof *s);
    float *out = malloc((size_t)(chunk + 1) * (size_t)m->n_tokens * 4);
    double t0, dt, audio;
    asr_weights *w;
    int rc;

    /* one copy of the weights on the device, shared by every stream */
    if ((rc = asr_weights_new(m, "cuda", &w)) < 0) {
        fprintf(stderr, "bench-asr: cuda: %s\n", weft_strerror(rc));
        return 1;
    }
    for (int i = 0; i < n; i++)
        if ((rc = weft_kctx_new("cuda", &k[i])) < 0 ||
            (rc = asr_state_new(m, w, k[i], &s[i])) < 0) {
            fprintf(stderr, "bench-asr: cuda: %s\n", weft_strerror(rc));
            return 1;
        }
    for (int i = 0; i < n; i++)
        asr_forward(s[i], feat, chunk, out);
    t0 = now();
    for (int64_t r = 0; r < frames; r += chunk) {
        int64_t c = r + chunk > frames ? frames - r : chunk;
        for (int i = 0; i < n; i++)
            if ((rc = asr_forward(s[i], feat + r * m->in_dim, c, out)) < 0) {
                fprintf(stderr, "bench-asr: cuda: %s: %s\n",
                        weft_strerror(rc), weft_kctx_last_error(k[i]));
                return 1;
            }
    }
    dt = now() - t0;
    audio = (double)frames / 100.0;
    printf("# cuda: %d streams x %.1f s of audio in %.3f s (%.1fx real time "
           "each)\n", n, audio, dt, audio / dt);
    printf("BENCH asr-acoustic-streams cuda %.0f streams\n", n * audio / dt);
    for (int i = 0; i < n; i++) {
        asr_state_free(s[i]);
        weft_kctx_free(k[i]);
    }
    asr_weights_free(w);
    free(s);
    free(k);
    free(out);
    return 0;
}

int main(int argc, char **argv)
{
    const char *device = "cpu", *keep = NULL;
    double seconds = 60;
    int64_t chunk = 10, frames, params;
    int streams = 64, rc = 0;
    char dir[256], err[1024];
    asr_model *m;
    float *feat;

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--device") && i + 1 < argc)
            device = argv[++i];
        else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
            seconds = atof(argv[++i]);
        else if (!strcmp(argv[i], "--chunk") && i + 1 < argc)
            chunk = atoll(argv[++i]);
        else if (!strcmp(argv[i], "--streams") && i + 1 < argc)
            streams = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--model-dir") && i + 1 < argc)
            keep = argv[++i];
        else {
            fprintf(stderr, "usage: bench-asr [--device cpu|cuda|all] "
                    "[--seconds S] [--chunk FRAMES] [--streams N] "
                    "[--model-dir DIR]\n");
            return 2;
        }
    }
    if (chunk < 1 || seconds <= 0 || streams < 1)
        return 2;
    if (keep)
        snprintf(dir, sizeof dir, "%s", keep);
    else {
        snprintf(dir, sizeof dir, "/tmp/bench-asr-XXXXXX");
        if (!mkdtemp(dir))
            return 1;
    }
    if (write_model(dir, &params) < 0 ||
        asr_model_load(dir, &m, err, sizeof err) < 0) {
        fprintf(stderr, "bench-asr: %s: %s\n", dir, err);
        return 1;
    }
    printf("# model: %lld parameters, stride %lld, %d tokens (%s)\n",
           (long long)m->n_params, (long long)m->stride, (int)m->n_tokens,
           dir);
    frames = (int64_t)(seconds * 100);
    feat = malloc((size_t)(frames * m->in_dim) * sizeof(float));
    for (int64_t i = 0; i < frames * m->in_dim; i++)
        feat[i] = 2.0f * frand();
    if (!strcmp(device, "cpu") || !strcmp(device, "all"))
        rc |= bench_cpu(m, feat, frames, chunk);
    if (!strcmp(device, "cuda") || !strcmp(device, "all")) {
        const char *why;
        if (weft_k_cuda_available(&why))
            rc |= bench_cuda(m, feat, frames > 1000 ? 1000 : frames, chunk,
                             streams);
        else
            printf("# cuda: not available (%s)\n", why);
    }
    asr_model_free(m);
    free(feat);
    for (int i = 0; i < nt; i++)
        free(T[i].data);
    if (!keep) {
        char p[300];
        const char *f[] = { "config.json", "model.safetensors",
                            "tokens.txt" };
        for (int i = 0; i < 3; i++) {
            snprintf(p, sizeof p, "%s/%s", dir, f[i]);
            unlink(p);
        }
        rmdir(dir);
    }
    return rc;
}
