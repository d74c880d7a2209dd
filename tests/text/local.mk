# Text: the shared model loader (no model needed), and the text plugin
# with the real all-MiniLM-L6-v2: tokenizer parity with Hugging Face
# tokenizers, embedding parity with sentence-transformers, cold start,
# nodes. Golden data: tests/golden/make-text-tokens.py, make-text-embed.py.
check_PROGRAMS += tests/text/test-model-loader
tests_text_test_model_loader_SOURCES = tests/text/test-model-loader.c
tests_text_test_model_loader_CFLAGS = $(TEST_CFLAGS)
tests_text_test_model_loader_LDADD = kernels/libweft-kernels.la $(CHECK_LIBS)
TESTS += tests/text/test-model-loader

if HAVE_UTF8PROC
check_PROGRAMS += tests/text/test-text
tests_text_test_text_SOURCES = tests/text/test-text.c $(TEXT_CORE_SOURCES) \
	plugins/core/npy.c plugins/core/npy.h
tests_text_test_text_CFLAGS = $(TEST_CFLAGS) $(UTF8PROC_CFLAGS) \
	-I$(top_srcdir)/plugins/core -I$(top_srcdir)/plugins/text
tests_text_test_text_LDADD = $(TEST_LIBS) kernels/libweft-kernels.la \
	$(UTF8PROC_LIBS) -lm
tests_text_test_text_DEPENDENCIES = plugins/text.la core/libweft.la \
	kernels/libweft-kernels.la
TESTS += tests/text/test-text
endif
EXTRA_DIST += tests/golden/make-text-tokens.py tests/golden/make-text-embed.py \
	tests/golden/text/corpus.txt tests/golden/text/corpus.ids \
	tests/golden/text/sentences.txt tests/golden/text/embeddings.npy \
	tests/fuzz/fuzz-safetensors.c tests/fuzz/corpus-safetensors
if HAVE_UTF8PROC
TESTS += tests/text/embed-graph.sh tests/text/test-text-isa.sh
endif

# text.embed on CUDA (issue 9):
#   test-text-device  device/precision errors of text.embed, on any machine
#                     (a missing CUDA device fails init in one line)
#   test-text-cuda    the CUDA encoder (fp32, fp16, bf16) vs the CPU's on
#                     the golden sentences; exits 77 without a GPU
#                     (scripts/gpu-check runs it)
if HAVE_UTF8PROC
check_PROGRAMS += tests/text/test-text-device tests/text/test-text-cuda
TESTS += tests/text/test-text-device tests/text/test-text-cuda
tests_text_test_text_device_SOURCES = tests/text/test-text-device.c
tests_text_test_text_device_CFLAGS = $(TEST_CFLAGS)
tests_text_test_text_device_LDADD = $(TEST_LIBS) kernels/libweft-kernels.la
tests_text_test_text_device_DEPENDENCIES = plugins/text.la core/libweft.la \
	kernels/libweft-kernels.la
tests_text_test_text_cuda_SOURCES = tests/text/test-text-cuda.c \
	$(TEXT_CORE_SOURCES) plugins/core/npy.c plugins/core/npy.h
tests_text_test_text_cuda_CFLAGS = $(TEST_CFLAGS) $(UTF8PROC_CFLAGS) \
	-I$(top_srcdir)/plugins/core -I$(top_srcdir)/plugins/text
tests_text_test_text_cuda_LDADD = $(TEST_LIBS) kernels/libweft-kernels.la \
	$(UTF8PROC_LIBS) -lm
tests_text_test_text_cuda_DEPENDENCIES = plugins/text.la core/libweft.la \
	kernels/libweft-kernels.la
if HAVE_CUDA
tests_text_test_text_cuda_LDADD += plugins/text/libtext-cuda.la $(CUDA_LIBS)
tests_text_test_text_cuda_DEPENDENCIES += plugins/text/libtext-cuda.la
endif
endif
EXTRA_DIST += tests/text/embed-graph.sh tests/text/test-text-isa.sh graphs/embed.weft graphs/similar.weft \
	tests/golden/text/queries.txt tests/golden/text/intents.txt

# make fuzz-safetensors: the libFuzzer target over the model loader's
# parsers, FUZZ_TIME seconds (see tests/lang/local.mk for FUZZ_FLAGS).
.PHONY: fuzz-safetensors
fuzz-safetensors:
	@test -n "$(CLANG)" || { echo "needs clang (configure found none)"; exit 1; }
	$(MKDIR_P) tests/fuzz/safetensors-corpus
	cp $(top_srcdir)/tests/fuzz/corpus-safetensors/* tests/fuzz/safetensors-corpus/
	$(CLANG) $(FUZZ_FLAGS) -std=gnu11 -I$(top_builddir) -I$(top_srcdir)/core \
	    -I$(top_srcdir)/kernels $(top_srcdir)/tests/fuzz/fuzz-safetensors.c \
	    $(top_srcdir)/kernels/json.c $(top_srcdir)/kernels/model.c -lm \
	    -o tests/fuzz/fuzz-safetensors
	cd tests/fuzz && ./fuzz-safetensors -max_total_time=$(FUZZ_TIME) \
	    -timeout=10 -rss_limit_mb=2048 -artifact_prefix=crash- \
	    safetensors-corpus
