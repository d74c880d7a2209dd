# asr.acoustic (issue 8): parity with PyTorch on two random models covering
# every layer type, whole and chunked; segments, state per node, formats,
# bad models and inputs (tests/golden/make-asr-golden.py makes the data);
# and, where a GPU exists, CUDA against the CPU.
check_PROGRAMS += tests/asr/test-asr
tests_asr_test_asr_SOURCES = tests/asr/test-asr.c plugins/core/npy.c \
	plugins/core/npy.h tests/fuzz/fuzz-asr-config.c $(ASR_CORE_SOURCES)
tests_asr_test_asr_CFLAGS = $(TEST_CFLAGS) -I$(top_srcdir)/plugins/core \
	-I$(top_srcdir)/plugins/asr
tests_asr_test_asr_LDADD = $(TEST_LIBS) kernels/libweft-kernels.la \
	$(ASR_CUDA_LIBS) -lm
tests_asr_test_asr_DEPENDENCIES = plugins/asr.la plugins/core.la \
	plugins/mfcc.la plugins/ctc.la core/libweft.la \
	kernels/libweft-kernels.la
TESTS += tests/asr/test-asr
EXTRA_DIST += tests/golden/make-asr-golden.py tests/golden/asr

# make fuzz-asr: the libFuzzer target over the acoustic config parser and
# layer builder (and the forward pass of what builds), FUZZ_TIME seconds
# (FUZZ_FLAGS: tests/lang/local.mk), seeded from tests/fuzz/corpus-asr.
# test-asr replays the seeds and tests/fuzz/crashers/asr-* every run.
EXTRA_DIST += tests/fuzz/fuzz-asr-config.c tests/fuzz/corpus-asr
.PHONY: fuzz-asr
fuzz-asr:
	@test -n "$(CLANG)" || { echo "needs clang (configure found none)"; exit 1; }
	$(MKDIR_P) tests/fuzz/asr-corpus tests/fuzz/cfg
	printf '#include "%s/config.h"\n#undef WEFT_HAVE_CUDA\n' \
	    '$(abs_top_builddir)' > tests/fuzz/cfg/config.h
	cp $(top_srcdir)/tests/fuzz/corpus-asr/* tests/fuzz/asr-corpus/
	$(CLANG) $(FUZZ_FLAGS) -std=gnu11 -Itests/fuzz/cfg -I$(top_builddir) \
	    -I$(top_srcdir)/core -I$(top_srcdir)/kernels \
	    -I$(top_srcdir)/plugins/asr $(OPENBLAS_CFLAGS) \
	    $(top_srcdir)/tests/fuzz/fuzz-asr-config.c \
	    $(top_srcdir)/plugins/asr/model.c $(top_srcdir)/plugins/asr/forward.c \
	    $(top_srcdir)/plugins/asr/ops.c $(top_srcdir)/kernels/kernels.c \
	    $(top_srcdir)/kernels/cpu/gemm.c \
	    $(top_srcdir)/kernels/cpu/elementwise.c \
	    $(top_srcdir)/kernels/json.c $(top_srcdir)/kernels/model.c \
	    $(OPENBLAS_LIBS) -lm -lpthread -o tests/fuzz/fuzz-asr-config
	cd tests/fuzz && OPENBLAS_NUM_THREADS=1 ./fuzz-asr-config \
	    -max_total_time=$(FUZZ_TIME) -timeout=10 -rss_limit_mb=2048 \
	    -artifact_prefix=crash-asr- asr-corpus

# CUDA against the CPU; exits 77 without a GPU (scripts/gpu-check runs it
# where there is one).
check_PROGRAMS += tests/asr/test-asr-cuda
tests_asr_test_asr_cuda_SOURCES = tests/asr/test-asr-cuda.c \
	$(ASR_CORE_SOURCES)
tests_asr_test_asr_cuda_CFLAGS = $(TEST_CFLAGS) -I$(top_srcdir)/plugins/asr
tests_asr_test_asr_cuda_LDADD = kernels/libweft-kernels.la $(ASR_CUDA_LIBS) -lm
TESTS += tests/asr/test-asr-cuda
