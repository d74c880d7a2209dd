/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fuzz-format.c: libFuzzer harness for the format and property parsers.
 *
 * The input, cut at its first newline, gives two format strings. Whatever
 * parses is printed, re-parsed, fixated, intersected and compared, and the
 * invariants that tie these together are checked (a failed one aborts so
 * the fuzzer reports it). The whole input is also parsed as a property
 * value against descriptors of every type, and printed values must read
 * back to the same text.
 *
 *   clang -g -fsanitize=fuzzer,address,undefined -Icore core/format.c core/format-ops.c \
 *       core/prop.c tests/fuzz/fuzz-format.c -lm -o /tmp/fuzz-format
 *   /tmp/fuzz-format -max_total_time=300 /tmp/fmtcorpus
 */
#include <weft/format.h>
#include <weft/prop.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(e)                                                            \
    do {                                                                    \
        if (!(e)) {                                                         \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__,      \
                    __LINE__, #e);                                          \
            abort();                                                        \
        }                                                                   \
    } while (0)

static weft_format *fuzz_one_format(const char *text)
{
    weft_format *f = NULL, *g = NULL, *x;
    char err[96];
    char *s;

    if (weft_format_parse(text, &f, err, sizeof err) != 0)
        return NULL;
    s = weft_format_to_string(f);
    CHECK(s != NULL);
    CHECK(weft_format_parse(s, &g, err, sizeof err) == 0);
    CHECK(weft_format_equal(f, g));
    free(s);
    weft_format_free(g);

    x = weft_format_fixate(f);
    CHECK(x != NULL);
    CHECK(weft_format_is_subset(x, f));
    CHECK(weft_format_is_fixed(x) == !weft_format_is_any(f));
    weft_format_free(x);

    x = weft_format_intersect(f, f, NULL, 0);
    CHECK(x != NULL);
    CHECK(weft_format_is_subset(x, f));
    weft_format_free(x);
    CHECK(weft_format_is_subset(f, f));
    return f;
}

static void fuzz_pair(const weft_format *a, const weft_format *b)
{
    char why[64];
    weft_format *r = weft_format_intersect(a, b, why, sizeof why);

    CHECK(weft_format_can_intersect(a, b) == (r != NULL));
    CHECK(weft_format_can_intersect(b, a) == (r != NULL));
    if (r) {
        char *s = weft_format_to_string(r);
        CHECK(s != NULL);
        free(s);
        CHECK(weft_format_is_subset(r, a));
        CHECK(weft_format_is_subset(r, b));
    } else {
        CHECK(why[0] != '\0');
    }
    if (weft_format_is_subset(a, b) && weft_format_is_subset(b, a) &&
        !weft_format_is_any(a) && !weft_format_is_any(b))
        CHECK(strcmp(weft_format_media(a), weft_format_media(b)) == 0);
    if (weft_format_equal(a, b))
        CHECK(weft_format_is_subset(a, b));
    weft_format_free(r);
}

static const char *const choices[] = { "povey", "hamming", "hann", NULL };

static const weft_prop_desc descs[] = {
    { sizeof(weft_prop_desc), WEFT_PROP_BOOL, "b", "", "true", NULL, 0, 0,
      NULL, 0, 0 },
    { sizeof(weft_prop_desc), WEFT_PROP_INT, "rate", "", "16000", "Hz", 8000,
      48000, NULL, 0, WEFT_PROP_HAS_MIN | WEFT_PROP_HAS_MAX },
    { sizeof(weft_prop_desc), WEFT_PROP_INT, "n", "", "0", NULL, 0, 0, NULL,
      0, 0 },
    { sizeof(weft_prop_desc), WEFT_PROP_INT, "t", "", "0", "s", 0, 0, NULL,
      0, 0 },
    { sizeof(weft_prop_desc), WEFT_PROP_FLOAT, "w", "", "0.025", "s", 0, 10,
      NULL, 0, WEFT_PROP_HAS_MIN | WEFT_PROP_HAS_MAX },
    { sizeof(weft_prop_desc), WEFT_PROP_FLOAT, "f", "", "1", "dB", 0, 0, NULL,
      0, 0 },
    { sizeof(weft_prop_desc), WEFT_PROP_STRING, "s", "", "x", NULL, 0, 0,
      NULL, 0, 0 },
    { sizeof(weft_prop_desc), WEFT_PROP_PATH, "p", "", "x", NULL, 0, 0, NULL,
      0, 0 },
    { sizeof(weft_prop_desc), WEFT_PROP_ENUM, "e", "", "hann", NULL, 0, 0,
      choices, 0, 0 },
    { sizeof(weft_prop_desc), WEFT_PROP_LIST, "li", "", "[]", "Hz", 0, 0,
      NULL, WEFT_PROP_INT, 0 },
    { sizeof(weft_prop_desc), WEFT_PROP_LIST, "lf", "", "[]", "s", 0, 0,
      NULL, WEFT_PROP_FLOAT, 0 },
    { sizeof(weft_prop_desc), WEFT_PROP_LIST, "ls", "", "[]", NULL, 0, 0,
      NULL, WEFT_PROP_STRING, 0 },
    { sizeof(weft_prop_desc), WEFT_PROP_LIST, "le", "", "[]", NULL, 0, 0,
      choices, WEFT_PROP_ENUM, 0 },
};

static void fuzz_props(const char *text)
{
    for (size_t i = 0; i < sizeof descs / sizeof *descs; i++) {
        weft_prop_desc d = descs[i];
        weft_value *v = NULL, *w = NULL, *c;
        char err[128];
        char *s, *s2;

        d.default_value = text;
        (void)weft_prop_desc_check(&d, err, sizeof err);
        if (weft_value_parse(&descs[i], text, &v, err, sizeof err) != 0) {
            CHECK(v == NULL);
            CHECK(err[0] != '\0');
            continue;
        }
        s = weft_value_to_string(v);
        CHECK(s != NULL);
        if (weft_value_parse(&descs[i], s, &w, err, sizeof err) != 0) {
            fprintf(stderr, "'%s' does not read back: %s\n", s, err);
            abort();
        }
        s2 = weft_value_to_string(w);
        CHECK(s2 && strcmp(s, s2) == 0);
        c = weft_value_copy(v);
        CHECK(c != NULL);
        free(s2);
        s2 = weft_value_to_string(c);
        CHECK(strcmp(s, s2) == 0);
        free(s);
        free(s2);
        weft_value_free(v);
        weft_value_free(w);
        weft_value_free(c);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1), *nl;
    weft_format *a, *b;

    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';

    fuzz_props(text);

    nl = strchr(text, '\n');
    if (nl)
        *nl = '\0';
    a = fuzz_one_format(text);
    b = nl ? fuzz_one_format(nl + 1) : NULL;
    if (a && b) {
        fuzz_pair(a, b);
        fuzz_pair(b, a);
    }
    weft_format_free(a);
    weft_format_free(b);
    free(text);
    return 0;
}
