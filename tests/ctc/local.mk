# CTC decoder tests (issue 7).
#   test-ctc-decoder  the modules vs golden data (tests/golden/ctc/, from
#                     tests/golden/make-ctc-golden.py): greedy, beam n-best
#                     and scores vs ctc_reference.py, LM vs kenlm, cache,
#                     lexicon, grammar, hotwords, bad input
#   test-ctc-nodes    ctc.greedy and ctc.beam through the node harness:
#                     streaming chunks, partials, timing, negotiation
CTC_TEST_CFLAGS = $(TEST_CFLAGS) -I$(top_srcdir)/plugins/ctc \
	-I$(top_srcdir)/plugins/core

check_PROGRAMS += tests/ctc/test-ctc-decoder tests/ctc/test-ctc-nodes
TESTS += tests/ctc/test-ctc-decoder tests/ctc/test-ctc-nodes

tests_ctc_test_ctc_decoder_SOURCES = tests/ctc/test-ctc-decoder.c \
	$(CTC_CORE_SOURCES) plugins/core/npy.c plugins/core/npy.h
tests_ctc_test_ctc_decoder_CFLAGS = $(CTC_TEST_CFLAGS)
tests_ctc_test_ctc_decoder_LDADD = $(TEST_LIBS) -lm

tests_ctc_test_ctc_nodes_SOURCES = tests/ctc/test-ctc-nodes.c \
	plugins/core/npy.c plugins/core/npy.h
tests_ctc_test_ctc_nodes_CFLAGS = $(CTC_TEST_CFLAGS)
tests_ctc_test_ctc_nodes_LDADD = $(TEST_LIBS) -lm
tests_ctc_test_ctc_nodes_DEPENDENCIES = plugins/ctc.la plugins/core.la \
	core/libweft.la

EXTRA_DIST += tests/golden/ctc tests/golden/ctc_reference.py \
	tests/golden/make-ctc-golden.py

# graphs/decode.weft through the CLI (needs `weft run`).
TESTS += tests/ctc/decode-graph.sh
EXTRA_DIST += tests/ctc/decode-graph.sh

# Batched greedy decoding on the GPU vs the CPU (exits 77 without a GPU;
# listed in scripts/gpu-check). The kernel is a libtool convenience library
# so that the .cu.lo rule of Makefile.am compiles it.
check_PROGRAMS += tests/ctc/test-ctc-cuda
TESTS += tests/ctc/test-ctc-cuda
tests_ctc_test_ctc_cuda_SOURCES = tests/ctc/test-ctc-cuda.c \
	$(CTC_CORE_SOURCES)
tests_ctc_test_ctc_cuda_CFLAGS = $(CTC_TEST_CFLAGS) $(CUDA_CFLAGS)
tests_ctc_test_ctc_cuda_LDADD = -lm
EXTRA_DIST += plugins/ctc/cuda/greedy.cu plugins/ctc/cuda/greedy-cuda.h
if HAVE_CUDA
check_LTLIBRARIES += plugins/ctc/libctc-cuda.la
plugins_ctc_libctc_cuda_la_SOURCES = plugins/ctc/cuda/greedy.cu \
	plugins/ctc/cuda/greedy-cuda.h
tests_ctc_test_ctc_cuda_LDADD += plugins/ctc/libctc-cuda.la $(CUDA_LIBS)
plugins/ctc/cuda/greedy.lo: $(srcdir)/plugins/ctc/cuda/greedy-cuda.h config.h
endif
EXTRA_DIST += tests/fuzz/fuzz-arpa.c
