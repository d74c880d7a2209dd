/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-format.c: port formats: parsing, printing, intersection, subset,
 * equality, fixation, getters and builders (weft/format.h).
 */
#include <weft/format.h>

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parse @s or fail the test, naming the parser's reason. */
static weft_format *P(const char *s)
{
    weft_format *f = NULL;
    char err[128] = "";
    int rc = weft_format_parse(s, &f, err, sizeof err);
    ck_assert_msg(rc == 0, "parse '%s': %d %s", s, rc, err);
    ck_assert_ptr_nonnull(f);
    return f;
}

/* The canonical text of @in is @canon, and it parses back to an equal format. */
static void check_print(const char *in, const char *canon)
{
    weft_format *f = P(in), *g;
    char *s = weft_format_to_string(f);
    ck_assert_ptr_nonnull(s);
    ck_assert_str_eq(s, canon);
    g = P(s);
    ck_assert_msg(weft_format_equal(f, g), "round trip of '%s'", in);
    free(s);
    weft_format_free(f);
    weft_format_free(g);
}

/* Parsing @in fails with WEFT_EPARSE and a message equal to @msg. */
static void check_error(const char *in, const char *msg)
{
    weft_format *f = (weft_format *)1;
    char err[160] = "";
    int rc = weft_format_parse(in, &f, err, sizeof err);
    ck_assert_msg(rc == WEFT_EPARSE, "'%s' parsed (rc %d)", in, rc);
    ck_assert_ptr_null(f);
    ck_assert_msg(strcmp(err, msg) == 0, "'%s': got \"%s\", want \"%s\"", in,
                  err, msg);
}

/* a ∩ b prints as @want (NULL: empty, with reason @why). */
static void check_isect(const char *a, const char *b, const char *want,
                        const char *why)
{
    weft_format *fa = P(a), *fb = P(b), *r;
    char reason[128] = "x";

    r = weft_format_intersect(fa, fb, reason, sizeof reason);
    if (want) {
        char *s;
        ck_assert_msg(r != NULL, "%s ∩ %s empty: %s", a, b, reason);
        s = weft_format_to_string(r);
        ck_assert_msg(strcmp(s, want) == 0, "%s ∩ %s = '%s', want '%s'", a,
                      b, s, want);
        ck_assert(weft_format_can_intersect(fa, fb));
        /* The result accepts nothing either side rejects. */
        ck_assert_msg(weft_format_is_subset(r, fa), "%s not ⊆ %s", s, a);
        ck_assert_msg(weft_format_is_subset(r, fb), "%s not ⊆ %s", s, b);
        free(s);
    } else {
        ck_assert_msg(r == NULL, "%s ∩ %s not empty", a, b);
        ck_assert(!weft_format_can_intersect(fa, fb));
        if (why)
            ck_assert_str_eq(reason, why);
    }
    weft_format_free(r);
    weft_format_free(fa);
    weft_format_free(fb);
}

static void check_subset(const char *sub, const char *super, bool want)
{
    weft_format *a = P(sub), *b = P(super);
    ck_assert_msg(weft_format_is_subset(a, b) == want, "%s ⊆ %s should be %d",
                  sub, super, want);
    weft_format_free(a);
    weft_format_free(b);
}

static void check_fixate(const char *in, const char *want)
{
    weft_format *f = P(in), *x = weft_format_fixate(f);
    char *s;
    ck_assert_ptr_nonnull(x);
    s = weft_format_to_string(x);
    ck_assert_str_eq(s, want);
    ck_assert_msg(weft_format_is_subset(x, f), "fixation of %s escapes", in);
    free(s);
    weft_format_free(x);
    weft_format_free(f);
}

/* ------------------------------------------------------------- parsing */

START_TEST(test_parse_basic)
{
    weft_format *f = P("audio/pcm rate=16000 channels=1 dtype=f32");
    int64_t i;
    double d;
    const char *s;

    ck_assert_str_eq(weft_format_media(f), "audio/pcm");
    ck_assert(!weft_format_is_any(f));
    ck_assert_uint_eq(weft_format_n_fields(f), 3);
    ck_assert_str_eq(weft_format_field_name(f, 0), "rate");
    ck_assert_str_eq(weft_format_field_name(f, 2), "dtype");
    ck_assert_ptr_null(weft_format_field_name(f, 3));
    ck_assert_int_eq(weft_format_get_int(f, "rate", &i), 0);
    ck_assert_int_eq(i, 16000);
    ck_assert_int_eq(weft_format_get_float(f, "rate", &d), 0);
    ck_assert(d == 16000.0);
    ck_assert_int_eq(weft_format_get_string(f, "dtype", &s), 0);
    ck_assert_str_eq(s, "f32");
    ck_assert(weft_format_is_fixed(f));
    weft_format_free(f);

    f = P("  text  ");
    ck_assert_str_eq(weft_format_media(f), "text");
    ck_assert_uint_eq(weft_format_n_fields(f), 0);
    weft_format_free(f);

    f = P("any");
    ck_assert(weft_format_is_any(f));
    ck_assert(!weft_format_is_fixed(f));
    weft_format_free(f);
}
END_TEST

START_TEST(test_parse_types)
{
    weft_format *f = P("x/y a=1 b=-2.5 c=word d=\"two words\" e=true f=false "
                       "g=[1,5] h=[0.5,2] i={1,2}");
    ck_assert_uint_eq(weft_format_field_type(f, "a"), WEFT_FV_INT);
    ck_assert_uint_eq(weft_format_field_type(f, "b"), WEFT_FV_FLOAT);
    ck_assert_uint_eq(weft_format_field_type(f, "c"), WEFT_FV_STRING);
    ck_assert_uint_eq(weft_format_field_type(f, "d"), WEFT_FV_STRING);
    ck_assert_uint_eq(weft_format_field_type(f, "e"), WEFT_FV_BOOL);
    ck_assert_uint_eq(weft_format_field_type(f, "f"), WEFT_FV_BOOL);
    ck_assert_uint_eq(weft_format_field_type(f, "g"), WEFT_FV_INT_RANGE);
    ck_assert_uint_eq(weft_format_field_type(f, "h"), WEFT_FV_FLOAT_RANGE);
    ck_assert_uint_eq(weft_format_field_type(f, "i"), WEFT_FV_LIST);
    weft_format_free(f);
}
END_TEST

START_TEST(test_parse_types2)
{
    weft_format *f = P("x/y shape=[T,13] k=1e3 l=.5 m=+7 n=-0 o=[1,2.5]");
    ck_assert_uint_eq(weft_format_field_type(f, "shape"), WEFT_FV_SHAPE);
    ck_assert_uint_eq(weft_format_field_type(f, "k"), WEFT_FV_FLOAT);
    ck_assert_uint_eq(weft_format_field_type(f, "l"), WEFT_FV_FLOAT);
    ck_assert_uint_eq(weft_format_field_type(f, "m"), WEFT_FV_INT);
    ck_assert_uint_eq(weft_format_field_type(f, "n"), WEFT_FV_INT);
    /* One float bound makes a float range. */
    ck_assert_uint_eq(weft_format_field_type(f, "o"), WEFT_FV_FLOAT_RANGE);
    ck_assert_uint_eq(weft_format_field_type(f, "absent"), WEFT_FV_NONE);
    weft_format_free(f);
}
END_TEST

START_TEST(test_parse_strings)
{
    weft_format *f = P("text path=\"a \\\"b\\\"\\n\\t\\\\ \\x41\\x7e{}[],=\" "
                       "bare=models/en/tokens.txt:v1+x-y");
    const char *s;
    char *out;
    weft_format *g;

    ck_assert_int_eq(weft_format_get_string(f, "path", &s), 0);
    ck_assert_str_eq(s, "a \"b\"\n\t\\ A~{}[],=");
    ck_assert_int_eq(weft_format_get_string(f, "bare", &s), 0);
    ck_assert_str_eq(s, "models/en/tokens.txt:v1+x-y");
    out = weft_format_to_string(f);
    ck_assert_str_eq(out, "text path=\"a \\\"b\\\"\\n\\t\\\\ A~{}[],=\" "
                          "bare=models/en/tokens.txt:v1+x-y");
    g = P(out);
    ck_assert(weft_format_equal(f, g));
    free(out);
    weft_format_free(f);
    weft_format_free(g);

    /* Strings that would read back as something else get quoted. */
    f = weft_format_new("text");
    ck_assert_int_eq(weft_format_set_string(f, "a", "true"), 0);
    ck_assert_int_eq(weft_format_set_string(f, "b", "16000"), 0);
    ck_assert_int_eq(weft_format_set_string(f, "c", ""), 0);
    ck_assert_int_eq(weft_format_set_string(f, "d", "\x01\x7f\xc3\xa9"), 0);
    ck_assert_int_eq(weft_format_set_string(f, "e", "*"), 0);
    out = weft_format_to_string(f);
    ck_assert_str_eq(out, "text a=\"true\" b=\"16000\" c=\"\" "
                          "d=\"\\x01\\x7f\xc3\xa9\" e=\"*\"");
    g = P(out);
    ck_assert(weft_format_equal(f, g));
    free(out);
    weft_format_free(f);
    weft_format_free(g);

    /* \x takes at most two hex digits, as the printer assumes. */
    f = P("text a=\"\\x414\"");
    ck_assert_int_eq(weft_format_get_string(f, "a", &s), 0);
    ck_assert_str_eq(s, "A4");
    weft_format_free(f);
}
END_TEST

START_TEST(test_print_canonical)
{
    check_print("audio/pcm   rate=16000\tchannels = 1 dtype=f32",
                "audio/pcm rate=16000 channels=1 dtype=f32");
    check_print("audio/pcm rate=[8000, 48000] channels={ 1 , 2 } dtype=f32",
                "audio/pcm rate=[8000,48000] channels={1,2} dtype=f32");
    check_print("x a=0.1 b=1.0 c=1e20 d=-2.5e-7 e=100.0 f=[0,1.5] g=1.",
                "x a=0.1 b=1.0 c=1e+20 d=-2.5e-07 e=100.0 f=[0.0,1.5] g=1.0");
    check_print("x a=0.30000000000000004 b=1.7976931348623157e308",
                "x a=0.30000000000000004 b=1.7976931348623157e+308");
    check_print("x a=-9223372036854775808 b=9223372036854775807",
                "x a=-9223372036854775808 b=9223372036854775807");
    check_print("tensor dtype=f32 shape=[ T , 13,* ]",
                "tensor dtype=f32 shape=[T,13,*]");
    check_print("tensor shape=*", "tensor shape=*");
    check_print("tensor shape=[]", "tensor shape=[]");
    check_print("message schema=intent ok=true", "message schema=intent ok=true");
    check_print("x l={a,\"b c\",3,2.5,false}", "x l={a,\"b c\",3,2.5,false}");
    check_print("any", "any");
}
END_TEST

START_TEST(test_print_negzero)
{
    check_print("x a=-0.0", "x a=-0.0");
}
END_TEST

START_TEST(test_parse_errors)
{
    check_error("", "at 0: expected a media type");
    check_error("   ", "at 3: expected a media type");
    check_error("rate=5", "at 4: invalid character '=' in media type");
    check_error("1audio", "at 0: expected a media type");
    check_error("audio/pcm rate", "at 14: expected '=' after 'rate'");
    check_error("audio/pcm rate 5", "at 15: expected '=' after 'rate'");
    check_error("audio/pcm =5", "at 10: expected a field name");
    check_error("audio/pcm rate=", "at 15: expected a value, got the end");
    check_error("audio/pcm rate=16k", "at 15: invalid number '16k'");
    check_error("audio/pcm rate=1.2.3", "at 15: invalid number '1.2.3'");
    check_error("audio/pcm rate=99999999999999999999",
                "at 15: integer out of range");
    check_error("audio/pcm rate=1e999", "at 15: number out of range");
    /* NaN and infinity are not numbers here; "nan" alone is a bare word. */
    check_error("audio/pcm rate=-nan", "at 15: invalid number '-nan'");
    check_error("audio/pcm rate=+inf", "at 15: invalid number '+inf'");
    check_error("audio/pcm rate=[8000 48000]",
                "at 21: expected ',' in range");
    check_error("audio/pcm rate=[8000,48000",
                "at 26: expected ']' to close the range");
    check_error("audio/pcm rate=[8000,48000,1]",
                "at 26: expected ']' to close the range");
    check_error("audio/pcm rate=[48000,8000]",
                "at 15: empty range: 48000 > 8000");
    check_error("audio/pcm rate=[2.5,1]",
                "at 15: empty range: lower bound above upper bound");
    check_error("audio/pcm rate=[a,b]", "at 16: range bounds must be numbers");
    check_error("audio/pcm rate={}", "at 15: empty list");
    check_error("audio/pcm rate={1 2}", "at 18: expected ',' or '}' in list");
    check_error("audio/pcm rate={1,}", "at 18: expected a value, got '}'");
    check_error("audio/pcm rate=16000 rate=8000",
                "at 21: duplicate field 'rate'");
    check_error("audio/pcm rate=16000x", "at 15: invalid number '16000x'");
    check_error("audio/pcm rate=[1,2]x",
                "at 20: unexpected 'x' after the value of 'rate'");
    check_error("x s=\"abc", "at 4: unterminated string");
    check_error("x s=\"a\\qb\"", "at 6: invalid escape '\\q'");
    check_error("x s=\"a\\x00\"", "at 6: \\x00 is not allowed in a string");
    check_error("x s=\"a\\xg\"", "at 6: \\x needs hex digits");
    check_error("x s=\"abc\\", "at 4: unterminated string");
    check_error("x s=a*b", "at 5: unexpected character '*'");
    check_error("x s=*", "at 4: '*' is only allowed in shape");
    check_error("x s=@", "at 4: unexpected character '@'");
    check_error("x shape=5", "at 8: shape must be [d0,d1,...] or *");
    check_error("x shape=[T,-1]", "at 11: negative dimension");
    check_error("x shape=[T,1.5]", "at 11: invalid dimension '1.5'");
    check_error("x shape=[T;1]",
                "at 10: unexpected character ';' in dimension name");
    check_error("x shape=[T 1]", "at 11: expected ',' or ']' in shape");
    check_error("x shape=[1,2,3,4,5,6,7,8,9]",
                "at 25: shape has more than 8 dimensions");
    check_error("x shape=[99999999999999999999]",
                "at 9: dimension out of range");
    check_error("x shape=[,]",
                "at 9: expected a dimension (a size, a name or *)");
    check_error("x -0.0=1", "at 2: expected a field name");
    /* Outside `shape`, brackets hold a numeric range. */
    check_error("x dims=[T,13]", "at 8: range bounds must be numbers");
}
END_TEST

START_TEST(test_parse_error_args)
{
    weft_format *f = (weft_format *)1;
    char err[8];

    ck_assert_int_eq(weft_format_parse(NULL, &f, NULL, 0), WEFT_EINVAL);
    ck_assert_ptr_null(f);
    ck_assert_int_eq(weft_format_parse("text", NULL, NULL, 0), WEFT_EINVAL);
    /* A short buffer truncates the message but stays terminated. */
    ck_assert_int_eq(weft_format_parse("x a=", &f, err, sizeof err),
                     WEFT_EPARSE);
    ck_assert_uint_eq(strlen(err), sizeof err - 1);
    ck_assert_int_eq(weft_format_parse("x a=", &f, NULL, 0), WEFT_EPARSE);
}
END_TEST

/* -------------------------------------------------------- intersection */

START_TEST(test_isect_scalars)
{
    check_isect("audio/pcm rate=16000", "audio/pcm rate=16000",
                "audio/pcm rate=16000", NULL);
    check_isect("audio/pcm rate=16000 channels=1", "audio/pcm rate=44100",
                NULL, "rate: 16000 vs 44100");
    check_isect("audio/pcm dtype=f32", "audio/pcm dtype=s16", NULL,
                "dtype: f32 vs s16");
    check_isect("x a=true", "x a=false", NULL, "a: true vs false");
    check_isect("x a=\"f32\"", "x a=f32", "x a=f32", NULL);
    /* Type mismatch: a string never equals a number. */
    check_isect("x a=\"1\"", "x a=1", NULL, "a: \"1\" vs 1");
    /* An int and a float match when the float is that integer; the int
     * survives. */
    check_isect("x a=16000.0", "x a=16000", "x a=16000", NULL);
    check_isect("x a=16000", "x a=16000.5", NULL, "a: 16000 vs 16000.5");
    check_isect("x a=0.5", "x a=0.5", "x a=0.5", NULL);
    check_isect("audio/pcm", "text", NULL, "media type: audio/pcm vs text");
}
END_TEST

START_TEST(test_isect_missing_fields)
{
    /* Absent fields do not constrain; @a's fields come first. */
    check_isect("audio/pcm rate=16000", "audio/pcm channels=1 dtype=f32",
                "audio/pcm rate=16000 channels=1 dtype=f32", NULL);
    check_isect("audio/pcm channels=1 rate=16000", "audio/pcm rate=16000 x=y",
                "audio/pcm channels=1 rate=16000 x=y", NULL);
    check_isect("audio/pcm", "audio/pcm rate=[1,2]", "audio/pcm rate=[1,2]",
                NULL);
}
END_TEST

START_TEST(test_isect_any)
{
    check_isect("any", "audio/pcm rate=16000", "audio/pcm rate=16000", NULL);
    check_isect("audio/pcm rate=16000", "any", "audio/pcm rate=16000", NULL);
    check_isect("any", "any", "any", NULL);
    /* Fields on `any` still constrain. */
    check_isect("any rate=8000", "audio/pcm rate=16000", NULL,
                "rate: 8000 vs 16000");
}
END_TEST

START_TEST(test_isect_ranges)
{
    check_isect("x r=[8000,48000]", "x r=16000", "x r=16000", NULL);
    check_isect("x r=16000", "x r=[8000,48000]", "x r=16000", NULL);
    check_isect("x r=[8000,48000]", "x r=96000", NULL,
                "r: [8000,48000] vs 96000");
    check_isect("x r=[8000,48000]", "x r=[16000,96000]", "x r=[16000,48000]",
                NULL);
    check_isect("x r=[8000,16000]", "x r=[16000,96000]", "x r=16000", NULL);
    check_isect("x r=[1,2]", "x r=[3,4]", NULL, "r: [1,2] vs [3,4]");
    /* Int range vs float value: only integral floats are in an int range. */
    check_isect("x r=[8000,48000]", "x r=44100.0", "x r=44100", NULL);
    check_isect("x r=[1,5]", "x r=2.5", NULL, "r: [1,5] vs 2.5");
    check_isect("x r=[1,5]", "x r=1e300", NULL, NULL);
    /* Float range vs int value: the int survives. */
    check_isect("x r=[0.5,1.5]", "x r=1", "x r=1", NULL);
    check_isect("x r=[0.5,1.5]", "x r=2", NULL, "r: [0.5,1.5] vs 2");
    check_isect("x r=[0.5,1.5]", "x r=0.75", "x r=0.75", NULL);
    check_isect("x r=[0.5,1.5]", "x r=[1.0,2.5]", "x r=[1.0,1.5]", NULL);
    check_isect("x r=[0.5,1.5]", "x r=[1.5,2.5]", "x r=1.5", NULL);
    /* Int range ∩ float range: the integers in both. */
    check_isect("x r=[0,10]", "x r=[2.5,7.5]", "x r=[3,7]", NULL);
    check_isect("x r=[2.5,7.5]", "x r=[0,10]", "x r=[3,7]", NULL);
    check_isect("x r=[0,10]", "x r=[2.5,3.5]", "x r=3", NULL);
    check_isect("x r=[0,10]", "x r=[2.2,2.8]", NULL, NULL);
    check_isect("x r=[0,10]", "x r=[-1e300,1e300]", "x r=[0,10]", NULL);
    check_isect("x r=[-9223372036854775808,9223372036854775807]",
                "x r=[1e300,2e300]", NULL, NULL);
    check_isect("x r=[-9223372036854775808,9223372036854775807]",
                "x r=[-2e300,-1e300]", NULL, NULL);
    /* Ranges never match strings. */
    check_isect("x r=[1,2]", "x r=one", NULL, "r: [1,2] vs one");
}
END_TEST

START_TEST(test_isect_lists)
{
    check_isect("x c={1,2}", "x c=2", "x c=2", NULL);
    check_isect("x c=2", "x c={1,2}", "x c=2", NULL);
    check_isect("x c={1,2}", "x c=3", NULL, "c: {1,2} vs 3");
    /* @a's order is kept: it is the order of preference. */
    check_isect("x c={4,3,2,1}", "x c={1,2,3}", "x c={3,2,1}", NULL);
    check_isect("x c={1,2,3}", "x c={4,3,2,1}", "x c={1,2,3}", NULL);
    check_isect("x c={1,2}", "x c={3,4}", NULL, "c: {1,2} vs {3,4}");
    check_isect("x d={f32,s16}", "x d={s16,u8}", "x d=s16", NULL);
    /* List ∩ range keeps the items in range, in the list's order. */
    check_isect("x r={8000,16000,44100,96000}", "x r=[11025,48000]",
                "x r={16000,44100}", NULL);
    check_isect("x r=[11025,48000]", "x r={96000,44100,16000}",
                "x r={44100,16000}", NULL);
    check_isect("x r={1.5,2,2.5}", "x r=[1,3]", "x r=2", NULL);
    check_isect("x r={1.5,2,2.5}", "x r=[1.0,3.0]", "x r={1.5,2,2.5}", NULL);
    /* Duplicates collapse: 2 and 2.0 are the same value. */
    check_isect("x r={2,2.0,3}", "x r={2,3}", "x r={2,3}", NULL);
    check_isect("x r={2.0,3.0}", "x r={2,3}", "x r={2,3}", NULL);
}
END_TEST

START_TEST(test_isect_shapes)
{
    check_isect("tensor shape=*", "tensor shape=[T,13]",
                "tensor shape=[T,13]", NULL);
    check_isect("tensor shape=[T,13]", "tensor shape=*",
                "tensor shape=[T,13]", NULL);
    check_isect("tensor shape=[T,13]", "tensor shape=[100,13]",
                "tensor shape=[100,13]", NULL);
    check_isect("tensor shape=[T,*]", "tensor shape=[*,40]",
                "tensor shape=[T,40]", NULL);
    check_isect("tensor shape=[*,*]", "tensor shape=[N,*]",
                "tensor shape=[N,*]", NULL);
    check_isect("tensor shape=[T,13]", "tensor shape=[N,13]",
                "tensor shape=[T,13]", NULL);
    check_isect("tensor shape=[T,13]", "tensor shape=[T,40]", NULL,
                "shape: [T,13] vs [T,40]");
    check_isect("tensor shape=[T,13]", "tensor shape=[1,T,13]", NULL,
                "shape: [T,13] vs [1,T,13]");
    check_isect("tensor shape=[]", "tensor shape=[*]", NULL, NULL);
    check_isect("tensor shape=[]", "tensor shape=*", "tensor shape=[]", NULL);
    check_isect("tensor dtype=f32 shape=[T,13]", "tensor shape=[7,*] dtype=f32",
                "tensor dtype=f32 shape=[7,13]", NULL);
}
END_TEST

START_TEST(test_isect_null)
{
    weft_format *f = P("text");
    char why[16] = "junk";
    ck_assert_ptr_null(weft_format_intersect(NULL, f, why, sizeof why));
    ck_assert_str_eq(why, "");
    ck_assert_ptr_null(weft_format_intersect(f, NULL, NULL, 0));
    ck_assert(!weft_format_can_intersect(NULL, f));
    weft_format_free(f);
}
END_TEST

START_TEST(test_isect_why_truncated)
{
    weft_format *a = P("x rate=16000"), *b = P("x rate=44100");
    char why[8];
    ck_assert_ptr_null(weft_format_intersect(a, b, why, sizeof why));
    ck_assert_str_eq(why, "rate: 1");
    weft_format_free(a);
    weft_format_free(b);
}
END_TEST

/* -------------------------------------------------------------- subset */

START_TEST(test_subset)
{
    check_subset("audio/pcm rate=16000", "audio/pcm rate=16000", true);
    check_subset("audio/pcm rate=16000 channels=1", "audio/pcm rate=16000",
                 true);
    /* A field @super constrains but @sub leaves free: not a subset. */
    check_subset("audio/pcm", "audio/pcm rate=16000", false);
    check_subset("audio/pcm rate=16000", "audio/pcm", true);
    check_subset("audio/pcm rate=16000", "any", true);
    check_subset("any", "audio/pcm", false);
    check_subset("any", "any", true);
    check_subset("text", "audio/pcm", false);
    check_subset("x r=16000", "x r=[8000,48000]", true);
    check_subset("x r=[8000,16000]", "x r=[8000,48000]", true);
    check_subset("x r=[8000,96000]", "x r=[8000,48000]", false);
    check_subset("x r=[8000,48000]", "x r=16000", false);
    check_subset("x r=[5,5]", "x r=5", true);
    check_subset("x r={8000,16000}", "x r=[8000,48000]", true);
    check_subset("x r={8000,96000}", "x r=[8000,48000]", false);
    check_subset("x r=16000", "x r={8000,16000}", true);
    check_subset("x r=[1,3]", "x r={1,2,3}", true);
    check_subset("x r=[1,4]", "x r={1,2,3}", false);
    check_subset("x r=[1,3]", "x r={3,1,2.0}", true);
    check_subset("x r=[-9223372036854775808,9223372036854775807]",
                 "x r={1,2,3}", false);
    check_subset("x r=[1,3]", "x r=[0.5,3.5]", true);
    check_subset("x r=[1.0,3.0]", "x r=[1,3]", false);
    check_subset("x r=[2.0,2.0]", "x r=[1,3]", true);
    check_subset("x r=[2.0,2.0]", "x r={2,3}", true);
    check_subset("x r=2.5", "x r=[1,3]", false);
    check_subset("x r=2.0", "x r=[1,3]", true);
    check_subset("x r=[1.0,2.0]", "x r=[0.5,2.5]", true);
    check_subset("x s=a", "x s={a,b}", true);
    check_subset("x s=c", "x s={a,b}", false);
    check_subset("x s=\"1\"", "x s=1", false);
    check_subset("t shape=[100,13]", "t shape=[T,13]", true);
    check_subset("t shape=[T,13]", "t shape=[T,13]", true);
    check_subset("t shape=[T,13]", "t shape=[100,13]", false);
    check_subset("t shape=[T,13]", "t shape=*", true);
    check_subset("t shape=*", "t shape=[T,13]", false);
    check_subset("t shape=[T,13]", "t shape=[T,13,1]", false);
    check_subset("t shape=[*,13]", "t shape=[U,*]", true);
    ck_assert(!weft_format_is_subset(NULL, NULL));
}
END_TEST

/* ------------------------------------------------------------ equality */

START_TEST(test_equal)
{
    weft_format *a = P("audio/pcm rate=16000 channels=1 dtype=f32");
    weft_format *b = P("audio/pcm dtype=f32 channels=1 rate=16000");
    weft_format *c = P("audio/pcm dtype=f32 channels=1 rate=16000.0");
    weft_format *d = P("audio/pcm dtype=f32 channels=1");
    weft_format *e = P("audio/raw rate=16000 channels=1 dtype=f32");
    weft_format *l1 = P("x c={1,2}"), *l2 = P("x c={2,1}"), *l3 = P("x c={1,2}");
    weft_format *s1 = P("t shape=[T,1]"), *s2 = P("t shape=[N,1]");
    weft_format *s3 = P("t shape=[*,1]");

    /* Field order does not matter. */
    ck_assert(weft_format_equal(a, b));
    ck_assert(weft_format_equal(b, a));
    /* Equality is structural: an int and a float differ. */
    ck_assert(!weft_format_equal(a, c));
    ck_assert(!weft_format_equal(a, d));
    ck_assert(!weft_format_equal(d, a));
    ck_assert(!weft_format_equal(a, e));
    /* List order is preference order, so it matters. */
    ck_assert(!weft_format_equal(l1, l2));
    ck_assert(weft_format_equal(l1, l3));
    ck_assert(!weft_format_equal(s1, s2));
    ck_assert(!weft_format_equal(s1, s3));
    ck_assert(weft_format_equal(NULL, NULL));
    ck_assert(!weft_format_equal(a, NULL));

    weft_format_free(a);
    weft_format_free(b);
    weft_format_free(c);
    weft_format_free(d);
    weft_format_free(e);
    weft_format_free(l1);
    weft_format_free(l2);
    weft_format_free(l3);
    weft_format_free(s1);
    weft_format_free(s2);
    weft_format_free(s3);
}
END_TEST

START_TEST(test_round_trip)
{
    static const char *const cases[] = {
        "audio/pcm rate=16000 channels=1 dtype=f32",
        "audio/pcm rate=[8000,48000] channels={1,2} dtype=f32",
        "tensor dtype=f32 shape=[T,13] vocab=\"models/en/tokens.txt\"",
        "text",
        "message schema=intent",
        "any",
        "x a=1e-300 b=5e-324 c=123456789.123 d=[-1.5,1e10] e={x,\"y z\",1}",
        "x q=\"\\\"\\\\\\n\\r\\t\\a\\b\\f\\v\\x1b\"",
        "tensor shape=[1,2,3,4,5,6,7,8]",
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        weft_format *f = P(cases[i]), *g, *c;
        char *s = weft_format_to_string(f), *s2;
        g = P(s);
        ck_assert_msg(weft_format_equal(f, g), "%s -> %s", cases[i], s);
        s2 = weft_format_to_string(g);
        ck_assert_str_eq(s, s2);
        c = weft_format_copy(f);
        ck_assert(weft_format_equal(f, c));
        free(s);
        free(s2);
        weft_format_free(f);
        weft_format_free(g);
        weft_format_free(c);
    }
}
END_TEST

/* ------------------------------------------------------------ fixation */

START_TEST(test_fixate)
{
    check_fixate("audio/pcm rate=[8000,48000] channels={2,1} dtype=f32",
                 "audio/pcm rate=8000 channels=2 dtype=f32");
    check_fixate("x a=[0.5,2.5] b={s16,f32} c=true",
                 "x a=0.5 b=s16 c=true");
    /* Named dimensions are run-time variable and stay named. */
    check_fixate("tensor shape=[T,13]", "tensor shape=[T,13]");
    check_fixate("tensor shape=*", "tensor shape=*");
    check_fixate("any rate={1,2}", "any rate=1");

    weft_format *f = P("x a=[1,2]"), *g;
    ck_assert(!weft_format_is_fixed(f));
    g = weft_format_fixate(f);
    ck_assert(weft_format_is_fixed(g));
    weft_format_free(f);
    weft_format_free(g);
    f = P("x a={1}");
    ck_assert(!weft_format_is_fixed(f));
    weft_format_free(f);
    f = P("tensor shape=[T,*]");
    ck_assert(weft_format_is_fixed(f));
    weft_format_free(f);
    f = P("any");
    g = weft_format_fixate(f);
    ck_assert(!weft_format_is_fixed(g));
    weft_format_free(f);
    weft_format_free(g);
    ck_assert_ptr_null(weft_format_fixate(NULL));
    ck_assert(!weft_format_is_fixed(NULL));
}
END_TEST

/* ------------------------------------------------------------- getters */

START_TEST(test_getters)
{
    weft_format *f = P("x i=5 f=2.5 s=abc b=true r=[1,2] l={1,2} "
                       "shape=[T,13,*]");
    int64_t i = 0;
    double d = 0;
    const char *s = NULL;
    bool b = false;
    int32_t nd = 0;
    int64_t dims[4] = { 0 };
    const char *names[4] = { "junk", "junk", "junk", "junk" };

    ck_assert_int_eq(weft_format_get_int(f, "i", &i), 0);
    ck_assert_int_eq(i, 5);
    ck_assert_int_eq(weft_format_get_int(f, "f", &i), WEFT_ETYPE);
    ck_assert_int_eq(weft_format_get_int(f, "r", &i), WEFT_ETYPE);
    ck_assert_int_eq(weft_format_get_int(f, "l", &i), WEFT_ETYPE);
    ck_assert_int_eq(weft_format_get_int(f, "none", &i), WEFT_ENOENT);
    ck_assert_int_eq(weft_format_get_float(f, "f", &d), 0);
    ck_assert(d == 2.5);
    ck_assert_int_eq(weft_format_get_float(f, "i", &d), 0);
    ck_assert(d == 5.0);
    ck_assert_int_eq(weft_format_get_float(f, "s", &d), WEFT_ETYPE);
    ck_assert_int_eq(weft_format_get_string(f, "s", &s), 0);
    ck_assert_str_eq(s, "abc");
    ck_assert_int_eq(weft_format_get_string(f, "i", &s), WEFT_ETYPE);
    ck_assert_int_eq(weft_format_get_bool(f, "b", &b), 0);
    ck_assert(b);
    ck_assert_int_eq(weft_format_get_bool(f, "s", &b), WEFT_ETYPE);
    ck_assert_int_eq(weft_format_get_bool(f, "none", &b), WEFT_ENOENT);
    ck_assert_int_eq(weft_format_get_int(NULL, "i", &i), WEFT_EINVAL);
    ck_assert_int_eq(weft_format_get_int(f, NULL, &i), WEFT_EINVAL);
    ck_assert_int_eq(weft_format_get_int(f, "i", NULL), WEFT_EINVAL);

    ck_assert_int_eq(weft_format_get_shape(f, &nd, dims, names, 4), 0);
    ck_assert_int_eq(nd, 3);
    ck_assert_int_eq(dims[0], -1);
    ck_assert_int_eq(dims[1], 13);
    ck_assert_int_eq(dims[2], -1);
    ck_assert_str_eq(names[0], "T");
    ck_assert_ptr_null(names[1]);
    ck_assert_ptr_null(names[2]);
    ck_assert_str_eq(names[3], "junk");
    /* @cap limits what is written, not the rank reported. */
    dims[0] = dims[1] = 99;
    ck_assert_int_eq(weft_format_get_shape(f, &nd, dims, NULL, 1), 0);
    ck_assert_int_eq(nd, 3);
    ck_assert_int_eq(dims[0], -1);
    ck_assert_int_eq(dims[1], 99);
    ck_assert_int_eq(weft_format_get_shape(f, &nd, NULL, NULL, 0), 0);
    weft_format_free(f);

    f = P("tensor shape=*");
    ck_assert_int_eq(weft_format_get_shape(f, &nd, dims, names, 4), 0);
    ck_assert_int_eq(nd, -1);
    weft_format_free(f);
    f = P("tensor");
    ck_assert_int_eq(weft_format_get_shape(f, &nd, dims, names, 4),
                     WEFT_ENOENT);
    ck_assert_uint_eq(weft_format_field_type(f, NULL), WEFT_FV_NONE);
    weft_format_free(f);
    ck_assert_ptr_null(weft_format_media(NULL));
    ck_assert(!weft_format_is_any(NULL));
    ck_assert_uint_eq(weft_format_n_fields(NULL), 0);
    ck_assert_ptr_null(weft_format_field_name(NULL, 0));
    ck_assert_ptr_null(weft_format_to_string(NULL));
    ck_assert_ptr_null(weft_format_copy(NULL));
    weft_format_free(NULL);
}
END_TEST

/* ------------------------------------------------------------ builders */

START_TEST(test_builders)
{
    weft_format *f = weft_format_new("audio/pcm"), *g;
    const int64_t dims[3] = { -1, 13, -1 };
    const char *const names[3] = { "T", NULL, "*" };
    char *s;

    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(weft_format_set_int(f, "rate", 16000), 0);
    ck_assert_int_eq(weft_format_set_float(f, "gain", 0.5), 0);
    ck_assert_int_eq(weft_format_set_string(f, "dtype", "f32"), 0);
    ck_assert_int_eq(weft_format_set_bool(f, "live", true), 0);
    ck_assert_int_eq(weft_format_set_shape(f, 3, dims, names), 0);
    s = weft_format_to_string(f);
    ck_assert_str_eq(s, "audio/pcm rate=16000 gain=0.5 dtype=f32 live=true "
                        "shape=[T,13,*]");
    free(s);
    g = P("audio/pcm shape=[T,13,*] rate=16000 gain=0.5 live=true dtype=f32");
    ck_assert(weft_format_equal(f, g));
    weft_format_free(g);

    /* Setting an existing field replaces it in place. */
    ck_assert_int_eq(weft_format_set_string(f, "rate", "fast"), 0);
    ck_assert_int_eq(weft_format_set_shape(f, -1, NULL, NULL), 0);
    ck_assert_int_eq(weft_format_remove(f, "gain"), 0);
    ck_assert_int_eq(weft_format_remove(f, "gain"), WEFT_ENOENT);
    s = weft_format_to_string(f);
    ck_assert_str_eq(s, "audio/pcm rate=fast dtype=f32 live=true shape=*");
    free(s);
    ck_assert_int_eq(weft_format_remove(f, "shape"), 0);
    ck_assert_int_eq(weft_format_set_shape(f, 0, NULL, NULL), 0);
    s = weft_format_to_string(f);
    ck_assert_str_eq(s, "audio/pcm rate=fast dtype=f32 live=true shape=[]");
    free(s);

    /* Invalid arguments. */
    ck_assert_int_eq(weft_format_set_int(f, "shape", 3), WEFT_EINVAL);
    ck_assert_int_eq(weft_format_set_int(f, "bad name", 3), WEFT_EINVAL);
    ck_assert_int_eq(weft_format_set_int(f, "", 3), WEFT_EINVAL);
    ck_assert_int_eq(weft_format_set_int(f, NULL, 3), WEFT_EINVAL);
    ck_assert_int_eq(weft_format_set_int(NULL, "a", 3), WEFT_EINVAL);
    ck_assert_int_eq(weft_format_set_float(f, "a", NAN), WEFT_EINVAL);
    ck_assert_int_eq(weft_format_set_float(f, "a", INFINITY), WEFT_EINVAL);
    ck_assert_int_eq(weft_format_set_string(f, "a", NULL), WEFT_EINVAL);
    ck_assert_int_eq(weft_format_set_shape(f, 2, NULL, NULL), WEFT_EINVAL);
    ck_assert_int_eq(weft_format_set_shape(f, -2, NULL, NULL), WEFT_EINVAL);
    ck_assert_int_eq(weft_format_set_shape(f, 9, dims, NULL), WEFT_EINVAL);
    {
        const int64_t bad[1] = { -5 };
        const char *const badname[1] = { "no way" };
        const int64_t free1[1] = { -1 };
        ck_assert_int_eq(weft_format_set_shape(f, 1, bad, NULL), WEFT_EINVAL);
        ck_assert_int_eq(weft_format_set_shape(f, 1, free1, badname),
                         WEFT_EINVAL);
        /* No names: free dimensions are '*'. */
        ck_assert_int_eq(weft_format_set_shape(f, 1, free1, NULL), 0);
    }
    ck_assert_int_eq(weft_format_remove(f, NULL), WEFT_EINVAL);
    ck_assert_int_eq(weft_format_remove(NULL, "a"), WEFT_EINVAL);
    s = weft_format_to_string(f);
    ck_assert_str_eq(s, "audio/pcm rate=fast dtype=f32 live=true shape=[*]");
    free(s);
    weft_format_free(f);

    ck_assert_ptr_null(weft_format_new(NULL));
    ck_assert_ptr_null(weft_format_new(""));
    ck_assert_ptr_null(weft_format_new("audio pcm"));
    ck_assert_ptr_null(weft_format_new("1x"));
    f = weft_format_new("any");
    ck_assert(weft_format_is_any(f));
    weft_format_free(f);
}
END_TEST

/* Formats are immutable: a copy is independent of its source. */
START_TEST(test_copy_independent)
{
    weft_format *f = P("x a={1,2} shape=[T,3] s=str");
    weft_format *c = weft_format_copy(f);
    ck_assert_int_eq(weft_format_set_int(f, "a", 7), 0);
    ck_assert_int_eq(weft_format_remove(f, "shape"), 0);
    char *s = weft_format_to_string(c);
    ck_assert_str_eq(s, "x a={1,2} shape=[T,3] s=str");
    free(s);
    weft_format_free(f);
    weft_format_free(c);
}
END_TEST

static Suite *format_suite(void)
{
    Suite *s = suite_create("format");
    TCase *tc = tcase_create("parse");
    tcase_add_test(tc, test_parse_basic);
    tcase_add_test(tc, test_parse_types);
    tcase_add_test(tc, test_parse_types2);
    tcase_add_test(tc, test_parse_strings);
    tcase_add_test(tc, test_print_canonical);
    tcase_add_test(tc, test_print_negzero);
    tcase_add_test(tc, test_parse_errors);
    tcase_add_test(tc, test_parse_error_args);
    tcase_add_test(tc, test_round_trip);
    suite_add_tcase(s, tc);

    tc = tcase_create("negotiate");
    tcase_add_test(tc, test_isect_scalars);
    tcase_add_test(tc, test_isect_missing_fields);
    tcase_add_test(tc, test_isect_any);
    tcase_add_test(tc, test_isect_ranges);
    tcase_add_test(tc, test_isect_lists);
    tcase_add_test(tc, test_isect_shapes);
    tcase_add_test(tc, test_isect_null);
    tcase_add_test(tc, test_isect_why_truncated);
    tcase_add_test(tc, test_subset);
    tcase_add_test(tc, test_equal);
    tcase_add_test(tc, test_fixate);
    suite_add_tcase(s, tc);

    tc = tcase_create("access");
    tcase_add_test(tc, test_getters);
    tcase_add_test(tc, test_builders);
    tcase_add_test(tc, test_copy_independent);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(format_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
