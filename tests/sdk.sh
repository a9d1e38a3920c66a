#!/usr/bin/env bash
# tests/sdk.sh: the plugin SDK as a third party meets it. The build is
# installed into a staging directory (make install DESTDIR=...); the
# example plugin that installation ships is copied out of the tree and
# built with its own Makefile, which finds plugin.h through pkg-config and
# the installed asynctasks-plugin.pc; the installed asynctasks then checks
# it, runs it, and lists it among the installed bundled plugins.
# shellcheck source=lib.sh
. "${top_srcdir:?}/tests/lib.sh"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/at-sdk.XXXXXX") || bail "mktemp"
trap 'rm -rf -- "$WORK"' EXIT
DEST=$WORK/dest

# Every make here is one of its own, not a part of the one running the
# tests.
unset MAKEFLAGS MFLAGS MAKELEVEL

# ---- install ----
make -C "$top_builddir" install DESTDIR="$DEST" >"$WORK/install.log" 2>&1
rc=$?
is "$rc" 0 "make install DESTDIR=... succeeds"
[ "$rc" = 0 ] || sed 's/^/# /' "$WORK/install.log" | tail -n 20

pc=$(find "$DEST" -name asynctasks-plugin.pc | head -n 1)
ok "$([ -n "$pc" ]; echo $?)" "asynctasks-plugin.pc is installed"
header=$(find "$DEST" -path '*/include/asynctasks/plugin.h' | head -n 1)
ok "$([ -n "$header" ]; echo $?)" "plugin.h is installed"
example=$(find "$DEST" -path '*/examples/plugin/hello.c' | head -n 1)
ok "$([ -n "$example" ]; echo $?)" "the example plugin is installed with the docs"
bin=$(find "$DEST" -path '*/bin/asynctasks' -type f | head -n 1)
lib=$(find "$DEST" -name 'libasynctasks.so*' | head -n 1)
ok "$([ -n "$bin" ] && [ -n "$lib" ]; echo $?)" "the program and its library are installed"
[ -n "$pc" ] && [ -n "$example" ] && [ -n "$bin" ] || bail "the installation is incomplete"

# pkg-config sees only the staging directory
export PKG_CONFIG_PATH=
export PKG_CONFIG_LIBDIR=${pc%/*}
export PKG_CONFIG_SYSROOT_DIR=$DEST
cflags=$(pkg-config --cflags asynctasks-plugin)
like "$cflags" "^-I$DEST/" "pkg-config --cflags points into the installation"
# (the plugin directory as installed: without the staging prefix, which
# some pkg-config versions add to variables too)
plugindir=$(env -u PKG_CONFIG_SYSROOT_DIR pkg-config --variable=plugindir asynctasks-plugin)
like "$plugindir" "/asynctasks/plugins\$" "pkg-config gives the plugin directory"
for p in noop sleep export; do
    ok "$([ -f "$DEST$plugindir/$p.so" ]; echo $?)" "the bundled plugin $p.so is installed there"
done
ok "$(! grep -q -- '-l' <<<"$(pkg-config --libs asynctasks-plugin)"; echo $?)" \
    "the SDK asks to link against nothing"

# ---- build the example out of the tree ----
mkdir "$WORK/hello"
cp "${example%/*}/hello.c" "${example%/*}/Makefile" "$WORK/hello/"
make -C "$WORK/hello" >"$WORK/build.log" 2>&1
rc=$?
is "$rc" 0 "the example builds with its own Makefile against the installed SDK"
[ "$rc" = 0 ] || sed 's/^/# /' "$WORK/build.log" | tail -n 20
like "$(cat "$WORK/build.log")" "$DEST/[^ ]*include" "the compiler was given the installed headers"
if grep -q 'warning:' "$WORK/build.log"; then
    ok 1 "without warnings"
    sed 's/^/# /' "$WORK/build.log" | tail -n 20
else
    ok 0 "without warnings"
fi
needed=$(readelf -d "$WORK/hello/hello.so" 2>&1 | grep NEEDED)
ok "$(! grep -q asynctasks <<<"$needed"; echo $?)" "hello.so does not link against asynctasks"

# ---- load it and run it with the installed program ----
AT_INST() { LD_LIBRARY_PATH=${lib%/*} "$bin" "$@"; }
OUT=$(AT_INST plugin check "$WORK/hello/hello.so" 2>&1)
is "$?" 0 "the installed asynctasks accepts the plugin"
like "$OUT" "task type hello" "it declares the type hello"
like "$OUT" "parameter name: string, optional, default 'world', 1 to 100 characters" \
    "with its parameter"
OUT=$(AT_INST plugin run "$WORK/hello/hello.so" hello "name=Ada" 2>&1)
is "$?" 0 "running it succeeds"
like "$OUT" "result: Hello, Ada!" "and greets the name in the payload"
OUT=$(AT_INST plugin run "$WORK/hello/hello.so" hello 2>&1)
like "$OUT" "result: Hello, world!" "or the default"

env -u PKG_CONFIG_SYSROOT_DIR make -C "$WORK/hello" install DESTDIR="$DEST" \
    >"$WORK/plugin-install.log" 2>&1
is "$?" 0 "the example's make install puts it into the plugin directory"
OUT=$(AT_INST plugin list --dir "$DEST$plugindir" 2>&1)
is "$?" 0 "the installed plugin directory loads without refusals"
for t in hello noop sleep export; do
    like "$OUT" "^$t " "and holds the type $t"
done

done_testing
