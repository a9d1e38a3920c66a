#!/usr/bin/env bash
# explain.sh: the database's plans for every list query the admin page can
# ask (each sort, direction, status filter and search, first and later
# pages) use an index that leads with business_id, never scan the table and
# never sort more than the rows a search selected.
. "$top_srcdir/tests/lib.sh"

CONF=$(fresh_db explain)
export ASYNCTASKS_CONFIG=$CONF
run migrate
is "$RC" 0 "migrate"
run demo-data --tasks 60000 --users 300
is "$RC" 0 "load 60000 demo tasks"
sql -D asynctasks_test_explain -e "ANALYZE TABLE tasks, users, memberships, task_types" >/dev/null

# A cursor for "later page" plans, per sort.
cursor() {
    "$AT" tasks list --business acme --sort "$1" --limit 5 --status "$2" 2>&1 |
        sed -n 's/^next page: --after //p'
}

checked=0
for sort in created user type; do
    for status in pending finished all; do
        after=$(cursor "$sort" "$status")
        for dir in --asc --desc; do
            for search in "" "--user-search bob" "--user-search a" "--type-search report" \
                "--type-search e" "--user-search an --type-search e"; do
                for page in first later; do
                    extra=()
                    [ "$page" = later ] && extra=(--after "$after")
                    # shellcheck disable=SC2086
                    plan=$("$AT" tasks list --business acme --sort "$sort" $dir --status "$status" \
                        $search "${extra[@]}" --explain 2>&1)
                    what="sort $sort $dir, $status, ${search:-no search}, $page page"
                    if ! printf '%s\n' "$plan" | head -n 1 | grep -q '^select_type'; then
                        ok 1 "$what: plan"
                        diag "$plan"
                        continue
                    fi
                    # table type key rows extra, for the rows reading tasks
                    bad=$(printf '%s\n' "$plan" | awk -F'\t' 'NR > 1 && $2 == "tasks" {
                        if ($3 == "ALL" || $3 == "index") print "full scan: " $0
                        else if ($4 == "NULL") print "no index: " $0
                        else if ($4 !~ /^tasks_(list|by)_/) print "unexpected index: " $0
                        else if ($6 ~ /filesort/ && $4 !~ /^tasks_by_(user|type)$/)
                            print "sorts the business: " $0
                    }
                    NR > 1 && $2 != "tasks" && $1 != "UNION RESULT" { print "other table: " $0 }')
                    is "$bad" "" "$what: indexed, no full scan or sort"
                    checked=$((checked + 1))
                done
            done
        done
    done
done
diag "$checked plans checked"

# The executors' claim: the best ready lanes of the next business with
# any, read in the ready index's order (the business a constant found by a
# subquery on that index alone); then a lane's first due tasks in the lane
# index's order. No sort and no scan anywhere, and no table but lanes, the
# caps and tasks.
plan=$("$AT" tasks claim-plan 2>&1)
is "$?" 0 "claim-plan prints the claim's plan"
lanes_row=$(printf '%s\n' "$plan" | awk -F'\t' '$2 == "l"')
like "$lanes_row" $'\tlanes_ready\t' "the claim reads the ready lanes through their index"
sub_row=$(printf '%s\n' "$plan" | awk -F'\t' '$1 == "SUBQUERY" && $2 == "lanes"')
like "$sub_row" 'lanes_ready.*Using index' "the next business comes from the ready index alone"
tasks_row=$(printf '%s\n' "$plan" | awk -F'\t' '$2 == "tasks"')
like "$tasks_row" $'\ttasks_lane\t' "a lane's tasks are read through the lane index"
if printf '%s\n' "$plan" | grep -Eq 'filesort|temporary|	ALL	'; then ok 1 "the claim needs no sort and no scan"; else ok 0 "the claim needs no sort and no scan"; fi
is "$(printf '%s\n' "$plan" | awk -F'\t' 'NR > 1 && $2 != "l" && $2 != "lanes" && $2 != "bl" && $2 != "tasks"' | wc -l)" 0 \
    "the claim reads no other table"

sql -e "DROP DATABASE asynctasks_test_explain"
done_testing
