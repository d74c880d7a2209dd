# Scheduler tests: the scheduler through the C API with test-local classes,
# a stress test of random graphs (run under TSan and valgrind too), and
# `weft run` end to end.
check_PROGRAMS += tests/sched/test-sched
tests_sched_test_sched_SOURCES = tests/sched/test-sched.c \
	tests/sched/sched-test-util.c tests/sched/sched-test-util.h
tests_sched_test_sched_CFLAGS = $(TEST_CFLAGS)
tests_sched_test_sched_LDADD = $(TEST_LIBS)
TESTS += tests/sched/test-sched

check_PROGRAMS += tests/sched/test-stress
tests_sched_test_stress_SOURCES = tests/sched/test-stress.c \
	tests/sched/sched-test-util.c tests/sched/sched-test-util.h
tests_sched_test_stress_CFLAGS = $(TEST_CFLAGS)
tests_sched_test_stress_LDADD = $(TEST_LIBS)
TESTS += tests/sched/test-stress

TESTS += tests/sched/weft-run.sh
EXTRA_DIST += tests/sched/weft-run.sh
