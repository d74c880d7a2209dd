# Graph language tests: the C API suite, the `weft check` corpus compared
# with its expected diagnostics, and the fuzz target replayed over the
# corpus and every crasher found (built with the normal compiler).
check_PROGRAMS += tests/lang/test-lang
tests_lang_test_lang_SOURCES = tests/lang/test-lang.c
tests_lang_test_lang_CFLAGS = $(TEST_CFLAGS)
tests_lang_test_lang_LDADD = $(TEST_LIBS)
tests_lang_test_lang_DEPENDENCIES = core/libweft.la plugins/core.la
TESTS += tests/lang/test-lang

TESTS += tests/lang/check-corpus.sh
EXTRA_DIST += tests/lang/check-corpus.sh tests/lang/replay-corpus.sh \
	tests/graphs tests/fuzz/fuzz-graph.c tests/fuzz/crashers

check_PROGRAMS += tests/fuzz/replay-graph
tests_fuzz_replay_graph_SOURCES = tests/fuzz/replay-graph.c \
	tests/fuzz/fuzz-graph.c $(plugins_core_la_SOURCES)
tests_fuzz_replay_graph_CFLAGS = $(TEST_CFLAGS) -I$(top_srcdir)/plugins/core
tests_fuzz_replay_graph_LDADD = core/libweft.la -lm
TESTS += tests/lang/replay-corpus.sh

# make fuzz: the libFuzzer target, built straight from the sources with
# clang (no libtool; CUDA left out), seeded from the graph corpus.
# FUZZ_TIME seconds; crashes land in build/tests/fuzz/crash-*.
FUZZ_TIME = 600
FUZZ_FLAGS = -g -O1 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined -fno-omit-frame-pointer
.PHONY: fuzz fuzz-build
fuzz-build:
	@test -n "$(CLANG)" || { echo "make fuzz needs clang (configure found none)"; exit 1; }
	$(MKDIR_P) tests/fuzz/graph-corpus tests/fuzz/cfg
	printf '#include "%s/config.h"\n#undef WEFT_HAVE_CUDA\n' \
	    '$(abs_top_builddir)' > tests/fuzz/cfg/config.h
	srcs=`cd $(top_srcdir) && ls core/*.c core/lang/*.c core/sched/*.c \
	    plugins/core/*.c | grep -v memory-cuda`; \
	$(CLANG) $(FUZZ_FLAGS) -std=gnu11 -DWEFT_BUILDING_CORE \
	    -DWEFT_PLUGIN_DIR='"$(plugindir)"' -Itests/fuzz/cfg -I$(top_builddir) \
	    -I$(top_srcdir)/core -I$(top_srcdir)/plugins/core \
	    `for f in $$srcs; do echo $(top_srcdir)/$$f; done` \
	    $(top_srcdir)/tests/fuzz/fuzz-graph.c -o tests/fuzz/fuzz-graph \
	    -lm -ldl -lpthread
fuzz: fuzz-build
	find $(top_srcdir)/tests/graphs $(top_srcdir)/graphs -name '*.weft' \
	    -exec cp {} tests/fuzz/graph-corpus/ \;
	cd tests/fuzz && ./fuzz-graph -max_total_time=$(FUZZ_TIME) \
	    -timeout=10 -rss_limit_mb=2048 -artifact_prefix=crash- \
	    graph-corpus
