#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# A real audio loopback for the audio plugin: start a private PulseAudio
# server with a null sink (shared/ENVIRONMENT.md), make its monitor the
# default source, run tests/io/test-audio-loopback inside it, stop it.
# Skips (77) only when pulseaudio is not installed; quickstart installs it.
set -u
top=${abs_top_builddir:-$(cd "$(dirname "$0")/../.." && pwd)}
command -v pulseaudio >/dev/null 2>&1 || {
    echo "pulseaudio is not installed (./quickstart deps installs it): skipping"
    exit 77
}
DIR=$(mktemp -d "${TMPDIR:-/tmp}/weft-pulse-XXXXXX") || exit 1
RUN=$DIR/run
mkdir -p "$RUN" "$DIR/home"
chmod 700 "$RUN"
cat > "$DIR/null.pa" <<PA
load-module module-null-sink sink_name=nullsink rate=16000 channels=1
load-module module-native-protocol-unix auth-anonymous=1 socket=$RUN/native
set-default-sink nullsink
set-default-source nullsink.monitor
PA
export HOME="$DIR/home" XDG_RUNTIME_DIR="$RUN" PULSE_RUNTIME_PATH="$RUN"
unset DBUS_SESSION_BUS_ADDRESS
pulseaudio --daemonize=no --exit-idle-time=-1 --disallow-exit -n \
    --file="$DIR/null.pa" --use-pid-file=no >"$DIR/pulse.log" 2>&1 &
PA_PID=$!
cleanup() {
    kill "$PA_PID" 2>/dev/null
    wait "$PA_PID" 2>/dev/null
    rm -rf "$DIR"
}
trap cleanup EXIT INT TERM
export PULSE_SERVER="unix:$RUN/native"
i=0
while [ ! -S "$RUN/native" ]; do
    i=$((i + 1))
    if [ $i -gt 100 ] || ! kill -0 "$PA_PID" 2>/dev/null; then
        echo "PulseAudio did not start:"; cat "$DIR/pulse.log"
        exit 1
    fi
    sleep 0.1
done
"$top/tests/io/test-audio-loopback"
