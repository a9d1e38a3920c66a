#!/usr/bin/env bash
# tests/cli.sh: the operator command line end to end on a fresh database:
# usage and exit codes, configuration and connection errors, businesses,
# users, memberships, task types, enqueue, the task list and its pages,
# pause and resume with their audit trail, hostile names, and demo data.
# Each check asserts the exit code and what was printed; where nothing may
# be written, the database is looked at too.
# shellcheck source=lib.sh
. "${top_srcdir:?}/tests/lib.sh"

unset ASYNCTASKS_CONFIG

C=$(fresh_db cli_sh) || bail "fresh_db cli_sh: $C"
DB=asynctasks_test_cli_sh
WORK=$(mktemp -d "${TMPDIR:-/tmp}/at-cli.XXXXXX") || bail "mktemp"
DEMO_C=
trap 'rm -rf -- "$WORK" "$(dirname -- "$C")" ${DEMO_C:+"$(dirname -- "$DEMO_C")"}' EXIT
LOGIN=$(id -un) || bail "id -un"

# ---- helpers ----

# Quotes a literal string for use in an ERE.
# shellcheck disable=SC2016 # a sed expression, not a shell one
qre() { printf '%s' "$1" | sed 's/[][\.*^$(){}?+|/]/\\&/g'; }

q() { sql "$DB" -e "$1"; }
count() { q "SELECT COUNT(*) FROM $1"; }

# Ids of the task rows of a table-format list, space separated.
ids_of() { printf '%s\n' "$1" | awk '/^[0-9]+ / { printf "%s%s", sep, $1; sep = " " }'; }

# ---- usage, help and version ----

run --help
is "$RC" 0 "--help: exit 0"
like "$OUT" '^usage: asynctasks ' "--help: prints usage"
run help
is "$RC" 0 "help: exit 0"
like "$OUT" '^usage: asynctasks ' "help: prints usage"
for cmd in migrate business user member platform-admin type enqueue tasks pause resume audit stats \
    demo-data; do
    run "$cmd" --help
    is "$RC" 0 "$cmd --help: exit 0"
    like "$OUT" "^usage: asynctasks $cmd" "$cmd --help: prints usage"
done
run --version
is "$RC" 0 "--version: exit 0"
like "$OUT" '^asynctasks [0-9]+\.[0-9]+[^ ]* \(schema [0-9]+\)$' "--version: prints version and schema"

run
is "$RC" 64 "no command: exit 64"
like "$OUT" '^usage: asynctasks ' "no command: prints usage"
run frobnicate
is "$RC" 64 "unknown command: exit 64"
like "$OUT" "^asynctasks: unknown command 'frobnicate'" "unknown command: names it"
run --frobnicate business list
is "$RC" 64 "unknown option: exit 64"
like "$OUT" "^asynctasks: unknown option '--frobnicate'" "unknown option: names it"
check 64 "Try 'asynctasks enqueue --help'" "unknown option of a command" enqueue --frobnicate
check 64 '^usage: asynctasks business' "business without a subcommand" business
check 64 "^asynctasks: unknown subcommand 'frob'$" "unknown subcommand" business frob
like "$OUT" "^Try 'asynctasks business --help'\.$" "unknown subcommand: points to --help"

# ---- the schema ----

check 1 "run 'asynctasks migrate'" "business list before migrate" business list
check 0 '^applied [0-9]+ migrations?; schema is at version [0-9]+$' "migrate" migrate

# ---- configuration ----

run --config "$WORK/missing.conf" business list
is "$RC" 78 "--config naming a missing file: exit 78"
has "$OUT" "cannot open config file $WORK/missing.conf" "--config naming a missing file: names the path"

cp -- "$C" "$WORK/unknown.conf"
echo "frobnicate = 1" >>"$WORK/unknown.conf"
line=$(wc -l <"$WORK/unknown.conf")
run --config "$WORK/unknown.conf" business list
is "$RC" 78 "unknown config key: exit 78"
has "$OUT" "$WORK/unknown.conf:$line: unknown key 'frobnicate'" "unknown config key: file:line"

grep -v '^executors' "$C" >"$WORK/bad-value.conf"
echo "executors = 0" >>"$WORK/bad-value.conf"
line=$(wc -l <"$WORK/bad-value.conf")
run --config "$WORK/bad-value.conf" business list
is "$RC" 78 "executors = 0: exit 78"
has "$OUT" "$WORK/bad-value.conf:$line: executors must be a whole number from 1 to 256" \
    "executors = 0: file:line and what is allowed"

ASYNCTASKS_CONFIG=$C run business list
is "$RC" 0 "ASYNCTASKS_CONFIG is used without --config: exit 0"
like "$OUT" '^ID +SLUG +MAX RUNNING +NAME$' "ASYNCTASKS_CONFIG is used without --config: lists"
ASYNCTASKS_CONFIG=$WORK/unknown.conf run business list
is "$RC" 78 "a bad file in ASYNCTASKS_CONFIG: exit 78"
has "$OUT" "$WORK/unknown.conf:" "a bad file in ASYNCTASKS_CONFIG: names it"
ASYNCTASKS_CONFIG=$WORK/missing.conf run business list
is "$RC" 78 "ASYNCTASKS_CONFIG naming a missing file: exit 78"
has "$OUT" "cannot open config file $WORK/missing.conf (from ASYNCTASKS_CONFIG)" \
    "ASYNCTASKS_CONFIG naming a missing file: says where the path came from"
ASYNCTASKS_CONFIG=$WORK/unknown.conf run --config "$C" business list
is "$RC" 0 "--config wins over a bad ASYNCTASKS_CONFIG: exit 0"
like "$OUT" '^ID +SLUG +MAX RUNNING +NAME$' "--config wins over a bad ASYNCTASKS_CONFIG: lists"
ASYNCTASKS_CONFIG=$C run --config "$WORK/missing.conf" business list
is "$RC" 78 "--config wins over a good ASYNCTASKS_CONFIG: exit 78"
has "$OUT" "cannot open config file $WORK/missing.conf (from --config)" \
    "--config wins over a good ASYNCTASKS_CONFIG: names the --config path"

# ---- the database out of reach ----

grep -v '^db_socket' "$C" >"$WORK/nosock.conf"
echo "db_socket = $WORK/no-such.sock" >>"$WORK/nosock.conf"
for args in "business list" "migrate"; do
    # shellcheck disable=SC2086
    run --config "$WORK/nosock.conf" $args
    is "$RC" 69 "$args with an unreachable database: exit 69"
    has "$OUT" "socket $WORK/no-such.sock" "$args with an unreachable database: names the socket"
done

# ---- businesses ----

check 0 '^added business acme \(#[0-9]+\)$' "business add acme" business add acme "Acme Corp"
check 0 '^added business globex ' "business add globex" business add globex "Globex Inc."
check 0 '^added business shop ' "business add shop" business add shop "The Shop"
check 1 "business 'acme' already exists" "business add a duplicate" business add acme "Again"
check 65 "business slug 'Bad Slug' may hold only a-z, 0-9 and '-'" "business add 'Bad Slug'" \
    business add "Bad Slug" "Bad"
is "$(count businesses)" 3 "the refused businesses were not written"
check 0 '^[0-9]+ +acme +default +Acme Corp$' "business list shows acme" business list
like "$OUT" '^[0-9]+ +globex +default +Globex Inc\.$' "business list shows globex"
is "$(printf '%s\n' "$OUT" | grep -c .)" 4 "business list: header and three businesses"
ACME=$(q "SELECT id FROM businesses WHERE slug = 'acme'")
SHOP=$(q "SELECT id FROM businesses WHERE slug = 'shop'")

# A subcommand without its arguments: a usage error with a pointer to --help
# (some commands look the business up first, so acme must exist).
while read -r cmd args; do
    # shellcheck disable=SC2086 # args is a word list
    check 64 "Try 'asynctasks $cmd --help'\.$" "$cmd $args without its arguments" $cmd $args
done <<'EOF'
business add
business add acme
user add
user add someone@example.org
member add
member add --business acme
platform-admin add
type add
enqueue
enqueue --business acme --user a@example.org
tasks list
tasks show --business acme
pause user
pause user --business acme
resume all
resume user --business acme
audit list
migrate extra
demo-data extra
EOF

# ---- users, memberships, platform admins ----

PW1='correct horse battery staple'
PW2='stdin-pass-7Q9x'
printf '%s\n' "$PW1" >"$WORK/pw1"
printf '%s\n' "$PW2" >"$WORK/pw2"
check 0 '^added user alice@example\.org \(#[0-9]+\)$' "user add, password from a file" \
    user add alice@example.org "Alice Able" --password-file "$WORK/pw1"
check 0 '^added user bob@example\.org ' "user add, password from stdin" \
    user add bob@example.org "Bob Baker" --password-file - <"$WORK/pw2"
check 0 '^added user carol@example\.org ' "user add --no-password" \
    user add carol@example.org "Carol Cole" --no-password
check 65 'password is empty' "user add with an empty password on stdin" \
    user add dan@example.org "Dan" --password-file - </dev/null
check 74 "cannot open $(qre "$WORK/missing-pw")" "user add with a missing password file" \
    user add dan@example.org "Dan" --password-file "$WORK/missing-pw"
check 1 "user 'alice@example\.org' already exists" "user add a duplicate" \
    user add alice@example.org "Alice Again" --no-password
check 65 "not of the form name@domain" "user add with a bad email" user add not-an-email "X" \
    --no-password
is "$(count users)" 3 "the refused users were not written"
for u in "alice@example.org|$PW1" "bob@example.org|$PW2"; do
    email=${u%%|*} pw=${u#*|}
    is "$(q "SELECT password_hash LIKE '\$y\$%' FROM users WHERE email = '$email'")" 1 \
        "$email: password_hash is a yescrypt hash"
    is "$(q "SELECT COUNT(*) FROM users WHERE INSTR(CONCAT_WS('|', email, name, password_hash),
                                                 '$pw') > 0")" 0 \
        "$email: the password itself is not in the users table"
done
is "$(q "SELECT password_hash IS NULL FROM users WHERE email = 'carol@example.org'")" 1 \
    "--no-password stores no hash"

check 0 '^alice@example\.org is an admin of acme$' "member add business_admin" \
    member add --business acme --user alice@example.org --role business_admin
check 0 '^bob@example\.org is a member of acme$' "member add member" \
    member add --business acme --user bob@example.org --role member
check 64 "role must be member or business_admin, not 'boss'" "member add with a bad role" \
    member add --business acme --user carol@example.org --role boss
like "$OUT" "^Try 'asynctasks member --help'\.$" "member add with a bad role: points to --help"
check 1 "no user 'nobody@example\.org'" "member add of an unknown user" \
    member add --business acme --user nobody@example.org --role member
check 1 "no business 'nowhere'" "member add to an unknown business" \
    member add --business nowhere --user carol@example.org --role member
is "$(count memberships)" 2 "the refused memberships were not written"
is "$(q "SELECT role FROM memberships WHERE business_id = $ACME ORDER BY role")" \
    "member
business_admin" "the memberships hold the roles given"

check 0 '^carol@example\.org is a platform admin$' "platform-admin add" platform-admin add \
    carol@example.org
check 1 "no user 'nobody@example\.org'" "platform-admin add of an unknown user" \
    platform-admin add nobody@example.org
is "$(q "SELECT u.email FROM platform_admins p JOIN users u ON u.id = p.user_id")" \
    carol@example.org "platform_admins holds carol only"

check 0 'alice@example\.org +Alice Able' "user list --business acme" user list --business acme
like "$OUT" 'bob@example\.org +Bob Baker$' "user list --business acme shows bob"
is "$(printf '%s\n' "$OUT" | grep -c carol)" 0 "user list --business acme leaves out carol"
check 0 'carol@example\.org +Carol Cole \(platform admin\)$' "user list marks platform admins" \
    user list
check 0 'bob@example\.org' "user list --search" user list --search baker
is "$(printf '%s\n' "$OUT" | grep -c '@')" 1 "user list --search shows only the match"

# ---- task types ----

check 0 '^task type export \(#[0-9]+\) registered$' "type add export" type add export \
    --description "Exports records" --timeout 60 --max-attempts 2
check 0 '^task type report ' "type add report" type add report
check 0 '^task type import ' "type add import" type add import
check 65 "task type 'Bad Type' must start with a-z" "type add 'Bad Type'" type add "Bad Type"
check 65 'task type is empty' "type add ''" type add ""
check 64 '--timeout must be a whole number' "type add with a bad timeout" type add x --timeout 0
is "$(count task_types)" 3 "the refused task types were not written"
check 0 '^[0-9]+ +export +60s +2  Exports records$' "type list shows export" type list
like "$OUT" '^[0-9]+ +report +300s +3  $' "type list shows report with the defaults"

# ---- enqueue ----

enq=(enqueue --business acme --user alice@example.org --type export)
check 0 '^[0-9]+$' "enqueue without payload prints an id" "${enq[@]}"
printf '{"to":"x@example.org","n":1}' >"$WORK/small.json"
check 0 '^[0-9]+$' "enqueue --payload-file FILE" "${enq[@]}" --payload-file "$WORK/small.json"
ID_FILE=$OUT
check 0 '^payload:     28 bytes$' "tasks show of the file payload" tasks show --business acme \
    "$ID_FILE"
like "$OUT" '^\{"to":"x@example\.org","n":1\}$' "tasks show prints the file payload"
printf 'from standard input: ünïcödé' >"$WORK/stdin.txt"
check 0 '^[0-9]+$' "enqueue --payload-file -" "${enq[@]}" --payload-file - <"$WORK/stdin.txt"
check 0 '^from standard input: ünïcödé$' "tasks show prints the stdin payload" tasks show \
    --business acme "$OUT"

# A 200 KB payload of varied UTF-8 text, without a final newline.
LC_ALL=C awk 'BEGIN {
    n = split("alpha|beta|gamma|délta|épsilon|ζήτα|\"quoted\"|back\\slash|tab\there|<b>x</b>|🙂", w, "|")
    size = 0
    for (i = 1; size < 204800; i++) {
        s = sprintf("%06d %s %s %s", i, w[i % n + 1], w[(i * 7) % n + 1], w[(i * 13) % n + 1])
        if (size > 0) { printf "\n"; size++ }
        printf "%s", s
        size += length(s)
    }
}' >"$WORK/big.txt"
BIGSIZE=$(wc -c <"$WORK/big.txt")
check 0 '^[0-9]+$' "enqueue a ${BIGSIZE}-byte payload" "${enq[@]}" --payload-file "$WORK/big.txt"
ID_BIG=$OUT
"$AT" --config "$C" tasks show --business acme "$ID_BIG" >"$WORK/show.out" 2>&1
is "$?" 0 "tasks show of the big payload: exit 0"
is "$(grep -m1 '^payload: ' "$WORK/show.out")" "payload:     $BIGSIZE bytes" \
    "tasks show gives the big payload's size"
LC_ALL=C awk 'f { print } /^payload: / { f = 1 }' "$WORK/show.out" >"$WORK/show.payload"
{
    cat "$WORK/big.txt"
    echo
} >"$WORK/big.expected"
cmp -s "$WORK/show.payload" "$WORK/big.expected"
ok $? "the big payload comes back byte for byte"
is "$(q "SELECT CONCAT_WS(' ', payload_encoding, LENGTH(payload) < payload_size, payload_size)
         FROM tasks WHERE id = $ID_BIG")" "1 1 $BIGSIZE" "the big payload is stored compressed"
is "$(q "SELECT CONCAT_WS(' ', payload_encoding, LENGTH(payload), payload_size) FROM tasks
         WHERE id = $ID_FILE")" "0 28 28" "the small payload is stored as is"

ntasks=$(count tasks)
printf 'bad \377\376 bytes' >"$WORK/bad-utf8"
check 65 'payload is not valid UTF-8' "enqueue an invalid UTF-8 payload" "${enq[@]}" \
    --payload-file "$WORK/bad-utf8"
check 1 "no task type 'nope'" "enqueue an unknown type" enqueue --business acme --user \
    alice@example.org --type nope
check 1 "user 'carol@example\.org' is not a member of business 'acme'" \
    "enqueue for a user who is not a member" enqueue --business acme --user carol@example.org \
    --type export
check 64 '--priority must be a whole number from -1000 to 1000' "enqueue --priority 5000" \
    "${enq[@]}" --priority 5000
check 64 '--priority must be a whole number' "enqueue --priority high" "${enq[@]}" --priority high
check 65 "time 'tomorrow' is not understood" "enqueue --run-at tomorrow" "${enq[@]}" \
    --run-at tomorrow
is "$(count tasks)" "$ntasks" "the refused enqueues wrote nothing"

check 0 '^[0-9]+$' "enqueue --priority 7 --run-at +1h" "${enq[@]}" --priority 7 --run-at +1h
is "$(q "SELECT CONCAT(priority, ' ', TIMESTAMPDIFF(SECOND, UTC_TIMESTAMP(6), run_at)
                       BETWEEN 3500 AND 3600) FROM tasks WHERE id = $OUT")" "7 1" \
    "--run-at +1h is an hour from now"
check 0 '^[0-9]+$' "enqueue --run-at '2030-01-01 10:00'" "${enq[@]}" --run-at "2030-01-01 10:00"
ID_2030=$OUT
is "$(q "SELECT run_at FROM tasks WHERE id = $ID_2030")" "2030-01-01 10:00:00.000000" \
    "--run-at 2030-01-01 10:00 is stored as given, in UTC"
check 0 '^run at: +2030-01-01 10:00:00 UTC$' "tasks show shows the run-at time" tasks show \
    --business acme "$ID_2030"
check 1 "no task #$ID_2030 in this business" "tasks show of another business's task" tasks show \
    --business globex "$ID_2030"

# ---- retry, run now, discard ----

check 0 "^task $ID_2030 is due now$" "tasks run-now of a task for 2030" tasks run-now \
    --business acme "$ID_2030"
is "$(q "SELECT run_at <= UTC_TIMESTAMP(6) FROM tasks WHERE id = $ID_2030")" 1 "... it is due"
check 1 "task #$ID_2030 is due already" "tasks run-now again: exit 1, says why" tasks run-now \
    --business acme "$ID_2030"
check 1 "only a failed or cancelled task can be retried" "tasks retry of a queued task: exit 1" \
    tasks retry --business acme "$ID_2030"
check 1 "only a finished task \(succeeded, failed or cancelled\) can be discarded" \
    "tasks discard of a queued task: exit 1" tasks discard --business acme "$ID_2030"
is "$(q "SELECT state FROM tasks WHERE id = $ID_2030")" queued "... which is still there, queued"
# an end written as an executor writes one, the totals made from the tasks
q "UPDATE tasks SET state = 'failed', attempts = max_attempts, finished_at = UTC_TIMESTAMP(6)
   WHERE id IN ($ID_FILE, $ID_BIG)"
"$AT" --config "$C" counters rebuild --business acme >/dev/null
check 0 "^task $ID_BIG queued again$" "tasks retry of two failed tasks" \
    tasks retry --business acme "$ID_FILE" "$ID_BIG"
like "$OUT" "^task $ID_FILE queued again$" "... says so of both"
is "$(q "SELECT GROUP_CONCAT(CONCAT(state, ' ', attempts, '/', max_attempts) ORDER BY id)
         FROM tasks WHERE id IN ($ID_FILE, $ID_BIG)")" "queued 2/4,queued 2/4" \
    "... queued, with 2 attempts more (the type allows 2)"
check 0 'retry +task' "the retries are audited" audit list --business acme
q "UPDATE tasks SET state = 'succeeded', finished_at = UTC_TIMESTAMP(6) WHERE id = $ID_FILE"
"$AT" --config "$C" counters rebuild --business acme >/dev/null
run --config "$C" tasks discard --business acme "$ID_BIG" "$ID_FILE"
is "$RC" 1 "tasks discard of a queued and a succeeded task: exit 1"
like "$OUT" "task #$ID_BIG is queued: only a finished task" "... names the queued one"
like "$OUT" "task $ID_FILE discarded" "... and discards the other"
is "$(q "SELECT COUNT(*) FROM tasks WHERE id IN ($ID_FILE, $ID_BIG)")" 1 "... one task is left"
check 0 'discard +task' "the discard is audited" audit list --business acme
check 0 '^acme: ok$' "counters check after retry, run-now and discard" counters check --business acme
check 64 'tasks retry over a filter: give --yes to act on these tasks, or --dry-run' \
    "tasks retry without an ID is over a filter, and wants --yes off a terminal" \
    tasks retry --business acme
check 64 'tasks cancel takes task IDs or a filter, not both' "tasks cancel with IDs and a filter" \
    tasks cancel --business acme --status all 1
check 64 'task ID must be' "tasks retry with a bad ID" tasks retry --business acme x1

# ---- the task list ----

check 0 '^There are no tasks to show$' "tasks list of an empty business" tasks list \
    --business globex
is "$(printf '%s\n' "$OUT" | grep -cx 'There are no tasks to show')" 1 \
    "tasks list of an empty business: the line is exactly 'There are no tasks to show'"
is "$(ids_of "$OUT")" "" "tasks list of an empty business shows no task"

# The shop: five members whose names sort case- and accent-blind, three
# types, nine tasks.
for u in "alice|alice Ames" "bob|Bob Bell" "carol|carol Case" "dave|dave Dunn" "emile|Émile Zola"; do
    login=${u%%|*} name=${u#*|}
    check 0 "^added user $login@shop\.example " "user add $login@shop.example" user add \
        "$login@shop.example" "$name" --no-password
    check 0 " is a member of shop$" "member add $login to shop" member add --business shop \
        --user "$login@shop.example" --role member
done
for t in alice:export alice:report bob:import bob:export carol:report dave:export dave:import \
    emile:report emile:export; do
    check 0 '^[0-9]+$' "enqueue ${t%%:*} ${t#*:} in shop" enqueue --business shop --user \
        "${t%%:*}@shop.example" --type "${t#*:}"
done
SHOP_IDS=$(q "SELECT id FROM tasks WHERE business_id = $SHOP ORDER BY id" | tr '\n' ' ')
SHOP_IDS=${SHOP_IDS% }

check 0 '^id	status	user	task_type	created_at	paused_by_rule$' "tasks list --format tsv header" \
    tasks list --business shop --format tsv
rows=$(printf '%s\n' "$OUT" | tail -n +2)
is "$(printf '%s\n' "$rows" | grep -c .)" 9 "tasks list --format tsv: nine rows"
is "$(printf '%s\n' "$rows" | awk -F'\t' 'NF != 6 || $1 !~ /^[0-9]+$/' | wc -l)" 0 \
    "tasks list --format tsv: every row has six tab-separated fields"
is "$(printf '%s\n' "$rows" | cut -f1 | sort -n | tr '\n' ' ')" "$SHOP_IDS " \
    "tasks list --format tsv: every task of the shop once"

check 0 '^id	' "tasks list --sort user --asc" tasks list --business shop --sort user --asc \
    --format tsv
is "$(printf '%s\n' "$OUT" | tail -n +2 | cut -f3 | tr '\n' ',')" \
    "alice Ames,alice Ames,Bob Bell,Bob Bell,carol Case,dave Dunn,dave Dunn,Émile Zola,Émile Zola," \
    "--sort user --asc orders by name, ignoring case and accents"
check 0 '^id	' "tasks list --sort user --desc" tasks list --business shop --sort user --desc \
    --format tsv
is "$(printf '%s\n' "$OUT" | tail -n +2 | cut -f3 | uniq | tr '\n' ',')" \
    "Émile Zola,dave Dunn,carol Case,Bob Bell,alice Ames," "--sort user --desc reverses it"

check 0 '^id	' "tasks list --user-search bob" tasks list --business shop --user-search bob \
    --format tsv
is "$(printf '%s\n' "$OUT" | tail -n +2 | cut -f3,4 | sort | tr '\n' ',')" \
    "Bob Bell	export,Bob Bell	import," "--user-search bob: Bob's two tasks only"
check 0 '^id	' "tasks list --type-search rep" tasks list --business shop --type-search rep \
    --format tsv
is "$(printf '%s\n' "$OUT" | tail -n +2 | cut -f3,4 | sort | tr '\n' ',')" \
    "alice Ames	report,carol Case	report,Émile Zola	report," "--type-search rep: the reports only"
check 0 '^id	' "tasks list --user-search dave --type-search imp" tasks list --business shop \
    --user-search dave --type-search imp --format tsv
is "$(printf '%s\n' "$OUT" | tail -n +2 | cut -f3,4)" "dave Dunn	import" "both searches together"
check 0 '^There are no tasks to show$' "--user-search _ is not a wildcard" tasks list \
    --business shop --user-search _
check 0 '^There are no tasks to show$' "--user-search % is not a wildcard" tasks list \
    --business shop --user-search %

check 64 "--sort must be created, user or type, not 'age'" "tasks list --sort age" tasks list \
    --business shop --sort age
like "$OUT" "^Try 'asynctasks tasks --help'\.$" "tasks list --sort age: points to --help"
check 64 "--limit must be a whole number from 1 to 500" "tasks list --limit 0" tasks list \
    --business shop --limit 0
check 65 'page cursor is malformed' "tasks list --after garbage" tasks list --business shop \
    --after garbage
check 65 'page cursor is malformed' "tasks list --after c123-" tasks list --business shop \
    --after c123-
check 65 'page cursor is malformed or belongs to another sort order' \
    "a created cursor with --sort user" tasks list --business shop --sort user --after c1-1
check 1 "no business 'nowhere'" "tasks list of an unknown business" tasks list --business nowhere

# Walks the pages of 2 forward from the first, then back from the last;
# both must visit the list of one big page in its order, each task once.
walk() { # walk LABEL ARGS...
    local label=$1 cur='' n=0 page full fwd='' back='' bad=0 last
    shift
    run --config "$C" tasks list --business shop --limit 500 "$@"
    full=$(ids_of "$OUT")
    is "$(printf '%s\n' "$full" | tr ' ' '\n' | sort -n | tr '\n' ' ')" "$SHOP_IDS " "$label: one page holds every task"
    while :; do
        run --config "$C" tasks list --business shop --limit 2 "$@" ${cur:+--after "$cur"}
        [ "$RC" = 0 ] || bad=1
        page=$(ids_of "$OUT")
        [ "$(printf '%s\n' "$page" | tr ' ' '\n' | grep -c .)" -le 2 ] || bad=1
        fwd="$fwd${fwd:+ }$page"
        last=$OUT
        n=$((n + 1))
        cur=$(printf '%s\n' "$OUT" | sed -n 's/^next page: --after //p')
        if [ -z "$cur" ] || [ "$n" -ge 20 ]; then break; fi
    done
    is "$bad" 0 "$label: every page exits 0 and holds at most 2 tasks"
    is "$n" 5 "$label: nine tasks make five pages of two"
    is "$fwd" "$full" "$label: the next-page cursors visit every task once, in order"
    back=$(ids_of "$last") n=0
    cur=$(printf '%s\n' "$last" | sed -n 's/^previous page: --before //p')
    while [ -n "$cur" ] && [ "$n" -lt 20 ]; do
        run --config "$C" tasks list --business shop --limit 2 "$@" --before "$cur"
        [ "$RC" = 0 ] || bad=1
        back="$(ids_of "$OUT") $back"
        n=$((n + 1))
        cur=$(printf '%s\n' "$OUT" | sed -n 's/^previous page: --before //p')
    done
    is "$back" "$full" "$label: the previous-page cursors lead back over every task once"
}
walk "pages by creation"
walk "pages by user" --sort user --asc
walk "pages by type" --sort type --desc

# ---- pause and resume ----

check 0 '^nothing is paused in shop$' "pause list with nothing paused" pause list --business shop
check 0 '^paused 1 user in shop$' "pause user --reason --until +1h" pause user --business shop \
    alice@shop.example --reason "quota exceeded" --until +1h
check 0 '^paused 1 task type in shop$' "pause type --reason" pause type --business shop report \
    --reason "report generator broken"
check 0 "^user +alice Ames +cli:$(qre "$LOGIN") +[0-9-]+ [0-9:]+ +[0-9-]+ [0-9:]+ +quota exceeded$" \
    "pause list shows the user pause with its expiry" pause list --business shop
like "$OUT" "^task type +report +cli:$(qre "$LOGIN") +[0-9-]+ [0-9:]+ +- +report generator broken$" \
    "pause list shows the type pause without expiry"
is "$(q "SELECT TIMESTAMPDIFF(SECOND, UTC_TIMESTAMP(6), paused_until) BETWEEN 3500 AND 3600
         FROM pause_rules WHERE scope = 'user'")" 1 "--until +1h is an hour from now"

check 0 '^id	' "tasks list with pauses" tasks list --business shop --format tsv
is "$(printf '%s\n' "$OUT" | tail -n +2 | awk -F'\t' '
        { want = ($3 == "alice Ames" || $4 == "report") ? "paused" : "queued" }
        $2 != want { print "task " $1 " is " $2 ", not " want }')" "" \
    "the tasks of alice and of report are paused, the others queued"
is "$(printf '%s\n' "$OUT" | awk -F'\t' '$2 == "paused"' | wc -l)" 4 "four tasks are paused"
like "$OUT" "	carol Case	report	[^	]*	Task type report paused by cli:$(qre "$LOGIN") at [0-9-]+ [0-9:]+ UTC: report generator broken$" \
    "a task held by the type pause names its rule, as the screen does"
like "$OUT" "	alice Ames	report	[^	]*	User alice Ames paused by cli:$(qre "$LOGIN") at [0-9-]+ [0-9:]+ UTC, until [0-9-]+ [0-9:]+ UTC: quota exceeded$" \
    "a task held by both pauses names the user rule"
held=$(printf '%s\n' "$OUT" | awk -F'\t' '$3 == "alice Ames" && $2 == "paused" { print $1; exit }')
check 0 "^held by: +User alice Ames paused by cli:$(qre "$LOGIN") at [0-9-]+ [0-9:]+ UTC, until [0-9-]+ [0-9:]+ UTC: quota exceeded$" \
    "tasks show of a held task says the rule in the same words" tasks show --business shop "$held"
like "$OUT" "^status: +paused$" "tasks show of a held task: paused"
check 0 '^[0-9]+ +paused +alice Ames ' "the table shows paused tasks" tasks list --business shop

nrules=$(count pause_rules) naudit=$(count audit_log)
check 1 "user 'carol@example\.org' is not a member of this business" "pause a non-member" \
    pause user --business shop carol@example.org
check 1 "user 'carol@example\.org' is not a member of this business" \
    "pause a member and a non-member together" pause user --business shop bob@shop.example \
    carol@example.org
check 1 "no user 'nobody@example\.org'" "pause an unknown user" pause user --business shop \
    nobody@example.org
check 1 "no task type 'nope'" "pause an unknown type" pause type --business shop nope
check 65 "pause expiry 2000-01-01 00:00:00 UTC is not in the future" "pause --until 2000-01-01" \
    pause user --business shop bob@shop.example --until 2000-01-01
check 65 "time 'soon' is not understood" "pause --until soon" pause user --business shop \
    bob@shop.example --until soon
is "$(count pause_rules)/$(count audit_log)" "$nrules/$naudit" \
    "the refused pauses wrote no rule and no audit entry"

check 0 '^resumed alice@shop\.example$' "resume user" resume user --business shop \
    alice@shop.example
is "$(q "SELECT scope FROM pause_rules")" task_type "resume user removed that pause only"
check 1 "user alice Ames is not paused" "resume a user who is not paused" resume user \
    --business shop alice@shop.example
check 0 '^paused 1 user in shop$' "pause user dave" pause user --business shop \
    dave@shop.example --reason "on holiday"
# Held now: the three reports and dave's two tasks.
is "$(q "SELECT COUNT(*) FROM tasks t WHERE business_id = $SHOP AND state = 'queued' AND
         EXISTS (SELECT 1 FROM pause_rules r WHERE r.business_id = t.business_id AND
                 ((r.scope = 'user' AND r.target_id = t.user_id) OR
                  (r.scope = 'task_type' AND r.target_id = t.task_type_id)))")" 5 \
    "five queued tasks are held before Resume All"
check 0 '^resumed all in shop: 2 pauses removed, 5 tasks released$' "resume all" resume all \
    --business shop
is "$(count pause_rules)" 0 "resume all removed every pause"
check 0 '^id	' "tasks list after resume all" tasks list --business shop --format tsv
is "$(printf '%s\n' "$OUT" | tail -n +2 | cut -f2 | sort -u)" queued "no task is paused any more"
check 0 '^resumed all in shop: 0 pauses removed, 0 tasks released$' "resume all again" resume \
    all --business shop

L=$(qre "cli:$LOGIN")
check 0 "^[0-9]+ +[0-9-]+ [0-9:]+ +$L +pause +user +alice Ames +quota exceeded / until [0-9-]+ [0-9:]+ UTC$" \
    "audit list shows the user pause" audit list --business shop
like "$OUT" "^[0-9]+ +[0-9-]+ [0-9:]+ +$L +pause +task_type +report +report generator broken$" \
    "audit list shows the type pause"
like "$OUT" "^[0-9]+ +[0-9-]+ [0-9:]+ +$L +resume +user +alice Ames *$" \
    "audit list shows the resume"
like "$OUT" "^[0-9]+ +[0-9-]+ [0-9:]+ +$L +resume_all +task_type +report +Resume All; paused by $L at [0-9-]+ [0-9:]+ UTC: report generator broken$" \
    "audit list shows Resume All of the type pause with its reason"
like "$OUT" "^[0-9]+ +[0-9-]+ [0-9:]+ +$L +resume_all +user +dave Dunn +Resume All; paused by $L at [0-9-]+ [0-9:]+ UTC: on holiday$" \
    "audit list shows Resume All of the user pause with its reason"
is "$(printf '%s\n' "$OUT" | tail -n +2 | awk '{ print $5 }' | tr '\n' ' ')" \
    "resume_all resume_all pause resume pause pause " "audit list: six entries, newest first"
is "$(q "SELECT COUNT(*) FROM audit_log WHERE business_id = $SHOP AND actor = 'cli:$LOGIN'")" 6 \
    "every audit entry names the operator"
check 0 '^ID ' "audit list --limit 2" audit list --business shop --limit 2
is "$(printf '%s\n' "$OUT" | tail -n +2 | grep -c .)" 2 "audit list --limit 2: two entries"

# ---- totals and caps ----
check 0 '^shop$' "counters show" counters show --business shop
like "$OUT" 'queued [0-9]+, paused [0-9]+, running 0, failed 0, finished today 0' \
    "counters show: the five totals"
check 0 '^shop: ok$' "counters check after enqueues, pauses and resumes" counters check --business shop
check 0 '^shop: rebuilt, no change$' "counters rebuild finds nothing to mend" counters rebuild --business shop
q "UPDATE task_counts SET queued = queued + 5 WHERE business_id = $SHOP"
check 1 '^shop: differs$' "counters check finds a total written around the library" counters check --business shop
like "$OUT" '^stored +queued' "... and prints what is stored"
like "$OUT" '^counted +queued' "... and what the tasks say"
check 0 '^shop: rebuilt$' "counters rebuild mends it" counters rebuild --business shop
check 0 '^shop: ok$' "... and check agrees" counters check --business shop
q "INSERT INTO member_gram_counts (business_id, gram, members) VALUES ($SHOP, 'qq~', 3)"
check 1 '^shop: differs$' "counters check finds a name piece count nobody has" counters check --business shop
like "$OUT" 'name piece counts out of line: 1' "... and says how many are off"
check 0 '^shop: rebuilt' "counters rebuild makes the name piece counts again" counters rebuild --business shop
check 0 '^shop: ok$' "... and check agrees" counters check --business shop
check 64 'counters show needs --business' "counters show without a business" counters show
check 64 "unknown subcommand 'frob'" "counters frob" counters frob
check 1 "no business 'nosuch'" "counters check of an unknown business" counters check --business nosuch
check 0 'business shop: at most 3 running tasks' "business set --max-running" business set shop --max-running 3
check 0 ' shop +3 ' "business list shows the cap" business list
check 0 'no cap on running tasks' "business set --max-running 0: no cap" business set shop --max-running 0
check 0 ' shop +none ' "business list shows no cap" business list
check 0 'is the default' "business set --max-running default" business set shop --max-running default
check 64 'max-running' "a cap that is not a number" business set shop --max-running lots
check 64 'max-running' "a negative cap" business set shop --max-running -1
check 64 'business set takes' "business set without --max-running" business set shop
check 1 "no business 'nosuch'" "business set of an unknown business" business set nosuch --max-running 2
is "$(q "SELECT COUNT(*) FROM audit_log WHERE business_id = $SHOP AND action = 'set' AND target_kind = 'business'")" 3 \
    "each cap change is audited"

# ---- the plans of the screen's pages (tests/explain.sh checks them) ----

check 0 $'^select_type\ttable\ttype\tkey\trows\textra$' \
    "explain members prints the plan" explain members --business shop --search al
like "$OUT" $'\tm\t[a-z_]+\tmemberships_name\t' "explain members: of the members' name index"
check 0 $'\ttask_types\t' "explain types prints the plan" explain types
check 0 $'\taudit_log\t' "explain audit prints the plan" explain audit --business shop --before 5
check 64 "explain members needs --business" "explain members without a business" explain members
check 64 "give --before or --after, not both" "explain audit both ways" \
    explain audit --business shop --before 5 --after 9
check 64 "unknown subcommand 'bogus'" "explain of no known page" explain bogus
check 65 "user list cursor is malformed" "explain members with a bad cursor" \
    explain members --business shop --after zz
check 1 "no business 'nope'" "explain of an unknown business" explain audit --business nope

# ---- hostile names ----

EVIL="Robert'); DROP TABLE tasks;-- <b>x</b>"
EVIL_REASON="'; DELETE FROM pause_rules; -- <script>alert(1)</script> \"&amp;\""
check 0 '^added user bobby@shop\.example ' "user add with SQL and markup in the name" user add \
    bobby@shop.example "$EVIL" --no-password
check 0 ' is a member of shop$' "member add of that user" member add --business shop --user \
    bobby@shop.example --role member
check 0 '^[0-9]+$' "enqueue for that user" enqueue --business shop --user bobby@shop.example \
    --type export
ID_EVIL=$OUT
is "$(q "SELECT name FROM users WHERE email = 'bobby@shop.example'")" "$EVIL" \
    "the name is stored as given"
is "$(q "SELECT user_name FROM tasks WHERE id = $ID_EVIL")" "$EVIL" \
    "the task copies the name as given"
checkf 0 "bobby@shop.example" "user list --search with a quote" user list --search "Robert'"
has "$OUT" "$EVIL" "user list shows the name verbatim"
checkf 0 "$EVIL" "tasks list --user-search with SQL in it" tasks list --business shop \
    --user-search "DROP TABLE tasks;--"
is "$(ids_of "$OUT")" "$ID_EVIL" "tasks list --user-search finds that task only"
checkf 0 "user:        $EVIL" "tasks show shows the name verbatim" tasks show --business shop \
    "$ID_EVIL"
check 0 '^paused 1 user in shop$' "pause with SQL and markup in the reason" pause user \
    --business shop bobby@shop.example --reason "$EVIL_REASON"
is "$(count pause_rules)" 1 "that pause was written"
checkf 0 "$EVIL_REASON" "pause list shows the reason verbatim" pause list --business shop
has "$OUT" "$EVIL" "pause list shows the name verbatim"
is "$(q "SELECT reason FROM pause_rules")" "$EVIL_REASON" "the reason is stored as given"
checkf 0 "$EVIL_REASON" "audit list shows the reason verbatim" audit list --business shop
check 0 '^resumed bobby@shop\.example$' "resume that user" resume user --business shop \
    bobby@shop.example
checkf 0 "added business quotes" "business add with quotes in the name" business add quotes \
    "O'Reilly & \"Sons\" <i>Ltd</i>"
checkf 0 "O'Reilly & \"Sons\" <i>Ltd</i>" "business list shows the name verbatim" business list
is "$(sql -e "SELECT GROUP_CONCAT(table_name ORDER BY table_name) FROM information_schema.tables
              WHERE table_schema = '$DB' AND table_name IN ('tasks', 'pause_rules', 'users')")" \
    "pause_rules,tasks,users" "the tables are all still there"
is "$(q "SELECT COUNT(*) FROM tasks WHERE business_id = $SHOP")" 10 "the shop's tasks are all there"

# ---- control characters: escaped on a terminal and in tables ----

# on_tty ARGS...: the CLI on the test database with a terminal for its
# stdout and stderr (tests/on-tty gives it one); sets OUT (carriage returns
# the terminal adds dropped) and RC.
on_tty() {
    "$top_builddir/tests/on-tty" "$AT" --config "$C" "$@" >"$WORK/tty.out"
    RC=$?
    OUT=$(tr -d '\r' <"$WORK/tty.out")
}
ESC=$(printf '\033')
# an OSC title change ended by BEL, a C1 CSI in UTF-8
printf 'title=\033]0;owned\007\nc1=\302\233\061m\nok=ünï\ttab\n' >"$WORK/ctl.txt"
check 0 '^[0-9]+$' "enqueue a payload with control characters" enqueue --business shop \
    --user bobby@shop.example --type export --payload-file "$WORK/ctl.txt"
ID_CTL=$OUT
"$AT" --config "$C" tasks show --business shop "$ID_CTL" >"$WORK/ctl.out" 2>&1
LC_ALL=C awk 'f { print } /^payload: / { f = 1 }' "$WORK/ctl.out" | cmp -s - "$WORK/ctl.txt"
ok $? "tasks show into a pipe gives the payload's bytes as stored"
on_tty tasks show --business shop "$ID_CTL"
is "$RC" 0 "tasks show on a terminal: exit 0"
is "$(printf '%s\n' "$OUT" | LC_ALL=C awk 'f { print } /^payload: / { f = 1 }')" 'title=\x1b]0;owned\x07
c1=\xc2\x9b1m
ok=ünï	tab' "tasks show on a terminal escapes C0 and C1 controls, keeps UTF-8, tabs and lines"
! printf '%s' "$OUT" | grep -q "$ESC"
ok $? "no escape character reaches the terminal"
HOSTILE="CONCAT('Eve', CHAR(27), ']0;x', CHAR(7), CHAR(9), 'Tab', CHAR(10), 'Line')"
q "UPDATE users SET name = $HOSTILE WHERE email = 'bobby@shop.example';
   UPDATE tasks SET user_name = $HOSTILE WHERE id = $ID_CTL"
check 0 'Eve\\x1b\]0;x\\x07\\tTab\\nLine$' "user list into a pipe escapes a name's controls, tab and newline" \
    user list --search bobby
is "$(printf '%s\n' "$OUT" | grep -c .)" 2 "the table keeps one line per user"
on_tty user list --search bobby
has "$OUT" 'Eve\x1b]0;x\x07\tTab\nLine' "user list on a terminal: escaped once, not twice"
check 0 "Eve${ESC}]0;x" "tasks list --format tsv into a pipe gives the name as stored" tasks list \
    --business shop --format tsv
on_tty tasks show --business "shop$ESC[2J" 1
is "$RC" 65 "a slug with a control character on a terminal: exit 65"
has "$OUT" 'shop\x1b[2J' "the error message on a terminal escapes what the operator typed"

# ---- demo data ----

DEMO_C=$(fresh_db cli_sh_demo) || bail "fresh_db cli_sh_demo: $DEMO_C"
DEMO=asynctasks_test_cli_sh_demo
dq() { sql "$DEMO" -e "$1"; }
run --config "$DEMO_C" migrate
is "$RC" 0 "demo: migrate: exit 0"
like "$OUT" '^applied ' "demo: migrate: applied"
run --config "$DEMO_C" demo-data --tasks 300
is "$RC" 0 "demo-data --tasks 300: exit 0"
is "$OUT" "demo data loaded: 300 tasks added" "demo-data --tasks 300: says so"
run --config "$DEMO_C" business list
is "$RC" 0 "demo: business list: exit 0"
is "$(printf '%s\n' "$OUT" | tail -n +2 | awk '{ print $2 }' | tr '\n' ' ')" \
    "acme globex initech " "demo: the businesses are acme, globex and initech"
roles() { dq "SELECT CONCAT(b.slug, ':', m.role) FROM memberships m
               JOIN users u ON u.id = m.user_id JOIN businesses b ON b.id = m.business_id
               WHERE u.email = '$1' ORDER BY b.slug" | tr '\n' ' '; }
is "$(roles alice@example.com)" "acme:business_admin globex:business_admin " \
    "demo: alice is business_admin of acme and globex only"
is "$(roles bob@example.com)" "acme:member " "demo: bob is a member of acme only, admin of nothing"
is "$(dq "SELECT COUNT(*) FROM platform_admins p JOIN users u ON u.id = p.user_id
          WHERE u.email IN ('alice@example.com', 'bob@example.com')")" 0 \
    "demo: alice and bob are not platform admins"
run --config "$DEMO_C" user list --search admin@example.com
is "$RC" 0 "demo: user list --search admin@example.com: exit 0"
like "$OUT" '^[0-9]+ +admin@example\.com +.*\(platform admin\)$' "demo: admin@example.com is a platform admin"
run --config "$DEMO_C" user list --business acme --search bob@example.com
is "$RC" 0 "demo: user list --business acme: exit 0"
like "$OUT" 'bob@example\.com' "demo: bob is listed in acme"
run --config "$DEMO_C" user list --business globex --search bob@example.com
is "$RC/$(printf '%s\n' "$OUT" | grep -c '@')" "0/0" "demo: bob is not listed in globex"
run --config "$DEMO_C" tasks list --business initech --status all
is "$RC" 0 "demo: tasks list of initech: exit 0"
like "$OUT" '^There are no tasks to show$' "demo: initech has no tasks"
total=0
for b in acme globex; do
    "$AT" --config "$DEMO_C" tasks list --business "$b" --status all --limit 500 --format tsv \
        >"$WORK/demo-$b.tsv" 2>"$WORK/demo-$b.err"
    is "$?" 0 "demo: tasks list of $b: exit 0"
    n=$(tail -n +2 "$WORK/demo-$b.tsv" | grep -c .)
    ok "$([ "$n" -gt 0 ]; echo $?)" "demo: $b has tasks ($n)"
    total=$((total + n))
done
is "$total" 300 "demo: acme and globex list 300 tasks together"
is "$(dq "SELECT COUNT(*) FROM tasks t JOIN businesses b ON b.id = t.business_id
          WHERE b.slug IN ('acme', 'globex')")/$(dq "SELECT COUNT(*) FROM tasks")" "300/300" \
    "demo: the database holds 300 tasks, all in acme and globex"

done_testing
