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

# Claiming reads the runnable tasks of one business in priority and run_at
# order: the claim index serves that without sorting.
bid=$(sql -D asynctasks_test_explain -e "SELECT id FROM businesses WHERE slug = 'acme'")
plan=$(sql -D asynctasks_test_explain -e "EXPLAIN SELECT id FROM tasks WHERE business_id = $bid AND state = 'queued' AND run_at <= UTC_TIMESTAMP(6) ORDER BY priority DESC, run_at, id LIMIT 1")
like "$plan" "tasks_claim" "claim order uses the claim index"
if printf '%s' "$plan" | grep -q filesort; then ok 1 "claim order needs no sort"; else ok 0 "claim order needs no sort"; fi

sql -e "DROP DATABASE asynctasks_test_explain"
done_testing
