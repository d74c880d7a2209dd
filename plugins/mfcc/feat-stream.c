/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * feat-stream.c: one stream's state. Samples are appended to a bounded
 * buffer; every frame whose samples are all there is computed at once (in
 * batches of FEAT_LANES); the frames that need the segment's end (reflected
 * or zero-padded tails) are computed by feat_stream_end. Rows then pass
 * through CMVN and deltas, which hold back as many rows as their context
 * needs.
 *
 * Memory: the sample buffer and scratch are sized once. The row stores
 * grow only while a segment is held whole (utterance CMVN, top_db); in a
 * streaming configuration they stay at their first size.
 */
#include "feat-internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Rows with absolute indices [first, end), stored from d[0]. */
typedef struct rowbuf {
    float *d;
    int64_t dim, first, end, cap;
} rowbuf;

struct feat_stream {
    const feat_plan *p;
    float *sig;          /* samples [sig0, nfed) */
    int64_t sig0, sig_cap, nfed;
    float *head;         /* the segment's first samples (reflection) */
    int64_t head_n;
    float prev;          /* last raw sample (signal pre-emphasis) */
    int64_t next_frame;  /* next frame to compute */
    bool ended;
    float *lane_buf;     /* FEAT_LANES frames for edge frames */
    float *stat;         /* FEAT_LANES static rows */
    void *scratch;
    rowbuf raw;          /* static rows (held whole when top_db) */
    rowbuf base;         /* base rows before CMVN */
    rowbuf norm;         /* rows after CMVN: the deltas' input */
    int64_t emitted;     /* rows taken */
    double *cm_sum, *cm_sq; /* sliding CMVN running sums */
    float *row_tmp;
};

static int rowbuf_reserve(rowbuf *b, int64_t rows)
{
    int64_t n = b->end - b->first;
    if (n + rows <= b->cap)
        return 0;
    int64_t cap = b->cap ? b->cap : 64;
    while (cap < n + rows)
        cap *= 2;
    float *d = realloc(b->d, (size_t)(cap * b->dim) * sizeof *d);
    if (!d)
        return WEFT_ENOMEM;
    b->d = d;
    b->cap = cap;
    return 0;
}

static float *rowbuf_at(const rowbuf *b, int64_t i)
{
    return b->d + (i - b->first) * b->dim;
}

/* Drop rows before @i; compacts only when half the store is dead, so the
 * cost is amortised. */
static void rowbuf_drop(rowbuf *b, int64_t i)
{
    int64_t dead = i - b->first;
    if (dead <= 0 || dead < b->cap / 2)
        return;
    memmove(b->d, rowbuf_at(b, i), (size_t)((b->end - i) * b->dim) * sizeof *b->d);
    b->first = i;
}

static int rowbuf_push(rowbuf *b, const float *row)
{
    if (b->end - b->first >= b->cap) {
        int ret = rowbuf_reserve(b, 1);
        if (ret < 0)
            return ret;
    }
    memcpy(b->d + (b->end - b->first) * b->dim, row,
           (size_t)b->dim * sizeof *row);
    b->end++;
    return 0;
}

int feat_stream_new(const feat_plan *p, feat_stream **out)
{
    feat_stream *s = calloc(1, sizeof *s);
    int64_t cmdim = p->base_dim;

    *out = NULL;
    if (!s)
        return WEFT_ENOMEM;
    s->p = p;
    s->sig_cap = p->fl + 4 * FEAT_LANES * p->shift;
    s->sig = malloc((size_t)s->sig_cap * sizeof *s->sig);
    s->head = malloc((size_t)p->fl * sizeof *s->head);
    s->lane_buf = malloc((size_t)(FEAT_LANES * p->fl) * sizeof *s->lane_buf);
    s->stat = malloc((size_t)(FEAT_LANES * p->static_dim) * sizeof *s->stat);
    s->scratch = aligned_alloc(64, (feat_plan_scratch_size(p) + 63) / 64 * 64);
    s->cm_sum = calloc((size_t)cmdim, sizeof *s->cm_sum);
    s->cm_sq = calloc((size_t)cmdim, sizeof *s->cm_sq);
    s->row_tmp = malloc((size_t)p->dim * sizeof *s->row_tmp);
    s->raw.dim = p->static_dim;
    s->base.dim = p->base_dim;
    s->norm.dim = p->base_dim;
    if (!s->sig || !s->head || !s->lane_buf || !s->stat || !s->scratch ||
        !s->cm_sum || !s->cm_sq || !s->row_tmp ||
        rowbuf_reserve(&s->raw, 64) < 0 || rowbuf_reserve(&s->base, 64) < 0 ||
        rowbuf_reserve(&s->norm, 64) < 0) {
        feat_stream_free(s);
        return WEFT_ENOMEM;
    }
    feat_stream_reset(s);
    *out = s;
    return 0;
}

void feat_stream_free(feat_stream *s)
{
    if (!s)
        return;
    free(s->sig);
    free(s->head);
    free(s->lane_buf);
    free(s->stat);
    free(s->scratch);
    free(s->raw.d);
    free(s->base.d);
    free(s->norm.d);
    free(s->cm_sum);
    free(s->cm_sq);
    free(s->row_tmp);
    free(s);
}

void feat_stream_reset(feat_stream *s)
{
    s->sig0 = s->nfed = s->head_n = s->next_frame = s->emitted = 0;
    s->prev = 0;
    s->ended = false;
    s->raw.first = s->raw.end = 0;
    s->base.first = s->base.end = 0;
    s->norm.first = s->norm.end = 0;
    memset(s->cm_sum, 0, (size_t)s->p->base_dim * sizeof *s->cm_sum);
    memset(s->cm_sq, 0, (size_t)s->p->base_dim * sizeof *s->cm_sq);
}

int64_t feat_stream_samples(const feat_stream *s) { return s->nfed; }
int64_t feat_stream_next_row(const feat_stream *s) { return s->emitted; }

/* Frames a segment of @n samples has in all. */
static int64_t total_frames(const feat_plan *p, int64_t n)
{
    if (n <= 0)
        return 0;
    switch (p->o.edges) {
    case FEAT_EDGES_REFLECT:
        return (n + p->shift / 2) / p->shift;
    case FEAT_EDGES_CENTER:
        return 1 + n / p->shift;
    case FEAT_EDGES_PAD_END:
        return n <= p->fl ? 1 : 1 + (n - p->fl + p->shift - 1) / p->shift;
    default:
        return n < p->fl ? 0 : 1 + (n - p->fl) / p->shift;
    }
}

/* Sample @j of the segment, with the edge convention for j outside
 * [0, nfed) (only asked once the segment has ended, or for j < 0). */
static float sample_at(const feat_stream *s, int64_t j)
{
    int64_t n = s->ended ? s->nfed : INT64_MAX;
    if (j < 0 || j >= n) {
        if (s->p->o.edges != FEAT_EDGES_REFLECT || s->nfed == 0)
            return 0.0f;
        /* Kaldi's ExtractWindow: reflect, as often as it takes. */
        while (j < 0 || j >= s->nfed)
            j = j < 0 ? -j - 1 : 2 * s->nfed - 1 - j;
    }
    if (j < s->head_n)
        return s->head[j];
    if (j >= s->sig0 && j < s->nfed)
        return s->sig[j - s->sig0];
    return 0.0f; /* not reachable: the buffers keep what frames need */
}

static int emit_static(feat_stream *s, const float *row);

/* Compute frames [next_frame, upto), in batches. */
static int compute_frames(feat_stream *s, int64_t upto)
{
    const feat_plan *p = s->p;
    while (s->next_frame < upto) {
        const float *ptr[FEAT_LANES];
        int64_t idx[FEAT_LANES];
        int n = 0;
        for (; n < FEAT_LANES && s->next_frame + n < upto; n++) {
            int64_t f = s->next_frame + n, st = f * p->shift + p->first;
            idx[n] = f;
            if (st >= s->sig0 && st + p->fl <= s->nfed) {
                ptr[n] = s->sig + (st - s->sig0);
            } else {
                float *b = s->lane_buf + n * p->fl;
                for (int64_t t = 0; t < p->fl; t++)
                    b[t] = sample_at(s, st + t);
                ptr[n] = b;
            }
        }
        feat_frames_compute(p, ptr, idx, n, s->stat, s->scratch);
        for (int i = 0; i < n; i++) {
            int ret = emit_static(s, s->stat + i * p->static_dim);
            if (ret < 0)
                return ret;
        }
        s->next_frame += n;
    }
    return 0;
}

/* A base row is ready: CMVN (sliding now, utterance at the end). */
static int push_base(feat_stream *s, const float *row)
{
    const feat_plan *p = s->p;
    int64_t d = p->base_dim, t = s->base.end;
    int ret;

    if (p->o.cmvn == FEAT_CMVN_NONE)
        return rowbuf_push(&s->norm, row);
    if ((ret = rowbuf_push(&s->base, row)) < 0)
        return ret;
    if (p->o.cmvn != FEAT_CMVN_SLIDING)
        return 0;
    {
        int64_t w = p->o.cmvn_window, lo = t - w + 1, n;
        float *out = s->row_tmp;
        for (int64_t c = 0; c < d; c++) {
            s->cm_sum[c] += row[c];
            s->cm_sq[c] += (double)row[c] * row[c];
        }
        if (lo > 0) {
            const float *old = rowbuf_at(&s->base, lo - 1);
            for (int64_t c = 0; c < d; c++) {
                s->cm_sum[c] -= old[c];
                s->cm_sq[c] -= (double)old[c] * old[c];
            }
        }
        n = t - (lo > 0 ? lo : 0) + 1;
        for (int64_t c = 0; c < d; c++) {
            double mean = s->cm_sum[c] / (double)n;
            double v = (double)row[c] - mean;
            if (p->o.cmvn_norm_vars) {
                double var = s->cm_sq[c] / (double)n - mean * mean;
                v = var > 1e-20 ? v / sqrt(var) : v;
            }
            out[c] = (float)v;
        }
        rowbuf_drop(&s->base, lo > 0 ? lo : 0);
        return rowbuf_push(&s->norm, out);
    }
}

static int emit_static(feat_stream *s, const float *row)
{
    if (s->p->needs_finish)
        return rowbuf_push(&s->raw, row);
    return push_base(s, row);
}

int feat_stream_feed(feat_stream *s, const float *x, size_t n, int64_t *bad)
{
    const feat_plan *p = s->p;
    float scale = (float)p->o.sample_scale, pre = (float)p->o.preemphasis;
    bool sigpre = p->o.preemph_signal && pre != 0;

    {
        /* Test the exponent bits without an early exit, so the loop
         * vectorises; look for the position only when one is bad. */
        typedef uint32_t vu __attribute__((vector_size(16)));
        vu anyv = { 0 }, e = { 0x7f800000u, 0x7f800000u, 0x7f800000u,
                               0x7f800000u };
        uint32_t any = 0;
        size_t i = 0;
        for (; i + 4 <= n; i += 4) {
            vu u;
            memcpy(&u, &x[i], sizeof u);
            anyv |= (vu)((u & e) == e);
        }
        for (; i < n; i++) {
            uint32_t u;
            memcpy(&u, &x[i], sizeof u);
            any |= (u & 0x7f800000u) == 0x7f800000u;
        }
        any |= anyv[0] | anyv[1] | anyv[2] | anyv[3];
        for (size_t i = 0; any && i < n; i++)
            if (!isfinite(x[i])) {
                *bad = s->nfed + (int64_t)i;
                return WEFT_EINVAL;
            }
    }
    while (n > 0) {
        int64_t room = s->sig_cap - (s->nfed - s->sig0);
        int64_t k = (int64_t)n < room ? (int64_t)n : room;
        float *dst = s->sig + (s->nfed - s->sig0);
        if (!sigpre) {
            typedef float vf4 __attribute__((vector_size(16)));
            int64_t i = 0;
            for (; i + 4 <= k; i += 4) {
                vf4 v;
                memcpy(&v, &x[i], sizeof v);
                v *= scale;
                memcpy(&dst[i], &v, sizeof v);
            }
            for (; i < k; i++)
                dst[i] = x[i] * scale;
        }
        else
            for (int64_t i = 0; i < k; i++) {
                /* python_speech_features: y[0] = x[0],
                 * y[n] = x[n] - c x[n-1], over the whole signal. */
                float v = x[i] * scale;
                float y = s->nfed + i == 0 ? v : v - pre * s->prev;
                s->prev = v;
                dst[i] = y;
            }
        for (int64_t i = 0; i < k && s->nfed + i < p->fl; i++)
            s->head[s->head_n++] = dst[i];
        s->nfed += k;
        x += k;
        n -= (size_t)k;
        {
            /* Frames whose samples are all here. */
            int64_t last = s->nfed - p->fl - p->first, upto;
            upto = last < 0 ? 0 : last / p->shift + 1;
            int ret = compute_frames(s, upto);
            int64_t keep = s->next_frame * p->shift + p->first;
            if (ret < 0)
                return ret;
            if (keep > s->sig0) {
                if (keep > s->nfed)
                    keep = s->nfed;
                memmove(s->sig, s->sig + (keep - s->sig0),
                        (size_t)(s->nfed - keep) * sizeof *s->sig);
                s->sig0 = keep;
            }
        }
    }
    return 0;
}

int feat_stream_end(feat_stream *s)
{
    const feat_plan *p = s->p;
    int ret;

    if (s->ended)
        return 0;
    s->ended = true;
    if ((ret = compute_frames(s, total_frames(p, s->nfed))) < 0)
        return ret;
    if (p->needs_finish && s->raw.end > 0) {
        float mx = -INFINITY;
        int64_t rows = s->raw.end - s->raw.first;
        for (int64_t r = 0; r < rows; r++)
            for (int64_t j = 0; j < p->nmel; j++)
                mx = fmaxf(mx, s->raw.d[r * p->static_dim + j]);
        for (int64_t r = 0; r < rows; r++) {
            feat_rows_finish(p, s->raw.d + r * p->static_dim, 1, mx,
                             s->row_tmp);
            if ((ret = push_base(s, s->row_tmp)) < 0)
                return ret;
        }
        s->raw.first = s->raw.end = 0;
    }
    if (p->o.cmvn == FEAT_CMVN_UTTERANCE && s->base.end > s->base.first) {
        int64_t d = p->base_dim, rows = s->base.end - s->base.first;
        for (int64_t c = 0; c < d; c++) {
            double sum = 0, sq = 0, mean, sd = 1;
            for (int64_t r = 0; r < rows; r++) {
                double v = s->base.d[r * d + c];
                sum += v;
                sq += v * v;
            }
            mean = sum / (double)rows;
            if (p->o.cmvn_norm_vars) {
                double var = sq / (double)rows - mean * mean;
                sd = var > 1e-20 ? sqrt(var) : 1;
            }
            s->cm_sum[c] = mean;
            s->cm_sq[c] = sd;
        }
        for (int64_t r = 0; r < rows; r++) {
            float *out = s->row_tmp;
            for (int64_t c = 0; c < d; c++)
                out[c] = (float)(((double)s->base.d[r * d + c] - s->cm_sum[c]) /
                                 s->cm_sq[c]);
            if ((ret = rowbuf_push(&s->norm, out)) < 0)
                return ret;
        }
    }
    return 0;
}

static int64_t lag(const feat_plan *p)
{
    return p->o.deltas * p->o.delta_window;
}

int64_t feat_stream_ready(const feat_stream *s)
{
    int64_t avail = s->norm.end;
    if (!s->ended) {
        if (s->p->needs_finish || s->p->o.cmvn == FEAT_CMVN_UTTERANCE)
            return 0;
        avail -= lag(s->p);
    }
    return avail > s->emitted ? avail - s->emitted : 0;
}

void feat_stream_take(feat_stream *s, float *out, int64_t rows)
{
    const feat_plan *p = s->p;
    int64_t d = p->base_dim, last = s->norm.end - 1, l = lag(p);

    for (int64_t r = 0; r < rows; r++, s->emitted++) {
        int64_t t = s->emitted;
        float *o = out + r * p->dim;
        memcpy(o, rowbuf_at(&s->norm, t), (size_t)d * sizeof *o);
        for (int64_t order = 1; order <= p->o.deltas; order++) {
            int64_t taps = p->delta_n[order], half = (taps - 1) / 2;
            float *od = o + order * d;
            for (int64_t c = 0; c < d; c++)
                od[c] = 0;
            for (int64_t j = 0; j < taps; j++) {
                float sc = p->delta_scale[order][j];
                int64_t i = t + j - half;
                const float *src;
                if (sc == 0)
                    continue;
                /* Kaldi's DeltaFeatures: the edges repeat the first and
                 * last frame. The end is only clamped once it is known. */
                i = i < 0 ? 0 : i > last ? last : i;
                src = rowbuf_at(&s->norm, i);
                for (int64_t c = 0; c < d; c++)
                    od[c] += sc * src[c];
            }
        }
    }
    {
        int64_t keep = s->emitted - l;
        rowbuf_drop(&s->norm, keep > 0 ? keep : 0);
        if (s->p->o.cmvn != FEAT_CMVN_SLIDING)
            rowbuf_drop(&s->base, s->base.end);
    }
}
