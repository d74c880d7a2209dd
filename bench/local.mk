# Benchmarks: built by `make check` (so they keep compiling), never run by
# it; scripts/gpu-check runs them. They print `BENCH name device value unit`.
check_PROGRAMS += bench/bench-gemm
bench_bench_gemm_SOURCES = bench/gemm.c
bench_bench_gemm_LDADD = kernels/libweft-kernels.la
