# mfcc plugin: parity with the reference implementations (golden data from
# tests/golden/make-mfcc.py), streaming, bad input.
check_PROGRAMS += tests/mfcc/test-mfcc
# The feature pipeline is also linked in directly, to test its dispatch.
tests_mfcc_test_mfcc_SOURCES = tests/mfcc/test-mfcc.c \
	plugins/core/npy.c plugins/core/npy.h \
	plugins/mfcc/feat-plan.c plugins/mfcc/feat-compute.c \
	plugins/mfcc/feat-stream.c
tests_mfcc_test_mfcc_CFLAGS = $(TEST_CFLAGS) -I$(top_srcdir)/plugins/core \
	-I$(top_srcdir)/plugins/mfcc
tests_mfcc_test_mfcc_LDADD = $(TEST_LIBS) -lm
tests_mfcc_test_mfcc_DEPENDENCIES = plugins/mfcc.la plugins/core.la core/libweft.la
TESTS += tests/mfcc/test-mfcc
# The same suite on the baseline (non-AVX2) build of the per-frame code.
TESTS += tests/mfcc/test-mfcc-generic.sh
EXTRA_DIST += tests/mfcc/test-mfcc-generic.sh
if HAVE_FFMPEG
# graphs/features.weft end to end through `weft run`.
TESTS += tests/mfcc/features-graph.sh
endif
EXTRA_DIST += tests/mfcc/features-graph.sh graphs/features.weft
EXTRA_DIST += tests/golden/make-mfcc.py
# The golden data, listed for make dist (regenerate this list with the data).
EXTRA_DIST += \
	tests/golden/mfcc/clipped.htk-mfcc.htk.npy \
	tests/golden/mfcc/clipped.kaldi-fbank.knf.npy \
	tests/golden/mfcc/clipped.kaldi-fbank.torchaudio.npy \
	tests/golden/mfcc/clipped.kaldi-mfcc.knf.npy \
	tests/golden/mfcc/clipped.kaldi-mfcc.torchaudio.npy \
	tests/golden/mfcc/clipped.librosa-fbank.librosa.npy \
	tests/golden/mfcc/clipped.librosa-mfcc.librosa.npy \
	tests/golden/mfcc/clipped.npy \
	tests/golden/mfcc/clipped.psf-fbank.psf.npy \
	tests/golden/mfcc/clipped.psf-mfcc.psf.npy \
	tests/golden/mfcc/espeak.htk-mfcc.htk.npy \
	tests/golden/mfcc/espeak.kaldi-fbank.knf.npy \
	tests/golden/mfcc/espeak.kaldi-fbank.torchaudio.npy \
	tests/golden/mfcc/espeak.kaldi-mfcc.knf.npy \
	tests/golden/mfcc/espeak.kaldi-mfcc.torchaudio.npy \
	tests/golden/mfcc/espeak.librosa-fbank.librosa.npy \
	tests/golden/mfcc/espeak.librosa-mfcc.librosa.npy \
	tests/golden/mfcc/espeak.npy \
	tests/golden/mfcc/espeak.psf-fbank.psf.npy \
	tests/golden/mfcc/espeak.psf-mfcc.psf.npy \
	tests/golden/mfcc/flite.htk-mfcc.htk.npy \
	tests/golden/mfcc/flite.kaldi-fbank.knf.npy \
	tests/golden/mfcc/flite.kaldi-fbank.torchaudio.npy \
	tests/golden/mfcc/flite.kaldi-mfcc.knf.npy \
	tests/golden/mfcc/flite.kaldi-mfcc.torchaudio.npy \
	tests/golden/mfcc/flite.librosa-fbank.librosa.npy \
	tests/golden/mfcc/flite.librosa-mfcc.librosa.npy \
	tests/golden/mfcc/flite.npy \
	tests/golden/mfcc/flite.psf-fbank.psf.npy \
	tests/golden/mfcc/flite.psf-mfcc.psf.npy \
	tests/golden/mfcc/noise.htk-mfcc.htk.npy \
	tests/golden/mfcc/noise.kaldi-fbank.knf.npy \
	tests/golden/mfcc/noise.kaldi-fbank.torchaudio.npy \
	tests/golden/mfcc/noise.kaldi-mfcc.knf.npy \
	tests/golden/mfcc/noise.kaldi-mfcc.torchaudio.npy \
	tests/golden/mfcc/noise.librosa-fbank.librosa.npy \
	tests/golden/mfcc/noise.librosa-mfcc.librosa.npy \
	tests/golden/mfcc/noise.npy \
	tests/golden/mfcc/noise.psf-fbank.psf.npy \
	tests/golden/mfcc/noise.psf-mfcc.psf.npy \
	tests/golden/mfcc/short.htk-mfcc.htk.npy \
	tests/golden/mfcc/short.kaldi-fbank.knf.npy \
	tests/golden/mfcc/short.kaldi-fbank.torchaudio.npy \
	tests/golden/mfcc/short.kaldi-mfcc.knf.npy \
	tests/golden/mfcc/short.kaldi-mfcc.torchaudio.npy \
	tests/golden/mfcc/short.librosa-fbank.librosa.npy \
	tests/golden/mfcc/short.librosa-mfcc.librosa.npy \
	tests/golden/mfcc/short.npy \
	tests/golden/mfcc/short.psf-fbank.psf.npy \
	tests/golden/mfcc/short.psf-mfcc.psf.npy \
	tests/golden/mfcc/silence.htk-mfcc.htk.npy \
	tests/golden/mfcc/silence.kaldi-fbank.knf.npy \
	tests/golden/mfcc/silence.kaldi-fbank.torchaudio.npy \
	tests/golden/mfcc/silence.kaldi-mfcc.knf.npy \
	tests/golden/mfcc/silence.kaldi-mfcc.torchaudio.npy \
	tests/golden/mfcc/silence.librosa-fbank.librosa.npy \
	tests/golden/mfcc/silence.librosa-mfcc.librosa.npy \
	tests/golden/mfcc/silence.npy \
	tests/golden/mfcc/silence.psf-fbank.psf.npy \
	tests/golden/mfcc/silence.psf-mfcc.psf.npy \
	tests/golden/mfcc/sines.htk-mfcc.htk.npy \
	tests/golden/mfcc/sines.kaldi-fbank.knf.npy \
	tests/golden/mfcc/sines.kaldi-fbank.torchaudio.npy \
	tests/golden/mfcc/sines.kaldi-mfcc.knf.npy \
	tests/golden/mfcc/sines.kaldi-mfcc.torchaudio.npy \
	tests/golden/mfcc/sines.librosa-fbank.librosa.npy \
	tests/golden/mfcc/sines.librosa-mfcc.librosa.npy \
	tests/golden/mfcc/sines.npy \
	tests/golden/mfcc/sines.psf-fbank.psf.npy \
	tests/golden/mfcc/sines.psf-mfcc.psf.npy
