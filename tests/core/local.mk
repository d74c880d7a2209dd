# Core tests by component (format, prop, core plugin).

# The core plugin's nodes (loads plugins/.libs/core.so) and its .npy module.
check_PROGRAMS += tests/core/test-core-plugin
tests_core_test_core_plugin_SOURCES = tests/core/test-core-plugin.c \
	plugins/core/npy.c plugins/core/npy.h
tests_core_test_core_plugin_CFLAGS = $(TEST_CFLAGS) -I$(top_srcdir)/plugins/core
tests_core_test_core_plugin_LDADD = $(TEST_LIBS) -lm
TESTS += tests/core/test-core-plugin
EXTRA_DIST += tests/golden/make-npy.py tests/fuzz/fuzz-npy.c

check_PROGRAMS += tests/core/test-format
tests_core_test_format_SOURCES = tests/core/test-format.c
tests_core_test_format_CFLAGS = $(TEST_CFLAGS)
tests_core_test_format_LDADD = $(TEST_LIBS)
TESTS += tests/core/test-format

check_PROGRAMS += tests/core/test-prop
tests_core_test_prop_SOURCES = tests/core/test-prop.c
tests_core_test_prop_CFLAGS = $(TEST_CFLAGS)
tests_core_test_prop_LDADD = $(TEST_LIBS)
TESTS += tests/core/test-prop
EXTRA_DIST += tests/fuzz/fuzz-format.c
