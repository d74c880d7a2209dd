# Tests of the io (FFmpeg) and audio (PortAudio) plugins.
EXTRA_DIST += tests/io/io-test-util.h

if HAVE_FFMPEG
check_PROGRAMS += tests/io/test-io-audio
tests_io_test_io_audio_SOURCES = tests/io/test-io-audio.c tests/io/io-test-util.h
tests_io_test_io_audio_CFLAGS = $(TEST_CFLAGS)
tests_io_test_io_audio_LDADD = $(TEST_LIBS) -lm
TESTS += tests/io/test-io-audio
endif

if HAVE_PORTAUDIO
# Runs inside its own PulseAudio server, started by audio-loopback.sh.
check_PROGRAMS += tests/io/test-audio-loopback
tests_io_test_audio_loopback_SOURCES = tests/io/test-audio-loopback.c tests/io/io-test-util.h
tests_io_test_audio_loopback_CFLAGS = $(TEST_CFLAGS) $(PTHREAD_CFLAGS)
tests_io_test_audio_loopback_LDADD = $(TEST_LIBS) -lpthread -lm
TESTS += tests/io/audio-loopback.sh
endif
EXTRA_DIST += tests/io/audio-loopback.sh

if HAVE_FFMPEG
check_PROGRAMS += tests/io/test-io-image
tests_io_test_io_image_SOURCES = tests/io/test-io-image.c tests/io/io-test-util.h
tests_io_test_io_image_CFLAGS = $(TEST_CFLAGS)
tests_io_test_io_image_LDADD = $(TEST_LIBS) -lm
TESTS += tests/io/test-io-image
endif

if HAVE_FFMPEG
# End to end through `weft run` (the graph language and scheduler).
TESTS += tests/io/convert.sh
endif
EXTRA_DIST += tests/io/convert.sh graphs/convert.weft tests/fuzz/fuzz-audio-file.c
