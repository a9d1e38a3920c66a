# tests/browser/live.sh: the system tests/browser/live.test.js runs
# against, set up by tests/browser.sh around it (sourced in a subshell,
# whose exit tears it down): a database of its own with a real supervisor
# running its tasks (the noop and sleep plugins), and the admin screen of
# this build on that database (the app behind a private nginx, on the
# test screen's port + 40). Its own database, because a supervisor on the
# shared test database would run the other tests' tasks. Exports LT_*.
# shellcheck shell=bash
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/svlib.sh"
# the dev commands' web helpers, from the checkout dev/check runs in (a
# sanitizer build's source tree is a distribution, without dev/)
[ -f "${ASYNCTASKS_TEST_ROOT:-}/dev/lib.sh" ] || bail "ASYNCTASKS_TEST_ROOT is not set: run through dev/check"
. "$ASYNCTASKS_TEST_ROOT/dev/lib.sh"

url_port=${ASYNCTASKS_TEST_URL##*:}
[[ $url_port =~ ^[0-9]+$ ]] || bail "ASYNCTASKS_TEST_URL names no port"
LT_PORT=$((url_port + 40))

sv_setup browser_live noop sleep
LT_PASSWORD=$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')
"$AT" --config "$SVCONF" user add admin@example.com "Ada Admin" --password-file - \
    <<<"$LT_PASSWORD" >/dev/null || bail "user add"
"$AT" --config "$SVCONF" member add --business biz --user admin@example.com \
    --role business_admin >/dev/null || bail "member add"

trap 'sv_stop; at_web_stop test/live; sv_cleanup' EXIT
at_web_start test/live "$LT_PORT" "$SVCONF" "$top_builddir/fcgi/asynctasks-fcgi" >&2 ||
    bail "the admin screen does not start on port $LT_PORT"
sv_start
kill -0 "$SVPID" 2>/dev/null || bail "the supervisor does not run"

export LT_URL=http://127.0.0.1:$LT_PORT LT_EMAIL=admin@example.com LT_PASSWORD
export LT_AT=$AT LT_CONF=$SVCONF LT_BUSINESS=biz LT_USER=u@example.com
