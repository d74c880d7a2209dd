# Kernel tests. They link libweft-kernels and Check only (not libweft), so
# they build and run whatever state the core is in.
#   test-kernels-api   device strings, contexts, CUDA detection, CPU memory
#   test-gemm-cpu      CPU GEMM and elementwise ops vs a naive double loop
#   test-parity-cuda   every op, CUDA vs CPU; exits 77 (SKIP) without a GPU
# A test that needs a GPU must also be listed in scripts/gpu-check (TESTS).
KERNELS_TEST_LDADD = kernels/libweft-kernels.la $(CHECK_LIBS)

check_PROGRAMS += \
	tests/kernels/test-kernels-api \
	tests/kernels/test-gemm-cpu \
	tests/kernels/test-parity-cuda
TESTS += \
	tests/kernels/test-kernels-api \
	tests/kernels/test-gemm-cpu \
	tests/kernels/test-parity-cuda
noinst_HEADERS += tests/kernels/kutil.h

tests_kernels_test_kernels_api_SOURCES = tests/kernels/test-kernels-api.c
tests_kernels_test_kernels_api_CFLAGS = $(TEST_CFLAGS)
tests_kernels_test_kernels_api_LDADD = $(KERNELS_TEST_LDADD)

tests_kernels_test_gemm_cpu_SOURCES = tests/kernels/test-gemm-cpu.c
tests_kernels_test_gemm_cpu_CFLAGS = $(TEST_CFLAGS)
tests_kernels_test_gemm_cpu_LDADD = $(KERNELS_TEST_LDADD)

tests_kernels_test_parity_cuda_SOURCES = tests/kernels/test-parity-cuda.c
tests_kernels_test_parity_cuda_CFLAGS = $(TEST_CFLAGS)
tests_kernels_test_parity_cuda_LDADD = $(KERNELS_TEST_LDADD)

# Batched MFCC/fbank (weft/features.h). Both build the mfcc plugin's plan
# and per-frame code in, to take its tables and, on the CPU, its output as
# the reference.
#   test-mfcc-cpu    the op's CPU backend vs the plugin; runs everywhere
#   test-mfcc-cuda   CUDA vs CPU; exits 77 (SKIP) without a GPU
MFCC_TEST_SOURCES = tests/kernels/mfcc-util.h plugins/mfcc/feat-plan.c \
	plugins/mfcc/feat-compute.c plugins/mfcc/feat.h \
	plugins/mfcc/feat-internal.h
MFCC_TEST_CFLAGS = $(TEST_CFLAGS) -I$(top_srcdir)/plugins/mfcc
check_PROGRAMS += tests/kernels/test-mfcc-cpu tests/kernels/test-mfcc-cuda
TESTS += tests/kernels/test-mfcc-cpu tests/kernels/test-mfcc-cuda
tests_kernels_test_mfcc_cpu_SOURCES = tests/kernels/test-mfcc-cpu.c \
	$(MFCC_TEST_SOURCES)
tests_kernels_test_mfcc_cpu_CFLAGS = $(MFCC_TEST_CFLAGS)
tests_kernels_test_mfcc_cpu_LDADD = $(KERNELS_TEST_LDADD) -lm
tests_kernels_test_mfcc_cuda_SOURCES = tests/kernels/test-mfcc-cuda.c \
	$(MFCC_TEST_SOURCES)
tests_kernels_test_mfcc_cuda_CFLAGS = $(MFCC_TEST_CFLAGS)
tests_kernels_test_mfcc_cuda_LDADD = $(KERNELS_TEST_LDADD) -lm
