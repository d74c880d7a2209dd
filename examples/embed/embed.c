/* SPDX-License-Identifier: MIT */
/*
 * embed: run a Weft graph inside a program. The program generates audio
 * (a 440 Hz tone in 10 ms frames), pushes it into the graph through an
 * app.src node, and a second thread pulls what comes out of an app.sink
 * and prints one line per buffer. The graph itself comes from a string.
 *
 *   ./embed [FRAMES]
 *
 * Build: cc embed.c $(pkg-config --cflags --libs weft-1) -lpthread -lm
 * Needs the core plugin (identity): WEFT_PLUGIN_PATH or an installed Weft.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include <weft/weft.h>

#define RATE 16000
#define FRAME 160 /* 10 ms */

static const char *graph_text =
    "weft 1\n"
    "node mic  = app.src { format = \"audio/pcm rate=16000 channels=1 "
    "dtype=f32\" }\n"
    "node pass = identity\n"
    "node out  = app.sink\n"
    "mic -> pass -> out\n";

/* The reader: pull until the end of the stream. */
static void *reader(void *arg)
{
    weft_graph *g = arg;
    weft_buf *b;
    long n = 0;
    while (weft_graph_app_pull(g, "out", -1, &b) == WEFT_FLOW_OK) {
        const float *x = weft_buf_cdata(b);
        int64_t len = weft_buf_dim(b, 0);
        double sum = 0;
        for (int64_t i = 0; i < len; i++)
            sum += (double)x[i] * x[i];
        printf("buffer %ld: pts %.3f s, %lld samples, rms %.4f\n", n++,
               (double)weft_buf_pts(b) / 1e9, (long long)len,
               len ? sqrt(sum / (double)len) : 0.0);
        weft_buf_unref(b);
    }
    printf("end of stream after %ld buffers\n", n);
    return NULL;
}

int main(int argc, char **argv)
{
    int frames = argc > 1 ? atoi(argv[1]) : 20;
    int ret = 1;
    weft_log_set_handler(weft_log_handler_stderr, NULL);
    weft_registry *reg = weft_registry_new();
    weft_registry_scan(reg, 0);

    weft_graph *g = NULL;
    if (weft_graph_parse_string(reg, graph_text, "embed", NULL, &g) < 0 ||
        weft_graph_check(g) < 0) {
        char *d = g ? weft_graph_render_diags(g, false) : NULL;
        fprintf(stderr, "embed: bad graph\n%s", d ? d : "");
        free(d);
        goto out;
    }
    weft_run_opts opts = {sizeof opts, 2, false, NULL};
    if (weft_graph_start(g, &opts) < 0) {
        fprintf(stderr, "embed: cannot start the graph\n");
        goto out;
    }
    pthread_t th;
    pthread_create(&th, NULL, reader, g);

    int64_t shape[2] = {FRAME, 1};
    for (int f = 0; f < frames; f++) {
        weft_buf *b = weft_buf_new_tensor(WEFT_DTYPE_F32, 2, shape,
                                          WEFT_DOMAIN_HOST, 0);
        float *x = weft_buf_data(b);
        for (int i = 0; i < FRAME; i++) {
            long s = (long)f * FRAME + i;
            x[i] = 0.5f * (float)sin(2 * M_PI * 440.0 * (double)s / RATE);
        }
        weft_buf_set_pts(b, (int64_t)f * FRAME * 1000000000 / RATE);
        weft_buf_set_duration(b, (int64_t)FRAME * 1000000000 / RATE);
        /* Hands the reference over; waits while the graph is full. */
        if (weft_graph_app_push(g, "mic", b) != WEFT_FLOW_OK)
            break;
    }
    weft_graph_app_end(g, "mic");
    pthread_join(th, NULL);
    int rc = weft_graph_wait(g, -1);
    if (rc < 0) {
        fprintf(stderr, "embed: %s\n",
                weft_graph_error(g) ? weft_graph_error(g) : weft_strerror(rc));
        goto out;
    }
    char *stats = weft_graph_stats_table(g);
    if (stats)
        fputs(stats, stderr);
    free(stats);
    ret = 0;
out:
    weft_graph_free(g);
    weft_registry_free(reg);
    return ret;
}
