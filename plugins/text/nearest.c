/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * text.nearest: which example sentence is closest to each query. The
 * examples are embedded once at init; each query costs one encoder call
 * and a dot product per example (embeddings are unit length, so the dot
 * product is the cosine).
 */
#include "config.h"

#include "text-plugin.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct nearest {
    text_engine e;
    char **ex;       /* example sentences */
    size_t n_ex;
    float *ex_emb;   /* [n_ex, hidden] */
    size_t k;
    size_t *best;    /* k indices */
    float *score;
    char *line;      /* output text */
    size_t line_cap;
} nearest;

static int read_examples(weft_node *node, nearest *s, const char *path)
{
    FILE *f = fopen(path, "re");
    char *line = NULL;
    size_t cap = 0, n_cap = 0;
    ssize_t n;
    int ret = 0;

    if (!f)
        return weft_node_error(node, WEFT_EIO, "%s: cannot open: %s", path,
                               strerror(errno));
    while ((n = getline(&line, &cap, f)) >= 0) {
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        if (s->n_ex == n_cap) {
            n_cap = n_cap ? 2 * n_cap : 16;
            char **p = realloc(s->ex, n_cap * sizeof *p);
            if (!p) {
                ret = weft_node_error(node, WEFT_ENOMEM, "out of memory");
                goto out;
            }
            s->ex = p;
        }
        if (!(s->ex[s->n_ex] = strdup(line))) {
            ret = weft_node_error(node, WEFT_ENOMEM, "out of memory");
            goto out;
        }
        s->n_ex++;
    }
    if (!s->n_ex)
        ret = weft_node_error(node, WEFT_EINVAL, "%s: no example sentences",
                              path);
out:
    free(line);
    fclose(f);
    return ret;
}

static int nearest_init(weft_node *node)
{
    nearest *s = calloc(1, sizeof *s);
    size_t H, *lens = NULL;
    char *path;
    int ret;

    if (!s)
        return weft_node_error(node, WEFT_ENOMEM, "out of memory");
    weft_node_set_priv(node, s);
    if ((ret = text_engine_init(node, &s->e)) < 0)
        return ret;
    if (!(path = weft_node_prop_path(node, "examples")))
        return WEFT_EINVAL;
    ret = read_examples(node, s, path);
    free(path);
    if (ret < 0)
        return ret;
    H = (size_t)s->e.model->hidden;
    s->k = (size_t)weft_node_prop_int(node, "k");
    if (s->k > s->n_ex)
        s->k = s->n_ex;
    s->ex_emb = malloc(s->n_ex * H * sizeof *s->ex_emb);
    s->best = malloc(s->k * sizeof *s->best);
    s->score = malloc(s->k * sizeof *s->score);
    lens = malloc(s->n_ex * sizeof *lens);
    if (!s->ex_emb || !s->best || !s->score || !lens) {
        free(lens);
        return weft_node_error(node, WEFT_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < s->n_ex; i++)
        lens[i] = strlen(s->ex[i]);
    /* Embed the examples in chunks of 32 to bound the workspace. */
    for (size_t i = 0; i < s->n_ex && ret == 0; i += 32) {
        size_t m = s->n_ex - i < 32 ? s->n_ex - i : 32;
        ret = text_engine_run(node, &s->e, (const char *const *)s->ex + i,
                              lens + i, m);
        if (ret == 0)
            memcpy(s->ex_emb + i * H, s->e.out, m * H * sizeof(float));
    }
    free(lens);
    return ret;
}

static weft_flow nearest_process(weft_node *node)
{
    nearest *s = weft_node_priv(node);
    const size_t H = (size_t)s->e.model->hidden;
    weft_buf *b, *o;
    weft_flow f = weft_node_pop(node, 0, &b);
    const char *text;
    size_t len, used = 0;

    if (f != WEFT_FLOW_OK)
        return f == WEFT_FLOW_AGAIN ? WEFT_FLOW_OK : f;
    if (!(text = weft_buf_text(b, &len))) {
        weft_buf_unref(b);
        weft_node_error(node, WEFT_ETYPE, "input is not a text buffer");
        return WEFT_FLOW_ERROR;
    }
    if (text_engine_run(node, &s->e, &text, &len, 1) < 0) {
        weft_buf_unref(b);
        return WEFT_FLOW_ERROR;
    }
    /* Top k by insertion: k is small. */
    size_t nb = 0;
    for (size_t i = 0; i < s->n_ex; i++) {
        const float *e = s->ex_emb + i * H;
        float dot = 0;
        for (size_t j = 0; j < H; j++)
            dot += e[j] * s->e.out[j];
        if (nb == s->k && dot <= s->score[nb - 1])
            continue;
        size_t p = nb < s->k ? nb++ : nb - 1;
        while (p > 0 && s->score[p - 1] < dot) {
            s->score[p] = s->score[p - 1];
            s->best[p] = s->best[p - 1];
            p--;
        }
        s->score[p] = dot;
        s->best[p] = i;
    }
    for (size_t r = 0; r < nb; r++) {
        const char *ex = s->ex[s->best[r]];
        size_t need = used + strlen(ex) + 32;
        if (need > s->line_cap) {
            char *p = realloc(s->line, need * 2);
            if (!p) {
                weft_buf_unref(b);
                weft_node_error(node, WEFT_ENOMEM, "out of memory");
                return WEFT_FLOW_ERROR;
            }
            s->line = p;
            s->line_cap = need * 2;
        }
        used += (size_t)snprintf(s->line + used, s->line_cap - used,
                                 "%s%.4f\t%s", r ? "\n" : "", s->score[r], ex);
    }
    if (!(o = weft_buf_new_text(s->line ? s->line : "", used))) {
        weft_buf_unref(b);
        weft_node_error(node, WEFT_ENOMEM, "out of memory");
        return WEFT_FLOW_ERROR;
    }
    weft_buf_copy_meta(o, b);
    weft_buf_set_meta(o, "query", text);
    if (nb)
        weft_buf_set_meta(o, "match", s->ex[s->best[0]]);
    weft_buf_unref(b);
    return weft_node_push(node, 0, o);
}

static void nearest_fini(weft_node *node)
{
    nearest *s = weft_node_priv(node);

    if (!s)
        return;
    text_engine_fini(&s->e);
    for (size_t i = 0; i < s->n_ex; i++)
        free(s->ex[i]);
    free(s->ex);
    free(s->ex_emb);
    free(s->best);
    free(s->score);
    free(s->line);
    free(s);
    weft_node_set_priv(node, NULL);
}

static const weft_port_desc inputs[] = {
    WEFT_PORT("in", "text", "Queries, one per buffer."), WEFT_PORT_END
};

static const weft_port_desc outputs[] = {
    WEFT_PORT("out", "text",
              "The k closest examples, best first, one per line as "
              "\"cosine<TAB>sentence\"; metadata `query` and `match` (the "
              "best example)."),
    WEFT_PORT_END
};

static const weft_prop_desc props[] = {
    WEFT_PROP_PATH("model", NULL, "Model directory (see text.embed)."),
    WEFT_PROP_PATH("examples", NULL, "Text file of example sentences, one "
                   "per line."),
    WEFT_PROP_INT("k", "1", 1, 1000, NULL, "How many matches to report."),
    WEFT_PROP_STRING("device", "auto", "As text.embed."),
    WEFT_PROP_INT("max_length", "0", 0, 1000000, "tokens", "As text.embed."),
    WEFT_PROP_END
};

const weft_node_class text_nearest_class = {
    .struct_size = sizeof(weft_node_class),
    .name = "text.nearest",
    .summary = "The example sentences closest in meaning to each query",
    .doc =
        "Embeds every line of `examples` once at start (mean pooling, L2 "
        "norm), then for each query text reports the `k` examples with the "
        "highest cosine similarity. A dialogue manager uses it to map an "
        "utterance to the nearest intent phrase.\n\n"
        "Example:\n"
        "    node nn = text.nearest { model = \"../models/all-minilm-l6-v2\",\n"
        "                             examples = \"intents.txt\", k = 3 }",
    .inputs = inputs,
    .outputs = outputs,
    .props = props,
    .init = nearest_init,
    .process = nearest_process,
    .fini = nearest_fini,
};
