#!/usr/bin/env bash
# tests/people.sh: people leave. On a fresh database with the command
# line: user disable and enable (idempotent, audited in the platform's log
# and in each business of the user), member remove (the membership and
# the pieces of the name the user search reads go, tasks and pause rules
# stay, the last business admin is kept unless --force), platform-admin
# remove (the last one is kept). Then through nginx and the app on the
# test database: a logged-in session ends at its next request once its
# user is disabled, a disabled user's login fails as a wrong password
# does, enable lets them in again, and an admin removed from a business
# gets its pages as one who is no member of it.
#
# Needs ASYNCTASKS_TEST_URL (the test instance, as dev/check starts it).
# shellcheck source=lib.sh
. "${top_srcdir:?}/tests/lib.sh"

unset ASYNCTASKS_CONFIG
URL=${ASYNCTASKS_TEST_URL:-}
[ -n "$URL" ] || bail "ASYNCTASKS_TEST_URL is not set: run the tests through dev/check"
command -v curl >/dev/null || bail "curl is needed"
HTTP_TEST=people
# shellcheck source=http_lib.sh
. "$top_srcdir/tests/http_lib.sh"

C=$(fresh_db people_sh) || bail "fresh_db people_sh: $C"
PDB=asynctasks_test_people_sh
trap 'rm -rf -- "$WORK" "$(dirname -- "$C")"' EXIT
LOGIN=$(id -un) || bail "id -un"

pq() { sql "$PDB" -e "$1"; }
pcli() {
    run --config "$C" "$@"
    [ "$RC" = 0 ] || bail "asynctasks $*: $OUT"
}

pcli migrate
pcli business add acme Acme
pcli business add globex Globex
pcli user add ann@example.org "Ann Andersen" --no-password
pcli user add bob@example.org "Bob Bobsen" --no-password
pcli user add cat@example.org "Cat Carlsen" --no-password
pcli member add --business acme --user ann@example.org --role business_admin
pcli member add --business acme --user bob@example.org --role member
pcli member add --business globex --user bob@example.org --role business_admin
pcli member add --business acme --user cat@example.org --role member
pcli type add people.work
ANN=$(pq "SELECT id FROM users WHERE email = 'ann@example.org'")
BOB=$(pq "SELECT id FROM users WHERE email = 'bob@example.org'")
CAT=$(pq "SELECT id FROM users WHERE email = 'cat@example.org'")
ACME=$(pq "SELECT id FROM businesses WHERE slug = 'acme'")
GLOBEX=$(pq "SELECT id FROM businesses WHERE slug = 'globex'")

# ---- user disable and enable ----

checkf 64 "user disable takes one EMAIL" "user disable without an email" user disable
checkf 1 "user 'nobody@example.org'" "user disable of an unknown user" \
    user disable nobody@example.org
checkf 0 "disabled bob@example.org; 0 sessions ended" "user disable" user disable bob@example.org
isnull=$(pq "SELECT disabled_at IS NULL FROM users WHERE id = $BOB")
is "$isnull" 0 "user disable: the user is marked disabled"
checkf 0 "bob@example.org was already disabled" "user disable again" user disable bob@example.org
checkf 0 "bob@example.org" "user list" user list
like "$OUT" "bob@example\.org +Bob Bobsen \(disabled\)" "user list marks the disabled user"
like "$OUT" "ann@example\.org +Ann Andersen$" "user list marks no one else"
is "$(pq "SELECT CONCAT_WS(' ', business_id, actor, action, target_kind, target_id, target_name,
                             detail)
          FROM audit_log WHERE action = 'disable_user' ORDER BY business_id")" \
    "0 cli:$LOGIN disable_user user $BOB bob@example.org 0 sessions ended
$ACME cli:$LOGIN disable_user user $BOB bob@example.org 0 sessions ended
$GLOBEX cli:$LOGIN disable_user user $BOB bob@example.org 0 sessions ended" \
    "user disable is audited once in the platform's log and in each of the user's businesses"
checkf 0 "disable_user" "audit list --platform" audit list --platform
like "$OUT" "cli:$LOGIN +disable_user +user +bob@example\.org" \
    "audit list --platform shows who disabled whom"
checkf 64 "needs --business or --platform" "audit list with both" \
    audit list --platform --business acme
checkf 0 "disable_user" "audit list of one of the user's businesses" audit list --business globex
pcli enqueue --business acme --user bob@example.org --type people.work
is "$(pq "SELECT COUNT(*) FROM tasks WHERE user_id = $BOB AND state = 'queued'")" 1 \
    "a disabled member's tasks can still be enqueued and stay (business data)"
checkf 0 "enabled bob@example.org" "user enable" user enable bob@example.org
is "$(pq "SELECT disabled_at IS NULL FROM users WHERE id = $BOB")" 1 "user enable: enabled again"
checkf 0 "bob@example.org was already enabled" "user enable again" user enable bob@example.org
is "$(pq "SELECT COUNT(*) FROM audit_log WHERE action = 'enable_user' AND target_id = $BOB")" 3 \
    "user enable is audited once per log, and enabling again writes nothing"

# ---- member remove ----

grams() { pq "SELECT COUNT(*) FROM member_grams WHERE business_id = $1 AND user_id = $2"; }
others=$(pq "SELECT COUNT(*) FROM member_grams WHERE NOT (business_id = $ACME AND user_id = $BOB)")
before=$(grams "$ACME" "$BOB")
globex_before=$(grams "$GLOBEX" "$BOB")
ok "$([ "$before" -gt 0 ]; echo $?)" "a member's name has pieces to search by ($before)"
pcli pause user --business acme bob@example.org --reason "left"
checkf 64 "member remove needs --business and --user" "member remove without a user" \
    member remove --business acme
checkf 64 "Try 'asynctasks member --help'" "member remove takes no --role" \
    member remove --business acme --user bob@example.org --role member
checkf 1 "user 'nobody@example.org'" "member remove of an unknown user" \
    member remove --business acme --user nobody@example.org
checkf 0 "bob@example.org is no longer a member of acme" "member remove" \
    member remove --business acme --user bob@example.org
is "$(pq "SELECT COUNT(*) FROM memberships WHERE business_id = $ACME AND user_id = $BOB")" 0 \
    "member remove: the membership is gone"
is "$(grams "$ACME" "$BOB")" 0 "member remove: no piece of the name is left for the user search"
is "$(pq "SELECT COUNT(*) FROM member_grams WHERE NOT (business_id = $ACME AND user_id = $BOB)")" \
    "$others" "member remove: every other member's pieces stay"
is "$(grams "$GLOBEX" "$BOB")" "$globex_before" \
    "member remove: the user's other membership keeps its pieces"
is "$(pq "SELECT COUNT(*) FROM memberships WHERE business_id = $GLOBEX AND user_id = $BOB")" 1 \
    "member remove: the membership of another business stays"
is "$(pq "SELECT COUNT(*) FROM tasks WHERE user_id = $BOB")" 1 "member remove: the tasks stay"
is "$(pq "SELECT COUNT(*) FROM pause_rules WHERE target_id = $BOB AND scope = 'user'")" 1 \
    "member remove: the pause rule naming the user stays"
is "$(pq "SELECT CONCAT_WS(' ', actor, target_id, target_name, detail) FROM audit_log
          WHERE business_id = $ACME AND action = 'remove_member'")" \
    "cli:$LOGIN $BOB bob@example.org was member" "member remove is audited in the business's log"
checkf 0 "cat@example.org" "user list --business acme" user list --business acme
ok "$(printf '%s' "$OUT" | grep -q bob@; echo $((!$?)))" "the removed member is not listed"
checkf 1 "user 'bob@example.org' is not a member of business 'acme'" "member remove again" \
    member remove --business acme --user bob@example.org
checkf 1 "not a member of business 'acme'" "enqueue for a removed member" \
    enqueue --business acme --user bob@example.org --type people.work

checkf 1 "ann@example.org is the last business_admin of acme" "member remove of the last admin" \
    member remove --business acme --user ann@example.org
like "$OUT" "--force" "member remove of the last admin names --force"
is "$(pq "SELECT role FROM memberships WHERE business_id = $ACME AND user_id = $ANN")" \
    business_admin "the refused remove keeps the last admin"
pcli member add --business acme --user cat@example.org --role business_admin
checkf 0 "ann@example.org is no longer a member of acme" "member remove of an admin with another" \
    member remove --business acme --user ann@example.org
checkf 1 "cat@example.org is the last business_admin of acme" "the other is now the last" \
    member remove --business acme --user cat@example.org
checkf 0 "cat@example.org is no longer a member of acme" "member remove --force of the last admin" \
    member remove --business acme --user cat@example.org --force
is "$(pq "SELECT detail FROM audit_log WHERE business_id = $ACME AND action = 'remove_member'
          ORDER BY id DESC LIMIT 1")" "was business_admin; the last admin (forced)" \
    "a forced remove of the last admin says so in the audit log"

# ---- platform-admin remove ----

checkf 1 "ann@example.org is not a platform admin" "platform-admin remove of a non-admin" \
    platform-admin remove ann@example.org
pcli platform-admin add ann@example.org
pcli platform-admin add cat@example.org
pcli platform-admin add cat@example.org
is "$(pq "SELECT GROUP_CONCAT(CONCAT_WS(' ', business_id, actor, target_id, target_name)
          ORDER BY id) FROM audit_log WHERE action = 'add_platform_admin'
          AND target_id IN ($ANN, $CAT)")" "0 cli:$LOGIN $ANN ann@example.org,0 cli:$LOGIN $CAT cat@example.org" \
    "platform-admin add is audited in the platform's log, once: adding again changes nothing"
checkf 0 "ann@example.org is no longer a platform admin" "platform-admin remove" \
    platform-admin remove ann@example.org
is "$(pq "SELECT COUNT(*) FROM platform_admins WHERE user_id = $ANN")" 0 \
    "platform-admin remove: the row is gone"
checkf 1 "cat@example.org is the last platform admin" "platform-admin remove of the last one" \
    platform-admin remove cat@example.org
is "$(pq "SELECT COUNT(*) FROM platform_admins")" 1 "the last platform admin is kept"
is "$(pq "SELECT CONCAT_WS(' ', business_id, actor, target_id, target_name) FROM audit_log
          WHERE action = 'remove_platform_admin'")" "0 cli:$LOGIN $ANN ann@example.org" \
    "platform-admin remove is audited in the platform's log"
checkf 64 "platform-admin remove takes one EMAIL" "platform-admin remove without an email" \
    platform-admin remove

# ==== over HTTP, on the test instance's database ====

RUN=ppl$$t$(date +%s)
A=${RUN}a B=${RUN}b
PW="pw $RUN"
cli business add "$A" "People A $RUN"
cli business add "$B" "People B $RUN"
DAN=dan-$RUN@example.org
cli user add "$DAN" "Dan $RUN" --password-file - <<<"$PW"
cli member add --business "$A" --user "$DAN" --role business_admin
cli member add --business "$B" --user "$DAN" --role business_admin
J=$WORK/jar.dan
: >"$J"
login_form "$J" "$DAN" "$PW"
status_is 303 "log in: 303"
req "$J" "$URL/admin/async-tasks?business=$A"
status_is 200 "logged in: the list of business A"

# disable ends the session at its next request
cli user disable "$DAN"
has "$OUT" "1 session ended" "user disable ends the session it finds"
req "$J" "$URL/admin/async-tasks?business=$A"
status_is 303 "after disable: the next request is logged out"
like "$LOC" '^/login' "after disable: to the login page"

# a session made by a login that raced the disable ends too: the context
# skips a disabled user's sessions whatever the sessions table holds
cli user enable "$DAN"
: >"$J"
login_form "$J" "$DAN" "$PW"
status_is 303 "enabled: log in again"
sql "$DB" -e "UPDATE users SET disabled_at = UTC_TIMESTAMP(6) WHERE email = '$DAN'" ||
    bail "cannot mark the user disabled"
req "$J" "$URL/admin/async-tasks?business=$A"
status_is 303 "a live session of a disabled user: logged out"
is "$(q "SELECT COUNT(*) FROM sessions s JOIN users u ON u.id = s.user_id
         WHERE u.email = '$DAN'")" 1 "(its session row was still there)"
req "$J" -H 'Accept: application/xml' "$URL/admin/async-tasks?business=$A"
status_is 401 "a live session of a disabled user: the XML view says the session ended"

# a disabled user's login fails as a wrong password does
: >"$J"
login_form "$J" "$DAN" "wrong $PW"
WRONG_ST=$ST WRONG_MSG=$(xp 'string(//*[@class="error-message"])')
: >"$J"
login_form "$J" "$DAN" "$PW"
status_is "$WRONG_ST" "login of a disabled user: the status of a wrong password ($WRONG_ST)"
is "$(xp 'string(//*[@class="error-message"])')" "$WRONG_MSG" \
    "login of a disabled user: the message of a wrong password"
is "$(jar_cookie "$J" at_session)" "" "login of a disabled user: no session cookie"

# enable lets them in again
q "DELETE FROM login_failures WHERE email = '$DAN'"
cli user enable "$DAN"
: >"$J"
login_form "$J" "$DAN" "$PW"
status_is 303 "after enable: the login works"
req "$J" "$URL/admin/async-tasks?business=$A"
status_is 200 "after enable: the list of business A"

# member remove: the business answers as for one who is no member of it
cli member remove --business "$A" --user "$DAN" --force
req "$J" "$URL/admin/async-tasks?business=$A"
status_is 404 "after member remove: the list of business A is 404, as for a non-member"
req "$J" "$URL/admin/audit-log?business=$A"
status_is 404 "after member remove: the audit log of business A is 404"
req "$J" "$URL/admin/async-tasks?business=$B"
status_is 200 "after member remove: the list of business B, still theirs, is 200"
cli member remove --business "$B" --user "$DAN" --force
req "$J" "$URL/admin/async-tasks?business=$B"
status_is 403 "removed from every business: 403, as for one who administers nothing"

done_testing
