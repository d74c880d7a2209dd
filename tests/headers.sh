#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Every public header compiles alone, as C11 and as C++ (STYLE.md).
set -u
srcdir=${abs_top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
cc=${CC:-cc}
cxx=${CXX:-c++}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
n=0
for h in "$srcdir"/core/weft/*.h "$srcdir"/kernels/weft/*.h; do
    [ -f "$h" ] || continue
    name=weft/$(basename "$h")
    printf '#include <%s>\n#include <%s>\nint weft_header_test_%d;\n' "$name" "$name" "$n" > "$tmp/t.c"
    cp "$tmp/t.c" "$tmp/t.cpp"
    inc="-I$srcdir/core -I$srcdir/kernels"
    if ! $cc -std=c11 -pedantic -Wall -Wextra -Werror $inc -c "$tmp/t.c" -o "$tmp/t.o" 2>"$tmp/err"; then
        echo "FAIL: $name as C11:"; cat "$tmp/err"; fail=1
    fi
    if ! $cxx -std=c++11 -Wall -Wextra -Werror $inc -c "$tmp/t.cpp" -o "$tmp/t.o" 2>"$tmp/err"; then
        echo "FAIL: $name as C++11:"; cat "$tmp/err"; fail=1
    fi
    n=$((n + 1))
done
echo "$n headers checked"
[ "$n" -gt 0 ] || exit 1
exit $fail
