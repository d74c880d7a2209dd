/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench-ctc: decode a corpus of CTC log-probabilities with Weft's beam
 * search (the ctc plugin's decoder, single thread) and report utterances
 * per second. bench/ctc/run.py drives it side by side with pyctcdecode and
 * flashlight-text on the same input.
 *
 *   bench-ctc --logits all.npy --lengths lengths.txt --tokens tokens.txt
 *             [--lexicon words.txt] [--lm lm.arpa] [--beam 16]
 *             [--alpha 0.5] [--beta 1.0] [--threshold 25]
 *             [--token-min-logp -10] [--unk-score S] [--nbest 1]
 *             [--repeat 5] [--out hyps.txt] [--dump nbest.txt] [--greedy]
 *
 * The logits file holds every utterance's [T_i, V] rows one after another;
 * lengths.txt their T_i, one a line. Prints `BENCH ctc-beam cpu <median
 * utt/s> utt/s` and the min-max over the repeats; --out writes one
 * hypothesis per line (from the last repeat); --dump writes every n-best
 * entry of every utterance as `utt<TAB>score<TAB>text` with the score to
 * 17 digits, to compare two builds of the decoder exactly.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctc.h"
#include "npy.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    const char *logits = NULL, *lengths = NULL, *tokens = NULL,
               *lexicon = NULL, *lmp = NULL, *outp = NULL, *dumpp = NULL;
    ctc_opts o = { .beam = 16, .beam_threshold = 25, .token_min_logp = -10,
                   .alpha = 0.5, .beta = 1.0, .unk_score = -INFINITY,
                   .oog_penalty = -INFINITY, .nbest = 1 };
    int repeat = 5, greedy = 0;
    char err[CTC_ERRLEN];
    ctc_vocab *v = NULL;
    ctc_lexicon *lx = NULL;
    ctc_lm *lm = NULL;
    ctc_model m = { 0 };
    npy_reader *r;
    float *x;
    int64_t total, V, *len = NULL, n = 0, cap = 0;
    double *rates;
    FILE *f, *dump = NULL;
    char **hyp;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
#define OPT(name) (strcmp(a, name) == 0 && val && ++i)
        if (OPT("--logits")) logits = val;
        else if (OPT("--lengths")) lengths = val;
        else if (OPT("--tokens")) tokens = val;
        else if (OPT("--lexicon")) lexicon = val;
        else if (OPT("--lm")) lmp = val;
        else if (OPT("--out")) outp = val;
        else if (OPT("--dump")) dumpp = val;
        else if (OPT("--nbest")) o.nbest = atoi(val);
        else if (OPT("--beam")) o.beam = atoi(val);
        else if (OPT("--alpha")) o.alpha = atof(val);
        else if (OPT("--beta")) o.beta = atof(val);
        else if (OPT("--threshold")) o.beam_threshold = atof(val);
        else if (OPT("--token-min-logp")) o.token_min_logp = atof(val);
        else if (OPT("--unk-score")) o.unk_score = atof(val);
        else if (OPT("--repeat")) repeat = atoi(val);
        else if (strcmp(a, "--greedy") == 0) greedy = 1;
        else {
            fprintf(stderr, "bench-ctc: unknown or incomplete argument %s\n",
                    a);
            return 2;
        }
#undef OPT
    }
    if (!logits || !lengths || !tokens || repeat < 1) {
        fprintf(stderr, "usage: bench-ctc --logits F.npy --lengths F.txt "
                        "--tokens F.txt [options]\n");
        return 2;
    }
    if (ctc_vocab_load(tokens, 0, "|", &v, err, sizeof err) < 0 ||
        (lexicon && ctc_lexicon_load(lexicon, v, &lx, err, sizeof err) < 0) ||
        (lmp && ctc_lm_load(lmp, true, &lm, NULL, err, sizeof err) < 0) ||
        npy_reader_open(logits, &r, err, sizeof err) < 0) {
        fprintf(stderr, "bench-ctc: %s\n", err);
        return 1;
    }
    total = npy_reader_info(r)->shape[0];
    V = npy_reader_info(r)->shape[1];
    x = malloc((size_t)(total * V) * sizeof *x);
    if (!x || npy_reader_read_rows(r, 0, total, x, err, sizeof err) < 0) {
        fprintf(stderr, "bench-ctc: %s\n", x ? err : "out of memory");
        return 1;
    }
    npy_reader_close(r);
    if (!(f = fopen(lengths, "r"))) {
        perror(lengths);
        return 1;
    }
    for (long long t; fscanf(f, "%lld", &t) == 1;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 1024;
            len = realloc(len, (size_t)cap * sizeof *len);
        }
        len[n++] = t;
    }
    fclose(f);
    if (dumpp && !(dump = fopen(dumpp, "w"))) {
        perror(dumpp);
        return 1;
    }
    m.vocab = v;
    m.lexicon = lx;
    m.lm = lm;
    rates = calloc((size_t)repeat, sizeof *rates);
    hyp = calloc((size_t)n, sizeof *hyp);
    {
        ctc_decoder *d;
        int32_t *toks = malloc((size_t)(total + 1) * sizeof *toks);
        if (ctc_decoder_new(&m, &o, &d) < 0 || !toks)
            return 1;
        for (int rep = 0; rep < repeat; rep++) {
            double t0 = now();
            int64_t off = 0;
            for (int64_t u = 0; u < n; u++) {
                ctc_result res;
                ctc_hyp h;
                const float *xu = x + off * V;
                if (greedy) {
                    int32_t prev = -1;
                    int64_t k = ctc_greedy(xu, len[u], V, V, 0, &prev, toks,
                                           NULL);
                    ctc_tokens_to_hyp(v, toks, NULL, NULL, k, &h);
                    free(hyp[u]);
                    hyp[u] = h.text;
                    free(h.words);
                } else {
                    if (ctc_decoder_feed(d, xu, len[u], V, err, sizeof err) <
                            0 ||
                        ctc_decoder_finish(d, &res) < 0) {
                        fprintf(stderr, "bench-ctc: %s\n", err);
                        return 1;
                    }
                    free(hyp[u]);
                    hyp[u] = strdup(res.n ? res.hyp[0].text : "");
                    for (size_t k = 0; dump && rep == repeat - 1 && k < res.n;
                         k++)
                        fprintf(dump, "%lld\t%.17g\t%s\n", (long long)u,
                                res.hyp[k].score, res.hyp[k].text);
                    ctc_result_clear(&res);
                }
                off += len[u];
            }
            rates[rep] = (double)n / (now() - t0);
        }
        ctc_decoder_free(d);
        free(toks);
    }
    qsort(rates, (size_t)repeat, sizeof *rates, cmp_d);
    printf("BENCH ctc-%s cpu %.1f utt/s\n", greedy ? "greedy" : "beam",
           rates[repeat / 2]);
    printf("# %lld utterances, %lld frames, beam %d, %d repeats, min %.1f "
           "max %.1f utt/s\n", (long long)n, (long long)total, (int)o.beam,
           repeat, rates[0], rates[repeat - 1]);
    if (outp) {
        FILE *of = fopen(outp, "w");
        if (!of) {
            perror(outp);
            return 1;
        }
        for (int64_t u = 0; u < n; u++)
            fprintf(of, "%s\n", hyp[u]);
        fclose(of);
    }
    if (dump)
        fclose(dump);
    for (int64_t u = 0; u < n; u++)
        free(hyp[u]);
    free(hyp);
    free(rates);
    free(len);
    free(x);
    ctc_lm_free(lm);
    ctc_lexicon_free(lx);
    ctc_vocab_free(v);
    return 0;
}
