/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * BERT uncased WordPiece tokenization, identical to Hugging Face
 * `tokenizers` (BertNormalizer + BertPreTokenizer + WordPiece + the BERT
 * post-processor) for models such as all-MiniLM-L6-v2:
 *
 *   1. clean text: drop control/format characters, NUL and U+FFFD; map
 *      whitespace to a space;
 *   2. put spaces around CJK ideographs;
 *   3. strip accents (NFD, drop nonspacing marks) and lowercase;
 *   4. split on whitespace and punctuation (each punctuation character is a
 *      word);
 *   5. greedy longest-match-first WordPiece with "##" continuations; a word
 *      longer than 100 characters or with an unmatched piece is [UNK];
 *   6. [CLS] ids [SEP], truncated to max_len (the last id stays [SEP]).
 *
 * Invalid UTF-8 becomes U+FFFD (then dropped, as step 1 does) and is
 * counted. The module depends on libc and libutf8proc only, so tests and
 * other plugins can compile it in.
 *
 * Threads: a vocabulary is immutable after loading and may be shared; a
 * text_tok (scratch space) belongs to one thread at a time.
 */
#ifndef WEFT_TEXT_WORDPIECE_H
#define WEFT_TEXT_WORDPIECE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct text_urange {
    uint32_t lo, hi;
} text_urange;

/* Character classes of the reference (unicode-tables.c, generated). */
extern const text_urange text_uclass_drop[];
extern const size_t text_uclass_drop_n;
extern const text_urange text_uclass_space[];
extern const size_t text_uclass_space_n;
extern const text_urange text_uclass_punct[];
extern const size_t text_uclass_punct_n;

typedef struct text_vocab text_vocab;

/*
 * text_vocab_load: read a vocab.txt (one token per line, id = line number
 * from 0) and find [UNK], [CLS], [SEP] and [PAD]. Returns 0 or a negative
 * WEFT_E* code with a message naming the file (and line) in @err.
 */
int text_vocab_load(const char *path, text_vocab **out, char *err,
                    size_t err_cap);
void text_vocab_free(text_vocab *v);
/* Id of the @n bytes at @s, or -1. */
int32_t text_vocab_find(const text_vocab *v, const char *s, size_t n);
size_t text_vocab_size(const text_vocab *v);
/* The token string of @id (NUL-terminated), or NULL. */
const char *text_vocab_token(const text_vocab *v, int32_t id);
int32_t text_vocab_unk(const text_vocab *v);
int32_t text_vocab_cls(const text_vocab *v);
int32_t text_vocab_sep(const text_vocab *v);
int32_t text_vocab_pad(const text_vocab *v);

/* Scratch space for tokenizing; grows to the longest text seen, then
 * reused, so steady-state tokenization allocates nothing. */
typedef struct text_tok {
    uint32_t *cps;   /* normalized code points */
    size_t cps_cap;
    char *word;      /* "##" + UTF-8 of the current piece */
    size_t word_cap;
    int32_t *ids;    /* the result */
    size_t ids_cap;
} text_tok;

/* Per-call report. */
typedef struct text_tok_info {
    size_t n_invalid;  /* invalid UTF-8 sequences replaced */
    size_t n_full;     /* ids before truncation, with [CLS]/[SEP] */
    bool truncated;
} text_tok_info;

/*
 * text_tokenize: tokenize @len bytes of @text into tok->ids (returned in
 * *@ids, *@n; valid until the next call on @tok). @max_len is the longest
 * result including [CLS] and [SEP] (0: unlimited; otherwise at least 2).
 * Returns 0 or WEFT_ENOMEM.
 */
int text_tokenize(const text_vocab *v, text_tok *tok, const char *text,
                  size_t len, size_t max_len, const int32_t **ids, size_t *n,
                  text_tok_info *info);
void text_tok_clear(text_tok *tok);

#endif /* WEFT_TEXT_WORDPIECE_H */
