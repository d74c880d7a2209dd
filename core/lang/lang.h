/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The graph language front end: lexer, parser, syntax tree, checks of
 * names, expansion of subgraphs and includes into the graph model
 * (graph-private.h), the canonical formatter and DOT export.
 *
 * Everything a parse allocates for its syntax trees comes from one arena
 * per parse (lang_arena), freed at once, so the many error paths of a
 * recovering parser never leak. Nothing here recurses on the input's
 * nesting beyond fixed, checked limits: the parser has one level of graph
 * bodies and one of lists; subgraph expansion and includes carry explicit
 * depth limits with a diagnostic.
 */
#ifndef WEFT_LANG_H
#define WEFT_LANG_H

#include <stdarg.h>

#include "graph-private.h"
#include <weft/graph.h>

/* Limits that keep hostile input bounded (each has a diagnostic). */
#define LANG_MAX_ERRORS 50        /* syntax errors before giving up */
#define LANG_MAX_INCLUDE_DEPTH 32 /* `use` chains */
#define LANG_MAX_GRAPH_DEPTH 64   /* subgraphs inside subgraphs */
#define LANG_MAX_NODES 20000      /* nodes and instances after expansion;
                                     TODO(lead): weft__graph_node_index is a
                                     linear scan, so building n nodes costs
                                     O(n^2); with a hash this can grow */
#define LANG_MAX_CAPACITY 1000000 /* queue capacity on an edge */

/* Separates an instance's name from the names inside it ("asr/feat"); no
 * name in a file can contain it, so expanded names never clash. */
#define LANG_SEP '/'

/* ------------------------------------------------------------ arena */

typedef struct lang_arena_block lang_arena_block;
typedef struct lang_arena {
    lang_arena_block *head;
    bool failed; /* an allocation failed: the parse reports ENOMEM */
} lang_arena;

void *weft__lang_alloc(lang_arena *a, size_t n);
char *weft__lang_strndup(lang_arena *a, const char *s, size_t n);
void weft__lang_arena_free(lang_arena *a);

/* A growable array in the arena: grows by doubling, the old block stays
 * in the arena (at most half the space is wasted). */
#define LANG_VEC(T)                                                          \
    struct {                                                                 \
        T *v;                                                                \
        size_t n, cap;                                                       \
    }
bool weft__lang_grow(lang_arena *a, void **v, size_t *cap, size_t n,
                     size_t elem);
#define LANG_PUSH(a, vec, item)                                              \
    (((vec).n < (vec).cap ||                                                 \
      weft__lang_grow((a), (void **)&(vec).v, &(vec).cap, (vec).n,           \
                      sizeof *(vec).v))                                      \
         ? ((vec).v[(vec).n++] = (item), true)                               \
         : false)

/* ------------------------------------------------------------ tokens */

typedef enum lang_tok_kind {
    T_EOF = 0,
    T_WORD,   /* names, classes, enum values, true/false */
    T_NUMBER, /* 16000, -1, 0.5s, 16k, 1e-3, 0x1f */
    T_STRING, /* "..." with escapes and ${param} */
    T_PARAM,  /* $name */
    T_ARROW,  /* -> */
    T_EQ,
    T_COMMA,
    T_DOT,
    T_COLON,
    T_LBRACE,
    T_RBRACE,
    T_LPAREN,
    T_RPAREN,
    T_LBRACK,
    T_RBRACK,
    T_BAD /* a lexical error, already reported */
} lang_tok_kind;

typedef struct lang_tok {
    lang_tok_kind kind;
    const char *p; /* into the source text */
    uint32_t len;
    uint32_t line, col;
    bool bol; /* first token on its line */
} lang_tok;

typedef struct lang_comment {
    const char *text; /* from '#' to the end of the line, trailing blanks cut */
    uint32_t len;
    uint32_t line, col;
    bool own_line; /* nothing but blanks before it on its line */
} lang_comment;

/* ------------------------------------------------------------ syntax tree */

typedef struct lang_strpart {
    const char *text; /* decoded literal text, or a param name */
    size_t len;
    bool is_param;
    weft_srcloc loc; /* of "${name}" for params */
} lang_strpart;

typedef enum lang_vkind {
    LV_NONE = 0,
    LV_NUMBER,
    LV_WORD,
    LV_STRING,
    LV_PARAM,
    LV_LIST
} lang_vkind;

typedef struct lang_value {
    lang_vkind kind;
    weft_srcloc loc;
    const char *raw; /* spelling in the source (PARAM: the name) */
    size_t raw_len;
    lang_strpart *parts; /* STRING */
    size_t n_parts;
    struct lang_value *items; /* LIST */
    size_t n_items;
} lang_value;

typedef struct lang_prop {
    const char *name;
    weft_srcloc name_loc;
    lang_value value;
    uint32_t end_line;
} lang_prop;

typedef struct lang_endpoint {
    const char *node;
    weft_srcloc node_loc;
    const char *port; /* NULL: the only/first port */
    weft_srcloc port_loc;
    weft_srcloc loc; /* the whole `node.port` */
} lang_endpoint;

typedef struct lang_group {
    lang_endpoint *eps;
    size_t n;
} lang_group;

typedef struct lang_arrow {
    weft_srcloc loc;
    lang_prop *opts; /* capacity, overflow */
    size_t n_opts;
} lang_arrow;

typedef enum lang_skind {
    S_HEADER = 1,
    S_USE,
    S_PARAM,
    S_NODE,
    S_LINK,
    S_GRAPH,
    S_INPUT,
    S_OUTPUT
} lang_skind;

typedef struct lang_stmt lang_stmt;
struct lang_stmt {
    lang_skind kind;
    weft_srcloc loc;  /* the keyword (or first endpoint of a link) */
    uint32_t end_line; /* last line of the statement */
    const char *name;  /* node, param, graph, port; USE: the decoded path */
    weft_srcloc name_loc;
    const char *cls; /* NODE */
    weft_srcloc cls_loc;
    const char *type; /* PARAM: declared type or NULL */
    weft_srcloc type_loc;
    bool has_value; /* PARAM default, HEADER version, USE path */
    lang_value value;
    lang_prop *props; /* NODE */
    size_t n_props;
    bool braces; /* NODE: written with { } */
    lang_group *groups; /* LINK: n_groups >= 2; INPUT/OUTPUT: one group */
    size_t n_groups;
    lang_arrow *arrows; /* LINK: n_groups - 1 */
    lang_stmt *params; /* GRAPH: its params (S_PARAM) */
    size_t n_params;
    lang_stmt *body; /* GRAPH */
    size_t n_body;
    uint32_t close_line; /* GRAPH: line of its '}' */
    /* Filled by the checks (expand.c): */
    int32_t graph_def; /* NODE: index of its subgraph class, or -1 */
    bool bad;          /* NODE: its class or name is wrong (reported) */
    bool used;         /* PARAM: referenced somewhere in its scope */
};

typedef struct lang_file {
    const char *name; /* as stored in the graph (weft__graph_add_source) */
    const char *text;
    size_t len;
    char *dir; /* for relative includes and paths; arena */
    lang_stmt *stmts;
    size_t n_stmts;
    lang_comment *comments;
    size_t n_comments;
    bool included; /* reached through `use` */
} lang_file;

/* The diagnostics sink shared by every stage: the graph being built. */
typedef struct lang_diags {
    weft_graph *g;
    size_t errors;
    bool gave_up; /* LANG_MAX_ERRORS reached in this file */
} lang_diags;

void weft__lang_error(lang_diags *d, const weft_srcloc *loc, const char *hint,
                      const char *fmt, ...) WEFT_PRINTF(4, 5);
void weft__lang_warn(lang_diags *d, const weft_srcloc *loc, const char *hint,
                     const char *fmt, ...) WEFT_PRINTF(4, 5);
void weft__lang_note(lang_diags *d, const weft_srcloc *loc, const char *fmt,
                     ...) WEFT_PRINTF(3, 4);

/*
 * Tokenise @text (stored under @name) into @toks and @comments, reporting
 * lexical errors. @line0/@col0 give the position of text[0] (1, 1 for a
 * file). Returns false when out of memory.
 */
bool weft__lang_lex(lang_arena *a, lang_diags *d, const char *name,
                    const char *text, size_t len, uint32_t line0,
                    uint32_t col0, lang_tok **toks, size_t *n_toks,
                    lang_comment **comments, size_t *n_comments);

/* Parse @text into @f (f->name, f->text, f->len set by the caller).
 * Returns false when out of memory; syntax errors are diagnostics. */
bool weft__lang_parse(lang_arena *a, lang_diags *d, lang_file *f);

/* Lengths of a word / number starting at @p (0: none there). */
size_t weft__lang_word_len(const char *p, const char *end);
size_t weft__lang_number_len(const char *p, const char *end);

/* Decode a string token's body into parts (the parser's helper, shared
 * with command-line overrides). */
bool weft__lang_string_parts(lang_arena *a, lang_diags *d, const lang_tok *t,
                             const char *file, lang_value *out);

/* Describe a token for "expected X, found Y" ("`->`", "end of file"). */
void weft__lang_describe(const lang_tok *t, char *buf, size_t cap);

/* Canonical text of a string (quoted, escapes as prop.c reads them). */
char *weft__lang_quote(const char *s, size_t n);

/* Keywords that cannot name nodes. */
bool weft__lang_is_keyword(const char *s, size_t n);

/* A string -> index map in the arena (open addressing). */
typedef struct lang_map {
    const char **keys;
    size_t *vals;
    size_t n, cap;
} lang_map;
bool weft__lang_map_put(lang_arena *a, lang_map *m, const char *key,
                        size_t val);
bool weft__lang_map_get(const lang_map *m, const char *key, size_t *val);

/* ------------------------------------------------------------ checks */

/* A subgraph definition. */
typedef struct lang_gdef {
    const char *name;
    lang_stmt *s;
    lang_file *file;
    lang_stmt **ins, **outs; /* its `input` and `output` statements */
    size_t n_ins, n_outs;
    bool expanding; /* on the expansion stack: using it again is a cycle */
} lang_gdef;

/* One parse: the files read, the subgraphs they define, limits. */
typedef struct lang_ctx {
    weft_graph *g;
    const weft_registry *reg;
    lang_arena a;
    lang_diags d;
    LANG_VEC(lang_file *) files;
    LANG_VEC(lang_gdef) graphs;
    lang_map graph_map;
    LANG_VEC(const char *) stack; /* real paths of the files being read */
    LANG_VEC(const char *) stack_names; /* the same, as named */
    lang_map loaded;              /* real paths already read */
    size_t budget;                /* nodes and instances expanded */
    size_t text_used;             /* bytes of interpolated text */
    bool aborted;                 /* a limit was hit: stop expanding */
} lang_ctx;

/* Name checks of a file's top level and of every subgraph: unknown or
 * duplicate names, params, ports; unused params. (check.c) */
void weft__lang_check(lang_ctx *c, lang_file *main_file);
/* Input or output port @port (NULL: the only one) of subgraph @d, or
 * NULL. */
lang_stmt *weft__lang_gdef_port(const lang_gdef *d, const char *port,
                                bool input);
/* Apply overrides, resolve params and expand @main_file into the model.
 * (expand.c) */
void weft__lang_expand(lang_ctx *c, lang_file *main_file,
                       const char *const *overrides);
/* "did you mean `x`?" among @n @names, into @buf; NULL if none close. */
const char *weft__lang_hint(char *buf, size_t cap, const char *name,
                            const char *const *names, size_t n);

/* The formatter: canonical text of a parsed file (malloc'd), or NULL. */
char *weft__lang_format(const lang_file *f);

/* Source location helper. */
static inline weft_srcloc lang_loc(const char *file, const lang_tok *t)
{
    weft_srcloc l = {file, t->line, t->col, t->len ? t->len : 1};
    return l;
}

#endif
