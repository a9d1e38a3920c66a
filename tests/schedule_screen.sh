#!/usr/bin/env bash
# tests/schedule_screen.sh: the Schedules page through nginx and the app,
# without script (the browser test does it with script): the list, its
# XML view against docs/views.rng, the add form's refusals (HTTP status
# and the message naming the field), add, the confirmation pages of
# pause, resume and remove and their POSTs with the CSRF token, the
# audit entries, and an admin of another business answered 404.
#
# Needs ASYNCTASKS_TEST_URL (the test instance, as dev/check starts it).
# shellcheck source=lib.sh
. "${top_srcdir:?}/tests/lib.sh"

HTTP_TEST=schedule_screen
# shellcheck source=http_lib.sh
. "$top_srcdir/tests/http_lib.sh"

RUN=sc$$t$(date +%s)
S=${RUN}s O=${RUN}o
cli business add "$S" "Schedules $RUN"
cli business add "$O" "Other $RUN"
S_ID=$(q "SELECT id FROM businesses WHERE slug = '$S'")
PW="pw $RUN"
ADMIN=admin-$RUN@example.org OTHER=other-$RUN@example.org MEMBER=m-$RUN@example.org
cli user add "$ADMIN" "Admin $RUN" --password-file - <<<"$PW"
cli user add "$OTHER" "Other admin $RUN" --password-file - <<<"$PW"
cli user add "$MEMBER" "Member $RUN" --no-password
cli member add --business "$S" --user "$ADMIN" --role business_admin
cli member add --business "$O" --user "$OTHER" --role business_admin
cli member add --business "$S" --user "$MEMBER" --role member
cli type add "$RUN-export"
PAGE=/admin/schedules

JAR=$WORK/jar
: >"$JAR"
login_form "$JAR" "$ADMIN" "$PW"
[ "$ST" = 303 ] || bail "cannot log in: $ST"

req "$JAR" "$URL$PAGE?business=$S"
status_is 200 "the Schedules page"
wellformed "... is well-formed"
body_has "There are no schedules yet" "... says there are none"
body_has 'href="/admin/schedules"' "the Admin menu links to it"
CSRF=$(csrf_in_body)
[ -n "$CSRF" ] || bail "no CSRF token on the page"

add() { # add CSRF FIELD=VALUE... : posts the add form
    local tok=$1 a=()
    shift
    for kv in "business=$S" "$@"; do a+=(--data-urlencode "$kv"); done
    req "$JAR" --data-urlencode "csrf=$tok" "${a[@]}" "$URL$PAGE"
}
add "" "cron=0 3 * * *" "type=$RUN-export" "user=$MEMBER"
status_is 403 "add without the CSRF token: 403"
add "$CSRF" "cron=0 25 * * *" "type=$RUN-export" "user=$MEMBER"
status_is 400 "a bad hour: 400"
body_has "cron: hour field: '25' is not from 0 to 23" "... naming the field"
add "$CSRF" "cron=0 3 * * *" "tz=Europe/Nowhere" "type=$RUN-export" "user=$MEMBER"
status_is 400 "an unknown time zone: 400"
body_has "no time zone" "... says so"
add "$CSRF" "cron=0 3 * * *" "type=$RUN-export" "user=$OTHER"
status_is 404 "a user of another business: 404"
body_has "is not a member of this business" "... says so"
add "$CSRF" "type=$RUN-export" "user=$MEMBER"
status_is 400 "no cron: 400"
is "$(q "SELECT COUNT(*) FROM schedules WHERE business_id = $S_ID")" 0 "nothing refused was added"

add "$CSRF" "cron=30 2 * * MON-FRI" "tz=Europe/Berlin" "type=$RUN-export" "user=$MEMBER" \
    "payload=<b>nightly</b>" "priority=7" "missed=once"
status_is 303 "add: 303"
is "$LOC" "$PAGE?business=$S" "... back to the page"
ID=$(q "SELECT id FROM schedules WHERE business_id = $S_ID")
is "$(q "SELECT CONCAT_WS('|', cron, time_zone, priority, missed, paused, payload) FROM schedules WHERE id = $ID")" \
    "30 2 * * MON-FRI|Europe/Berlin|7|once|0|<b>nightly</b>" "the schedule is stored as given"
req "$JAR" "$URL$LOC"
body_has "Schedule #$ID added" "the page says it was added"
body_has "30 2 * * MON-FRI" "the page lists it"
no_raw "the page"
req "$JAR" "$URL$PAGE?business=$S&format=xml"
status_is 200 "the XML view"
valid "the XML view is one docs/views.rng accepts"
is "$(xp "string(//*[local-name()='schedule']/@cron)")|$(xp "string(//*[local-name()='schedule']/@state)")|$(xp "string(//*[local-name()='schedule']/@missed)")" \
    "30 2 * * MON-FRI|active|once" "the XML view has it, active, run once"

# pause, resume, remove: a confirmation page each, then the POST
for verb in pause resume remove; do
    req "$JAR" "$URL$PAGE/$ID/$verb?business=$S"
    status_is 200 "the $verb confirmation page"
    body_has "action=\"$PAGE/$ID/$verb\"" "... posts to the action"
    tok=$(csrf_in_body)
    req "$JAR" --data-urlencode "csrf=$tok" --data-urlencode "business=$S" "$URL$PAGE/$ID/$verb"
    status_is 303 "$verb: 303"
    case $verb in
    pause) want=1 ;;
    resume) want=0 ;;
    remove) want= ;;
    esac
    is "$(q "SELECT paused FROM schedules WHERE id = $ID")" "$want" "$verb: done"
    [ "$verb" = pause ] && {
        req "$JAR" "$URL$PAGE?business=$S&format=xml"
        is "$(xp "string(//*[local-name()='schedule']/@state)")" paused "the XML view shows it paused"
        valid "... and is valid"
    }
done
req "$JAR" --data-urlencode "csrf=$CSRF" --data-urlencode "business=$S" "$URL$PAGE/$ID/pause"
status_is 404 "pausing a removed schedule: 404"
is "$(q "SELECT GROUP_CONCAT(action ORDER BY id) FROM audit_log WHERE business_id = $S_ID AND target_kind = 'schedule'")" \
    "schedule_add,schedule_pause,schedule_resume,schedule_remove" "each action has its audit entry"
is "$(q "SELECT COUNT(*) FROM audit_log WHERE business_id = $S_ID AND target_kind = 'schedule' AND actor = '$ADMIN'")" 4 \
    "... under the admin's name"

# another business's admin sees nothing of it
add "$CSRF" "cron=@daily" "type=$RUN-export" "user=$MEMBER"
ID2=$(q "SELECT id FROM schedules WHERE business_id = $S_ID")
J2=$WORK/jar2
: >"$J2"
login_form "$J2" "$OTHER" "$PW"
req "$J2" "$URL$PAGE?business=$S"
status_is 404 "another business's admin: the page is 404"
req "$J2" "$URL$PAGE?business=$O"
tok=$(csrf_in_body)
req "$J2" "$URL$PAGE/$ID2/remove?business=$O"
status_is 404 "... and the schedule, through their own business, 404"
req "$J2" --data-urlencode "csrf=$tok" --data-urlencode "business=$O" "$URL$PAGE/$ID2/remove"
status_is 404 "... and its remove, 404"
req "$J2" --data-urlencode "csrf=$tok" --data-urlencode "business=$S" "$URL$PAGE/$ID2/remove"
status_is 404 "... and naming the business, 404"
is "$(q "SELECT COUNT(*) FROM schedules WHERE id = $ID2")" 1 "the schedule is still there"
done_testing
