/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The shared model loader (weft/model.h): JSON parser, safetensors
 * validation and model directories, on files built here, good and bad.
 * Every bad input must give a one-line error naming the file and the
 * field, never a crash.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <weft/model.h>

static char tmpdir[256];

/* A safetensors image: 8-byte length, @header, then @data_len bytes. */
static size_t build(uint8_t *buf, size_t cap, const char *header,
                    size_t data_len)
{
    /* Writers pad the header with spaces to a multiple of 8 bytes, so the
     * data that follows is aligned. */
    size_t h0 = strlen(header), h = (h0 + 7) / 8 * 8, n = 8 + h + data_len;
    uint64_t hl = h;

    ck_assert_uint_le(n, cap);
    for (int i = 0; i < 8; i++)
        buf[i] = (uint8_t)(hl >> (8 * i));
    memcpy(buf + 8, header, h0);
    memset(buf + 8 + h0, ' ', h - h0);
    for (size_t i = 0; i < data_len; i++)
        buf[8 + h + i] = (uint8_t)i;
    return n;
}

static int parse(const char *header, size_t data_len, char *err,
                 size_t cap)
{
    static _Alignas(64) uint8_t buf[1 << 16];
    size_t n = build(buf, sizeof buf, header, data_len);
    weft_st *st = NULL;
    int ret = weft_st_parse(buf, n, "t.safetensors", &st, err, cap);

    ck_assert(ret == 0 ? st != NULL : st == NULL);
    ck_assert_ptr_null(memchr(err, '\n', strlen(err)));
    weft_st_free(st);
    return ret;
}

#define GOOD "{\"__metadata__\":{\"format\":\"pt\"}," \
    "\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]}," \
    "\"b\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[24,40]}}"

START_TEST(test_json)
{
    weft_json *d;
    char err[256] = "";
    const char *k;
    int64_t i;
    const char *ok = " {\"a\": [1, -2.5e3, true, false, null, \"x\\u00e9\\ud83d"
                     "\\ude00\\n\"], \"b\": {}, \"c\": 9007199254740993} ";

    ck_assert_int_eq(weft_json_parse(ok, strlen(ok), "t.json", &d, err,
                                     sizeof err), 0);
    const weft_json_value *r = weft_json_root(d), *a = weft_json_get(r, "a");
    ck_assert_uint_eq(weft_json_len(r), 3);
    ck_assert(weft_json_at(r, 1, &k) && !strcmp(k, "b"));
    ck_assert(weft_json_int(weft_json_at(a, 0, NULL), &i) && i == 1);
    ck_assert(!weft_json_int(weft_json_at(a, 1, NULL), &i));
    ck_assert(weft_json_number(weft_json_at(a, 1, NULL)) == -2500.0);
    ck_assert_int_eq(weft_json_get_type(weft_json_at(a, 2, NULL)),
                     WEFT_JSON_TRUE);
    ck_assert_str_eq(weft_json_string(weft_json_at(a, 5, NULL)),
                     "x\xc3\xa9\xf0\x9f\x98\x80\n");
    ck_assert(weft_json_int(weft_json_get(r, "c"), &i) &&
              i == 9007199254740993LL);
    weft_json_free(d);

    static const char *bad[] = {
        "", "{", "[1,]", "{\"a\":1,}", "{\"a\" 1}", "{'a':1}", "01", "1.",
        "-", "1e", "tru", "\"abc", "\"\\x\"", "\"\\ud800\"", "\"\\udc00x\"",
        "\"a\x01\"", "\"\xff\"", "{\"a\":1,\"a\":2}", "[1] 2", "nul",
        "\"\\u0000\"", "1e999", "{\"a\":}", "[1 2]",
    };
    for (size_t j = 0; j < sizeof bad / sizeof bad[0]; j++) {
        err[0] = '\0';
        ck_assert_msg(weft_json_parse(bad[j], strlen(bad[j]), "t.json", &d,
                                      err, sizeof err) == WEFT_EPARSE,
                      "accepted: %s", bad[j]);
        ck_assert_ptr_null(d);
        ck_assert_msg(!strncmp(err, "t.json:", 7), "%s", err);
    }
    /* Depth limit: 10,000 nested arrays fail cleanly. */
    char *deep = malloc(20001);
    memset(deep, '[', 10000);
    memset(deep + 10000, ']', 10000);
    deep[20000] = '\0';
    ck_assert_int_eq(weft_json_parse(deep, 20000, NULL, &d, err, sizeof err),
                     WEFT_EPARSE);
    ck_assert_ptr_nonnull(strstr(err, "nesting"));
    free(deep);
}
END_TEST

START_TEST(test_st_good)
{
    static _Alignas(64) uint8_t buf[4096];
    size_t n = build(buf, sizeof buf, GOOD, 40);
    weft_st *st;
    char err[256] = "";
    const void *p;
    int64_t shape[2] = { 2, 3 };

    ck_assert_int_eq(weft_st_parse(buf, n, "t.safetensors", &st, err,
                                   sizeof err), 0);
    ck_assert_uint_eq(weft_st_count(st), 2);
    ck_assert_str_eq(weft_st_metadata(st, "format"), "pt");
    const weft_st_tensor *a = weft_st_find(st, "a");
    ck_assert_ptr_nonnull(a);
    ck_assert_int_eq(a->dtype, WEFT_DTYPE_F32);
    ck_assert_uint_eq(a->nbytes, 24);
    ck_assert_ptr_null(weft_st_find(st, "c"));
    /* Lookups check dtype and shape and name both shapes. */
    ck_assert_int_eq(weft_st_get(st, "b", WEFT_DTYPE_I64, 1, NULL, &p, err,
                                 sizeof err), 0);
    ck_assert_int_eq(weft_st_get(st, "c", WEFT_DTYPE_F32, 0, NULL, &p, err,
                                 sizeof err), WEFT_ENOENT);
    ck_assert_ptr_nonnull(strstr(err, "'c'"));
    ck_assert_int_eq(weft_st_get(st, "a", WEFT_DTYPE_F16, 2, shape, &p, err,
                                 sizeof err), WEFT_ETYPE);
    shape[1] = 4;
    ck_assert_int_eq(weft_st_get(st, "a", WEFT_DTYPE_F32, 2, shape, &p, err,
                                 sizeof err), WEFT_ERANGE);
    ck_assert_str_eq(err, "t.safetensors: tensor 'a': shape [2,3] in the "
                          "file, [2,4] expected");
    weft_st_free(st);
}
END_TEST

START_TEST(test_st_bad)
{
    static _Alignas(64) uint8_t buf[4096];
    char err[256];
    static const struct {
        const char *header;
        size_t data;
        int code;
        const char *needle;
    } cases[] = {
        { "{\"a\":", 0, WEFT_EPARSE, "t.safetensors:1:" },
        { "[]", 0, WEFT_EPARSE, "not a JSON object" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4,
          WEFT_EPARSE, "needs 8 bytes" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}," \
          "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12,
          WEFT_EPARSE, "overlap" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 4,
          WEFT_EPARSE, "past the end" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", 8,
          WEFT_EPARSE, "ends before" },
        { "{\"a\":{\"dtype\":\"Q4\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8,
          WEFT_ENOTSUP, "dtype 'Q4'" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8,
          WEFT_EPARSE, "shape[0]" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,8]}}", 8,
          WEFT_EPARSE, "shape[0]" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8, WEFT_EPARSE,
          "'data_offsets' is missing" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],"
          "\"x\":1}}", 8, WEFT_EPARSE, "unknown field 'x'" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,16],"
          "\"data_offsets\":[0,8]}}", 8, WEFT_EPARSE, "overflows" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,1],"
          "\"data_offsets\":[0,4]}}", 4, WEFT_EPARSE, "9 dims" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", 4,
          WEFT_EPARSE, "data_offsets is not" },
        { "{\"__metadata__\":{\"x\":1}}", 0, WEFT_EPARSE, "__metadata__" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}," \
          "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8,
          WEFT_EPARSE, "duplicate key 'a'" },
        /* Names from the file never break the one-line message. */
        { "{\"a\\nb\":5}", 0, WEFT_EPARSE, "'a?b': entry is not" },
        { "{\"\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4,
          WEFT_EPARSE, "empty name" },
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        err[0] = '\0';
        int ret = parse(cases[i].header, cases[i].data, err, sizeof err);
        ck_assert_msg(ret == cases[i].code, "case %zu: %d (%s)", i, ret, err);
        ck_assert_msg(strstr(err, cases[i].needle), "case %zu: %s", i, err);
        ck_assert_msg(!strncmp(err, "t.safetensors", 13), "%s", err);
    }
    /* Truncated files: every prefix of a good one fails cleanly. */
    size_t n = build(buf, sizeof buf, GOOD, 40);
    for (size_t len = 0; len < n; len++) {
        weft_st *st;
        ck_assert_int_eq(weft_st_parse(buf, len, "t.safetensors", &st, err,
                                       sizeof err), WEFT_EPARSE);
    }
    /* A header length beyond the file. */
    buf[0] = 0xff;
    buf[5] = 0x7f;
    weft_st *st;
    ck_assert_int_eq(weft_st_parse(buf, n, "t.safetensors", &st, err,
                                   sizeof err), WEFT_EPARSE);
    ck_assert_ptr_nonnull(strstr(err, "header length"));
}
END_TEST

static void write_file(const char *name, const void *data, size_t n)
{
    char path[512];
    FILE *f;

    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, n, f), n);
    fclose(f);
}

START_TEST(test_model_dir)
{
    static _Alignas(64) uint8_t buf[4096];
    char err[512], path[512];
    weft_model *m;
    int64_t v;
    double d;
    const char *s;
    const float *w;
    int64_t shape[2] = { 2, 3 };
    size_t n = build(buf, sizeof buf, GOOD, 40);
    size_t hl = (strlen(GOOD) + 7) / 8 * 8;

    /* Missing directory, missing files. */
    snprintf(path, sizeof path, "%s/nope", tmpdir);
    ck_assert_int_eq(weft_model_open(path, &m, err, sizeof err), WEFT_ENOENT);
    ck_assert_ptr_nonnull(strstr(err, "nope"));
    ck_assert_int_eq(weft_model_open(tmpdir, &m, err, sizeof err),
                     WEFT_ENOENT);
    ck_assert_ptr_nonnull(strstr(err, "config.json"));
    const char *cfg = "{\"hidden_size\": 3, \"eps\": 1e-12, "
                      "\"act\": \"gelu\"}";
    write_file("config.json", cfg, strlen(cfg));
    ck_assert_int_eq(weft_model_open(tmpdir, &m, err, sizeof err),
                     WEFT_ENOENT);
    ck_assert_ptr_nonnull(strstr(err, "model.safetensors"));
    /* Truncated weights. */
    write_file("model.safetensors", buf, n - 1);
    ck_assert_int_eq(weft_model_open(tmpdir, &m, err, sizeof err),
                     WEFT_EPARSE);
    ck_assert_ptr_nonnull(strstr(err, "model.safetensors: tensor 'b'"));
    write_file("model.safetensors", buf, n);
    ck_assert_int_eq(weft_model_open(tmpdir, &m, err, sizeof err), 0);
    ck_assert_int_eq(weft_model_config_int(m, "hidden_size", false, 0, &v,
                                           err, sizeof err), 0);
    ck_assert_int_eq(v, 3);
    ck_assert_int_eq(weft_model_config_int(m, "layers", false, 0, &v, err,
                                           sizeof err), WEFT_ENOENT);
    ck_assert_ptr_nonnull(strstr(err, "config.json: field 'layers' is "
                                      "missing"));
    ck_assert_int_eq(weft_model_config_int(m, "layers", true, 6, &v, err,
                                           sizeof err), 0);
    ck_assert_int_eq(v, 6);
    ck_assert_int_eq(weft_model_config_int(m, "eps", false, 0, &v, err,
                                           sizeof err), WEFT_ETYPE);
    ck_assert_int_eq(weft_model_config_float(m, "eps", false, 0, &d, err,
                                             sizeof err), 0);
    ck_assert(d == 1e-12);
    ck_assert_int_eq(weft_model_config_string(m, "act", NULL, &s, err,
                                              sizeof err), 0);
    ck_assert_str_eq(s, "gelu");
    ck_assert_int_eq(weft_model_tensor_f32(m, "a", 2, shape, &w, err,
                                           sizeof err), 0);
    ck_assert(w[0] == ((const float *)(const void *)(buf + 8 +
                                                     hl))[0]);
    /* A config whose sizes disagree with the weights. */
    shape[0] = 3;
    ck_assert_int_eq(weft_model_tensor_f32(m, "a", 2, shape, &w, err,
                                           sizeof err), WEFT_ERANGE);
    ck_assert_msg(strstr(err, "model.safetensors: tensor 'a': shape [2,3] in "
                              "the file, [3,3] expected"), "%s", err);
    weft_model_free(m);
    /* Bad config.json. */
    write_file("config.json", "{\"hidden_size\": 3,}", 19);
    ck_assert_uint_eq(strlen("{\"hidden_size\": 3,}"), 19);
    ck_assert_int_eq(weft_model_open(tmpdir, &m, err, sizeof err),
                     WEFT_EPARSE);
    ck_assert_ptr_nonnull(strstr(err, "config.json:1:"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("model-loader");
    TCase *tc = tcase_create("loader");
    SRunner *sr;
    int failed;

    snprintf(tmpdir, sizeof tmpdir, "/tmp/weft-model-test-XXXXXX");
    if (!mkdtemp(tmpdir))
        return 1;
    tcase_add_test(tc, test_json);
    tcase_add_test(tc, test_st_good);
    tcase_add_test(tc, test_st_bad);
    tcase_add_test(tc, test_model_dir);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        failed++;
    return failed ? 1 : 0;
}
