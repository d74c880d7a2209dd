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
