/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* WEFT_DEBUG thresholds and the log handler. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <weft/weft.h>

static char last[256];
static int calls;

static void capture(weft_log_level level, const char *cat, const char *msg,
                    void *ud)
{
    (void)ud;
    calls++;
    snprintf(last, sizeof last, "%s:%s:%s", weft_log_level_name(level), cat,
             msg);
}

START_TEST(env_spec_is_read)
{
    setenv("WEFT_DEBUG", "loader:4,ctc*:trace", 1);
    ck_assert_uint_eq(weft_log_threshold("loader"), WEFT_LOG_DEBUG);
    ck_assert_uint_eq(weft_log_threshold("ctc.beam"), WEFT_LOG_TRACE);
    ck_assert_uint_eq(weft_log_threshold("graph"), WEFT_LOG_WARNING);
}
END_TEST

START_TEST(default_is_warnings)
{
    unsetenv("WEFT_DEBUG");
    ck_assert_uint_eq(weft_log_threshold("anything"), WEFT_LOG_WARNING);
}
END_TEST

START_TEST(last_match_wins_and_handler)
{
    ck_assert_int_eq(weft_log_set_spec("*:1, loader:5, load*:2"), 0);
    ck_assert_uint_eq(weft_log_threshold("loader"), WEFT_LOG_WARNING);
    ck_assert_uint_eq(weft_log_threshold("sched"), WEFT_LOG_ERROR);
    ck_assert_int_eq(weft_log_set_spec("3"), 0);
    ck_assert_uint_eq(weft_log_threshold("x"), WEFT_LOG_INFO);
    ck_assert_int_eq(weft_log_set_spec("x:9"), 0); /* clamps to trace */
    ck_assert_uint_eq(weft_log_threshold("x"), WEFT_LOG_TRACE);
    ck_assert_int_eq(weft_log_set_spec("x:loud"), WEFT_EPARSE);
    ck_assert_int_eq(weft_log_set_spec(":3"), WEFT_EPARSE);
    ck_assert_uint_eq(weft_log_threshold("x"), WEFT_LOG_TRACE); /* kept */

    weft_log_set_spec("*:2");
    weft_log(WEFT_LOG_INFO, "graph", "dropped %d", 1);
    ck_assert_int_eq(calls, 0); /* no handler: nothing, and no crash */
    weft_log_set_handler(capture, NULL);
    weft_log(WEFT_LOG_INFO, "graph", "dropped %d", 1);
    ck_assert_int_eq(calls, 0);
    weft_log(WEFT_LOG_WARNING, "graph", "kept %d", 2);
    ck_assert_int_eq(calls, 1);
    ck_assert_str_eq(last, "warning:graph:kept 2");
    /* Long messages are not truncated. */
    char big[2000];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    weft_log(WEFT_LOG_ERROR, "graph", "%s", big);
    ck_assert_int_eq(calls, 2);
    weft_log_set_handler(NULL, NULL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("log");
    TCase *tc = tcase_create("log");
    tcase_add_test(tc, env_spec_is_read);
    tcase_add_test(tc, default_is_warnings);
    tcase_add_test(tc, last_match_wins_and_handler);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
