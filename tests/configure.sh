#!/usr/bin/env bash
# configure.sh: configure names the Debian package of each missing build
# dependency. Runs the real configure script in a scratch copy, with the
# dependency hidden from pkg-config (or from the header check).
. "$top_srcdir/tests/lib.sh"

work=$(mktemp -d "${TMPDIR:-/tmp}/at-configure.XXXXXX") || bail "mktemp"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/src/lib" "$work/pc"
cp "$top_srcdir/configure" "$work/src/"
cp -r "$top_srcdir/build-aux" "$work/src/"
: >"$work/src/lib/db.c"

# The .pc files pkg-config sees, minus the one under test.
pcdirs=$(pkg-config --variable pc_path pkg-config)
hide() {
    rm -f "$work"/pc/*.pc
    local d f
    for d in ${pcdirs//:/ }; do
        for f in "$d"/*.pc; do
            [ -e "$f" ] || continue
            case ${f##*/} in "$1".pc) continue ;; esac
            [ -e "$work/pc/${f##*/}" ] || ln -s "$f" "$work/pc/"
        done
    done
}

# One cache for all runs saves repeating the compiler checks. Each run stops
# at the dependency it hides, so the modules it caches are only those
# before it: the order below keeps every hidden one uncached.
export CONFIG_SITE=/dev/null
cache=$work/config.cache
for pair in libmariadb:libmariadb-dev libxml-2.0:libxml2-dev zlib:zlib1g-dev fcgi:libfcgi-dev; do
    mod=${pair%%:*} pkg=${pair#*:}
    hide "$mod"
    out=$(cd "$work/src" && PKG_CONFIG_LIBDIR=$work/pc ./configure --cache-file="$cache" 2>&1)
    rc=$?
    ok $((rc == 0)) "without $mod configure fails"
    like "$out" "install the Debian package $pkg" "and names $pkg"
done

hide none
out=$(cd "$work/src" && PKG_CONFIG_LIBDIR=$work/pc ac_cv_header_crypt_h=no ./configure --cache-file="$cache" 2>&1)
rc=$?
ok $((rc == 0)) "without crypt.h configure fails"
like "$out" "install the Debian package libcrypt-dev" "and names libcrypt-dev"
out=$(cd "$work/src" && PKG_CONFIG_LIBDIR=$work/pc ac_cv_search_crypt_gensalt_rn=no ./configure --cache-file="$cache" 2>&1)
rc=$?
ok $((rc == 0)) "without libcrypt configure fails"
like "$out" "install the Debian package libcrypt-dev" "and names libcrypt-dev"

# Where the systemd units go: where pkg-config's systemd says by default,
# nowhere with --without-systemdsystemunitdir, or the directory given.
# (The scratch copy has no Makefile.in: configure stops after its checks.)
hide none
unitdir=$(pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null)
units() { # units [ARG]: what configure says about the units
    (cd "$work/src" && PKG_CONFIG_LIBDIR=$work/pc ./configure --cache-file="$work/units.cache" "$@" 2>&1) |
        sed -n 's/^checking where to install the systemd units\.\.\. //p'
}
is "$(units)" "${unitdir:-no}" "by default the units go where pkg-config systemd says"
is "$(units --without-systemdsystemunitdir)" no "--without-systemdsystemunitdir: no units"
is "$(units --with-systemdsystemunitdir=/opt/units)" /opt/units "--with-systemdsystemunitdir=DIR: there"
done_testing
