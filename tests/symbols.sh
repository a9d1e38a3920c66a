#!/usr/bin/env bash
# tests/symbols.sh: what the installation offers third parties, and no
# more. The shared library libasynctasks exports exactly the functions of
# lib/libasynctasks.sym, and those are exactly the functions the installed
# headers declare; the installed headers are the client API and the plugin
# SDK, each of which compiles alone, as C and as C++; the installed
# programs carry the library in themselves; and the client example builds
# with pkg-config against the installation and enqueues a task through it.
# shellcheck source=lib.sh
. "${top_srcdir:?}/tests/lib.sh"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/at-symbols.XXXXXX") || bail "mktemp"
C=
trap 'rm -rf -- "$WORK" ${C:+"$(dirname -- "$C")"}' EXIT
DEST=$WORK/dest
# The build's compiler, and its sanitizers for the programs built here
# that run against its library.
mk() { sed -n "s/^$1 = //p" "$top_builddir/Makefile"; }
CC=${CC:-$(mk CC)}
CXX=${CXX:-c++}
SAN=$(mk AT_SAN_CFLAGS)
LIST=$top_srcdir/lib/libasynctasks.sym

# The headers make install puts under include/asynctasks/.
HEADERS='client.h
error.h
plugin.h
task_record.h
types.h'

unset MAKEFLAGS MFLAGS MAKELEVEL

# same WANT-FILE GOT NAME: GOT (lines) is the content of WANT-FILE; on a
# difference the diff is shown.
same() {
    local d
    d=$(diff -u --label "$1" --label got "$1" <(printf '%s\n' "$2"))
    ok "$?" "$3"
    [ -z "$d" ] || printf '%s\n' "$d" | sed 's/^/# /' | head -n 60
}

# exported SO: the dynamic symbols SO defines, one a line, sorted.
exported() { nm -D --defined-only "$1" | awk '{ print $NF }' | LC_ALL=C sort; }

# ---- the built library ----
built=$top_builddir/lib/.libs/libasynctasks.so
[ -f "$built" ] || bail "$built is not built"
same "$LIST" "$(exported "$built")" "the built library exports exactly lib/libasynctasks.sym"
ok "$([ "$(LC_ALL=C sort -u "$LIST")" = "$(cat "$LIST")" ]; echo $?)" \
    "lib/libasynctasks.sym is sorted, each symbol once"

# ---- install ----
make -C "$top_builddir" install DESTDIR="$DEST" >"$WORK/install.log" 2>&1
rc=$?
is "$rc" 0 "make install DESTDIR=... succeeds"
[ "$rc" = 0 ] || { sed 's/^/# /' "$WORK/install.log" | tail -n 20; bail "make install failed"; }
inc=$(find "$DEST" -type d -path '*/include/asynctasks' | head -n 1)
so=$(find "$DEST" -name 'libasynctasks.so' | head -n 1)
[ -n "$inc" ] && [ -n "$so" ] || bail "the installation lacks include/asynctasks or libasynctasks.so"
libdir=${so%/*}

is "$(find "$DEST" -path '*/include/*' \( -type f -o -type l \) | sed 's|.*/include/asynctasks/||' |
    LC_ALL=C sort)" "$HEADERS" "the installed headers are the client API's and the plugin SDK's"
same "$LIST" "$(exported "$so")" "the installed library exports exactly lib/libasynctasks.sym"
is "$(readelf -d "$so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')" "libasynctasks.so.1" \
    "its soname is libasynctasks.so.1"

# Every function the installed headers declare, comments and all else
# aside: what the preprocessor leaves that is an at_ name followed by (.
declared=$(for h in $HEADERS; do
    printf '#include <asynctasks/%s>\n' "$h" | "$CC" -E -P -I"${inc%/asynctasks}" -xc -
done | grep -oE '\bat_[a-z0-9_]+[[:space:]]*\(' | sed 's/[[:space:]]*($//' | LC_ALL=C sort -u)
same "$LIST" "$declared" "the installed headers declare exactly the exported functions"

# ---- each installed header alone ----
for h in $HEADERS; do
    printf '#include <asynctasks/%s>\n' "$h" >"$WORK/one.c"
    OUT=$("$CC" -std=c99 -Wall -Wextra -Werror -pedantic -I"${inc%/asynctasks}" -c "$WORK/one.c" \
        -o "$WORK/one.o" 2>&1)
    ok "$?" "$h compiles alone as C99 with -Wall -Wextra -Werror -pedantic"
    [ -z "$OUT" ] || diag "$OUT"
    cp "$WORK/one.c" "$WORK/one.cc"
    OUT=$("$CXX" -Wall -Wextra -Werror -I"${inc%/asynctasks}" -c "$WORK/one.cc" -o "$WORK/one.o" 2>&1)
    ok "$?" "$h compiles alone as C++ with -Wall -Wextra -Werror"
    [ -z "$OUT" ] || diag "$OUT"
done

# A C++ program reaches the C names (extern "C"): it links and runs.
cat >"$WORK/cxx.cc" <<'EOF'
#include <asynctasks/client.h>
#include <cstdio>
int main() {
    std::printf("%s %s\n", at_task_state_str(AT_TASK_QUEUED), at_status_str(AT_ENOTFOUND));
    return at_task_state_parse("queued") == AT_TASK_QUEUED ? 0 : 1;
}
EOF
# shellcheck disable=SC2086 # SAN: the build's flags, split
OUT=$("$CXX" $SAN -Wall -Wextra -Werror -I"${inc%/asynctasks}" "$WORK/cxx.cc" -o "$WORK/cxx" \
    -L"$libdir" -lasynctasks 2>&1)
ok "$?" "a C++ program links against the installed library"
[ -z "$OUT" ] || diag "$OUT"
OUT=$(LD_LIBRARY_PATH=$libdir "$WORK/cxx" 2>&1)
is "$?" 0 "and runs"
is "$OUT" "queued not found" "calling it"

# ---- the installed programs carry the library in themselves ----
for p in bin/asynctasks sbin/asynctasksd sbin/asynctasks-fcgi; do
    f=$(find "$DEST" -path "*/$p" -type f | head -n 1)
    needed=$(readelf -d "$f" 2>&1 | grep NEEDED)
    ok "$([ -n "$f" ] && ! grep -q asynctasks <<<"$needed"; echo $?)" \
        "${p#*/} is installed and needs no libasynctasks"
done

# ---- the client example against the installation ----
example=$top_srcdir/examples/client/enqueue.c
export PKG_CONFIG_PATH=
export PKG_CONFIG_LIBDIR=$libdir/pkgconfig
export PKG_CONFIG_SYSROOT_DIR=$DEST
# shellcheck disable=SC2046,SC2086 # pkg-config's words and SAN, split
OUT=$("$CC" $SAN -Wall -Wextra -Werror "$example" -o "$WORK/enqueue" \
    $(pkg-config --cflags --libs asynctasks) 2>&1)
ok "$?" "examples/client/enqueue.c builds with pkg-config asynctasks, without warnings"
[ -z "$OUT" ] || diag "$OUT"
like "$(readelf -d "$WORK/enqueue" 2>&1 | grep NEEDED)" 'libasynctasks\.so\.1' \
    "it links the installed libasynctasks.so.1"

C=$(fresh_db symbols_sh) || bail "fresh_db symbols_sh: $C"
DB=asynctasks_test_symbols_sh
"$AT" --config "$C" migrate >/dev/null &&
    "$AT" --config "$C" business add acme "Acme" >/dev/null &&
    "$AT" --config "$C" user add ann@example.org "Ann" --no-password >/dev/null &&
    "$AT" --config "$C" member add --business acme --user ann@example.org --role member >/dev/null &&
    "$AT" --config "$C" type add report >/dev/null || bail "cannot set up $DB"
ENQ() { LD_LIBRARY_PATH=$libdir "$WORK/enqueue" --config "$C" "$@" 2>&1; }
OUT=$(ENQ --priority 7 acme ann@example.org report "month=5")
is "$?" 0 "the example enqueues a task through the installed library"
like "$OUT" '^[1-9][0-9]*$' "and prints its id"
is "$(sql "$DB" -e "SELECT CONCAT_WS(' ', t.priority, y.name, t.state) FROM tasks t
    JOIN task_types y ON y.id = t.task_type_id WHERE t.id = ${OUT:-0}")" "7 report queued" \
    "the task is in the database as enqueued"
OUT=$(ENQ acme ann@example.org no.such.type)
is "$?" 66 "an unknown type: exit 66"
like "$OUT" "no task type 'no\.such\.type'" "and says so"

done_testing
