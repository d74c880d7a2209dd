# Tests: Check suites per component. Each test-X.c is one program.
# Fixture plugins (bad and good) are built as check_LTLIBRARIES.
TEST_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) -DTOP_SRCDIR='"$(abs_top_srcdir)"' \
	-DTOP_BUILDDIR='"$(abs_top_builddir)"'
TEST_LIBS = core/libweft.la $(CHECK_LIBS)
# Fetched model weights (models/*/fetch); configure's WEFT_TEST_MODELS
# overrides the source tree's folder, as make distcheck does.
TEST_MODELS = $(WEFT_TEST_MODELS)
TEST_CFLAGS += -DWEFT_TEST_MODELS='"$(TEST_MODELS)"'

AM_TESTS_ENVIRONMENT = \
	abs_top_srcdir='$(abs_top_srcdir)'; export abs_top_srcdir; \
	abs_top_builddir='$(abs_top_builddir)'; export abs_top_builddir; \
	CC='$(CC)'; export CC; \
	WEFT_PLUGIN_PATH='$(abs_top_builddir)/plugins/.libs'; export WEFT_PLUGIN_PATH; \
	CK_DEFAULT_TIMEOUT=120; export CK_DEFAULT_TIMEOUT; \
	OPENBLAS_NUM_THREADS=1; export OPENBLAS_NUM_THREADS; \
	WEFT_TEST_MODELS='$(TEST_MODELS)'; export WEFT_TEST_MODELS;

if SANITIZE
# LeakSanitizer walks each thread's dynamic TLS blocks; with glibc 2.36 a
# dlopen'ed plugin's block can hold a not-yet-allocated marker that it
# follows into unmapped memory ("Tracer caught signal 11", DTLS at 0x266).
# Not tracking __tls_get_addr avoids that; leaks are still reported.
AM_TESTS_ENVIRONMENT += \
	ASAN_OPTIONS="intercept_tls_get_addr=0$${ASAN_OPTIONS:+:$$ASAN_OPTIONS}"; \
	export ASAN_OPTIONS;
endif

if SANITIZE_THREAD
# Races inside uninstrumented system libraries (PulseAudio) are suppressed;
# everything TSan slows down by an order of magnitude gets 4x the timeouts.
AM_TESTS_ENVIRONMENT += \
	TSAN_OPTIONS="suppressions=$(abs_top_srcdir)/tests/tsan.supp$${TSAN_OPTIONS:+:$$TSAN_OPTIONS}"; \
	export TSAN_OPTIONS; CK_TIMEOUT_MULTIPLIER=4; export CK_TIMEOUT_MULTIPLIER;
endif
EXTRA_DIST += tests/tsan.supp

TESTS += tests/headers.sh
EXTRA_DIST += tests/headers.sh

if HAVE_CHECK
include tests/fixtures/local.mk

# Core unit tests (the lead's); tests/core/local.mk holds the others.
check_PROGRAMS += tests/core/test-buf
tests_core_test_buf_SOURCES = tests/core/test-buf.c
tests_core_test_buf_CFLAGS = $(TEST_CFLAGS)
tests_core_test_buf_LDADD = $(TEST_LIBS)
TESTS += tests/core/test-buf

check_PROGRAMS += tests/core/test-node
tests_core_test_node_SOURCES = tests/core/test-node.c
tests_core_test_node_CFLAGS = $(TEST_CFLAGS)
tests_core_test_node_LDADD = $(TEST_LIBS)
TESTS += tests/core/test-node

check_PROGRAMS += tests/core/test-log
tests_core_test_log_SOURCES = tests/core/test-log.c
tests_core_test_log_CFLAGS = $(TEST_CFLAGS)
tests_core_test_log_LDADD = $(TEST_LIBS)
TESTS += tests/core/test-log

check_PROGRAMS += tests/core/test-registry
tests_core_test_registry_SOURCES = tests/core/test-registry.c
tests_core_test_registry_CFLAGS = $(TEST_CFLAGS)
tests_core_test_registry_LDADD = $(TEST_LIBS)
TESTS += tests/core/test-registry

check_PROGRAMS += tests/core/test-graph
tests_core_test_graph_SOURCES = tests/core/test-graph.c
tests_core_test_graph_CFLAGS = $(TEST_CFLAGS)
tests_core_test_graph_LDADD = $(TEST_LIBS)
TESTS += tests/core/test-graph
# The loader test reads the fixture plugins.
tests_core_test_registry_DEPENDENCIES = $(check_LTLIBRARIES) core/libweft.la

include tests/core/local.mk
include tests/lang/local.mk
include tests/sched/local.mk
include tests/kernels/local.mk
include tests/ctc/local.mk
include tests/mfcc/local.mk
include tests/io/local.mk
include tests/text/local.mk
include tests/transcribe/local.mk
include tests/asr/local.mk
include tests/recipe/local.mk
endif
EXTRA_DIST += tests/fixtures/npy/bool-3.npy tests/fixtures/npy/f16-2x2.npy \
	tests/fixtures/npy/f32-3x4.npy tests/fixtures/npy/i64-5.npy
