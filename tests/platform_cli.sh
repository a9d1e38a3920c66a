#!/usr/bin/env bash
# tests/platform_cli.sh: platform rules from the command line, on a
# database of their own (a platform rule shows in every business):
# pause and resume --all-businesses of a type and of a user, listing,
# a business made after the pause, Resume All leaving them in place, and
# the errors: an unknown name, --business with --all-businesses, neither.
# shellcheck source=lib.sh
. "${top_srcdir:?}/tests/lib.sh"

unset ASYNCTASKS_CONFIG

C=$(fresh_db platform_cli) || bail "fresh_db platform_cli: $C"
DB=asynctasks_test_platform_cli
trap 'rm -rf -- "$(dirname -- "$C")"' EXIT
LOGIN=$(id -un) || bail "id -un"
q() { sql "$DB" -e "$1"; }
paused() { q "SELECT COALESCE(SUM(paused), 0) FROM task_counts c JOIN businesses b ON b.id = c.business_id WHERE b.slug = '$1'"; }

"$AT" --config "$C" migrate >/dev/null || bail "migrate"
for b in acme globex; do
    "$AT" --config "$C" business add $b "${b^}" >/dev/null || bail "business add $b"
done
"$AT" --config "$C" user add mia@example.org "Mia Mail" --no-password >/dev/null || bail "user add"
"$AT" --config "$C" user add sol@example.org "Sol Solo" --no-password >/dev/null || bail "user add"
for b in acme globex; do
    for u in mia sol; do
        "$AT" --config "$C" member add --business $b --user $u@example.org --role member >/dev/null ||
            bail "member add"
    done
done
"$AT" --config "$C" type add mailing >/dev/null || bail "type add"
"$AT" --config "$C" type add report >/dev/null || bail "type add"
enq() { "$AT" --config "$C" enqueue --business "$1" --user "$2" --type "$3" >/dev/null || bail "enqueue"; }
enq acme sol@example.org mailing
enq globex sol@example.org mailing
enq acme sol@example.org report

check 0 '^nothing is paused for all businesses$' "pause list --all-businesses with none" \
    pause list --all-businesses
check 0 '^paused 1 task type for all businesses$' "pause type --all-businesses" \
    pause type --all-businesses mailing --reason "provider down" --until +1h
is "$(paused acme)/$(paused globex)" "1/1" "the type's tasks are paused in both businesses"
check 0 "^platform task type +mailing +cli:$(printf '%s' "$LOGIN") +[0-9-]+ [0-9:]+ +[0-9-]+ [0-9:]+ +provider down$" \
    "pause list --all-businesses shows the rule with its expiry" pause list --all-businesses
check 0 "^platform task type +mailing " "pause list of a business shows the platform rule" \
    pause list --business acme
is "$(q "SELECT COUNT(*) FROM audit_log WHERE business_id = 0 AND action = 'pause' AND target_name = 'mailing'")" 1 \
    "the pause is in the platform's audit log"
check 0 "pause .*mailing.*provider down" "a business's audit list shows the platform's pause" \
    audit list --business globex

# a business made after the pause
"$AT" --config "$C" business add later "Later" >/dev/null || bail "business add later"
"$AT" --config "$C" member add --business later --user sol@example.org --role member >/dev/null ||
    bail "member add"
enq later sol@example.org mailing
is "$(paused later)" 1 "a business made after the pause: its task is paused at enqueue"
check 0 '^[0-9]+ +[^ ]+ +.*paused' "tasks list shows it paused" tasks list --business later

# the business's own rule beside the platform's; Resume All leaves the platform's
check 0 '^paused 1 task type in acme$' "acme pauses the type itself" pause type --business acme mailing
check 0 '^paused 1 task type in acme$' "and another" pause type --business acme report
check 0 '^resumed all in acme: 2 pauses removed, 1 task released; 1 platform rule left in place$' \
    "resume all says it left the platform rule" resume all --business acme
is "$(paused acme)" 1 "the platform rule still holds acme's task"
check 1 "task type mailing is not paused" "resume type --business of a platform-only rule" \
    resume type --business acme mailing

# users
check 0 '^paused 1 user for all businesses$' "pause user --all-businesses" \
    pause user --all-businesses sol@example.org
is "$(paused acme)" 2 "the user's other task is paused too"
check 0 '^resumed sol@example\.org for all businesses$' "resume user --all-businesses" \
    resume user --all-businesses sol@example.org
check 1 "user Sol Solo is not paused for all businesses" "resume a user not paused" \
    resume user --all-businesses sol@example.org

# errors
check 1 "no user 'nobody@example\.org'" "an unknown user" pause user --all-businesses nobody@example.org
check 1 "no task type 'nope'" "an unknown type" pause type --all-businesses nope
check 64 "either --business or --all-businesses, not both" "both" \
    pause type --business acme --all-businesses mailing
check 64 "pause needs --business SLUG or --all-businesses" "neither" pause type mailing
check 64 "resume needs --business SLUG or --all-businesses" "resume with neither" resume type mailing
check 64 "Try 'asynctasks resume --help'" "resume all --all-businesses is no command" \
    resume all --all-businesses
is "$(q "SELECT COUNT(*) FROM platform_pause_rules")" 1 "the refused commands wrote nothing"

check 0 '^resumed mailing for all businesses$' "resume type --all-businesses" \
    resume type --all-businesses mailing
is "$(paused acme)/$(paused globex)/$(paused later)" "0/0/0" "released in every business"
for b in acme globex later; do
    run --config "$C" counters check --business $b
    is "$RC" 0 "$b: lanes and totals agree with the rules: $(echo $OUT)"
done
done_testing
