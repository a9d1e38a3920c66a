#!/usr/bin/env bash
# tests/enqueue_from.sh: asynctasks enqueue --from, tasks from a file of
# tab-separated lines, on a fresh database: a good file with every field,
# default and escape, comments, blank lines and CRLF; standard input;
# --ids; each kind of bad line named by its number, with nothing written;
# more lines than one transaction takes, all or none; a transaction that
# fails after others have committed, and the message that says how many
# were enqueued; tasks held by a live pause; usage errors.
# shellcheck source=lib.sh
. "${top_srcdir:?}/tests/lib.sh"

unset ASYNCTASKS_CONFIG

C=$(fresh_db enqueue_from) || bail "fresh_db enqueue_from: $C"
DB=asynctasks_test_enqueue_from
WORK=$(mktemp -d "${TMPDIR:-/tmp}/at-from.XXXXXX") || bail "mktemp"
trap 'rm -rf -- "$WORK" "$(dirname -- "$C")"' EXIT
REGISTER=$top_builddir/tests/register-type
[ -x "$REGISTER" ] || bail "$REGISTER is missing (make check builds it)"

q() { sql "$DB" -e "$1"; }
ntasks() { q "SELECT COUNT(*) FROM tasks"; }
cli() {
    run --config "$C" "$@"
    [ "$RC" = 0 ] || bail "asynctasks $*: $OUT"
}
# from WANT-RC NAME [ARGS]: enqueue --from the file $F, checking the exit code.
from() {
    local want=$1 name=$2
    shift 2
    run --config "$C" enqueue --from "$F" "$@"
    is "$RC" "$want" "$name: exit $want"
}
# bad_file NAME WANT-OUTPUT: $F is refused, says exactly WANT-OUTPUT, and
# writes nothing.
bad_file() {
    local n0
    n0=$(ntasks)
    from 65 "$1"
    is "$OUT" "$2" "$1: names each bad line"
    is "$(ntasks)" "$n0" "$1: nothing was written"
}

cli migrate
cli business add acme "Acme"
cli business add other "Other"
for u in ann bob cid; do
    cli user add "$u@example.org" "${u^} Example" --no-password
    cli member add --business acme --user "$u@example.org" --role member
done
cli user add eve@example.org "Eve Elsewhere" --no-password
cli member add --business other --user eve@example.org --role member
cli type add mail
"$REGISTER" "$C" report "count:int:1:-:1:100:How many" >/dev/null || bail "register-type report"
F=$WORK/tasks.tsv

# ==== a good file ====

printf '%s\n' \
    '# business	user	type	priority	run-at	payload' \
    'acme	ann@example.org	mail' \
    '' \
    '   ' \
    'acme	bob@example.org	mail	7	+1h	line one\nline\ttwo \\ back\\\\slash\r' \
    'acme	cid@example.org	report	-3		count=5' \
    'acme	ann@example.org	mail			raw	tabs	stay' \
    '# the end' >"$F"
printf 'acme\tbob@example.org\tmail\t\t2030-01-02 03:04\t\r\n' >>"$F"
from 0 "a good file"
is "$OUT" "enqueued 5 tasks" "a good file: says how many"
is "$(q "SELECT GROUP_CONCAT(CONCAT_WS(' ', u.email, t.type_name, t.priority) ORDER BY t.id SEPARATOR ', ')
         FROM tasks t JOIN users u ON u.id = t.user_id")" \
    "ann@example.org mail 0, bob@example.org mail 7, cid@example.org report -3, ann@example.org mail 0, bob@example.org mail 0" \
    "a good file: the tasks in the order of the lines, priority 0 when empty"
IDS=($(q "SELECT id FROM tasks ORDER BY id"))
is "$(q "SELECT HEX(payload) FROM tasks WHERE id = ${IDS[1]}")" \
    "$(printf 'line one\nline\ttwo \\ back\\\\slash\r' | od -An -tx1 | tr -d ' \n' | tr a-f A-F)" \
    "the payload's escapes: \\n, \\t, \\\\ and \\r"
is "$(q "SELECT HEX(payload) FROM tasks WHERE id = ${IDS[3]}")" \
    "$(printf 'raw\ttabs\tstay' | od -An -tx1 | tr -d ' \n' | tr a-f A-F)" \
    "the payload is the rest of the line, its tabs included"
is "$(q "SELECT payload IS NULL FROM tasks WHERE id = ${IDS[0]}")" 1 "no payload field: no payload"
is "$(q "SELECT payload IS NULL FROM tasks WHERE id = ${IDS[4]}")" 1 "an empty payload field, CRLF: no payload"
is "$(q "SELECT TIMESTAMPDIFF(MINUTE, UTC_TIMESTAMP(), run_at) BETWEEN 58 AND 60 FROM tasks WHERE id = ${IDS[1]}")" 1 \
    "run-at +1h is an hour from now"
is "$(q "SELECT run_at FROM tasks WHERE id = ${IDS[4]}")" "2030-01-02 03:04:00.000000" \
    "run-at as a date and time"
is "$(q "SELECT ABS(TIMESTAMPDIFF(SECOND, UTC_TIMESTAMP(), run_at)) < 60 FROM tasks WHERE id = ${IDS[0]}")" 1 \
    "no run-at: now"

# ==== standard input, --ids ====

N0=$(ntasks)
OUT=$(printf 'acme\tcid@example.org\tmail\nacme\tann@example.org\tmail\t1\n' |
    "$AT" --config "$C" enqueue --from - --ids 2>&1)
is "$?" 0 "standard input with --ids: exit 0"
is "$OUT" "$(q "SELECT id FROM tasks WHERE id > ${IDS[4]} ORDER BY id")" \
    "--ids: the new ids, one a line, in the order of the lines"
is "$(q "SELECT GROUP_CONCAT(u.email ORDER BY t.id) FROM tasks t JOIN users u ON u.id = t.user_id WHERE t.id > ${IDS[4]}")" \
    "cid@example.org,ann@example.org" "standard input: both tasks, in order"
: >"$F"
from 0 "an empty file"
is "$OUT" "enqueued 0 tasks" "an empty file: none"
printf '# only\n\n# comments\n' >"$F"
from 0 "a file of comments"
is "$OUT" "enqueued 0 tasks" "a file of comments: none"

# ==== bad lines ====

{
    printf 'acme\tann@example.org\tmail\n'                          # 1 good
    printf 'acme\tann@example.org\n'                                # 2 two fields
    printf 'acme\tann@example.org\tmail\thigh\n'                    # 3 priority
    printf 'acme\tann@example.org\tmail\t5000\n'                    # 4 priority
    printf 'acme\tann@example.org\tmail\t\ttomorrow\n'              # 5 run-at
    printf 'acme\tann@example.org\tmail\t\t\tbad \\q escape\n'      # 6 escape
    printf 'acme\tann@example.org\tmail\t\t\tends in \\\n'          # 7 escape
    printf 'acme\tann@ex\0ample.org\tmail\n'                        # 8 NUL
    printf 'nosuch\tann@example.org\tmail\n'                        # 9 business
    printf 'Acme Inc\tann@example.org\tmail\n'                      # 10 slug
    printf 'acme\tnobody@example.org\tmail\n'                       # 11 unknown email
    printf 'acme\teve@example.org\tmail\n'                          # 12 another business's
    printf 'acme\tnot an email\tmail\n'                             # 13 email
    printf 'acme\tann@example.org\tmale\n'                          # 14 type
    printf 'acme\tann@example.org\treport\t\t\tcount=500\n'         # 15 parameter
    printf 'acme\tann@example.org\treport\n'                        # 16 required
    printf 'acme\tann@example.org\tmail\t\t\t\xff\xfe\n'            # 17 UTF-8
    printf '\tann@example.org\tmail\n'                              # 18 no business
    printf 'acme\tbob@example.org\tmail\n'                          # 19 good
} >"$F"
bad_file "every kind of bad line" "asynctasks: line 2: a task is business<TAB>user-email<TAB>task-type[<TAB>priority[<TAB>run-at[<TAB>payload]]]: this line has 2 fields
asynctasks: line 3: priority must be a whole number from -1000 to 1000, not 'high'
asynctasks: line 4: priority must be a whole number from -1000 to 1000, not '5000'
asynctasks: line 5: run-at: time 'tomorrow' is not understood: use YYYY-MM-DD[ HH:MM[:SS]] (UTC), now, or +N followed by s, m, h or d
asynctasks: line 6: bad escape '\\q' in the payload: use \\\\, \\t, \\n or \\r
asynctasks: line 7: a backslash in the payload at the end of the line: use \\\\, \\t, \\n or \\r
asynctasks: line 8: the line holds a NUL byte
asynctasks: line 9: no business 'nosuch'
asynctasks: line 10: business slug 'Acme Inc' may hold only a-z, 0-9 and '-' (not first)
asynctasks: line 11: user 'nobody@example.org' is not a member of business 'acme'
asynctasks: line 12: user 'eve@example.org' is not a member of business 'acme'
asynctasks: line 13: email 'not an email' is not of the form name@domain
asynctasks: line 14: no task type 'male'
asynctasks: line 15: payload line 1: parameter 'count' must be 1 to 100, not 500
asynctasks: line 16: payload: parameter 'count' is required
asynctasks: line 17: payload is not valid UTF-8
asynctasks: line 18: the business is missing
asynctasks: 17 bad lines: nothing was enqueued"
head -c $((4 * 1024 * 1024 + 1)) /dev/zero | tr '\0' x >"$WORK/big"
{ printf 'acme\tann@example.org\tmail\t\t\t'; cat "$WORK/big"; printf '\n'; } >"$F"
bad_file "a payload over 4 MiB" "asynctasks: line 1: payload is too large: 4194305 bytes, at most 4194304
asynctasks: 1 bad line: nothing was enqueued"
for i in $(seq 1 120); do printf 'acme\tann@example.org\tmail\t%d\n' $((i * 100)); done >"$F"
from 65 "120 lines, 110 of them bad"
is "$(printf '%s\n' "$OUT" | grep -c '^asynctasks: line ')" 50 "110 bad lines: the first 50 are named"
is "$(printf '%s\n' "$OUT" | sed -n '1p;50,$p')" "asynctasks: line 11: priority must be a whole number from -1000 to 1000, not '1100'
asynctasks: line 60: priority must be a whole number from -1000 to 1000, not '6000'
asynctasks: ... and 60 more bad lines
asynctasks: 110 bad lines: nothing was enqueued" "110 bad lines: in order, then how many more"

# ==== more than one transaction ====

many() { # many N: N good lines for the three members, priority = line % 100
    awk -v n="$1" 'BEGIN { split("ann bob cid", u, " ")
        for (i = 1; i <= n; i++) printf "acme\t%s@example.org\tmail\t%d\n", u[i % 3 + 1], i % 100 }'
}
{ many 2400; printf 'acme\tann@example.org\tmale\n'; many 99; } >"$F"
bad_file "2,500 lines, the 2,401st bad" "asynctasks: line 2401: no task type 'male'
asynctasks: 1 bad line: nothing was enqueued"
N0=$(ntasks)
many 2500 >"$F"
from 0 "2,500 lines" --ids
is "$(printf '%s\n' "$OUT" | wc -l)" 2500 "2,500 lines: 2,500 ids"
is "$(printf '%s\n' "$OUT" | sort -n | uniq | wc -l)" 2500 "2,500 lines: no id twice"
is "$(printf '%s\n' "$OUT" | sort -n)" "$OUT" "2,500 lines: the ids rise with the lines"
is "$(ntasks)" $((N0 + 2500)) "2,500 lines: all written"
is "$(q "SELECT SUM(priority) FROM tasks WHERE id BETWEEN $(printf '%s\n' "$OUT" | head -n 1) AND $(printf '%s\n' "$OUT" | tail -n 1)")" \
    "$(many 2500 | awk -F '\t' '{ s += $4 } END { print s }')" "2,500 lines: each with its priority"

# A transaction that fails after two have committed: the database refuses
# one row (a trigger stands in for a database that goes away).
sql --delimiter=// "$DB" -e "CREATE TRIGGER refuse_boom BEFORE INSERT ON tasks FOR EACH ROW
   IF NEW.payload = 'boom' THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'refused for the test';
   END IF//" ||
    bail "cannot create the trigger"
N0=$(ntasks)
{ printf '# three transactions\n'; many 2100; printf 'acme\tann@example.org\tmail\t\t\tboom\n'; many 399; } >"$F"
from 69 "a transaction refused after two committed"
is "$OUT" "asynctasks: enqueue: database: refused for the test (1644)
asynctasks: 2000 of 2500 tasks were enqueued, those of lines 2 to 2001; none from line 2002 on" \
    "a transaction refused after two committed: says how many were enqueued, and from which line none"
is "$(ntasks)" $((N0 + 2000)) "a transaction refused after two committed: exactly 2,000 written"
{ printf 'acme\tann@example.org\tmail\t\t\tboom\n'; many 5; } >"$F"
from 69 "the first transaction refused"
is "$(printf '%s\n' "$OUT" | tail -n 1)" "asynctasks: no task was enqueued" \
    "the first transaction refused: says none was enqueued"
q "DROP TRIGGER refuse_boom"

# ==== under a live pause ====

cli pause user --business acme bob@example.org --reason "from hold"
printf 'acme\tbob@example.org\tmail\nacme\tann@example.org\tmail\n' >"$F"
from 0 "two tasks, one of a paused user" --ids
mapfile -t NEW <<<"$OUT"
run --config "$C" tasks show --business acme "${NEW[0]}"
like "$OUT" "status: +paused" "tasks show: the paused user's new task is paused"
like "$OUT" "from hold" "tasks show: with the rule"
run --config "$C" tasks show --business acme "${NEW[1]}"
like "$OUT" "status: +queued" "tasks show: the other user's is queued"
run --config "$C" tasks list --business acme --status pending --limit 500
like "$(printf '%s\n' "$OUT" | grep "^${NEW[0]} ")" "paused" "tasks list: paused"
cli resume all --business acme

# ==== usage ====

run --config "$C" enqueue --from "$F" --business acme
is "$RC" 64 "--from with --business: usage error"
like "$OUT" "with --from, the tasks' fields come from the file's lines" "--from with --business: says why"
run --config "$C" enqueue --business acme --user ann@example.org --type mail --ids
is "$RC" 64 "--ids without --from: usage error"
run --config "$C" enqueue --from "$WORK/no-such-file"
is "$RC" 74 "--from a file that does not exist: exit 74"
like "$OUT" "cannot open $WORK/no-such-file" "--from a file that does not exist: says so"
run --config "$C" enqueue --help
like "$OUT" "enqueue --from FILE\|- \[--ids\]" "--help shows --from"

done_testing
