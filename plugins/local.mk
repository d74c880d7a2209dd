# SPDX-License-Identifier: LGPL-2.1-or-later
# Plugins: each .la lives directly in plugins/ so that every .so lands in
# plugins/.libs/, the one directory tests put on WEFT_PLUGIN_PATH.

# core: .npy and text files, test signals, identity, null sink.
plugin_LTLIBRARIES += plugins/core.la
plugins_core_la_SOURCES = \
	plugins/core/plugin.c \
	plugins/core/core-util.c \
	plugins/core/core-util.h \
	plugins/core/npy.c \
	plugins/core/npy.h \
	plugins/core/identity.c \
	plugins/core/null-sink.c \
	plugins/core/tensor-sink.c \
	plugins/core/tensor-src.c \
	plugins/core/test-src.c \
	plugins/core/text-file.c \
	plugins/core/text-lines.c \
	plugins/core/text-print.c
plugins_core_la_CFLAGS = $(AM_CFLAGS)
plugins_core_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_core_la_LIBADD = core/libweft.la -lm

# io: media files through FFmpeg (audio.file, audio.write, audio.dir,
# image.file, image.dir, video.file).
if HAVE_FFMPEG
plugin_LTLIBRARIES += plugins/io.la
plugins_io_la_SOURCES = \
	plugins/io/plugin.c \
	plugins/io/io-util.c \
	plugins/io/io-util.h \
	plugins/io/io-audio-dec.c \
	plugins/io/io-image-dec.c \
	plugins/io/audio-dir.c \
	plugins/io/audio-file.c \
	plugins/io/audio-write.c \
	plugins/io/image-dir.c \
	plugins/io/image-file.c \
	plugins/io/video-file.c
plugins_io_la_CFLAGS = $(AM_CFLAGS) $(FFMPEG_CFLAGS)
plugins_io_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_io_la_LIBADD = core/libweft.la $(FFMPEG_LIBS) -lm
endif

# audio: microphone and speaker through PortAudio (audio.capture,
# audio.playback, audio.devices).
if HAVE_PORTAUDIO
plugin_LTLIBRARIES += plugins/audio.la
plugins_audio_la_SOURCES = \
	plugins/audio/plugin.c \
	plugins/audio/pa-util.c \
	plugins/audio/pa-util.h \
	plugins/audio/capture.c \
	plugins/audio/playback.c \
	plugins/audio/devices.c
plugins_audio_la_CFLAGS = $(AM_CFLAGS) $(PORTAUDIO_CFLAGS)
plugins_audio_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_audio_la_LIBADD = core/libweft.la $(PORTAUDIO_LIBS) -ldl -lm
endif

# mfcc: MFCC and log mel filterbank features (mfcc, fbank).
plugin_LTLIBRARIES += plugins/mfcc.la
plugins_mfcc_la_SOURCES = \
	plugins/mfcc/plugin.c \
	plugins/mfcc/mfcc-plugin.h \
	plugins/mfcc/mfcc.c \
	plugins/mfcc/fbank.c \
	plugins/mfcc/feat-node.c \
	plugins/mfcc/feat.h \
	plugins/mfcc/feat-internal.h \
	plugins/mfcc/feat-plan.c \
	plugins/mfcc/feat-compute.c \
	plugins/mfcc/feat-stream.c
plugins_mfcc_la_CFLAGS = $(AM_CFLAGS)
plugins_mfcc_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_mfcc_la_LIBADD = core/libweft.la -lm

# ctc: CTC decoders (greedy, prefix beam search with lexicon, n-gram LM,
# command grammar, hotwords). The modules depend only on libc, so tests,
# bench/ctc and the fuzzers compile them in (CTC_CORE_SOURCES).
CTC_CORE_SOURCES = \
	plugins/ctc/ctc.h \
	plugins/ctc/vocab.c \
	plugins/ctc/lexicon.c \
	plugins/ctc/lm.c \
	plugins/ctc/grammar.c \
	plugins/ctc/decoder.c
plugin_LTLIBRARIES += plugins/ctc.la
plugins_ctc_la_SOURCES = \
	$(CTC_CORE_SOURCES) \
	plugins/ctc/plugin.c \
	plugins/ctc/node.c \
	plugins/ctc/node.h \
	plugins/ctc/beam.c \
	plugins/ctc/greedy.c
plugins_ctc_la_CFLAGS = $(AM_CFLAGS)
plugins_ctc_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_ctc_la_LIBADD = core/libweft.la -lm

# text: BERT WordPiece tokenization (text.tokenize), BERT-family sentence
# embeddings through libweft-kernels (text.embed) and nearest-sentence
# search (text.nearest). The tokenizer and encoder modules depend only on
# libc, libutf8proc and libweft-kernels, so tests compile them in
# (TEXT_CORE_SOURCES).
if HAVE_UTF8PROC
TEXT_CORE_SOURCES = \
	plugins/text/wordpiece.c \
	plugins/text/wordpiece.h \
	plugins/text/unicode-tables.c \
	plugins/text/bert.c \
	plugins/text/bert.h \
	plugins/text/bert-cpu.h \
	plugins/text/bert-gemm.c \
	plugins/text/bert-attn.c
plugin_LTLIBRARIES += plugins/text.la
plugins_text_la_SOURCES = \
	$(TEXT_CORE_SOURCES) \
	plugins/text/text-plugin.h \
	plugins/text/plugin.c \
	plugins/text/embed.c \
	plugins/text/nearest.c \
	plugins/text/tokenize.c
plugins_text_la_CFLAGS = $(AM_CFLAGS) $(UTF8PROC_CFLAGS)
plugins_text_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_text_la_LIBADD = core/libweft.la kernels/libweft-kernels.la \
	$(UTF8PROC_LIBS) -lm
if HAVE_CUDA
# The encoder on CUDA (text.embed device=cuda:N): a convenience library
# that the plugin, tests/text/test-text-cuda and bench/bench-text-cuda
# link. Listed in check_LTLIBRARIES (Makefile.am has no noinst list);
# `make` builds it first anyway, as a dependency of the plugin.
check_LTLIBRARIES += plugins/text/libtext-cuda.la
plugins_text_libtext_cuda_la_SOURCES = \
	plugins/text/cuda/bert-cuda.h \
	plugins/text/cuda/bert-cuda.cu \
	plugins/text/cuda/bert-cuda-src.c \
	plugins/text/cuda/bert-kernels.h \
	plugins/text/cuda/bert-kernels.cu
plugins_text_la_LIBADD += plugins/text/libtext-cuda.la $(CUDA_LIBS)
# The .cu.lo rule has no dependency tracking: name the headers.
TEXT_CUDA_DEPS = $(srcdir)/plugins/text/cuda/bert-cuda.h \
	$(srcdir)/plugins/text/cuda/bert-kernels.h \
	$(srcdir)/core/weft/common.h config.h
plugins/text/cuda/bert-cuda.lo: $(TEXT_CUDA_DEPS)
plugins/text/cuda/bert-kernels.lo: $(TEXT_CUDA_DEPS)
endif
endif
EXTRA_DIST += plugins/text/gen-unicode-tables.py plugins/text/cuda/emulate.py

# asr: streaming acoustic models (asr.acoustic, doc/acoustic-model.md).
# The model modules depend only on libc and libweft-kernels, so tests, the
# bench and the fuzzer compile them in (ASR_CORE_SOURCES); with CUDA they
# also need the kernels of plugins/asr/cuda (ASR_CUDA_LIBS, a check-only
# convenience library of the same object the plugin links).
ASR_CORE_SOURCES = \
	plugins/asr/asr.h \
	plugins/asr/model.c \
	plugins/asr/forward.c \
	plugins/asr/ops.c \
	plugins/asr/ops.h \
	plugins/asr/cuda/asr-cuda.h
plugin_LTLIBRARIES += plugins/asr.la
plugins_asr_la_SOURCES = \
	$(ASR_CORE_SOURCES) \
	plugins/asr/asr-plugin.h \
	plugins/asr/plugin.c \
	plugins/asr/acoustic.c
plugins_asr_la_CFLAGS = $(AM_CFLAGS)
plugins_asr_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_asr_la_LIBADD = core/libweft.la kernels/libweft-kernels.la -lm
ASR_CUDA_LIBS =
if HAVE_CUDA
plugins_asr_la_SOURCES += plugins/asr/cuda/asr-kernels.cu
plugins_asr_la_LIBADD += $(CUDA_LIBS)
check_LTLIBRARIES += plugins/asr/libasr-cuda.la
plugins_asr_libasr_cuda_la_SOURCES = plugins/asr/cuda/asr-kernels.cu
ASR_CUDA_LIBS += plugins/asr/libasr-cuda.la $(CUDA_LIBS)
endif
EXTRA_DIST += plugins/asr/cuda/asr-kernels.cu
plugins/asr/cuda/asr-kernels.lo: $(srcdir)/plugins/asr/cuda/asr-cuda.h config.h
