#!/usr/bin/env bash
# tests/pages.sh: every page of the admin screen costs O(page), seen from
# outside through nginx and the app: how many statements each page runs
# (X-Statement-Count, which the test instance sends because its
# configuration sets test_statement_header); the task list's totals and
# its bounded count of a search; the pager with the longest cursor there
# is (a user sort at a 190-character name of 4-byte characters); keyset
# paging of the audit log (Newer, Older) and of a task's attempts; the
# Pause User and Pause Task Type panels searched and paged without script;
# a sparse search read a window at a time; the Executors page with 64
# executors.
#
# Needs ASYNCTASKS_TEST_URL (the test instance, as dev/check starts it).
# Its data is named after the run: it shares the database with the other
# tests.
# shellcheck source=lib.sh
. "${top_srcdir:?}/tests/lib.sh"

HTTP_TEST=pages
# shellcheck source=http_lib.sh
. "$top_srcdir/tests/http_lib.sh"

# ---- the data of this run ----

RUN=pg$$t$(date +%s)
P=${RUN}p L=${RUN}l
cli business add "$P" "Pages $RUN"
cli business add "$L" "Long names $RUN"
P_ID=$(q "SELECT id FROM businesses WHERE slug = '$P'")
PW="pw $RUN"
ADMIN=admin-$RUN@example.org
cli user add "$ADMIN" "Admin $RUN" --password-file - <<<"$PW"
cli member add --business "$P" --user "$ADMIN" --role business_admin
cli member add --business "$L" --user "$ADMIN" --role business_admin
# the longest name there is: 190 characters of 4 bytes each
LONG=$(printf '\xf0\x9f\x98\x80%.0s' $(seq 190))
cli user add "long-$RUN@example.org" "$LONG" --no-password
cli member add --business "$L" --user "long-$RUN@example.org" --role member
cli member add --business "$P" --user "long-$RUN@example.org" --role member
for i in $(seq -w 1 30); do
    cli user add "m$i-$RUN@example.org" "Member $i $RUN" --no-password
    cli member add --business "$P" --user "m$i-$RUN@example.org" --role member
done
TYPES=()
for i in $(seq -w 1 30); do
    cli type add "$RUN-t$i"
    TYPES+=("$RUN-t$i")
done
for i in $(seq 30); do
    cli enqueue --business "$L" --user "long-$RUN@example.org" --type "$RUN-t01"
done
for i in $(seq -w 1 30); do
    for k in 1 2; do
        cli enqueue --business "$P" --user "m$i-$RUN@example.org" --type "$RUN-t$i"
    done
done
cli enqueue --business "$P" --user "long-$RUN@example.org" --type "$RUN-t02"
T_MANY=$OUT

JAR=$WORK/jar
: >"$JAR"
login_form "$JAR" "$ADMIN" "$PW"
[ "$ST" = 303 ] || bail "cannot log in: $ST"
LIST=/admin/async-tasks

# ---- statements per page ----

# stmts PATH: the statements the page ran, asked twice (the first may mark
# the session seen, which happens once a minute).
stmts() {
    req "$JAR" "$URL$1"
    req "$JAR" "$URL$1"
    N=$(hdr X-Statement-Count)
}
budget() { # budget PATH MAX NAME
    stmts "$1"
    if [ "$ST" = 200 ] && [[ $N =~ ^[0-9]+$ ]] && [ "$N" -ge 1 ] && [ "$N" -le "$2" ]; then
        ok 0 "$3: $N statements, at most $2"
    else
        ok 1 "$3: $N statements, at most $2"
        diag "status $ST, X-Statement-Count '$N'"
        keep
    fi
}
budget "$LIST?business=$P" 2 "the default list"
DEFAULT=$N
budget "$LIST?business=$P&format=xml" 2 "the default list as XML"
budget "$LIST?business=$P&sort=user&dir=asc&status=all" 2 "the list of all by user"
# the searches are resolved with the context, in its one statement
budget "$LIST?business=$P&user=Member&type=$RUN" 2 "a list searched by user and type"
budget "$LIST?business=$P&user=long&status=all" 2 "a list searched by user"
budget "$LIST?business=$P&user=zz-no-such-member" 2 "a search that matches nobody"
# with a pause rule in the business, the list reads the rules of its page
cli pause user --business "$L" "long-$RUN@example.org"
budget "$LIST?business=$L" 3 "the list of a business with a pause rule"
is "$(xp "string(//*[local-name()='tr'][1]/@data-status)")" "paused" \
    "... which shows the paused user's task as paused"
cli resume all --business "$L"
# a queued task's page reads the platform's rules that name it too, and
# the audit log the platform's pauses and resumes beside the business's
# entries: one key lookup, one range of audit_log_business
budget "$LIST/tasks/$T_MANY?business=$P" 4 "a task's page"
budget "/admin/audit-log?business=$P" 3 "the audit log"
budget "/admin/schedules?business=$P" 2 "the Schedules page"
budget "/admin/dashboard?business=$P" 5 "the dashboard: the context, its buckets, failures, oldest due task and live rules"
budget "/admin/dashboard?business=$P&format=xml" 5 "the dashboard as XML"
budget "$LIST/pause-user?business=$P" 3 "the Pause User panel"
budget "$LIST/pause-type?business=$P&q=$RUN" 3 "the Pause Task Type panel"
budget "/admin/executors" 4 "the Executors page"
# the counter counts: a page that shows a message has one more, to clear it
csrf=$(csrf_in_body)
req "$JAR" --data "csrf=$csrf&business=$P" "$URL$LIST/resume-all"
[ "$ST" = 303 ] || bail "Resume All: $ST"
req "$JAR" "$URL$LIST?business=$P"
is "$(xp 'string(//*[@class="flash"])')" "Nothing was paused in Pages $RUN." "a message after an action"
is "$(hdr X-Statement-Count)" "$((DEFAULT + 1))" "that page ran one statement more: clearing the message"

# ---- the list: totals, and a bounded count of a search ----

req "$JAR" "$URL$LIST?business=$P"
dd_of() { xp "string(//*[local-name()='dl'][@class='totals']/*[@class='$1']/*[local-name()='dd'])"; }
is "$(dd_of queued) $(dd_of running) $(dd_of failed)" "61 0 0" "the totals: 61 queued"
is "$(xp 'count(//*[@class="count"])')" 0 "no count of the whole list"
is "$(dd_of max-running)" "no cap" "the cap on running tasks: none by default"
cli business set "$L" --max-running 7 >/dev/null
req "$JAR" "$URL$LIST?business=$L"
is "$(dd_of max-running)" "7" "a business's own cap shows"
is "$(hdr X-Statement-Count)" "$DEFAULT" "... at no extra statement"
req "$JAR" "$URL$LIST?business=$L&format=xml"
valid "the XML list with a cap: valid"
is "$(xp 'concat(//*[local-name()="totals"]/@max-running, " ", //*[local-name()="totals"]/@max-running-default)')" \
    "7 false" "the XML totals carry the cap"
cli business set "$L" --max-running default >/dev/null
req "$JAR" "$URL$LIST?business=$P&user=Member"
is "$(xp 'string(//*[@class="count"])')" "50+ tasks match" "a search that matches many: 50+"
is "$(xp 'count(//*[local-name()="dl"][@class="totals"])')" 0 "a searched view has no totals"
req "$JAR" "$URL$LIST?business=$P&user=Member%2007&format=xml"
valid "the XML list of a search: valid"
is "$(xp 'concat(/*/@matches, " ", /*/@matches-is-minimum)')" "2 false" \
    "a search that matches two: exactly 2"
req "$JAR" "$URL$LIST?business=$P&user=Member&format=xml&limit=25"
is "$(xp 'concat(/*/@matches, " ", /*/@matches-is-minimum, " ", count(//*[local-name()="task"]))')" \
    "50 true 25" "the XML list of a broad search: 50, and more"
next=$(xp 'string(//*[local-name()="page"]/@next)')
req "$JAR" "$URL$LIST?business=$P&user=Member&format=xml&limit=25&after=$next"
is "$(xp 'concat(/*/@matches, " ", count(//*[local-name()="task"]))')" "50 25" \
    "its second page counts the same, cursor aside"

# ---- the longest cursor ----

req "$JAR" "$URL$LIST?business=$L&sort=user&limit=25"
status_is 200 "the list of long names by user"
is "$(xp 'count(//*[local-name()="tbody"]/*[local-name()="tr"])')" 25 "a full first page"
next=$(xp 'string(//*[local-name()="a"][@rel="next"]/@href)')
cursor=${next##*after=}
like "$cursor" "^u(f09f9880){190}-[0-9]+$" \
    "the Next link carries the user sort's cursor of the long name, whole (${#cursor} characters)"
first=$(xp '//*[local-name()="tbody"]/*[local-name()="tr"]/@id' | tr ' ' '\n' | sort)
req "$JAR" "$URL$next"
status_is 200 "Next after a page ending at a 190-character name of 4-byte characters: 200"
is "$(xp 'count(//*[local-name()="tbody"]/*[local-name()="tr"])')" 5 "it shows the next rows"
second=$(xp '//*[local-name()="tbody"]/*[local-name()="tr"]/@id' | tr ' ' '\n' | sort)
is "$(printf '%s\n%s\n' "$first" "$second" | grep -c . | tr -d ' ')/$(printf '%s\n%s\n' "$first" "$second" | sort -u | grep -c .)" \
    "30/30" "the two pages hold the 30 tasks once each"
prev=$(xp 'string(//*[local-name()="a"][@rel="prev"]/@href)')
req "$JAR" "$URL$prev"
is "$(xp 'count(//*[local-name()="tbody"]/*[local-name()="tr"])')" 25 "Previous from there: the first page"

# ---- the audit log: keyset pages both ways ----

# 30 pauses and the Resume All of them: 60 entries, then 60 more
members=()
for i in $(seq -w 1 30); do members+=("m$i-$RUN@example.org"); done
for round in 1 2; do
    cli pause user --business "$P" "${members[@]}"
    cli resume all --business "$P"
done
ALL=$(q "SELECT GROUP_CONCAT(id ORDER BY id DESC SEPARATOR ' ') FROM audit_log WHERE business_id = $P_ID")
is "$(wc -w <<<"$ALL" | tr -d ' ')" 120 "120 audit entries (and the Resume All above made none)"
ids() { xp '//*[local-name()="entry"]/@id' | tr ' ' '\n' | sed -n 's/^id="\([0-9]*\)"$/\1/p' | tr '\n' ' '; }
seen=
req "$JAR" "$URL/admin/audit-log?business=$P&format=xml"
valid "the XML audit log: valid"
page1=$(ids) seen=$page1
older=$(xp 'string(//*[local-name()="page"]/@before)')
is "$(xp 'string(//*[local-name()="page"]/@after)')" "" "the newest page has no newer"
req "$JAR" "$URL/admin/audit-log?business=$P&format=xml&before=$older"
page2=$(ids) seen="$seen$page2"
older=$(xp 'string(//*[local-name()="page"]/@before)')
newer=$(xp 'string(//*[local-name()="page"]/@after)')
req "$JAR" "$URL/admin/audit-log?business=$P&format=xml&before=$older"
page3=$(ids) seen="$seen$page3"
is "$(xp 'string(//*[local-name()="page"]/@before)')" "" "the oldest page has no older"
is "$(wc -w <<<"$page1")/$(wc -w <<<"$page2")/$(wc -w <<<"$page3")" "50/50/20" "pages of 50, 50 and 20"
is "${seen% }" "$ALL" "Older, Older: every entry once, newest first"
newer3=$(xp 'string(//*[local-name()="page"]/@after)')
req "$JAR" "$URL/admin/audit-log?business=$P&format=xml&after=$newer3"
is "$(ids)" "$page2" "Newer from the oldest page: the page before it"
req "$JAR" "$URL/admin/audit-log?business=$P&format=xml&after=$newer"
is "$(ids)" "$page1" "Newer from the second page: the newest"
req "$JAR" "$URL/admin/audit-log?business=$P&before=$older"
is "$(xp 'concat(count(//*[local-name()="a"][@rel="prev"]), count(//*[local-name()="a"][@rel="next"]))')" \
    "10" "the oldest page links to Newer only"
req "$JAR" "$URL/admin/audit-log?business=$P&before=1&after=2"
status_is 400 "before and after together: 400"

# ---- a task's attempts, a page at a time ----

q "INSERT INTO task_attempts (task_id, attempt, business_id, executor_id, host, pid, started_at,
     finished_at, outcome, error)
   SELECT $T_MANY, seq, $P_ID, 1, 'host-$RUN', 4000 + seq, UTC_TIMESTAMP(6) - INTERVAL (50 - seq) MINUTE,
     UTC_TIMESTAMP(6) - INTERVAL (50 - seq) MINUTE + INTERVAL 1 SECOND, 'retry', CONCAT('error ', seq)
   FROM seq_1_to_45"
nums() { xp '//*[local-name()="attempt"]/@number' | tr ' ' '\n' | sed -n 's/^number="\([0-9]*\)"$/\1/p' | tr '\n' ' '; }
req "$JAR" "$URL$LIST/tasks/$T_MANY?business=$P&format=xml"
valid "the XML task with attempts: valid"
is "$(nums)" "$(seq 45 -1 26 | tr '\n' ' ')" "the newest 20 attempts"
older=$(xp 'string(//*[local-name()="attempts-page"]/@older)')
req "$JAR" "$URL$LIST/tasks/$T_MANY?business=$P&format=xml&before=$older"
is "$(nums)" "$(seq 25 -1 6 | tr '\n' ' ')" "Older: the next 20"
older=$(xp 'string(//*[local-name()="attempts-page"]/@older)')
newer=$(xp 'string(//*[local-name()="attempts-page"]/@newer)')
req "$JAR" "$URL$LIST/tasks/$T_MANY?business=$P&format=xml&before=$older"
is "$(nums)" "5 4 3 2 1 " "Older again: the first five"
req "$JAR" "$URL$LIST/tasks/$T_MANY?business=$P&format=xml&after=$newer"
is "$(nums)" "$(seq 45 -1 26 | tr '\n' ' ')" "Newer from the middle: the newest page"
req "$JAR" "$URL$LIST/tasks/$T_MANY?business=$P&before=$older"
status_is 200 "the task page of an older page of attempts"
is "$(xp 'count(//*[local-name()="table"][@class="attempts"]/*[local-name()="tbody"]/*[local-name()="tr"])')" 5 \
    "shows those attempts"
like "$(xp 'string(//*[local-name()="a"][@rel="prev"]/@href)')" "^$LIST/tasks/$T_MANY\?business=$P&after=[0-9]+$" \
    "and the way back to newer ones"

# ---- the pause panels, searched and paged (as without script) ----

req "$JAR" "$URL$LIST/pause-type?business=$P&q=$RUN"
is "$(xp 'count(//*[local-name()="table"][@class="pick"]/*[local-name()="tbody"]/*[local-name()="tr"])')" 25 \
    "Pause Task Type: a page of 25 types"
more=$(xp 'string(//*[local-name()="a"][contains(@class, "more")]/@href)')
like "$more" "^$LIST/pause-type\?business=$P&q=$RUN&after=[0-9a-f]+-[0-9]+$" \
    "with a link to the next page that keeps the search"
req "$JAR" "$URL$more"
is "$(xp 'count(//*[local-name()="table"][@class="pick"]/*[local-name()="tbody"]/*[local-name()="tr"])')" 5 \
    "the next page: the other 5"
is "$(xp 'count(//*[local-name()="a"][contains(@class, "more")])')" 0 "and no further"
req "$JAR" "$URL$LIST/pause-type?business=$P&q=$RUN&format=xml"
valid "the XML Pause Task Type panel: valid"
after=$(xp 'string(//*[local-name()="page"]/@next)')
got=$(xp '//*[local-name()="task-type"]/@name' | tr ' ' '\n' | sed -n 's/^name="\(.*\)"$/\1/p' | tr '\n' ' ')
req "$JAR" "$URL$LIST/pause-type?business=$P&q=$RUN&format=xml&after=$after"
got="$got$(xp '//*[local-name()="task-type"]/@name' | tr ' ' '\n' | sed -n 's/^name="\(.*\)"$/\1/p' | tr '\n' ' ')"
is "$got" "${TYPES[*]} " "the two pages: every type of the search once, by name"
req "$JAR" "$URL$LIST/pause-type?business=$P&q=$RUN-t07"
is "$(xp 'count(//*[local-name()="table"][@class="pick"]/*[local-name()="tbody"]/*[local-name()="tr"])')" 1 \
    "a narrower search: one type"
req "$JAR" "$URL$LIST/pause-type?business=$P&after=zz"
status_is 400 "a malformed cursor: 400"
req "$JAR" "$URL$LIST/pause-user?business=$P"
is "$(xp 'count(//*[local-name()="table"][@class="pick"]/*[local-name()="tbody"]/*[local-name()="tr"])')" 25 \
    "Pause User: a page of 25 of the 32 members"
more=$(xp 'string(//*[local-name()="a"][contains(@class, "more")]/@href)')
req "$JAR" "$URL$more"
is "$(xp 'count(//*[local-name()="table"][@class="pick"]/*[local-name()="tbody"]/*[local-name()="tr"])')" 7 \
    "the next page: the other 7"
# More paused than the panel lists: the others are found by the search,
# and their rows carry the Resume.
Q=${RUN}q
cli business add "$Q" "Many paused $RUN"
cli member add --business "$Q" --user "$ADMIN" --role business_admin
many=()
for i in $(seq -w 1 60); do
    cli user add "q$i-$RUN@example.org" "Paused $i $RUN" --no-password
    cli member add --business "$Q" --user "q$i-$RUN@example.org" --role member
    many+=("q$i-$RUN@example.org")
done
cli pause user --business "$Q" "${many[@]}"
req "$JAR" "$URL$LIST/pause-user?business=$Q"
is "$(xp 'count(//*[@class="paused-list"]/*[local-name()="li"])')" 50 "60 paused: the panel lists 50"
like "$(xp 'string(//*[@class="more-paused"])')" "^More users are paused: search for one" \
    "and says there are more"
is "$(xp 'count(//*[local-name()="tr"][@class="paused"]//*[local-name()="button"])')" 0 \
    "the rows of listed ones carry no second Resume"
req "$JAR" "$URL$LIST/pause-user?business=$Q&q=Paused%205"
rows=$(xp 'count(//*[local-name()="tr"][@class="paused"])')
btns=$(xp 'count(//*[local-name()="tr"][@class="paused"]//*[local-name()="button"][@form="resume-form"])')
is "$rows/$btns" "10/9" "searched, the nine unlisted of the ten carry a Resume of the panel's resume form"
target=$(q "SELECT id FROM users WHERE email = 'q58-$RUN@example.org'")
is "$(xp "string(//*[local-name()='button'][@value='$target']/@aria-label)")" "Resume Paused 58 $RUN" \
    "named after whom it resumes"
csrf=$(csrf_in_body)
req "$JAR" --data "csrf=$csrf&business=$Q&target=$target" "$URL$LIST/resume-user"
status_is 303 "which resumes them"
is "$(q "SELECT COUNT(*) FROM pause_rules r JOIN businesses b ON b.id = r.business_id
         WHERE b.slug = '$Q'")" 59 "one pause fewer"

# ---- a sparse search is read a window of tasks at a time ----

# Two members' 600 tasks each, then 1,100 newer ones of another: newest
# first, the first 1,000 tasks hold none of theirs, so the first page stops
# searching there and offers to search further. (One member's tasks alone
# come in order from their own index: no window needed.)
S=${RUN}s
cli business add "$S" "Sparse $RUN"
cli member add --business "$S" --user "$ADMIN" --role business_admin
cli member add --business "$S" --user "m01-$RUN@example.org" --role member
for who in rare1 rare2 m01; do
    [ "$who" = m01 ] || {
        cli user add "$who-$RUN@example.org" "Rarely Seen $who $RUN" --no-password
        cli member add --business "$S" --user "$who-$RUN@example.org" --role member
    }
    for i in $(seq "$([ "$who" = m01 ] && echo 1100 || echo 600)"); do
        printf '%s\t%s-%s@example.org\t%s-t01\n' "$S" "$who" "$RUN" "$RUN"
    done >"$WORK/sparse-$who.tsv"
    cli enqueue --from "$WORK/sparse-$who.tsv"
done
budget "$LIST?business=$S&user=Rarely" 4 "a sparse search's first page"
is "$(xp 'count(//*[local-name()="tbody"]/*[local-name()="tr"][@data-status])')" 0 \
    "... which found nothing among the newest tasks"
has "$(xp 'string(//*[@class="note"])')" "stopped searching part way" "... and says it stopped"
is "$(xp 'string(//*[@class="count"])')" "50+ tasks match" \
    "... while its count, which needs no order, finds the matches at once"
further=$(xp 'string(//*[local-name()="a"][@rel="next"]/@href)')
is "$(xp 'string(//*[local-name()="a"][@rel="next"])')" "Search further ›" "... with a link to search further"
budget "${further//&amp;/&}" 4 "searching further"
is "$(xp 'count(//*[local-name()="tbody"]/*[local-name()="tr"][@data-status])')" 50 \
    "... finds a full page in the next window"
is "$(xp 'count(//*[@class="note"])')" 0 "... which says nothing of stopping"
req "$JAR" "$URL$LIST?business=$S&user=Rarely&format=xml"
is "$(xp 'string(/*/*[local-name()="page"]/@window-cut)')" true "the XML view marks the cut page"
is "$(xp 'string(/*/@matches-is-minimum)')" true "... and its count as a minimum"

# ---- the Executors page with 64 executors ----

exec 9>"${TMPDIR:-/tmp}/asynctasks-executors-$DB.lock"
flock -w 600 9 || bail "cannot lock the executors"
SUP=$(q "INSERT INTO supervisors (host, pid, started_at, heartbeat_at)
         VALUES ('host-$RUN', 4100, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6)); SELECT LAST_INSERT_ID()")
q "INSERT INTO executors (host, pid, supervisor_pid, started_at, heartbeat_at, current_task_id,
     supervisor_id, task_started_at, tasks_run)
   SELECT 'host-$RUN', 5000 + seq, 4100, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6),
     IF(seq = 1, $T_MANY, NULL), $SUP, IF(seq = 1, UTC_TIMESTAMP(6), NULL), seq
   FROM seq_1_to_64"
budget "/admin/executors" 4 "the Executors page with 64 executors"
is "$(xp "count(//*[local-name()='tr'][starts-with(@id, 'executor-')][*[@class='host'] = 'host-$RUN'])")" 64 \
    "shows the 64"
is "$(xp "string(//*[local-name()='tr'][*[@class='pid'] = '5001']/@data-state)")" running \
    "and what the business's admin may see runs"
q "DELETE FROM executors WHERE supervisor_id = $SUP; DELETE FROM supervisors WHERE id = $SUP"
exec 9>&-

done_testing
