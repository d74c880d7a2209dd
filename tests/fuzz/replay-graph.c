/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Runs the graph fuzz target (fuzz-graph.c) over files, without libFuzzer:
 * the test suite replays the graph corpus and every crasher the fuzzer
 * has found (tests/fuzz/crashers/graph-*), built with the normal compiler.
 *
 *   replay-graph FILE...
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
    int n = 0;
    for (int i = 1; i < argc; i++) {
        FILE *fp = fopen(argv[i], "rb");
        if (!fp) {
            perror(argv[i]);
            return 1;
        }
        size_t cap = 1 << 16, len = 0, got;
        uint8_t *buf = malloc(cap);
        while (buf && (got = fread(buf + len, 1, cap - len, fp)) > 0) {
            len += got;
            if (len == cap) {
                uint8_t *nb = realloc(buf, cap *= 2);
                if (!nb) {
                    free(buf);
                    buf = NULL;
                }
                buf = nb;
            }
        }
        fclose(fp);
        if (!buf) {
            fprintf(stderr, "%s: out of memory\n", argv[i]);
            return 1;
        }
        LLVMFuzzerTestOneInput(buf, len);
        free(buf);
        n++;
    }
    printf("replay-graph: %d inputs ran cleanly\n", n);
    return 0;
}
