#!/usr/bin/env bash
# tests/browser.sh: the Async Tasks screen driven in a headless browser,
# as an admin uses it. Seeds its own data in the test database with the
# command line (names unique to the run, since other tests share that
# database), then runs every tests/browser/*.test.js in turn and prints
# their TAP as one: points numbered on, one plan at the end. A test file
# NAME.test.js with a NAME.sh beside it gets the system that NAME.sh sets
# up (sourced in a subshell around the test, which tears it down); a
# function before_NAME here makes the data it needs right before it.
# Needs what dev/check sets up: the test instance of the admin screen
# (ASYNCTASKS_TEST_URL), its database's configuration, the npm packages of
# tests/browser and a directory for the screenshots.
set -u

bail() {
    echo "Bail out! $*"
    exit 1
}
diag() { printf '# %s\n' "$*"; }

: "${top_srcdir:?}" "${top_builddir:?}"
if [ -z "${ASYNCTASKS_TEST_URL:-}" ]; then
    echo "1..0 # SKIP no test instance of the admin screen (run the tests through dev/check)"
    exit 0
fi
if [ -z "${ASYNCTASKS_TEST_CONFIG:-}" ] || [ ! -f "$ASYNCTASKS_TEST_CONFIG" ]; then
    bail "ASYNCTASKS_TEST_CONFIG is not set: run the tests through dev/check"
fi
MODULES=${ASYNCTASKS_TEST_NODE_MODULES:-$top_srcdir/tests/browser/node_modules}
[ -d "$MODULES/playwright-core" ] ||
    bail "playwright-core is not installed in $MODULES (dev/check installs it)"
command -v node >/dev/null || bail "node is missing"
BROWSER=${ASYNCTASKS_TEST_BROWSER:-/usr/bin/chromium}
[ -x "$BROWSER" ] || bail "$BROWSER is missing (dev/check installs it)"
ARTIFACTS=${ASYNCTASKS_TEST_ARTIFACTS:-$top_builddir/var/test/artifacts}
mkdir -p -- "$ARTIFACTS" || bail "cannot make $ARTIFACTS"

AT=$top_builddir/cli/asynctasks
# In the build tree that is a wrapper script that points the loader at the
# uninstalled library; doing that here saves a shell per call.
if [ -x "$top_builddir/cli/.libs/asynctasks" ]; then
    AT=$top_builddir/cli/.libs/asynctasks
    LD_LIBRARY_PATH=$top_builddir/lib/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
    export LD_LIBRARY_PATH
fi
CONF=$ASYNCTASKS_TEST_CONFIG

# cli ARGS...: the command line on the test database; sets OUT to what it
# printed. A failure ends the test before the browser starts.
cli() {
    if ! OUT=$("$AT" --config "$CONF" "$@" 2>&1); then
        bail "asynctasks $*: $OUT"
    fi
}

# Unique to this run: other tests use the same database at the same time.
RUN=$(date +%s)$$
RUN=${RUN: -9}
PASSWORD=$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')
[ ${#PASSWORD} -eq 36 ] || bail "no random password"

ADMIN_EMAIL=alice.bt$RUN@example.test
ADMIN_NAME="Alice Åkerlund"
A_SLUG=bt$RUN-north
A_NAME="Nordlicht Logistik $RUN"
B_SLUG=bt$RUN-south
B_NAME="Café Süd $RUN"
SEARCH_USER=Quillon
TYPES=("csv-export-$RUN" "pdf-report-$RUN" "mail-digest-$RUN")

# Members of A: four share the search word; names with accents.
A_USERS=(
    "Inès Quillon"
    "Quillon Bérénice"
    "Jörg Quillonneau"
    "Zoë Quillon-Ñúñez"
    "Émile Durand"
    "Åsa Lindqvist"
    "Björn Østergaard"
    "Chloé Marchand"
)
# Members of B: the first is also a member of A.
B_USERS=("Inès Quillon" "Øyvind Brekke" "Łucja Wróbel")

email_of() { # email_of INDEX: a user's unique email
    echo "user$1.bt$RUN@example.test"
}

diag "seeding run $RUN: businesses $A_SLUG and $B_SLUG"
cli business add "$A_SLUG" "$A_NAME"
cli business add "$B_SLUG" "$B_NAME"
cli user add "$ADMIN_EMAIL" "$ADMIN_NAME" --password-file - <<<"$PASSWORD"
cli member add --business "$A_SLUG" --user "$ADMIN_EMAIL" --role business_admin
cli member add --business "$B_SLUG" --user "$ADMIN_EMAIL" --role business_admin
# A platform admin, for the platform rules.
BOSS_EMAIL=boss.bt$RUN@example.test
cli user add "$BOSS_EMAIL" "Bo Platform" --password-file - <<<"$PASSWORD"
cli platform-admin add "$BOSS_EMAIL"

for i in "${!A_USERS[@]}"; do
    cli user add "$(email_of "$i")" "${A_USERS[$i]}" --no-password
    cli member add --business "$A_SLUG" --user "$(email_of "$i")" --role member
done
# B: user 0 of A, and two more (emails numbered 100 and 101).
cli member add --business "$B_SLUG" --user "$(email_of 0)" --role member
for i in 1 2; do
    cli user add "$(email_of $((99 + i)))" "${B_USERS[$i]}" --no-password
    cli member add --business "$B_SLUG" --user "$(email_of $((99 + i)))" --role member
done

for t in "${TYPES[@]}"; do
    cli type add "$t" --description "Browser test type ${t%%-"$RUN"}"
done
# More types than a page of the Pause Task Type dialog holds, all found by
# one word that is not RUN (the searches for RUN find the three above).
PAGED_WORD=pt$((10#$RUN % 99991))x # RUN may start with 0
PAGED=()
for i in $(seq -w 1 30); do
    cli type add "$PAGED_WORD-$i" --description "One of many"
    PAGED+=("$PAGED_WORD-$i")
done

# Tasks: 40 in A over every user and type, 8 in B. They run in two days, so
# that nothing picks them up during the test; each line of the list handed
# to the browser test is "ID<TAB>USER NAME<TAB>TYPE".
TASKS_A='' TASKS_B=
for n in $(seq 0 39); do
    u=$((n % ${#A_USERS[@]})) t=$((n % ${#TYPES[@]}))
    cli enqueue --business "$A_SLUG" --user "$(email_of "$u")" --type "${TYPES[$t]}" \
        --priority $((n % 5)) --run-at +2d --payload-file - \
        <<<"{\"run\": \"$RUN\", \"n\": $n, \"note\": \"Größe ½\"}"
    TASKS_A+="$OUT"$'\t'"${A_USERS[$u]}"$'\t'"${TYPES[$t]}"$'\n'
done
for n in $(seq 0 7); do
    u=$((n % 3)) t=$((n % 2))
    email=$(email_of 0)
    [ "$u" -gt 0 ] && email=$(email_of $((99 + u)))
    cli enqueue --business "$B_SLUG" --user "$email" --type "${TYPES[$t]}" --run-at +2d \
        --payload-file - <<<"{\"run\": \"$RUN\", \"b\": $n}"
    TASKS_B+="$OUT"$'\t'"${B_USERS[$u]}"$'\t'"${TYPES[$t]}"$'\n'
done
# A task type that declares parameters (registered through the library, as
# the supervisor registers a plugin's), and a task of it in A, listed with
# the others. Its name holds no RUN: the type searches for RUN find the
# three above only.
REGISTER=$top_builddir/tests/register-type
[ -x "$REGISTER" ] || bail "$REGISTER is missing (make check builds it)"
PTYPE=params-form-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
"$REGISTER" "$CONF" "$PTYPE" "count:int:1:-:1:100:How many" "title:string:0:untitled:1:20:The title" \
    "urgent:bool:0:false:0:0:Hurry" >/dev/null || bail "cannot register $PTYPE"
cli enqueue --business "$A_SLUG" --user "$(email_of 3)" --type "$PTYPE" --run-at +2d \
    --payload-file - <<<$'count=3\ntitle=Größe'
PARAM_TASK=$OUT
TASKS_A+="$OUT"$'\t'"${A_USERS[3]}"$'\t'"$PTYPE"$'\n'
diag "seeded 41 tasks in $A_SLUG and 8 in $B_SLUG"

# An executor running one of A's tasks, as a supervisor would record it.
# Executor rows are seen by every test: the lock (see tests/http.sh) is
# held while this one exists.
DB=$(sed -n 's/^db_name *= *//p' "$CONF")
q() { mariadb --defaults-file="${ASYNCTASKS_TEST_CLIENT_CNF:?}" --batch --skip-column-names "$DB" -e "$1"; }
exec 9>"${TMPDIR:-/tmp}/asynctasks-executors-$DB.lock"
flock -w 600 9 || bail "cannot lock the executors"
EX_HOST=bt-host-$RUN SUP_PID=$((20000 + RANDOM % 10000)) EX_PID=$((30000 + RANDOM % 10000))
RUNNING=$(printf '%s' "$TASKS_A" | sed -n 8p | cut -f1)
SUP=$(q "INSERT INTO supervisors (host, pid, started_at, heartbeat_at)
         VALUES ('$EX_HOST', $SUP_PID, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6)); SELECT LAST_INSERT_ID()") ||
    bail "cannot add a supervisor row"
q "INSERT INTO executors (host, pid, supervisor_pid, started_at, heartbeat_at, current_task_id,
   supervisor_id, task_started_at)
   VALUES ('$EX_HOST', $EX_PID, $SUP_PID, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6),
   $RUNNING, $SUP, UTC_TIMESTAMP(6))" || bail "cannot add an executor row"
# The platform rule of this run's type shows in every business of the
# shared database: whatever the test left of it goes, and so do its
# entries in the platform's log, which every business's log shows.
trap 'q "DELETE FROM executors WHERE supervisor_id = $SUP; DELETE FROM supervisors WHERE id = $SUP;
         DELETE FROM platform_pause_rules WHERE scope = '"'task_type'"' AND target_id IN
           (SELECT id FROM task_types WHERE name = '"'${TYPES[0]}'"');
         DELETE FROM audit_log WHERE business_id = 0 AND target_name = '"'${TYPES[0]}'"'"' EXIT

# Business C, for Retry, Run now and Discard, with an admin of its own (so
# that A's and B's pages stay as the steps above expect them): tasks that
# failed, were cancelled or succeeded, and two that wait for a later
# run-at. Their ends are written as the executors write them, then the
# totals are made from the tasks (counters rebuild), so that counters
# check holds after every action.
C_SLUG=bt$RUN-east C_ADMIN=carol.bt$RUN@example.test C_USER=dan.bt$RUN@example.test
cli business add "$C_SLUG" "Ostwind $RUN"
cli user add "$C_ADMIN" "Carol Admin $RUN" --password-file - <<<"$PASSWORD"
cli member add --business "$C_SLUG" --user "$C_ADMIN" --role business_admin
cli user add "$C_USER" "Dan Ostwind" --no-password
cli member add --business "$C_SLUG" --user "$C_USER" --role member
TASKS_C=
for n in $(seq 0 5); do
    cli enqueue --business "$C_SLUG" --user "$C_USER" --type "${TYPES[$((n % 3))]}" --run-at +2d \
        --payload "c $n"
    TASKS_C+="$OUT"$'\n'
done
C_IDS=($TASKS_C)
C_ID=$(q "SELECT id FROM businesses WHERE slug = '$C_SLUG'")
end_task() { # end_task ID STATE ERROR
    q "UPDATE tasks SET state = '$2', attempts = 1, started_at = UTC_TIMESTAMP(6) - INTERVAL 1 MINUTE,
       finished_at = UTC_TIMESTAMP(6), run_at = UTC_TIMESTAMP(6) - INTERVAL 2 MINUTE,
       last_error = NULLIF('$3', '') WHERE id = $1" || bail "cannot end task $1"
    q "INSERT INTO task_attempts (task_id, attempt, business_id, executor_id, host, pid, started_at,
       finished_at, outcome, error) VALUES ($1, 1, $C_ID, 0, 'bt-host-$RUN', 4242,
       UTC_TIMESTAMP(6) - INTERVAL 1 MINUTE, UTC_TIMESTAMP(6), '$2', NULLIF('$3', ''))" ||
        bail "cannot add task $1's attempt"
}
end_task "${C_IDS[0]}" failed "disk full"
end_task "${C_IDS[1]}" cancelled "cancelled on request"
end_task "${C_IDS[4]}" succeeded ""
end_task "${C_IDS[5]}" failed "timed out"
cli counters rebuild --business "$C_SLUG"
export BT_C_SLUG=$C_SLUG BT_C_ADMIN_EMAIL=$C_ADMIN BT_TASKS_C=$TASKS_C
export BT_AT=$AT BT_CONF=$CONF

export BT_URL=$ASYNCTASKS_TEST_URL BT_ARTIFACTS=$ARTIFACTS BT_BROWSER=$BROWSER
export BT_ADMIN_EMAIL=$ADMIN_EMAIL BT_ADMIN_NAME=$ADMIN_NAME BT_PASSWORD=$PASSWORD
export BT_BOSS_EMAIL=$BOSS_EMAIL
export BT_A_SLUG=$A_SLUG BT_A_NAME=$A_NAME BT_B_SLUG=$B_SLUG BT_B_NAME=$B_NAME
export BT_SEARCH_USER=$SEARCH_USER BT_PAGED_WORD=$PAGED_WORD
BT_PAGED_TYPES=$(printf '%s\n' "${PAGED[@]}")
export BT_PAGED_TYPES
BT_A_USERS=$(printf '%s\n' "${A_USERS[@]}")
BT_B_USERS=$(printf '%s\n' "${B_USERS[@]}")
BT_TYPES=$(printf '%s\n' "${TYPES[@]}")
export BT_A_USERS BT_B_USERS BT_TYPES
export BT_TASKS_A=$TASKS_A BT_TASKS_B=$TASKS_B
export BT_PARAM_TASK=$PARAM_TASK BT_EXECUTOR_HOST=$EX_HOST BT_EXECUTOR_PID=$EX_PID
export BT_SUPERVISOR_PID=$SUP_PID
export NODE_PATH=$MODULES${NODE_PATH:+:$NODE_PATH}

# Data a test file needs besides the above, made right before it runs:
# before_NAME for tests/browser/NAME.test.js.
# The dashboard: business C's last hour and week of counts (as the
# executors add them), a failure with its latest error, and a pause of a
# type C has no task of.
before_dashboard() {
    local tt err reason
    tt=$(q "SELECT id FROM task_types WHERE name = '${TYPES[0]}'")
    err="disk full on /var/spool (run $RUN)"
    reason="Mail provider down (run $RUN)"
    q "INSERT INTO task_rollups (business_id, span, bucket, task_type_id, started, succeeded, failed)
       SELECT $C_ID, 'minute', DATE_FORMAT(UTC_TIMESTAMP() - INTERVAL seq MINUTE, '%Y-%m-%d %H:%i:00'),
              $tt, 6 + (seq * 7) % 9, 6 + (seq * 7) % 9 - (seq % 5 = 0), seq % 5 = 0 FROM seq_0_to_59;
       INSERT INTO task_rollups (business_id, span, bucket, task_type_id, started, succeeded, failed)
       SELECT $C_ID, 'hour', DATE_FORMAT(UTC_TIMESTAMP() - INTERVAL seq HOUR, '%Y-%m-%d %H:00:00'),
              $tt, 300 + (seq * 37) % 200, 290 + (seq * 37) % 200, 10 FROM seq_0_to_167;
       INSERT INTO task_type_errors (business_id, task_type_id, error_at, task_id, error)
       VALUES ($C_ID, $tt, UTC_TIMESTAMP(6) - INTERVAL 2 MINUTE, ${C_IDS[0]}, '$err')" ||
        bail "cannot add C's rollups"
    cli type add "idle-$RUN" --description "Paused for the dashboard"
    cli pause type --business "$C_SLUG" "idle-$RUN" --reason "$reason" --until +1d
    export BT_C_ERROR=$err BT_C_PAUSE_REASON=$reason
}

# run_test FILE: runs one test file (with its NAME.sh's system, if any)
# and prints its TAP numbered on from N; adds to N and FAILED. A file that
# stopped short of its plan, planned none or exited non-zero with no
# failed point is one more failed point.
N=0 FAILED=0
TAP_DIR=$(mktemp -d "${TMPDIR:-/tmp}/at-browser.XXXXXX") || bail "mktemp"
run_test() {
    local js=$1 sh=${1%.test.js}.sh status ran bad plan name
    name=$(basename -- "$js" .test.js)
    if declare -F "before_$name" >/dev/null; then "before_$name"; fi
    diag "$name.test.js"
    if [ -f "$sh" ]; then
        # shellcheck disable=SC1090
        (. "$sh" && node "$js") >"$TAP_DIR/out" 2>&1
    else
        node "$js" >"$TAP_DIR/out" 2>&1
    fi
    status=$?
    awk -v off="$N" -v counts="$TAP_DIR/counts" '
        /^(not )?ok [0-9]+/ {
            n++; bad += /^not/
            sub(/^(not )?ok [0-9]+/, (/^not/ ? "not ok " : "ok ") (off + n)); print; next }
        /^1\.\.[0-9]+/ { plan = substr($0, 4) + 0; next }
        { print }
        END { printf "%d %d %d\n", n, bad, (plan == "" ? -1 : plan) > counts }' "$TAP_DIR/out"
    read -r ran bad plan <"$TAP_DIR/counts"
    N=$((N + ran)) FAILED=$((FAILED + bad))
    if [ "$plan" != "$ran" ] || { [ "$status" != 0 ] && [ "$bad" = 0 ]; }; then
        N=$((N + 1)) FAILED=$((FAILED + 1))
        echo "not ok $N - $(basename -- "$js") ran $ran of its $plan points and exited with status $status"
    fi
}
for js in "$top_srcdir"/tests/browser/*.test.js; do
    run_test "$js"
done
rm -rf -- "$TAP_DIR"
echo "1..$N"
[ "$FAILED" -eq 0 ]
