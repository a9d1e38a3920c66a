#!/usr/bin/env bash
# tests/valgrind.sh: bench/valgrind's quick variant (30 requests of every
# kind through nginx, 30 tasks over three plugins) with the app's master
# and workers, the supervisor, its executors and the command line under
# valgrind's memcheck: every process reports, none with a memory error or
# a definite leak. First, that the check catches what it is for: an
# error and a leak in a forked child that ends with _exit.
. "$top_srcdir/tests/lib.sh"

[ -n "${ASYNCTASKS_TEST_ROOT:-}" ] || bail "ASYNCTASKS_TEST_ROOT is not set: run the tests through dev/check"
url_port=${ASYNCTASKS_TEST_URL:-}
url_port=${url_port##*:}
[[ $url_port =~ ^[0-9]+$ ]] || bail "ASYNCTASKS_TEST_URL names no port"
command -v valgrind >/dev/null || bail "valgrind is not installed (dev/check installs it)"
# beside the test screen (+10 and up are bench.sh's): its port + 20
export ASYNCTASKS_BENCH_PORT=$((url_port + 20))
VG=$ASYNCTASKS_TEST_ROOT/bench/valgrind
OUT=$(mktemp -d "${TMPDIR:-/tmp}/at-valgrind.XXXXXX") || bail "mktemp"
trap 'rm -rf -- "$OUT"' EXIT

# ---- the check finds a leak and an error in a child that ends with _exit ----
cat >"$OUT/leak.c" <<'EOF'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
int main(void)
{
    pid_t pid = fork();
    if (pid == 0) {
        char *p = malloc(100), *u = malloc(8);
        memset(p, 1, 100);
        if (u[3] == 7) /* not initialised: an error */
            puts("seven");
        free(u);
        p = NULL;
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    return 0;
}
EOF
${CC:-cc} -g -O0 -o "$OUT/leak" "$OUT/leak.c" || bail "cannot compile the leaking program"
mkdir -p -- "$OUT/vg"
"$VG" --run "$OUT/vg" "$OUT/leak"
ok $? "a program under bench/valgrind --run keeps its exit status"
table=$("$VG" --report "$OUT/vg" 2>&1)
rc=$?
[ $rc -ne 0 ]
ok $? "bench/valgrind --report fails on them (exit $rc)"
like "$table" '^\| leak \| [0-9]+ \| 0 \| 0 \| 0 \| clean \|' "the parent's report: clean"
like "$table" '^\| leak \(child\) \| [0-9]+ \| 1 \| 100 \| 0 \| FAILED \|' \
    "the child that ended with _exit: its error, and 100 bytes definitely lost"
[ $rc -eq 0 ] || printf '%s\n' "$table" | sed 's/^/#   /'

# ---- the product under memcheck ----
# A build with AddressSanitizer cannot run under valgrind (both replace
# malloc); dev/check --sanitize builds the checkout in place first, from
# the same sources, and that build is checked then.
build=$top_builddir
if grep -q '^AT_SAN_CFLAGS = -fsanitize' "$top_builddir/Makefile" 2>/dev/null; then
    build=$ASYNCTASKS_TEST_ROOT
    diag "the build under test has sanitizers: checking the same sources' plain build, $build"
fi
AT_BENCH_BUILD=$build "$VG" --quick >"$OUT/run" 2>"$OUT/run.err"
rc=$?
ok $rc "bench/valgrind --quick ran clean (exit $rc)"
[ $rc -eq 0 ] || sed 's/^/#   /' "$OUT/run.err" | tail -n 30
sed 's/^/#   /' "$OUT/run"
R=$(<"$OUT/run")
for role in "asynctasks-fcgi master" "asynctasks-fcgi worker" "asynctasksd" "asynctasksd executor" \
    "asynctasks enqueue"; do
    like "$R" "^\| $role \| [0-9]+ \| 0 \| 0 \| [0-9]+ \| clean \|" \
        "$role: reported, no error, nothing definitely lost"
done
n=$(grep -E -c '^\| [^|]+ \| [0-9]+ \|' <<<"$R")
bad=$(grep -E '^\| [^|]+ \| [0-9]+ \|' <<<"$R" | grep -v -c '| clean |$')
is "$bad" 0 "every one of the $n processes is clean"
like "$R" '5xx or none: 0$' "no answer was a 5xx, every request was answered"
like "$R" '^- tasks: ([0-9]+) enqueued, \1 succeeded$' "every task succeeded"
done_testing
