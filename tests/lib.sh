# tests/lib.sh: TAP output and database helpers for the shell tests.
# Sourced by tests/*.sh, which make check runs with top_srcdir and
# top_builddir set; dev/check also sets ASYNCTASKS_TEST_CONFIG (a config
# for the test database) and ASYNCTASKS_TEST_CLIENT_CNF (client options for
# the same account, which may create databases named asynctasks_test*).
set -u

T_N=0
T_FAILED=0
AT=${top_builddir:?}/cli/asynctasks
# In the build tree the program is a wrapper script that points the loader
# at the uninstalled library; doing that here saves a shell per run.
if [ -x "$top_builddir/cli/.libs/asynctasks" ]; then
    AT=$top_builddir/cli/.libs/asynctasks
    LD_LIBRARY_PATH=$top_builddir/lib/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
    export LD_LIBRARY_PATH
fi

ok() { # ok COND-EXIT-STATUS NAME
    local status=$1
    shift
    T_N=$((T_N + 1))
    if [ "$status" -eq 0 ]; then
        echo "ok $T_N - $*"
    else
        echo "not ok $T_N - $*"
        T_FAILED=$((T_FAILED + 1))
    fi
}

is() { # is GOT WANT NAME
    local got=$1 want=$2
    shift 2
    if [ "$got" = "$want" ]; then
        ok 0 "$*"
    else
        ok 1 "$*"
        printf '#   got:  %s\n#   want: %s\n' "$got" "$want" | head -n 40
    fi
}

like() { # like TEXT EXTENDED-REGEX NAME
    local text=$1 re=$2
    shift 2
    if printf '%s' "$text" | grep -Eq -- "$re"; then
        ok 0 "$*"
    else
        ok 1 "$*"
        printf '#   text: %s\n#   does not match: %s\n' "$text" "$re" | head -n 40
    fi
}

# has TEXT STRING NAME: TEXT contains STRING, taken literally.
has() {
    if printf '%s' "$1" | grep -Fq -- "$2"; then
        ok 0 "$3"
    else
        ok 1 "$3"
        printf '#   text: %s\n#   lacks: %s\n' "$1" "$2" | head -n 40
    fi
}

# skip REASON: a test point that could not run here. dev/check counts it
# as failed: a check that did not run proved nothing.
skip() {
    T_N=$((T_N + 1))
    echo "ok $T_N # SKIP $*"
}

diag() { printf '# %s\n' "$*"; }

# wait_until SECONDS COMMAND...: true as soon as COMMAND succeeds, tried
# every tenth of a second; false when it never did.
wait_until() {
    local t=$(($1 * 10))
    shift
    while [ $t -gt 0 ]; do
        "$@" && return 0
        sleep 0.1
        t=$((t - 1))
    done
    return 1
}

bail() {
    echo "Bail out! $*"
    exit 1
}

done_testing() {
    echo "1..$T_N"
    [ "$T_FAILED" -eq 0 ]
}

# Runs the CLI; sets OUT (stdout+stderr) and RC.
run() {
    OUT=$("$AT" "$@" 2>&1)
    RC=$?
}

[ -n "${ASYNCTASKS_TEST_CONFIG:-}" ] && [ -f "$ASYNCTASKS_TEST_CONFIG" ] ||
    bail "ASYNCTASKS_TEST_CONFIG is not set: run the tests through dev/check"
[ -n "${ASYNCTASKS_TEST_CLIENT_CNF:-}" ] && [ -f "$ASYNCTASKS_TEST_CLIENT_CNF" ] ||
    bail "ASYNCTASKS_TEST_CLIENT_CNF is not set: run the tests through dev/check"

# SQL for checking what the program did, as the test account.
sql() {
    mariadb --defaults-file="$ASYNCTASKS_TEST_CLIENT_CNF" --batch --skip-column-names "$@"
}

# fresh_db NAME: a new empty database asynctasks_test_NAME and a config for
# it; prints the config path.
fresh_db() {
    local db=asynctasks_test_$1 dir
    dir=$(mktemp -d "${TMPDIR:-/tmp}/at-test-$1.XXXXXX") || bail "mktemp"
    sql -e "DROP DATABASE IF EXISTS \`$db\`; CREATE DATABASE \`$db\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_520_ci" ||
        bail "cannot create database $db"
    sed "s/^db_name = .*/db_name = $db/" "$ASYNCTASKS_TEST_CONFIG" >"$dir/asynctasks.conf"
    echo "$dir/asynctasks.conf"
}
