#!/usr/bin/env bash
# tests/browser_bulk.sh: tests/browser/bulk.test.js (bulk actions, with and
# without script) in the headless browser, beside tests/browser.sh, which
# runs admin.test.js. The test seeds its own business through the command
# line; this passes it the test instance's address, the command line, its
# configuration and a password, and prints its TAP.
set -u
bail() {
    echo "Bail out! $*"
    exit 1
}
: "${top_srcdir:?}" "${top_builddir:?}"
[ -n "${ASYNCTASKS_TEST_URL:-}" ] || bail "ASYNCTASKS_TEST_URL is not set: run the tests through dev/check"
[ -f "${ASYNCTASKS_TEST_CONFIG:-}" ] || bail "ASYNCTASKS_TEST_CONFIG is not set: run the tests through dev/check"
MODULES=${ASYNCTASKS_TEST_NODE_MODULES:-$top_srcdir/tests/browser/node_modules}
[ -d "$MODULES/playwright-core" ] || bail "playwright-core is not installed in $MODULES (dev/check installs it)"
command -v node >/dev/null || bail "node is missing"
BT_BROWSER=${ASYNCTASKS_TEST_BROWSER:-/usr/bin/chromium}
[ -x "$BT_BROWSER" ] || bail "$BT_BROWSER is missing (dev/check installs it)"
BT_ARTIFACTS=${ASYNCTASKS_TEST_ARTIFACTS:-$top_builddir/var/test/artifacts}
mkdir -p -- "$BT_ARTIFACTS" || bail "cannot make $BT_ARTIFACTS"
BT_AT=$top_builddir/cli/asynctasks
if [ -x "$top_builddir/cli/.libs/asynctasks" ]; then
    BT_AT=$top_builddir/cli/.libs/asynctasks
    export LD_LIBRARY_PATH=$top_builddir/lib/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
fi
BT_PASSWORD=$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')
[ ${#BT_PASSWORD} -eq 36 ] || bail "no random password"
export BT_URL=$ASYNCTASKS_TEST_URL BT_CONF=$ASYNCTASKS_TEST_CONFIG BT_AT BT_PASSWORD BT_BROWSER \
    BT_ARTIFACTS NODE_PATH=$MODULES${NODE_PATH:+:$NODE_PATH}
exec node "$top_srcdir/tests/browser/bulk.test.js"
