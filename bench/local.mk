# Benchmarks: built by `make check` (so they keep compiling), never run by
# it; scripts/gpu-check runs them. They print `BENCH name device value unit`.
check_PROGRAMS += bench/bench-gemm
bench_bench_gemm_SOURCES = bench/gemm.c
bench_bench_gemm_LDADD = kernels/libweft-kernels.la

# Per-hop overhead of the scheduler against GStreamer (issue 4): run
# `WEFT_PLUGIN_PATH=plugins/.libs bench/hop` from the build folder.
check_PROGRAMS += bench/hop
bench_hop_SOURCES = bench/hop.c
bench_hop_LDADD = core/libweft.la

# bench/ctc: Weft's CTC beam search vs pyctcdecode and flashlight-text
# (bench/ctc/run.py drives it; figures in doc/performance.md).
check_PROGRAMS += bench/ctc/bench-ctc
bench_ctc_bench_ctc_SOURCES = bench/ctc/bench-ctc.c $(CTC_CORE_SOURCES) \
	plugins/core/npy.c plugins/core/npy.h
bench_ctc_bench_ctc_CFLAGS = $(AM_CFLAGS) -O2 -I$(top_srcdir)/plugins/ctc \
	-I$(top_srcdir)/plugins/core
bench_ctc_bench_ctc_LDADD = -lm
EXTRA_DIST += bench/ctc/run.py

# bench-mfcc-cuda (issue 6): simultaneous 16 kHz streams kept in real time
# with 10 ms chunks, batched MFCC (weft/features.h) on CUDA and on the CPU;
# scripts/gpu-check runs it.
check_PROGRAMS += bench/bench-mfcc-cuda
bench_bench_mfcc_cuda_SOURCES = bench/mfcc-cuda.c plugins/mfcc/feat-plan.c \
	plugins/mfcc/feat-compute.c
bench_bench_mfcc_cuda_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/plugins/mfcc
bench_bench_mfcc_cuda_LDADD = kernels/libweft-kernels.la -lm
if HAVE_CUDA
# It copies the chunks with cudaMemcpy2DAsync on the context's stream.
bench_bench_mfcc_cuda_CFLAGS += $(CUDA_CFLAGS)
bench_bench_mfcc_cuda_LDADD += $(CUDA_LIBS)
endif

# bench/text: Weft's BERT sentence encoder vs sentence-transformers and
# onnxruntime (bench/text/run.py drives it; figures in doc/performance.md).
if HAVE_UTF8PROC
check_PROGRAMS += bench/text/bench-text
bench_text_bench_text_SOURCES = bench/text/bench-text.c $(TEXT_CORE_SOURCES)
bench_text_bench_text_CFLAGS = $(AM_CFLAGS) $(UTF8PROC_CFLAGS) \
	-I$(top_srcdir)/plugins/text
bench_text_bench_text_LDADD = kernels/libweft-kernels.la $(UTF8PROC_LIBS) -lm
endif
EXTRA_DIST += bench/text/run.py

# bench-text-cuda (issue 9): sentence embeddings per second of the BERT
# encoder on CUDA (plugins/text/cuda) at batch 256, sequences of ~16 and
# ~128 tokens, fp32/fp16/bf16; scripts/gpu-check runs it (exits 77 without
# a GPU).
if HAVE_UTF8PROC
check_PROGRAMS += bench/bench-text-cuda
bench_bench_text_cuda_SOURCES = bench/bench-text-cuda.c $(TEXT_CORE_SOURCES)
bench_bench_text_cuda_CFLAGS = $(AM_CFLAGS) $(UTF8PROC_CFLAGS) \
	-I$(top_srcdir)/plugins/text \
	-DWEFT_BENCH_MODEL='"$(TEST_MODELS)/all-minilm-l6-v2"' \
	-DWEFT_BENCH_SENTENCES='"$(abs_top_srcdir)/tests/golden/text/sentences.txt"'
bench_bench_text_cuda_LDADD = kernels/libweft-kernels.la $(UTF8PROC_LIBS) -lm
if HAVE_CUDA
bench_bench_text_cuda_LDADD += plugins/text/libtext-cuda.la $(CUDA_LIBS)
endif
endif

# bench-asr (issue 8): asr.acoustic's model alone on a random ~1M-parameter
# model: times real time on one CPU core, streams kept in real time on
# CUDA; scripts/gpu-check runs it.
check_PROGRAMS += bench/bench-asr
bench_bench_asr_SOURCES = bench/bench-asr.c $(ASR_CORE_SOURCES)
bench_bench_asr_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/plugins/asr
bench_bench_asr_LDADD = kernels/libweft-kernels.la core/libweft.la \
	$(ASR_CUDA_LIBS) -lm
