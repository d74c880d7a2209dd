#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# install-example.sh: what a plugin author does, end to end. Install Weft
# into a temporary DESTDIR, build examples/plugin-gain against it with
# nothing but its pkg-config file, run the example's harness test, and check
# that the installed `weft` loads the plugin and describes it. Then build
# and run examples/embed, a program embedding a graph, the same way.
#
# Runs from `make check` (which exports abs_top_builddir/abs_top_srcdir) or
# by hand from the top build folder. The source tree is only read, so it
# works under `make distcheck`.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
: "${abs_top_srcdir:=$here}"
if [ -z "${abs_top_builddir:-}" ]; then
    if [ -f "$PWD/config.status" ]; then abs_top_builddir=$PWD; else abs_top_builddir=$here; fi
fi

fail() { echo "install-example: FAIL: $*" >&2; exit 1; }

# Installation folders as configured, with their ${prefix} references
# expanded the way make would.
makevar() { sed -n "s/^$1 = //p" "$abs_top_builddir/Makefile" | head -n 1; }
[ -f "$abs_top_builddir/Makefile" ] || fail "no Makefile in $abs_top_builddir"
prefix=$(makevar prefix)
exec_prefix=$(makevar exec_prefix)
eval "exec_prefix=\"$exec_prefix\""
libdir=$(makevar libdir); eval "libdir=\"$libdir\""
bindir=$(makevar bindir); eval "bindir=\"$bindir\""
if [ -z "$prefix" ] || [ -z "$libdir" ] || [ -z "$bindir" ]; then
    fail "cannot read prefix/libdir/bindir from $abs_top_builddir/Makefile"
fi
# A sanitizer build's libweft needs the sanitizer runtime in the programs
# that load it, so the example is built with the same flags.
cc=$(makevar CC)
san=$(makevar SAN_FLAGS)

tmp=$(mktemp -d "${TMPDIR:-/tmp}/weft-install-example.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
root=$tmp/root

# 1. Install. This is a make run inside a test, not part of the calling make:
# the parent's flags and jobserver do not apply.
unset MAKEFLAGS MFLAGS MAKELEVEL
echo "install-example: make install DESTDIR=$root"
make -C "$abs_top_builddir" install DESTDIR="$root" >"$tmp/install.log" 2>&1 ||
    { tail -n 40 "$tmp/install.log"; fail "make install failed"; }
for f in "$root$bindir/weft" "$root$libdir/pkgconfig/weft-1.pc"; do
    [ -e "$f" ] || fail "$f was not installed"
done

# 2. pkg-config sees the DESTDIR tree as its sysroot, so the flags and the
# plugin folder it prints point into it.
export PKG_CONFIG_PATH="$root$libdir/pkgconfig"
export PKG_CONFIG_SYSROOT_DIR="$root"
export PKG_CONFIG_ALLOW_SYSTEM_CFLAGS=1 PKG_CONFIG_ALLOW_SYSTEM_LIBS=1
echo "install-example: pkg-config --cflags --libs weft-1: $(pkg-config --cflags --libs weft-1)"
plugindir=$(pkg-config --variable=plugindir weft-1)
case $plugindir in
    "$root"/*) ;;
    *) fail "plugindir '$plugindir' is not inside $root" ;;
esac

# 3. Build and test the example in a copy (the source tree may be read-only).
ex=$tmp/plugin-gain
mkdir "$ex"
for f in Makefile gain.c gain.map test-gain.c; do
    cp "$abs_top_srcdir/examples/plugin-gain/$f" "$ex/"
done
chmod u+w "$ex"/*
export LD_LIBRARY_PATH="$root$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
make -C "$ex" CC="${cc:-cc}${san:+ $san}" check ||
    fail "building or testing the example plugin failed"
nm -D --defined-only "$ex/gain.so" | grep -v ' weft_plugin_entry$' |
    grep -q ' [TDBR] ' && fail "gain.so exports more than weft_plugin_entry"

# 4. The installed weft loads the plugin from WEFT_PLUGIN_PATH.
weft=$root$bindir/weft
out=$(WEFT_PLUGIN_PATH=$ex "$weft" inspect gain 2>&1) ||
    { echo "$out"; fail "weft inspect gain failed"; }
echo "$out"
grep -q 'Multiply an f32 tensor by a constant factor' <<<"$out" ||
    fail "weft inspect gain does not show the class summary"
grep -Eq '(^|[^[:alnum:]_.])gain([^[:alnum:]_.].*)?float|float.*(^|[^[:alnum:]_.])gain([^[:alnum:]_.]|$)' <<<"$out" ||
    fail "weft inspect gain does not show the float property gain"
grep -q 'tensor dtype=f32' <<<"$out" ||
    fail "weft inspect gain does not show the port format"

# 5. Installed into the plugin folder, it is listed with the installed core
# plugins (the core's compiled-in folder is $plugindir without the DESTDIR,
# so the path is given explicitly).
make -C "$ex" install >/dev/null || fail "make install of the example failed"
[ -f "$plugindir/gain.so" ] || fail "gain.so is not in $plugindir"
out=$(WEFT_PLUGIN_PATH=$plugindir "$weft" inspect 2>&1) ||
    { echo "$out"; fail "weft inspect failed"; }
echo "$out"
grep -Eq '(^|[^[:alnum:]_.])gain([^[:alnum:]_.]|$)' <<<"$out" ||
    fail "weft inspect does not list the plugin gain"

# 6. The embedding example (examples/embed): a program that runs a graph
# built from a string, feeding it through app.src and reading app.sink.
em=$tmp/embed
mkdir "$em"
for f in Makefile embed.c; do
    cp "$abs_top_srcdir/examples/embed/$f" "$em/"
done
chmod u+w "$em"/*
WEFT_PLUGIN_PATH=$plugindir make -C "$em" CC="${cc:-cc}${san:+ $san}" check ||
    fail "building or running the embedding example failed"

echo "install-example: ok"
