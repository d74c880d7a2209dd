/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-prop.c: typed property values and descriptors (weft/prop.h).
 */
#include <weft/plugin.h>
#include <weft/prop.h>

#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const windows[] = { "povey", "hamming", "hann",
                                       "rectangular", NULL };

static const weft_prop_desc d_bool = WEFT_PROP_BOOLEAN("live", "false", "Live.");
static const weft_prop_desc d_rate =
    WEFT_PROP_INT("rate", "16000", 8000, 48000, "Hz", "Sample rate.");
static const weft_prop_desc d_count =
    WEFT_PROP_INT("count", "0", -1e30, 1e30, NULL, "A count.");
static const weft_prop_desc d_frames =
    WEFT_PROP_INT("hop", "160", 0, 1e12, "frames", "Hop.");
static const weft_prop_desc d_isec =
    WEFT_PROP_INT("timeout", "5", 0, 1e9, "s", "Timeout in seconds.");
static const weft_prop_desc d_dur =
    WEFT_PROP_FLOAT("window", "0.025", 0, 3600, "s", "Window length.");
static const weft_prop_desc d_freq =
    WEFT_PROP_FLOAT("low_freq", "20", 0, 1e9, "Hz", "Low cut-off.");
static const weft_prop_desc d_gain =
    WEFT_PROP_FLOAT("gain", "1.0", -1e300, 1e300, "dB", "Gain.");
static const weft_prop_desc d_plain =
    WEFT_PROP_FLOAT("alpha", "1.0", -1e300, 1e300, NULL, "Alpha.");
static const weft_prop_desc d_str = WEFT_PROP_STRING("label", "x", "Label.");
static const weft_prop_desc d_path = WEFT_PROP_PATH("path", NULL, "File.");
static const weft_prop_desc d_enum =
    WEFT_PROP_ENUM("window_type", "povey", windows, "Window.");
static const weft_prop_desc d_ilist =
    WEFT_PROP_LIST("sizes", "[1, 2, 3]", WEFT_PROP_INT, "Sizes.");
static const weft_prop_desc d_slist =
    WEFT_PROP_LIST("names", "[]", WEFT_PROP_STRING, "Names.");
static const weft_prop_desc d_elist =
    { sizeof(weft_prop_desc), WEFT_PROP_LIST, "windows", "Windows.",
      "[hann]", NULL, 0, 0, windows, WEFT_PROP_ENUM, 0 };
static const weft_prop_desc d_flist =
    { sizeof(weft_prop_desc), WEFT_PROP_LIST, "delays", "Delays.", "[]", "s",
      0, 1, NULL, WEFT_PROP_FLOAT, WEFT_PROP_HAS_MIN | WEFT_PROP_HAS_MAX };

/* Parse @text against @d or fail the test with the reason. */
static weft_value *V(const weft_prop_desc *d, const char *text)
{
    weft_value *v = NULL;
    char err[256] = "";
    int rc = weft_value_parse(d, text, &v, err, sizeof err);
    ck_assert_msg(rc == 0, "'%s' for %s: %d %s", text, d->name, rc, err);
    ck_assert_ptr_nonnull(v);
    ck_assert_str_eq(err, "");
    return v;
}

/* Parsing fails with @code and exactly @msg. */
static void check_error(const weft_prop_desc *d, const char *text, int code,
                        const char *msg)
{
    weft_value *v = (weft_value *)1;
    char err[256] = "";
    int rc = weft_value_parse(d, text, &v, err, sizeof err);
    ck_assert_msg(rc == code, "'%s' for %s: rc %d, want %d (%s)", text,
                  d->name, rc, code, err);
    ck_assert_ptr_null(v);
    ck_assert_msg(strcmp(err, msg) == 0, "'%s': got \"%s\", want \"%s\"",
                  text, err, msg);
}

static void check_int(const weft_prop_desc *d, const char *text, int64_t want)
{
    weft_value *v = V(d, text);
    ck_assert_uint_eq(weft_value_type(v), WEFT_PROP_INT);
    ck_assert_msg(weft_value_int(v) == want, "'%s' = %lld, want %lld", text,
                  (long long)weft_value_int(v), (long long)want);
    ck_assert(weft_value_float(v) == (double)want);
    weft_value_free(v);
}

static void check_float(const weft_prop_desc *d, const char *text, double want)
{
    weft_value *v = V(d, text);
    ck_assert_uint_eq(weft_value_type(v), WEFT_PROP_FLOAT);
    ck_assert_msg(weft_value_float(v) == want, "'%s' = %.17g, want %.17g",
                  text, weft_value_float(v), want);
    weft_value_free(v);
}

/* to_string(parse(text)) is @canon and parses back to the same text. */
static void check_print(const weft_prop_desc *d, const char *text,
                        const char *canon)
{
    weft_value *v = V(d, text), *w, *c;
    char *s = weft_value_to_string(v), *s2;
    ck_assert_ptr_nonnull(s);
    ck_assert_msg(strcmp(s, canon) == 0, "'%s' printed '%s', want '%s'",
                  text, s, canon);
    w = V(d, s);
    s2 = weft_value_to_string(w);
    ck_assert_str_eq(s, s2);
    c = weft_value_copy(v);
    free(s2);
    s2 = weft_value_to_string(c);
    ck_assert_str_eq(s, s2);
    free(s);
    free(s2);
    weft_value_free(v);
    weft_value_free(w);
    weft_value_free(c);
}

/* ---------------------------------------------------------------- bool */

START_TEST(test_bool)
{
    static const char *const yes[] = { "true", "TRUE", "True", "yes", "on",
                                       "1", "  true\t", "\"yes\"" };
    static const char *const no[] = { "false", "FALSE", "no", "No", "off",
                                      "0", " off " };
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++) {
        weft_value *v = V(&d_bool, yes[i]);
        ck_assert_uint_eq(weft_value_type(v), WEFT_PROP_BOOL);
        ck_assert_msg(weft_value_bool(v), "%s", yes[i]);
        weft_value_free(v);
    }
    for (size_t i = 0; i < sizeof no / sizeof *no; i++) {
        weft_value *v = V(&d_bool, no[i]);
        ck_assert_msg(!weft_value_bool(v), "%s", no[i]);
        weft_value_free(v);
    }
    check_error(&d_bool, "maybe", WEFT_EPARSE,
                "expected a boolean (true/false, yes/no, on/off, 1/0), got "
                "'maybe'");
    check_error(&d_bool, "", WEFT_EPARSE,
                "expected a boolean (true/false, yes/no, on/off, 1/0), got ''");
    check_error(&d_bool, "2", WEFT_EPARSE,
                "expected a boolean (true/false, yes/no, on/off, 1/0), got '2'");
    check_error(&d_bool, "truex", WEFT_EPARSE,
                "expected a boolean (true/false, yes/no, on/off, 1/0), got "
                "'truex'");
    check_print(&d_bool, " YES ", "true");
    check_print(&d_bool, "off", "false");
}
END_TEST

/* ----------------------------------------------------------------- int */

START_TEST(test_int)
{
    check_int(&d_rate, "16000", 16000);
    check_int(&d_rate, "  16000  ", 16000);
    check_int(&d_rate, "+16000", 16000);
    check_int(&d_rate, "16k", 16000);
    check_int(&d_rate, "16kHz", 16000);
    check_int(&d_rate, "16 kHz", 16000);
    check_int(&d_rate, "16000Hz", 16000);
    check_int(&d_rate, "44.1k", 44100);
    check_int(&d_rate, "22.050kHz", 22050);
    check_int(&d_rate, "0.048MHz", 48000);
    check_int(&d_rate, "0x3E80", 16000);
    check_int(&d_rate, "\"16k\"", 16000);
    check_int(&d_rate, "16000.000", 16000);
    check_int(&d_count, "-42", -42);
    check_int(&d_count, "0", 0);
    check_int(&d_count, "-0", 0);
    check_int(&d_count, "0x7fffffffffffffff", INT64_MAX);
    check_int(&d_count, "9223372036854775807", INT64_MAX);
    check_int(&d_count, "-9223372036854775808", INT64_MIN);
    check_int(&d_count, "-0x8000000000000000", INT64_MIN);
    check_int(&d_count, "007", 7);
    check_int(&d_frames, "2k", 2000);
    check_int(&d_frames, "3M", 3000000);
    check_int(&d_frames, "1G", 1000000000);
    check_int(&d_frames, "2kframes", 2000);
    check_int(&d_frames, "400 frames", 400);
    check_int(&d_isec, "2min", 120);
    check_int(&d_isec, "5s", 5);
    check_int(&d_isec, "5000ms", 5);
    check_int(&d_isec, "1.5min", 90);

    check_error(&d_rate, "65536", WEFT_ERANGE,
                "65536 is above the maximum 48000");
    check_error(&d_rate, "96k", WEFT_ERANGE,
                "96000 is above the maximum 48000");
    check_error(&d_rate, "100", WEFT_ERANGE, "100 is below the minimum 8000");
    check_error(&d_count, "9223372036854775808", WEFT_ERANGE,
                "'9223372036854775808' is out of range for a 64-bit integer");
    check_error(&d_count, "-9223372036854775809", WEFT_ERANGE,
                "'-9223372036854775809' is out of range for a 64-bit integer");
    check_error(&d_count, "0x10000000000000000", WEFT_ERANGE,
                "'0x10000000000000000' is out of range for a 64-bit integer");
    check_error(&d_count, "99999999999999999999999999", WEFT_ERANGE,
                "'99999999999999999999999999' is out of range for a 64-bit "
                "integer");
    check_error(&d_frames, "99999999999G", WEFT_ERANGE,
                "'99999999999G' is out of range for a 64-bit integer");
    check_error(&d_count, "1.5", WEFT_EPARSE, "'1.5' is not an integer");
    check_error(&d_rate, "16.0001k", WEFT_EPARSE,
                "'16.0001k' is not an integer");
    check_error(&d_isec, "25ms", WEFT_EPARSE, "'25ms' is not an integer");
    check_error(&d_count, "16k", WEFT_EPARSE,
                "unexpected 'k' after the number (the property has no unit)");
    check_error(&d_rate, "16KHz", WEFT_EPARSE,
                "unknown unit 'KHz' (expected one of: k, M, kHz, MHz, Hz)");
    check_error(&d_rate, "16 k Hz", WEFT_EPARSE,
                "unknown unit 'k Hz' (expected one of: k, M, kHz, MHz, Hz)");
    check_error(&d_frames, "2kHz", WEFT_EPARSE,
                "unknown unit 'kHz' (expected one of: k, M, G, frames)");
    check_error(&d_count, "", WEFT_EPARSE, "expected a number, got ''");
    check_error(&d_count, "abc", WEFT_EPARSE, "expected a number, got 'abc'");
    check_error(&d_count, "-", WEFT_EPARSE, "expected a number, got '-'");
    check_error(&d_count, "1e3", WEFT_EPARSE,
                "unexpected 'e3' after the number (the property has no unit)");
    check_error(&d_count, "0x", WEFT_EPARSE,
                "unexpected 'x' after the number (the property has no unit)");
    check_error(&d_count, "1 2", WEFT_EPARSE,
                "unexpected '2' after the number (the property has no unit)");
    check_error(&d_count, "\"12", WEFT_EPARSE, "at 0: unterminated string");

    check_print(&d_rate, "16k", "16000");
    check_print(&d_count, "-0x10", "-16");
}
END_TEST

/* --------------------------------------------------------------- float */

START_TEST(test_float)
{
    check_float(&d_dur, "0.025", 0.025);
    check_float(&d_dur, "25ms", 0.025);
    check_float(&d_dur, "25 ms", 0.025);
    check_float(&d_dur, "0.5s", 0.5);
    check_float(&d_dur, "10us", 10e-6);
    check_float(&d_dur, "10\xc2\xb5s", 10e-6);
    check_float(&d_dur, "100ns", 100e-9);
    check_float(&d_dur, "1.5min", 90.0);
    check_float(&d_dur, "2.5e1ms", 0.025);
    check_float(&d_dur, "1e-3", 0.001);
    check_float(&d_dur, ".5", 0.5);
    check_float(&d_dur, "3", 3.0);
    check_float(&d_dur, "3.", 3.0);
    check_float(&d_freq, "16kHz", 16000.0);
    check_float(&d_freq, "16k", 16000.0);
    check_float(&d_freq, "1.5MHz", 1.5e6);
    check_float(&d_freq, "20Hz", 20.0);
    check_float(&d_gain, "-3dB", -3.0);
    check_float(&d_gain, "2k", 2000.0);
    check_float(&d_gain, "1.5GdB", 1.5e9);
    check_float(&d_plain, "-1.25e-3", -1.25e-3);
    check_float(&d_plain, "1e-400", 0.0);
    check_float(&d_plain, "-0", -0.0);
    check_float(&d_plain, "1E2", 100.0);
    check_float(&d_plain, "  7 ", 7.0);

    /* NaN and infinity are refused: no node can do anything useful with
     * them, and a typo should not become one. */
    check_error(&d_plain, "nan", WEFT_EPARSE, "expected a number, got 'nan'");
    check_error(&d_plain, "inf", WEFT_EPARSE, "expected a number, got 'inf'");
    check_error(&d_plain, "-infinity", WEFT_EPARSE,
                "expected a number, got '-infinity'");
    check_error(&d_plain, "1e400", WEFT_ERANGE,
                "'1e400' is out of range for a float");
    check_error(&d_plain, "1e99999999999999999999", WEFT_ERANGE,
                "'1e99999999999999999999' is out of range for a float");
    check_error(&d_dur, "1e308min", WEFT_ERANGE,
                "'1e308min' is out of range for a float");
    check_error(&d_plain, "0x10", WEFT_EPARSE,
                "unexpected 'x10' after the number (the property has no unit)");
    check_error(&d_plain, "1e", WEFT_EPARSE,
                "unexpected 'e' after the number (the property has no unit)");
    check_error(&d_dur, "25 mss", WEFT_EPARSE,
                "unknown unit 'mss' (expected one of: ns, us, \xc2\xb5s, ms, "
                "s, min)");
    check_error(&d_dur, "2h", WEFT_EPARSE,
                "unknown unit 'h' (expected one of: ns, us, \xc2\xb5s, ms, s, "
                "min)");
    check_error(&d_dur, "-1ms", WEFT_ERANGE, "-0.001 is below the minimum 0");
    check_error(&d_dur, "2h", WEFT_EPARSE,
                "unknown unit 'h' (expected one of: ns, us, \xc2\xb5s, ms, s, "
                "min)");
    check_error(&d_dur, "61min", WEFT_ERANGE,
                "3660 is above the maximum 3600");

    check_print(&d_dur, "25ms", "0.025");
    check_print(&d_plain, "0.1", "0.1");
    check_print(&d_plain, "100", "100");
    check_print(&d_plain, "1e20", "1e+20");
    check_print(&d_plain, "5e-324", "5e-324");
    check_print(&d_plain, "0.30000000000000004", "0.30000000000000004");
    check_print(&d_plain, "-2.5e-7", "-2.5e-07");
    check_print(&d_freq, "44.1k", "44100");

    /* An int value reads as a float too. */
    weft_value *v = V(&d_rate, "16k");
    ck_assert(weft_value_float(v) == 16000.0);
    weft_value_free(v);
}
END_TEST

/* ------------------------------------------------------ string and path */

START_TEST(test_string)
{
    weft_value *v = V(&d_str, "  hello world  ");
    ck_assert_uint_eq(weft_value_type(v), WEFT_PROP_STRING);
    ck_assert_str_eq(weft_value_string(v), "hello world");
    ck_assert_int_eq(weft_value_enum(v), -1);
    weft_value_free(v);

    v = V(&d_str, " \"  a \\\"q\\\" \\\\ \\n\\t\\x41\\x7e, [x] \" ");
    ck_assert_str_eq(weft_value_string(v), "  a \"q\" \\ \n\tA~, [x] ");
    weft_value_free(v);

    v = V(&d_str, "");
    ck_assert_str_eq(weft_value_string(v), "");
    weft_value_free(v);
    v = V(&d_str, "say \"hi\"");
    ck_assert_str_eq(weft_value_string(v), "say \"hi\"");
    weft_value_free(v);

    check_error(&d_str, "\"abc", WEFT_EPARSE, "at 0: unterminated string");
    check_error(&d_str, "  \"abc\\", WEFT_EPARSE, "at 2: unterminated string");
    check_error(&d_str, "\"a\\qb\"", WEFT_EPARSE, "at 2: invalid escape '\\q'");
    check_error(&d_str, "\"a\\x00\"", WEFT_EPARSE,
                "at 2: \\x00 is not allowed in a string");
    check_error(&d_str, "\"a\\xz\"", WEFT_EPARSE, "at 2: \\x needs hex digits");
    check_error(&d_str, "\"a\" b", WEFT_EPARSE,
                "at 4: unexpected text after the closing quote");

    check_print(&d_str, "models/en-commands", "models/en-commands");
    check_print(&d_str, "hello world", "\"hello world\"");
    check_print(&d_str, "\"\"", "\"\"");
    check_print(&d_str, "\"a,b\"", "\"a,b\"");
    check_print(&d_str, "\"\\x01\\x7f\\r\"", "\"\\x01\\x7f\\r\"");
    check_print(&d_str, "caf\xc3\xa9", "\"caf\xc3\xa9\"");

    v = V(&d_path, "samples/lights-on.wav");
    ck_assert_uint_eq(weft_value_type(v), WEFT_PROP_PATH);
    ck_assert_str_eq(weft_value_string(v), "samples/lights-on.wav");
    weft_value_free(v);
    check_print(&d_path, "\"/tmp/my file.wav\"", "\"/tmp/my file.wav\"");
    check_error(&d_path, "  ", WEFT_EPARSE, "a path cannot be empty");
    check_error(&d_path, "\"\"", WEFT_EPARSE, "a path cannot be empty");
    /* An optional path without a default may name no file. */
    static const weft_prop_desc d_opt =
        WEFT_PROP_PATH_OPTIONAL("lexicon", "Optional file.");
    v = V(&d_opt, "\"\"");
    ck_assert_str_eq(weft_value_string(v), "");
    weft_value_free(v);
    static const weft_prop_desc d_def = WEFT_PROP_PATH("out", "a.txt", "F.");
    check_error(&d_def, "\"\"", WEFT_EPARSE, "a path cannot be empty");
}
END_TEST

/* ---------------------------------------------------------------- enum */

START_TEST(test_enum)
{
    weft_value *v = V(&d_enum, "hann");
    ck_assert_uint_eq(weft_value_type(v), WEFT_PROP_ENUM);
    ck_assert_int_eq(weft_value_enum(v), 2);
    ck_assert_str_eq(weft_value_string(v), "hann");
    weft_value_free(v);
    v = V(&d_enum, " \"povey\" ");
    ck_assert_int_eq(weft_value_enum(v), 0);
    weft_value_free(v);

    check_error(&d_enum, "blackman", WEFT_EPARSE,
                "unknown value 'blackman'; expected one of: povey, hamming, "
                "hann, rectangular");
    check_error(&d_enum, "Hann", WEFT_EPARSE,
                "unknown value 'Hann'; expected one of: povey, hamming, "
                "hann, rectangular");
    check_error(&d_enum, "", WEFT_EPARSE,
                "unknown value ''; expected one of: povey, hamming, "
                "hann, rectangular");
    check_print(&d_enum, "rectangular", "rectangular");

    /* A descriptor without choices cannot parse anything. */
    weft_prop_desc bad = d_enum;
    bad.choices = NULL;
    check_error(&bad, "hann", WEFT_ETYPE, "enum property without choices");
}
END_TEST

/* ---------------------------------------------------------------- list */

START_TEST(test_list)
{
    weft_value *v = V(&d_ilist, "[1, 2, 3]");
    ck_assert_uint_eq(weft_value_type(v), WEFT_PROP_LIST);
    ck_assert_uint_eq(weft_value_list_len(v), 3);
    ck_assert_int_eq(weft_value_int(weft_value_list_at(v, 0)), 1);
    ck_assert_int_eq(weft_value_int(weft_value_list_at(v, 2)), 3);
    ck_assert_ptr_null(weft_value_list_at(v, 3));
    ck_assert_uint_eq(weft_value_type(weft_value_list_at(v, 1)),
                      WEFT_PROP_INT);
    weft_value_free(v);

    v = V(&d_ilist, "  [ ]  ");
    ck_assert_uint_eq(weft_value_list_len(v), 0);
    weft_value_free(v);

    v = V(&d_slist, "[a, \"b, c\", \" d ]\", e f , \"\\\"\"]");
    ck_assert_uint_eq(weft_value_list_len(v), 5);
    ck_assert_str_eq(weft_value_string(weft_value_list_at(v, 0)), "a");
    ck_assert_str_eq(weft_value_string(weft_value_list_at(v, 1)), "b, c");
    ck_assert_str_eq(weft_value_string(weft_value_list_at(v, 2)), " d ]");
    ck_assert_str_eq(weft_value_string(weft_value_list_at(v, 3)), "e f");
    ck_assert_str_eq(weft_value_string(weft_value_list_at(v, 4)), "\"");
    weft_value_free(v);

    v = V(&d_elist, "[hann, povey]");
    ck_assert_int_eq(weft_value_enum(weft_value_list_at(v, 0)), 2);
    ck_assert_int_eq(weft_value_enum(weft_value_list_at(v, 1)), 0);
    weft_value_free(v);

    v = V(&d_flist, "[25ms, 0.5s, 10us]");
    ck_assert(weft_value_float(weft_value_list_at(v, 0)) == 0.025);
    ck_assert(weft_value_float(weft_value_list_at(v, 1)) == 0.5);
    ck_assert(weft_value_float(weft_value_list_at(v, 2)) == 1e-5);
    weft_value_free(v);

    check_error(&d_ilist, "1, 2", WEFT_EPARSE,
                "at 0: expected '[' to start a list");
    check_error(&d_ilist, "", WEFT_EPARSE,
                "at 0: expected '[' to start a list");
    check_error(&d_ilist, "[1, 2", WEFT_EPARSE,
                "at 5: expected ',' or ']' in list");
    check_error(&d_ilist, "[1, 2,]", WEFT_EPARSE,
                "at 6: empty list element");
    check_error(&d_ilist, "[1,,2]", WEFT_EPARSE, "at 3: empty list element");
    check_error(&d_ilist, "[1, 2] x", WEFT_EPARSE,
                "at 7: unexpected text after ']'");
    check_error(&d_ilist, "[1, x]", WEFT_EPARSE,
                "list element 2: expected a number, got 'x'");
    check_error(&d_ilist, "[[1]]", WEFT_EPARSE,
                "list element 1: expected a number, got '[1'");
    check_error(&d_slist, "[\"a\" b]", WEFT_EPARSE,
                "at 5: expected ',' or ']' in list");
    check_error(&d_slist, "[\"a]", WEFT_EPARSE, "at 1: unterminated string");
    check_error(&d_slist, "[a, \"\\q\"]", WEFT_EPARSE,
                "list element 2: at 5: invalid escape '\\q'");
    check_error(&d_elist, "[hann, kaiser]", WEFT_EPARSE,
                "list element 2: unknown value 'kaiser'; expected one of: "
                "povey, hamming, hann, rectangular");
    check_error(&d_flist, "[0.5, 2s]", WEFT_ERANGE,
                "list element 2: 2 is above the maximum 1");

    check_print(&d_ilist, "[ 1,2 , 0x10 ]", "[1, 2, 16]");
    check_print(&d_ilist, "[]", "[]");
    check_print(&d_slist, "[a, \"b, c\", \"]\", x/y.z]",
                "[a, \"b, c\", \"]\", x/y.z]");
    check_print(&d_elist, "[hann,povey]", "[hann, povey]");
    check_print(&d_flist, "[25ms]", "[0.025]");

    /* Lists of lists are not a thing. */
    weft_prop_desc nested = d_ilist;
    nested.elem_type = WEFT_PROP_LIST;
    check_error(&nested, "[]", WEFT_ETYPE, "unsupported list element type 7");
}
END_TEST

START_TEST(test_value_misc)
{
    weft_value *v = (weft_value *)1;
    weft_prop_desc bad = d_str;

    ck_assert_int_eq(weft_value_parse(NULL, "x", &v, NULL, 0), WEFT_EINVAL);
    ck_assert_ptr_null(v);
    ck_assert_int_eq(weft_value_parse(&d_str, NULL, &v, NULL, 0), WEFT_EINVAL);
    ck_assert_int_eq(weft_value_parse(&d_str, "x", NULL, NULL, 0),
                     WEFT_EINVAL);
    bad.type = 42;
    check_error(&bad, "x", WEFT_ETYPE, "unsupported property type 42");
    /* No error buffer is fine. */
    ck_assert_int_eq(weft_value_parse(&d_rate, "1", &v, NULL, 0), WEFT_ERANGE);

    /* Accessors on the wrong type or NULL give neutral values. */
    v = V(&d_str, "x");
    ck_assert_int_eq(weft_value_int(v), 0);
    ck_assert(weft_value_float(v) == 0.0);
    ck_assert(!weft_value_bool(v));
    ck_assert_uint_eq(weft_value_list_len(v), 0);
    ck_assert_ptr_null(weft_value_list_at(v, 0));
    weft_value_free(v);
    ck_assert_uint_eq(weft_value_type(NULL), 0);
    ck_assert_ptr_null(weft_value_string(NULL));
    ck_assert_int_eq(weft_value_enum(NULL), -1);
    ck_assert_ptr_null(weft_value_copy(NULL));
    ck_assert_ptr_null(weft_value_to_string(NULL));
    weft_value_free(NULL);

    ck_assert_str_eq(weft_prop_type_name(WEFT_PROP_BOOL), "bool");
    ck_assert_str_eq(weft_prop_type_name(WEFT_PROP_INT), "int");
    ck_assert_str_eq(weft_prop_type_name(WEFT_PROP_FLOAT), "float");
    ck_assert_str_eq(weft_prop_type_name(WEFT_PROP_STRING), "string");
    ck_assert_str_eq(weft_prop_type_name(WEFT_PROP_ENUM), "enum");
    ck_assert_str_eq(weft_prop_type_name(WEFT_PROP_PATH), "path");
    ck_assert_str_eq(weft_prop_type_name(WEFT_PROP_LIST), "list");
    ck_assert_str_eq(weft_prop_type_name(0), "unknown");
    ck_assert_str_eq(weft_prop_type_name(99), "unknown");
}
END_TEST

/* ---------------------------------------------------------- desc_check */

static void check_desc_ok(const weft_prop_desc *d)
{
    char err[256] = "";
    ck_assert_msg(weft_prop_desc_check(d, err, sizeof err) == 0, "%s: %s",
                  d->name, err);
}

static void check_desc_bad(const weft_prop_desc *d, const char *msg)
{
    char err[256] = "";
    ck_assert_int_eq(weft_prop_desc_check(d, err, sizeof err), WEFT_EPLUGIN);
    ck_assert_msg(strcmp(err, msg) == 0, "got \"%s\", want \"%s\"", err, msg);
    ck_assert_int_eq(weft_prop_desc_check(d, NULL, 0), WEFT_EPLUGIN);
}

START_TEST(test_desc_check)
{
    static const char *const empty[] = { NULL };
    static const char *const dup[] = { "a", "b", "a", NULL };
    static const char *const blank[] = { "a", "", NULL };
    const weft_prop_desc *good[] = { &d_bool, &d_rate, &d_count, &d_frames,
                                     &d_isec, &d_dur, &d_freq, &d_gain,
                                     &d_plain, &d_str, &d_path, &d_enum,
                                     &d_ilist, &d_slist, &d_elist, &d_flist };
    weft_prop_desc d;

    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        check_desc_ok(good[i]);

    d = d_rate;
    d.name = NULL;
    check_desc_bad(&d, "property has no name");
    d.name = "";
    check_desc_bad(&d, "property has no name");
    d.name = "SampleRate";
    check_desc_bad(&d, "property name 'SampleRate' is not lower_snake_case");
    d.name = "sample-rate";
    check_desc_bad(&d, "property name 'sample-rate' is not lower_snake_case");
    d.name = "2rate";
    check_desc_bad(&d, "property name '2rate' is not lower_snake_case");

    d = d_rate;
    d.min = 48000;
    d.max = 8000;
    d.default_value = "16000";
    check_desc_bad(&d, "property 'rate': min 48000 is above max 8000");
    d.flags &= ~(weft_prop_flags)WEFT_PROP_HAS_MAX;
    d.default_value = "50000";
    check_desc_ok(&d);
    d = d_dur;
    d.max = NAN;
    check_desc_bad(&d, "property 'window': min or max is NaN");

    d = d_rate;
    d.default_value = "96k";
    check_desc_bad(&d, "property 'rate': default \"96k\" does not parse: "
                       "96000 is above the maximum 48000");
    d.default_value = "fast";
    check_desc_bad(&d, "property 'rate': default \"fast\" does not parse: "
                       "expected a number, got 'fast'");
    d.default_value = NULL;
    check_desc_bad(&d, "property 'rate' has no default and is not required");
    d.flags |= WEFT_PROP_REQUIRED;
    check_desc_ok(&d);
    d.default_value = "16000";
    check_desc_bad(&d, "property 'rate' is required but has a default");

    d = d_enum;
    d.choices = NULL;
    check_desc_bad(&d, "property 'window_type': enum has no choices");
    d.choices = empty;
    check_desc_bad(&d, "property 'window_type': enum has no choices");
    d.choices = dup;
    check_desc_bad(&d, "property 'window_type': duplicate choice 'a'");
    d.choices = blank;
    check_desc_bad(&d, "property 'window_type': choice 1 is empty");
    d = d_enum;
    d.default_value = "kaiser";
    check_desc_bad(&d, "property 'window_type': default \"kaiser\" does not "
                       "parse: unknown value 'kaiser'; expected one of: "
                       "povey, hamming, hann, rectangular");

    d = d_elist;
    d.choices = NULL;
    check_desc_bad(&d, "property 'windows': enum has no choices");
    d = d_ilist;
    d.elem_type = WEFT_PROP_LIST;
    check_desc_bad(&d, "property 'sizes': list element type 7 is not bool, "
                       "int, float, string, enum or path");
    d.elem_type = 0;
    check_desc_bad(&d, "property 'sizes': list element type 0 is not bool, "
                       "int, float, string, enum or path");
    d = d_ilist;
    d.default_value = "[1, 2";
    check_desc_bad(&d, "property 'sizes': default \"[1, 2\" does not parse: "
                       "at 5: expected ',' or ']' in list");

    d = d_rate;
    d.type = 0;
    check_desc_bad(&d, "property 'rate': unknown type 0");
    d.type = 8;
    check_desc_bad(&d, "property 'rate': unknown type 8");
    d = d_rate;
    d.struct_size = 8;
    {
        char want[128];
        snprintf(want, sizeof want, "property 'rate': struct_size 8 is "
                 "smaller than %zu", sizeof(weft_prop_desc));
        check_desc_bad(&d, want);
    }
    check_desc_bad(NULL, "property descriptor is NULL");

    /* Optional strings and paths may go without a default. */
    d = d_str;
    d.default_value = NULL;
    check_desc_ok(&d);
}
END_TEST

static Suite *prop_suite(void)
{
    Suite *s = suite_create("prop");
    TCase *tc = tcase_create("values");
    tcase_add_test(tc, test_bool);
    tcase_add_test(tc, test_int);
    tcase_add_test(tc, test_float);
    tcase_add_test(tc, test_string);
    tcase_add_test(tc, test_enum);
    tcase_add_test(tc, test_list);
    tcase_add_test(tc, test_value_misc);
    suite_add_tcase(s, tc);
    tc = tcase_create("descriptors");
    tcase_add_test(tc, test_desc_check);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(prop_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
